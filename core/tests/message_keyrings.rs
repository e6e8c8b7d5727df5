//! Keyring rules of the spec, the raw AES keyring's EDK layout, and redaction of secrets.
// The tests cover both suites: they need the signed one (default feature), and std.
#![cfg(all(feature = "ecdsa-p384", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use coffer_core::EncryptionContext;
use coffer_core::message::{
    AlgorithmSuite, DataKey, DecryptionMaterials, EncryptionMaterials, Header, Keyring, KeyringError, Limits,
    MaterialsError, MultiKeyring, RawAesKeyring,
};
use common::*;

fn materials(suite: AlgorithmSuite) -> EncryptionMaterials<'static> {
    let ctx = EncryptionContext::new(&[("k", "v")]).unwrap();
    EncryptionMaterials::new(suite, ctx, Limits::default(), &mut TestRng(1)).unwrap()
}

#[test]
fn multi_keyring_follows_the_spec_on_encrypt() {
    let suite = AlgorithmSuite::AesGcm256HkdfSha512Commit;
    // No generator and no data key: refused.
    let mut m = materials(suite);
    let mut wrap_only = MultiKeyring::<RawAesKeyring<'static>, _>::without_generator([keyring_a()]);
    assert_eq!(wrap_only.on_encrypt(&mut m, &mut TestRng(2)), Err(KeyringError::NoDataKey));
    // A generator with a data key already present: refused.
    let mut m = materials(suite);
    m.set_data_key(DataKey::from_slice(&[1; 32]).unwrap()).unwrap();
    let mut multi = MultiKeyring::new(keyring_a(), [keyring_b()]);
    assert_eq!(
        multi.on_encrypt(&mut m, &mut TestRng(3)),
        Err(KeyringError::Materials(MaterialsError::DataKeyAlreadySet))
    );
    // Without a generator, an existing key is wrapped by every child.
    assert!(wrap_only.on_encrypt(&mut m, &mut TestRng(4)).is_ok());
    assert_eq!(m.encrypted_data_keys().len(), 1);
    // A plain raw AES keyring generates, then wraps.
    let mut m = materials(suite);
    keyring_a().on_encrypt(&mut m, &mut TestRng(5)).unwrap();
    keyring_b().on_encrypt(&mut m, &mut TestRng(6)).unwrap();
    assert_eq!(m.encrypted_data_keys().len(), 2);
    assert_eq!(m.set_data_key(DataKey::zeroed()), Err(MaterialsError::DataKeyAlreadySet));
}

#[test]
fn keyrings_refuse_decryption_materials_that_hold_a_key() {
    let ctx = EncryptionContext::empty();
    let mut d = DecryptionMaterials::new(AlgorithmSuite::AesGcm256HkdfSha512Commit, ctx, &[]);
    d.set_data_key(DataKey::zeroed()).unwrap();
    assert!(keyring_a().on_decrypt(&mut d, &[]).is_err());
    assert!(MultiKeyring::new(keyring_a(), [keyring_b()]).on_decrypt(&mut d, &[]).is_err());
}

#[test]
fn raw_aes_edk_layout_is_the_specs() {
    let ctx = EncryptionContext::new(&[("k", "v")]).unwrap();
    let msg = encrypt(AlgorithmSuite::AesGcm256HkdfSha512Commit, 64, &ctx, b"x");
    let (header, _) = Header::parse(&msg, &Limits::default()).unwrap();
    let edk = header.edks[0];
    assert_eq!(edk.provider_id, b"coffer-test");
    assert_eq!(&edk.provider_info[..5], b"key-a");
    assert_eq!(&edk.provider_info[5..13], &[0, 0, 0, 0x80, 0, 0, 0, 12]);
    assert_eq!(edk.provider_info.len(), 5 + 8 + 12);
    assert_eq!(edk.ciphertext.len(), 48);
}

/// True if `shown` holds the bytes `a0 a1 a2 ...` in any form Debug or a hex dump prints them:
/// decimal (`160, 161`, also one per line with `{:#?}`), hex (`a0a1a2`, `0xa0`, `a0, a1`).
fn leaks_counting_key(shown: &str) -> bool {
    let squeezed: String = shown.to_lowercase().chars().filter(|c| !c.is_whitespace()).collect();
    ["160,161,162", "a0a1a2", "0xa0,0xa1", "a0,a1,a2"].iter().any(|p| squeezed.contains(p))
}

