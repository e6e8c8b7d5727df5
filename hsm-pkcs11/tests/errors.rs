//! Every failure the backend reports: the kind, and the CKR code where the token gave one.
//! Each test disturbs its own token from a second session (or, for a closed session, with the
//! one PKCS#11 call cryptoki does not wrap) and checks what the backend then says.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use coffer_core::hsm::{ErrorKind, Hsm, HsmError};
use coffer_hsm_pkcs11::cryptoki::error::RvError;
use coffer_hsm_pkcs11::cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass};
use coffer_hsm_pkcs11::{Pin, Pkcs11Error, Pkcs11Hsm};
use common::*;

/// The error of a result that must have failed.
fn err<T: core::fmt::Debug>(r: Result<T, Pkcs11Error>) -> Pkcs11Error {
    r.expect_err("expected an error")
}

/// Checks kind and CKR code (`None`: no PKCS#11 code, the failure is Coffer's own finding).
fn assert_error(e: &Pkcs11Error, kind: ErrorKind, ckr: Option<u64>) {
    assert_eq!((e.kind(), e.ckr()), (kind, ckr), "{e}");
}

#[test]
fn missing_module_is_unavailable() {
    let token = fresh_token();
    let mut config = token.config();
    config.module = "/nonexistent/libno-such-pkcs11.so".into();
    let e = err(Pkcs11Hsm::open(config));
    assert_error(&e, ErrorKind::Unavailable, None);
    assert!(e.to_string().contains("/nonexistent/libno-such-pkcs11.so"), "{e}");

    // A file that is not a PKCS#11 module at all.
    let mut config = token.config();
    config.module = setup().conf.clone();
    assert_error(&err(Pkcs11Hsm::open(config)), ErrorKind::Unavailable, None);
}

#[test]
fn token_that_is_not_there_is_unavailable() {
    let token = fresh_token();
    let mut config = token.config();
    config.token_label = "no-such-token".into();
    let e = err(Pkcs11Hsm::open(config));
    assert_error(&e, ErrorKind::Unavailable, None);
    assert!(e.to_string().contains("no token has the label \"no-such-token\""), "{e}");
}

/// Login is per token and process: a second instance would share the first one's login
/// whatever PIN it gives, so the backend compares PINs itself.
#[test]
fn wrong_pin_is_refused_while_logged_in() {
    let token = fresh_token();
    let _logged_in = token.open();
    let mut config = token.config();
    config.pin = Pin::new("not-the-pin");
    let e = err(Pkcs11Hsm::open(config));
    assert_error(&e, ErrorKind::PinIncorrect, None);
    assert!(e.to_string().contains("differs from the one this process is logged in with"), "{e}");
    token.open();
}

#[test]
fn wrong_pin_is_pin_incorrect() {
    let token = fresh_token();
    let mut config = token.config();
    config.pin = Pin::new("not-the-pin");
    let e = err(Pkcs11Hsm::open(config));
    assert_error(&e, ErrorKind::PinIncorrect, Some(0xA0));
    assert_eq!(e.rv(), Some(RvError::PinIncorrect));
    assert!(!e.to_string().contains("not-the-pin"));
}

/// SoftHSMv2 2.6.1 never locks a user PIN: twenty wrong logins all answer CKR_PIN_INCORRECT,
/// and the right PIN still works. (A token that does lock answers CKR_PIN_LOCKED, which the
/// backend reports as `PinLocked`: `tests/pin_lock.rs` shows it through a module that adds a
/// retry counter to SoftHSMv2.)
#[test]
fn repeated_wrong_pins_on_softhsm() {
    let token = fresh_token();
    for _ in 0..20 {
        let mut config = token.config();
        config.pin = Pin::new("not-the-pin");
        assert_error(&err(Pkcs11Hsm::open(config)), ErrorKind::PinIncorrect, Some(0xA0));
    }
    token.open();
}

#[test]
fn closed_session_is_session_closed() {
    let token = fresh_token();
    let mut hsm = token.open();
    hsm.create_root_keys().unwrap();
    close_all_sessions(token.slot.id());
    assert_error(&err(hsm.fill_random(&mut [0u8; 16])), ErrorKind::SessionClosed, Some(0xB3));
    assert_error(&err(hsm.mac(b"record")), ErrorKind::SessionClosed, Some(0xB3));
    // A new instance opens a new session and works.
    let mut again = token.open();
    again.mac(b"record").unwrap();
}

