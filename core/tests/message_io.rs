//! The `std::io` adapters: a `Write` that encrypts and a `Read` that decrypts.
// The tests cover both suites: they need the signed one (default feature), and std.
#![cfg(all(feature = "ecdsa-p384", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use coffer_core::EncryptionContext;
use coffer_core::message::{DecryptingReader, Decryptor, EncryptingWriter, Encryptor, Limits, MAX_HEADER_LEN};
use common::*;
use std::io::{ErrorKind, Read, Write};

fn write_message(suite: coffer_core::message::AlgorithmSuite, pt: &[u8], piece: usize) -> Vec<u8> {
    let ctx = EncryptionContext::new(&[("io", "adapter")]).unwrap();
    let mut ws = vec![0u8; Encryptor::workspace_len(512).max(MAX_HEADER_LEN)];
    let mut rng = TestRng(3);
    let mut keyring = keyring_a();
    let enc = Encryptor::new(&mut keyring, ctx, &config(suite, 512), &mut rng, &mut ws).unwrap();
    let mut w = EncryptingWriter::new(Vec::new(), enc);
    for chunk in pt.chunks(piece) {
        w.write_all(chunk).unwrap();
    }
    w.finish().unwrap()
}

fn read_message(msg: &[u8]) -> std::io::Result<Vec<u8>> {
    let ctx = EncryptionContext::new(&[("io", "adapter")]).unwrap();
    let mut ws = vec![0u8; 4096];
    let dec = Decryptor::new(keyring_a(), ctx, Limits::default(), &mut ws);
    let mut out = Vec::new();
    DecryptingReader::new(msg, dec).read_to_end(&mut out)?;
    Ok(out)
}

#[test]
fn write_then_read_round_trips_and_matches_the_core_api() {
    for suite in suites() {
        for len in [0usize, 1, 511, 512, 513, 100_000] {
            let pt = plaintext(len);
            let msg = write_message(suite, &pt, 333);
            assert_eq!(read_message(&msg).unwrap(), pt);
            let direct = encrypt_with(
                &mut keyring_a(),
                &EncryptionContext::new(&[("io", "adapter")]).unwrap(),
                &config(suite, 512),
                3,
                &pt,
                4096,
                4096,
            );
            assert!(direct == msg, "adapter and core API wrote different bytes");
        }
    }
}

#[test]
fn truncated_or_tampered_input_is_invalid_data() {
    for suite in suites() {
        let pt = plaintext(2000);
        let msg = write_message(suite, &pt, 100);
        let err = read_message(&msg[..msg.len() - 1]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        let mut bad = msg.clone();
        bad[msg.len() / 2] ^= 4;
        assert_eq!(read_message(&bad).unwrap_err().kind(), ErrorKind::InvalidData);
        let mut long = msg.clone();
        long.push(0);
        assert_eq!(read_message(&long).unwrap_err().kind(), ErrorKind::InvalidData);
    }
}
