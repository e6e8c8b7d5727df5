//! [`HostRng`]: fast-key-erasure ChaCha20, seeded by the OS, reseeded on fork and periodically.

use crate::fork_epoch;
use chacha20::ChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher};
use core::fmt;
use getrandom::SysRng;
use rand_core::{TryCryptoRng, TryRng};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Requests served from one seed before the next is drawn from the OS.
pub const RESEED_REQUESTS: u32 = 4096;
/// Bytes served from one seed before the next is drawn from the OS.
pub const RESEED_BYTES: usize = 1 << 20;
/// The most output one ChaCha20 key gives before it is replaced: a longer request is served in
/// chunks, each under a key of its own.
const CHUNK: usize = 4096;

/// A cryptographically secure generator for hosts: ChaCha20 with fast key erasure, seeded from
/// the OS, reseeded after a fork (detected without a system call, see the crate docs) and after
/// [`RESEED_REQUESTS`] requests or [`RESEED_BYTES`] bytes.
///
/// Each instance has its own state; it is `Send` and `Sync` (requests take `&mut self`). The
/// first request seeds it, so [`new`](Self::new) cannot fail; an OS generator failure is
/// returned by that request, and nothing is served without a seed.
pub struct HostRng {
    key: [u8; 32],
    /// The fork epoch the key was seeded under; 0 before the first seed.
    epoch: u64,
    requests_left: u32,
    bytes_left: usize,
}

impl HostRng {
    /// An unseeded generator: the first request seeds it from the OS.
    #[must_use]
    pub const fn new() -> Self {
        Self { key: [0; 32], epoch: 0, requests_left: 0, bytes_left: 0 }
    }

    /// A generator from a fixed key, for known-answer tests of the construction only.
    #[cfg(test)]
    fn from_key_for_tests(key: [u8; 32], epoch: u64) -> Self {
        Self { key, epoch, requests_left: RESEED_REQUESTS, bytes_left: RESEED_BYTES }
    }

    fn reseed(&mut self, epoch: u64) -> Result<(), getrandom::Error> {
        SysRng.try_fill_bytes(&mut self.key)?;
        self.epoch = epoch;
        self.requests_left = RESEED_REQUESTS;
        self.bytes_left = RESEED_BYTES;
        Ok(())
    }

    /// One request: `dest` filled under the current key, which is then replaced.
    fn generate(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(CHUNK) {
            let mut cipher = ChaCha20::new(&self.key.into(), &[0; 12].into());
            // The key is used once: its first 32 bytes of keystream become the next key.
            self.key.zeroize();
            cipher.apply_keystream(&mut self.key);
            chunk.fill(0);
            cipher.apply_keystream(chunk);
        }
    }
}

impl Default for HostRng {
    fn default() -> Self {
        Self::new()
    }
}

