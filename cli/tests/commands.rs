//! Every command of the built `coffer` binary end to end, its JSON answer checked field by
//! field, and every documented error with its exit code.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

mod common;

use common::{ARN_PREFIX, Store, b64, key_arn, unb64};
use serde_json::Value;

/// 2030-01-01T00:00:00Z: the tests' clock, set with COFFER_NOW.
const T0: u64 = 1_893_456_000;
const DAY: u64 = 86_400;

fn at(store: &Store, t: u64, args: &[&str]) -> common::Run {
    store.run_env(args, &[("COFFER_NOW", &t.to_string())])
}

fn iso(t: u64) -> String {
    // Only the dates the tests use: days after T0.
    let days = (t - T0) / DAY;
    let secs = (t - T0) % DAY;
    assert!(days < 31, "the helper covers January 2030");
    format!("2030-01-{:02}T{:02}:{:02}:{:02}+00:00", days + 1, secs / 3600, secs % 3600 / 60, secs % 60)
}

#[test]
fn init_records_the_kdf_and_refuses_a_second_init_or_a_missing_passphrase() {
    let store = Store::new();
    let config: Value = serde_json::from_str(&std::fs::read_to_string(store.file("config.json")).unwrap()).unwrap();
    assert_eq!(config["format"], "coffer-store-1");
    assert_eq!(config["backend"]["type"], "soft");
    let kdf = &config["backend"]["kdf"];
    assert_eq!(kdf["algorithm"], "argon2id");
    assert_eq!(kdf["version"], 19);
    assert_eq!(kdf["memory_kib"], 64);
    assert_eq!(kdf["iterations"], 1);
    assert_eq!(kdf["parallelism"], 1);
    assert_eq!(unb64(kdf["salt"].as_str().unwrap()).len(), 16);
    assert_eq!(unb64(config["backend"]["sealed_root_keys"].as_str().unwrap()).len(), 96);
    // Nothing secret in the store's plain files.
    let text = std::fs::read_to_string(store.file("config.json")).unwrap();
    assert!(!text.contains(common::PASSPHRASE));

    store.run(&["init"]).failed("StoreException", 15);

    // No passphrase in the environment and no terminal: refused before anything is written.
    let other = Store::empty();
    let mut cmd = other.command(&["init"]);
    cmd.env_remove("COFFER_PASSPHRASE");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(16), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("AccessDeniedException"));
    assert!(!other.path().join("config.json").exists());

    // The real default parameters when none are given: 64 MiB, 3 passes, 1 lane.
    let default = Store::empty();
    let mut cmd = default.command_exact(&["init"]);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let config: Value = serde_json::from_str(&std::fs::read_to_string(default.file("config.json")).unwrap()).unwrap();
    assert_eq!(config["backend"]["kdf"]["memory_kib"], 65536);
    assert_eq!(config["backend"]["kdf"]["iterations"], 3);
    assert_eq!(config["backend"]["kdf"]["parallelism"], 1);
}

#[test]
fn wrong_passphrase_missing_store_bad_clock_and_usage_errors() {
    let store = Store::new();
    store.run_env(&["list-keys"], &[("COFFER_PASSPHRASE", "wrong")]).failed("AccessDeniedException", 16);
    // The failed unlock is in the audit log (which needs no passphrase to read).
    let events = store.ok(&["audit", "--operation", "Unlock"]);
    assert_eq!(events["Events"].as_array().unwrap().len(), 1);
    assert_eq!(events["Events"][0]["Outcome"], "Failure");
    assert_eq!(events["Events"][0]["ErrorCode"], "AccessDeniedException");
    let nowhere = Store::empty();
    let err = nowhere.run(&["list-keys"]).failed("StoreException", 15).to_owned();
    assert!(err.contains("coffer init"), "{err}");
    store.run_env(&["list-keys"], &[("COFFER_NOW", "someday")]).failed("ValidationException", 3);
    let usage = store.run(&["create-key", "--no-such-flag"]);
    assert_eq!(usage.code, 2, "{usage:?}");
    let usage = store.run(&["frobnicate"]);
    assert_eq!(usage.code, 2, "{usage:?}");
    let help = store.run(&["--help"]);
    assert_eq!(help.code, 0);
    for command in [
        "init",
        "create-key",
        "describe-key",
        "list-keys",
        "enable-key",
        "disable-key",
        "schedule-key-deletion",
        "cancel-key-deletion",
        "update-key-description",
        "create-alias",
        "update-alias",
        "delete-alias",
        "list-aliases",
        "enable-key-rotation",
        "disable-key-rotation",
        "get-key-rotation-status",
        "rotate-key-on-demand",
        "list-key-rotations",
        "set-minimum-decryption-version",
        "encrypt",
        "decrypt",
        "re-encrypt",
        "generate-data-key",
        "generate-data-key-without-plaintext",
        "generate-random",
        "encrypt-file",
        "decrypt-file",
        "maintenance",
        "audit",
        "token-check",
    ] {
        assert!(help.stdout.contains(command), "--help lacks {command}");
    }
}