#[test]
fn secrets_never_show_in_debug() {
    let key: [u8; 32] = core::array::from_fn(|i| 0xA0 + u8::try_from(i).unwrap());
    // The detector finds the key wherever a careless Debug would put it.
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    for careless in [format!("{key:?}"), format!("{key:#?}"), format!("{key:x?}"), format!("{key:#x?}"), hex] {
        assert!(leaks_counting_key(&careless), "{careless}");
    }
    let keyring = RawAesKeyring::new("ns", "name", &key).unwrap();
    for shown in [format!("{keyring:?}"), format!("{keyring:#?}")] {
        assert!(!leaks_counting_key(&shown), "{shown}");
    }
    let dk = DataKey::from_slice(&key).unwrap();
    assert_eq!(format!("{dk:?}"), "DataKey([REDACTED])");
    assert_eq!(format!("{dk:#?}"), "DataKey([REDACTED])");
    let mut m = materials(AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384);
    m.set_data_key(DataKey::from_slice(&key).unwrap()).unwrap();
    for shown in [format!("{m:?}"), format!("{m:#?}")] {
        assert!(shown.contains("REDACTED") && !leaks_counting_key(&shown), "{shown}");
    }
}

#[test]
fn encryptor_from_prepared_materials() {
    for suite in suites() {
        let ctx = EncryptionContext::new(&[("k", "v")]).unwrap();
        let mut rng = TestRng(8);
        let mut m = EncryptionMaterials::new(suite, ctx.clone(), Limits::default(), &mut rng).unwrap();
        let mut ws = vec![0u8; 4096];
        // Without a data key and EDKs: refused.
        assert_eq!(
            coffer_core::message::Encryptor::with_materials(m, 64, &mut rng, &mut ws).unwrap_err(),
            coffer_core::message::EncryptError::NoDataKey
        );
        m = EncryptionMaterials::new(suite, ctx.clone(), Limits::default(), &mut rng).unwrap();
        keyring_a().on_encrypt(&mut m, &mut rng).unwrap();
        let mut enc = coffer_core::message::Encryptor::with_materials(m, 64, &mut rng, &mut ws).unwrap();
        let mut out = vec![0u8; 4096];
        let (_, mut n) = enc.update(b"prepared", &mut out).unwrap();
        let (w, done) = enc.finish(&mut out[n..]).unwrap();
        assert!(done);
        n += w;
        drop(enc);
        assert_eq!(decrypt(&out[..n], &ctx).unwrap(), b"prepared");
    }
}

/// One set of materials (data key, EDKs, signing key) serves several messages, as a cache
/// would use it; each message has its own id, and each decrypts.
#[test]
fn shared_materials_serve_several_messages() {
    for suite in suites() {
        let ctx = EncryptionContext::new(&[("k", "v")]).unwrap();
        let mut rng = TestRng(10);
        let mut m = EncryptionMaterials::new(suite, ctx.clone(), Limits::default(), &mut rng).unwrap();
        keyring_a().on_encrypt(&mut m, &mut rng).unwrap();
        let mut messages = Vec::new();
        for i in 0..3u8 {
            let mut ws = vec![0u8; 4096];
            let mut enc = coffer_core::message::Encryptor::with_shared_materials(&m, 64, &mut rng, &mut ws).unwrap();
            let mut out = vec![0u8; 4096];
            let (_, mut n) = enc.update(&[i; 100], &mut out).unwrap();
            let (w, done) = enc.finish(&mut out[n..]).unwrap();
            assert!(done);
            n += w;
            drop(enc);
            out.truncate(n);
            assert_eq!(decrypt(&out, &ctx).unwrap(), vec![i; 100]);
            messages.push(out);
        }
        let ids: Vec<_> = messages.iter().map(|m| Header::parse(m, &Limits::default()).unwrap().0.message_id).collect();
        assert!(ids[0] != ids[1] && ids[1] != ids[2], "message ids repeat");
    }
}

#[test]
fn decryptor_names_the_message_once_its_header_verified() {
    let ctx = EncryptionContext::new(&[("k", "v")]).unwrap();
    let msg = encrypt(AlgorithmSuite::AesGcm256HkdfSha512Commit, 64, &ctx, b"id");
    let (header, h) = Header::parse(&msg, &Limits::default()).unwrap();
    let mut ws = vec![0u8; 4096];
    let mut dec = coffer_core::message::Decryptor::new(keyring_a(), ctx, Limits::default(), &mut ws);
    let mut out = [0u8; 16];
    dec.update(&msg[..h - 1], &mut out).unwrap();
    assert_eq!(dec.message_id(), None);
    dec.update(&msg[h - 1..h], &mut out).unwrap();
    assert_eq!(dec.message_id(), Some(&header.message_id));
}
