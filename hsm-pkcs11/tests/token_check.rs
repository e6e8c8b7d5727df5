//! The token check against SoftHSMv2: every line passes, the token is left as it was, and the
//! command-line tool says so with exit status 0; a wrong PIN stops it with exit status 2.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use coffer_core::hsm::{ErrorKind, HsmError};
use coffer_hsm_pkcs11::cryptoki::object::Attribute;
use coffer_hsm_pkcs11::{Pin, Status, check_token};
use common::*;

#[test]
fn softhsm_passes_every_check_and_keeps_no_object() {
    let _serial = one_process_at_a_time();
    let token = fresh_token();
    let report = check_token(&token.config()).unwrap();
    assert!(report.passed(), "{report}");
    let text = report.to_string();
    for expected in [
        "mechanism CKM_AES_KEY_GEN",
        "mechanism CKM_GENERIC_SECRET_KEY_GEN",
        "mechanism CKM_AES_KEY_WRAP_PAD (RFC 5649)",
        "mechanism CKM_AES_GCM",
        "mechanism CKM_SHA256_HMAC",
        "attributes of root wrapping key template",
        "attributes of root sealing key template",
        "attributes of loaded key template",
        "self-test AES-256-GCM (GCM spec test case 16)",
        "self-test AES key wrap with padding (RFC 5649 §6)",
        "self-test HMAC-SHA-256 (RFC 4231 case 6)",
        "self-test generate, wrap, unwrap, seal, open",
        "[ ok ] the root's unwrap template is enforced (no extractable unwrap)",
        "[ ok ] AES-GCM uses the caller's IV: yes",
        // SoftHSMv2 2.6.1 reports CKA_VALUE_LEN 0 for unwrapped keys: a warning, not a failure.
        "[warn] unwrapped keys report CKA_VALUE_LEN: reports 0",
        "[ ok ] the root's wrap template is enforced (no key made outside the token is wrapped)",
        "[ ok ] keys can be made non-destroyable (CKA_DESTROYABLE false): C_DestroyObject refuses the key",
        "[ ok ] root keys coffer-root-wrapping and coffer-root-sealing: not on the token (yet)",
        "result: the token has everything Coffer needs (1 warning(s) above)",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    assert_eq!(report.lines.len(), 19);
    assert_eq!(report.lines.iter().filter(|l| l.status == Status::Pass).count(), 18, "{text}");
    // With the root keys made, the last line says how they are protected.
    let mut hsm = token.open();
    coffer_core::hsm::Hsm::create_root_keys(&mut hsm).unwrap();
    let report = check_token(&token.config()).unwrap();
    assert!(
        report.to_string().contains(
            "[ ok ] root keys coffer-root-wrapping and coffer-root-sealing: present: wrap template, not destroyable"
        ),
        "{report}"
    );
    drop(hsm);
    assert!(report.token.starts_with(&token.label), "{}", report.token);
    // Only session objects are made, so no token object but the roots is left behind.
    assert_eq!(token.session().find_objects(&[Attribute::Token(true)]).unwrap().len(), 2);
}

#[test]
fn wrong_pin_stops_the_check() {
    let _serial = one_process_at_a_time();
    let token = fresh_token();
    let mut config = token.config();
    config.pin = Pin::new("wrong");
    assert_eq!(check_token(&config).unwrap_err().kind(), ErrorKind::PinIncorrect);
}

#[test]
fn the_command_reports_and_exits_by_outcome() {
    let _serial = one_process_at_a_time();
    let token = fresh_token();
    let run = |pin: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_coffer-token-check"))
            .env("SOFTHSM2_CONF", &setup().conf)
            .env("COFFER_PKCS11_PIN", pin)
            .env_remove("COFFER_PKCS11_PIN_FILE")
            .arg("--module")
            .arg(&setup().module)
            .args(["--token", &token.label])
            .output()
            .unwrap()
    };
    let ok = run(USER_PIN);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(ok.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("result: the token has everything Coffer needs"), "{stdout}");
    assert!(!stdout.contains(USER_PIN));

    let bad = run("wrong-pin");
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("PIN incorrect"), "{stderr}");
    assert!(!stderr.contains("wrong-pin"), "{stderr}");
}
