//! The seal budget of a key version (SP 800-38D: 2^32 seals with random nonces), at its edge with
//! a small configured budget: the last allowed seal, the first past it (which rotates the key
//! first), the count kept across façades and crashes, façades taking turns on one store, and
//! records written before the count existed.

use coffer_core::audit::{AuditEvent, Outcome};
use coffer_core::data::{BLOB_VERSION, Ciphertext, DataKeySpec};
use coffer_core::hsm::WrappedKey;
use coffer_core::key::{KeyId, KeyVersionInfo, RotationType};
use coffer_core::kms::{SealBudget, SealReservations};
use coffer_core::store::{MAX_RECORD_LEN, RecordKind};
use coffer_core::{Error, Hsm, KeyStore, Kms, KmsConfig, LimitKind, Operation};

use crate::fixture::{DAY, Env, START, Stores, TestKms, create, ctx, decrypt, encrypt, text};

/// Where a key record's body starts in its sealed record: magic, kind, name length, the name.
const KEY_BODY_AT: usize = 4 + 1 + 2 + 36;
/// A sealed key record in the current format (body format 3, with the seal count).
const KEY_RECORD_LEN: usize = KEY_BODY_AT + 118 + 32;

/// A façade over `env` whose key versions may each make `per_version` seals, reserved `batch`
/// at a time, with at most `on_demand` rotations on demand.
fn budget_kms<H: Hsm>(env: &mut Env, hsm: H, per_version: u64, batch: u64, on_demand: u32) -> TestKms<'_, H> {
    let config = KmsConfig {
        seal_budget: SealBudget::new(per_version, batch).expect("a valid budget"),
        max_on_demand_rotations: on_demand,
        ..KmsConfig::default()
    };
    Kms::new(hsm, &mut env.store, &env.clock, &mut env.audit, config).expect("kms")
}

fn version(blob: &Ciphertext) -> u32 {
    blob.header().expect("header").version
}

fn key_record<H: Hsm>(kms: &mut TestKms<'_, H>, key: &str) -> Vec<u8> {
    let mut buf = vec![0u8; MAX_RECORD_LEN];
    let len = kms.store_mut().get(RecordKind::Key, key, &mut buf).expect("get").expect("key record");
    buf.truncate(len);
    buf
}

fn rotations<H: Hsm>(kms: &mut TestKms<'_, H>, key: &str) -> Vec<(u32, RotationType)> {
    let mut out = [KeyVersionInfo { version: 0, rotation_date: 0, rotation_type: RotationType::Original }; 16];
    let page = kms.list_key_rotations(key, None, &mut out).expect("list_key_rotations");
    out[..page.count].iter().map(|r| (r.version, r.rotation_type)).collect()
}

fn rotate_events<H: Hsm>(kms: &TestKms<'_, H>) -> Vec<AuditEvent> {
    kms.audit().events().filter(|e| e.operation == Operation::RotateKey).copied().collect()
}

