//! The record layout: versions as records of their own (automatic rotation without end, the
//! on-demand cap at its edge, retired versions destroyed, crash leftovers cleaned), version and
//! description records bound to their key and number, and format-1 key records (stores made
//! before this layout) read as they are and rewritten at their first change.

use coffer_core::clock::Timestamp;
use coffer_core::hsm::WrappedKey;
use coffer_core::key::{Description, KeyId, KeyState, KeyVersionInfo, RotationType};
use coffer_core::kms::{DEFAULT_MAX_ON_DEMAND_ROTATIONS, MaintenanceReport, ORPHAN_GRACE};
use coffer_core::store::{MAX_RECORD_LEN, RecordKind};
use coffer_core::{Error, Hsm, KeyStore, Kms, KmsConfig, LimitKind};

use crate::fixture::{DAY, START, Stores, TestKms, create, ctx, decrypt, encrypt, snapshot, text};
use crate::seal_budget::blob_by_hand;

/// The name of version `number` of key `id` in the store.
pub fn version_name(id: &KeyId, number: u32) -> String {
    format!("{id}/{number:010}")
}

fn record<H: Hsm>(kms: &mut TestKms<'_, H>, kind: RecordKind, name: &str) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; MAX_RECORD_LEN];
    let len = kms.store_mut().get(kind, name, &mut buf).expect("get")?;
    buf.truncate(len);
    Some(buf)
}

fn rotations<H: Hsm>(kms: &mut TestKms<'_, H>, key: &str, page: usize) -> Vec<KeyVersionInfo> {
    let blank = KeyVersionInfo { version: 0, rotation_date: 0, rotation_type: RotationType::Original };
    let mut all = Vec::new();
    let mut marker = None;
    loop {
        let mut out = vec![blank; page];
        let p = kms.list_key_rotations(key, marker, &mut out).expect("list_key_rotations");
        all.extend_from_slice(&out[..p.count]);
        match p.next_marker {
            Some(m) => marker = Some(m),
            None => return all,
        }
    }
}

/// A hundred automatic rotations (far past the 32 versions a key record once held): every blob,
/// one per version, still decrypts; ListKeyRotations pages through all of them, in order; the
/// key record stays the same size.
pub fn hundred_automatic_rotations_keep_every_blob_decryptable<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let key = text(&id);
    let size = record(&mut kms, RecordKind::Key, &key).expect("key record").len();
    kms.enable_key_rotation(&key, Some(90)).expect("enable rotation");
    let mut blobs = vec![encrypt(&mut kms, &key, b"v1", &ctx(&[]))];
    for v in 2..=101u32 {
        kms.clock().advance(90 * DAY);
        let report = kms.maintenance().expect("maintenance");
        assert_eq!(report, MaintenanceReport { rotated: 1, ..MaintenanceReport::default() }, "rotation to {v}");
        blobs.push(encrypt(&mut kms, &key, format!("v{v}").as_bytes(), &ctx(&[])));
    }
    assert_eq!(kms.describe_key(&key).expect("describe").current_version, 101);
    for (i, blob) in blobs.iter().enumerate() {
        assert_eq!(blob.header().expect("header").version, u32::try_from(i + 1).unwrap());
        assert_eq!(decrypt(&mut kms, blob.as_bytes(), &ctx(&[])), format!("v{}", i + 1).into_bytes());
    }
    let listed = rotations(&mut kms, &key, 7);
    assert_eq!(listed.iter().map(|r| r.version).collect::<Vec<_>>(), (2..=101).collect::<Vec<_>>());
    assert!(listed.iter().all(|r| r.rotation_type == RotationType::Automatic));
    assert_eq!(listed[0].rotation_date, START + 90 * DAY);
    assert_eq!(record(&mut kms, RecordKind::Key, &key).expect("key record").len(), size);
}

