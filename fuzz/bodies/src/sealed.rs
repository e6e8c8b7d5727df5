//! Bodies of the targets that feed bytes to the façade: Decrypt/ReEncrypt and sealed record
//! loading.

use coffer_core::clock::ManualClock;
use coffer_core::store::{KeyStore, MemoryStore, RecordKind};
use coffer_core::{Ciphertext, EncryptionContext, Error, Hsm};

use crate::common::{self, FuzzKms, FuzzKmsN, START};

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

/// What the record_load target's façade holds: a key ("fuzz") with two versions, and a blob made
/// under version 1 (whose material is then read from version 1's own record).
#[derive(Debug)]
pub struct RecordFixture<'a> {
    /// The façade.
    pub kms: FuzzKmsN<'a, RECORD_STORE>,
    /// The key's name (its id's text).
    pub name: String,
    /// The blob under version 1, of [`RECORD_PLAINTEXT`] with the empty context.
    pub blob: Ciphertext,
}

/// Records the record_load store holds: room for a format-1 record's 32 versions.
pub const RECORD_STORE: usize = 40;

/// What the fixture's blob holds.
pub const RECORD_PLAINTEXT: &[u8] = b"record fixture";

/// Builds the record_load fixture in `store`.
pub fn record_fixture<'a>(store: &'a mut MemoryStore<RECORD_STORE>, clock: &'a ManualClock) -> RecordFixture<'a> {
    let mut kms = common::kms_with_key(store, clock);
    let name = common::only_key(&mut kms).to_string();
    let blob = kms.encrypt(&name, RECORD_PLAINTEXT, &EncryptionContext::empty()).expect("encrypt").ciphertext_blob;
    kms.rotate_key_on_demand(&name).expect("rotate");
    RecordFixture { kms, name, blob }
}

/// The records record_load's first byte selects, by `byte % 5`: the sealed key record, version
/// 1's sealed record, the sealed description record, or a key record body in format 1 or in the
/// current format that the body seals itself (so that the fuzzer reaches the parsers behind the
/// MAC, which it cannot forge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordSlot {
    /// The rest of the input is the sealed key record.
    Key,
    /// The rest is the sealed record of version 1.
    Version,
    /// The rest is the sealed description record.
    Description,
    /// The rest is a format-1 key record body, sealed here.
    Format1Body,
    /// The rest is a current-format key record body, sealed here.
    CurrentBody,
}

impl RecordSlot {
    /// The slot a first byte selects.
    pub fn of(byte: u8) -> Self {
        match byte % 5 {
            0 => Self::Key,
            1 => Self::Version,
            2 => Self::Description,
            3 => Self::Format1Body,
            _ => Self::CurrentBody,
        }
    }

    /// The first byte that selects this slot.
    pub fn code(self) -> u8 {
        match self {
            Self::Key => 0,
            Self::Version => 1,
            Self::Description => 2,
            Self::Format1Body => 3,
            Self::CurrentBody => 4,
        }
    }

    /// The kind and name of the record this slot replaces.
    pub fn record(self, key: &str) -> (RecordKind, String) {
        match self {
            Self::Version => (RecordKind::KeyVersion, format!("{key}/{:010}", 1)),
            Self::Description => (RecordKind::Description, key.to_owned()),
            Self::Key | Self::Format1Body | Self::CurrentBody => (RecordKind::Key, key.to_owned()),
        }
    }
}

/// A key record body sealed under `name` as the façade seals key records (docs/FORMAT.md).
pub fn seal_key_body(kms: &mut FuzzKmsN<'_, RECORD_STORE>, name: &str, body: &[u8]) -> Vec<u8> {
    let mut out = b"CFR1".to_vec();
    out.push(1);
    out.extend_from_slice(&u16::try_from(name.len()).unwrap().to_be_bytes());
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(body);
    let mac = kms.hsm_mut().mac(&out).expect("mac");
    out.extend_from_slice(&mac.0);
    out
}

