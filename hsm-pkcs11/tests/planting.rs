//! Planting a key of known value under the root, with the user PIN: what the root's
//! CKA_WRAP_TEMPLATE refuses, and exactly what still works on SoftHSMv2 2.6.1
//! (docs/PKCS11.md, "What a PIN holder can still do").
//!
//! The attack: someone with the user PIN wraps a key they know under the root wrapping key and
//! writes the result into a key record as a new version (they can MAC the record with the root
//! sealing key too); every later encryption under that key is then readable offline.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use coffer_core::hsm::{Hsm, WrappedKey};
use coffer_hsm_pkcs11::RootProtection;
use coffer_hsm_pkcs11::cryptoki::error::{Error, RvError};
use coffer_hsm_pkcs11::cryptoki::mechanism::Mechanism;
use coffer_hsm_pkcs11::cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use coffer_hsm_pkcs11::cryptoki::session::Session;
use common::*;

fn root_wrapping(session: &Session) -> ObjectHandle {
    let found = session
        .find_objects(&[Attribute::Class(ObjectClass::SECRET_KEY), Attribute::Label(b"coffer-root-wrapping".to_vec())])
        .unwrap();
    assert_eq!(found.len(), 1);
    found[0]
}

fn aes_session_key(extra: &[Attribute]) -> Vec<Attribute> {
    let mut template =
        vec![Attribute::Class(ObjectClass::SECRET_KEY), Attribute::KeyType(KeyType::AES), Attribute::Token(false)];
    template.extend_from_slice(extra);
    template
}

fn refused_as_not_wrappable<T: core::fmt::Debug>(r: Result<T, Error>) {
    match r {
        Err(Error::Pkcs11(RvError::KeyNotWrappable, _)) => {}
        other => panic!("expected CKR_KEY_NOT_WRAPPABLE, got {other:?}"),
    }
}

/// A key of known value (C_CreateObject), or one generated readable (CKA_SENSITIVE false), is
/// refused by the root: CKR_KEY_NOT_WRAPPABLE.
#[test]
fn a_key_of_known_value_cannot_be_wrapped_under_the_root() {
    let token = fresh_token();
    let mut hsm = token.open();
    hsm.create_root_keys().unwrap();
    assert_eq!(hsm.root_protection(), Some(RootProtection::FULL));
    let session = token.session();
    let root = root_wrapping(&session);

    let known = session
        .create_object(&aes_session_key(&[
            Attribute::Sensitive(true),
            Attribute::Extractable(true),
            Attribute::Value(vec![0x42; 32]),
        ]))
        .unwrap();
    refused_as_not_wrappable(session.wrap_key(&Mechanism::AesKeyWrapPad, root, known));

    let readable = session
        .generate_key(
            &Mechanism::AesKeyGen,
            &aes_session_key(&[
                Attribute::Sensitive(false),
                Attribute::Extractable(true),
                Attribute::ValueLen(32.into()),
            ]),
        )
        .unwrap();
    refused_as_not_wrappable(session.wrap_key(&Mechanism::AesKeyWrapPad, root, readable));

    // Coffer's own path still works.
    let wrapped = hsm.generate_key().unwrap();
    hsm.load_key(&wrapped).unwrap();
}

/// What still works, and why docs/PKCS11.md says so: a key generated in the token, sensitive
/// and extractable, passes the wrap template; being extractable, it can also be wrapped under
/// a key the attacker made, and unwrapped from there as readable. SoftHSMv2 cannot close this:
/// the fix (CKA_WRAP_WITH_TRUSTED on the key, CKA_TRUSTED on the root) needs a root that is
/// both private and trusted, and only the SO may set CKA_TRUSTED while only the user may make
/// private objects.
#[test]
fn a_generated_extractable_key_can_still_be_planted() {
    let token = fresh_token();
    let mut hsm = token.open();
    hsm.create_root_keys().unwrap();
    let session = token.session();
    let root = root_wrapping(&session);

    let planted = session
        .generate_key(
            &Mechanism::AesKeyGen,
            &aes_session_key(&[
                Attribute::Sensitive(true),
                Attribute::Extractable(true),
                Attribute::ValueLen(32.into()),
            ]),
        )
        .unwrap();
    let under_root: [u8; 40] = session.wrap_key(&Mechanism::AesKeyWrapPad, root, planted).unwrap().try_into().unwrap();
    // The attacker's own wrapping key, of known value, with no unwrap template.
    let own = session
        .create_object(&aes_session_key(&[
            Attribute::Wrap(true),
            Attribute::Unwrap(true),
            Attribute::Value(vec![0x07; 32]),
        ]))
        .unwrap();
    let under_own = session.wrap_key(&Mechanism::AesKeyWrapPad, own, planted).unwrap();
    let readable = session
        .unwrap_key(
            &Mechanism::AesKeyWrapPad,
            own,
            &under_own,
            &aes_session_key(&[Attribute::Sensitive(false), Attribute::Extractable(true)]),
        )
        .unwrap();
    let value: [u8; 32] = match session.get_attributes(readable, &[AttributeType::Value]).unwrap().as_slice() {
        [Attribute::Value(v)] => v.as_slice().try_into().unwrap(),
        other => panic!("{other:?}"),
    };

    // Planted as a key version, it seals what the attacker opens offline.
    let handle = hsm.load_key(&WrappedKey(under_root)).unwrap();
    let mut buf = *b"a later secret";
    let (nonce, tag) = hsm.seal(handle, b"aad", &mut buf).unwrap();
    Aes256Gcm::new((&value).into())
        .decrypt_inout_detached((&nonce.0).into(), b"aad", buf.as_mut_slice().into(), (&tag.0).into())
        .unwrap();
    assert_eq!(&buf, b"a later secret");
}

/// The root keys cannot be destroyed through PKCS#11 (CKA_DESTROYABLE false), by anyone with
/// the PIN.
#[test]
fn root_keys_cannot_be_destroyed() {
    let token = fresh_token();
    token.open().create_root_keys().unwrap();
    let session = token.session();
    for label in ["coffer-root-wrapping", "coffer-root-sealing"] {
        let key = session
            .find_objects(&[Attribute::Class(ObjectClass::SECRET_KEY), Attribute::Label(label.as_bytes().to_vec())])
            .unwrap()[0];
        match session.destroy_object(key) {
            Err(Error::Pkcs11(RvError::ActionProhibited, _)) => {}
            other => panic!("{label}: {other:?}"),
        }
    }
    token.open().mac(b"record").unwrap();
}