/// The on-demand cap at its edge: 25 rotations on demand are allowed, the 26th is
/// LimitExceeded(OnDemandRotations) and changes nothing; automatic rotation still goes on.
pub fn on_demand_rotation_cap_at_its_edge<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let key = text(&id);
    assert_eq!(DEFAULT_MAX_ON_DEMAND_ROTATIONS, 25);
    for v in 2..=26 {
        assert_eq!(kms.rotate_key_on_demand(&key).expect("on demand, within the cap"), (id, v));
    }
    let before = snapshot(&mut kms);
    let refused = kms.rotate_key_on_demand(&key);
    assert_eq!(refused.as_ref().err().map(Error::code), Some("LimitExceededException"));
    assert_err!(refused, Error::LimitExceeded(LimitKind::OnDemandRotations));
    assert_eq!(snapshot(&mut kms), before);
    kms.enable_key_rotation(&key, Some(90)).expect("enable rotation");
    kms.clock().advance(90 * DAY);
    assert_eq!(kms.maintenance().expect("maintenance").rotated, 1);
    assert_eq!(kms.describe_key(&key).expect("describe").current_version, 27);
    assert_err!(kms.rotate_key_on_demand(&key), Error::LimitExceeded(LimitKind::OnDemandRotations));
}

/// The cap comes from `KmsConfig`: with 2, the third rotation on demand is refused; retiring
/// versions does not give rotations back (the cap counts rotations, not versions held).
pub fn on_demand_rotation_cap_is_configurable<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = Kms::new(
        hsm,
        &mut env.store,
        &env.clock,
        &mut env.audit,
        KmsConfig { max_on_demand_rotations: 2, ..KmsConfig::default() },
    )
    .expect("kms");
    let id = create(&mut kms);
    let key = text(&id);
    kms.rotate_key_on_demand(&key).expect("first");
    kms.rotate_key_on_demand(&key).expect("second");
    assert_err!(kms.rotate_key_on_demand(&key), Error::LimitExceeded(LimitKind::OnDemandRotations));
    kms.set_minimum_decryption_version(&key, 3).expect("retire");
    assert_err!(kms.rotate_key_on_demand(&key), Error::LimitExceeded(LimitKind::OnDemandRotations));
}

/// Encrypt, Decrypt of the current version, DescribeKey and GetKeyRotationStatus read the key
/// record only: with the description and every version record removed from the store they
/// still work (and DescribeKey with the description then says it is empty).
pub fn the_hot_path_reads_only_the_key_record<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = kms.create_key("a long description").expect("create").key_id;
    let key = text(&id);
    kms.rotate_key_on_demand(&key).expect("rotate");
    let old = encrypt(&mut kms, &key, b"old", &ctx(&[]));
    kms.rotate_key_on_demand(&key).expect("rotate");
    for v in 1..=3 {
        assert!(kms.store_mut().remove(RecordKind::KeyVersion, &version_name(&id, v)).expect("remove"));
    }
    assert!(kms.store_mut().remove(RecordKind::Description, &key).expect("remove"));
    let blob = encrypt(&mut kms, &key, b"hot", &ctx(&[]));
    assert_eq!(decrypt(&mut kms, blob.as_bytes(), &ctx(&[])), b"hot");
    assert_eq!(kms.describe_key(&key).expect("describe").current_version, 3);
    kms.get_key_rotation_status(&key).expect("status");
    let mut description = Description::new();
    kms.describe_key_with_description(&key, &mut description).expect("describe");
    assert_eq!(description.as_str(), "");
    // An older version is read from its record: gone, the store is corrupt.
    assert_err!(kms.decrypt(old.as_bytes(), &ctx(&[]), None), Error::CorruptRecord);
}

