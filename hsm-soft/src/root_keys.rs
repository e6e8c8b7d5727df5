//! The two root keys: the form a caller hands in, and the form the HSM keeps.

use crate::SoftError;
use coffer_core::hsm::{KEY_LEN, RootKeyMaterial};
use core::fmt;
use rand_core::TryCryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The root keys as the HSM holds them. Zeroized on drop, printed redacted.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct RootKeys {
    wrapping: [u8; KEY_LEN],
    sealing: [u8; KEY_LEN],
}

impl RootKeys {
    /// All-zero keys, to be filled in place (so that no stray copy of them is made on the stack).
    pub(crate) const fn zeroed() -> Self {
        Self { wrapping: [0; KEY_LEN], sealing: [0; KEY_LEN] }
    }

    /// Fills both keys from `rng`.
    pub(crate) fn fill_random<R: TryCryptoRng + ?Sized>(&mut self, rng: &mut R) -> Result<(), SoftError> {
        let filled = rng.try_fill_bytes(&mut self.wrapping).and_then(|()| rng.try_fill_bytes(&mut self.sealing));
        filled.map_err(|_| {
            self.zeroize();
            SoftError::RandomFailure
        })
    }

    /// Copies the caller's material in; `material` is wiped when it drops.
    pub(crate) fn copy_from(&mut self, material: &RootKeyMaterial) {
        self.wrapping = material.wrapping;
        self.sealing = material.sealing;
    }

    /// Copies `wrapping || sealing` in.
    pub(crate) fn copy_from_concat(&mut self, both: &[u8; 2 * KEY_LEN]) {
        let (wrapping, sealing) = both.split_at(KEY_LEN);
        self.wrapping.copy_from_slice(wrapping);
        self.sealing.copy_from_slice(sealing);
    }

    /// Writes `wrapping || sealing` into `out`.
    pub(crate) fn write_concat(&self, out: &mut [u8; 2 * KEY_LEN]) {
        let (wrapping, sealing) = out.split_at_mut(KEY_LEN);
        wrapping.copy_from_slice(&self.wrapping);
        sealing.copy_from_slice(&self.sealing);
    }

    /// The AES-256 root wrapping key.
    pub(crate) const fn wrapping(&self) -> &[u8; KEY_LEN] {
        &self.wrapping
    }

    /// The HMAC-SHA-256 root sealing key.
    pub(crate) const fn sealing(&self) -> &[u8; KEY_LEN] {
        &self.sealing
    }
}

impl fmt::Debug for RootKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RootKeys { .. }")
    }
}
