//! The floors: one-shot AES-256-GCM of each crypto provider, in place, 12-byte nonce, detached
//! 16-byte tag, with the key schedule made once outside the timed loop. Coffer's message path
//! cannot beat its provider's own AEAD over the same bytes; the ratio to it is Coffer's cost.

use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

/// A provider's AES-256-GCM, keyed.
pub trait Floor {
    /// The provider's name, as in the bench ids (`raw-aes-gcm-<name>`).
    const NAME: &'static str;
    /// Keys the cipher (outside any timed loop).
    fn new(key: &[u8; 32]) -> Self;
    /// Encrypts `buf` in place and returns the tag.
    fn seal(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut [u8]) -> [u8; 16];
    /// Checks `tag` and decrypts `buf` in place; panics on a failed check (a bench bug).
    fn open(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut [u8], tag: &[u8; 16]);
}

/// RustCrypto `aes-gcm` 0.11: the provider Coffer's core and hsm-soft use by default.
pub struct RustCrypto(Aes256Gcm);

impl Floor for RustCrypto {
    const NAME: &'static str = "rustcrypto";

    fn new(key: &[u8; 32]) -> Self {
        Self(Aes256Gcm::new(key.into()))
    }

    fn seal(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut [u8]) -> [u8; 16] {
        self.0.encrypt_inout_detached(nonce.into(), aad, buf.into()).expect("aes-gcm seals").into()
    }

    fn open(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut [u8], tag: &[u8; 16]) {
        self.0.decrypt_inout_detached(nonce.into(), aad, buf.into(), tag.into()).expect("aes-gcm opens");
    }
}

/// `aws-lc-rs` 1.x: the provider of `aws-esdk`, and Coffer's optional one.
pub struct AwsLc(LessSafeKey);

impl Floor for AwsLc {
    const NAME: &'static str = "aws-lc";

    fn new(key: &[u8; 32]) -> Self {
        Self(LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("a 32-byte key")))
    }

    fn seal(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut [u8]) -> [u8; 16] {
        let tag = self
            .0
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(*nonce), Aad::from(aad), buf)
            .expect("aws-lc seals");
        tag.as_ref().try_into().expect("a 16-byte tag")
    }

    fn open(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut [u8], tag: &[u8; 16]) {
        self.0
            .open_in_place_separate_tag(Nonce::assume_unique_for_key(*nonce), Aad::from(aad), tag, buf)
            .expect("aws-lc opens");
    }
}

/// Checks outside any timing that a floor round-trips and agrees with the other provider
/// (AES-GCM is deterministic for a given key and nonce).
pub fn check_floors() {
    let key = [7u8; 32];
    let nonce = [9u8; 12];
    let plaintext = crate::plaintext(1000);
    let (mut a, mut b) = (plaintext.clone(), plaintext.clone());
    let (rc, lc) = (RustCrypto::new(&key), AwsLc::new(&key));
    let tag_a = rc.seal(&nonce, b"aad", &mut a);
    let tag_b = lc.seal(&nonce, b"aad", &mut b);
    assert_eq!((&a, tag_a), (&b, tag_b), "the two providers disagree");
    rc.open(&nonce, b"aad", &mut a, &tag_a);
    lc.open(&nonce, b"aad", &mut b, &tag_b);
    assert_eq!((a, b), (plaintext.clone(), plaintext));
}