/// Every version has its record, and the description its own; set-minimum-decryption-version
/// destroys the records below the new minimum; destroying the key removes all of them.
pub fn version_and_description_records_live_and_die_with_the_key<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = kms.create_key("described").expect("create").key_id;
    let key = text(&id);
    let plain = kms.create_key("").expect("create").key_id;
    assert!(record(&mut kms, RecordKind::Description, &key).is_some());
    assert!(record(&mut kms, RecordKind::Description, &text(&plain)).is_none(), "no record for no description");
    for _ in 0..3 {
        kms.rotate_key_on_demand(&key).expect("rotate");
    }
    for v in 1..=4 {
        assert!(record(&mut kms, RecordKind::KeyVersion, &version_name(&id, v)).is_some(), "version {v}");
    }
    kms.set_minimum_decryption_version(&key, 3).expect("retire 1 and 2");
    for v in 1..=2 {
        assert!(record(&mut kms, RecordKind::KeyVersion, &version_name(&id, v)).is_none(), "version {v} destroyed");
    }
    assert!(record(&mut kms, RecordKind::KeyVersion, &version_name(&id, 3)).is_some());
    kms.update_key_description(&key, "").expect("empty description");
    assert!(record(&mut kms, RecordKind::Description, &key).is_none(), "an empty description has no record");
    kms.update_key_description(&key, "back").expect("description");
    kms.schedule_key_deletion(&key, Some(7)).expect("schedule");
    kms.clock().advance(7 * DAY);
    assert_eq!(kms.maintenance().expect("maintenance").deleted, 1);
    let left: Vec<_> = snapshot(&mut kms).into_iter().map(|(kind, name, _)| (kind, name)).collect();
    let plain_name = text(&plain);
    assert_eq!(
        left,
        vec![(RecordKind::Key, plain_name.clone()), (RecordKind::KeyVersion, version_name(&plain, 1))],
        "only the other key's records remain"
    );
}

/// Crash leftovers: a version record written by a rotation whose key record never followed
/// (once older than `ORPHAN_GRACE`), and version records below the minimum whose removal never
/// ran (at once), are removed by the maintenance call; records of a key that is gone too. The key works throughout, and the next rotation
/// takes the leftover's number.
pub fn maintenance_removes_records_no_key_refers_to<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = kms.create_key("crash").expect("create").key_id;
    let key = text(&id);
    let old = encrypt(&mut kms, &key, b"v1", &ctx(&[]));
    let before_rotation = record(&mut kms, RecordKind::Key, &key).expect("key record");
    let v1 = record(&mut kms, RecordKind::KeyVersion, &version_name(&id, 1)).expect("v1");
    kms.rotate_key_on_demand(&key).expect("rotate");
    // The crash: the key record as before the rotation, the new version record left behind.
    kms.store_mut().put(RecordKind::Key, &key, &before_rotation).expect("put");
    assert_eq!(kms.describe_key(&key).expect("describe").current_version, 1);
    assert_eq!(decrypt(&mut kms, old.as_bytes(), &ctx(&[])), b"v1");
    // Younger than the grace period it may be a rotation another node has not finished: kept.
    kms.clock().advance(ORPHAN_GRACE - 1);
    assert_eq!(kms.maintenance().expect("maintenance"), MaintenanceReport::default());
    kms.clock().advance(1);
    let report = kms.maintenance().expect("maintenance");
    assert_eq!(report, MaintenanceReport { orphans_removed: 1, ..MaintenanceReport::default() });
    assert!(record(&mut kms, RecordKind::KeyVersion, &version_name(&id, 2)).is_none());
    assert_eq!(kms.rotate_key_on_demand(&key).expect("rotate again"), (id, 2));

    kms.set_minimum_decryption_version(&key, 2).expect("retire 1");
    // The crash: version 1's record back, as if its removal had not run.
    kms.store_mut().put(RecordKind::KeyVersion, &version_name(&id, 1), &v1).expect("put");
    assert_err!(kms.decrypt(old.as_bytes(), &ctx(&[]), None), Error::InvalidCiphertext);
    let gone = KeyId::from_random([0x33; 16]);
    kms.store_mut().put(RecordKind::KeyVersion, &version_name(&gone, 1), &v1).expect("put");
    kms.store_mut().put(RecordKind::Description, &text(&gone), b"stray").expect("put");
    let report = kms.maintenance().expect("maintenance");
    assert_eq!(report, MaintenanceReport { orphans_removed: 3, ..MaintenanceReport::default() });
    assert!(record(&mut kms, RecordKind::KeyVersion, &version_name(&id, 1)).is_none());
    assert_eq!(kms.maintenance().expect("maintenance"), MaintenanceReport::default());
}