/// With 5 seals per version (reserved 2 at a time), Encrypt, GenerateDataKey,
/// GenerateDataKeyWithoutPlaintext and ReEncrypt all count: the fifth seal is under version 1,
/// the sixth rotates the key (an automatic version, with a RotateKey event, though automatic
/// rotation is off) and is under version 2; every blob still decrypts; the budget rotations use
/// none of the on-demand cap.
pub fn the_last_allowed_seal_and_the_first_past_it<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = budget_kms(&mut env, hsm, 5, 2, 1);
    let id = create(&mut kms);
    let key = text(&id);
    let c = ctx(&[("purpose", "budget")]);
    let mut blobs = Vec::new();
    for n in 1..=3u8 {
        blobs.push((encrypt(&mut kms, &key, &[n], &c), vec![n]));
    }
    let data_key = kms.generate_data_key(&key, DataKeySpec::Aes256, &c).expect("generate_data_key");
    blobs.push((data_key.ciphertext_blob.clone(), data_key.plaintext.as_bytes().to_vec()));
    let fifth = kms.generate_data_key_without_plaintext(&key, DataKeySpec::Aes128, &c).expect("without plaintext");
    assert_eq!(fifth.version, 1, "the last allowed seal is under version 1");
    let fifth_plaintext = kms.decrypt(fifth.ciphertext_blob.as_bytes(), &c, None).expect("decrypt").plaintext;
    blobs.push((fifth.ciphertext_blob, fifth_plaintext.as_bytes().to_vec()));
    assert!(blobs.iter().all(|(b, _)| version(b) == 1));
    assert!(rotate_events(&kms).is_empty(), "no rotation within the budget");
    assert_eq!(kms.describe_key(&key).expect("describe").current_version, 1);

    let sixth = kms.re_encrypt(blobs[0].0.as_bytes(), &c, None, &key, &c).expect("re_encrypt");
    assert_eq!((sixth.source_version, sixth.version), (1, 2), "the first seal past the budget rotates first");
    let events: Vec<_> = kms.audit().events().map(|e| (e.operation, e.key_id, e.outcome)).collect();
    assert_eq!(
        events[events.len() - 2..],
        [(Operation::RotateKey, Some(id), Outcome::Success), (Operation::ReEncrypt, Some(id), Outcome::Success)],
        "the rotation's event, then the ReEncrypt's"
    );
    assert_eq!(rotate_events(&kms)[0].time, START);
    assert_eq!(kms.describe_key(&key).expect("describe").current_version, 2);
    assert_eq!(rotations(&mut kms, &key), [(2, RotationType::Automatic)]);
    assert!(!kms.get_key_rotation_status(&key).expect("status").enabled, "the schedule stays off");
    blobs.push((sixth.ciphertext_blob, vec![1]));

    // Version 2 has had one seal: four more, then version 3.
    for n in 0..4u8 {
        let blob = encrypt(&mut kms, &key, &[n], &c);
        assert_eq!(version(&blob), 2);
        blobs.push((blob, vec![n]));
    }
    let blob = encrypt(&mut kms, &key, b"v3", &c);
    assert_eq!(version(&blob), 3);
    blobs.push((blob, b"v3".to_vec()));
    for (blob, plaintext) in &blobs {
        assert_eq!(&decrypt(&mut kms, blob.as_bytes(), &c), plaintext);
    }
    assert_eq!(rotate_events(&kms).len(), 2);
    // The one rotation on demand allowed is still there.
    assert_eq!(kms.rotate_key_on_demand(&key).expect("on demand"), (id, 4));
    assert_err!(kms.rotate_key_on_demand(&key), Error::LimitExceeded(LimitKind::OnDemandRotations));
    assert_eq!(
        rotations(&mut kms, &key),
        [(2, RotationType::Automatic), (3, RotationType::Automatic), (4, RotationType::OnDemand)]
    );
}

/// The count is in the key record: a new façade over the same store goes on from it, and a
/// façade dropped with seals of its batch unused (a crash) has them counted as used. Budget 5,
/// batch 2: three seals reserve 4; after the "crash", one seal is left under version 1 (4
/// made), and the next is under version 2.
pub fn the_count_survives_a_new_facade_and_a_crash_counts_the_batch<H: Hsm>(hsm: H, stores: &Stores) {
    // The HSM outlives each façade (a façade releases its loaded keys when dropped).
    let mut hsm = hsm;
    let mut env = stores.env();
    let mut kms = budget_kms(&mut env, &mut hsm, 5, 2, 25);
    let key = text(&create(&mut kms));
    let first: Vec<_> = (0..3u8).map(|n| encrypt(&mut kms, &key, &[n], &ctx(&[]))).collect();
    assert!(first.iter().all(|b| version(b) == 1));
    assert_eq!(kms.take_seal_reservations().left(&KeyId::parse(&key).expect("id"), 1), 1, "one seal unused");
    drop(kms);

    let mut kms = budget_kms(&mut env, &mut hsm, 5, 2, 25);
    let fourth = encrypt(&mut kms, &key, b"4", &ctx(&[]));
    assert_eq!(version(&fourth), 1, "the fifth seal counted, the fourth made");
    let next = encrypt(&mut kms, &key, b"5", &ctx(&[]));
    assert_eq!(version(&next), 2, "the unused seal of the crashed façade stayed counted");
    for (n, blob) in first.iter().enumerate() {
        assert_eq!(decrypt(&mut kms, blob.as_bytes(), &ctx(&[])), [u8::try_from(n).unwrap()]);
    }
    assert_eq!(decrypt(&mut kms, fourth.as_bytes(), &ctx(&[])), b"4");
    assert_eq!(decrypt(&mut kms, next.as_bytes(), &ctx(&[])), b"5");
}

