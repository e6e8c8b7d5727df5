//! A locked PIN, end to end. SoftHSMv2 2.6.1 has no retry counter, so this test builds a small
//! PKCS#11 module (`tests/shim/pin_lock.c`) that forwards to SoftHSMv2 and locks the user PIN
//! after three wrong logins, as tokens with a retry counter do. The backend loads it like any
//! module.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use coffer_core::hsm::{ErrorKind, HsmError};
use coffer_hsm_pkcs11::cryptoki::error::RvError;
use coffer_hsm_pkcs11::{Pin, Pkcs11Hsm};
use common::*;
use std::path::PathBuf;

/// Compiles the shim against the SoftHSMv2 module under test.
fn build_shim() -> PathBuf {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("pin-lock-{}.so", std::process::id()));
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/shim/pin_lock.c");
    let status = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-O1", "-Wall", "-Werror"])
        .arg(format!("-DSOFTHSM=\"{}\"", setup().module.display()))
        .arg("-o")
        .arg(&out)
        .arg(source)
        .arg("-ldl")
        .status()
        .expect("a C compiler (cc) builds the test module");
    assert!(status.success(), "the shim compiles");
    out
}

#[test]
fn locked_pin_is_pin_locked() {
    let token = fresh_token();
    let shim = build_shim();
    let open = |pin: &str| {
        let mut config = token.config();
        config.module = shim.clone();
        config.pin = Pin::new(pin);
        Pkcs11Hsm::open(config)
    };
    for _ in 0..2 {
        let e = open("not-the-pin").unwrap_err();
        assert_eq!((e.kind(), e.rv(), e.ckr()), (ErrorKind::PinIncorrect, Some(RvError::PinIncorrect), Some(0xA0)));
    }
    let e = open("not-the-pin").unwrap_err();
    assert_eq!((e.kind(), e.rv(), e.ckr()), (ErrorKind::PinLocked, Some(RvError::PinLocked), Some(0xA4)), "{e}");
    assert_eq!(e.to_string(), "PIN locked or expired: C_Login returned PinLocked (CKR 0x000000A4)");
    // Locked: the right PIN is refused too.
    let e = open(USER_PIN).unwrap_err();
    assert_eq!((e.kind(), e.ckr()), (ErrorKind::PinLocked, Some(0xA4)), "{e}");
}
