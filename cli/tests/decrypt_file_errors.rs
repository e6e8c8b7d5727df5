//! `decrypt-file`'s answers: every failure that comes from the message's bytes is
//! InvalidCiphertextException (9), whichever check catches it (a header field, an EDK length, a
//! frame, the signature, a size over a limit); what is about the key or the store is reported
//! as such, from the façade's own answer (not from the audit log).

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

use std::path::Path;

use common::Store;

const SIGNED: &str = "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384";
const UNSIGNED: &str = "AES_256_GCM_HKDF_SHA512_COMMIT_KEY";

fn path(p: &Path) -> String {
    p.display().to_string()
}

fn u16_at(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes([b[at], b[at + 1]]))
}

/// Offsets of the v2 header's fields (one EDK): suite id, AAD length, EDK count, the EDK's
/// three length fields, content type, frame length, header tag, first frame.
struct Layout {
    aad_len: usize,
    edk_count: usize,
    provider_id_len: usize,
    provider_info_len: usize,
    ciphertext_len: usize,
    content_type: usize,
    frame_length: usize,
    header_tag: usize,
    first_frame: usize,
}

fn layout(m: &[u8]) -> Layout {
    assert_eq!(m[0], 2, "a version 2 message");
    let aad_len = 35;
    let edk_count = aad_len + 2 + u16_at(m, aad_len);
    assert_eq!(u16_at(m, edk_count), 1);
    let provider_id_len = edk_count + 2;
    let provider_info_len = provider_id_len + 2 + u16_at(m, provider_id_len);
    let ciphertext_len = provider_info_len + 2 + u16_at(m, provider_info_len);
    let content_type = ciphertext_len + 2 + u16_at(m, ciphertext_len);
    let frame_length = content_type + 1;
    // Frame length (4), commitment key (32), then the header tag (16).
    let header_tag = frame_length + 4 + 32;
    Layout {
        aad_len,
        edk_count,
        provider_id_len,
        provider_info_len,
        ciphertext_len,
        content_type,
        frame_length,
        header_tag,
        first_frame: header_tag + 16,
    }
}

fn set(m: &[u8], at: usize, bytes: &[u8]) -> Vec<u8> {
    let mut out = m.to_vec();
    out[at..at + bytes.len()].copy_from_slice(bytes);
    out
}

fn flip(m: &[u8], at: usize) -> Vec<u8> {
    let mut out = m.to_vec();
    out[at] ^= 0x01;
    out
}

