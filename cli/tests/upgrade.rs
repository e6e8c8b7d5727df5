//! A store made by the `coffer` of the previous record format (format 1: each key record holding
//! its description and every version; `fixtures/make-store-format1.sh` says how it was made)
//! opens with this build: every key describes as it was made, every blob and the encrypt-file
//! message decrypts, reading rewrites nothing, and each key record is rewritten in the current
//! format the first time its key changes, or by `coffer maintenance`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core
)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use common::{Store, b64, unb64};
use serde_json::Value;

fn fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-format1")
}

/// Copies a directory, files 0600 and folders 0700 (as `coffer` made them; git keeps neither).
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    fs::set_permissions(to, fs::Permissions::from_mode(0o700)).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
            fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
}

/// The fixture's store in a directory of the test's own, with its passphrase and a clock a
/// minute after its last change.
fn open_fixture() -> (Store, Value) {
    let expected: Value = serde_json::from_slice(&fs::read(fixture().join("expected.json")).unwrap()).unwrap();
    let mut store = Store::empty();
    copy_dir(&fixture().join("store"), &store.path());
    let now = (expected["last_time"].as_u64().unwrap() + 60).to_string();
    store.env =
        vec![("COFFER_PASSPHRASE".into(), expected["passphrase"].as_str().unwrap().into()), ("COFFER_NOW".into(), now)];
    (store, expected)
}

fn data(name: &str) -> Vec<u8> {
    fs::read(fixture().join("data").join(name)).unwrap()
}

/// The key record's body format: 1 (the fixture's) or 3 (the current), read from the sealed
/// record (`CFR1`, kind, name length, the 36-byte name, then the body).
fn key_format(store: &Store, id: &str) -> u8 {
    let record = fs::read(store.file(&format!("keys/{id}"))).unwrap();
    assert_eq!(&record[..4], b"CFR1");
    record[4 + 1 + 2 + 36]
}

fn decrypt(store: &Store, blob: &str, context: &str) -> common::Run {
    let blob = b64(&data(blob));
    let mut args = vec!["decrypt", "--ciphertext-blob", &blob];
    if !context.is_empty() {
        args.extend(["--encryption-context", context]);
    }
    store.run(&args)
}

fn opens(store: &Store, blob: &str, context: &str) {
    let plaintext = unb64(decrypt(store, blob, context).json()["Plaintext"].as_str().unwrap());
    assert_eq!(plaintext, data(blob.trim_end_matches(".blob")), "{blob}");
}

fn a_context(version: u32) -> String {
    format!("purpose=fixture,version={version}")
}

