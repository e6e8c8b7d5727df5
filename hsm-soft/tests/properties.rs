//! Property tests (proptest) of the façade over the software HSM: round trips for arbitrary keys,
//! contexts and payloads; every single mutation of a blob, a key record and an alias record is
//! refused; and the façade's invariants under random operation sequences.
//!
//! Each property runs `PROPTEST_CASES` cases (default 32 here, so `cargo test` stays fast);
//! set it higher for a longer run, e.g. `PROPTEST_CASES=2000 cargo test -p coffer-hsm-soft
//! --test properties`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_alloc,
    missing_docs
)]

use std::collections::{BTreeMap, BTreeSet};

use coffer_core::audit::NoAudit;
use coffer_core::clock::{ManualClock, SECONDS_PER_DAY};
use coffer_core::store::{KeyStore, MemoryStore, RecordKind};
use coffer_core::{DataKeySpec, EncryptionContext, Error, KeyId, Kms, KmsConfig};
use coffer_hsm_soft::{RootKeyMaterial, SoftHsm};
use getrandom::SysRng;
use proptest::prelude::*;
use rand_core::UnwrapErr;

const START: u64 = 1_700_000_000;
const RECORDS: usize = 16;

type TestKms<'a> = Kms<SoftHsm<UnwrapErr<SysRng>>, &'a mut MemoryStore<RECORDS>, &'a ManualClock, NoAudit>;

fn kms<'a>(store: &'a mut MemoryStore<RECORDS>, clock: &'a ManualClock) -> TestKms<'a> {
    let hsm = SoftHsm::with_root_keys(UnwrapErr(SysRng), RootKeyMaterial::new([0x11; 32], [0x22; 32]));
    Kms::new(hsm, store, clock, NoAudit, KmsConfig::default()).unwrap()
}

/// `PROPTEST_CASES` if set, else `default`.
fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    ProptestConfig { cases, ..ProptestConfig::default() }
}

/// Payloads of 1 to 4096 bytes, biased to short ones and the upper edge.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::collection::vec(any::<u8>(), 1..=64),
        1 => prop::collection::vec(any::<u8>(), 4000..=4096),
    ]
}

/// Encryption contexts: up to 16 distinct keys, any UTF-8 text.
fn context() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map("\\PC{0,12}", "\\PC{0,12}", 0..=16)
}

