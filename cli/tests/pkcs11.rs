//! `coffer` on a PKCS#11 token: SoftHSMv2 with a token directory of the test's own
//! (`SOFTHSM2_CONF` set for the processes it runs), the token made with `softhsm2-util`.
//!
//! `COFFER_TEST_PKCS11_MODULE` names another module (default: SoftHSMv2's).

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

use common::token::{PIN, module, pkcs11_store};
use common::{Store, b64, key_arn};

#[test]
fn every_kind_of_command_on_a_token() {
    let store = pkcs11_store("cli-e2e");
    let init = store.ok(&["init", "--pkcs11", "--module", &module(), "--token", "cli-e2e"]);
    assert_eq!(init["Backend"], "pkcs11");
    assert_eq!(init["Token"], "cli-e2e");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(store.file("config.json")).unwrap()).unwrap();
    assert_eq!(config["backend"]["type"], "pkcs11");
    assert_eq!(config["backend"]["token"], "cli-e2e");
    assert_eq!(config["backend"]["module"], module());
    assert_eq!(config["backend"]["label_prefix"], "coffer");
    assert!(!std::fs::read_to_string(store.file("config.json")).unwrap().contains(PIN));

    let id = store.create_key("on the token");
    store.quiet(&["create-alias", "--alias-name", "alias/hsm", "--target-key-id", &id]);
    let old = store.encrypt("alias/hsm", b"sealed in the token", "site=lab");
    let rotated = store.ok(&["rotate-key-on-demand", "--key-id", "alias/hsm"]);
    assert_eq!(rotated["CofferKeyVersion"], 2);
    assert_eq!(store.decrypt(&old, "site=lab"), b"sealed in the token");
    let dk = store.ok(&["generate-data-key", "--key-id", "alias/hsm", "--key-spec", "AES_256"]);
    assert_eq!(store.decrypt(dk["CiphertextBlob"].as_str().unwrap(), "").len(), 32);
    let other = store.create_key("second");
    let re = store.ok(&[
        "re-encrypt",
        "--ciphertext-blob",
        &old,
        "--source-encryption-context",
        "site=lab",
        "--destination-key-id",
        &other,
    ]);
    assert_eq!(re["KeyId"], key_arn(&other));
    assert_eq!(store.decrypt(re["CiphertextBlob"].as_str().unwrap(), ""), b"sealed in the token");
    assert_eq!(store.ok(&["generate-random", "--number-of-bytes", "32"])["Plaintext"].as_str().unwrap().len(), 44);
    assert_eq!(store.ok(&["maintenance"])["CorruptRecords"], 0);
    store
        .run(&["decrypt", "--ciphertext-blob", &old, "--encryption-context", "site=elsewhere"])
        .failed("InvalidCiphertextException", 9);

    // Files: the data key made and unwrapped by the token's keys, two keys on one message.
    let dir = tempfile::tempdir().unwrap();
    let (input, enc, out) = (dir.path().join("in"), dir.path().join("enc"), dir.path().join("out"));
    std::fs::write(&input, vec![0xa5; 200_000]).unwrap();
    let (input_s, enc_s, out_s) = (input.display().to_string(), enc.display().to_string(), out.display().to_string());
    let made = store.ok(&[
        "encrypt-file",
        "--key-id",
        "alias/hsm",
        "--key-id",
        &other,
        "--input-file",
        &input_s,
        "--output-file",
        &enc_s,
    ]);
    assert_eq!(made["KeyIds"], serde_json::json!([key_arn(&id), key_arn(&other)]));
    store.ok(&["decrypt-file", "--key-id", &other, "--input-file", &enc_s, "--output-file", &out_s]);
    assert_eq!(std::fs::read(&out).unwrap(), vec![0xa5; 200_000]);

    // The token check runs on the store's token.
    let check = store.ok(&["token-check"]);
    assert_eq!(check["Passed"], true);
    assert!(check["Checks"].as_array().unwrap().len() > 5);
    assert!(check["Checks"].as_array().unwrap().iter().all(|c| c["Status"] != "Fail"));

    // A record edited on disk is refused, by name, with the token's sealing key too.
    let path = store.file(&format!("keys/{other}"));
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let err = store.run(&["describe-key", "--key-id", &other]).failed("CorruptRecordException", 14).to_owned();
    assert!(err.contains(&format!("key record {other}")), "{err}");
}

