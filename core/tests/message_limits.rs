//! Every limit at its edge: the last value allowed and the first refused.
// The tests cover both suites: they need the signed one (default feature), and std.
#![cfg(all(feature = "ecdsa-p384", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use coffer_core::EncryptionContext;
use coffer_core::data::ContextError;
use coffer_core::message::{
    AlgorithmSuite, DEFAULT_MAX_EDKS, DecryptError, EncryptConfig, EncryptError, EncryptedDataKey, Encryptor, Header,
    HeaderError, HeaderLimit, KeyringError, Limits, MAX_EDKS, MAX_PROVIDER_ID_LEN, MaterialsError, MultiKeyring,
    RawAesKeyring, RawAesKeyringError,
};
use common::*;
use core::cell::Cell;

const SIGNED: AlgorithmSuite = AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384;
const UNSIGNED: AlgorithmSuite = AlgorithmSuite::AesGcm256HkdfSha512Commit;
const BIG: usize = 1 << 20;

/// A multi-keyring making `n` EDKs (a generator and `n - 1` children under the same key).
fn n_edks<const C: usize>() -> MultiKeyring<RawAesKeyring<'static>, [RawAesKeyring<'static>; C]> {
    MultiKeyring::new(keyring_b(), core::array::from_fn(|_| keyring_a()))
}

fn try_encrypt<K: coffer_core::message::Keyring>(
    keyring: &mut K,
    ctx: EncryptionContext<'_>,
    config: &EncryptConfig,
) -> Result<Vec<u8>, EncryptError> {
    let mut ws = vec![0u8; 1 << 17];
    let mut rng = TestRng(99);
    let mut enc = Encryptor::new(keyring, ctx, config, &mut rng, &mut ws)?;
    let mut out = vec![0u8; 1 << 17];
    let (w, done) = enc.finish(&mut out)?;
    assert!(done);
    Ok(out[..w].to_vec())
}

#[test]
fn edk_count_10_allowed_11_refused_on_encrypt_and_decrypt() {
    assert_eq!(DEFAULT_MAX_EDKS, 10);
    let ctx = EncryptionContext::empty();
    for suite in suites() {
        let ten = try_encrypt(&mut n_edks::<9>(), ctx.clone(), &config(suite, 64)).unwrap();
        assert_eq!(Header::parse(&ten, &Limits::default()).unwrap().0.edks.len(), 10);
        assert_eq!(decrypt_with(keyring_a(), &ctx, Limits::default(), 8192, &ten, BIG, BIG).unwrap(), b"");
        assert_eq!(
            try_encrypt(&mut n_edks::<10>(), ctx.clone(), &config(suite, 64)),
            Err(EncryptError::Keyring(KeyringError::Materials(MaterialsError::TooManyEncryptedDataKeys)))
        );
        // Written under a raised limit, an 11-EDK message is refused by a default reader before
        // any key is tried (the keyring is never called), and accepted by a reader with the
        // limit raised.
        let raised = Limits { max_encrypted_data_keys: 11 };
        let eleven =
            try_encrypt(&mut n_edks::<10>(), ctx.clone(), &EncryptConfig { suite, frame_length: 64, limits: raised })
                .unwrap();
        let calls = Cell::new(0);
        assert_eq!(
            decrypt_with(
                Counting { inner: keyring_a(), calls: &calls },
                &ctx,
                Limits::default(),
                8192,
                &eleven,
                BIG,
                BIG
            ),
            Err(DecryptError::Limit(HeaderLimit::EncryptedDataKeys))
        );
        assert_eq!(calls.get(), 0, "a key was tried for a message over the EDK limit");
        assert_eq!(
            decrypt_with(Counting { inner: keyring_a(), calls: &calls }, &ctx, raised, 8192, &eleven, BIG, BIG)
                .unwrap(),
            b""
        );
        assert_eq!(calls.get(), 1);
    }
}

#[test]
fn edk_limit_setting_is_capped_by_the_build() {
    let limits = Limits { max_encrypted_data_keys: 1000 };
    let config = EncryptConfig { suite: UNSIGNED, frame_length: 64, limits };
    assert!(try_encrypt(&mut n_edks::<{ MAX_EDKS - 1 }>(), EncryptionContext::empty(), &config).is_ok());
    assert!(try_encrypt(&mut n_edks::<MAX_EDKS>(), EncryptionContext::empty(), &config).is_err());
}

