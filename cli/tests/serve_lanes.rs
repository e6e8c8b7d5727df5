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
