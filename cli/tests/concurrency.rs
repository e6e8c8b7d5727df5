//! Several `coffer` processes mutating one store at once: the store lock serializes each
//! command's read-modify-write, so nothing is lost.

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

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use common::Store;

const PROCESSES: usize = 4;
const ROUNDS: usize = 25;

#[test]
fn parallel_create_key_and_create_alias_lose_nothing() {
    let store = Arc::new(Store::new());
    let started = Instant::now();
    let workers: Vec<_> = (0..PROCESSES)
        .map(|w| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let mut made = Vec::new();
                for i in 0..ROUNDS {
                    let name = format!("w{w}-{i}");
                    let id = store.create_key(&name);
                    store.quiet(&["create-alias", "--alias-name", &format!("alias/{name}"), "--target-key-id", &id]);
                    made.push((name, id));
                }
                made
            })
        })
        .collect();
    let made: Vec<(String, String)> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    let elapsed = started.elapsed();
    assert_eq!(made.len(), PROCESSES * ROUNDS);
    eprintln!("{PROCESSES} workers ran {} coffer processes in {elapsed:?}", PROCESSES * ROUNDS * 2);

    let keys = store.ok(&["list-keys"]);
    let listed: BTreeSet<String> =
        keys["Keys"].as_array().unwrap().iter().map(|k| k["KeyId"].as_str().unwrap().to_owned()).collect();
    let expected: BTreeSet<String> = made.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(listed, expected);

    let aliases = store.ok(&["list-aliases"]);
    let listed: BTreeMap<String, String> = aliases["Aliases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["AliasName"].as_str().unwrap().to_owned(), a["TargetKeyId"].as_str().unwrap().to_owned()))
        .collect();
    let expected: BTreeMap<String, String> = made.iter().map(|(n, id)| (format!("alias/{n}"), id.clone())).collect();
    assert_eq!(listed, expected);
    for (name, id) in made.iter().step_by(7) {
        let m = store.ok(&["describe-key", "--key-id", &format!("alias/{name}")]);
        assert_eq!(m["KeyMetadata"]["KeyId"], id.as_str());
        assert_eq!(m["KeyMetadata"]["Description"], name.as_str());
    }

    // Every command's audit events are there, each line whole.
    let audit = store.ok(&["audit"]);
    let events = audit["Events"].as_array().unwrap();
    let count = |op: &str| events.iter().filter(|e| e["Operation"] == op).count();
    assert_eq!(count("CreateKey"), PROCESSES * ROUNDS);
    assert_eq!(count("CreateAlias"), PROCESSES * ROUNDS);
    assert!(events.iter().all(|e| e["Outcome"] == "Success"));
}

#[test]
fn parallel_rotations_of_one_key_are_each_kept() {
    // Each rotation reads the key record, adds a version and writes it back: a lost update
    // would show as a missing version number. Together they stay within the 25 rotations on
    // demand a key allows.
    const EACH: usize = 25 / PROCESSES;
    let store = Arc::new(Store::new());
    let id = Arc::new(store.create_key("shared"));
    let workers: Vec<_> = (0..PROCESSES)
        .map(|_| {
            let (store, id) = (Arc::clone(&store), Arc::clone(&id));
            std::thread::spawn(move || {
                (0..EACH)
                    .map(|_| store.ok(&["rotate-key-on-demand", "--key-id", &id])["CofferKeyVersion"].as_u64().unwrap())
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let mut versions: Vec<u64> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    versions.sort_unstable();
    let total = u64::try_from(PROCESSES * EACH).unwrap();
    assert_eq!(versions, (2..=total + 1).collect::<Vec<u64>>());
    let m = store.ok(&["describe-key", "--key-id", &id]);
    assert_eq!(m["KeyMetadata"]["CofferCurrentKeyVersion"], total + 1);
    assert_eq!(
        store.ok(&["list-key-rotations", "--key-id", &id])["Rotations"].as_array().unwrap().len(),
        PROCESSES * EACH
    );
}

/// `encrypt-file` and `decrypt-file` hold the store lock only while the data key is made or
/// unwrapped: a command blocked on its input (a FIFO here) does not keep others waiting.
#[test]
fn file_commands_release_the_store_lock_once_the_data_key_is_done() {
    use std::io::Write as _;
    use std::time::Duration;

    let store = Arc::new(Store::new());
    let key = store.create_key("files");
    let dir = tempfile::tempdir().unwrap();
    let plain: Vec<u8> = (0..300_000u32).map(|i| i.to_le_bytes()[1]).collect();

    // encrypt-file reading a FIFO: the data key is made before the first byte is read.
    let fifo = dir.path().join("in.fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let enc = dir.path().join("out.enc");
    let mut child = store
        .command(&[
            "encrypt-file",
            "--key-id",
            &key,
            "--input-file",
            &fifo.display().to_string(),
            "--output-file",
            &enc.display().to_string(),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    writer.write_all(&plain[..1000]).unwrap();
    // Another command gets the lock while encrypt-file waits for the rest of its input.
    let other = run_with_timeout(&store, &["create-key", "--description", "while encrypting"]);
    assert_eq!(other.code, 0, "{other:?}");
    assert!(child.try_wait().unwrap().is_none(), "encrypt-file is still waiting for input");
    writer.write_all(&plain[1000..]).unwrap();
    drop(writer);
    assert!(child.wait().unwrap().success());

    // decrypt-file reading a FIFO: the lock goes once the header's data key is unwrapped.
    let message = std::fs::read(&enc).unwrap();
    let fifo = dir.path().join("enc.fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let out = dir.path().join("out.plain");
    let mut child = store
        .command(&[
            "decrypt-file",
            "--input-file",
            &fifo.display().to_string(),
            "--output-file",
            &out.display().to_string(),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    // The header and the first frames, not the end.
    writer.write_all(&message[..message.len() / 2]).unwrap();
    writer.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let other = run_with_timeout(&store, &["create-key", "--description", "while decrypting"]);
    assert_eq!(other.code, 0, "{other:?}");
    assert!(!out.exists(), "nothing is in place before the message verified");
    writer.write_all(&message[message.len() / 2..]).unwrap();
    drop(writer);
    assert!(child.wait().unwrap().success());
    assert_eq!(std::fs::read(&out).unwrap(), plain);
}

/// Runs a command that must finish within 20 s (a lock never released would hang it).
fn run_with_timeout(store: &Store, args: &[&str]) -> common::Run {
    let mut child =
        store.command(args).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            panic!("{args:?} waited more than 20 s: the store lock was not released");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}
