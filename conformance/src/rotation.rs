//! RotateKeyOnDemand, Enable/DisableKeyRotation, GetKeyRotationStatus, ListKeyRotations and
//! the minimum decryption version.

use coffer_core::data::Ciphertext;
use coffer_core::key::{KeyState, KeyVersionInfo, RotationType};
use coffer_core::{Error, Field, Hsm, Problem, ValidationError};

use crate::fixture::{DAY, START, Stores, create, ctx, current_version, decrypt, encrypt, snapshot, text, unknown_id};

/// A `KeyVersionInfo` to fill output slices with.
const fn placeholder_info() -> KeyVersionInfo {
    KeyVersionInfo { version: 0, rotation_date: 0, rotation_type: RotationType::Original }
}

/// RotateKeyOnDemand adds version 2 then 3 under the same key id; DescribeKey shows the new
/// current version and minimum 1; new blobs carry the newest version; blobs of every older
/// version still decrypt and report their version; ListKeyRotations shows both rotations as
/// ON_DEMAND with their dates.
pub fn rotate_on_demand_keeps_old_blobs<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let key = text(&id);
    let v1 = encrypt(&mut kms, &key, b"version one", &ctx(&[]));

    kms.clock().advance(5);
    assert_eq!(kms.rotate_key_on_demand(&key).expect("rotate"), (id, 2));
    let meta = kms.describe_key(&key).expect("describe");
    assert_eq!((meta.key_id, meta.current_version, meta.minimum_decryption_version), (id, 2, 1));
    let v2 = kms.encrypt(&key, b"version two", &ctx(&[])).expect("encrypt");
    assert_eq!((v2.key_id, v2.version), (id, 2));

    kms.clock().advance(5);
    assert_eq!(kms.rotate_key_on_demand(&key).expect("rotate"), (id, 3));
    let v3 = kms.encrypt(&key, b"version three", &ctx(&[])).expect("encrypt");
    assert_eq!(v3.version, 3);
    assert_eq!(v3.ciphertext_blob.header().expect("header").version, 3);

    for (blob, version, plaintext) in [
        (&v1, 1, b"version one".as_slice()),
        (&v2.ciphertext_blob, 2, b"version two"),
        (&v3.ciphertext_blob, 3, b"version three"),
    ] {
        let back = kms.decrypt(blob.as_bytes(), &ctx(&[]), Some(&key)).expect("decrypt");
        assert_eq!((back.key_id, back.version), (id, version));
        assert_eq!(back.plaintext.as_bytes(), plaintext);
    }

    let mut out = [placeholder_info(); 10];
    let page = kms.list_key_rotations(&key, None, &mut out).expect("list_key_rotations");
    assert_eq!(page.next_marker, None);
    assert_eq!(
        &out[..page.count],
        &[
            KeyVersionInfo { version: 2, rotation_date: START + 5, rotation_type: RotationType::OnDemand },
            KeyVersionInfo { version: 3, rotation_date: START + 10, rotation_type: RotationType::OnDemand },
        ]
    );
    assert_eq!(RotationType::OnDemand.name(), "ON_DEMAND");
}

/// RotateKeyOnDemand of a Disabled key is Disabled, of a key pending deletion is
/// InvalidState, of an unknown key NotFound; none adds a version or changes the store.
pub fn rotate_on_demand_refused_for_unusable_keys<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let disabled = create(&mut kms);
    let pending = create(&mut kms);
    kms.disable_key(&text(&disabled)).expect("disable");
    kms.schedule_key_deletion(&text(&pending), Some(7)).expect("schedule");
    let before = snapshot(&mut kms);
    assert_err!(kms.rotate_key_on_demand(&text(&disabled)), Error::Disabled);
    assert_err!(kms.rotate_key_on_demand(&text(&pending)), Error::InvalidState(KeyState::PendingDeletion));
    assert_err!(kms.rotate_key_on_demand(&text(&unknown_id())), Error::NotFound);
    assert_eq!(snapshot(&mut kms), before);
    assert_eq!(current_version(&mut kms, &disabled), 1);
    assert_eq!(current_version(&mut kms, &pending), 1);
}

