//! The known-answer vectors' inputs and generator (`docs/FORMAT.md`, "Test vector"), shared by
//! `message_kat.rs` (which checks them byte for byte) and `message_export.rs` (which hands them
//! to the official SDK). Include with `#[path = "common/kat.rs"] mod kat;` after `mod common;`.
#![allow(dead_code, unreachable_pub, clippy::missing_panics_doc)]

use coffer_core::EncryptionContext;
use coffer_core::message::{AlgorithmSuite, RawAesKeyring};
use core::convert::Infallible;
use hex_literal::hex;
use rand_core::{TryCryptoRng, TryRng};

/// The KAT's raw AES keyring namespace and key name, and its encryption context.
pub const NAMESPACE: &str = "coffer-kat";
pub const KEY_NAME: &str = "kat-key";
pub const CONTEXT: &[(&str, &str)] = &[("purpose", "kat")];

/// Serves a fixed script of bytes: the KAT's "random" inputs, in the order they are drawn.
pub struct Script(Vec<u8>);

impl TryRng for Script {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        unreachable!()
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        unreachable!()
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        assert!(dst.len() <= self.0.len(), "script exhausted");
        let rest = self.0.split_off(dst.len());
        dst.copy_from_slice(&self.0);
        self.0 = rest;
        Ok(())
    }
}
impl TryCryptoRng for Script {}

pub const WRAPPING_KEY: [u8; 32] = hex!("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
/// The P-384 signing key's scalar (big-endian): 48 bytes of 0x01.
pub const SIGNING_SCALAR: [u8; 48] = [0x01; 48];
pub const DATA_KEY: [u8; 32] = hex!("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf");
pub const WRAP_IV: [u8; 12] = hex!("c0c1c2c3c4c5c6c7c8c9cacb");
pub const MESSAGE_ID: [u8; 32] = hex!("d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef");
pub const PLAINTEXT: &[u8] = b"Coffer known-answer test vector!";

pub fn kat(suite: AlgorithmSuite) -> Vec<u8> {
    kat_in(suite, coffer_core::crypto::RustCrypto)
}

/// The vector made on the crypto provider `provider` (every provider must make the same bytes).
pub fn kat_in<P: coffer_core::crypto::CryptoProvider>(suite: AlgorithmSuite, provider: P) -> Vec<u8> {
    let mut script = Vec::new();
    if suite.is_signed() {
        script.extend_from_slice(&SIGNING_SCALAR);
    }
    script.extend_from_slice(&DATA_KEY);
    script.extend_from_slice(&WRAP_IV);
    script.extend_from_slice(&MESSAGE_ID);
    let ctx = EncryptionContext::new(CONTEXT).unwrap();
    let mut keyring = RawAesKeyring::new_in(NAMESPACE, KEY_NAME, &WRAPPING_KEY, provider).unwrap();
    let mut rng = Script(script);
    let config = crate::common::config(suite, 16);
    let mut ws = vec![0u8; 4096];
    let mut enc =
        coffer_core::message::Encryptor::new_in(&mut keyring, ctx, &config, &mut rng, &mut ws, provider).unwrap();
    let mut out = vec![0u8; 4096];
    let (c, mut n) = enc.update(PLAINTEXT, &mut out).unwrap();
    assert_eq!(c, PLAINTEXT.len());
    let (w, done) = enc.finish(&mut out[n..]).unwrap();
    assert!(done);
    n += w;
    assert!(rng.0.is_empty(), "not every scripted byte was drawn");
    out.truncate(n);
    out
}