fn pairs(map: &BTreeMap<String, String>) -> Vec<(&str, &str)> {
    map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

proptest! {
    #![proptest_config(config(32))]

    /// decrypt(encrypt(x)) = x for any key description, context, payload and rotation history;
    /// the same for data keys and re-encryption, and the context's order does not matter.
    #[test]
    fn round_trip(
        description in "\\PC{0,40}",
        ctx in context(),
        data in payload(),
        before in 0u8..3,
        after in 0u8..3,
        data_key_len in 1u16..=1024,
    ) {
        let clock = ManualClock::new(START);
        let mut store = Box::new(MemoryStore::<RECORDS>::new());
        let mut kms = kms(&mut store, &clock);
        let key = kms.create_key(&description).unwrap().key_id.to_string();
        for _ in 0..before {
            kms.rotate_key_on_demand(&key).unwrap();
        }
        let sorted = pairs(&ctx);
        let mut reversed = sorted.clone();
        reversed.reverse();
        let enc_ctx = EncryptionContext::new(&reversed).unwrap();
        let dec_ctx = EncryptionContext::new(&sorted).unwrap();
        let blob = kms.encrypt(&key, &data, &enc_ctx).unwrap();
        prop_assert_eq!(blob.version, u32::from(before) + 1);
        for _ in 0..after {
            kms.rotate_key_on_demand(&key).unwrap();
        }
        let back = kms.decrypt(blob.ciphertext_blob.as_bytes(), &dec_ctx, Some(&key)).unwrap();
        prop_assert_eq!(back.plaintext.as_bytes(), data.as_slice());
        prop_assert_eq!(back.version, blob.version);

        let dk = kms.generate_data_key(&key, DataKeySpec::NumberOfBytes(data_key_len), &enc_ctx).unwrap();
        prop_assert_eq!(dk.plaintext.as_bytes().len(), usize::from(data_key_len));
        let opened = kms.decrypt(dk.ciphertext_blob.as_bytes(), &dec_ctx, None).unwrap();
        prop_assert_eq!(opened.plaintext.as_bytes(), dk.plaintext.as_bytes());

        let other = kms.create_key("other").unwrap().key_id.to_string();
        let empty = EncryptionContext::empty();
        let re = kms.re_encrypt(blob.ciphertext_blob.as_bytes(), &dec_ctx, None, &other, &empty).unwrap();
        let moved = kms.decrypt(re.ciphertext_blob.as_bytes(), &empty, Some(&other)).unwrap();
        prop_assert_eq!(moved.plaintext.as_bytes(), data.as_slice());
    }

    /// Any single change to a blob — one byte XORed with a non-zero mask, a cut, an extension — is
    /// refused, and the untouched blob still opens.
    #[test]
    fn every_blob_mutation_is_refused(
        ctx in context(),
        data in payload(),
        at in any::<prop::sample::Index>(),
        xor in 1u8..=255,
        cut in any::<prop::sample::Index>(),
        extra in prop::collection::vec(any::<u8>(), 1..=32),
    ) {
        let clock = ManualClock::new(START);
        let mut store = Box::new(MemoryStore::<RECORDS>::new());
        let mut kms = kms(&mut store, &clock);
        let key = kms.create_key("").unwrap().key_id.to_string();
        let ctx = EncryptionContext::new(&pairs(&ctx)).unwrap();
        let blob = kms.encrypt(&key, &data, &ctx).unwrap().ciphertext_blob.as_bytes().to_vec();

        let mut flipped = blob.clone();
        flipped[at.index(blob.len())] ^= xor;
        prop_assert!(kms.decrypt(&flipped, &ctx, None).is_err(), "flip at {} opened", at.index(blob.len()));
        let cut = cut.index(blob.len());
        prop_assert!(kms.decrypt(&blob[..cut], &ctx, None).is_err(), "cut at {} opened", cut);
        let mut longer = blob.clone();
        longer.extend_from_slice(&extra);
        prop_assert!(kms.decrypt(&longer, &ctx, None).is_err(), "extension opened");
        let intact = kms.decrypt(&blob, &ctx, None).unwrap();
        prop_assert_eq!(intact.plaintext.as_bytes(), data.as_slice());
    }

    /// Any single change to a stored key record or alias record (a byte XORed, a cut, an extension)
    /// makes it CorruptRecord for every operation that loads it; restored, it works again.
    #[test]
    fn every_record_mutation_is_refused(
        description in "\\PC{0,40}",
        rotations in 0u8..4,
        at in any::<prop::sample::Index>(),
        xor in 1u8..=255,
        cut in any::<prop::sample::Index>(),
        extra in prop::collection::vec(any::<u8>(), 1..=8),
    ) {
        let clock = ManualClock::new(START);
        let mut store = Box::new(MemoryStore::<RECORDS>::new());
        let key = {
            let mut kms = kms(&mut store, &clock);
            let key = kms.create_key(&description).unwrap().key_id.to_string();
            for _ in 0..rotations {
                kms.rotate_key_on_demand(&key).unwrap();
            }
            kms.create_alias("alias/prop", &key).unwrap();
            key
        };
        for (kind, name) in [(RecordKind::Key, key.as_str()), (RecordKind::Alias, "alias/prop")] {
            let mut buf = vec![0u8; coffer_core::store::MAX_RECORD_LEN];
            let len = store.get(kind, name, &mut buf).unwrap().unwrap();
            let genuine = buf[..len].to_vec();
            let mut flipped = genuine.clone();
            flipped[at.index(len)] ^= xor;
            let mut longer = genuine.clone();
            longer.extend_from_slice(&extra);
            let cut = &genuine[..cut.index(len)];
            for bad in [flipped.as_slice(), cut, longer.as_slice()] {
                store.put(kind, name, bad).unwrap();
                let mut kms = kms(&mut store, &clock);
                prop_assert!(matches!(kms.describe_key("alias/prop"), Err(Error::CorruptRecord)));
                if kind == RecordKind::Key {
                    prop_assert!(matches!(kms.describe_key(&key), Err(Error::CorruptRecord)));
                    prop_assert!(matches!(kms.encrypt(&key, b"x", &EncryptionContext::empty()), Err(Error::CorruptRecord)));
                    prop_assert!(matches!(kms.rotate_key_on_demand(&key), Err(Error::CorruptRecord)));
                }
                prop_assert_eq!(kms.maintenance().unwrap().corrupt_records, u32::from(kind == RecordKind::Key));
            }
            store.put(kind, name, &genuine).unwrap();
            let mut kms = kms(&mut store, &clock);
            prop_assert_eq!(kms.describe_key("alias/prop").unwrap().current_version, u32::from(rotations) + 1);
        }
    }
}

/// Operations for the invariant property: indexes pick among the keys created so far.
#[derive(Debug, Clone)]
enum Step {
    Create,
    Rotate(usize),
    Disable(usize),
    Enable(usize),
    ScheduleDeletion(usize, u16),
    CancelDeletion(usize),
    RetireBelow(usize, u32),
    EnableRotation(usize, u16),
    Alias(usize, usize),
    DeleteAlias(usize),
    AdvanceDays(u16),
    Maintenance,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => Just(Step::Create),
        3 => any::<usize>().prop_map(Step::Rotate),
        1 => any::<usize>().prop_map(Step::Disable),
        1 => any::<usize>().prop_map(Step::Enable),
        2 => (any::<usize>(), 0u16..40).prop_map(|(k, d)| Step::ScheduleDeletion(k, d)),
        1 => any::<usize>().prop_map(Step::CancelDeletion),
        1 => (any::<usize>(), 0u32..6).prop_map(|(k, v)| Step::RetireBelow(k, v)),
        1 => (any::<usize>(), 80u16..400).prop_map(|(k, d)| Step::EnableRotation(k, d)),
        3 => (0usize..4, any::<usize>()).prop_map(|(a, k)| Step::Alias(a, k)),
        1 => (0usize..4).prop_map(Step::DeleteAlias),
        2 => (0u16..400).prop_map(Step::AdvanceDays),
        2 => Just(Step::Maintenance),
    ]
}