#[test]
fn every_tamper_of_the_message_bytes_is_invalid_ciphertext() {
    let store = Store::new();
    let key = store.create_key("tamper");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::write(&input, vec![0x42; 10_000]).unwrap();
    for suite in [SIGNED, UNSIGNED] {
        let enc = dir.path().join(format!("{suite}.enc"));
        let args = ["encrypt-file", "--key-id", &key, "--algorithm-suite", suite, "--frame-length", "4096"];
        let mut full = args.to_vec();
        let (i, o) = (path(&input), path(&enc));
        full.extend(["--input-file", &i, "--output-file", &o]);
        store.ok(&full);
        let m = std::fs::read(&enc).unwrap();
        let l = layout(&m);
        assert_eq!(u32::from_be_bytes(m[l.frame_length..l.frame_length + 4].try_into().unwrap()), 4096);
        let mut truncated = m.clone();
        truncated.truncate(m.len() - 10);
        let mut trailing = m.clone();
        trailing.push(0);
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("version", set(&m, 0, &[1])),
            ("suite id", set(&m, 1, &[0x01, 0x78])),
            ("unknown suite id", flip(&m, 2)),
            ("message id", flip(&m, 10)),
            ("AAD length, huge", set(&m, l.aad_len, &[0xff, 0xff])),
            (
                "AAD length, off by one",
                set(&m, l.aad_len, &u16::try_from(u16_at(&m, l.aad_len) ^ 1).unwrap().to_be_bytes()),
            ),
            ("EDK count 0", set(&m, l.edk_count, &[0, 0])),
            ("EDK count huge", set(&m, l.edk_count, &[0xff, 0xff])),
            ("EDK provider id length", set(&m, l.provider_id_len, &[0xff, 0xff])),
            ("EDK provider info length", set(&m, l.provider_info_len, &[0xff, 0xff])),
            ("EDK ciphertext length, huge", set(&m, l.ciphertext_len, &[0xff, 0xff])),
            ("EDK ciphertext length, 0", set(&m, l.ciphertext_len, &[0, 0])),
            ("EDK ciphertext byte", flip(&m, l.content_type - 3)),
            ("content type", set(&m, l.content_type, &[1])),
            ("frame length 0", set(&m, l.frame_length, &[0, 0, 0, 0])),
            ("frame length huge", set(&m, l.frame_length, &[0xff, 0xff, 0xff, 0xff])),
            ("frame length over the reader's 1 MiB", set(&m, l.frame_length, &[0, 0x20, 0, 0])),
            ("commitment key", flip(&m, l.frame_length + 4)),
            ("header tag", flip(&m, l.header_tag)),
            ("first frame's sequence number", flip(&m, l.first_frame + 3)),
            ("first frame's body", flip(&m, l.first_frame + 40)),
            ("last byte", flip(&m, m.len() - 1)),
            ("truncated", truncated),
            ("trailing byte", trailing),
        ];
        for (what, bytes) in cases {
            let bad = dir.path().join("bad");
            std::fs::write(&bad, &bytes).unwrap();
            let out = dir.path().join("bad.out");
            let run = store.run(&["decrypt-file", "--input-file", &path(&bad), "--output-file", &path(&out)]);
            assert_eq!(
                (run.code, run.stderr.contains("(InvalidCiphertextException)")),
                (9, true),
                "{suite}, {what}: {run:?}"
            );
            assert!(!out.exists(), "{suite}, {what}: output left behind");
        }
        let out = dir.path().join("good.out");
        store.ok(&["decrypt-file", "--input-file", &path(&enc), "--output-file", &path(&out)]);
        std::fs::remove_file(&out).unwrap();
    }
}

/// The key's state and a corrupt key record reach the answer from the façade through the
/// keyring (the KMS error, not a guess): disabled 7, pending deletion 8, corrupt record 14;
/// with `--key-id` or without; and the answer names the key that decrypted.
#[test]
fn key_state_and_store_failures_are_reported_as_such() {
    let store = Store::new();
    let key = store.create_key("state");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::write(&input, b"state").unwrap();
    let enc = path(&dir.path().join("enc"));
    let made = store.ok(&["encrypt-file", "--key-id", &key, "--input-file", &path(&input), "--output-file", &enc]);
    assert_eq!(made["KeyIds"], serde_json::json!([common::key_arn(&key)]));
    let out = path(&dir.path().join("out"));
    let done = store.ok(&["decrypt-file", "--input-file", &enc, "--output-file", &out]);
    assert_eq!(done["KeyId"], common::key_arn(&key));
    std::fs::remove_file(&out).unwrap();
    let done = store.ok(&["decrypt-file", "--key-id", &key, "--input-file", &enc, "--output-file", &out]);
    assert_eq!(done["KeyId"], common::key_arn(&key));
    std::fs::remove_file(&out).unwrap();

    let discovery = ["decrypt-file", "--input-file", &enc, "--output-file", &out];
    let with_key = ["decrypt-file", "--key-id", &key, "--input-file", &enc, "--output-file", &out];
    store.quiet(&["disable-key", "--key-id", &key]);
    store.run(&discovery).failed("DisabledException", 7);
    store.run(&with_key).failed("DisabledException", 7);
    store.quiet(&["enable-key", "--key-id", &key]);
    store.ok(&["schedule-key-deletion", "--key-id", &key]);
    store.run(&discovery).failed("KMSInvalidStateException", 8);
    store.run(&with_key).failed("KMSInvalidStateException", 8);
    store.ok(&["cancel-key-deletion", "--key-id", &key]);
    store.quiet(&["enable-key", "--key-id", &key]);
    let record = store.file(&format!("keys/{key}"));
    let mut bytes = std::fs::read(&record).unwrap();
    bytes[20] ^= 1;
    std::fs::write(&record, &bytes).unwrap();
    store.run(&discovery).failed("CorruptRecordException", 14);
    store.run(&with_key).failed("CorruptRecordException", 14);
    assert!(!Path::new(&out).exists());
}