impl TryRng for HostRng {
    type Error = getrandom::Error;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut bytes = [0; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut bytes = [0; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Self::Error> {
        let Some(epoch) = fork_epoch::current()? else {
            // No fork detection here: nothing may be served from process memory.
            return SysRng.try_fill_bytes(dest);
        };
        if epoch != self.epoch || self.requests_left == 0 || self.bytes_left < dest.len() {
            self.reseed(epoch)?;
        }
        self.requests_left = self.requests_left.saturating_sub(1);
        self.bytes_left = self.bytes_left.saturating_sub(dest.len());
        self.generate(dest);
        Ok(())
    }
}

impl TryCryptoRng for HostRng {}

impl Zeroize for HostRng {
    fn zeroize(&mut self) {
        self.key.zeroize();
        self.epoch = 0;
        self.requests_left = 0;
        self.bytes_left = 0;
    }
}

impl Drop for HostRng {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for HostRng {}

impl fmt::Debug for HostRng {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostRng").field("seeded", &(self.epoch != 0)).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    /// RFC 8439 §2.3.2's ChaCha20 block with an all-zero key and nonce, counter 0 (the test
    /// vector of RFC 8439 appendix A.1, #1): the first 32 bytes are the next key, the next are
    /// the output.
    const ZERO_KEY_BLOCK0: [u8; 64] = hex!(
        "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
        "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"
    );

    #[test]
    fn a_request_is_the_keystream_after_the_next_key() {
        let mut rng = HostRng::from_key_for_tests([0; 32], 1);
        let mut out = [0u8; 32];
        rng.generate(&mut out);
        assert_eq!(out, ZERO_KEY_BLOCK0[32..]);
        assert_eq!(rng.key, ZERO_KEY_BLOCK0[..32], "the key is replaced by the first 32 bytes");
    }

    #[test]
    fn each_request_runs_under_a_new_key() {
        let mut rng = HostRng::from_key_for_tests([0; 32], 1);
        let mut first = [0u8; 16];
        let mut second = [0u8; 16];
        rng.generate(&mut first);
        rng.generate(&mut second);
        let mut expected = [0u8; 48];
        ChaCha20::new(&ZERO_KEY_BLOCK0[..32].try_into().unwrap(), &[0; 12].into()).apply_keystream(&mut expected);
        assert_eq!(second, expected[32..]);
        assert_ne!(first, second);
    }

    #[test]
    fn a_long_request_is_served_in_chunks_under_keys_of_their_own() {
        let mut rng = HostRng::from_key_for_tests([7; 32], 1);
        let mut out = vec![0u8; CHUNK + 10];
        rng.generate(&mut out);
        // The first chunk is the keystream of the first key past its first 32 bytes.
        let mut stream = vec![0u8; 32 + CHUNK];
        ChaCha20::new(&[7; 32].into(), &[0; 12].into()).apply_keystream(&mut stream);
        assert_eq!(out[..CHUNK], stream[32..]);
        // The tail comes from the key that chunk made, not from further keystream of the first.
        let mut next = [0u8; 42];
        ChaCha20::new(&stream[..32].try_into().unwrap(), &[0; 12].into()).apply_keystream(&mut next);
        assert_eq!(out[CHUNK..], next[32..]);
    }

    #[test]
    fn the_first_request_seeds_and_the_budget_reseeds() {
        let mut rng = HostRng::new();
        let mut out = [0u8; 12];
        rng.try_fill_bytes(&mut out).unwrap();
        if !crate::detects_forks() {
            return; // every request went to the OS; there is no state to check
        }
        assert_ne!(rng.epoch, 0);
        assert_eq!(rng.requests_left, RESEED_REQUESTS - 1);
        // Exhaust the request budget: the next request draws a fresh key from the OS, which the
        // key-erasure chain of the old one would not have given.
        rng.requests_left = 0;
        let mut chained = HostRng::from_key_for_tests(rng.key, rng.epoch);
        let mut from_chain = [0u8; 12];
        chained.generate(&mut from_chain);
        rng.try_fill_bytes(&mut out).unwrap();
        assert_ne!(out, from_chain);
        assert_eq!(rng.requests_left, RESEED_REQUESTS - 1);
        // So does the byte budget.
        rng.bytes_left = 11;
        let mut chained = HostRng::from_key_for_tests(rng.key, rng.epoch);
        chained.generate(&mut from_chain);
        rng.try_fill_bytes(&mut out).unwrap();
        assert_ne!(out, from_chain);
        assert_eq!(rng.bytes_left, RESEED_BYTES - 12);
    }

    #[test]
    fn a_changed_epoch_reseeds() {
        let mut rng = HostRng::new();
        let mut out = [0u8; 12];
        rng.try_fill_bytes(&mut out).unwrap();
        if !crate::detects_forks() {
            return;
        }
        rng.epoch ^= 1; // as if seeded in the parent of a fork
        let mut chained = HostRng::from_key_for_tests(rng.key, rng.epoch);
        let mut from_chain = [0u8; 12];
        chained.generate(&mut from_chain);
        rng.try_fill_bytes(&mut out).unwrap();
        assert_ne!(out, from_chain);
        assert_eq!(Some(rng.epoch), crate::fork_epoch::current().unwrap());
    }

    #[test]
    fn debug_shows_no_state() {
        let mut rng = HostRng::from_key_for_tests([0xAB; 32], 1);
        assert_eq!(format!("{rng:?}"), "HostRng { seeded: true, .. }");
        rng.zeroize();
        assert_eq!(rng.key, [0; 32]);
    }
}