fn pairs(n: usize) -> Vec<(String, String)> {
    (0..n).map(|i| (format!("k{i:02}"), "v".to_string())).collect()
}

/// Hosts (`std`) take contexts of any number of pairs, as the SDKs write them: 16, 17 and
/// 1,000 pairs, in both suites (the signed one adds its public key as one more pair).
#[test]
fn contexts_of_more_than_16_pairs_on_hosts() {
    let owned = pairs(1000);
    let refs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    for n in [16, 17, 1000] {
        let ctx = EncryptionContext::new(&refs[..n]).unwrap();
        for suite in suites() {
            let msg = try_encrypt(&mut keyring_a(), ctx.clone(), &config(suite, 64)).unwrap();
            assert_eq!(decrypt(&msg, &ctx).unwrap(), b"");
            let (header, _) = Header::parse(&msg, &Limits::default()).unwrap();
            assert_eq!(header.context.len(), n + usize::from(suite.is_signed()));
        }
    }
}

#[test]
fn context_size_edge_on_encrypt_and_in_a_header() {
    // 2 + 2 + 1 + 2 + v = 65,535 => v = 65,528 (unsigned suite).
    let v = "v".repeat(65_528);
    let ctx = EncryptionContext::new(&[("k", &v)]).unwrap();
    let msg = try_encrypt(&mut keyring_a(), ctx.clone(), &config(UNSIGNED, 64)).unwrap();
    assert_eq!(decrypt(&msg, &ctx).unwrap(), b"");
    // The signed suite adds 4 + 21 + 68 bytes: the same context no longer fits.
    assert_eq!(
        try_encrypt(&mut keyring_a(), ctx, &config(SIGNED, 64)),
        Err(EncryptError::Materials(MaterialsError::Context(ContextError::TooLarge)))
    );
    // A header may state any context length its u16 holds.
    let mut header = vec![0x02, 0x04, 0x78];
    header.extend_from_slice(&[0u8; 32]);
    header.extend_from_slice(&u16::MAX.to_be_bytes());
    assert_eq!(
        Header::parse(&header, &Limits::default()).unwrap_err(),
        HeaderError::Incomplete { needed: 37 + 65_535 }
    );
}

#[test]
fn reserved_context_keys_are_refused() {
    let ctx = EncryptionContext::new(&[("aws-crypto-public-key", "x")]).unwrap();
    for suite in suites() {
        assert_eq!(
            try_encrypt(&mut keyring_a(), ctx.clone(), &config(suite, 64)),
            Err(EncryptError::Materials(MaterialsError::ReservedContextKey))
        );
    }
}

#[test]
fn edk_field_caps_255_allowed_256_refused() {
    let ok = vec![b'n'; MAX_PROVIDER_ID_LEN];
    assert!(EncryptedDataKey::new(&ok, b"", b"").is_ok());
    assert!(EncryptedDataKey::new(&[b'n'; MAX_PROVIDER_ID_LEN + 1], b"", b"").is_err());
    let ns = "n".repeat(255);
    assert!(RawAesKeyring::new(&ns, "k", &KEY_A).is_ok());
    let ns = "n".repeat(256);
    assert_eq!(RawAesKeyring::new(&ns, "k", &KEY_A).unwrap_err(), RawAesKeyringError::Namespace);
    let name = "k".repeat(492);
    assert!(RawAesKeyring::new("ns", &name, &KEY_A).is_ok());
    let name = "k".repeat(493);
    assert_eq!(RawAesKeyring::new("ns", &name, &KEY_A).unwrap_err(), RawAesKeyringError::Name);
    assert_eq!(RawAesKeyring::new("aws-kms", "k", &KEY_A).unwrap_err(), RawAesKeyringError::Namespace);
    assert_eq!(RawAesKeyring::new("ns", "k", &[0u8; 31]).unwrap_err(), RawAesKeyringError::KeyLength);
    // In a header: a provider id of 256 bytes is refused as soon as its length is read.
    let mut header = vec![0x02, 0x04, 0x78];
    header.extend_from_slice(&[0u8; 32]);
    header.extend_from_slice(&[0, 0, 0, 1]); // empty context, one EDK
    header.extend_from_slice(&256u16.to_be_bytes());
    assert_eq!(Header::parse(&header, &Limits::default()).unwrap_err(), HeaderError::Limit(HeaderLimit::EdkField));
    header.truncate(header.len() - 2);
    header.extend_from_slice(&255u16.to_be_bytes());
    assert!(matches!(Header::parse(&header, &Limits::default()), Err(HeaderError::Incomplete { .. })));
}

