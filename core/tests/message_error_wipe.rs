//! A failing `update` (or `read`) leaves no plaintext in the caller's buffer: what it wrote
//! during the failing call, from frames that verified before the bad one, is wiped.
#![cfg(all(feature = "ecdsa-p384", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use coffer_core::EncryptionContext;
use coffer_core::message::{DecryptError, DecryptingReader, Decryptor, Header, Limits};
use common::*;
use std::io::Read;

fn ctx() -> EncryptionContext<'static> {
    EncryptionContext::new(&[("purpose", "wipe")]).unwrap()
}

/// A message of five 64-byte frames (and a final one) with a byte of the third frame flipped.
fn tampered(suite: coffer_core::message::AlgorithmSuite) -> Vec<u8> {
    let mut msg = encrypt(suite, 64, &ctx(), &plaintext(5 * 64 + 10));
    let (_, header_len) = Header::parse(&msg, &Limits::default()).unwrap();
    msg[header_len + 2 * (4 + 12 + 64 + 16) + 20] ^= 1;
    msg
}

#[test]
fn update_wipes_what_it_wrote_when_it_fails() {
    for suite in suites() {
        let msg = tampered(suite);
        let mut ws = vec![0u8; 4096];
        let mut dec = Decryptor::new(keyring_a(), ctx(), Limits::default(), &mut ws);
        let mut out = vec![0u8; 1 << 16];
        assert_eq!(dec.update(&msg, &mut out), Err(DecryptError::Invalid));
        assert!(out.iter().all(|&b| b == 0), "plaintext of the frames before the bad one was left in the output");
        assert_eq!(dec.update(&[], &mut out), Err(DecryptError::State));
    }
}

#[test]
fn read_wipes_its_buffer_when_it_fails() {
    for suite in suites() {
        let msg = tampered(suite);
        let mut ws = vec![0u8; 4096];
        let dec = Decryptor::new(keyring_a(), ctx(), Limits::default(), &mut ws);
        let mut reader = DecryptingReader::new(msg.as_slice(), dec);
        let mut buf = vec![0u8; 1 << 16];
        // The first read decrypts the header and the first two frames into `buf` and fails on
        // the third, all in one call to the decryptor.
        let err = reader.read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        assert!(buf.iter().all(|&b| b == 0), "plaintext was left in the reader's buffer");
    }
}
