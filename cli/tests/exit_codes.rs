//! The exit-code table of `cli/README.md`, provoked end to end: each row's error name and code
//! from a real failure of the built `coffer`, every row accounted for (the three that need a
//! PKCS#11 token are provoked by `tests/pkcs11.rs`, which this test checks). Also every way a
//! `config.json` can be edited into something Coffer refuses (StoreException, 15, whatever
//! check catches it), and a full disk, which is the same internal error (1) for every write.

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

use std::path::Path;
use std::process::Command;

use common::{Run, Store, b64};
use serde_json::Value;

/// The rows of the README's exit-code table: (code, error name).
fn readme_rows() -> Vec<(i32, String)> {
    let readme = include_str!("../README.md");
    let section = readme.split("## Errors and exit codes").nth(1).unwrap();
    let table = section.split("\n## ").next().unwrap();
    table
        .lines()
        .filter(|l| l.starts_with('|'))
        .filter_map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            Some((cells[0].parse().ok()?, cells[1].trim_matches('`').to_owned()))
        })
        .collect()
}

/// Rows provoked in `tests/pkcs11.rs` (they need a token lacking a mechanism, or no token),
/// with the assertion there that provokes each.
const ON_A_TOKEN: [(i32, &str, &str); 3] = [
    (12, "UnsupportedOperationException", r#".failed("UnsupportedOperationException", 12)"#),
    (13, "KeyUnavailableException", r#".failed("KeyUnavailableException", 13)"#),
    (17, "TokenCheckFailedException", r#"run.stderr.contains("TokenCheckFailedException")"#),
];

/// Asserts `run` failed as `name` with `code` (or, for code 2, as a usage error).
fn check(run: &Run, name: &str, code: i32) {
    if code == 2 {
        assert_eq!(run.code, 2, "{run:?}");
    } else if code == 0 {
        assert_eq!(run.code, 0, "{run:?}");
    } else {
        run.failed(name, code);
    }
}

/// Runs `args` with every `fsync` failing with ENOSPC (a full disk, as a file system reports
/// it when the data cannot be written back), through strace's fault injection; `None` where
/// strace is not installed (outside CI).
fn on_a_full_disk(store: &Store, args: &[&str]) -> Option<Run> {
    let strace = ["/usr/bin/strace", "/bin/strace"].into_iter().find(|p| Path::new(p).exists());
    let Some(strace) = strace else {
        assert!(std::env::var_os("CI").is_none(), "strace is needed to simulate a full disk");
        eprintln!("SKIPPED: no strace to simulate a full disk");
        return None;
    };
    let inner = store.command(args);
    let mut cmd = Command::new(strace);
    cmd.args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync", "-e", "inject=fsync:error=ENOSPC"]);
    cmd.arg(inner.get_program()).args(inner.get_args()).stdin(std::process::Stdio::null());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = cmd.output().unwrap();
    Some(Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    })
}

#[test]
fn every_row_of_the_table_end_to_end() {
    let store = Store::new();
    let key = store.create_key("rows");
    let other = store.create_key("other");
    let blob = store.encrypt(&key, b"row", "");
    store.quiet(&["create-alias", "--alias-name", "alias/row", "--target-key-id", &key]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    let output = dir.path().join("out");
    std::fs::write(&input, b"file").unwrap();
    std::fs::write(&output, b"already here").unwrap();
    let (input, output) = (input.display().to_string(), output.display().to_string());
    let mut provoked: Vec<(i32, String)> = Vec::new();
    let mut expect = |run: Run, name: &str, code: i32| {
        check(&run, name, code);
        provoked.push((code, name.to_owned()));
    };

    expect(store.run(&["list-keys"]), "", 0);
    // Without strace (outside CI): a record that cannot be read (a directory in its place).
    let full_disk = on_a_full_disk(&store, &["create-key"]);
    if let Some(run) = &full_disk {
        assert!(run.stderr.contains("No space left on device"), "{run:?}");
    }
    let run = full_disk.unwrap_or_else(|| {
        let path = store.file("keys/00000000-0000-4000-8000-000000000000");
        std::fs::create_dir(&path).unwrap();
        let run = store.run(&["describe-key", "--key-id", "00000000-0000-4000-8000-000000000000"]);
        std::fs::remove_dir(&path).unwrap();
        run
    });
    expect(run, "KMSInternalException", 1);
    expect(store.run(&["describe-key", "--no-such-option"]), "(usage)", 2);
    expect(
        store.run(&["enable-key-rotation", "--key-id", &key, "--rotation-period-in-days", "10"]),
        "ValidationException",
        3,
    );
    expect(store.run(&["describe-key", "--key-id", "00000000-0000-4000-8000-000000000000"]), "NotFoundException", 4);
    expect(
        store.run(&["create-alias", "--alias-name", "alias/row", "--target-key-id", &key]),
        "AlreadyExistsException",
        5,
    );
    expect(
        store.run(&["create-alias", "--alias-name", "alias/aws/row", "--target-key-id", &key]),
        "InvalidAliasNameException",
        6,
    );
    expect(store.run(&["decrypt", "--ciphertext-blob", &b64(b"not a blob at all")]), "InvalidCiphertextException", 9);
    expect(store.run(&["decrypt", "--ciphertext-blob", &blob, "--key-id", &other]), "IncorrectKeyException", 10);
    expect(
        store.run(&["encrypt-file", "--key-id", &key, "--input-file", &input, "--output-file", &output]),
        "OutputFileExistsException",
        18,
    );
    expect(store.run(&["list-keys", "--marker", "not-a-key-id"]), "InvalidMarkerException", 19);
    store.quiet(&["disable-key", "--key-id", &other]);
    expect(store.run(&["encrypt", "--key-id", &other, "--plaintext", &b64(b"x")]), "DisabledException", 7);
    store.quiet(&["enable-key", "--key-id", &other]);
    store.ok(&["schedule-key-deletion", "--key-id", &other]);
    expect(store.run(&["encrypt", "--key-id", &other, "--plaintext", &b64(b"x")]), "KMSInvalidStateException", 8);
    // 25 on-demand rotations are allowed per key (as AWS KMS); the 26th is refused.
    for _ in 0..25 {
        store.ok(&["rotate-key-on-demand", "--key-id", &key]);
    }
    expect(store.run(&["rotate-key-on-demand", "--key-id", &key]), "LimitExceededException", 11);
    let record = store.file(&format!("keys/{key}"));
    let mut bytes = std::fs::read(&record).unwrap();
    bytes[20] ^= 1;
    std::fs::write(&record, &bytes).unwrap();
    expect(store.run(&["describe-key", "--key-id", &key]), "CorruptRecordException", 14);
    expect(store.run_env(&["list-keys"], &[("COFFER_PASSPHRASE", "wrong")]), "AccessDeniedException", 16);
    let empty = Store::empty();
    expect(empty.run(&["list-keys"]), "StoreException", 15);

    let pkcs11_tests = include_str!("pkcs11.rs");
    for (code, name, provocation) in ON_A_TOKEN {
        assert!(pkcs11_tests.contains(provocation), "tests/pkcs11.rs no longer provokes {name} ({code})");
        provoked.push((code, name.to_owned()));
    }
    provoked.sort();
    let mut rows = readme_rows();
    rows.sort();
    assert_eq!(provoked, rows, "every row of the README's table is provoked, with its name and code");
}

/// Every edit of `config.json` that Coffer refuses before or while unlocking is a
/// StoreException (15), whichever check catches it: the KDF parameters Argon2 refuses, a salt
/// too short, sealed root keys that are not shaped as such, a relative PKCS#11 module path,
/// unknown JSON. (An edit that passes those checks is caught by the file's MAC:
/// CorruptRecordException, 14; sealed root keys of the right shape but other bytes cannot be
/// told from a wrong passphrase: AccessDeniedException, 16.)
#[test]
fn config_json_edits_are_store_exceptions() {
    let store = Store::new();
    let path = store.file("config.json");
    let original: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    type Edit = Box<dyn Fn(&mut Value)>;
    let edits: Vec<(&str, Edit)> = vec![
        ("parallelism 0", Box::new(|c| c["backend"]["kdf"]["parallelism"] = 0.into())),
        ("memory below Argon2's minimum", Box::new(|c| c["backend"]["kdf"]["memory_kib"] = 1.into())),
        ("a 3-byte salt", Box::new(|c| c["backend"]["kdf"]["salt"] = "AAAA".into())),
        ("truncated sealed root keys", Box::new(|c| c["backend"]["sealed_root_keys"] = b64(&[7; 40]).into())),
        ("sealed root keys not base64", Box::new(|c| c["backend"]["sealed_root_keys"] = "***".into())),
        ("a KDF of another kind", Box::new(|c| c["backend"]["kdf"]["algorithm"] = "scrypt".into())),
        ("memory above the cap", Box::new(|c| c["backend"]["kdf"]["memory_kib"] = (8u64 << 20).into())),
        ("an unknown field", Box::new(|c| c["extra"] = true.into())),
        (
            "a relative PKCS#11 module",
            Box::new(|c| {
                c["backend"] = serde_json::json!({
                    "type": "pkcs11", "module": "libsofthsm2.so", "token": "t", "label_prefix": "coffer"
                });
            }),
        ),
    ];
    for (what, edit) in edits {
        let mut config = original.clone();
        edit(&mut config);
        std::fs::write(&path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
        let run = store.run(&["list-keys"]);
        assert_eq!((run.code, run.stderr.contains("(StoreException)")), (15, true), "{what}: {run:?}");
        assert!(run.stderr.contains("config.json"), "{what}: the message names the file: {run:?}");
    }
    // Through the MAC (checked before the ARN prefix is parsed): an edited region, a
    // malformed account.
    for (field, value) in [("region", "eu-west-1"), ("account", "12")] {
        let mut config = original.clone();
        config["arn"][field] = value.into();
        std::fs::write(&path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
        store.run(&["list-keys"]).failed("CorruptRecordException", 14);
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&original).unwrap()).unwrap();
    store.ok(&["list-keys"]);
}

/// A full disk is the same internal error (KMSInternalException, 1) for a key record, an alias
/// record and an access key, and the failed write leaves nothing behind.
#[test]
fn a_full_disk_is_internal_for_every_write() {
    let store = Store::new();
    let key = store.create_key("full");
    for args in [
        vec!["create-key"],
        vec!["create-alias", "--alias-name", "alias/full", "--target-key-id", &key],
        vec!["access-key", "create"],
    ] {
        let Some(run) = on_a_full_disk(&store, &args) else { return };
        run.failed("KMSInternalException", 1);
        assert!(run.stderr.contains("No space left on device"), "{args:?}: {run:?}");
    }
    assert_eq!(store.ok(&["list-keys"])["Keys"].as_array().unwrap().len(), 1);
    assert!(store.ok(&["list-aliases"])["Aliases"].as_array().unwrap().is_empty());
    assert!(store.ok(&["access-key", "list"])["AccessKeyMetadata"].as_array().unwrap().is_empty());
    assert_eq!(common::temporaries(&store.path()), 0);
}
