//! `coffer access-key` and the access-key records as `coffer serve` reads them: the same
//! session set-up as every command (an edited `config.json` refused), the same checks of the
//! store as `keys/` (permissions, no symbolic link followed, no FIFO waited on, bounded reads,
//! temporaries cleaned), and audit events for creation and revocation. Nothing here needs the
//! AWS clients: requests are written by hand.

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

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Run, Store};
use serde_json::Value;

/// Runs the command, killed (and the test failed) if it has not ended within 20 seconds.
fn within_deadline(mut cmd: Command, what: &str) -> Run {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`coffer {what}` still runs after 20 s");
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

fn create_access_key(store: &Store) -> String {
    let v = store.ok(&["access-key", "create"]);
    v["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned()
}

/// A running `coffer serve` on a free loopback port, killed when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(store: &Store) -> Self {
        let mut child = store
            .command(&["serve", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("first line {line:?}: {e}"));
        let addr = v["Endpoint"].as_str().unwrap().split("://").nth(1).unwrap().to_owned();
        Self { child, addr }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Now as `x-amz-date` (`YYYYMMDDTHHMMSSZ`).
fn amz_now() -> String {
    let out = Command::new("date").args(["-u", "+%Y%m%dT%H%M%SZ"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A ListKeys request well formed in every way but its signature (all zeros), under access
/// key `id`: the server must look the access key up to answer it. The answer, or "" if none
/// came within 15 seconds.
fn request_as(addr: &str, id: &str) -> String {
    let date = amz_now();
    let body = "{}";
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: TrentService.ListKeys\r\nX-Amz-Date: {date}\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential={id}/{day}/us-east-1/kms/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={zeros}\r\n\
         Content-Length: {len}\r\n\r\n{body}",
        day = &date[..8],
        zeros = "0".repeat(64),
        len = body.len(),
    );
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Rewrites the store's `config.json` with another region (its MAC left as it was).
fn edit_region(store: &Store) -> String {
    let path = store.file("config.json");
    let original = std::fs::read_to_string(&path).unwrap();
    let mut config: Value = serde_json::from_str(&original).unwrap();
    config["arn"]["region"] = "eu-west-1".into();
    std::fs::write(&path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    original
}

#[test]
fn serve_and_access_key_create_refuse_an_edited_config_json() {
    let store = Store::new();
    create_access_key(&store);
    let original = edit_region(&store);
    let run = within_deadline(store.command(&["access-key", "create"]), "access-key create");
    let err = run.failed("CorruptRecordException", 14);
    assert!(err.contains("config.json") && err.contains("failed authentication"), "{err}");
    assert_eq!(store.ok(&["access-key", "list"])["AccessKeyMetadata"].as_array().unwrap().len(), 1);
    // The server refuses to start: it would serve ARNs of the edited region.
    let run = within_deadline(store.command(&["serve", "--bind", "127.0.0.1:0"]), "serve");
    let err = run.failed("CorruptRecordException", 14);
    assert!(err.contains("config.json") && err.contains("failed authentication"), "{err}");
    // Restored, both work again.
    std::fs::write(store.file("config.json"), original).unwrap();
    create_access_key(&store);
    let server = Server::start(&store);
    drop(server);
}

#[test]
fn access_key_creation_and_revocation_are_audited_by_id_only() {
    let store = Store::new();
    let v = store.ok(&["access-key", "create"]);
    let id = v["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned();
    let secret = v["AccessKey"]["SecretAccessKey"].as_str().unwrap().to_owned();
    store.quiet(&["access-key", "revoke", "--access-key-id", &id]);
    store.run(&["access-key", "revoke", "--access-key-id", &id]).failed("NotFoundException", 4);
    store.run(&["access-key", "revoke", "--access-key-id", "../config.json"]).failed("NotFoundException", 4);

    let events = |op: &str| store.ok(&["audit", "--operation", op])["Events"].as_array().unwrap().clone();
    let created = events("CreateAccessKey");
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(created[0]["AccessKeyId"], id.as_str());
    assert_eq!(created[0]["Outcome"], "Success");
    let deleted = events("DeleteAccessKey");
    assert_eq!(deleted.len(), 3, "{deleted:?}");
    assert_eq!(
        (&deleted[0]["AccessKeyId"], &deleted[0]["Outcome"]),
        (&Value::from(id.as_str()), &Value::from("Success"))
    );
    assert_eq!(deleted[1]["AccessKeyId"], id.as_str());
    assert_eq!((&deleted[1]["Outcome"], &deleted[1]["ErrorCode"]), (&"Failure".into(), &"NotFoundException".into()));
    // A text that is no access key id is not copied into the log.
    assert!(deleted[2].get("AccessKeyId").is_none(), "{:?}", deleted[2]);
    assert_eq!(deleted[2]["ErrorCode"], "NotFoundException");
    let log = std::fs::read_to_string(store.file("audit.log")).unwrap();
    assert!(!log.contains(&secret), "the secret is in the audit log");
    assert!(!log.contains("config.json"));
}

#[test]
fn a_world_writable_access_keys_directory_is_refused() {
    let store = Store::new();
    create_access_key(&store);
    let dir = store.file("access-keys");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    for args in
        [&["access-key", "list"][..], &["access-key", "create"], &["list-keys"], &["serve", "--bind", "127.0.0.1:0"]]
    {
        let run = within_deadline(store.command(args), &args.join(" "));
        let err = run.failed("StoreException", 15);
        assert!(err.contains("access-keys") && err.contains("writable by group or others"), "{args:?}: {err}");
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    store.ok(&["access-key", "list"]);
}

fn mkfifo(path: &Path) {
    assert!(Command::new("mkfifo").args(["-m", "600"]).arg(path).status().unwrap().success());
}

#[test]
fn planted_access_key_records_are_refused_without_stopping_the_server() {
    let store = Store::new();
    let genuine = create_access_key(&store);
    let dir = store.file("access-keys");
    // A FIFO, a symbolic link to a genuine record moved away, a sparse 64 MiB file.
    let fifo = "CFAKFIFOFIFOFIFOFIFO";
    mkfifo(&dir.join(fifo));
    let linked = create_access_key(&store);
    let moved = store.dir.path().join("moved-record");
    std::fs::rename(dir.join(&linked), &moved).unwrap();
    std::os::unix::fs::symlink(&moved, dir.join(&linked)).unwrap();
    let huge = "CFAKHUGEHUGEHUGEHUGE";
    std::fs::File::create(dir.join(huge)).unwrap().set_len(64 << 20).unwrap();

    // Listing opens every record: it must not wait on the FIFO nor read the huge one whole.
    let run = within_deadline(store.command(&["access-key", "list"]), "access-key list");
    let listed: Value = run.json();
    assert_eq!(listed["AccessKeyMetadata"].as_array().unwrap().len(), 4, "{listed}");

    let server = Server::start(&store);
    // The genuine key is looked up and its (zero) signature refused.
    let answer = request_as(&server.addr, &genuine);
    assert!(answer.contains("InvalidSignatureException"), "{answer}");
    // The FIFO is refused at once (a store fault, 500), and the server still answers.
    let answer = request_as(&server.addr, fifo);
    assert!(answer.starts_with("HTTP/1.1 500"), "the FIFO: {answer:?}");
    // The link is not followed: without the fix it would open and say InvalidSignature.
    let answer = request_as(&server.addr, &linked);
    assert!(answer.starts_with("HTTP/1.1 500") && !answer.contains("InvalidSignature"), "the link: {answer:?}");
    let answer = request_as(&server.addr, huge);
    assert!(answer.contains("UnrecognizedClientException"), "the huge one: {answer:?}");
    let answer = request_as(&server.addr, &genuine);
    assert!(answer.contains("InvalidSignatureException"), "{answer}");
}

#[test]
fn access_key_temporaries_left_by_a_kill_are_removed() {
    let store = Store::new();
    create_access_key(&store);
    let stale = store.file("access-keys/~tmp-CFAKAAAAAAAAAAAAAAAA");
    std::fs::write(&stale, b"half a record").unwrap();
    assert_eq!(common::temporaries(&store.path()), 1);
    store.ok(&["list-keys"]);
    assert!(!stale.exists(), "the stale temporary is removed");
    assert_eq!(common::temporaries(&store.path()), 0);
    // And by the access-key commands that take the lock.
    std::fs::write(&stale, b"half a record").unwrap();
    create_access_key(&store);
    assert!(!stale.exists());
}
