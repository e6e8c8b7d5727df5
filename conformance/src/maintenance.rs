//! The maintenance call: key destruction after the deletion date and automatic rotation, each
//! exactly when due.

use coffer_core::audit::{AuditEvent, Operation, Outcome};
use coffer_core::key::{KeyState, KeyVersionInfo, RotationType};
use coffer_core::kms::MaintenanceReport;
use coffer_core::store::{KeyStore, RecordKind};
use coffer_core::{Error, Hsm};

use crate::fixture::{
    DAY, START, Stores, all_aliases, all_keys, create, ctx, current_version, decrypt, edit_record, encrypt, events,
    snapshot, state, text,
};

/// Destruction happens at the deletion date and not one second before: at `date - 1` the
/// maintenance call does nothing; at `date` it destroys the key and its two aliases (another
/// key's alias stays), records a DeleteKey event, and afterwards DescribeKey, the aliases and
/// the key's blobs give NotFound while the other key works.
pub fn deletion_happens_at_the_date_not_before<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let doomed = create(&mut kms);
    let kept = create(&mut kms);
    kms.create_alias("alias/d1", &text(&doomed)).expect("alias");
    kms.create_alias("alias/d2", &text(&doomed)).expect("alias");
    kms.create_alias("alias/kept", &text(&kept)).expect("alias");
    let blob = encrypt(&mut kms, &text(&doomed), b"doomed", &ctx(&[]));
    let kept_blob = encrypt(&mut kms, &text(&kept), b"kept", &ctx(&[]));
    let date = kms.schedule_key_deletion(&text(&doomed), Some(7)).expect("schedule").deletion_date;
    assert_eq!(date, START + 7 * DAY);

    kms.clock().set(date - 1);
    let before = snapshot(&mut kms);
    assert_eq!(kms.maintenance().expect("maintenance"), MaintenanceReport::default());
    assert_eq!(snapshot(&mut kms), before);
    assert_eq!(state(&mut kms, &doomed), KeyState::PendingDeletion);

    kms.clock().set(date);
    let events_before = events(&kms).len();
    let report = kms.maintenance().expect("maintenance");
    assert_eq!(report, MaintenanceReport { deleted: 1, aliases_deleted: 2, ..MaintenanceReport::default() });
    let new_events = events(&kms)[events_before..].to_vec();
    assert_eq!(
        new_events,
        [AuditEvent { operation: Operation::DeleteKey, key_id: Some(doomed), outcome: Outcome::Success, time: date }]
    );

    assert_err!(kms.describe_key(&text(&doomed)), Error::NotFound);
    assert_err!(kms.decrypt(blob.as_bytes(), &ctx(&[]), None), Error::NotFound);
    assert_err!(kms.describe_key("alias/d1"), Error::NotFound);
    assert_err!(kms.describe_key("alias/d2"), Error::NotFound);
    assert_err!(kms.cancel_key_deletion(&text(&doomed)), Error::NotFound);
    assert_eq!(all_keys(&mut kms), [kept]);
    let aliases: Vec<String> = all_aliases(&mut kms).iter().map(|e| e.name.as_str().to_owned()).collect();
    assert_eq!(aliases, ["alias/kept"]);
    assert_eq!(decrypt(&mut kms, kept_blob.as_bytes(), &ctx(&[])), b"kept");

    kms.clock().advance(DAY);
    assert_eq!(kms.maintenance().expect("maintenance"), MaintenanceReport::default());
}

/// A deletion cancelled before its date is not applied after it: the key stays, Disabled.
pub fn cancelled_deletion_is_not_applied<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let date = kms.schedule_key_deletion(&text(&id), Some(7)).expect("schedule").deletion_date;
    kms.cancel_key_deletion(&text(&id)).expect("cancel");
    kms.clock().set(date + 100 * DAY);
    assert_eq!(kms.maintenance().expect("maintenance"), MaintenanceReport::default());
    assert_eq!(state(&mut kms, &id), KeyState::Disabled);
}

/// Automatic rotation happens when due and not before: with a 90-day period, nothing at
/// `+90 days - 1 s`; at `+90 days` version 2 (AUTOMATIC, dated now) with the same key id, a
/// RotateKey event, the next date 90 days on; a second pass at the same time does nothing;
/// the next rotation comes exactly 90 days later. Old blobs decrypt; new blobs carry the new
/// version.
pub fn automatic_rotation_when_due_not_before<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let key = text(&id);
    let v1 = encrypt(&mut kms, &key, b"before rotation", &ctx(&[]));
    kms.enable_key_rotation(&key, Some(90)).expect("enable rotation");
    let due = START + 90 * DAY;

    kms.clock().set(due - 1);
    assert_eq!(kms.maintenance().expect("maintenance"), MaintenanceReport::default());
    assert_eq!(current_version(&mut kms, &id), 1);

    kms.clock().set(due);
    let events_before = events(&kms).len();
    let report = kms.maintenance().expect("maintenance");
    assert_eq!(report, MaintenanceReport { rotated: 1, ..MaintenanceReport::default() });
    assert_eq!(
        events(&kms)[events_before..],
        [AuditEvent { operation: Operation::RotateKey, key_id: Some(id), outcome: Outcome::Success, time: due }]
    );
    let meta = kms.describe_key(&key).expect("describe");
    assert_eq!((meta.key_id, meta.current_version, meta.minimum_decryption_version), (id, 2, 1));
    let status = kms.get_key_rotation_status(&key).expect("status");
    assert_eq!(status.next_rotation_date, Some(due + 90 * DAY));
    assert_eq!(status.rotation_period_in_days, Some(90));
    let mut out = [KeyVersionInfo { version: 0, rotation_date: 0, rotation_type: RotationType::Original }; 4];
    let page = kms.list_key_rotations(&key, None, &mut out).expect("list");
    assert_eq!(
        &out[..page.count],
        &[KeyVersionInfo { version: 2, rotation_date: due, rotation_type: RotationType::Automatic }]
    );

    let back = kms.decrypt(v1.as_bytes(), &ctx(&[]), None).expect("old blob");
    assert_eq!((back.key_id, back.version), (id, 1));
    assert_eq!(back.plaintext.as_bytes(), b"before rotation");
    let v2 = kms.encrypt(&key, b"after rotation", &ctx(&[])).expect("encrypt");
    assert_eq!((v2.key_id, v2.version), (id, 2));

    assert_eq!(kms.maintenance().expect("maintenance"), MaintenanceReport::default());
    kms.clock().set(due + 90 * DAY - 1);
    assert_eq!(kms.maintenance().expect("maintenance"), MaintenanceReport::default());
    kms.clock().set(due + 90 * DAY);
    assert_eq!(kms.maintenance().expect("maintenance").rotated, 1);
    assert_eq!(current_version(&mut kms, &id), 3);
    assert_eq!(decrypt(&mut kms, v2.ciphertext_blob.as_bytes(), &ctx(&[])), b"after rotation");
}