/// The genuine sealed record a slot holds in a fresh fixture (for the sealed slots).
pub fn genuine_record(slot: RecordSlot) -> Vec<u8> {
    let clock = ManualClock::new(START);
    let mut store = Box::new(MemoryStore::<RECORD_STORE>::new());
    let name = record_fixture(&mut store, &clock).name;
    let (kind, record) = slot.record(&name);
    let mut buf = vec![0u8; coffer_core::store::MAX_RECORD_LEN];
    let len = store.get(kind, &record, &mut buf).expect("get").expect("record");
    buf.truncate(len);
    buf
}

/// Loading a key, version or description record from arbitrary bytes (the first byte picks
/// which, [`RecordSlot`]): never a panic. A sealed record is accepted only if it is the very
/// record the root sealed there; anything else is CorruptRecord for the operations that read
/// it, and the others are unaffected. A key record body sealed here is either refused as
/// CorruptRecord everywhere, or read consistently: described, and (format 1) rewritten by the
/// maintenance call in the current layout with the same metadata.
pub fn record_load(data: &[u8]) {
    let Some((&first, record)) = data.split_first() else { return };
    let slot = RecordSlot::of(first);
    let clock = ManualClock::new(START);
    let mut store = Box::new(MemoryStore::<RECORD_STORE>::new());
    let RecordFixture { mut kms, name, blob } = record_fixture(&mut store, &clock);
    let (kind, record_name) = slot.record(&name);
    let mut genuine = vec![0u8; coffer_core::store::MAX_RECORD_LEN];
    let len = kms.store_mut().get(kind, &record_name, &mut genuine).expect("get").expect("record");
    genuine.truncate(len);
    let bytes = match slot {
        RecordSlot::Format1Body | RecordSlot::CurrentBody => seal_key_body(&mut kms, &name, record),
        RecordSlot::Key | RecordSlot::Version | RecordSlot::Description => record.to_vec(),
    };
    if kms.store_mut().put(kind, &record_name, &bytes).is_err() {
        return;
    }
    let intact = bytes == genuine;
    let ctx = EncryptionContext::empty();
    let mut description = Box::new(coffer_core::key::Description::new());
    let described = kms.describe_key_with_description(&name, &mut description);
    let opened = kms.decrypt(blob.as_bytes(), &ctx, None);
    match slot {
        RecordSlot::Key | RecordSlot::Version | RecordSlot::Description => {
            let (describe_ok, decrypt_ok) = match slot {
                RecordSlot::Key => (intact, intact),
                RecordSlot::Version => (true, intact),
                _ => (intact, true),
            };
            match described {
                Ok(meta) if describe_ok => {
                    assert_eq!(meta.key_id.to_string(), name);
                    assert_eq!((meta.creation_date, meta.current_version), (START, 2));
                    assert_eq!(description.as_str(), "fuzz");
                }
                Err(Error::CorruptRecord) if !describe_ok => {}
                other => panic!("{slot:?} record gave DescribeKey {other:?}"),
            }
            match opened {
                Ok(d) if decrypt_ok => assert_eq!(d.plaintext.as_bytes(), RECORD_PLAINTEXT),
                Err(Error::CorruptRecord) if !decrypt_ok => {}
                other => panic!("{slot:?} record gave Decrypt {other:?}"),
            }
            let report = kms.maintenance().expect("maintenance skips corrupt records");
            assert_eq!(report.corrupt_records, u32::from(slot == RecordSlot::Key && !intact));
            assert_eq!((report.upgraded, report.orphans_removed), (0, 0));
        }
        RecordSlot::Format1Body | RecordSlot::CurrentBody => {
            let Ok(before) = described else {
                assert!(matches!(described, Err(Error::CorruptRecord)), "sealed body gave {described:?}");
                assert!(matches!(opened, Err(Error::CorruptRecord)), "sealed body gave Decrypt {opened:?}");
                return;
            };
            assert_eq!(before.key_id.to_string(), name, "a record names its own key");
            // Decrypt of the version-1 blob: opens only if the record holds version 1 with its
            // material (any other material fails to unwrap or to open), else refused.
            assert!(
                matches!(
                    &opened,
                    Ok(_)
                        | Err(Error::InvalidCiphertext
                            | Error::CorruptRecord
                            | Error::Disabled
                            | Error::InvalidState(_))
                ),
                "Decrypt gave {opened:?}"
            );
            let text = description.as_str().to_owned();
            let report = kms.maintenance().expect("maintenance");
            // The body's own format byte says which layout it is in, whatever the slot meant.
            let upgraded = record.first() == Some(&1);
            if report.deleted == 1 {
                // Its deletion date had passed: the key and its records are gone.
                assert!(matches!(kms.describe_key(&name), Err(Error::NotFound)));
                return;
            }
            assert_eq!(report.upgraded, u32::from(upgraded), "{report:?}");
            let after = kms.describe_key_with_description(&name, &mut description).expect("still described");
            let rotated = report.rotated == 1;
            assert_eq!(after.current_version, before.current_version + u32::from(rotated), "{report:?}");
            assert_eq!(
                (after.key_id, after.key_state, after.creation_date, after.minimum_decryption_version),
                (before.key_id, before.key_state, before.creation_date, before.minimum_decryption_version)
            );
            if upgraded {
                assert_eq!(description.as_str(), text, "the description moved to its own record");
            }
            seal_under(&mut kms, &name, after.current_version);
        }
    }
}

