//! A loaded key is expanded for AES-GCM once, when it is loaded: seals and opens under it
//! expand nothing. Counted through a provider that counts its AES-GCM key expansions.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use coffer_core::crypto::{CryptoError, CryptoProvider, HMAC_SHA256_LEN, P384_MAX_DER_LEN, P384_POINT_LEN};
use coffer_core::crypto::{P384_SCALAR_LEN, RustCrypto, SHA384_LEN};
use coffer_core::hsm::Hsm;
use coffer_hsm_soft::SoftHsm;
use core::sync::atomic::{AtomicUsize, Ordering};
use getrandom::SysRng;
use rand_core::UnwrapErr;

/// AES-GCM key expansions made through [`Counting`] (this test file has one test, so no other
/// test moves the count).
static EXPANSIONS: AtomicUsize = AtomicUsize::new(0);

/// RustCrypto, counting `aes_gcm` and `aes256_gcm` calls.
#[derive(Debug, Clone, Copy, Default)]
struct Counting;

impl CryptoProvider for Counting {
    type AesGcm = <RustCrypto as CryptoProvider>::AesGcm;
    type Aes256Gcm = <RustCrypto as CryptoProvider>::Aes256Gcm;
    type Sha384 = <RustCrypto as CryptoProvider>::Sha384;
    type HkdfSha512 = <RustCrypto as CryptoProvider>::HkdfSha512;

    fn aes_gcm(key: &[u8]) -> Result<Self::AesGcm, CryptoError> {
        EXPANSIONS.fetch_add(1, Ordering::SeqCst);
        RustCrypto::aes_gcm(key)
    }

    fn aes256_gcm(key: &[u8; 32]) -> Result<Self::Aes256Gcm, CryptoError> {
        EXPANSIONS.fetch_add(1, Ordering::SeqCst);
        RustCrypto::aes256_gcm(key)
    }

    fn hmac_sha256(key: &[u8], data: &[u8]) -> Result<[u8; HMAC_SHA256_LEN], CryptoError> {
        RustCrypto::hmac_sha256(key, data)
    }

    fn p384_public_key(scalar: &[u8; P384_SCALAR_LEN]) -> Result<[u8; P384_POINT_LEN], CryptoError> {
        RustCrypto::p384_public_key(scalar)
    }

    fn p384_sign_prehash(
        scalar: &[u8; P384_SCALAR_LEN],
        digest: &[u8; SHA384_LEN],
        der: &mut [u8; P384_MAX_DER_LEN],
    ) -> Result<usize, CryptoError> {
        RustCrypto::p384_sign_prehash(scalar, digest, der)
    }

    fn p384_verify_prehash(
        public: &[u8; P384_POINT_LEN],
        digest: &[u8; SHA384_LEN],
        der: &[u8],
    ) -> Result<(), CryptoError> {
        RustCrypto::p384_verify_prehash(public, digest, der)
    }
}

#[test]
fn a_loaded_key_is_expanded_once_whatever_it_seals_and_opens() {
    let mut hsm: SoftHsm<_, 2, Counting> = SoftHsm::new(UnwrapErr(SysRng));
    hsm.create_root_keys().unwrap();
    let wrapped = hsm.generate_key().unwrap();
    let before = EXPANSIONS.load(Ordering::SeqCst);
    let key = hsm.load_key(&wrapped).unwrap();
    assert_eq!(EXPANSIONS.load(Ordering::SeqCst) - before, 1, "expanded at load");

    let mut bufs = [[1u8; 32], [2u8; 32], [3u8; 32]];
    let mut sealed = Vec::new();
    for buf in &mut bufs {
        sealed.push(hsm.seal(key, b"aad", buf).unwrap());
    }
    for (buf, (nonce, tag)) in bufs.iter_mut().zip(&sealed) {
        hsm.open(key, nonce, b"aad", buf, tag).unwrap();
    }
    assert_eq!(bufs, [[1u8; 32], [2u8; 32], [3u8; 32]]);
    assert_eq!(EXPANSIONS.load(Ordering::SeqCst) - before, 1, "three seals and three opens expanded nothing");

    hsm.release_key(key).unwrap();
    assert!(hsm.seal(key, b"aad", &mut [0u8; 4]).is_err(), "the released slot holds no key");
}
