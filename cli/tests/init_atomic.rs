//! `coffer init` is all or nothing: killed at any point, it leaves either no store (and the
//! next `init` makes one) or the whole store, never a directory that `list-keys` calls no store
//! and `init` calls not empty.
//!
//! The kills are put exactly where they matter with strace's fault injection (`-e
//! inject=SYSCALL:signal=KILL:when=N` kills the process as it enters its Nth such call): at
//! every directory made, every fsync and every rename of an `init`. strace is installed by
//! `.ci/run`; without it the test says SKIPPED, except under CI, where it fails. A loop of kills
//! at random times needs nothing.

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

use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::ExitStatusExt as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Store, have_strace};

/// The temporary build directories of `init` left beside the store.
fn builds(store: &Store) -> Vec<String> {
    std::fs::read_dir(store.dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".store.~init-"))
        .collect()
}

/// Asserts `init` was refused with a StoreException saying `why` (after the test KDF's warning).
fn refused(run: &common::Run, why: &str) {
    assert_eq!(run.code, 15, "{run:?}");
    assert!(run.stderr.contains("(StoreException)") && run.stderr.contains(why), "{run:?}");
}

/// Checks what a killed `init` left: nothing, or a whole store. Then `init` (again) must give
/// a working store and leave no build directory behind.
fn check_after_kill(store: &Store, what: &str) {
    let root = store.path();
    if root.exists() {
        assert!(root.join("config.json").exists(), "{what}: a store directory without config.json");
        store.ok(&["list-keys"]);
        refused(&store.run(&["init"]), "already exists");
    } else {
        let run = store.run(&["list-keys"]);
        assert!(run.failed("StoreException", 15).contains("run `coffer init`"), "{what}: {run:?}");
        store.ok(&["init"]);
        store.ok(&["list-keys"]);
    }
    assert_eq!(builds(store), Vec::<String>::new(), "{what}: build directories left");
}

#[test]
fn init_killed_at_every_step_leaves_no_store_or_a_whole_one() {
    if !have_strace() {
        return;
    }
    let mut kills = 0;
    for syscall in ["mkdir", "mkdirat", "openat", "fsync", "rename", "renameat", "renameat2"] {
        for when in 1..=12 {
            let store = Store::empty();
            let init = store.command(&["init"]);
            let mut traced = Command::new("strace");
            traced
                .args(["-f", "-qq", "-o", "/dev/null", "-e"])
                .arg(format!("inject={syscall}:signal=KILL:when={when}"))
                .arg(init.get_program());
            traced.args(init.get_args());
            for (k, v) in init.get_envs() {
                match v {
                    Some(v) => traced.env(k, v),
                    None => traced.env_remove(k),
                };
            }
            let status = traced.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).status().unwrap();
            let killed = status.signal() == Some(9) || status.code() == Some(128 + 9);
            let what = format!("killed at {syscall} #{when}");
            if killed {
                kills += 1;
            } else {
                assert!(status.success(), "{what}: {status:?}");
            }
            check_after_kill(&store, &what);
            if !killed {
                break; // fewer than `when` such calls: the later ones would not kill either
            }
        }
    }
    assert!(kills >= 8, "only {kills} kills happened: strace's injection did not work");
}

/// Kills at random times during `init`: no injection, only timing.
#[test]
fn init_killed_at_random_times_leaves_no_store_or_a_whole_one() {
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64 ^ u64::from(std::process::id());
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..30 {
        let store = Store::empty();
        let mut child = store.command(&["init"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_micros(next() % 40_000));
        let _ = child.kill();
        let _ = child.wait();
        check_after_kill(&store, &format!("round {round}"));
    }
}

#[test]
fn an_existing_empty_directory_is_replaced_and_anything_else_refused() {
    // Empty, mode 0777: replaced by the new store (mode 0700).
    let store = Store::empty();
    std::fs::create_dir(store.path()).unwrap();
    std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    store.ok(&["init"]);
    assert_eq!(std::fs::metadata(store.path()).unwrap().permissions().mode() & 0o7777, 0o700);
    store.ok(&["list-keys"]);

    // Not empty: refused, its content untouched, nothing left beside it.
    let used = Store::empty();
    std::fs::create_dir(used.path()).unwrap();
    std::fs::write(used.file("notes"), b"mine").unwrap();
    refused(&used.run(&["init"]), "not empty");
    assert_eq!(std::fs::read(used.file("notes")).unwrap(), b"mine");
    assert!(builds(&used).is_empty());

    // A symbolic link in the store's place: refused, not replaced.
    let linked = Store::empty();
    let target = linked.dir.path().join("elsewhere");
    std::fs::create_dir(&target).unwrap();
    std::os::unix::fs::symlink(&target, linked.path()).unwrap();
    refused(&linked.run(&["init"]), "symbolic link");
    assert!(std::fs::symlink_metadata(linked.path()).unwrap().file_type().is_symlink());
    assert!(std::fs::read_dir(&target).unwrap().next().is_none());
}

#[test]
fn concurrent_inits_make_one_store() {
    let store = Store::empty();
    let children: Vec<_> = (0..4)
        .map(|_| store.command(&["init"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap())
        .collect();
    let outcomes: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    let made = outcomes.iter().filter(|o| o.status.success()).count();
    assert_eq!(made, 1, "{outcomes:?}");
    for o in outcomes.iter().filter(|o| !o.status.success()) {
        assert_eq!(o.status.code(), Some(15), "{o:?}");
    }
    store.ok(&["list-keys"]);
    assert!(builds(&store).is_empty());
}

#[test]
fn a_dead_inits_build_directory_is_removed_by_the_next_init() {
    let store = Store::empty();
    // As a killed init leaves it: a build directory whose lock nobody holds.
    let dead = store.dir.path().join(".store.~init-1-00");
    std::fs::create_dir_all(dead.join("keys")).unwrap();
    std::fs::write(dead.join("lock"), b"").unwrap();
    // Not Coffer's: another name, or a symbolic link named like a build.
    let other = store.dir.path().join(".store.other");
    std::fs::create_dir(&other).unwrap();
    std::os::unix::fs::symlink(&other, store.dir.path().join(".store.~init-2-00")).unwrap();
    store.ok(&["init"]);
    assert!(!dead.exists());
    assert!(other.exists());
    assert!(std::fs::symlink_metadata(store.dir.path().join(".store.~init-2-00")).is_ok());
}
