//! The same root key material in both backends: whatever one seals, wraps, authenticates or
//! returns as a blob, the other opens, both ways. The software HSM is the reference the
//! PKCS#11 backend is checked against.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use coffer_conformance::fixture::{self, Env, ctx};
use coffer_core::hsm::{Hsm, RootKeyMaterial};
use coffer_core::{DataKeySpec, EncryptionContext};
use coffer_hsm_soft::SoftHsm;
use common::*;
use getrandom::SysRng;
use rand_core::UnwrapErr;

fn root() -> RootKeyMaterial {
    RootKeyMaterial::new(seq(0x40), seq(0x60))
}

fn soft() -> SoftHsm<UnwrapErr<SysRng>> {
    SoftHsm::with_root_keys(UnwrapErr(SysRng), root())
}

/// Seal in `a`, open in `b`; wrap in `a`, load in `b`; MAC in `a`, verify in `b`.
fn trait_level<A: Hsm, B: Hsm>(a: &mut A, b: &mut B) {
    let wrapped = a.generate_key().unwrap();
    let in_a = a.load_key(&wrapped).unwrap();
    let in_b = b.load_key(&wrapped).unwrap();
    for len in [0, 1, 16, 4096] {
        let plaintext = fixture::pattern(len);
        let mut buf = plaintext.clone();
        let (nonce, tag) = a.seal(in_a, b"interop aad", &mut buf).unwrap();
        b.open(in_b, &nonce, b"interop aad", &mut buf, &tag).unwrap();
        assert_eq!(buf, plaintext, "{len} bytes");
    }
    let mac = a.mac(b"a key record").unwrap();
    b.verify_mac(b"a key record", &mac).unwrap();
    assert_eq!(b.mac(b"a key record").unwrap().0, mac.0);
}

#[test]
fn trait_operations_cross_both_ways() {
    let (_token, mut pkcs11) = hsm_with_root(&root());
    let mut soft = soft();
    trait_level(&mut soft, &mut pkcs11);
    trait_level(&mut pkcs11, &mut soft);
}

/// Every façade operation that returns a blob, made over `maker`; then every blob opened over
/// `opener` with the same store (whose records the same root authenticates).
fn facade_level<A: Hsm, B: Hsm>(maker: A, opener: B) {
    let mut env = Env::memory::<40>();
    let context = ctx(&[("tenant", "acme"), ("purpose", "interop")]);
    let other: EncryptionContext<'_> = ctx(&[("tenant", "other")]);
    let (key, second, blob, data_key, without, re_encrypted) = {
        let mut kms = env.kms(maker);
        let key = fixture::text(&fixture::create(&mut kms));
        let second = fixture::text(&fixture::create(&mut kms));
        let blob = fixture::encrypt(&mut kms, &key, b"encrypt", &context);
        let data_key = kms.generate_data_key(&key, DataKeySpec::Aes256, &context).unwrap();
        let without = kms.generate_data_key_without_plaintext(&key, DataKeySpec::Aes128, &context).unwrap();
        let re_encrypted = kms.re_encrypt(blob.as_bytes(), &context, None, &second, &other).unwrap();
        (
            key,
            second,
            blob,
            (data_key.plaintext.as_bytes().to_vec(), data_key.ciphertext_blob),
            without.ciphertext_blob,
            re_encrypted.ciphertext_blob,
        )
    };
    let mut kms = env.kms(opener);
    assert_eq!(fixture::decrypt(&mut kms, blob.as_bytes(), &context), b"encrypt");
    assert_eq!(fixture::decrypt(&mut kms, data_key.1.as_bytes(), &context), data_key.0);
    assert_eq!(fixture::decrypt(&mut kms, without.as_bytes(), &context).len(), 16);
    assert_eq!(fixture::decrypt(&mut kms, re_encrypted.as_bytes(), &other), b"encrypt");
    // And the other way within the opener: its own blobs under the maker's keys.
    let mine = fixture::encrypt(&mut kms, &second, b"opener", &other);
    assert_eq!(fixture::decrypt(&mut kms, mine.as_bytes(), &other), b"opener");
    let moved = kms.re_encrypt(re_encrypted.as_bytes(), &other, Some(&second), &key, &context).unwrap();
    assert_eq!(fixture::decrypt(&mut kms, moved.ciphertext_blob.as_bytes(), &context), b"encrypt");
}

#[test]
fn facade_blobs_from_soft_open_in_pkcs11() {
    let (_token, pkcs11) = hsm_with_root(&root());
    facade_level(soft(), pkcs11);
}

#[test]
fn facade_blobs_from_pkcs11_open_in_soft() {
    let (_token, pkcs11) = hsm_with_root(&root());
    facade_level(pkcs11, soft());
}

/// With different roots nothing crosses: the same records are refused as corrupt.
#[test]
fn different_roots_do_not_interoperate() {
    let (_token, mut pkcs11) = hsm_with_root(&RootKeyMaterial::new(seq(0x80), seq(0xa0)));
    let mut soft = soft();
    let wrapped = soft.generate_key().unwrap();
    assert_eq!(
        coffer_core::HsmError::kind(&pkcs11.load_key(&wrapped).unwrap_err()),
        coffer_core::ErrorKind::AuthenticationFailed
    );
    let mac = soft.mac(b"record").unwrap();
    assert_eq!(
        coffer_core::HsmError::kind(&pkcs11.verify_mac(b"record", &mac).unwrap_err()),
        coffer_core::ErrorKind::AuthenticationFailed
    );
}
