//! The order of the system calls that make a record durable, read from a syscall trace: the
//! temporary file is written, then fsynced, then renamed (or linked) into place, then its
//! directory is fsynced. A SIGKILL keeps the page cache, so the crash tests cannot see a
//! missing fsync; power loss would. strace is installed by `.ci/run`; without it the tests say
//! SKIPPED, except under CI, where they fail.

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

use common::{Store, have_strace};

/// Runs `coffer args` under strace (`-y`: file descriptors printed with their paths) and
/// returns the trace's lines.
fn trace(store: &Store, args: &[&str]) -> Vec<String> {
    let cmd = store.command(args);
    let out = store.dir.path().join("trace");
    let mut traced = Command::new("strace");
    traced
        .args(["-f", "-y", "-qq", "-o"])
        .arg(&out)
        .args(["-e", "trace=openat,write,fsync,fdatasync,rename,renameat,renameat2,link,linkat"])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => traced.env(k, v),
            None => traced.env_remove(k),
        };
    }
    let status = traced.stdin(Stdio::null()).stdout(Stdio::null()).status().unwrap();
    assert!(status.success(), "coffer {args:?} under strace: {status:?}");
    std::fs::read_to_string(&out).unwrap().lines().map(str::to_owned).collect()
}

/// The index of the first line after `from` that satisfies `test`.
fn find(lines: &[String], from: usize, test: impl Fn(&str) -> bool) -> Option<usize> {
    lines.iter().enumerate().skip(from).find(|(_, l)| test(l)).map(|(i, _)| i)
}

/// A directory as the trace shows it: as given in path arguments, resolved after a file
/// descriptor (`-y`).
fn shown(dir: &Path) -> (String, String) {
    (dir.display().to_string(), dir.canonicalize().unwrap().display().to_string())
}

/// Checks every move of a temporary file into `dir` (by `call`, `rename` or `link`): it was
/// written, fsynced, then moved, then `dir` fsynced. Returns how many there were.
fn check_record_writes(lines: &[String], dir: &Path, call: &str) -> usize {
    let (dir, real) = shown(dir);
    check_moves(lines, &dir, &real, call)
}

/// [`check_record_writes`] for a directory shown as `dir` in arguments and `real` after a file
/// descriptor.
fn check_moves(lines: &[String], dir: &str, real: &str, call: &str) -> usize {
    let tmp_prefix = format!("{dir}/~tmp-");
    let mut checked = 0;
    for (moved, line) in lines.iter().enumerate() {
        // rename("<dir>/~tmp-..", "<dir>/name") or renameat(AT_FDCWD<..>, "<dir>/~tmp-..", ..).
        let is_move = line.contains(&format!("{call}(")) || line.contains(&format!("{call}at("));
        let Some(start) = line.find(&format!("\"{tmp_prefix}")) else { continue };
        if !is_move || !line.ends_with("= 0") {
            continue;
        }
        let tmp: String = line[start + 1..].chars().take_while(|&c| c != '"').collect();
        let fd_of_tmp = format!("<{}>", tmp.replacen(dir, real, 1));
        let opened =
            find(lines, 0, |l| l.contains("openat(") && l.contains(&format!("\"{tmp}\"")) && l.contains("O_CREAT"))
                .unwrap_or_else(|| panic!("no open of {tmp}"));
        let writes: Vec<usize> =
            (opened..moved).filter(|&i| lines[i].contains("write(") && lines[i].contains(&fd_of_tmp)).collect();
        assert!(!writes.is_empty(), "{tmp}: not written before it was moved");
        let synced =
            find(lines, opened, |l| (l.contains("fsync(") || l.contains("fdatasync(")) && l.contains(&fd_of_tmp))
                .unwrap_or_else(|| panic!("{tmp}: never fsynced"));
        assert!(synced < moved, "{tmp}: fsynced (line {synced}) after it was moved (line {moved})");
        assert!(writes.iter().all(|&w| w < synced), "{tmp}: written after its fsync");
        let dir_synced = find(lines, moved, |l| l.contains("fsync(") && l.contains(&format!("<{real}>)")));
        assert!(dir_synced.is_some(), "{tmp}: {dir} not fsynced after the move:\n{}", lines[moved..].join("\n"));
        checked += 1;
    }
    checked
}

#[test]
fn records_are_fsynced_before_their_rename_and_the_directory_after() {
    if !have_strace() {
        return;
    }
    let store = Store::new();
    let root = store.path();
    let lines = trace(&store, &["create-key", "--description", "traced"]);
    let keys = check_record_writes(&lines, &root.join("keys"), "rename");
    assert!(keys >= 1, "no key record written through a temporary file:\n{}", lines.join("\n"));
    let key = store.create_key("k");
    let lines = trace(&store, &["create-alias", "--alias-name", "alias/traced", "--target-key-id", &key]);
    assert!(check_record_writes(&lines, &root.join("aliases"), "rename") >= 1);
    // Access-key records are linked into place (an id is never reused).
    let lines = trace(&store, &["access-key", "create"]);
    assert_eq!(check_record_writes(&lines, &root.join("access-keys"), "link"), 1);
}

#[test]
fn init_fsyncs_config_json_then_renames_the_store_into_place_then_fsyncs_its_parent() {
    if !have_strace() {
        return;
    }
    let store = Store::empty();
    let (parent, real_parent) = shown(store.dir.path());
    let lines = trace(&store, &["init"]);
    // The build directory: `<parent>/.store.~init-<pid>-<random>`.
    let marker = format!("\"{parent}/.store.~init-");
    let build = lines
        .iter()
        .find_map(|l| {
            let start = l.find(&marker)? + 1 + parent.len() + 1;
            Some(l[start..].chars().take_while(|&c| c != '"' && c != '/').collect::<String>())
        })
        .map(|name| store.dir.path().join(name))
        .unwrap_or_else(|| panic!("no build directory:\n{}", lines.join("\n")));
    let built = build.display().to_string();
    let real_build = format!("{real_parent}/{}", build.file_name().unwrap().to_string_lossy());
    // config.json is written in the build directory as any record is.
    assert_eq!(check_moves(&lines, &built, &real_build, "rename"), 1, "{}", lines.join("\n"));
    let moved = find(&lines, 0, |l| l.contains("rename") && l.contains(&format!("\"{built}\"")) && l.ends_with("= 0"))
        .unwrap_or_else(|| panic!("the build was not renamed:\n{}", lines.join("\n")));
    let build_synced = find(&lines, 0, |l| l.contains("fsync(") && l.contains(&format!("<{real_build}>)")));
    assert!(build_synced.is_some_and(|i| i < moved), "the build directory is fsynced before it is renamed");
    let parent_synced = find(&lines, moved, |l| l.contains("fsync(") && l.contains(&format!("<{real_parent}>)")));
    assert!(parent_synced.is_some(), "the parent is not fsynced after the rename:\n{}", lines[moved..].join("\n"));
    store.ok(&["list-keys"]);
}