proptest! {
    #![proptest_config(config(32))]

    /// Whatever the operations (and whether each succeeds), the façade's own answers keep its
    /// invariants: a key's current version never goes down, a key once gone never comes back,
    /// and every alias points at one key that exists.
    #[test]
    fn facade_invariants_hold(steps in prop::collection::vec(step(), 1..60)) {
        let clock = ManualClock::new(START);
        let mut store = Box::new(MemoryStore::<RECORDS>::new());
        let mut kms = kms(&mut store, &clock);
        let mut keys: Vec<String> = Vec::new();
        let mut versions: BTreeMap<String, u32> = BTreeMap::new();
        let mut gone: BTreeSet<String> = BTreeSet::new();
        let pick = |keys: &[String], i: usize| keys.get(i % keys.len().max(1)).cloned();
        for step in steps {
            // Results are not checked here (the kms_model fuzz target does that); only invariants.
            match step {
                Step::Create => {
                    if let Ok(m) = kms.create_key("p") {
                        keys.push(m.key_id.to_string());
                    }
                }
                Step::Rotate(k) => { if let Some(k) = pick(&keys, k) { let _ = kms.rotate_key_on_demand(&k); } }
                Step::Disable(k) => { if let Some(k) = pick(&keys, k) { let _ = kms.disable_key(&k); } }
                Step::Enable(k) => { if let Some(k) = pick(&keys, k) { let _ = kms.enable_key(&k); } }
                Step::ScheduleDeletion(k, d) => { if let Some(k) = pick(&keys, k) { let _ = kms.schedule_key_deletion(&k, Some(d)); } }
                Step::CancelDeletion(k) => { if let Some(k) = pick(&keys, k) { let _ = kms.cancel_key_deletion(&k); } }
                Step::RetireBelow(k, v) => { if let Some(k) = pick(&keys, k) { let _ = kms.set_minimum_decryption_version(&k, v); } }
                Step::EnableRotation(k, d) => { if let Some(k) = pick(&keys, k) { let _ = kms.enable_key_rotation(&k, Some(d)); } }
                Step::Alias(a, k) => {
                    if let Some(k) = pick(&keys, k) {
                        let name = format!("alias/p{a}");
                        if kms.create_alias(&name, &k).is_err() {
                            let _ = kms.update_alias(&name, &k);
                        }
                    }
                }
                Step::DeleteAlias(a) => { let _ = kms.delete_alias(&format!("alias/p{a}")); }
                Step::AdvanceDays(d) => clock.advance(u64::from(d) * SECONDS_PER_DAY),
                Step::Maintenance => { kms.maintenance().unwrap(); }
            }
            let mut ids = [KeyId::from_bytes([0; 16]); RECORDS];
            let page = kms.list_keys(None, &mut ids).unwrap();
            let listed: BTreeSet<String> = ids[..page.count].iter().map(ToString::to_string).collect();
            for key in &keys {
                match kms.describe_key(key) {
                    Ok(meta) => {
                        prop_assert!(!gone.contains(key), "key {} came back", key);
                        prop_assert!(listed.contains(key));
                        let seen = versions.entry(key.clone()).or_insert(0);
                        prop_assert!(meta.current_version >= *seen, "key {} went back to version {}", key, meta.current_version);
                        *seen = meta.current_version;
                        prop_assert!(meta.minimum_decryption_version <= meta.current_version);
                    }
                    Err(Error::NotFound) => {
                        prop_assert!(!listed.contains(key));
                        gone.insert(key.clone());
                    }
                    Err(e) => prop_assert!(false, "describe {} failed: {:?}", key, e),
                }
            }
            let blank = coffer_core::key::AliasEntry {
                name: coffer_core::key::AliasName::parse("alias/x").unwrap(),
                target_key_id: KeyId::from_bytes([0; 16]),
                creation_date: 0,
                last_updated_date: 0,
            };
            let mut out = vec![blank; RECORDS];
            let page = kms.list_aliases(None, None, &mut out).unwrap();
            let mut names = BTreeSet::new();
            for entry in &out[..page.count] {
                prop_assert!(names.insert(entry.name.as_str().to_owned()), "alias listed twice");
                let target = entry.target_key_id.to_string();
                prop_assert!(listed.contains(&target), "alias {} points at {}, which is gone", entry.name, target);
                prop_assert_eq!(kms.describe_key(entry.name.as_str()).unwrap().key_id, entry.target_key_id);
            }
        }
    }
}
