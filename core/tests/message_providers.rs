//! The message format on both crypto providers: the same inputs make the same bytes, each
//! provider reads the other's messages, and the aws-lc-rs provider refuses every tampered
//! message the RustCrypto one refuses. Together with `message_kat.rs` (the published vectors)
//! and `message_esdk_vectors.rs` (the official SDK's messages, run on both), this is the
//! message half of "both providers pass the same suites".
#![cfg(all(feature = "ecdsa-p384", feature = "std"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    missing_docs
)]

mod common;
#[path = "common/kat.rs"]
mod kat;

use coffer_core::EncryptionContext;
use coffer_core::crypto::{AwsLc, RustCrypto};
use coffer_core::message::{AlgorithmSuite, Decryptor, Limits, RawAesKeyring};
use common::*;

const FRAME: u32 = 4096;

/// The published vectors: `04 78` byte for byte; `05 78` byte for byte up to the footer (aws-lc-rs
/// signs with a random nonce), and its signature verifies on both providers.
#[test]
fn known_answer_vectors_are_the_same_bytes_on_aws_lc() {
    let ctx = EncryptionContext::new(kat::CONTEXT).unwrap();
    for suite in suites() {
        let (lc, rc) = (kat::kat_in(suite, AwsLc), kat::kat(suite));
        assert_eq!(without_footer(suite, &lc), without_footer(suite, &rc), "{suite:?}");
        let keyring = RawAesKeyring::new(kat::NAMESPACE, kat::KEY_NAME, &kat::WRAPPING_KEY).unwrap();
        let back = decrypt_with_in(keyring, &ctx, Limits::default(), 4096, &lc, 7, 7, RustCrypto).unwrap();
        assert_eq!(back, kat::PLAINTEXT);
        let keyring = RawAesKeyring::new_in(kat::NAMESPACE, kat::KEY_NAME, &kat::WRAPPING_KEY, AwsLc).unwrap();
        let back = decrypt_with_in(keyring, &ctx, Limits::default(), 4096, &rc, 7, 7, AwsLc).unwrap();
        assert_eq!(back, kat::PLAINTEXT);
    }
}

#[test]
fn same_inputs_same_message_and_each_reads_the_other() {
    let ctx = EncryptionContext::new(&[("purpose", "providers")]).unwrap();
    let f = FRAME as usize;
    for suite in suites() {
        for len in [0, 1, f - 1, f, f + 1, 5 * f + 3, 1 << 20] {
            let pt = plaintext(len);
            let config = config(suite, FRAME);
            let seed = len as u64 + 3;
            let with_rc = encrypt_with_in(&mut keyring_a(), &ctx, &config, seed, &pt, 7_001, 9_001, RustCrypto);
            let mut keyring = RawAesKeyring::new_in("coffer-test", "key-a", &KEY_A, AwsLc).unwrap();
            let with_lc = encrypt_with_in(&mut keyring, &ctx, &config, seed, &pt, 7_001, 9_001, AwsLc);
            assert!(
                without_footer(suite, &with_rc) == without_footer(suite, &with_lc),
                "{suite:?} {len}: the providers made different messages"
            );
            let ws = Decryptor::workspace_len(FRAME);
            let lc_keyring = RawAesKeyring::new_in("coffer-test", "key-a", &KEY_A, AwsLc).unwrap();
            let back = decrypt_with_in(lc_keyring, &ctx, Limits::default(), ws, &with_rc, 5_003, 4_099, AwsLc).unwrap();
            assert!(back == pt, "{suite:?} {len}: aws-lc could not read RustCrypto's message");
            let back =
                decrypt_with_in(keyring_a(), &ctx, Limits::default(), ws, &with_lc, 5_003, 4_099, RustCrypto).unwrap();
            assert!(back == pt, "{suite:?} {len}: RustCrypto could not read aws-lc's message");
        }
    }
}

#[test]
fn raw_aes_keyring_every_key_size_on_both() {
    let ctx = EncryptionContext::new(&[("k", "v")]).unwrap();
    let pt = plaintext(300);
    for key in [&[7u8; 16][..], &[8u8; 24], &[9u8; 32]] {
        let mut lc = RawAesKeyring::new_in("ns", "name", key, AwsLc).unwrap();
        let config = config(AlgorithmSuite::AesGcm256HkdfSha512Commit, 128);
        let msg = encrypt_with_in(&mut lc, &ctx, &config, 1, &pt, 300, 4096, AwsLc);
        let mut rc = RawAesKeyring::new("ns", "name", key).unwrap();
        assert_eq!(msg, encrypt_with_in(&mut rc, &ctx, &config, 1, &pt, 300, 4096, RustCrypto), "{}", key.len());
        let back = decrypt_with_in(rc, &ctx, Limits::default(), 4096, &msg, 64, 64, RustCrypto).unwrap();
        assert_eq!(back, pt);
    }
    for len in [0, 15, 17, 31, 33] {
        assert!(RawAesKeyring::new_in("ns", "name", &vec![1; len], AwsLc).is_err(), "{len}-byte key accepted");
    }
}

/// Every byte of a message flipped (and every truncation) is refused by the aws-lc-rs
/// decryptor, as `message_tamper.rs` shows for RustCrypto.
#[test]
fn aws_lc_refuses_every_flipped_byte_and_truncation() {
    let ctx = EncryptionContext::new(&[("t", "amper")]).unwrap();
    let pt = plaintext(200);
    for suite in suites() {
        let msg = encrypt_with_in(&mut keyring_a(), &ctx, &config(suite, 64), 11, &pt, 200, 4096, RustCrypto);
        let open = |m: &[u8]| {
            let keyring = RawAesKeyring::new_in("coffer-test", "key-a", &KEY_A, AwsLc).unwrap();
            decrypt_with_in(keyring, &ctx, Limits::default(), 4096, m, 4096, 4096, AwsLc)
        };
        assert_eq!(open(&msg).unwrap(), pt);
        for at in 0..msg.len() {
            let mut bad = msg.clone();
            bad[at] ^= 0x01;
            assert!(open(&bad).is_err(), "{suite:?}: flipped byte {at} accepted");
        }
        for len in 0..msg.len() {
            assert!(open(&msg[..len]).is_err(), "{suite:?}: truncation to {len} accepted");
        }
    }
}