#[test]
fn a_format1_store_opens_decrypts_and_is_rewritten_as_it_changes() {
    let (store, expected) = open_fixture();
    let id = |name: &str| expected[name].as_str().unwrap().to_owned();
    let (rotated, disabled, pending, retired) = (id("rotated"), id("disabled"), id("pending"), id("retired"));
    let keys_before: Vec<_> = [&rotated, &disabled, &pending, &retired]
        .iter()
        .map(|k| fs::read(store.file(&format!("keys/{k}"))).unwrap())
        .collect();
    for key in [&rotated, &disabled, &pending, &retired] {
        assert_eq!(key_format(&store, key), 1, "the fixture is in format 1");
    }

    // Metadata, as the fixture made it.
    let m = &store.ok(&["describe-key", "--key-id", "alias/fixture-rotated"])["KeyMetadata"];
    assert_eq!(m["KeyId"], rotated.as_str());
    assert_eq!(m["Description"], "format-1 key with rotations: clé 🔑");
    assert_eq!((m["KeyState"].as_str(), m["CofferCurrentKeyVersion"].as_u64()), (Some("Enabled"), Some(4)));
    assert_eq!(m["CofferMinimumDecryptionVersion"], 1);
    let m = &store.ok(&["describe-key", "--key-id", &disabled])["KeyMetadata"];
    assert_eq!((m["KeyState"].as_str(), m["Description"].as_str()), (Some("Disabled"), Some("disabled")));
    let m = &store.ok(&["describe-key", "--key-id", &pending])["KeyMetadata"];
    assert_eq!(
        (m["KeyState"].as_str(), m["PendingDeletionWindowInDays"].as_u64()),
        (Some("PendingDeletion"), Some(30))
    );
    let m = &store.ok(&["describe-key", "--key-id", &retired])["KeyMetadata"];
    assert_eq!(
        (m["CofferCurrentKeyVersion"].as_u64(), m["CofferMinimumDecryptionVersion"].as_u64()),
        (Some(2), Some(2))
    );
    let rotations = store.ok(&["list-key-rotations", "--key-id", &rotated]);
    let kinds: Vec<_> = rotations["Rotations"].as_array().unwrap().iter().map(|r| r["RotationType"].clone()).collect();
    assert_eq!(kinds, ["ON_DEMAND", "ON_DEMAND", "AUTOMATIC"]);
    let status = store.ok(&["get-key-rotation-status", "--key-id", &rotated]);
    assert_eq!(
        (status["KeyRotationEnabled"].as_bool(), status["RotationPeriodInDays"].as_u64()),
        (Some(true), Some(90))
    );

    // Every blob and the message, read as format 1.
    for v in 1..=4 {
        opens(&store, &format!("a{v}.blob"), &a_context(v));
    }
    opens(&store, "d2.blob", "");
    decrypt(&store, "d1.blob", "").failed("InvalidCiphertextException", 9);
    decrypt(&store, "b1.blob", "").failed("DisabledException", 7);
    decrypt(&store, "c1.blob", "").failed("KMSInvalidStateException", 8);
    let out = store.dir.path().join("message.out");
    let message = fixture().join("data/message.enc");
    store.ok(&["decrypt-file", "--input-file", message.to_str().unwrap(), "--output-file", out.to_str().unwrap()]);
    assert_eq!(fs::read(&out).unwrap(), data("message.plain"));
    let keys_after: Vec<_> = [&rotated, &disabled, &pending, &retired]
        .iter()
        .map(|k| fs::read(store.file(&format!("keys/{k}"))).unwrap())
        .collect();
    assert_eq!(keys_after, keys_before, "reading rewrote a key record");

    // The first change of each key rewrites it.
    store.quiet(&["update-key-description", "--key-id", &rotated, "--description", "rewritten"]);
    assert_eq!(key_format(&store, &rotated), 3);
    assert_eq!(fs::read(store.file(&format!("keys/{rotated}"))).unwrap().len(), 193);
    for v in 1..=4 {
        assert!(store.file(&format!("versions/{rotated}.{v:010}")).exists(), "version {v} has its record");
    }
    store.quiet(&["enable-key", "--key-id", &disabled]);
    assert_eq!(key_format(&store, &disabled), 3);
    assert_eq!(store.ok(&["describe-key", "--key-id", &disabled])["KeyMetadata"]["Description"], "disabled");
    store.ok(&["cancel-key-deletion", "--key-id", &pending]);
    store.quiet(&["enable-key", "--key-id", &pending]);
    assert_eq!(key_format(&store, &pending), 3);
    assert_eq!(key_format(&store, &retired), 1, "not changed yet");
    let report = store.ok(&["maintenance"]);
    assert_eq!(report["UpgradedKeys"], 1, "{report}");
    assert_eq!(key_format(&store, &retired), 3);
    assert_eq!(store.ok(&["maintenance"])["UpgradedKeys"], 0);

    // Everything still opens, and the keys carry on.
    let m = &store.ok(&["describe-key", "--key-id", "alias/fixture-rotated"])["KeyMetadata"];
    assert_eq!((m["Description"].as_str(), m["CofferCurrentKeyVersion"].as_u64()), (Some("rewritten"), Some(4)));
    for v in 1..=4 {
        opens(&store, &format!("a{v}.blob"), &a_context(v));
    }
    opens(&store, "b1.blob", "");
    opens(&store, "c1.blob", "");
    opens(&store, "d2.blob", "");
    decrypt(&store, "d1.blob", "").failed("InvalidCiphertextException", 9);
    let m = &store.ok(&["describe-key", "--key-id", &retired])["KeyMetadata"];
    assert_eq!(
        (m["CofferCurrentKeyVersion"].as_u64(), m["CofferMinimumDecryptionVersion"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(m["Description"], "retired versions");
    fs::remove_file(&out).unwrap();
    store.ok(&["decrypt-file", "--input-file", message.to_str().unwrap(), "--output-file", out.to_str().unwrap()]);
    assert_eq!(fs::read(&out).unwrap(), data("message.plain"));
    assert_eq!(store.ok(&["rotate-key-on-demand", "--key-id", &rotated])["CofferKeyVersion"], 5);
    let rotations = store.ok(&["list-key-rotations", "--key-id", &rotated]);
    assert_eq!(rotations["Rotations"].as_array().unwrap().len(), 4);

    // Format 1 did not count seals: the first seal under such a key's version rotates the key
    // first (docs/SEAL-BUDGET.md), and the new version is counted.
    let current = |key: &str| {
        store.ok(&["describe-key", "--key-id", key])["KeyMetadata"]["CofferCurrentKeyVersion"].as_u64().unwrap()
    };
    let before = current(&disabled);
    store.ok(&["encrypt", "--key-id", &disabled, "--plaintext", "AAEC"]);
    assert_eq!(current(&disabled), before + 1);
    store.ok(&["encrypt", "--key-id", &disabled, "--plaintext", "AAEC"]);
    assert_eq!(current(&disabled), before + 1);
    let rotations = store.ok(&["list-key-rotations", "--key-id", &disabled]);
    assert_eq!(rotations["Rotations"].as_array().unwrap().last().unwrap()["RotationType"], "AUTOMATIC");
    opens(&store, "b1.blob", "");
}