#[test]
fn key_lifecycle_from_creation_to_deletion() {
    let store = Store::new();
    let created = at(&store, T0, &["create-key", "--description", "payments"]).json();
    let m = &created["KeyMetadata"];
    let id = m["KeyId"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 36);
    assert_eq!(m["AWSAccountId"], "000000000000");
    assert_eq!(m["Arn"], key_arn(&id));
    assert_eq!(m["CreationDate"], iso(T0));
    assert_eq!(m["Enabled"], true);
    assert_eq!(m["Description"], "payments");
    assert_eq!(m["KeyUsage"], "ENCRYPT_DECRYPT");
    assert_eq!(m["KeyState"], "Enabled");
    assert_eq!(m["Origin"], "AWS_KMS");
    assert_eq!(m["KeyManager"], "CUSTOMER");
    assert_eq!(m["KeySpec"], "SYMMETRIC_DEFAULT");
    assert_eq!(m["CustomerMasterKeySpec"], "SYMMETRIC_DEFAULT");
    assert_eq!(m["EncryptionAlgorithms"], serde_json::json!(["SYMMETRIC_DEFAULT"]));
    assert_eq!(m["MultiRegion"], false);
    assert_eq!(m["CofferCurrentKeyVersion"], 1);
    assert_eq!(m["CofferMinimumDecryptionVersion"], 1);
    assert!(m.get("DeletionDate").is_none());

    // Described by id, by ARN and by alias: the same metadata.
    store.quiet(&["create-alias", "--alias-name", "alias/pay", "--target-key-id", &id]);
    for reference in [id.clone(), key_arn(&id), "alias/pay".into(), format!("{ARN_PREFIX}alias/pay")] {
        assert_eq!(store.ok(&["describe-key", "--key-id", &reference])["KeyMetadata"], *m, "{reference}");
    }

    store.quiet(&["update-key-description", "--key-id", &id, "--description", "payments v2"]);
    assert_eq!(store.ok(&["describe-key", "--key-id", &id])["KeyMetadata"]["Description"], "payments v2");

    // Disabled: described, refuses cryptographic use.
    store.quiet(&["disable-key", "--key-id", &id]);
    let d = store.ok(&["describe-key", "--key-id", &id]);
    assert_eq!(d["KeyMetadata"]["KeyState"], "Disabled");
    assert_eq!(d["KeyMetadata"]["Enabled"], false);
    store.run(&["encrypt", "--key-id", &id, "--plaintext", &b64(b"x")]).failed("DisabledException", 7);
    store.quiet(&["enable-key", "--key-id", &id]);
    let blob = store.encrypt(&id, b"kept", "");

    // Deletion: the window is checked, the dates are the clock's.
    at(&store, T0, &["schedule-key-deletion", "--key-id", &id, "--pending-window-in-days", "6"])
        .failed("ValidationException", 3);
    at(&store, T0, &["schedule-key-deletion", "--key-id", &id, "--pending-window-in-days", "31"])
        .failed("ValidationException", 3);
    let s = at(&store, T0, &["schedule-key-deletion", "--key-id", &id, "--pending-window-in-days", "7"]).json();
    assert_eq!(s["KeyId"], key_arn(&id));
    assert_eq!(s["DeletionDate"], iso(T0 + 7 * DAY));
    assert_eq!(s["KeyState"], "PendingDeletion");
    assert_eq!(s["PendingWindowInDays"], 7);
    let d = store.ok(&["describe-key", "--key-id", &id])["KeyMetadata"].clone();
    assert_eq!(d["KeyState"], "PendingDeletion");
    assert_eq!(d["DeletionDate"], iso(T0 + 7 * DAY));
    assert_eq!(d["PendingDeletionWindowInDays"], 7);
    store.run(&["encrypt", "--key-id", &id, "--plaintext", &b64(b"x")]).failed("KMSInvalidStateException", 8);
    store.run(&["decrypt", "--ciphertext-blob", &blob]).failed("KMSInvalidStateException", 8);
    store.run(&["enable-key", "--key-id", &id]).failed("KMSInvalidStateException", 8);
    at(&store, T0, &["schedule-key-deletion", "--key-id", &id]).failed("KMSInvalidStateException", 8);

    // Cancelled: back to Disabled, as in AWS KMS.
    let c = store.ok(&["cancel-key-deletion", "--key-id", &id]);
    assert_eq!(c["KeyId"], key_arn(&id));
    assert_eq!(store.ok(&["describe-key", "--key-id", &id])["KeyMetadata"]["KeyState"], "Disabled");
    store.run(&["cancel-key-deletion", "--key-id", &id]).failed("KMSInvalidStateException", 8);

    // Scheduled again with the default window (30 days); maintenance before the date does nothing.
    let s = at(&store, T0, &["schedule-key-deletion", "--key-id", &id]).json();
    assert_eq!(s["PendingWindowInDays"], 30);
    let early = at(&store, T0 + 29 * DAY, &["maintenance"]).json();
    assert_eq!(early["DeletedKeys"], 0);
    let due = at(&store, T0 + 30 * DAY, &["maintenance"]).json();
    assert_eq!(due["DeletedKeys"], 1);
    assert_eq!(due["DeletedAliases"], 1);
    assert_eq!(due["RotatedKeys"], 0);
    assert_eq!(due["RotationFailures"], 0);
    assert_eq!(due["CorruptRecords"], 0);
    store.run(&["describe-key", "--key-id", &id]).failed("NotFoundException", 4);
    store.run(&["describe-key", "--key-id", "alias/pay"]).failed("NotFoundException", 4);
    store.run(&["decrypt", "--ciphertext-blob", &blob]).failed("NotFoundException", 4);
    assert_eq!(store.ok(&["list-keys"])["Keys"], serde_json::json!([]));
}