#[test]
fn logged_out_token_is_not_logged_in() {
    let token = fresh_token();
    let mut hsm = token.open();
    hsm.create_root_keys().unwrap();
    // Login is per token: a logout from any session of the process logs every session out.
    token.session().logout().unwrap();
    // SoftHSMv2 hides private objects from a logged-out session and answers
    // CKR_OBJECT_HANDLE_INVALID; the backend tells it from a removed key by the session state.
    let e = err(hsm.mac(b"record"));
    assert_eq!(e.kind(), ErrorKind::NotLoggedIn, "{e}");
    assert_eq!((e.rv(), e.ckr()), (Some(RvError::ObjectHandleInvalid), Some(0x82)), "{e}");
    let e = err(hsm.generate_key());
    assert_eq!(e.kind(), ErrorKind::NotLoggedIn, "{e}");
    // Generating a private session key needs the login: the token's own code this time.
    assert_eq!((e.rv(), e.ckr()), (Some(RvError::UserNotLoggedIn), Some(0x101)), "{e}");
    // Logged in again (a new instance logs in), the first instance works again: SoftHSMv2 gives
    // private objects new handles after a logout, and the backend looks its root up anew.
    let _again = token.open();
    hsm.mac(b"record").unwrap();
    let wrapped = hsm.generate_key().unwrap();
    hsm.load_key(&wrapped).unwrap();
}

#[test]
fn removed_root_keys_are_root_keys_not_found() {
    let token = fresh_token();
    let mut a = token.open();
    a.create_root_keys().unwrap();
    let mut b = token.open();
    let session = token.session();
    let generating = || session.find_objects(&[Attribute::Label(b"coffer-generating".to_vec())]).unwrap().len();
    // Root keys are not destroyable: the token loses them instead.
    token.lose_root_key(true);
    // The backend looks the root up again once, finds it gone, and reports the token's code.
    let e = err(a.generate_key());
    assert_eq!(e.kind(), ErrorKind::RootKeysNotFound, "{e}");
    assert_eq!(e.rv(), Some(RvError::WrappingKeyHandleInvalid), "{e}");
    assert_eq!(e.ckr(), Some(0x113), "{e}");
    assert_eq!(generating(), 0, "the key being generated was destroyed on the error path");
    // From then on the instance has no root.
    assert_error(&err(a.mac(b"record")), ErrorKind::RootKeysNotFound, None);

    token.lose_root_key(false);
    let e = err(b.mac(b"record"));
    assert_eq!(e.kind(), ErrorKind::RootKeysNotFound, "{e}");
    assert_eq!(e.rv(), Some(RvError::ObjectHandleInvalid), "{e}");
    assert_eq!(e.ckr(), Some(0x82), "{e}");

    // A new instance finds no root: every root operation says so, with no PKCS#11 code.
    let mut fresh = token.open();
    assert_error(&err(fresh.find_root_keys()), ErrorKind::RootKeysNotFound, None);
    assert_error(&err(fresh.mac(b"record")), ErrorKind::RootKeysNotFound, None);
    assert_error(&err(fresh.generate_key()), ErrorKind::RootKeysNotFound, None);
}

#[test]
fn half_made_root_is_named() {
    let token = fresh_token();
    token.open().create_root_keys().unwrap();
    token.lose_root_key(false);
    let mut hsm = token.open();
    let e = err(hsm.find_root_keys());
    assert_error(&e, ErrorKind::RootKeysNotFound, None);
    assert!(e.to_string().contains("only one of the two root keys"), "{e}");
    // And it is not silently completed or replaced.
    assert_error(&err(hsm.create_root_keys()), ErrorKind::RootKeysExist, None);
}

#[test]
fn removed_loaded_key_is_key_handle_invalid_and_reloads() {
    let token = fresh_token();
    let mut hsm = token.open();
    hsm.create_root_keys().unwrap();
    let wrapped = hsm.generate_key().unwrap();
    let handle = hsm.load_key(&wrapped).unwrap();
    let mut buf = *b"some plaintext";
    let (nonce, tag) = hsm.seal(handle, b"aad", &mut buf).unwrap();

    // Session objects are visible to every session of the process: remove it from another.
    let session = token.session();
    let loaded = session
        .find_objects(&[Attribute::Class(ObjectClass::SECRET_KEY), Attribute::Label(b"coffer-loaded".to_vec())])
        .unwrap();
    assert_eq!(loaded.len(), 1);
    session.destroy_object(loaded[0]).unwrap();

    let e = err(hsm.seal(handle, b"aad", &mut [0u8; 4]));
    assert_eq!(e.kind(), ErrorKind::KeyHandleInvalid, "{e}");
    assert!(matches!(e.ckr(), Some(0x60 | 0x82)), "a key or object handle code: {e}");
    // The cache forgot it: the handle stays invalid, and a new load unwraps again and works.
    assert_error(&err(hsm.seal(handle, b"aad", &mut [0u8; 4])), ErrorKind::KeyHandleInvalid, None);
    assert_eq!(hsm.unwrap_count(), 1);
    let again = hsm.load_key(&wrapped).unwrap();
    assert_eq!(hsm.unwrap_count(), 2);
    hsm.open(again, &nonce, b"aad", &mut buf, &tag).unwrap();
    assert_eq!(&buf, b"some plaintext");
}