#[test]
fn pins_tokens_and_modules_that_do_not_work() {
    let store = pkcs11_store("cli-errors");
    store.ok(&["init", "--pkcs11", "--token", "cli-errors"]);
    let id = store.create_key("k");

    // The PIN from a file works; a wrong one, or none at all without a terminal, is refused.
    let pin_file = store.dir.path().join("pin");
    std::fs::write(&pin_file, format!("{PIN}\n")).unwrap();
    // A PIN file others can read is refused; a private one is used.
    let mut cmd = store.command(&["describe-key", "--key-id", &id]);
    cmd.env_remove("COFFER_PKCS11_PIN").env("COFFER_PKCS11_PIN_FILE", &pin_file);
    std::fs::set_permissions(&pin_file, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    assert_eq!(cmd.output().unwrap().status.code(), Some(16));
    std::fs::set_permissions(&pin_file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let mut cmd = store.command(&["describe-key", "--key-id", &id]);
    cmd.env_remove("COFFER_PKCS11_PIN").env("COFFER_PKCS11_PIN_FILE", &pin_file);
    assert!(cmd.output().unwrap().status.success());
    store
        .run_env(&["describe-key", "--key-id", &id], &[("COFFER_PKCS11_PIN", "0000")])
        .failed("AccessDeniedException", 16);
    let mut cmd = store.command(&["describe-key", "--key-id", &id]);
    cmd.env_remove("COFFER_PKCS11_PIN");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(16), "{out:?}");

    // On a terminal (a pseudo-terminal made by `script`) the PIN is prompted for.
    if std::process::Command::new("script").arg("--version").output().is_ok() {
        let on_tty = |typed: &str| {
            let mut cmd = std::process::Command::new("script");
            cmd.args(["-qfec", &format!("{} describe-key --key-id {id}", common::BIN), "/dev/null"])
                .env("COFFER_HOME", store.path())
                .env_remove("COFFER_PKCS11_PIN")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped());
            for (k, v) in store.env.iter().filter(|(k, _)| k != "COFFER_PKCS11_PIN") {
                cmd.env(k, v);
            }
            let mut child = cmd.spawn().unwrap();
            std::io::Write::write_all(child.stdin.as_mut().unwrap(), typed.as_bytes()).unwrap();
            let out = child.wait_with_output().unwrap();
            (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
        };
        let (code, screen) = on_tty(&format!("{PIN}\n"));
        assert_eq!(code, Some(0), "{screen}");
        assert!(screen.contains("User PIN of token \"cli-errors\":"), "{screen}");
        let (code, screen) = on_tty("9999\n");
        assert_eq!(code, Some(16), "{screen}");
    }

    // The token already holds root keys: a second store must say it wants to share them.
    let second = Store { dir: tempfile::tempdir().unwrap(), env: store.env.clone() };
    second.run(&["init", "--pkcs11", "--token", "cli-errors"]).failed("StoreException", 15);
    second.ok(&["init", "--pkcs11", "--token", "cli-errors", "--use-existing-root-keys"]);
    // Same root keys: a record copied from the first store opens in the second.
    std::fs::copy(store.file(&format!("keys/{id}")), second.file(&format!("keys/{id}"))).unwrap();
    let blob = store.encrypt(&id, b"shared root", "");
    assert_eq!(second.decrypt(&blob, ""), b"shared root");
    // Another prefix: another root, on the same token.
    let third = Store { dir: tempfile::tempdir().unwrap(), env: store.env.clone() };
    third.ok(&["init", "--pkcs11", "--token", "cli-errors", "--label-prefix", "other"]);
    std::fs::copy(store.file(&format!("keys/{id}")), third.file(&format!("keys/{id}"))).unwrap();
    third.run(&["decrypt", "--ciphertext-blob", &blob]).failed("CorruptRecordException", 14);

    // No such token, no such module: the HSM is unavailable.
    let fourth = Store { dir: tempfile::tempdir().unwrap(), env: store.env.clone() };
    fourth.run(&["init", "--pkcs11", "--token", "no-such-token"]).failed("KeyUnavailableException", 13);
    fourth
        .run(&["init", "--pkcs11", "--token", "cli-errors", "--module", "/nonexistent/libpkcs11.so"])
        .failed("KeyUnavailableException", 13);
    fourth.run(&["init", "--pkcs11"]).failed("ValidationException", 3);
    assert!(!fourth.path().join("config.json").exists());
    fourth.run(&["token-check", "--token", "no-such-token"]).failed("KeyUnavailableException", 13);
    // Without a store, token-check takes the token from its arguments.
    assert_eq!(fourth.ok(&["token-check", "--token", "cli-errors"])["Passed"], true);

    // The store's token is gone (its files removed): the store cannot be used.
    let tokens = store.dir.path().join("tokens");
    std::fs::remove_dir_all(&tokens).unwrap();
    std::fs::create_dir_all(&tokens).unwrap();
    store.run(&["encrypt", "--key-id", &id, "--plaintext", &b64(b"x")]).failed("KeyUnavailableException", 13);
}

/// Exit codes 17 and 12 on a SoftHSMv2 token whose library offers only some mechanisms
/// (`slots.mechanisms` in its configuration).
#[test]
fn a_token_lacking_mechanisms_fails_its_check_and_its_operations() {
    let store = pkcs11_store("cli-lacking");
    let conf = store.dir.path().join("softhsm2.conf");
    let restrict = |mechanisms: &str| {
        let text = std::fs::read_to_string(&conf).unwrap();
        let kept: String =
            text.lines().filter(|l| !l.starts_with("slots.mechanisms")).map(|l| format!("{l}\n")).collect();
        std::fs::write(&conf, format!("{kept}slots.mechanisms = {mechanisms}\n")).unwrap();
    };
    // No AES-GCM: token-check runs, its self-tests fail: TokenCheckFailedException (17).
    restrict("CKM_AES_KEY_GEN,CKM_GENERIC_SECRET_KEY_GEN,CKM_AES_KEY_WRAP_PAD,CKM_SHA256_HMAC");
    let run = store.run(&["token-check", "--module", &module(), "--token", "cli-lacking"]);
    assert_eq!(run.code, 17, "{run:?}");
    assert!(run.stderr.contains("TokenCheckFailedException") && run.stderr.contains("GCM"), "{run:?}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(report["Checks"].as_array().unwrap().iter().any(|c| c["Status"] == "Fail"));
    // A store on the full token, then the token without AES key wrap: making a key is
    // UnsupportedOperationException (12).
    restrict("ALL");
    store.ok(&["init", "--pkcs11", "--module", &module(), "--token", "cli-lacking"]);
    let key = store.create_key("before");
    restrict("CKM_AES_KEY_GEN,CKM_GENERIC_SECRET_KEY_GEN,CKM_AES_GCM,CKM_SHA256_HMAC");
    store.run(&["create-key"]).failed("UnsupportedOperationException", 12);
    // Without AES-GCM, Encrypt is refused the same way (it was a KMSInternalException).
    restrict("CKM_AES_KEY_GEN,CKM_GENERIC_SECRET_KEY_GEN,CKM_AES_KEY_WRAP_PAD,CKM_SHA256_HMAC");
    store.run(&["encrypt", "--key-id", &key, "--plaintext", "aGk="]).failed("UnsupportedOperationException", 12);
}