/// GetKeyRotationStatus: off for a new key; EnableKeyRotation with no period sets 365 days from
/// now, with 90 sets 90 days from now; DisableKeyRotation turns it off (twice is fine). A
/// Disabled key refuses enabling and disabling rotation with Disabled (its status still
/// reads), a key pending deletion with InvalidState.
pub fn rotation_status_enable_disable<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let key = text(&id);
    let status = kms.get_key_rotation_status(&key).expect("status");
    assert_eq!(status.key_id, id);
    assert!(!status.enabled);
    assert_eq!((status.rotation_period_in_days, status.next_rotation_date), (None, None));

    kms.enable_key_rotation(&key, None).expect("enable rotation");
    let status = kms.get_key_rotation_status(&key).expect("status");
    assert!(status.enabled);
    assert_eq!(status.rotation_period_in_days, Some(365));
    assert_eq!(status.next_rotation_date, Some(START + 365 * DAY));

    kms.clock().advance(10);
    kms.enable_key_rotation(&key, Some(90)).expect("enable rotation");
    let status = kms.get_key_rotation_status(&key).expect("status");
    assert_eq!(status.rotation_period_in_days, Some(90));
    assert_eq!(status.next_rotation_date, Some(START + 10 + 90 * DAY));

    kms.disable_key_rotation(&key).expect("disable rotation");
    kms.disable_key_rotation(&key).expect("disable rotation twice");
    let status = kms.get_key_rotation_status(&key).expect("status");
    assert!(!status.enabled);
    assert_eq!((status.rotation_period_in_days, status.next_rotation_date), (None, None));

    kms.disable_key(&key).expect("disable key");
    assert_err!(kms.enable_key_rotation(&key, Some(90)), Error::Disabled);
    assert_err!(kms.disable_key_rotation(&key), Error::Disabled);
    assert!(!kms.get_key_rotation_status(&key).expect("status of a disabled key").enabled);
    kms.enable_key(&key).expect("enable key");
    kms.schedule_key_deletion(&key, Some(7)).expect("schedule");
    assert_err!(kms.enable_key_rotation(&key, Some(90)), Error::InvalidState(KeyState::PendingDeletion));
    assert_err!(kms.disable_key_rotation(&key), Error::InvalidState(KeyState::PendingDeletion));
    assert_err!(kms.get_key_rotation_status(&text(&unknown_id())), Error::NotFound);
}

/// ListKeyRotations over 5 rotations in pages of 2 yields versions 2..=6 exactly once, in
/// order, with the marker the last version of each full page; a key never rotated lists
/// nothing.
pub fn list_key_rotations_pages<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let key = text(&id);
    let mut out = [placeholder_info(); 3];
    let page = kms.list_key_rotations(&key, None, &mut out).expect("list");
    assert_eq!((page.count, page.next_marker), (0, None));

    for _ in 0..5 {
        kms.rotate_key_on_demand(&key).expect("rotate");
    }
    let mut seen = Vec::new();
    let mut marker = None;
    loop {
        let mut out = [placeholder_info(); 2];
        let page = kms.list_key_rotations(&key, marker, &mut out).expect("list");
        seen.extend(out[..page.count].iter().map(|v| v.version));
        assert!(out[..page.count].iter().all(|v| v.rotation_type == RotationType::OnDemand));
        match page.next_marker {
            Some(m) => {
                assert_eq!(page.count, 2);
                assert_eq!(m, out[1].version);
                marker = Some(m);
            }
            None => break,
        }
        assert!(seen.len() <= 5, "pagination does not end");
    }
    assert_eq!(seen, [2, 3, 4, 5, 6]);
    assert_err!(kms.list_key_rotations(&text(&unknown_id()), None, &mut out), Error::NotFound);
}