#[test]
fn list_keys_pages_in_id_order() {
    let store = Store::new();
    let mut ids: Vec<String> = (0..5).map(|i| store.create_key(&format!("k{i}"))).collect();
    ids.sort();
    let all = store.ok(&["list-keys"]);
    assert_eq!(all["Truncated"], false);
    assert!(all.get("NextMarker").is_none());
    let listed: Vec<&str> = all["Keys"].as_array().unwrap().iter().map(|k| k["KeyId"].as_str().unwrap()).collect();
    assert_eq!(listed, ids);
    for k in all["Keys"].as_array().unwrap() {
        assert_eq!(k["KeyArn"], key_arn(k["KeyId"].as_str().unwrap()));
    }
    let mut paged = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut args = vec!["list-keys", "--limit", "2"];
        if let Some(m) = &marker {
            args.extend(["--marker", m]);
        }
        let page = store.ok(&args);
        paged.extend(page["Keys"].as_array().unwrap().iter().map(|k| k["KeyId"].as_str().unwrap().to_owned()));
        if page["Truncated"] == false {
            assert!(page.get("NextMarker").is_none());
            break;
        }
        marker = Some(page["NextMarker"].as_str().unwrap().to_owned());
    }
    assert_eq!(paged, ids);
    store.run(&["list-keys", "--limit", "0"]).failed("ValidationException", 3);
    store.run(&["list-keys", "--limit", "1001"]).failed("ValidationException", 3);
    // A marker no list handed out: AWS's InvalidMarkerException, for every list.
    store.run(&["list-keys", "--marker", "nonsense"]).failed("InvalidMarkerException", 19);
    // Text output: one KEYS line per key.
    let text = store.run(&["list-keys", "--output", "text"]);
    assert_eq!(text.stdout.lines().filter(|l| l.starts_with("KEYS\t")).count(), 5, "{}", text.stdout);
}

#[test]
fn aliases_create_update_list_delete() {
    let store = Store::new();
    let a = store.create_key("a");
    let b = store.create_key("b");
    at(&store, T0, &["create-alias", "--alias-name", "alias/app/one", "--target-key-id", &a]);
    at(&store, T0, &["create-alias", "--alias-name", "alias/two", "--target-key-id", &key_arn(&b)]);
    store
        .run(&["create-alias", "--alias-name", "alias/two", "--target-key-id", &a])
        .failed("AlreadyExistsException", 5);
    store
        .run(&["create-alias", "--alias-name", "alias/aws/reserved", "--target-key-id", &a])
        .failed("InvalidAliasNameException", 6);
    store
        .run(&["create-alias", "--alias-name", "no-prefix", "--target-key-id", &a])
        .failed("InvalidAliasNameException", 6);
    store
        .run(&["create-alias", "--alias-name", "alias/x", "--target-key-id", "alias/two"])
        .failed("ValidationException", 3);
    store
        .run(&["create-alias", "--alias-name", "alias/x", "--target-key-id", "00000000-0000-4000-8000-000000000000"])
        .failed("NotFoundException", 4);

    let all = store.ok(&["list-aliases"]);
    let aliases = all["Aliases"].as_array().unwrap();
    assert_eq!(aliases.len(), 2);
    assert_eq!(aliases[0]["AliasName"], "alias/app/one");
    assert_eq!(aliases[0]["AliasArn"], format!("{ARN_PREFIX}alias/app/one"));
    assert_eq!(aliases[0]["TargetKeyId"], a);
    assert_eq!(aliases[0]["CreationDate"], iso(T0));
    assert_eq!(aliases[0]["LastUpdatedDate"], iso(T0));
    assert_eq!(aliases[1]["AliasName"], "alias/two");
    assert_eq!(aliases[1]["TargetKeyId"], b);
    assert_eq!(all["Truncated"], false);

    // Filter by key, and pages of one.
    let of_b = store.ok(&["list-aliases", "--key-id", &b]);
    assert_eq!(of_b["Aliases"].as_array().unwrap().len(), 1);
    assert_eq!(of_b["Aliases"][0]["AliasName"], "alias/two");
    let first = store.ok(&["list-aliases", "--limit", "1"]);
    assert_eq!(first["Truncated"], true);
    assert_eq!(first["NextMarker"], "alias/app/one");
    let second = store.ok(&["list-aliases", "--limit", "1", "--marker", "alias/app/one"]);
    assert_eq!(second["Aliases"][0]["AliasName"], "alias/two");
    assert_eq!(second["Truncated"], false);
    store.run(&["list-aliases", "--key-id", "00000000-0000-4000-8000-000000000000"]).failed("NotFoundException", 4);

    // Re-pointed: encryption through the alias now uses b.
    at(&store, T0 + DAY, &["update-alias", "--alias-name", "alias/app/one", "--target-key-id", &b]);
    let updated = store.ok(&["list-aliases", "--key-id", &b]);
    assert_eq!(updated["Aliases"][0]["AliasName"], "alias/app/one");
    assert_eq!(updated["Aliases"][0]["CreationDate"], iso(T0));
    assert_eq!(updated["Aliases"][0]["LastUpdatedDate"], iso(T0 + DAY));
    let enc = store.ok(&["encrypt", "--key-id", "alias/app/one", "--plaintext", &b64(b"hi")]);
    assert_eq!(enc["KeyId"], key_arn(&b));
    store.run(&["update-alias", "--alias-name", "alias/none", "--target-key-id", &b]).failed("NotFoundException", 4);

    store.quiet(&["delete-alias", "--alias-name", "alias/app/one"]);
    store.run(&["delete-alias", "--alias-name", "alias/app/one"]).failed("NotFoundException", 4);
    store.run(&["describe-key", "--key-id", "alias/app/one"]).failed("NotFoundException", 4);
    assert_eq!(store.ok(&["list-aliases"])["Aliases"].as_array().unwrap().len(), 1);
    // The key it pointed at is untouched.
    assert_eq!(store.ok(&["describe-key", "--key-id", &b])["KeyMetadata"]["KeyState"], "Enabled");
}