/// Two façades taking turns on one store (as `coffer` commands do under the store's lock, each
/// keeping its own reservations, handed over with take/set) reserve disjoint batches: together
/// they make exactly the budget's 5 seals under version 1.
pub fn facades_taking_turns_reserve_disjoint_batches<H: Hsm>(hsm: H, stores: &Stores) {
    // The HSM outlives each façade (a façade releases its loaded keys when dropped).
    let mut hsm = hsm;
    let mut env = stores.env();
    let mut kms = budget_kms(&mut env, &mut hsm, 5, 2, 25);
    let key = text(&create(&mut kms));
    drop(kms);
    let mut tables = [SealReservations::new(), SealReservations::new()];
    let mut versions = Vec::new();
    for turn in 0..8usize {
        let table = &mut tables[turn % 2];
        let mut kms = budget_kms(&mut env, &mut hsm, 5, 2, 25);
        kms.set_seal_reservations(core::mem::take(table));
        let blob = encrypt(&mut kms, &key, b"turn", &ctx(&[]));
        assert_eq!(decrypt(&mut kms, blob.as_bytes(), &ctx(&[])), b"turn");
        versions.push(version(&blob));
        *table = kms.take_seal_reservations();
        drop(kms);
    }
    // A: [0,2) B: [2,4) A, B from their batches, A: [4,5), B rotates (v2 [0,2)), A: v2 [2,4), B.
    assert_eq!(versions, [1, 1, 1, 1, 1, 2, 2, 2]);
}

/// A rotation for the budget leaves the automatic schedule as it was: the due rotation still
/// comes at its date, as one more version.
pub fn budget_rotation_keeps_the_schedule<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = budget_kms(&mut env, hsm, 1, 1, 25);
    let key = text(&create(&mut kms));
    kms.enable_key_rotation(&key, Some(90)).expect("enable rotation");
    let status = kms.get_key_rotation_status(&key).expect("status");
    assert_eq!(version(&encrypt(&mut kms, &key, b"a", &ctx(&[]))), 1);
    assert_eq!(version(&encrypt(&mut kms, &key, b"b", &ctx(&[]))), 2);
    assert_eq!(kms.get_key_rotation_status(&key).expect("status"), status);
    kms.clock().advance(90 * DAY);
    assert_eq!(kms.maintenance().expect("maintenance").rotated, 1);
    assert_eq!(kms.describe_key(&key).expect("describe").current_version, 3);
    assert_eq!(rotations(&mut kms, &key), [(2, RotationType::Automatic), (3, RotationType::Automatic)]);
}

/// A rotation for the budget that cannot be stored (a full store) fails the seal with the
/// store's LimitExceeded and a failed RotateKey event, and changes nothing: the key record is as
/// it was and the key still decrypts.
/// Runs on an in-memory store of two records whatever store the suite runs on.
pub fn a_budget_rotation_that_fails_refuses_the_seal<H: Hsm>(hsm: H, _stores: &Stores) {
    let mut env = Env::memory::<2>();
    let mut kms = budget_kms(&mut env, hsm, 1, 1, 25);
    let key = text(&kms.create_key("").expect("create").key_id);
    let blob = encrypt(&mut kms, &key, b"a", &ctx(&[]));
    // Two records: the key's and version 1's; version 2's has no room.
    let before = key_record(&mut kms, &key);
    assert_err!(kms.encrypt(&key, b"b", &ctx(&[])), Error::LimitExceeded(LimitKind::StoreFull));
    let events = rotate_events(&kms);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].outcome, Outcome::Failure("LimitExceededException"));
    assert_eq!(key_record(&mut kms, &key), before);
    assert_eq!(decrypt(&mut kms, blob.as_bytes(), &ctx(&[])), b"a");
    assert_eq!(kms.describe_key(&key).expect("describe").current_version, 1);
    assert_err!(kms.encrypt(&key, b"c", &ctx(&[])), Error::LimitExceeded(LimitKind::StoreFull));
}