#[test]
fn root_keys_are_never_replaced() {
    let token = fresh_token();
    let mut hsm = token.open();
    hsm.create_root_keys().unwrap();
    let mac = hsm.mac(b"record").unwrap();
    assert_error(&err(hsm.create_root_keys()), ErrorKind::RootKeysExist, None);
    assert_error(&err(hsm.import_root_keys(&known_root())), ErrorKind::RootKeysExist, None);
    let mut other = token.open();
    assert_error(&err(other.create_root_keys()), ErrorKind::RootKeysExist, None);
    // Still the same root.
    other.verify_mac(b"record", &mac).unwrap();
}

/// The attributes of a good imported root wrapping key, less the unwrap template (which tests
/// cannot build: see below).
fn wrapping_template() -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Modifiable(false),
        Attribute::Wrap(true),
        Attribute::Unwrap(true),
        Attribute::Sign(false),
        Attribute::Verify(false),
        Attribute::Encrypt(false),
        Attribute::Decrypt(false),
        Attribute::Derive(false),
        Attribute::Label(b"coffer-root-wrapping".to_vec()),
        Attribute::Value(vec![0x11; 32]),
    ]
}

fn sealing_template() -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::GENERIC_SECRET),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Modifiable(false),
        Attribute::Wrap(false),
        Attribute::Unwrap(false),
        Attribute::Sign(true),
        Attribute::Verify(true),
        Attribute::Encrypt(false),
        Attribute::Decrypt(false),
        Attribute::Derive(false),
        Attribute::Label(b"coffer-root-sealing".to_vec()),
        Attribute::Value(vec![0x22; 32]),
    ]
}

/// `template` with the attribute of `change`'s type replaced by `change`.
fn with(mut template: Vec<Attribute>, change: &Attribute) -> Vec<Attribute> {
    let slot = template.iter_mut().find(|a| a.attribute_type() == change.attribute_type()).unwrap();
    *slot = change.clone();
    template
}

/// A look-alike root that differs from Coffer's template in one attribute is refused, each
/// attribute in turn; one right in every attribute but without the unwrap template is refused
/// for that. (Imported roots are accepted here so that only the changed attribute matters.)
#[test]
fn root_key_differing_in_one_attribute_is_refused() {
    let changes = [
        ("wrapping", Attribute::Sensitive(false)),
        ("wrapping", Attribute::Extractable(true)),
        ("wrapping", Attribute::Modifiable(true)),
        ("wrapping", Attribute::Private(false)),
        ("wrapping", Attribute::Encrypt(true)),
        ("wrapping", Attribute::Decrypt(true)),
        ("wrapping", Attribute::Sign(true)),
        ("wrapping", Attribute::Derive(true)),
        ("wrapping", Attribute::Value(vec![0x11; 16])),
        ("sealing", Attribute::Sensitive(false)),
        ("sealing", Attribute::Extractable(true)),
        ("sealing", Attribute::Modifiable(true)),
        ("sealing", Attribute::Wrap(true)),
        ("sealing", Attribute::Encrypt(true)),
        ("sealing", Attribute::Derive(true)),
        ("sealing", Attribute::Value(vec![0x22; 64])),
    ];
    for (which, change) in &changes {
        let token = fresh_token();
        let session = token.session();
        let (wrapping, sealing) = match *which {
            "wrapping" => (with(wrapping_template(), change), sealing_template()),
            _ => (wrapping_template(), with(sealing_template(), change)),
        };
        session.create_object(&wrapping).unwrap();
        session.create_object(&sealing).unwrap();
        let mut config = token.config();
        config.accept_imported_root_keys = true;
        let e = err(Pkcs11Hsm::open(config));
        assert_error(&e, ErrorKind::Device, None);
        assert!(e.to_string().contains("unsafe or unexpected attributes"), "{which} {change:?}: {e}");
    }

    // Right in every attribute, but no unwrap template: the root would unwrap keys as
    // extractable.
    let token = fresh_token();
    let session = token.session();
    session.create_object(&wrapping_template()).unwrap();
    session.create_object(&sealing_template()).unwrap();
    let mut config = token.config();
    config.accept_imported_root_keys = true;
    let e = err(Pkcs11Hsm::open(config));
    assert!(e.to_string().contains("no (or another) unwrap template"), "{e}");
}

/// A root imported with `import_root_keys` is accepted later only if the configuration says so.
#[test]
fn imported_root_is_accepted_only_on_purpose() {
    let (token, _hsm) = hsm_with_root(&known_root());
    let e = err(Pkcs11Hsm::open(token.config()));
    assert!(e.to_string().contains("unsafe or unexpected attributes"), "{e}");
    let mut config = token.config();
    config.accept_imported_root_keys = true;
    let mut hsm = Pkcs11Hsm::open(config).unwrap();
    hsm.mac(b"record").unwrap();
}

