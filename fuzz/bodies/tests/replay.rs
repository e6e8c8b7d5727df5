//! Every committed corpus entry and every kept crash, replayed through its target's body on
//! stable: a regression fails here without nightly or libFuzzer.
//!
//! `fuzz/corpus/<target>/` holds the generator's seeds (checked to be exactly what
//! `coffer_fuzz_bodies::corpus` makes); `fuzz/regressions/<target>/` holds inputs that once
//! crashed a target, kept after the fix. A folder named after no target fails the test, so an
//! input is never skipped silently.

// Test code: helpers fail by panicking; std is what a test uses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::std_instead_of_core)]

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use coffer_fuzz_bodies::{TARGETS, body, corpus};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// (target, file) for every file under `fuzz/<kind>/`.
fn inputs(kind: &str) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let Ok(targets) = fs::read_dir(fuzz_dir().join(kind)) else { return out };
    for target in targets {
        let target = target.unwrap();
        let name = target.file_name().into_string().unwrap();
        assert!(body(&name).is_some(), "fuzz/{kind}/{name}: no such target in coffer_fuzz_bodies::TARGETS");
        for file in fs::read_dir(target.path()).unwrap() {
            out.push((name.clone(), file.unwrap().path()));
        }
    }
    out.sort();
    out
}

fn replay(kind: &str) -> usize {
    let inputs = inputs(kind);
    let mut failed = Vec::new();
    for (target, path) in &inputs {
        let data = fs::read(path).unwrap();
        let run = body(target).unwrap();
        if catch_unwind(AssertUnwindSafe(|| run(&data))).is_err() {
            failed.push(path.display().to_string());
        }
    }
    assert!(failed.is_empty(), "inputs that fail their target (panic messages above): {failed:#?}");
    inputs.len()
}

#[test]
fn every_corpus_entry_replays() {
    let n = replay("corpus");
    assert!(n >= TARGETS.len(), "only {n} corpus entries");
}

#[test]
fn every_kept_crash_replays() {
    replay("regressions");
}

#[test]
fn committed_corpus_is_what_the_generator_makes() {
    for (target, _) in TARGETS {
        let dir = fuzz_dir().join("corpus").join(target);
        let mut committed: Vec<(String, Vec<u8>)> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|f| {
                let f = f.unwrap();
                (f.file_name().into_string().unwrap(), fs::read(f.path()).unwrap())
            })
            .collect();
        committed.sort();
        let mut made = corpus::seeds(target);
        made.sort();
        assert!(!made.is_empty(), "{target} has no seeds");
        assert!(
            committed == made,
            "fuzz/corpus/{target} differs from the generator: run `cargo run -p coffer-fuzz-bodies --bin make_corpus`"
        );
    }
}
