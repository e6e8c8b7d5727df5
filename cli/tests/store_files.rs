//! What is put in place of the store's files: FIFOs, symbolic links, oversized files,
//! directories named like temporaries. Each must be refused (or left alone) at once, never
//! followed, never waited on, never read whole, and never stop the other commands.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Run, Store};

/// Runs the command, killed (and the test failed) if it has not ended within 20 seconds: a
/// command that waits on a FIFO never would.
fn within_deadline(store: &Store, args: &[&str]) -> Run {
    let mut child = store.command(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`coffer {}` still runs after 20 s: it waits on something", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn mkfifo(path: &Path) {
    assert!(Command::new("mkfifo").args(["-m", "600"]).arg(path).status().unwrap().success());
}

#[test]
fn a_fifo_in_keys_is_refused_at_once_and_stops_nothing_else() {
    let store = Store::new();
    let key = store.create_key("k");
    let fifo = "11111111-2222-3333-4444-555555555555";
    mkfifo(&store.file(&format!("keys/{fifo}")));
    let run = within_deadline(&store, &["describe-key", "--key-id", fifo]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("a FIFO, not a regular file"), "{run:?}");
    // The other keys are used as before.
    let run = within_deadline(&store, &["describe-key", "--key-id", &key]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = within_deadline(&store, &["create-key", "--description", "after"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = within_deadline(&store, &["list-keys"]);
    assert_eq!(run.code, 0, "{run:?}");
    // A FIFO named like a temporary file is removed as one.
    let tmp = store.file("keys/~tmp-1-1");
    mkfifo(&tmp);
    assert_eq!(within_deadline(&store, &["list-keys"]).code, 0);
    assert!(std::fs::symlink_metadata(&tmp).is_err(), "the stale temporary is gone");
}

#[test]
fn a_symbolic_link_in_place_of_a_record_is_not_followed() {
    let store = Store::new();
    let key = store.create_key("k");
    let alias = "alias/linked";
    store.quiet(&["create-alias", "--alias-name", alias, "--target-key-id", &key]);
    // The genuine records moved out of the store, links left in their place.
    for rel in [format!("keys/{key}"), "aliases/@linked".to_owned()] {
        let record = store.file(&rel);
        let elsewhere = store.dir.path().join(rel.replace('/', "_"));
        std::fs::rename(&record, &elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &record).unwrap();
    }
    let run = within_deadline(&store, &["describe-key", "--key-id", &key]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("a symbolic link, not a regular file"), "{run:?}");
    let run = within_deadline(&store, &["describe-key", "--key-id", alias]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("a symbolic link, not a regular file"), "{run:?}");
}

#[test]
fn an_oversized_config_json_is_not_read_whole() {
    let store = Store::new();
    let config = store.file("config.json");
    let genuine = std::fs::read(&config).unwrap();
    // 256 MiB, sparse: the JSON text followed by zeros.
    std::fs::OpenOptions::new().write(true).open(&config).unwrap().set_len(256 << 20).unwrap();
    let run = within_deadline(&store, &["list-keys"]);
    let err = run.failed("StoreException", 15);
    assert!(err.contains("config.json holds more bytes than it may"), "{err}");
    std::fs::write(&config, genuine).unwrap();
    store.ok(&["list-keys"]);
}

#[test]
fn a_directory_named_like_a_temporary_is_left_alone_and_fails_nothing() {
    let store = Store::new();
    for dir in ["keys/~tmp-x", "aliases/~tmp-y", "access-keys/~tmp-z", "~tmp-w"] {
        std::fs::create_dir_all(store.file(dir)).unwrap();
    }
    let key = store.create_key("k");
    store.quiet(&["create-alias", "--alias-name", "alias/a", "--target-key-id", &key]);
    store.ok(&["list-keys"]);
    store.ok(&["access-key", "create"]);
    for dir in ["keys/~tmp-x", "aliases/~tmp-y", "access-keys/~tmp-z", "~tmp-w"] {
        assert!(store.file(dir).is_dir(), "{dir} is not Coffer's to remove");
    }
}

#[test]
fn a_fifo_in_place_of_the_audit_log_or_the_lock_is_refused() {
    let store = Store::new();
    store.create_key("k");
    for name in ["audit.log", "lock"] {
        let path = store.file(name);
        let saved = store.dir.path().join("saved");
        std::fs::rename(&path, &saved).unwrap();
        mkfifo(&path);
        for args in [&["audit"][..], &["list-keys"]] {
            let run = within_deadline(&store, args);
            let err = run.failed("StoreException", 15);
            assert!(err.contains(name) && err.contains("not a regular file"), "{name} {args:?}: {err}");
        }
        std::fs::remove_file(&path).unwrap();
        std::fs::rename(&saved, &path).unwrap();
        store.ok(&["list-keys"]);
    }
}

/// A line of 2 GiB (sparse zeros, no newline) at the end of the audit log: `coffer audit`
/// skips it with its memory capped at 512 MiB of address space, so it cannot have held it.
#[test]
fn an_audit_line_too_long_is_skipped_not_kept() {
    let store = Store::new();
    store.create_key("k");
    store.create_key("again");
    if Command::new("prlimit").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "prlimit (util-linux) is missing");
        eprintln!("SKIPPED: no prlimit(1) here");
        return;
    }
    let log = store.file("audit.log");
    let len = std::fs::metadata(&log).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&log).unwrap().set_len(len + (2 << 30)).unwrap();
    let cmd = store.command(&["audit", "--operation", "CreateKey"]);
    let program = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(ToOwned::to_owned).collect();
    let envs: Vec<_> = cmd.get_envs().map(|(k, v)| (k.to_owned(), v.map(ToOwned::to_owned))).collect();
    let mut limited = Command::new("prlimit");
    limited.arg("--as=536870912").arg(program).args(args).stdin(Stdio::null());
    for (k, v) in envs {
        match v {
            Some(v) => limited.env(k, v),
            None => limited.env_remove(k),
        };
    }
    let out = limited.output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    let v: serde_json::Value = run.json();
    assert_eq!(v["Events"].as_array().unwrap().len(), 2, "{v}");
    assert!(run.stderr.contains("1 audit log line(s) could not be read"), "{run:?}");
}