/// The user PIN grants use of the keys, not their bytes: a key version wrapped under the root
/// cannot be unwrapped as extractable, nor as a token object, by any session (CKA_UNWRAP_TEMPLATE).
#[test]
fn root_refuses_to_unwrap_an_extractable_key() {
    let token = fresh_token();
    let mut hsm = token.open();
    hsm.create_root_keys().unwrap();
    let wrapped = hsm.generate_key().unwrap();
    let session = token.session();
    let root = session
        .find_objects(&[Attribute::Class(ObjectClass::SECRET_KEY), Attribute::Label(b"coffer-root-wrapping".to_vec())])
        .unwrap()[0];
    use coffer_hsm_pkcs11::cryptoki::mechanism::Mechanism;
    let base = [Attribute::Class(ObjectClass::SECRET_KEY), Attribute::KeyType(KeyType::AES)];
    for extra in [
        vec![Attribute::Sensitive(false), Attribute::Extractable(true)],
        vec![Attribute::Extractable(true)],
        vec![Attribute::Token(true)],
        vec![Attribute::Wrap(true)],
    ] {
        let template: Vec<Attribute> = base.iter().cloned().chain(extra.iter().cloned()).collect();
        let r = session.unwrap_key(&Mechanism::AesKeyWrapPad, root, wrapped.as_bytes(), &template);
        assert!(r.is_err(), "unwrapped with {extra:?}");
    }
    // Only what the unwrap template says goes through (SoftHSMv2 even wants it spelled out).
    assert!(session.unwrap_key(&Mechanism::AesKeyWrapPad, root, wrapped.as_bytes(), &base).is_err());
    let mut allowed = base.to_vec();
    allowed.extend([
        Attribute::Token(false),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Encrypt(true),
        Attribute::Decrypt(true),
        Attribute::Wrap(false),
        Attribute::Unwrap(false),
        Attribute::Sign(false),
        Attribute::Verify(false),
        Attribute::Derive(false),
    ]);
    let loaded = session.unwrap_key(&Mechanism::AesKeyWrapPad, root, wrapped.as_bytes(), &allowed).unwrap();
    let attrs = session.get_attributes(loaded, &[AttributeType::Sensitive, AttributeType::Extractable]).unwrap();
    assert_eq!(attrs, [Attribute::Sensitive(true), Attribute::Extractable(false)]);
}

#[test]
fn bad_configuration_is_invalid_input() {
    let token = fresh_token();
    let mut config = token.config();
    config.label_prefix = String::new();
    assert_error(&err(Pkcs11Hsm::open(config)), ErrorKind::InvalidInput, None);
    let mut config = token.config();
    config.key_cache_capacity = 0;
    assert_error(&err(Pkcs11Hsm::open(config)), ErrorKind::InvalidInput, None);
    let mut config = token.config();
    config.key_cache_capacity = coffer_hsm_pkcs11::MAX_KEY_CACHE + 1;
    assert_error(&err(Pkcs11Hsm::open(config)), ErrorKind::InvalidInput, None);
    let mut config = token.config();
    config.key_cache_capacity = coffer_hsm_pkcs11::MAX_KEY_CACHE;
    assert!(Pkcs11Hsm::open(config).is_ok(), "the largest cache is accepted");
}

/// C_CloseAllSessions on `slot`, which cryptoki 0.12 does not wrap: the module is already
/// loaded in this process, so loading it again returns the same library and its state.
fn close_all_sessions(slot: u64) {
    use cryptoki_sys::{CK_FUNCTION_LIST_PTR, CK_RV, CKR_OK};
    let module = &setup().module;
    // SAFETY: the module is the PKCS#11 library the backend already loaded and initialized;
    // C_GetFunctionList and C_CloseAllSessions are called with the signatures of the PKCS#11
    // header (cryptoki-sys), and the function list stays valid while the library is loaded
    // (it is never unloaded: the backend keeps its own handle for the life of the process).
    #[allow(unsafe_code)]
    unsafe {
        let library = libloading::Library::new(module).unwrap();
        let get: libloading::Symbol<'_, unsafe extern "C" fn(*mut CK_FUNCTION_LIST_PTR) -> CK_RV> =
            library.get(b"C_GetFunctionList").unwrap();
        let mut list: CK_FUNCTION_LIST_PTR = core::ptr::null_mut();
        assert_eq!(get(&mut list), CKR_OK);
        let close = (*list).C_CloseAllSessions.unwrap();
        assert_eq!(close(slot), CKR_OK);
    }
}