#[test]
fn rotation_automatic_on_demand_listing_and_retiring_versions() {
    let store = Store::new();
    let id = at(&store, T0, &["create-key"]).json()["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let status = store.ok(&["get-key-rotation-status", "--key-id", &id]);
    assert_eq!(status["KeyRotationEnabled"], false);
    assert_eq!(status["KeyId"], key_arn(&id));
    assert!(status.get("RotationPeriodInDays").is_none());
    let old_blob = store.encrypt(&id, b"version one", "purpose=test");

    store
        .run(&["enable-key-rotation", "--key-id", &id, "--rotation-period-in-days", "89"])
        .failed("ValidationException", 3);
    store
        .run(&["enable-key-rotation", "--key-id", &id, "--rotation-period-in-days", "2561"])
        .failed("ValidationException", 3);
    let r = at(&store, T0, &["enable-key-rotation", "--key-id", &id, "--rotation-period-in-days", "90"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r:?}");
    let status = store.ok(&["get-key-rotation-status", "--key-id", &id]);
    assert_eq!(status["KeyRotationEnabled"], true);
    assert_eq!(status["RotationPeriodInDays"], 90);
    let next = status["NextRotationDate"].as_str().unwrap().to_owned();
    assert_eq!(next, "2030-04-01T00:00:00+00:00");

    assert_eq!(at(&store, T0 + 89 * DAY, &["maintenance"]).json()["RotatedKeys"], 0);
    assert_eq!(at(&store, T0 + 90 * DAY, &["maintenance"]).json()["RotatedKeys"], 1);
    let on_demand = at(&store, T0 + 91 * DAY, &["rotate-key-on-demand", "--key-id", &id]).json();
    assert_eq!(on_demand["KeyId"], id);
    assert_eq!(on_demand["CofferKeyVersion"], 3);
    assert_eq!(store.ok(&["describe-key", "--key-id", &id])["KeyMetadata"]["CofferCurrentKeyVersion"], 3);

    let rotations = store.ok(&["list-key-rotations", "--key-id", &id]);
    let list = rotations["Rotations"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["KeyId"], id);
    assert_eq!(list[0]["RotationType"], "AUTOMATIC");
    assert_eq!(list[0]["RotationDate"], "2030-04-01T00:00:00+00:00");
    assert_eq!(list[1]["RotationType"], "ON_DEMAND");
    assert_eq!(list[1]["CofferKeyVersion"], 3);
    assert_eq!(rotations["Truncated"], false);
    let page = store.ok(&["list-key-rotations", "--key-id", &id, "--limit", "1"]);
    assert_eq!(page["Rotations"].as_array().unwrap().len(), 1);
    assert_eq!(page["Truncated"], true);
    assert_eq!(page["NextMarker"], "2");
    let page = store.ok(&["list-key-rotations", "--key-id", &id, "--limit", "1", "--marker", "2"]);
    assert_eq!(page["Rotations"][0]["RotationType"], "ON_DEMAND");
    assert_eq!(page["Truncated"], false);

    // Old blobs still decrypt; new ones use version 3.
    assert_eq!(store.decrypt(&old_blob, "purpose=test"), b"version one");
    let new_blob = store.encrypt(&id, b"version three", "purpose=test");

    store.quiet(&["disable-key-rotation", "--key-id", &id]);
    let status = store.ok(&["get-key-rotation-status", "--key-id", &id]);
    assert_eq!(status["KeyRotationEnabled"], false);
    assert!(status.get("NextRotationDate").is_none());

    // Retiring versions below 3: the version-1 blob no longer opens, the new one does.
    store
        .run(&["set-minimum-decryption-version", "--key-id", &id, "--minimum-decryption-version", "4"])
        .failed("ValidationException", 3);
    store.quiet(&["set-minimum-decryption-version", "--key-id", &id, "--minimum-decryption-version", "3"]);
    assert_eq!(store.ok(&["describe-key", "--key-id", &id])["KeyMetadata"]["CofferMinimumDecryptionVersion"], 3);
    store
        .run(&["decrypt", "--ciphertext-blob", &old_blob, "--encryption-context", "purpose=test"])
        .failed("InvalidCiphertextException", 9);
    assert_eq!(store.decrypt(&new_blob, "purpose=test"), b"version three");

    // A disabled key does not rotate.
    store.quiet(&["disable-key", "--key-id", &id]);
    store.run(&["rotate-key-on-demand", "--key-id", &id]).failed("DisabledException", 7);
    store.run(&["enable-key-rotation", "--key-id", &id]).failed("DisabledException", 7);
}

#[test]
fn on_demand_rotations_past_25_are_limit_exceeded() {
    let store = Store::new();
    let id = store.create_key("");
    for v in 2..=26 {
        assert_eq!(store.ok(&["rotate-key-on-demand", "--key-id", &id])["CofferKeyVersion"], v);
    }
    let err = store.run(&["rotate-key-on-demand", "--key-id", &id]).failed("LimitExceededException", 11).to_owned();
    assert!(err.contains("on-demand rotations"), "{err}");
    assert_eq!(store.ok(&["describe-key", "--key-id", &id])["KeyMetadata"]["CofferCurrentKeyVersion"], 26);
}

#[test]
fn encrypt_decrypt_re_encrypt_with_contexts_files_and_output_forms() {
    let store = Store::new();
    let a = store.create_key("a");
    let b = store.create_key("b");
    store.quiet(&["create-alias", "--alias-name", "alias/b", "--target-key-id", &b]);
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.bin");
    let bytes: Vec<u8> = (0..=255).collect();
    std::fs::write(&secret, &bytes).unwrap();

    // fileb:// plaintext, shorthand context; JSON context in another order decrypts it.
    let enc = store.ok(&[
        "encrypt",
        "--key-id",
        &a,
        "--plaintext",
        &format!("fileb://{}", secret.display()),
        "--encryption-context",
        "tenant=acme,purpose=demo",
    ]);
    assert_eq!(enc["KeyId"], key_arn(&a));
    assert_eq!(enc["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    let blob = enc["CiphertextBlob"].as_str().unwrap().to_owned();
    let dec = store.ok(&[
        "decrypt",
        "--ciphertext-blob",
        &blob,
        "--encryption-context",
        r#"{"purpose": "demo", "tenant": "acme"}"#,
    ]);
    assert_eq!(dec["KeyId"], key_arn(&a));
    assert_eq!(dec["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    assert_eq!(unb64(dec["Plaintext"].as_str().unwrap()), bytes);

    // The blob as a file, and --query with text output gives the bare value.
    let blob_file = dir.path().join("blob.bin");
    std::fs::write(&blob_file, unb64(&blob)).unwrap();
    let text = store.run(&[
        "decrypt",
        "--ciphertext-blob",
        &format!("fileb://{}", blob_file.display()),
        "--encryption-context",
        "purpose=demo,tenant=acme",
        "--query",
        "Plaintext",
        "--output",
        "text",
    ]);
    assert_eq!(text.code, 0, "{text:?}");
    assert_eq!(unb64(text.stdout.trim_end()), bytes);

    // Wrong or missing context, edited blob: InvalidCiphertext, all alike.
    for context in ["tenant=acme", "tenant=acme,purpose=other", ""] {
        let mut args = vec!["decrypt", "--ciphertext-blob", &blob];
        if !context.is_empty() {
            args.extend(["--encryption-context", context]);
        }
        let err = store.run(&args).failed("InvalidCiphertextException", 9).to_owned();
        assert!(err.ends_with("the ciphertext could not be decrypted\n"), "{err}");
    }
    let mut edited = unb64(&blob);
    let last = edited.len() - 1;
    edited[last] ^= 1;
    store
        .run(&["decrypt", "--ciphertext-blob", &b64(&edited), "--encryption-context", "tenant=acme,purpose=demo"])
        .failed("InvalidCiphertextException", 9);
    store.run(&["decrypt", "--ciphertext-blob", &b64(b"short")]).failed("InvalidCiphertextException", 9);
    // Expecting another key: IncorrectKey.
    store
        .run(&[
            "decrypt",
            "--ciphertext-blob",
            &blob,
            "--encryption-context",
            "tenant=acme,purpose=demo",
            "--key-id",
            "alias/b",
        ])
        .failed("IncorrectKeyException", 10);

    // ReEncrypt to b under a new context.
    let re = store.ok(&[
        "re-encrypt",
        "--ciphertext-blob",
        &blob,
        "--source-encryption-context",
        "tenant=acme,purpose=demo",
        "--destination-key-id",
        "alias/b",
        "--destination-encryption-context",
        "tenant=globex",
    ]);
    assert_eq!(re["SourceKeyId"], key_arn(&a));
    assert_eq!(re["KeyId"], key_arn(&b));
    assert_eq!(re["SourceEncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    assert_eq!(re["DestinationEncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    assert!(re.get("Plaintext").is_none());
    let re_blob = re["CiphertextBlob"].as_str().unwrap();
    assert_eq!(store.decrypt(re_blob, "tenant=globex"), bytes);
    store
        .run(&[
            "re-encrypt",
            "--ciphertext-blob",
            &blob,
            "--source-encryption-context",
            "tenant=acme,purpose=demo",
            "--source-key-id",
            &b,
            "--destination-key-id",
            &b,
        ])
        .failed("IncorrectKeyException", 10);

    // Limits and malformed values: ValidationException.
    let big = b64(&vec![7u8; 4097]);
    let err = store.run(&["encrypt", "--key-id", &a, "--plaintext", &big]).failed("ValidationException", 3).to_owned();
    assert!(err.contains("data key"), "{err}");
    store.encrypt(&a, &[7u8; 4096], "");
    store.run(&["encrypt", "--key-id", &a, "--plaintext", "***"]).failed("ValidationException", 3);
    store.run(&["encrypt", "--key-id", &a, "--plaintext", "fileb:///nonexistent"]).failed("ValidationException", 3);
    let huge = dir.path().join("huge.bin");
    std::fs::write(&huge, vec![0u8; 10 << 20]).unwrap();
    let err = store
        .run(&["encrypt", "--key-id", &a, "--plaintext", &format!("fileb://{}", huge.display())])
        .failed("ValidationException", 3)
        .to_owned();
    assert!(err.contains("larger than"), "{err}");
    store.run(&["encrypt", "--key-id", &a, "--plaintext", ""]).failed("ValidationException", 3);
    store
        .run(&["encrypt", "--key-id", &a, "--plaintext", "eA==", "--encryption-context", "novalue"])
        .failed("ValidationException", 3);
    store
        .run(&["encrypt", "--key-id", &a, "--plaintext", "eA==", "--encryption-context", r#"{"k": 1}"#])
        .failed("ValidationException", 3);
    // More than 16 pairs is fine on hosts (the official SDKs write them); a context whose
    // encoding passes the format's 65,535 bytes is refused.
    let many: Vec<String> = (0..17).map(|i| format!("k{i}=v")).collect();
    store.ok(&["encrypt", "--key-id", &a, "--plaintext", "eA==", "--encryption-context", &many.join(",")]);
    let huge_context = format!("k={}", "v".repeat(70_000));
    store
        .run(&["encrypt", "--key-id", &a, "--plaintext", "eA==", "--encryption-context", &huge_context])
        .failed("ValidationException", 3);
    store.run(&["encrypt", "--key-id", "not-a-key", "--plaintext", "eA=="]).failed("ValidationException", 3);
    store
        .run(&["encrypt", "--key-id", "00000000-0000-4000-8000-000000000000", "--plaintext", "eA=="])
        .failed("NotFoundException", 4);
    store
        .run(&[
            "encrypt",
            "--key-id",
            "arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-4000-8000-000000000000",
            "--plaintext",
            "eA==",
        ])
        .failed("NotFoundException", 4);
}

#[test]
fn data_keys_and_random_bytes() {
    let store = Store::new();
    let id = store.create_key("dk");
    for (args, len) in [
        (vec!["--key-spec", "AES_256"], 32),
        (vec!["--key-spec", "AES_128"], 16),
        (vec!["--number-of-bytes", "64"], 64),
    ] {
        let mut full = vec!["generate-data-key", "--key-id", &id, "--encryption-context", "file=report.pdf"];
        full.extend(args.iter().copied());
        let dk = store.ok(&full);
        assert_eq!(dk["KeyId"], key_arn(&id));
        let plaintext = unb64(dk["Plaintext"].as_str().unwrap());
        assert_eq!(plaintext.len(), len);
        let blob = dk["CiphertextBlob"].as_str().unwrap();
        assert_eq!(store.decrypt(blob, "file=report.pdf"), plaintext);

        let mut without = vec!["generate-data-key-without-plaintext", "--key-id", &id];
        without.extend(args.iter().copied());
        let wp = store.ok(&without);
        assert!(wp.get("Plaintext").is_none());
        assert_eq!(wp["KeyId"], key_arn(&id));
        assert_eq!(store.decrypt(wp["CiphertextBlob"].as_str().unwrap(), "").len(), len);
    }
    for bad in [
        vec!["--key-spec", "AES_512"],
        vec!["--key-spec", "AES_256", "--number-of-bytes", "32"],
        vec![],
        vec!["--number-of-bytes", "0"],
        vec!["--number-of-bytes", "1025"],
    ] {
        let mut args = vec!["generate-data-key", "--key-id", &id];
        args.extend(bad.iter().copied());
        store.run(&args).failed("ValidationException", 3);
    }
    store.quiet(&["disable-key", "--key-id", &id]);
    store.run(&["generate-data-key", "--key-id", &id, "--key-spec", "AES_256"]).failed("DisabledException", 7);

    let r = store.ok(&["generate-random", "--number-of-bytes", "1024"]);
    let a = unb64(r["Plaintext"].as_str().unwrap());
    assert_eq!(a.len(), 1024);
    let b = unb64(store.ok(&["generate-random", "--number-of-bytes", "1024"])["Plaintext"].as_str().unwrap());
    assert_ne!(a, b);
    store.run(&["generate-random", "--number-of-bytes", "0"]).failed("ValidationException", 3);
    store.run(&["generate-random", "--number-of-bytes", "1025"]).failed("ValidationException", 3);
}

#[test]
fn hand_edited_or_swapped_records_are_refused_by_name() {
    let store = Store::new();
    let a = store.create_key("a");
    let b = store.create_key("b");
    store.quiet(&["create-alias", "--alias-name", "alias/a", "--target-key-id", &a]);
    let blob = store.encrypt(&a, b"x", "");

    // One bit of a key record flipped.
    let path = store.file(&format!("keys/{a}"));
    let original = std::fs::read(&path).unwrap();
    let mut edited = original.clone();
    let middle = edited.len() / 2;
    edited[middle] ^= 0x40;
    std::fs::write(&path, &edited).unwrap();
    let err = store.run(&["describe-key", "--key-id", &a]).failed("CorruptRecordException", 14).to_owned();
    assert!(err.contains(&format!("key record {a}")), "{err}");
    assert!(err.contains(&path.display().to_string()), "{err}");
    store.run(&["decrypt", "--ciphertext-blob", &blob]).failed("CorruptRecordException", 14);
    // Maintenance counts it and leaves it alone; other keys work.
    assert_eq!(store.ok(&["maintenance"])["CorruptRecords"], 1);
    assert_eq!(std::fs::read(&path).unwrap(), edited);
    store.ok(&["describe-key", "--key-id", &b]);

    // Another key's genuine record copied under this name: the name is inside the MAC.
    std::fs::copy(store.file(&format!("keys/{b}")), &path).unwrap();
    let err = store.run(&["describe-key", "--key-id", &a]).failed("CorruptRecordException", 14).to_owned();
    assert!(err.contains(&format!("key record {a}")), "{err}");

    // Restored from the backup: works again.
    std::fs::write(&path, &original).unwrap();
    assert_eq!(store.decrypt(&blob, ""), b"x");

    // An alias record edited (truncated).
    let alias = store.file("aliases/@a");
    let bytes = std::fs::read(&alias).unwrap();
    std::fs::write(&alias, &bytes[..bytes.len() - 1]).unwrap();
    let err = store.run(&["describe-key", "--key-id", "alias/a"]).failed("CorruptRecordException", 14).to_owned();
    assert!(err.contains("alias record alias/a"), "{err}");
    // ListAliases lists the rest and counts it, as maintenance does.
    let listed = store.ok(&["list-aliases"]);
    assert_eq!(listed["Aliases"].as_array().unwrap().len(), 0, "{listed}");
    assert_eq!(listed["CofferCorruptRecords"], 1, "{listed}");

    // A record that cannot be read at all (a directory in its place): an internal error.
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    let err = store.run(&["describe-key", "--key-id", &a]).failed("KMSInternalException", 1).to_owned();
    assert!(err.contains(&path.display().to_string()), "{err}");
}

#[test]
fn audit_log_filters_by_key_time_and_operation() {
    let store = Store::new();
    let a = at(&store, T0, &["create-key"]).json()["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let b = at(&store, T0 + DAY, &["create-key"]).json()["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    at(&store, T0 + 2 * DAY, &["encrypt", "--key-id", &a, "--plaintext", "eA=="]).json();
    at(&store, T0 + 3 * DAY, &["disable-key", "--key-id", &a]);
    at(&store, T0 + 4 * DAY, &["encrypt", "--key-id", &a, "--plaintext", "eA=="]).failed("DisabledException", 7);

    let all = store.ok(&["audit"]);
    let events = all["Events"].as_array().unwrap();
    assert_eq!(events.len(), 5, "{all}");
    assert_eq!(events[0]["Operation"], "CreateKey");
    assert_eq!(events[0]["KeyId"], a);
    assert_eq!(events[0]["Outcome"], "Success");
    assert_eq!(events[0]["EventTime"], iso(T0));
    assert_eq!(events[0]["Timestamp"], T0);
    assert!(events[0].get("ErrorCode").is_none());
    assert_eq!(events[4]["Operation"], "Encrypt");
    assert_eq!(events[4]["Outcome"], "Failure");
    assert_eq!(events[4]["ErrorCode"], "DisabledException");

    let of_a = store.ok(&["audit", "--key-id", &a]);
    assert_eq!(of_a["Events"].as_array().unwrap().len(), 4);
    let of_b = store.ok(&["audit", "--key-id", &key_arn(&b)]);
    assert_eq!(of_b["Events"].as_array().unwrap().len(), 1);
    let window = store.ok(&["audit", "--start-time", "2030-01-02", "--end-time", &(T0 + 3 * DAY).to_string()]);
    let ops: Vec<&str> =
        window["Events"].as_array().unwrap().iter().map(|e| e["Operation"].as_str().unwrap()).collect();
    assert_eq!(ops, ["CreateKey", "Encrypt", "DisableKey"]);
    let encrypts = store.ok(&["audit", "--operation", "Encrypt"]);
    assert_eq!(encrypts["Events"].as_array().unwrap().len(), 2);
    store.run(&["audit", "--start-time", "soon"]).failed("ValidationException", 3);
    store.run(&["audit", "--key-id", "alias/x"]).failed("ValidationException", 3);

    // The audit log needs no passphrase, carries no secret, and a line cut by a crash is skipped.
    let log = std::fs::read_to_string(store.file("audit.log")).unwrap();
    assert!(!log.contains("eA=="));
    let mut cut = log.clone();
    cut.push_str("{\"EventTime\":\"2030-");
    std::fs::write(store.file("audit.log"), cut).unwrap();
    let run = store.run_env(&["audit"], &[("COFFER_PASSPHRASE", "wrong")]);
    assert_eq!(run.json()["Events"].as_array().unwrap().len(), 5);
    assert!(run.stderr.contains("1 audit log line"), "{}", run.stderr);
}

#[test]
fn secrets_never_reach_arguments_output_or_files() {
    let store = Store::new();
    let id = store.create_key("k");
    let run = store.run(&["encrypt", "--key-id", &id, "--plaintext", &b64(b"top secret")]);
    assert!(!run.stdout.contains(common::PASSPHRASE) && !run.stderr.contains(common::PASSPHRASE));
    for entry in walk(&store.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(!bytes.windows(10).any(|w| w == b"top secret"), "{}", entry.display());
        assert!(!bytes.windows(common::PASSPHRASE.len()).any(|w| w == common::PASSPHRASE.as_bytes()));
    }
    // There is no passphrase or PIN option.
    assert_eq!(store.run(&["init", "--passphrase", "x"]).code, 2);
    assert_eq!(store.run(&["init", "--pin", "x"]).code, 2);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() { out.extend(walk(&path)) } else { out.push(path) }
    }
    out
}

/// On a terminal the passphrase is prompted for (twice at init) and read with echo off; the
/// terminal is a pseudo-terminal made by util-linux's `script` (skipped where it is missing).
#[test]
fn passphrase_prompt_on_a_terminal() {
    if std::process::Command::new("script").arg("--version").output().is_err() {
        eprintln!("no `script` here: skipped");
        return;
    }
    let store = Store::empty();
    let on_tty = |command: &str, typed: &str| {
        let mut cmd = std::process::Command::new("script");
        let command =
            if command == "init" { format!("init {}", common::TEST_KDF.join(" ")) } else { command.to_owned() };
        cmd.args(["-qfec", &format!("{} {command}", common::BIN), "/dev/null"])
            .env("COFFER_HOME", store.path())
            .env_remove("COFFER_PASSPHRASE")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), typed.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, screen) = on_tty("init", "first\nsecond\n");
    assert_eq!(code, Some(16), "{screen}");
    assert!(screen.contains("the two passphrases differ"), "{screen}");
    let (code, screen) = on_tty("init", "sesame\nsesame\n");
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("Coffer passphrase:") && screen.contains("Repeat the passphrase:"), "{screen}");
    let (code, screen) = on_tty("create-key --description typed", "sesame\n");
    assert_eq!(code, Some(0), "{screen}");
    let (code, screen) = on_tty("list-keys", "not it\n");
    assert_eq!(code, Some(16), "{screen}");
    // The same store opens from the environment with the passphrase typed before.
    let listed = store.run_env(&["list-keys"], &[("COFFER_PASSPHRASE", "sesame")]).json();
    assert_eq!(listed["Keys"].as_array().unwrap().len(), 1);
}
