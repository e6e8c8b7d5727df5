//! The encryptor's workspace holds the header as well as a frame: sized from the materials by
//! `Encryptor::workspace_len_for`, every frame length and every header the format allows (short
//! frames, large contexts, many EDKs) encrypts and decrypts, and one byte less is refused.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod common;

use coffer_core::EncryptionContext;
use coffer_core::data::{ContextError, MAX_CONTEXT_ENCODED_LEN};
use coffer_core::message::{
    AlgorithmSuite, EncryptError, EncryptionMaterials, Encryptor, Keyring, Limits, MaterialsError, MultiKeyring,
    RawAesKeyring,
};
use common::{TestRng, decrypt_with, plaintext, suites};

/// Encrypts `pt` through a workspace of exactly `workspace_len_for` bytes (checking that one
/// byte less is refused when the header is what sets the size), then decrypts it.
fn round_trip<K: Keyring>(keyring: &mut K, suite: AlgorithmSuite, ctx: &EncryptionContext<'_>, frame: u32, pt: &[u8]) {
    let mut rng = TestRng(9);
    let mut materials = EncryptionMaterials::new(suite, ctx.clone(), Limits::default(), &mut rng).unwrap();
    keyring.on_encrypt(&mut materials, &mut rng).unwrap();
    let len = Encryptor::workspace_len_for(&materials, frame);
    assert!(len >= Encryptor::workspace_len(frame));
    if len > Encryptor::workspace_len(frame) {
        let mut short = vec![0u8; len - 1];
        let refused = Encryptor::with_shared_materials(&materials, frame, &mut rng, &mut short).unwrap_err();
        assert_eq!(refused, EncryptError::WorkspaceTooSmall { needed: len });
    }
    let mut ws = vec![0u8; len];
    let mut enc = Encryptor::with_materials(materials, frame, &mut rng, &mut ws).unwrap();
    let mut msg = vec![0u8; pt.len() * 40 + 200_000];
    let (consumed, mut at) = enc.update(pt, &mut msg).unwrap();
    assert_eq!(consumed, pt.len());
    let (w, done) = enc.finish(&mut msg[at..]).unwrap();
    assert!(done);
    at += w;
    drop(enc);
    let back = decrypt_with(
        RawAesKeyring::new("coffer-test", "key-0", &[0x40; 32]).unwrap(),
        ctx,
        Limits::default(),
        Encryptor::workspace_len(frame) + 140_000,
        &msg[..at],
        4096,
        4096,
    );
    assert!(back.unwrap() == pt, "{suite:?} frame {frame}: another plaintext came back");
}

fn keyring(i: u8) -> RawAesKeyring<'static> {
    let name: &'static str =
        ["key-0", "key-1", "key-2", "key-3", "key-4", "key-5", "key-6", "key-7", "key-8", "key-9"][usize::from(i)];
    RawAesKeyring::new("coffer-test", name, &[0x40 + i; 32]).unwrap()
}

#[test]
fn any_frame_length_with_one_key_and_no_context() {
    let pt = plaintext(700);
    for suite in suites() {
        for frame in [1, 2, 219, 220, 221, 314, 315, 316, 4096, 1 << 20] {
            round_trip(&mut keyring(0), suite, &EncryptionContext::empty(), frame, &pt);
        }
    }
}

#[test]
fn many_keys_and_large_contexts_at_any_frame_length() {
    let pt = plaintext(5000);
    let values: Vec<String> = (0..15).map(|i| format!("{i:02}{}", "v".repeat(250))).collect();
    let keys: Vec<String> = (0..1000).map(|i| format!("key{i:04}")).collect();
    let fifteen: Vec<(&str, &str)> = keys.iter().zip(&values).map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let thousand: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "v")).collect();
    let contexts = [EncryptionContext::new(&fifteen).unwrap(), EncryptionContext::new(&thousand).unwrap()];
    for suite in suites() {
        for ctx in &contexts {
            for frame in [1, 316, 4096] {
                let mut five = MultiKeyring::new(keyring(0), [keyring(1), keyring(2), keyring(3), keyring(4)]);
                round_trip(&mut five, suite, ctx, frame, &pt);
                let nine = [1, 2, 3, 4, 5, 6, 7, 8, 9].map(keyring);
                let mut ten = MultiKeyring::new(keyring(0), nine);
                round_trip(&mut ten, suite, ctx, frame, &pt);
            }
        }
    }
}

/// The largest context a message carries (its header's u16 length: 65,535 bytes, the public key
/// pair of `05 78` included) encrypts and decrypts; one byte more is refused.
#[test]
fn the_largest_context_the_format_allows() {
    assert_eq!(MAX_CONTEXT_ENCODED_LEN, 65_535);
    let pt = plaintext(100);
    for suite in suites() {
        // The public key pair: 2 + 21 ("aws-crypto-public-key") + 2 + 68 (base64 of 49 bytes).
        let room = MAX_CONTEXT_ENCODED_LEN - if suite.is_signed() { 93 } else { 0 };
        // 2 (count) + 2 + 1 (key "k") + 2 + value
        let value = "v".repeat(room - 7);
        let ctx = EncryptionContext::new(&[("k", &value)]).unwrap();
        for frame in [1, 4096] {
            round_trip(&mut keyring(0), suite, &ctx, frame, &pt);
        }
        let value = "v".repeat(room - 6);
        let refused = EncryptionContext::new(&[("k", &value)])
            .map_err(|e| EncryptError::Materials(MaterialsError::Context(e)))
            .and_then(|ctx| Ok(EncryptionMaterials::new(suite, ctx, Limits::default(), &mut TestRng(1))?));
        assert_eq!(refused.unwrap_err(), EncryptError::Materials(MaterialsError::Context(ContextError::TooLarge)));
    }
}
