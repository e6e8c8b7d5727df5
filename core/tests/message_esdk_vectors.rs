//! Messages made by the official Python AWS Encryption SDK (raw AES keyring): the vectors
//! committed in `interop/esdk-python/vectors/` (made by `make_vectors.py` there), or the directory
//! named by `COFFER_ESDK_VECTORS` (a `manifest.json` with suite, key, namespace, key name,
//! context, plaintext and ciphertext files, and `expect` ok/fail). Every `ok` vector must decrypt
//! to its plaintext, every `fail` vector must be refused; fed in 997-byte chunks.
// The tests cover both suites: they need the signed one (default feature), and std.
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

use coffer_core::EncryptionContext;
use coffer_core::crypto::{AwsLc, CryptoProvider, RustCrypto};
use coffer_core::message::{Limits, RawAesKeyring};
use std::path::PathBuf;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn python_sdk_vectors_decrypt_as_expected() {
    check_all(RustCrypto);
}

/// The same vectors, the same outcomes, on the aws-lc-rs provider (keyring and decryptor).
#[test]
fn python_sdk_vectors_decrypt_as_expected_on_aws_lc() {
    check_all(AwsLc);
}

fn check_all<P: CryptoProvider>(provider: P) {
    let committed = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../interop/esdk-python/vectors"));
    let dir = std::env::var_os("COFFER_ESDK_VECTORS").map_or(committed, PathBuf::from);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let mut checked = 0;
    for entry in manifest.as_array().unwrap() {
        let name = entry["name"].as_str().unwrap();
        let key = hex(entry["key_hex"].as_str().unwrap());
        let keyring = RawAesKeyring::new_in(
            entry["namespace"].as_str().unwrap(),
            entry["key_name"].as_str().unwrap(),
            &key,
            provider,
        )
        .unwrap();
        let pairs: Vec<(&str, &str)> =
            entry["context"].as_object().unwrap().iter().map(|(k, v)| (k.as_str(), v.as_str().unwrap())).collect();
        let ctx = EncryptionContext::new(&pairs).unwrap();
        let msg = std::fs::read(dir.join(entry["ciphertext"].as_str().unwrap())).unwrap();
        let result = common::decrypt_with_in(keyring, &ctx, Limits::default(), 200_000, &msg, 997, 4096, provider);
        match entry["expect"].as_str().unwrap() {
            "ok" => {
                let pt = std::fs::read(dir.join(entry["plaintext"].as_str().unwrap())).unwrap();
                assert_eq!(result.unwrap_or_else(|e| panic!("{name}: {e:?}")), pt, "{name}");
            }
            _ => assert!(result.is_err(), "{name}: a tampered message decrypted"),
        }
        checked += 1;
    }
    eprintln!("{checked} vectors checked");
    assert!(checked > 0);
}
