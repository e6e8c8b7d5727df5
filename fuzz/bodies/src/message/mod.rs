//! Bodies of the message-format targets (the AWS Encryption SDK v2 message in
//! `coffer_core::message`): header parsing, streaming decryption of arbitrary and mutated
//! messages, encrypt-decrypt round trips, and the data-key cache. One target per file; what they
//! share is here.
//!
//! The signed suite `05 78` costs milliseconds per message (a fresh P-384 key, a signature, a
//! verification: 6.4 ms for a round trip here), the unsigned `04 78` a tenth of one. The bodies
//! that encrypt use `05 78` for a fixed share of inputs, chosen by [`signed_input`], so that
//! both suites run and a campaign still makes millions of executions.

pub mod cache;
pub mod decrypt_stream;
pub mod header_parse;
pub mod round_trip;
pub mod seeds;

use coffer_core::EncryptionContext;
use coffer_core::message::{AlgorithmSuite, EncryptConfig, Encryptor, Keyring, Limits};

use crate::common::CountingRng;

/// The encryptor's and decryptor's workspace: a frame of up to 1 KiB, the header, the footer.
pub const WORKSPACE: usize = 4096;

/// Whether an input uses `05 78`: for one input in `one_in`, by a hash of all its bytes
/// (FNV-1a).
///
/// Not by a field of the input, on purpose. libFuzzer keeps the inputs that reach new code, the
/// signed ones reach the most (footer, signature, public key in the context), and a mutant
/// keeps its parent's suite field; so a field that picks `05 78` "one time in four" soon picks
/// it for most executions (70% of the corpus in a trial run, which made 300 exec/s). A hash of
/// the whole input changes with every mutation: one execution in `one_in` signs, whatever the
/// corpus holds. The seed generator sets an input's spare byte to get the suite it wants.
pub fn signed_input(data: &[u8], one_in: u64) -> bool {
    let hash = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
    hash % one_in == 0
}

/// The suite [`signed_input`] picks.
pub fn suite(data: &[u8], one_in: u64) -> AlgorithmSuite {
    if signed_input(data, one_in) {
        AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384
    } else {
        AlgorithmSuite::AesGcm256HkdfSha512Commit
    }
}

/// Sizes 1..=`max` from a small generator seeded by an input byte: the chunk sizes the
/// streaming bodies feed and read.
pub fn sizes(seed: u8, max: usize) -> impl FnMut() -> usize {
    let mut s = u32::from(seed) | 1;
    move || {
        s = s.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (s >> 16) as usize % max + 1
    }
}

/// Encrypts `plaintext` with `keyring` under `context`, the generator seeded with `seed`,
/// taking plaintext and handing out message bytes in chunks of `next()` bytes, through a
/// workspace of [`WORKSPACE`] bytes (frames up to 1 KiB). Panics if the encryptor refuses
/// anything (a body only encrypts what must encrypt).
pub fn encrypt<K: Keyring>(
    keyring: &mut K,
    context: &[(&str, &str)],
    suite: AlgorithmSuite,
    frame_length: u32,
    seed: u64,
    plaintext: &[u8],
    mut next: impl FnMut() -> usize,
) -> Vec<u8> {
    let config = EncryptConfig { suite, frame_length, limits: Limits::default() };
    let mut ws = vec![0u8; WORKSPACE];
    let ctx = EncryptionContext::new(context).expect("context");
    let mut rng = CountingRng(seed);
    let mut enc = Encryptor::new(keyring, ctx, &config, &mut rng, &mut ws).expect("encryptor");
    let mut msg = Vec::new();
    let mut at = 0;
    while at < plaintext.len() {
        let end = (at + next()).min(plaintext.len());
        let mut out = vec![0u8; next()];
        let (c, w) = enc.update(&plaintext[at..end], &mut out).expect("update");
        msg.extend_from_slice(&out[..w]);
        at += c;
    }
    loop {
        let mut out = vec![0u8; next()];
        let (w, done) = enc.finish(&mut out).expect("finish");
        msg.extend_from_slice(&out[..w]);
        if done {
            return msg;
        }
    }
}