/// Encrypt under a key whose record the fuzzer chose (and the maintenance call may have
/// rewritten): it reserves a seal in the key record, which rewrites a format-2 record in format
/// 3 and rotates the key first when the count says the version's budget is used up (format 2
/// always). Either the blob opens and is under `current` or the version after it, or the seal is
/// refused with an error a record can cause; a seal refused before it was counted leaves the key
/// record as it was.
fn seal_under(kms: &mut FuzzKmsN<'_, RECORD_STORE>, name: &str, current: u32) {
    let ctx = EncryptionContext::empty();
    let mut before = vec![0u8; coffer_core::store::MAX_RECORD_LEN];
    let len = kms.store_mut().get(RecordKind::Key, name, &mut before).expect("get").expect("key record");
    before.truncate(len);
    match kms.encrypt(name, b"sealed", &ctx) {
        Ok(sealed) => {
            assert!(sealed.version == current || Some(sealed.version) == current.checked_add(1), "{sealed:?}");
            let opened = kms.decrypt(sealed.ciphertext_blob.as_bytes(), &ctx, None).expect("a fresh blob opens");
            assert_eq!(opened.plaintext.as_bytes(), b"sealed");
            let mut after = vec![0u8; coffer_core::store::MAX_RECORD_LEN];
            let len = kms.store_mut().get(RecordKind::Key, name, &mut after).expect("get").expect("key record");
            assert_eq!(after.get(7 + 36).copied(), Some(3), "a sealing key's record is in format 3");
            assert_eq!(len, 7 + 36 + 118 + 32);
        }
        // Material that does not unwrap is found after the seal was counted (and counted it stays).
        Err(Error::CorruptRecord) => {}
        Err(
            Error::Disabled
            | Error::InvalidState(_)
            | Error::LimitExceeded(coffer_core::LimitKind::Versions | coffer_core::LimitKind::StoreFull),
        ) => {
            let mut after = vec![0u8; coffer_core::store::MAX_RECORD_LEN];
            let len = kms.store_mut().get(RecordKind::Key, name, &mut after).expect("get").expect("key record");
            after.truncate(len);
            assert_eq!(after, before, "a refused seal changed the key record");
        }
        Err(other) => panic!("Encrypt gave {other:?}"),
    }
}
