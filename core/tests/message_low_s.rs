//! The `05 78` footer's ECDSA signature is written with a low `s` (normalized), as the official
//! SDKs write it; a high-`s` signature of the same message is still accepted on read.
#![cfg(all(feature = "ecdsa-p384", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use coffer_core::EncryptionContext;
use coffer_core::message::{AlgorithmSuite, Limits};
use common::*;
use p384::ecdsa::Signature;

const SIGNED: AlgorithmSuite = AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384;

/// The footer's signature (DER) and where it starts.
fn signature(msg: &[u8]) -> (usize, Signature) {
    let n = msg.len();
    let k = (8..=104)
        .rev()
        .find(|&k| msg[n - k] == 0x30 && usize::from(u16::from_be_bytes([msg[n - k - 2], msg[n - k - 1]])) == k)
        .unwrap();
    (n - k, Signature::from_der(&msg[n - k..]).unwrap())
}

#[test]
fn signatures_are_written_low_s_and_high_s_is_read() {
    let ctx = EncryptionContext::new(&[("purpose", "low-s")]).unwrap();
    for seed in 0..32u64 {
        let msg = encrypt_with(&mut keyring_a(), &ctx, &config(SIGNED, 64), seed, b"low s", 1 << 20, 1 << 20);
        let (at, sig) = signature(&msg);
        assert_eq!(sig.normalize_s(), sig, "message {seed}: high-s signature written");
        // The other signature of the same message (n - s) verifies too: the official SDKs accept
        // it, and so does Coffer.
        let high = Signature::from_scalars(sig.r(), -*sig.s()).unwrap();
        assert_ne!(high, sig);
        let der = high.to_der();
        let mut other = msg[..at - 2].to_vec();
        other.extend_from_slice(&u16::try_from(der.as_bytes().len()).unwrap().to_be_bytes());
        other.extend_from_slice(der.as_bytes());
        assert_eq!(decrypt_with(keyring_a(), &ctx, Limits::default(), 4096, &other, 100, 100).unwrap(), b"low s");
    }
}