#[test]
fn raw_aes_keyring_works_with_128_192_and_256_bit_keys() {
    let ctx = EncryptionContext::new(&[("a", "b")]).unwrap();
    for key in [&[7u8; 16][..], &[8u8; 24], &[9u8; 32]] {
        let mut k = RawAesKeyring::new("ns", "name", key).unwrap();
        let msg = encrypt_with(&mut k, &ctx, &config(UNSIGNED, 64), 1, b"hello", 5, 5);
        let k = RawAesKeyring::new("ns", "name", key).unwrap();
        assert_eq!(decrypt_with(k, &ctx, Limits::default(), 4096, &msg, BIG, BIG).unwrap(), b"hello");
    }
}

#[test]
fn workspace_edges_on_encrypt_and_decrypt() {
    let frame = 1000u32;
    let need = Encryptor::workspace_len(frame);
    assert_eq!(need, 24 + 1000 + 16);
    let ctx = EncryptionContext::empty();
    let cfg = config(UNSIGNED, frame);
    let mut rng = TestRng(1);
    let mut ws = vec![0u8; need];
    assert!(Encryptor::new(&mut keyring_a(), ctx.clone(), &cfg, &mut rng, &mut ws).is_ok());
    let mut ws = vec![0u8; need - 1];
    assert_eq!(
        Encryptor::new(&mut keyring_a(), ctx.clone(), &cfg, &mut rng, &mut ws).unwrap_err(),
        EncryptError::WorkspaceTooSmall { needed: need }
    );
    let cfg0 = config(UNSIGNED, 0);
    assert_eq!(
        Encryptor::new(&mut keyring_a(), ctx.clone(), &cfg0, &mut rng, &mut vec![0u8; 4096]).unwrap_err(),
        EncryptError::InvalidFrameLength
    );
    // Decrypt: a workspace of exactly one frame plus 40 bytes suffices; one byte less is refused
    // once the header states the frame length.
    let pt = plaintext(2500);
    let msg = encrypt_with(&mut keyring_a(), &ctx, &cfg, 3, &pt, BIG, BIG);
    assert_eq!(decrypt_with(keyring_a(), &ctx, Limits::default(), need, &msg, 13, 17).unwrap(), pt);
    // Both refusals come before any key is tried: the keyring is never called.
    let calls = Cell::new(0);
    assert_eq!(
        decrypt_with(Counting { inner: keyring_a(), calls: &calls }, &ctx, Limits::default(), need - 1, &msg, 13, 17),
        Err(DecryptError::Limit(HeaderLimit::FrameLength))
    );
    // A header longer than the workspace.
    assert_eq!(
        decrypt_with(Counting { inner: keyring_a(), calls: &calls }, &ctx, Limits::default(), 100, &msg, BIG, BIG),
        Err(DecryptError::Limit(HeaderLimit::HeaderLength))
    );
    assert_eq!(calls.get(), 0, "a key was tried for a message that does not fit the workspace");
}

#[test]
fn encrypt_workspace_must_hold_the_header() {
    let ctx = EncryptionContext::new(&[("k", "v")]).unwrap();
    let cfg = config(UNSIGNED, 16);
    let msg = encrypt_with(&mut keyring_a(), &ctx, &cfg, 1, b"", BIG, BIG);
    let header_len = Header::parse(&msg, &Limits::default()).unwrap().1;
    assert!(header_len > Encryptor::workspace_len(16));
    let mut ws = vec![0u8; header_len];
    assert!(Encryptor::new(&mut keyring_a(), ctx.clone(), &cfg, &mut TestRng(1), &mut ws).is_ok());
    let mut ws = vec![0u8; header_len - 1];
    assert_eq!(
        Encryptor::new(&mut keyring_a(), ctx, &cfg, &mut TestRng(1), &mut ws).unwrap_err(),
        EncryptError::WorkspaceTooSmall { needed: header_len }
    );
}
