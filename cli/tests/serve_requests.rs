//! What `coffer serve` answers to signed requests that the command line would treat
//! differently: a JSON member named twice in a body, and a record that fails authentication
//! (named to the network client, never by its path in the store).

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

use serde_json::Value;
use serve_support::{Request, Server, raw, status_and_body, store_with_access_key};

fn call(server: &Server, id: &str, secret: &str, op: &str, body: &str) -> (u16, Value) {
    status_and_body(&raw(&server.addr, &Request::new(&server.addr, id, secret, op, body).bytes()))
}

/// `{"tenant":"A","tenant":"B"}` is refused (serde_json alone would take tenant=B), as is a
/// member named twice at the top of the body; the same request without the repeat is served.
#[test]
fn members_named_twice_are_refused() {
    let (store, id, secret) = store_with_access_key();
    let key = store.create_key("dup");
    let server = Server::start(&store);
    let ok = format!(r#"{{"KeyId":"{key}","Plaintext":"AAEC","EncryptionContext":{{"tenant":"B"}}}}"#);
    let (status, answer) = call(&server, &id, &secret, "Encrypt", &ok);
    assert_eq!(status, 200, "{answer}");
    for body in [
        format!(r#"{{"KeyId":"{key}","Plaintext":"AAEC","EncryptionContext":{{"tenant":"A","tenant":"B"}}}}"#),
        format!(r#"{{"KeyId":"alias/none","Plaintext":"AAEC","KeyId":"{key}"}}"#),
    ] {
        let (status, answer) = call(&server, &id, &secret, "Encrypt", &body);
        assert_eq!((status, answer["__type"].as_str()), (400, Some("ValidationException")), "{body}: {answer}");
        assert!(answer["message"].as_str().unwrap().contains("twice"), "{answer}");
    }
    // The blob made with tenant=B does not decrypt under a context that repeats tenant.
    let blob = call(&server, &id, &secret, "Encrypt", &ok).1["CiphertextBlob"].as_str().unwrap().to_owned();
    let body = format!(r#"{{"CiphertextBlob":"{blob}","EncryptionContext":{{"tenant":"A","tenant":"B"}}}}"#);
    let (status, answer) = call(&server, &id, &secret, "Decrypt", &body);
    assert_eq!((status, answer["__type"].as_str()), (400, Some("ValidationException")), "{answer}");
}

/// A key record edited outside Coffer: the network client is told which record (its key id),
/// not where the store keeps it.
#[test]
fn corrupt_records_are_named_without_their_path() {
    let (store, id, secret) = store_with_access_key();
    let key = store.create_key("c");
    let path = store.file(&format!("keys/{key}"));
    let mut edited = std::fs::read(&path).unwrap();
    let middle = edited.len() / 2;
    edited[middle] ^= 0x40;
    std::fs::write(&path, &edited).unwrap();

    let server = Server::start(&store);
    let (status, answer) = call(&server, &id, &secret, "DescribeKey", &format!(r#"{{"KeyId":"{key}"}}"#));
    assert_eq!((status, answer["__type"].as_str()), (500, Some("CorruptRecordException")), "{answer}");
    let message = answer["message"].as_str().unwrap();
    assert!(message.contains(&format!("key record {key}")), "{message}");
    let root = store.path().display().to_string();
    assert!(!message.contains(&root) && !message.contains('/'), "a path reached the client: {message}");
    // The command line, on the store's own machine, still names the file.
    let err = store.run(&["describe-key", "--key-id", &key]).failed("CorruptRecordException", 14).to_owned();
    assert!(err.contains(&path.display().to_string()), "{err}");
}

/// The seals the key record counts as reserved (the last 8 bytes of its format-3 body).
fn seals_reserved(store: &common::Store, key: &str) -> u64 {
    let record = std::fs::read(store.file(&format!("keys/{key}"))).unwrap();
    let body = 4 + 1 + 2 + 36;
    assert_eq!((record.len(), record[body]), (body + 118 + 32, 3), "a format-3 key record");
    u64::from_be_bytes(record[body + 110..body + 118].try_into().unwrap())
}

/// The server keeps the seals it reserved from one request to the next: its first Encrypt
/// reserves a batch (65,536) in the key record, later ones use it without a write. A `coffer`
/// command beside it reserves the next batch for itself (its unused rest is lost when it exits,
/// counted), and the server goes on with its own. (Each façade lane carries its own
/// reservations: one lane here, so that every request finds the batch.)
#[test]
fn the_server_reserves_seals_once_per_batch() {
    let (store, id, secret) = store_with_access_key();
    let key = store.create_key("seals");
    assert_eq!(seals_reserved(&store, &key), 0);
    let server = Server::start_with(&store, &["--bind", "127.0.0.1:0", "--lanes", "1"]);
    let body = format!(r#"{{"KeyId":"{key}","Plaintext":"AAEC"}}"#);
    let (status, answer) = call(&server, &id, &secret, "Encrypt", &body);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(seals_reserved(&store, &key), 65_536);
    let record = std::fs::read(store.file(&format!("keys/{key}"))).unwrap();
    for _ in 0..3 {
        assert_eq!(call(&server, &id, &secret, "Encrypt", &body).0, 200);
    }
    assert!(std::fs::read(store.file(&format!("keys/{key}"))).unwrap() == record, "no write within the batch");
    store.ok(&["encrypt", "--key-id", &key, "--plaintext", "AAEC"]);
    assert_eq!(seals_reserved(&store, &key), 131_072, "the command's own batch");
    let (status, answer) =
        call(&server, &id, &secret, "GenerateDataKey", &format!(r#"{{"KeyId":"{key}","KeySpec":"AES_256"}}"#));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(seals_reserved(&store, &key), 131_072, "the server still has seals of its batch");
}
