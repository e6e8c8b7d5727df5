//! `coffer serve`'s façade lanes: requests in parallel, each lane with its own HSM instance;
//! the bounded queue in front of them; the store's lock shared between the lanes and the
//! `coffer` commands beside the server.

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
mod serve_support;

use std::fs::File;
use std::time::{Duration, Instant};

use serde_json::Value;
use serve_support::{Request, Server, raw, status_and_body, store_with_access_key};

use crate::common::Store;

fn call(server: &Server, id: &str, secret: &str, op: &str, body: &str) -> (u16, Value) {
    status_and_body(&raw(&server.addr, &Request::new(&server.addr, id, secret, op, body).bytes()))
}

/// The store's lock held exclusively, as a `coffer` command holds it, until dropped.
struct HeldLock(File);

impl HeldLock {
    fn take(store: &Store) -> Self {
        let file = std::fs::OpenOptions::new().read(true).write(true).open(store.file("lock")).unwrap();
        rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive).unwrap();
        Self(file)
    }
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        let _ = rustix::fs::flock(&self.0, rustix::fs::FlockOperation::Unlock);
    }
}

/// With two lanes, a request is answered while the other lane waits for the store's lock (a
/// `coffer` command holds it): one slow request does not hold up the rest.
#[test]
fn a_second_lane_serves_while_the_first_waits() {
    let (store, id, secret) = store_with_access_key();
    let key = store.create_key("lanes");
    let server = Server::start_with(&store, &["--bind", "127.0.0.1:0", "--lanes", "2"]);
    let held = HeldLock::take(&store);
    let addr = server.addr.clone();
    let (id2, secret2) = (id.clone(), secret.clone());
    let body = format!(r#"{{"KeyId":"{key}","Plaintext":"AAEC"}}"#);
    let waiting = std::thread::spawn(move || {
        status_and_body(&raw(&addr, &Request::new(&addr, &id2, &secret2, "Encrypt", &body).bytes()))
    });
    // The first request is on a lane, waiting for the lock; a request that needs no store (its
    // signature is wrong) is answered by the other lane at once.
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let (status, answer) = call(&server, &id, "wrong-secret-wrong-secret-wrong-secret-00", "ListKeys", "{}");
    assert_eq!((status, answer["__type"].as_str()), (400, Some("InvalidSignatureException")), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(2), "answered after {:?}", started.elapsed());
    assert!(!waiting.is_finished(), "the first request waits for the lock");
    drop(held);
    let (status, answer) = waiting.join().unwrap();
    assert_eq!(status, 200, "{answer}");
}

/// One lane held up (a `coffer` command holds the store's lock) and a queue of one: of four
/// requests, one is on the lane, one waits in the queue, and the others are refused at once
/// with ThrottlingException (HTTP 400, as AWS) instead of waiting; once the lock is released,
/// the two taken are answered.
#[test]
fn a_full_queue_answers_throttling_at_once() {
    let (store, id, secret) = store_with_access_key();
    let key = store.create_key("queue");
    let server = Server::start_with(&store, &["--bind", "127.0.0.1:0", "--lanes", "1", "--queue-depth", "1"]);
    let held = HeldLock::take(&store);
    let body = format!(r#"{{"KeyId":"{key}","Plaintext":"AAEC"}}"#);
    let send = |body: String| {
        let (addr, id, secret) = (server.addr.clone(), id.clone(), secret.clone());
        std::thread::spawn(move || {
            let started = Instant::now();
            let answer = status_and_body(&raw(&addr, &Request::new(&addr, &id, &secret, "Encrypt", &body).bytes()));
            (answer, started.elapsed())
        })
    };
    // In turn, so that the first is on the lane and the second in the queue before the rest.
    let mut requests = Vec::new();
    for _ in 0..4 {
        requests.push(send(body.clone()));
        std::thread::sleep(Duration::from_millis(200));
    }
    // The refused ones are answered while the lock is still held.
    let waited = Instant::now();
    while !requests[2..].iter().all(std::thread::JoinHandle::is_finished) {
        assert!(
            waited.elapsed() < Duration::from_secs(5),
            "the requests beyond the queue wait instead of being refused"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!requests[0].is_finished() && !requests[1].is_finished(), "the taken requests wait for the lock");
    drop(held);
    let answers: Vec<_> = requests.into_iter().map(|r| r.join().unwrap()).collect();
    for ((status, answer), _) in &answers[..2] {
        assert_eq!(*status, 200, "{answer}");
    }
    for ((status, answer), elapsed) in &answers[2..] {
        assert_eq!((*status, answer["__type"].as_str()), (400, Some("ThrottlingException")), "{answer}");
        assert!(answer["message"].as_str().unwrap().contains("Rate exceeded"), "{answer}");
        assert!(*elapsed < Duration::from_secs(2), "refused after {elapsed:?}");
    }
}

/// A signing key is kept per access key and day, but a revoked access key is refused at the
/// very next request, and so is one whose record was replaced (here by another access key's
/// record: it does not open under this id).
#[test]
fn kept_signing_keys_notice_revocation_and_replacement() {
    let (store, id, secret) = store_with_access_key();
    let other = store.run(&["access-key", "create"]).json();
    let other_id = other["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned();
    let other_secret = other["AccessKey"]["SecretAccessKey"].as_str().unwrap().to_owned();
    let server = Server::start_with(&store, &["--bind", "127.0.0.1:0", "--lanes", "1"]);
    for _ in 0..2 {
        assert_eq!(call(&server, &id, &secret, "ListKeys", "{}").0, 200);
        assert_eq!(call(&server, &other_id, &other_secret, "ListKeys", "{}").0, 200);
    }
    // Replaced: the other access key's record copied over this one's.
    let record = store.file(&format!("access-keys/{id}"));
    let saved = std::fs::read(&record).unwrap();
    std::fs::copy(store.file(&format!("access-keys/{other_id}")), &record).unwrap();
    let (status, answer) = call(&server, &id, &secret, "ListKeys", "{}");
    assert_eq!((status, answer["__type"].as_str()), (400, Some("UnrecognizedClientException")), "{answer}");
    std::fs::write(&record, &saved).unwrap();
    assert_eq!(call(&server, &id, &secret, "ListKeys", "{}").0, 200);
    // Revoked.
    store.quiet(&["access-key", "revoke", "--access-key-id", &id]);
    let (status, answer) = call(&server, &id, &secret, "ListKeys", "{}");
    assert_eq!((status, answer["__type"].as_str()), (400, Some("UnrecognizedClientException")), "{answer}");
    assert_eq!(call(&server, &other_id, &other_secret, "ListKeys", "{}").0, 200);
}

/// The audit log's line of a request is on disk when its answer arrives (several requests at
/// once, sharing writes); when the line cannot be written, the request fails instead of being
/// answered without it.
#[test]
fn answers_wait_for_their_audit_events() {
    let (store, id, secret) = store_with_access_key();
    let key = store.create_key("audit");
    let server = Server::start_with(&store, &["--bind", "127.0.0.1:0", "--lanes", "2"]);
    let log = store.file("audit.log");
    let threads: Vec<_> = (0..8)
        .map(|n| {
            let (addr, id, secret, log, key) =
                (server.addr.clone(), id.clone(), secret.clone(), log.clone(), key.clone());
            let body = format!(r#"{{"AliasName":"alias/audit-{n}","TargetKeyId":"{key}"}}"#);
            std::thread::spawn(move || {
                let (status, answer) =
                    status_and_body(&raw(&addr, &Request::new(&addr, &id, &secret, "CreateAlias", &body).bytes()));
                assert_eq!(status, 200, "{answer}");
                // Read the moment the answer is in: the event must be there already.
                let text = std::fs::read_to_string(&log).unwrap();
                assert!(text.lines().any(|l| l.contains("\"CreateAlias\"") && l.contains(&key)), "no event yet");
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(text.lines().filter(|l| l.contains("\"CreateAlias\"") && l.contains("\"Success\"")).count(), 8);

    // A log that cannot grow (a sparse file at the file system's largest size: every append
    // fails with EFBIG, even for root).
    let file = std::fs::OpenOptions::new().write(true).open(&log).unwrap();
    let (mut fits, mut too_big) = (1u64 << 30, 1u64 << 63);
    while too_big - fits > 1 {
        let mid = fits + (too_big - fits) / 2;
        if file.set_len(mid).is_ok() { fits = mid } else { too_big = mid }
    }
    file.set_len(fits).unwrap();
    let body = format!(r#"{{"KeyId":"{key}","Plaintext":"AAEC"}}"#);
    let (status, answer) = call(&server, &id, &secret, "Encrypt", &body);
    assert_eq!((status, answer["__type"].as_str()), (500, Some("KMSInternalException")), "{answer}");
    assert!(answer.get("CiphertextBlob").is_none());
    file.set_len(text.len() as u64).unwrap();
    assert_eq!(call(&server, &id, &secret, "Encrypt", &body).0, 200);
}

/// The store's lock held shared, as another reader holds it: reads (Encrypt, Decrypt,
/// DescribeKey) are served at once, a write (CreateAlias) waits for the reader to finish.
#[test]
fn reads_share_the_store_lock_and_writes_wait() {
    let (store, id, secret) = store_with_access_key();
    let key = store.create_key("shared");
    // One lane, whose first Encrypt reserves its seals (a write) before the lock is held.
    let server = Server::start_with(&store, &["--bind", "127.0.0.1:0", "--lanes", "1"]);
    let body = format!(r#"{{"KeyId":"{key}","Plaintext":"AAEC"}}"#);
    let (status, first) = call(&server, &id, &secret, "Encrypt", &body);
    assert_eq!(status, 200, "{first}");
    let reader = std::fs::OpenOptions::new().read(true).write(true).open(store.file("lock")).unwrap();
    rustix::fs::flock(&reader, rustix::fs::FlockOperation::LockShared).unwrap();
    let started = Instant::now();
    let (status, sealed) = call(&server, &id, &secret, "Encrypt", &body);
    assert_eq!(status, 200, "{sealed}");
    let blob = sealed["CiphertextBlob"].as_str().unwrap();
    let (status, opened) = call(&server, &id, &secret, "Decrypt", &format!(r#"{{"CiphertextBlob":"{blob}"}}"#));
    assert_eq!((status, opened["Plaintext"].as_str()), (200, Some("AAEC")), "{opened}");
    assert_eq!(call(&server, &id, &secret, "DescribeKey", &format!(r#"{{"KeyId":"{key}"}}"#)).0, 200);
    assert!(started.elapsed() < Duration::from_secs(2), "reads waited {:?}", started.elapsed());
    let (addr, id2, secret2) = (server.addr.clone(), id.clone(), secret.clone());
    let alias = format!(r#"{{"AliasName":"alias/waits","TargetKeyId":"{key}"}}"#);
    let write = std::thread::spawn(move || {
        status_and_body(&raw(&addr, &Request::new(&addr, &id2, &secret2, "CreateAlias", &alias).bytes()))
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(!write.is_finished(), "the write waits for the reader");
    let _ = rustix::fs::flock(&reader, rustix::fs::FlockOperation::Unlock);
    let (status, answer) = write.join().unwrap();
    assert_eq!(status, 200, "{answer}");
}

/// The server's lanes and `coffer` commands beside it rotate the same key at once, while
/// Encrypt and Decrypt run through the server: every rotation is kept (no version is made
/// twice, none lost), and every blob decrypts.
#[test]
fn lanes_and_commands_lose_no_update() {
    let (store, id, secret) = store_with_access_key();
    let key = store.create_key("race");
    let server = Server::start_with(&store, &["--bind", "127.0.0.1:0", "--lanes", "2"]);
    let server_side: Vec<_> = (0..2)
        .map(|_| {
            let (addr, id, secret, key) = (server.addr.clone(), id.clone(), secret.clone(), key.clone());
            std::thread::spawn(move || {
                let mut blobs = Vec::new();
                for _ in 0..5 {
                    let rotate = format!(r#"{{"KeyId":"{key}"}}"#);
                    let (status, answer) = status_and_body(&raw(
                        &addr,
                        &Request::new(&addr, &id, &secret, "RotateKeyOnDemand", &rotate).bytes(),
                    ));
                    assert_eq!(status, 200, "{answer}");
                    let body = format!(r#"{{"KeyId":"{key}","Plaintext":"AAEC"}}"#);
                    let (status, answer) =
                        status_and_body(&raw(&addr, &Request::new(&addr, &id, &secret, "Encrypt", &body).bytes()));
                    assert_eq!(status, 200, "{answer}");
                    blobs.push(answer["CiphertextBlob"].as_str().unwrap().to_owned());
                }
                blobs
            })
        })
        .collect();
    for _ in 0..8 {
        store.ok(&["rotate-key-on-demand", "--key-id", &key]);
    }
    let blobs: Vec<String> = server_side.into_iter().flat_map(|t| t.join().unwrap()).collect();
    let rotations = store.ok(&["list-key-rotations", "--key-id", &key]);
    let rotations = rotations["Rotations"].as_array().unwrap();
    assert_eq!(rotations.len(), 18, "{rotations:?}");
    for blob in blobs {
        let (status, answer) = call(&server, &id, &secret, "Decrypt", &format!(r#"{{"CiphertextBlob":"{blob}"}}"#));
        assert_eq!((status, answer["Plaintext"].as_str()), (200, Some("AAEC")), "{answer}");
    }
}
