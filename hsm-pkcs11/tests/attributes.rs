//! What Coffer leaves on a token, read back: after a KMS workload, every key is sensitive and
//! non-extractable, CKA_VALUE cannot be read, and the only persistent objects are the two
//! root keys, as `pkcs11-tool --list-objects` (OpenSC, a separate process) shows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use coffer_conformance::fixture::{self, ctx, env};
use coffer_core::DataKeySpec;
use coffer_hsm_pkcs11::cryptoki::object::{Attribute, AttributeInfo, AttributeType, KeyType, ObjectClass};
use common::*;

/// Runs a small workload so that generated, loaded and cached keys all exist.
fn workload(mut hsm: coffer_hsm_pkcs11::Pkcs11Hsm) -> coffer_hsm_pkcs11::Pkcs11Hsm {
    let mut env = env();
    let mut kms = env.kms(&mut hsm);
    let context = ctx(&[("purpose", "attributes")]);
    for _ in 0..3 {
        let key = fixture::create(&mut kms);
        let id = fixture::text(&key);
        let blob = fixture::encrypt(&mut kms, &id, b"plaintext", &context);
        kms.rotate_key_on_demand(&id).unwrap();
        kms.generate_data_key(&id, DataKeySpec::Aes256, &context).unwrap();
        assert_eq!(fixture::decrypt(&mut kms, blob.as_bytes(), &context), b"plaintext");
    }
    drop(kms);
    hsm
}

#[test]
fn every_key_on_the_token_is_sensitive_and_non_extractable() {
    let _serial = one_process_at_a_time();
    let token = fresh_token();
    let mut hsm = token.open();
    coffer_core::Hsm::create_root_keys(&mut hsm).unwrap();
    let hsm = workload(hsm);
    assert!(hsm.loaded_keys() >= 6, "the workload left loaded key versions: {}", hsm.loaded_keys());

    // A second session of this process sees the session objects of the first.
    let session = token.session();
    let objects = session.find_objects(&[]).unwrap();
    let (mut token_keys, mut loaded) = (Vec::new(), 0);
    for object in objects {
        let attrs = session
            .get_attributes(
                object,
                &[
                    AttributeType::Class,
                    AttributeType::KeyType,
                    AttributeType::Token,
                    AttributeType::Private,
                    AttributeType::Sensitive,
                    AttributeType::Extractable,
                    AttributeType::Label,
                    AttributeType::Encrypt,
                    AttributeType::Decrypt,
                    AttributeType::Wrap,
                    AttributeType::Unwrap,
                    AttributeType::Sign,
                    AttributeType::Verify,
                    AttributeType::Derive,
                    AttributeType::Modifiable,
                ],
            )
            .unwrap();
        let has = |a: Attribute| attrs.contains(&a);
        assert!(has(Attribute::Class(ObjectClass::SECRET_KEY)), "{attrs:?}");
        assert!(has(Attribute::Sensitive(true)) && has(Attribute::Extractable(false)), "{attrs:?}");
        assert!(has(Attribute::Private(true)), "{attrs:?}");
        assert!(has(Attribute::Derive(false)), "{attrs:?}");
        // No session can widen a key's usage afterwards.
        assert!(has(Attribute::Modifiable(false)), "{attrs:?}");
        assert!(session.update_attributes(object, &[Attribute::Sign(true)]).is_err(), "{attrs:?}");
        // The key's value is refused, not silently empty: ask C_GetAttributeValue directly.
        let value = session.get_attribute_info(object, &[AttributeType::Value]).unwrap();
        assert!(matches!(value.as_slice(), [AttributeInfo::Sensitive]), "{value:?} {attrs:?}");

        let label = attrs.iter().find_map(|a| match a {
            Attribute::Label(l) => Some(String::from_utf8(l.clone()).unwrap()),
            _ => None,
        });
        let usage = |e: bool, w: bool, s: bool| {
            has(Attribute::Encrypt(e))
                && has(Attribute::Decrypt(e))
                && has(Attribute::Wrap(w))
                && has(Attribute::Unwrap(w))
                && has(Attribute::Sign(s))
                && has(Attribute::Verify(s))
        };
        if has(Attribute::Token(true)) {
            match label.as_deref() {
                Some("coffer-root-wrapping") => {
                    assert!(has(Attribute::KeyType(KeyType::AES)) && usage(false, true, false), "{attrs:?}")
                }
                Some("coffer-root-sealing") => {
                    assert!(has(Attribute::KeyType(KeyType::GENERIC_SECRET)) && usage(false, false, true), "{attrs:?}")
                }
                other => panic!("unexpected persistent object {other:?}: {attrs:?}"),
            }
            let generated = session
                .get_attributes(
                    object,
                    &[AttributeType::AlwaysSensitive, AttributeType::NeverExtractable, AttributeType::ValueLen],
                )
                .unwrap();
            assert_eq!(
                generated,
                [Attribute::AlwaysSensitive(true), Attribute::NeverExtractable(true), Attribute::ValueLen(32.into())]
            );
            token_keys.push(label.unwrap());
        } else {
            // Session objects: only loaded key versions (the generated ones are destroyed).
            assert_eq!(label.as_deref(), Some("coffer-loaded"), "{attrs:?}");
            assert!(has(Attribute::KeyType(KeyType::AES)) && usage(true, false, false), "{attrs:?}");
            loaded += 1;
        }
    }
    token_keys.sort();
    assert_eq!(token_keys, ["coffer-root-sealing", "coffer-root-wrapping"]);
    assert_eq!(loaded, hsm.loaded_keys());
}

#[test]
fn pkcs11_tool_lists_the_two_root_keys_and_nothing_else() {
    let _serial = one_process_at_a_time();
    let token = fresh_token();
    let mut hsm = token.open();
    coffer_core::Hsm::create_root_keys(&mut hsm).unwrap();
    let hsm = workload(hsm);
    assert!(hsm.loaded_keys() > 0);

    // Another process sees only token objects: this one's session objects are its own.
    let output = std::process::Command::new("pkcs11-tool")
        .env("SOFTHSM2_CONF", &setup().conf)
        .arg("--module")
        .arg(&setup().module)
        .args(["--token-label", &token.label, "--login", "--pin", USER_PIN, "--list-objects"])
        .output()
        .expect("pkcs11-tool runs (package opensc)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "pkcs11-tool failed: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let objects: Vec<&str> = stdout.lines().filter(|l| !l.starts_with(' ') && l.contains("Object")).collect();
    let mut labels: Vec<&str> = stdout.lines().filter_map(|l| l.trim().strip_prefix("label:")).map(str::trim).collect();
    labels.sort_unstable();
    assert_eq!(objects.len(), 2, "{stdout}");
    assert!(objects.iter().all(|o| o.starts_with("Secret Key Object")), "{stdout}");
    assert_eq!(labels, ["coffer-root-sealing", "coffer-root-wrapping"], "{stdout}");
    // pkcs11-tool prints the access flags of each.
    let access: Vec<&str> = stdout.lines().filter_map(|l| l.trim().strip_prefix("Access:")).map(str::trim).collect();
    assert_eq!(access.len(), 2, "{stdout}");
    for flags in access {
        assert!(flags.starts_with("sensitive, always sensitive, never extractable"), "{stdout}");
    }
    drop(hsm);
}