/// A version record moved to another key, or to another number of the same key, is refused
/// (CorruptRecord), as is a description record moved to another key; every single-bit flip of
/// a version record is refused. The genuine records still work.
pub fn version_and_description_records_are_bound_to_their_key_and_number<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let a = kms.create_key("a's").expect("create").key_id;
    let b = kms.create_key("b's").expect("create").key_id;
    let (ka, kb) = (text(&a), text(&b));
    let a1 = encrypt(&mut kms, &ka, b"a1", &ctx(&[]));
    let b1 = encrypt(&mut kms, &kb, b"b1", &ctx(&[]));
    kms.rotate_key_on_demand(&ka).expect("rotate");
    let a2 = encrypt(&mut kms, &ka, b"a2", &ctx(&[]));
    kms.rotate_key_on_demand(&kb).expect("rotate");
    kms.rotate_key_on_demand(&ka).expect("rotate");
    let (a1_name, a2_name, b1_name) = (version_name(&a, 1), version_name(&a, 2), version_name(&b, 1));
    let a1_record = record(&mut kms, RecordKind::KeyVersion, &a1_name).expect("a1");
    let a2_record = record(&mut kms, RecordKind::KeyVersion, &a2_name).expect("a2");
    let b1_record = record(&mut kms, RecordKind::KeyVersion, &b1_name).expect("b1");

    kms.store_mut().put(RecordKind::KeyVersion, &b1_name, &a1_record).expect("put");
    assert_err!(kms.decrypt(b1.as_bytes(), &ctx(&[]), None), Error::CorruptRecord);
    kms.store_mut().put(RecordKind::KeyVersion, &b1_name, &b1_record).expect("put");
    assert_eq!(decrypt(&mut kms, b1.as_bytes(), &ctx(&[])), b"b1");

    kms.store_mut().put(RecordKind::KeyVersion, &a2_name, &a1_record).expect("put");
    assert_err!(kms.decrypt(a2.as_bytes(), &ctx(&[]), None), Error::CorruptRecord);
    kms.store_mut().put(RecordKind::KeyVersion, &a2_name, &a2_record).expect("put");

    for bit in 0..a1_record.len() * 8 {
        let mut bad = a1_record.clone();
        bad[bit / 8] ^= 0x80 >> (bit % 8);
        kms.store_mut().put(RecordKind::KeyVersion, &a1_name, &bad).expect("put");
        assert_err!(kms.decrypt(a1.as_bytes(), &ctx(&[]), None), Error::CorruptRecord);
    }
    kms.store_mut().put(RecordKind::KeyVersion, &a1_name, &a1_record).expect("put");
    assert_eq!(decrypt(&mut kms, a1.as_bytes(), &ctx(&[])), b"a1");
    assert_eq!(decrypt(&mut kms, a2.as_bytes(), &ctx(&[])), b"a2");

    let a_description = record(&mut kms, RecordKind::Description, &ka).expect("description");
    kms.store_mut().put(RecordKind::Description, &kb, &a_description).expect("put");
    let mut description = Description::new();
    assert_err!(kms.describe_key_with_description(&kb, &mut description), Error::CorruptRecord);
    kms.describe_key_with_description(&ka, &mut description).expect("a's own");
    assert_eq!(description.as_str(), "a's");
}