/// A key record written before seals were counted (format 2: the current layout without the
/// count) opens, is read without a write (DescribeKey, Decrypt), and counts as having used its
/// budget: its first seal rotates the key, which rewrites it in format 3. Its first other change
/// rewrites it in format 3 too, the count still unknown.
pub fn uncounted_records_rotate_at_their_first_seal<H: Hsm>(hsm: H, stores: &Stores) {
    // The HSM outlives each façade (a façade releases its loaded keys when dropped).
    let mut hsm = hsm;
    let mut env = stores.env();
    let mut kms = budget_kms(&mut env, &mut hsm, 100, 10, 25);
    let (a, b) = (text(&create(&mut kms)), text(&create(&mut kms)));
    let old_a = encrypt(&mut kms, &a, b"old a", &ctx(&[]));
    let old_b = encrypt(&mut kms, &b, b"old b", &ctx(&[]));
    for key in [&a, &b] {
        let format2 = as_format2(&mut kms, key);
        kms.store_mut().put(RecordKind::Key, key, &format2).expect("put");
    }
    // The store as the code before the count left it, opened by this code.
    drop(kms);
    let mut kms = budget_kms(&mut env, &mut hsm, 100, 10, 25);
    let format2_a = key_record(&mut kms, &a);
    assert_eq!(format2_a.len(), KEY_RECORD_LEN - 8);
    assert_eq!(kms.describe_key(&a).expect("describe").current_version, 1);
    assert_eq!(decrypt(&mut kms, old_a.as_bytes(), &ctx(&[])), b"old a");
    assert_eq!(key_record(&mut kms, &a), format2_a, "reading wrote nothing");

    let new_a = encrypt(&mut kms, &a, b"new a", &ctx(&[]));
    assert_eq!(version(&new_a), 2, "an uncounted version is not sealed under again");
    let record = key_record(&mut kms, &a);
    assert_eq!((record.len(), record[KEY_BODY_AT]), (KEY_RECORD_LEN, 3));
    assert_eq!(decrypt(&mut kms, old_a.as_bytes(), &ctx(&[])), b"old a");
    assert_eq!(decrypt(&mut kms, new_a.as_bytes(), &ctx(&[])), b"new a");
    assert_eq!(version(&encrypt(&mut kms, &a, b"again", &ctx(&[]))), 2, "version 2 is counted");

    kms.disable_key(&b).expect("the first change");
    let record = key_record(&mut kms, &b);
    assert_eq!((record.len(), record[KEY_BODY_AT]), (KEY_RECORD_LEN, 3));
    kms.enable_key(&b).expect("enable");
    assert_eq!(version(&encrypt(&mut kms, &b, b"new b", &ctx(&[]))), 2, "still uncounted after the rewrite");
    assert_eq!(decrypt(&mut kms, old_b.as_bytes(), &ctx(&[])), b"old b");
}

/// The key record of `key` rewritten as format 2 (format byte 2, no seal count), sealed again
/// under the root sealing key as the code before the count sealed it.
fn as_format2<H: Hsm>(kms: &mut TestKms<'_, H>, key: &str) -> Vec<u8> {
    let record = key_record(kms, key);
    assert_eq!((record.len(), record[KEY_BODY_AT]), (KEY_RECORD_LEN, 3));
    let mut out = record[..KEY_BODY_AT + 110].to_vec();
    out[KEY_BODY_AT] = 2;
    let mac = kms.hsm_mut().mac(&out).expect("mac");
    out.extend_from_slice(&mac.0);
    out
}

/// A blob of `plaintext` under `material` as version `number` of key `id`, with the empty
/// context, made with the HSM directly (docs/FORMAT.md's layout): for blobs under records the
/// façade would not seal under as they are.
pub(crate) fn blob_by_hand<H: Hsm>(
    hsm: &mut H,
    id: &KeyId,
    number: u32,
    material: &WrappedKey,
    plaintext: &[u8],
) -> Vec<u8> {
    let mut header = vec![BLOB_VERSION];
    header.extend_from_slice(id.as_bytes());
    header.extend_from_slice(&number.to_be_bytes());
    let mut aad = header.clone();
    aad.extend_from_slice(&[0, 0]);
    let handle = hsm.load_key(material).expect("load");
    let mut buf = plaintext.to_vec();
    let (nonce, tag) = hsm.seal(handle, &aad, &mut buf).expect("seal");
    hsm.release_key(handle).expect("release");
    [header, nonce.0.to_vec(), buf, tag.0.to_vec()].concat()
}
