//! The store as an attacker might leave it: a hostile current directory, a `config.json` another
//! user could write or naming a relative library, a clock set back, weak or absurd KDF
//! parameters.

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
use std::path::Path;
use std::process::{Command, Stdio};

use common::{BIN, Run, Store};
use serde_json::Value;

fn run(cmd: &mut Command) -> Run {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Rewrites the store's `config.json` through `edit`.
fn edit_config(store: &Store, edit: impl FnOnce(&mut Value)) {
    let path = store.file("config.json");
    let mut config: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut config);
    std::fs::write(&path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A directory laid out like a PKCS#11 store whose `config.json` names `./evil.so`.
fn hostile_store(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let config = serde_json::json!({
        "format": "coffer-store-1",
        "arn": { "partition": "aws", "region": "us-east-1", "account": "000000000000" },
        "backend": { "type": "pkcs11", "module": "./evil.so", "token": "t", "label_prefix": "coffer" },
    });
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
}

#[test]
fn the_current_directory_is_never_the_default_store() {
    let cwd = tempfile::tempdir().unwrap();
    hostile_store(&cwd.path().join(".coffer"));
    let home = tempfile::tempdir().unwrap();
    let coffer = |args: &[&str], xdg: Option<&Path>| {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .current_dir(cwd.path())
            .env_remove("COFFER_HOME")
            .env_remove("XDG_DATA_HOME")
            .env("HOME", home.path())
            .env("COFFER_PKCS11_PIN", "1234")
            .env("COFFER_PASSPHRASE", common::PASSPHRASE);
        if let Some(xdg) = xdg {
            cmd.env("XDG_DATA_HOME", xdg);
        }
        run(&mut cmd)
    };
    let listed = coffer(&["list-keys"], None);
    let err = listed.failed("StoreException", 15);
    assert!(err.contains(".local/share/coffer") && !err.contains("evil"), "{err}");
    // init makes the store there, not in the current directory.
    let mut init = vec!["init"];
    init.extend(common::TEST_KDF);
    let made = coffer(&init, None);
    assert_eq!(made.code, 0, "{made:?}");
    assert!(home.path().join(".local/share/coffer/config.json").exists());
    // XDG_DATA_HOME, when absolute, is where the store is.
    let xdg = tempfile::tempdir().unwrap();
    let err = coffer(&["list-keys"], Some(xdg.path())).failed("StoreException", 15).to_owned();
    assert!(err.contains(&xdg.path().join("coffer").display().to_string()), "{err}");
}

#[test]
fn a_relative_module_path_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    hostile_store(&store);
    chmod(&store, 0o700);
    chmod(&store.join("config.json"), 0o600);
    let coffer =
        |args: &[&str]| run(Command::new(BIN).args(args).env("COFFER_HOME", &store).env("COFFER_PKCS11_PIN", "1234"));
    // The path comes from config.json: a store the command refuses (15), not a bad argument.
    let err = coffer(&["list-keys"]).failed("StoreException", 15).to_owned();
    assert!(err.contains("./evil.so") && err.contains("not absolute"), "{err}");
    let err = coffer(&["token-check"]).failed("ValidationException", 3).to_owned();
    assert!(err.contains("not absolute"), "{err}");
    let fresh = dir.path().join("fresh");
    let err = run(Command::new(BIN)
        .args(["init", "--pkcs11", "--module", "libsofthsm2.so", "--token", "t"])
        .env("COFFER_HOME", &fresh)
        .env("COFFER_PKCS11_PIN", "1234"))
    .failed("ValidationException", 3)
    .to_owned();
    assert!(err.contains("not absolute"), "{err}");
    assert!(!fresh.exists());
}

#[test]
fn a_store_others_can_write_is_refused() {
    let store = Store::new();
    store.create_key("k");
    store.ok(&["list-keys"]);
    for (rel, mode) in [("", 0o770), ("config.json", 0o620), ("keys", 0o707), ("aliases", 0o720), ("lock", 0o666)] {
        let path = if rel.is_empty() { store.path() } else { store.file(rel) };
        let before = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        chmod(&path, mode);
        let err = store.run(&["list-keys"]).failed("StoreException", 15).to_owned();
        assert!(err.contains("writable by group or others"), "{rel}: {err}");
        assert!(err.contains(&path.display().to_string()), "{rel}: {err}");
        chmod(&path, before);
        store.ok(&["list-keys"]);
    }
    // Owned by another user (the tests may run as root, which can give files away).
    if rustix::process::geteuid().is_root() {
        let path = store.file("config.json");
        std::os::unix::fs::chown(&path, Some(4242), None).unwrap();
        let err = store.run(&["list-keys"]).failed("StoreException", 15).to_owned();
        assert!(err.contains("owned by uid 4242"), "{err}");
        std::os::unix::fs::chown(&path, Some(0), None).unwrap();
    }
    // A symbolic link in place of the audit log.
    let audit = store.file("audit.log");
    std::fs::rename(&audit, store.file("audit.real")).unwrap();
    std::os::unix::fs::symlink(store.file("audit.real"), &audit).unwrap();
    let err = store.run(&["list-keys"]).failed("StoreException", 15).to_owned();
    assert!(err.contains("symbolic link"), "{err}");
}

#[test]
fn init_makes_the_store_private_and_refuses_a_used_directory() {
    let store = Store::empty();
    std::fs::create_dir(store.path()).unwrap();
    chmod(&store.path(), 0o777);
    store.ok(&["init"]);
    let key = store.create_key("k");
    store.quiet(&["create-alias", "--alias-name", "alias/a", "--target-key-id", &key]);
    let mode = |rel: &str| {
        let path = if rel.is_empty() { store.path() } else { store.file(rel) };
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    };
    for dir in ["", "keys", "aliases"] {
        assert_eq!(mode(dir), 0o700, "{dir}");
    }
    for file in ["config.json", "lock", "audit.log", &format!("keys/{key}"), "aliases/@a"] {
        assert_eq!(mode(file), 0o600, "{file}");
    }
    // A directory with anything in it (keys or aliases of an earlier store) is refused.
    let used = Store::empty();
    std::fs::create_dir_all(used.file("keys")).unwrap();
    std::fs::write(used.file("keys/old"), b"x").unwrap();
    let refused = used.run(&["init"]);
    assert_eq!(refused.code, 15, "{refused:?}");
    assert!(refused.stderr.contains("StoreException") && refused.stderr.contains("not empty"), "{refused:?}");
    assert!(!used.file("config.json").exists());
}

#[test]
fn an_edited_config_json_is_refused_once_unlocked() {
    let store = Store::new();
    let key = store.create_key("k");
    let blob = store.encrypt(&key, b"secret", "");
    let path = store.file("config.json");
    let original = std::fs::read_to_string(&path).unwrap();
    assert!(serde_json::from_str::<Value>(&original).unwrap()["mac"].is_string());
    type Edit = fn(&mut Value);
    let edits: [(&str, Edit); 4] = [
        ("region", |c| c["arn"]["region"] = "eu-west-1".into()),
        ("account", |c| c["arn"]["account"] = "111111111111".into()),
        ("no mac", |c| {
            c.as_object_mut().unwrap().remove("mac");
        }),
        ("malformed mac", |c| c["mac"] = "AAAA".into()),
    ];
    for (what, edit) in edits {
        edit_config(&store, edit);
        let err = store.run(&["list-keys"]).failed("CorruptRecordException", 14).to_owned();
        assert!(err.contains(&path.display().to_string()), "{what}: {err}");
        let err = store.run(&["decrypt", "--ciphertext-blob", &blob]).failed("CorruptRecordException", 14).to_owned();
        assert!(err.contains("config.json"), "{what}: {err}");
        std::fs::write(&path, &original).unwrap();
    }
    assert_eq!(store.decrypt(&blob, ""), b"secret");
}

#[test]
fn weak_or_absurd_kdf_parameters_are_refused() {
    let store = Store::empty();
    // Below OWASP's minimum without --insecure-test-kdf, and never from the environment.
    for args in [
        vec!["init", "--kdf-memory-kib", "8", "--kdf-iterations", "1"],
        vec!["init", "--kdf-memory-kib", "65536", "--kdf-iterations", "1"],
        vec!["init", "--kdf-memory-kib", "19455", "--kdf-iterations", "3"],
    ] {
        let err = store.run(&args).failed("ValidationException", 3).to_owned();
        assert!(err.contains("--insecure-test-kdf"), "{err}");
        assert!(!store.path().exists());
    }
    // Above the caps, even for tests.
    for args in [
        vec!["init", "--insecure-test-kdf", "--kdf-memory-kib", "4194305"],
        vec!["init", "--insecure-test-kdf", "--kdf-memory-kib", "64", "--kdf-iterations", "65"],
        vec!["init", "--insecure-test-kdf", "--kdf-memory-kib", "64", "--kdf-parallelism", "17"],
    ] {
        store.run(&args).failed("ValidationException", 3);
    }
    // The environment is not read for KDF parameters any more.
    let mut weak_env = store.command_exact(&["init"]);
    weak_env.env("COFFER_KDF_MEMORY_KIB", "8").env("COFFER_KDF_ITERATIONS", "1");
    assert_eq!(run(&mut weak_env).code, 0);
    let config: Value = serde_json::from_str(&std::fs::read_to_string(store.file("config.json")).unwrap()).unwrap();
    assert_eq!(config["backend"]["kdf"]["memory_kib"], 65536);
    // A config.json asking for absurd work is refused before any is done.
    let store = Store::new();
    for (field, value) in [("memory_kib", 4_294_967_295_u64), ("iterations", 4_294_967_295), ("parallelism", 64)] {
        let path = store.file("config.json");
        let original = std::fs::read_to_string(&path).unwrap();
        edit_config(&store, |c| c["backend"]["kdf"][field] = value.into());
        let started = std::time::Instant::now();
        let err = store.run(&["list-keys"]).failed("StoreException", 15).to_owned();
        assert!(err.contains("config.json") && err.contains("above the limits"), "{field}: {err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        std::fs::write(&path, original).unwrap();
    }
    store.ok(&["list-keys"]);
}

#[test]
fn file_commands_are_audited_with_their_outcome() {
    let store = Store::new();
    let key = store.create_key("files");
    let dir = store.dir.path();
    let (plain, sealed, out) = (dir.join("p.txt"), dir.join("p.enc"), dir.join("p.out"));
    std::fs::write(&plain, b"ledger lines").unwrap();
    let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let p = |x: &Path| x.display().to_string();
    let enc = args(&["encrypt-file", "--key-id", &key, "--input-file", &p(&plain), "--output-file", &p(&sealed)]);
    store.ok(&enc.iter().map(String::as_str).collect::<Vec<_>>());
    // Exists already: refused before any key is used.
    let run = store.run(&enc.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.code, 18, "{run:?}");
    // Tampered: the data key unwraps, the message does not verify.
    let mut bytes = std::fs::read(&sealed).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let tampered = dir.join("t.enc");
    std::fs::write(&tampered, &bytes).unwrap();
    store
        .run(&["decrypt-file", "--input-file", &p(&tampered), "--output-file", &p(&out)])
        .failed("InvalidCiphertextException", 9);
    store.ok(&["decrypt-file", "--input-file", &p(&sealed), "--output-file", &p(&out)]);
    assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o7777, 0o600);
    store.ok(&["decrypt-file", "--input-file", &p(&sealed), "--output-file", &p(&out), "--force"]);
    assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o7777, 0o600);
    assert_eq!(std::fs::read(&out).unwrap(), b"ledger lines");
    let events = |op: &str| {
        let v = store.ok(&["audit", "--operation", op]);
        v["Events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["Outcome"].as_str().unwrap().to_owned(), e["ErrorCode"].as_str().map(str::to_owned)))
            .collect::<Vec<_>>()
    };
    let ok = ("Success".to_owned(), None);
    let failed = |code: &str| ("Failure".to_owned(), Some(code.to_owned()));
    assert_eq!(events("EncryptFile"), [ok.clone(), failed("OutputFileExistsException")]);
    assert_eq!(events("DecryptFile"), [failed("InvalidCiphertextException"), ok.clone(), ok]);
}

#[test]
fn an_interrupted_decrypt_file_leaves_no_plaintext() {
    interrupt_decrypt_file(None, "-TERM");
}

/// The fallback for filesystems without `O_TMPFILE` (forced in test builds): a named temporary
/// file, removed by the signal handler.
#[test]
fn an_interrupted_decrypt_file_leaves_no_plaintext_without_o_tmpfile() {
    for signal in ["-TERM", "-INT", "-HUP"] {
        interrupt_decrypt_file(Some(("COFFER_TEST_NO_TMPFILE", "1")), signal);
    }
}

fn interrupt_decrypt_file(env: Option<(&str, &str)>, signal: &str) {
    use std::io::Write as _;
    let store = Store::new();
    let key = store.create_key("files");
    let dir = store.dir.path();
    let plain: Vec<u8> = (0..4_000_000u32).map(|i| (i % 251) as u8).collect();
    let (input, sealed) = (dir.join("big.txt"), dir.join("big.enc"));
    std::fs::write(&input, &plain).unwrap();
    let p = |x: &Path| x.display().to_string();
    store.ok(&["encrypt-file", "--key-id", &key, "--input-file", &p(&input), "--output-file", &p(&sealed)]);
    let message = std::fs::read(&sealed).unwrap();
    let outdir = dir.join("out");
    std::fs::create_dir(&outdir).unwrap();
    let fifo = dir.join("enc.fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let mut command =
        store.command(&["decrypt-file", "--input-file", &p(&fifo), "--output-file", &p(&outdir.join("big.out"))]);
    if let Some((k, v)) = env {
        command.env(k, v);
    }
    let mut child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    // The header and most frames (verified plaintext, written out), never the end.
    writer.write_all(&message[..message.len() * 3 / 4]).unwrap();
    writer.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(child.try_wait().unwrap().is_none(), "decrypt-file waits for the rest");
    if env.is_some() {
        let partial = std::fs::read_dir(&outdir).unwrap().count();
        assert_eq!(partial, 1, "the fallback writes a named temporary file");
    }
    assert!(Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap().success());
    let status = child.wait().unwrap();
    assert!(!status.success());
    drop(writer);
    let left: Vec<_> = std::fs::read_dir(&outdir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn huge_files_are_not_read_whole() {
    let store = Store::new();
    let key = store.create_key("k");
    // A sparse 16 GiB file in place of the key record: refused without reading it.
    let record = std::fs::OpenOptions::new().write(true).open(store.file(&format!("keys/{key}"))).unwrap();
    record.set_len(1 << 34).unwrap();
    let started = std::time::Instant::now();
    let run = store.run(&["describe-key", "--key-id", &key]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("more bytes than any record"), "{run:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    // An encryption context from a file is capped as blobs are.
    let run =
        store.run(&["encrypt", "--key-id", &key, "--plaintext", "aGk=", "--encryption-context", "file:///dev/zero"]);
    run.failed("ValidationException", 3);
}

#[test]
fn a_busy_store_lock_is_said() {
    let store = Store::new();
    store.ok(&["list-keys"]);
    if Command::new("flock").arg("--version").output().is_err() {
        eprintln!("no flock(1) here: skipped");
        return;
    }
    let mut holder = Command::new("flock").arg(store.file("lock")).args(["sleep", "1"]).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let run = store.run(&["list-keys"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("waiting for the store lock"), "{run:?}");
    holder.wait().unwrap();
    let run = store.run(&["list-keys"]);
    assert!(run.stderr.is_empty(), "{run:?}");
}

#[test]
fn a_plaintext_can_come_from_standard_input() {
    use std::io::Write as _;
    let store = Store::new();
    let key = store.create_key("k");
    let mut child = store
        .command(&["encrypt", "--key-id", &key, "--plaintext", "fileb:///dev/stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"from a pipe").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(store.decrypt(v["CiphertextBlob"].as_str().unwrap(), ""), b"from a pipe");
}

#[test]
fn a_clock_set_back_before_the_store_is_refused() {
    let store = Store::new();
    store.create_key("k");
    // (COFFER_NOW is honoured by the test build only; a normal build refuses it outright.)
    let run = store.run_env(&["list-keys"], &[("COFFER_NOW", "2000-01-01")]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("earlier than the store's last change"), "{run:?}");
    store.ok(&["list-keys"]);
}