/// A format-1 key record, as the store before this layout held it, built here byte by byte from
/// `docs/FORMAT.md` and sealed by the backend's root (so every backend runs it): versions
/// `(number, created, type, material)`, oldest first.
pub(crate) fn format1_record<H: Hsm>(
    hsm: &mut H,
    id: &KeyId,
    state: KeyState,
    deletion: Option<(Timestamp, u16)>,
    rotation: Option<(u16, Timestamp)>,
    description: &str,
    versions: &[(u32, Timestamp, RotationType, WrappedKey)],
) -> Vec<u8> {
    let name = text(id);
    let mut out = b"CFR1".to_vec();
    out.push(1);
    out.extend_from_slice(&u16::try_from(name.len()).unwrap().to_be_bytes());
    out.extend_from_slice(name.as_bytes());
    out.push(1);
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(&[1, 1]);
    out.push(match state {
        KeyState::Enabled => 1,
        KeyState::Disabled => 2,
        KeyState::PendingDeletion => 3,
    });
    out.extend_from_slice(&START.to_be_bytes());
    out.extend_from_slice(&deletion.map_or(0, |d| d.0).to_be_bytes());
    out.extend_from_slice(&deletion.map_or(0, |d| d.1).to_be_bytes());
    out.push(u8::from(rotation.is_some()));
    out.extend_from_slice(&rotation.map_or(0, |r| r.0).to_be_bytes());
    out.extend_from_slice(&rotation.map_or(0, |r| r.1).to_be_bytes());
    out.extend_from_slice(&u16::try_from(description.len()).unwrap().to_be_bytes());
    out.extend_from_slice(description.as_bytes());
    out.push(u8::try_from(versions.len()).unwrap());
    for (number, created, rotation_type, material) in versions {
        out.extend_from_slice(&number.to_be_bytes());
        out.extend_from_slice(&created.to_be_bytes());
        out.push(match rotation_type {
            RotationType::Original => 0,
            RotationType::Automatic => 1,
            RotationType::OnDemand => 2,
        });
        out.extend_from_slice(material.as_bytes());
    }
    let mac = hsm.mac(&out).expect("mac");
    out.extend_from_slice(&mac.0);
    out
}