/// GetKeyRotationStatus of a key pending deletion answers `false` with no period or date (AWS:
/// a key pending deletion does not rotate), though its schedule is kept: cancelling the
/// deletion brings back `true` with the same period and next date (the key is then Disabled,
/// whose status reads as set).
pub fn rotation_status_is_false_while_pending_deletion<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let key = text(&id);
    kms.enable_key_rotation(&key, Some(100)).expect("enable rotation");
    kms.schedule_key_deletion(&key, Some(7)).expect("schedule deletion");
    let status = kms.get_key_rotation_status(&key).expect("status of a key pending deletion");
    assert_eq!(status.key_id, id);
    assert!(!status.enabled, "a key pending deletion does not rotate");
    assert_eq!((status.rotation_period_in_days, status.next_rotation_date), (None, None));

    kms.cancel_key_deletion(&key).expect("cancel deletion");
    let status = kms.get_key_rotation_status(&key).expect("status after cancelling");
    assert!(status.enabled);
    assert_eq!(status.rotation_period_in_days, Some(100));
    assert_eq!(status.next_rotation_date, Some(START + 100 * DAY));
}

/// ListKeyRotations refuses with InvalidMarker a marker it never hands out (version 0, or one
/// above the key's current version), and accepts every held version as a marker.
pub fn list_key_rotations_refuses_a_marker_it_never_gave<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    for _ in 0..3 {
        kms.rotate_key_on_demand(&key).expect("rotate");
    }
    let mut out = [placeholder_info(); 10];
    for bad in [0, 5, u32::MAX] {
        assert_err!(kms.list_key_rotations(&key, Some(bad), &mut out), Error::InvalidMarker);
    }
    for (marker, rest) in [(1u32, 3usize), (2, 2), (3, 1), (4, 0)] {
        let page = kms.list_key_rotations(&key, Some(marker), &mut out).expect("a held version is a marker");
        assert_eq!((page.count, page.next_marker), (rest, None), "marker {marker}");
    }
}

/// SetMinimumDecryptionVersion retires older versions: their blobs become InvalidCiphertext
/// while newer ones decrypt; DescribeKey and ListKeyRotations follow. Going below the present
/// minimum or above the current version is a Validation error (and changes nothing);
/// repeating the present minimum is accepted and changes nothing.
pub fn minimum_decryption_version_retires_old_versions<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let key = text(&id);
    let mut blobs: Vec<Ciphertext> = Vec::new();
    for v in 1..=4u32 {
        if v > 1 {
            kms.rotate_key_on_demand(&key).expect("rotate");
        }
        blobs.push(encrypt(&mut kms, &key, format!("v{v}").as_bytes(), &ctx(&[])));
    }

    kms.set_minimum_decryption_version(&key, 3).expect("set minimum");
    let meta = kms.describe_key(&key).expect("describe");
    assert_eq!((meta.current_version, meta.minimum_decryption_version), (4, 3));
    assert_err!(kms.decrypt(blobs[0].as_bytes(), &ctx(&[]), None), Error::InvalidCiphertext);
    assert_err!(kms.decrypt(blobs[1].as_bytes(), &ctx(&[]), None), Error::InvalidCiphertext);
    assert_eq!(decrypt(&mut kms, blobs[2].as_bytes(), &ctx(&[])), b"v3");
    assert_eq!(decrypt(&mut kms, blobs[3].as_bytes(), &ctx(&[])), b"v4");
    let mut out = [placeholder_info(); 10];
    let page = kms.list_key_rotations(&key, None, &mut out).expect("list");
    assert_eq!(out[..page.count].iter().map(|v| v.version).collect::<Vec<_>>(), [3, 4]);

    let before = snapshot(&mut kms);
    let range = Problem::OutOfRange { min: 3, max: 4 };
    for bad in [0u32, 1, 2, 5, u32::MAX] {
        assert_err!(
            kms.set_minimum_decryption_version(&key, bad),
            Error::Validation(ValidationError { field: Field::MinimumDecryptionVersion, problem }) if problem == range
        );
    }
    kms.set_minimum_decryption_version(&key, 3).expect("the present minimum again");
    assert_eq!(snapshot(&mut kms), before);

    kms.set_minimum_decryption_version(&key, 4).expect("up to the current version");
    assert_err!(kms.decrypt(blobs[2].as_bytes(), &ctx(&[]), None), Error::InvalidCiphertext);
    assert_eq!(decrypt(&mut kms, blobs[3].as_bytes(), &ctx(&[])), b"v4");
    assert_eq!(kms.describe_key(&key).expect("describe").minimum_decryption_version, 4);
    assert_err!(kms.set_minimum_decryption_version(&text(&unknown_id()), 1), Error::NotFound);
}
