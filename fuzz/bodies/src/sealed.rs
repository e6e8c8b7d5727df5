//! Bodies of the targets that feed bytes to the façade: Decrypt/ReEncrypt and sealed record
//! loading.

use coffer_core::clock::ManualClock;
use coffer_core::store::{KeyStore, MemoryStore, RecordKind};
use coffer_core::{Ciphertext, EncryptionContext, Error};

use crate::common::{self, FuzzKms, START};

/// The plaintexts and contexts of the genuine blobs [`decrypt`] makes before it reads its input.
pub const GENUINE_MESSAGES: &[(&[u8], &[(&str, &str)])] =
    &[(b"x", &[]), (b"coffer fuzz seed", &[]), (b"tenant data", &[("tenant", "acme"), ("purpose", "fuzz")])];

/// The façade of [`decrypt`] and the genuine blobs it made, in [`GENUINE_MESSAGES`] order.
pub fn decrypt_fixture<'a>(store: &'a mut MemoryStore<4>, clock: &'a ManualClock) -> (FuzzKms<'a>, Vec<Ciphertext>) {
    let mut kms = common::kms_with_key(store, clock);
    let key = common::only_key(&mut kms).to_string();
    let blobs = GENUINE_MESSAGES
        .iter()
        .map(|(plaintext, pairs)| {
            let ctx = EncryptionContext::new(pairs).expect("context");
            kms.encrypt(&key, plaintext, &ctx).expect("encrypt").ciphertext_blob
        })
        .collect();
    (kms, blobs)
}

/// Decrypt and ReEncrypt of arbitrary bytes under the empty context: an error, never a panic;
/// nothing opens but a blob the façade made itself under that context, and that one opens to its
/// own plaintext.
pub fn decrypt(data: &[u8]) {
    let clock = ManualClock::new(START);
    let mut store = Box::new(MemoryStore::<4>::new());
    let (mut kms, genuine) = decrypt_fixture(&mut store, &clock);
    let key = common::only_key(&mut kms).to_string();
    let ctx = EncryptionContext::empty();
    let expected = genuine
        .iter()
        .zip(GENUINE_MESSAGES)
        .find(|(blob, (_, pairs))| blob.as_bytes() == data && pairs.is_empty())
        .map(|(_, (plaintext, _))| *plaintext);
    match (kms.decrypt(data, &ctx, None), expected) {
        (Ok(opened), Some(plaintext)) => assert_eq!(opened.plaintext.as_bytes(), plaintext),
        (Ok(_), None) => panic!("forged ciphertext was accepted"),
        (Err(e), Some(_)) => panic!("a genuine blob was refused: {e:?}"),
        (Err(Error::InvalidCiphertext | Error::NotFound | Error::Validation(_)), None) => {}
        (Err(other), None) => panic!("unexpected error {other:?}"),
    }
    match kms.re_encrypt(data, &ctx, None, &key, &ctx) {
        Ok(re) => {
            assert!(expected.is_some(), "ReEncrypt accepted a forged ciphertext");
            let back = kms.decrypt(re.ciphertext_blob.as_bytes(), &ctx, Some(&key)).expect("re-encrypted blob opens");
            assert_eq!(Some(back.plaintext.as_bytes()), expected);
        }
        Err(e) => assert!(expected.is_none(), "ReEncrypt refused a genuine blob: {e:?}"),
    }
}

/// The sealed record of the key a [`record_load`] façade holds, as the façade wrote it, and the
/// key's name.
pub fn genuine_record() -> (String, Vec<u8>) {
    let clock = ManualClock::new(START);
    let mut store = Box::new(MemoryStore::<4>::new());
    let name = {
        let mut kms = common::kms_with_key(&mut store, &clock);
        common::only_key(&mut kms).to_string()
    };
    let mut buf = vec![0u8; coffer_core::store::MAX_RECORD_LEN];
    let len = store.get(RecordKind::Key, &name, &mut buf).expect("get").expect("record");
    buf.truncate(len);
    (name, buf)
}

/// Loading a sealed key record from arbitrary bytes: refused as CorruptRecord, never a panic,
/// unless the bytes are the very record the root sealed for this key.
pub fn record_load(data: &[u8]) {
    let clock = ManualClock::new(START);
    let mut store = Box::new(MemoryStore::<4>::new());
    let name = {
        let mut kms = common::kms_with_key(&mut store, &clock);
        common::only_key(&mut kms).to_string()
    };
    let mut genuine = vec![0u8; coffer_core::store::MAX_RECORD_LEN];
    let len = store.get(RecordKind::Key, &name, &mut genuine).expect("get").expect("record");
    genuine.truncate(len);
    if store.put(RecordKind::Key, &name, data).is_err() {
        return;
    }
    let mut kms = common::kms(&mut store, &clock);
    match kms.describe_key(&name) {
        Ok(meta) if data == genuine.as_slice() => {
            assert_eq!(meta.key_id.to_string(), name);
            assert_eq!(meta.creation_date, START);
        }
        Err(Error::CorruptRecord) if data != genuine.as_slice() => {}
        other => panic!("record bytes gave {other:?}"),
    }
    let report = kms.maintenance().expect("maintenance skips corrupt records");
    assert_eq!(report.corrupt_records, u32::from(data != genuine.as_slice()));
}