/// A record in the format before this layout opens: DescribeKey (description included),
/// Decrypt of each version it holds, ListKeyRotations, without a write; its first change
/// rewrites it in the current layout (a version record per version, a description record, a
/// 193-byte key record), after which every blob still decrypts, the first seal rotates (format 1
/// did not count seals) and the key rotates past the 32 versions format 1 could hold. The
/// maintenance call rewrites the others.
pub fn format1_record_opens_and_is_upgraded<H: Hsm>(mut hsm: H, stores: &Stores) {
    let id = KeyId::from_random([0x41; 16]);
    let other = KeyId::from_random([0x42; 16]);
    let (m1, m2, m3) =
        (hsm.generate_key().expect("gen"), hsm.generate_key().expect("gen"), hsm.generate_key().expect("gen"));
    // Blobs made under versions 2 and 3 by the code of that time.
    let blob2 = blob_by_hand(&mut hsm, &id, 2, &m1, b"under 2");
    let blob3 = blob_by_hand(&mut hsm, &id, 3, &m2, b"under 3");
    // Version 1 was retired (format 1 removed its material): held are 2 and 3.
    let held = [(2, START + 10, RotationType::OnDemand, m1), (3, START + 20, RotationType::Automatic, m2)];
    let legacy =
        format1_record(&mut hsm, &id, KeyState::Enabled, None, Some((90, START + 90 * DAY)), "old \u{1f511}", &held);
    let pending = format1_record(
        &mut hsm,
        &other,
        KeyState::PendingDeletion,
        Some((START + 30 * DAY, 30)),
        None,
        "",
        &[(1, START, RotationType::Original, m3)],
    );
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&id);
    kms.store_mut().put(RecordKind::Key, &key, &legacy).expect("put");
    kms.store_mut().put(RecordKind::Key, &text(&other), &pending).expect("put");

    let meta = kms.describe_key(&key).expect("describe a format-1 record");
    assert_eq!((meta.current_version, meta.minimum_decryption_version, meta.creation_date), (3, 2, START));
    let mut description = Description::new();
    kms.describe_key_with_description(&key, &mut description).expect("describe");
    assert_eq!(description.as_str(), "old \u{1f511}");
    let status = kms.get_key_rotation_status(&key).expect("status");
    assert_eq!((status.enabled, status.next_rotation_date), (true, Some(START + 90 * DAY)));
    assert_eq!(decrypt(&mut kms, &blob3, &ctx(&[])), b"under 3");
    assert_eq!(decrypt(&mut kms, &blob2, &ctx(&[])), b"under 2");
    let listed = rotations(&mut kms, &key, 1);
    assert_eq!(
        listed.iter().map(|r| (r.version, r.rotation_type)).collect::<Vec<_>>(),
        [(2, RotationType::OnDemand), (3, RotationType::Automatic)]
    );
    assert_eq!(record(&mut kms, RecordKind::Key, &key), Some(legacy.clone()), "reading wrote nothing");
    assert_eq!(kms.describe_key(&text(&other)).expect("describe").key_state, KeyState::PendingDeletion);

    kms.disable_key(&key).expect("the first change");
    let upgraded = record(&mut kms, RecordKind::Key, &key).expect("key record");
    assert_eq!(upgraded.len(), 7 + 36 + 118 + 32, "the current layout");
    assert_eq!(upgraded[7 + 36], 3, "body format 3");
    for v in [2, 3] {
        assert!(record(&mut kms, RecordKind::KeyVersion, &version_name(&id, v)).is_some(), "version {v}");
    }
    assert!(record(&mut kms, RecordKind::KeyVersion, &version_name(&id, 1)).is_none());
    assert!(record(&mut kms, RecordKind::Description, &key).is_some());
    kms.describe_key_with_description(&key, &mut description).expect("describe");
    assert_eq!(description.as_str(), "old \u{1f511}");
    let meta = kms.describe_key(&key).expect("describe");
    assert_eq!((meta.key_state, meta.current_version, meta.minimum_decryption_version), (KeyState::Disabled, 3, 2));
    kms.enable_key(&key).expect("enable");
    assert_eq!(decrypt(&mut kms, &blob3, &ctx(&[])), b"under 3");
    assert_eq!(decrypt(&mut kms, &blob2, &ctx(&[])), b"under 2");
    // Format 1 did not count seals: version 3 counts as used up, and the first seal rotates.
    let blob4 = encrypt(&mut kms, &key, b"under 4", &ctx(&[]));
    assert_eq!(blob4.header().expect("header").version, 4);
    // Format 1 held one rotation on demand (version 2), so 24 remain (the rotation for the seal
    // budget took none); rotation goes on past 32.
    for v in 5..=28 {
        assert_eq!(kms.rotate_key_on_demand(&key).expect("rotate"), (id, v));
    }
    assert_err!(kms.rotate_key_on_demand(&key), Error::LimitExceeded(LimitKind::OnDemandRotations));
    for _ in 29..=41 {
        kms.clock().advance(90 * DAY);
        assert_eq!(kms.maintenance().expect("maintenance").rotated, 1);
    }
    assert_eq!(decrypt(&mut kms, &blob3, &ctx(&[])), b"under 3");
    assert_eq!(decrypt(&mut kms, &blob2, &ctx(&[])), b"under 2");
    assert_eq!(decrypt(&mut kms, blob4.as_bytes(), &ctx(&[])), b"under 4");
    assert_eq!(kms.describe_key(&key).expect("describe").current_version, 41);

    // The other format-1 record was rewritten by the first maintenance pass, then destroyed
    // when its date came.
    assert_err!(kms.describe_key(&text(&other)), Error::NotFound);
    assert!(snapshot(&mut kms).iter().all(|(_, name, _)| !name.starts_with(&text(&other))));
}

/// The maintenance call rewrites every format-1 record it finds, counting them, and changes
/// nothing else about the key.
pub fn maintenance_rewrites_format1_records<H: Hsm>(mut hsm: H, stores: &Stores) {
    let id = KeyId::from_random([0x43; 16]);
    let material = hsm.generate_key().expect("gen");
    let legacy = format1_record(
        &mut hsm,
        &id,
        KeyState::Disabled,
        None,
        None,
        "kept",
        &[(1, START, RotationType::Original, material)],
    );
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&id);
    kms.store_mut().put(RecordKind::Key, &key, &legacy).expect("put");
    let before = kms.describe_key(&key).expect("describe");
    let report = kms.maintenance().expect("maintenance");
    assert_eq!(report, MaintenanceReport { upgraded: 1, ..MaintenanceReport::default() });
    assert_eq!(record(&mut kms, RecordKind::Key, &key).expect("record").len(), 7 + 36 + 118 + 32);
    assert_eq!(kms.describe_key(&key).expect("describe"), before);
    assert_eq!(kms.maintenance().expect("again"), MaintenanceReport::default());
    let mut description = Description::new();
    kms.describe_key_with_description(&key, &mut description).expect("describe");
    assert_eq!(description.as_str(), "kept");
}