/// A due rotation is not applied to a Disabled key (nor to one pending deletion); once the
/// key is enabled again the next pass rotates it.
pub fn automatic_rotation_skips_disabled_keys<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let disabled = create(&mut kms);
    let pending = create(&mut kms);
    for id in [disabled, pending] {
        kms.enable_key_rotation(&text(&id), Some(90)).expect("enable rotation");
    }
    kms.disable_key(&text(&disabled)).expect("disable");
    // Scheduled late enough that its deletion is not due when the rotation is.
    kms.clock().set(START + 89 * DAY);
    kms.schedule_key_deletion(&text(&pending), Some(7)).expect("schedule");
    kms.clock().set(START + 90 * DAY);
    assert_eq!(kms.maintenance().expect("maintenance"), MaintenanceReport::default());
    assert_eq!(current_version(&mut kms, &disabled), 1);
    assert_eq!(current_version(&mut kms, &pending), 1);

    kms.enable_key(&text(&disabled)).expect("enable");
    assert_eq!(kms.maintenance().expect("maintenance").rotated, 1);
    assert_eq!(current_version(&mut kms, &disabled), 2);
    assert_eq!(current_version(&mut kms, &pending), 1);
}

/// RotateKeyOnDemand does not move the automatic schedule: the automatic rotation still
/// comes at its date, after the on-demand one.
pub fn on_demand_rotation_keeps_the_schedule<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let key = text(&id);
    kms.enable_key_rotation(&key, Some(90)).expect("enable rotation");
    kms.clock().advance(10 * DAY);
    assert_eq!(kms.rotate_key_on_demand(&key).expect("rotate"), (id, 2));
    let status = kms.get_key_rotation_status(&key).expect("status");
    assert_eq!(status.next_rotation_date, Some(START + 90 * DAY));
    kms.clock().set(START + 90 * DAY);
    assert_eq!(kms.maintenance().expect("maintenance").rotated, 1);
    assert_eq!(current_version(&mut kms, &id), 3);
}

/// With nothing due (rotation not yet due, deletion not yet due, plain keys) a pass reports
/// nothing, records no event and leaves the store byte for byte as it was.
pub fn nothing_due_changes_nothing<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let rotating = create(&mut kms);
    let pending = create(&mut kms);
    create(&mut kms);
    kms.enable_key_rotation(&text(&rotating), Some(90)).expect("enable rotation");
    kms.create_alias("alias/p", &text(&pending)).expect("alias");
    kms.schedule_key_deletion(&text(&pending), Some(7)).expect("schedule");
    kms.clock().advance(7 * DAY - 1);
    let before = snapshot(&mut kms);
    let events_before = events(&kms).len();
    assert_eq!(kms.maintenance().expect("maintenance"), MaintenanceReport::default());
    assert_eq!(snapshot(&mut kms), before);
    assert_eq!(events(&kms).len(), events_before);
}

/// A corrupt alias record (of another key) is counted and left alone; it does not keep a due
/// key alive: the key is destroyed and the pass completes.
pub fn corrupt_alias_does_not_block_deletion<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let doomed = create(&mut kms);
    let other = create(&mut kms);
    kms.create_alias("alias/other", &text(&other)).expect("alias");
    kms.schedule_key_deletion(&text(&doomed), Some(7)).expect("schedule");
    edit_record(kms.store_mut(), RecordKind::Alias, "alias/other", |r| r[20] ^= 1);
    kms.clock().advance(7 * DAY);
    let report = kms.maintenance().expect("maintenance completes");
    assert_eq!(report.deleted, 1);
    assert_eq!(report.corrupt_records, 1);
    assert_err!(kms.describe_key(&text(&doomed)), Error::NotFound);
    assert_eq!(state(&mut kms, &other), KeyState::Enabled);
}

/// A key-kind record whose name is not a key id (stray data) is skipped by maintenance and by
/// ListKeys, and keys sorting after it are still rotated, deleted and listed.
pub fn stray_record_names_are_skipped<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let doomed = create(&mut kms);
    kms.store_mut().put(RecordKind::Key, "!junk", b"x").expect("put");
    assert_eq!(all_keys(&mut kms), vec![doomed]);
    kms.schedule_key_deletion(&text(&doomed), Some(7)).expect("schedule");
    kms.clock().advance(7 * DAY);
    let report = kms.maintenance().expect("maintenance completes");
    assert_eq!(report.deleted, 1);
    assert_eq!(report.corrupt_records, 1);
    assert_err!(kms.describe_key(&text(&doomed)), Error::NotFound);
}
