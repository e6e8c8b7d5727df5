//! Test support: scripted and failing generators, and host-side reference computations.
//! Lives in `tests/` only, so no test generator can reach a release build.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::std_instead_of_alloc,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use aes_kw::KwpAes256;
use coffer_core::hsm::{ErrorKind, HsmError, WrappedKey};
use coffer_hsm_soft::{RootKeyMaterial, SoftHsm};
use core::cell::RefCell;
use core::convert::Infallible;
use rand_core::{TryCryptoRng, TryRng};
use std::collections::VecDeque;
use std::rc::Rc;

/// Bytes a [`ScriptedRng`] hands out before it falls back to the OS generator. Shared, so a
/// test can script the next nonce after the generator has moved into the HSM.
#[derive(Clone, Default)]
pub struct Script(Rc<RefCell<VecDeque<u8>>>);

impl Script {
    pub fn push(&self, bytes: &[u8]) {
        self.0.borrow_mut().extend(bytes.iter().copied());
    }

    pub fn remaining(&self) -> usize {
        self.0.borrow().len()
    }
}

/// Scripted bytes first, then `getrandom::SysRng`. Test-only: the marker trait is a lie while
/// the script lasts.
pub struct ScriptedRng(pub Script);

impl TryRng for ScriptedRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        let mut script = self.0.0.borrow_mut();
        for byte in dst.iter_mut() {
            *byte = match script.pop_front() {
                Some(b) => b,
                None => {
                    let mut one = [0u8; 1];
                    getrandom::SysRng.try_fill_bytes(&mut one).expect("OS generator");
                    one[0]
                }
            };
        }
        Ok(())
    }
}

impl TryCryptoRng for ScriptedRng {}

/// The error of [`BudgetRng`].
#[derive(Debug)]
pub struct Exhausted;

impl core::fmt::Display for Exhausted {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("random budget exhausted")
    }
}

impl core::error::Error for Exhausted {}

/// Delivers `budget` bytes from the OS generator, then fails every request: a generator that
/// breaks down.
pub struct BudgetRng {
    pub budget: usize,
}

impl TryRng for BudgetRng {
    type Error = Exhausted;

    fn try_next_u32(&mut self) -> Result<u32, Exhausted> {
        let mut b = [0; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Exhausted> {
        let mut b = [0; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Exhausted> {
        if dst.len() > self.budget {
            return Err(Exhausted);
        }
        self.budget -= dst.len();
        getrandom::SysRng.try_fill_bytes(dst).expect("OS generator");
        Ok(())
    }
}

impl TryCryptoRng for BudgetRng {}

/// A fixed root: wrapping key 0x00..0x1f, sealing key 0x20..0x3f.
pub const ROOT_WRAPPING: [u8; 32] = seq(0x00);
pub const ROOT_SEALING: [u8; 32] = seq(0x20);

pub const fn seq(start: u8) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut i = 0;
    let mut byte = start;
    while i < 32 {
        out[i] = byte;
        byte = byte.wrapping_add(1);
        i += 1;
    }
    out
}

/// An HSM with the fixed root keys and a scripted generator.
pub fn known_hsm() -> (SoftHsm<ScriptedRng>, Script) {
    known_hsm_with(ROOT_WRAPPING, ROOT_SEALING)
}

pub fn known_hsm_with(wrapping: [u8; 32], sealing: [u8; 32]) -> (SoftHsm<ScriptedRng>, Script) {
    let script = Script::default();
    let hsm = SoftHsm::with_root_keys(ScriptedRng(script.clone()), RootKeyMaterial { wrapping, sealing });
    (hsm, script)
}

/// An HSM on the OS generator with fresh root keys.
pub fn fresh_hsm() -> SoftHsm<getrandom::SysRng> {
    use coffer_core::hsm::Hsm;
    let mut hsm: SoftHsm<_> = SoftHsm::new(getrandom::SysRng);
    hsm.create_root_keys().unwrap();
    hsm
}

/// RFC 5649 wrap of `key` under `kek`, computed on the host with aes-kw directly.
pub fn host_wrap(kek: &[u8; 32], key: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; key.len().div_ceil(8) * 8 + 8];
    KwpAes256::new(kek.into()).wrap_key(key, &mut out).unwrap();
    out
}

pub fn host_wrap_key(kek: &[u8; 32], key: &[u8; 32]) -> WrappedKey {
    WrappedKey(host_wrap(kek, key).try_into().unwrap())
}

/// AES-256-GCM on the host with aes-gcm directly: (ciphertext, tag).
pub fn host_seal(key: &[u8; 32], nonce: &[u8; 12], aad: &[u8], pt: &[u8]) -> (Vec<u8>, [u8; 16]) {
    let mut buf = pt.to_vec();
    let tag = Aes256Gcm::new(key.into()).encrypt_inout_detached(nonce.into(), aad, buf.as_mut_slice().into()).unwrap();
    (buf, tag.into())
}

pub fn host_open(key: &[u8; 32], nonce: &[u8; 12], aad: &[u8], ct: &[u8], tag: &[u8; 16]) -> Option<Vec<u8>> {
    let mut buf = ct.to_vec();
    Aes256Gcm::new(key.into())
        .decrypt_inout_detached(nonce.into(), aad, buf.as_mut_slice().into(), tag.into())
        .ok()
        .map(|()| buf)
}

/// The kind of a result's error, for assertions.
pub fn kind<T, E: HsmError>(r: Result<T, E>) -> Option<ErrorKind> {
    r.err().map(|e| e.kind())
}

/// Generates a key and loads it.
pub fn new_key<H: coffer_core::hsm::Hsm>(hsm: &mut H) -> H::Handle {
    let wrapped = hsm.generate_key().unwrap();
    hsm.load_key(&wrapped).unwrap()
}
