//! CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey, UpdateKeyDescription,
//! ScheduleKeyDeletion and CancelKeyDeletion through the façade.

use coffer_core::key::KeyState;
use coffer_core::{Error, Field, Hsm, KeyId, Problem, ValidationError};

use crate::fixture::{
    DAY, START, Stores, all_keys, create, ctx, decrypt, description, encrypt, key_arn, placeholder_id, snapshot, state,
    text, unknown_id,
};

/// CreateKey answers the metadata of a new Enabled key (id, ARN, creation date from the clock,
/// description, version 1, no deletion), and DescribeKey by id and by key ARN answers the same.
pub fn create_and_describe<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let meta = kms.create_key("payments").expect("create_key");
    assert_eq!(meta.arn(&kms.config().arn).as_str(), key_arn(&meta.key_id));
    assert_eq!(meta.creation_date, START);
    assert!(meta.enabled);
    assert_eq!(meta.key_state, KeyState::Enabled);
    assert_eq!(description(&mut kms, &text(&meta.key_id)), "payments");
    assert_eq!(meta.deletion_date, None);
    assert_eq!(meta.pending_deletion_window_in_days, None);
    assert_eq!(meta.current_version, 1);
    assert_eq!(meta.minimum_decryption_version, 1);

    kms.clock().advance(10);
    assert_eq!(kms.describe_key(&text(&meta.key_id)).expect("describe by id"), meta);
    assert_eq!(kms.describe_key(&key_arn(&meta.key_id)).expect("describe by ARN"), meta);
    assert_eq!(kms.describe_key(&text(&meta.key_id).to_uppercase()).expect("describe upper-case id"), meta);
    assert_eq!(all_keys(&mut kms), vec![meta.key_id]);
}

/// Keys created in a row get distinct ids, each a version-4 UUID in canonical text form.
pub fn key_ids_are_unique_uuid_v4<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let ids: Vec<KeyId> = (0..8).map(|_| create(&mut kms)).collect();
    for (i, id) in ids.iter().enumerate() {
        assert!(ids[..i].iter().all(|other| other != id), "key id repeated");
        assert_eq!(id.as_bytes()[6] >> 4, 4, "UUID version 4");
        assert_eq!(id.as_bytes()[8] >> 6, 0b10, "UUID variant");
        let t = text(id);
        assert_eq!(t.len(), 36);
        assert_eq!(KeyId::parse(&t), Some(*id));
    }
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(all_keys(&mut kms), sorted);
}

/// DescribeKey of an unknown id, an unknown alias, or an ARN of another account or region is
/// NotFound; a malformed reference is a Validation error on KeyId. None changes the store.
pub fn describe_unknown_or_malformed_reference<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let before = snapshot(&mut kms);

    assert_err!(kms.describe_key(&text(&unknown_id())), Error::NotFound);
    assert_err!(kms.describe_key("alias/nothing-here"), Error::NotFound);
    let other_account = format!("arn:aws:kms:us-east-1:111122223333:key/{id}");
    assert_err!(kms.describe_key(&other_account), Error::NotFound);
    let other_region = format!("arn:aws:kms:eu-west-1:000000000000:key/{id}");
    assert_err!(kms.describe_key(&other_region), Error::NotFound);
    for bad in ["", "nope", "key/1234", &text(&id)[..35], "alias/", "alias/a b"] {
        assert_err!(
            kms.describe_key(bad),
            Error::Validation(ValidationError { field: Field::KeyId, problem: Problem::Malformed })
        );
    }
    assert_eq!(snapshot(&mut kms), before);
}

/// DisableKey makes a key refuse Encrypt, Decrypt and GenerateDataKey with Disabled, while
/// DescribeKey shows it Disabled; EnableKey brings it back and its old blobs decrypt. Both
/// are idempotent.
pub fn disable_and_enable<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let key = text(&id);
    let blob = encrypt(&mut kms, &key, b"before", &ctx(&[]));

    kms.disable_key(&key).expect("disable");
    assert_eq!(state(&mut kms, &id), KeyState::Disabled);
    kms.disable_key(&key).expect("disable twice");
    assert_eq!(state(&mut kms, &id), KeyState::Disabled);
    assert_err!(kms.encrypt(&key, b"x", &ctx(&[])), Error::Disabled);
    assert_err!(kms.decrypt(blob.as_bytes(), &ctx(&[]), None), Error::Disabled);
    assert_err!(kms.generate_data_key(&key, coffer_core::DataKeySpec::Aes256, &ctx(&[])), Error::Disabled);

    kms.enable_key(&key).expect("enable");
    assert_eq!(state(&mut kms, &id), KeyState::Enabled);
    kms.enable_key(&key).expect("enable twice");
    assert_eq!(state(&mut kms, &id), KeyState::Enabled);
    assert_eq!(decrypt(&mut kms, blob.as_bytes(), &ctx(&[])), b"before");
    let again = encrypt(&mut kms, &key, b"after", &ctx(&[]));
    assert_eq!(decrypt(&mut kms, again.as_bytes(), &ctx(&[])), b"after");

    assert_err!(kms.disable_key(&text(&unknown_id())), Error::NotFound);
    assert_err!(kms.enable_key(&text(&unknown_id())), Error::NotFound);
}

/// ScheduleKeyDeletion sets PendingDeletion with the date `now + window` and the window;
/// the key then refuses Encrypt, Decrypt, EnableKey, DisableKey, UpdateKeyDescription and a
/// second ScheduleKeyDeletion with InvalidState(PendingDeletion). CancelKeyDeletion returns
/// it to Disabled with no deletion date; after EnableKey its old blobs decrypt.
pub fn schedule_and_cancel_deletion<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let key = text(&id);
    let blob = encrypt(&mut kms, &key, b"kept", &ctx(&[]));
    kms.clock().advance(1000);

    let scheduled = kms.schedule_key_deletion(&key, Some(7)).expect("schedule");
    assert_eq!(scheduled.key_id, id);
    assert_eq!(scheduled.deletion_date, START + 1000 + 7 * DAY);
    assert_eq!(scheduled.pending_window_in_days, 7);
    let meta = kms.describe_key(&key).expect("describe");
    assert_eq!(meta.key_state, KeyState::PendingDeletion);
    assert!(!meta.enabled);
    assert_eq!(meta.deletion_date, Some(START + 1000 + 7 * DAY));
    assert_eq!(meta.pending_deletion_window_in_days, Some(7));

    let before = snapshot(&mut kms);
    let pending = KeyState::PendingDeletion;
    assert_err!(kms.encrypt(&key, b"x", &ctx(&[])), Error::InvalidState(s) if s == pending);
    assert_err!(kms.decrypt(blob.as_bytes(), &ctx(&[]), None), Error::InvalidState(s) if s == pending);
    assert_err!(kms.enable_key(&key), Error::InvalidState(s) if s == pending);
    assert_err!(kms.disable_key(&key), Error::InvalidState(s) if s == pending);
    assert_err!(kms.update_key_description(&key, "new"), Error::InvalidState(s) if s == pending);
    assert_err!(kms.schedule_key_deletion(&key, Some(30)), Error::InvalidState(s) if s == pending);
    assert_eq!(snapshot(&mut kms), before, "refusals changed the store");

    assert_eq!(kms.cancel_key_deletion(&key).expect("cancel"), id);
    let meta = kms.describe_key(&key).expect("describe");
    assert_eq!(meta.key_state, KeyState::Disabled);
    assert_eq!(meta.deletion_date, None);
    assert_eq!(meta.pending_deletion_window_in_days, None);
    assert_err!(kms.decrypt(blob.as_bytes(), &ctx(&[]), None), Error::Disabled);
    kms.enable_key(&key).expect("enable");
    assert_eq!(decrypt(&mut kms, blob.as_bytes(), &ctx(&[])), b"kept");
}

/// ScheduleKeyDeletion without a window uses 30 days.
pub fn default_pending_window_is_30_days<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let scheduled = kms.schedule_key_deletion(&text(&id), None).expect("schedule");
    assert_eq!(scheduled.pending_window_in_days, 30);
    assert_eq!(scheduled.deletion_date, START + 30 * DAY);
    assert_eq!(kms.describe_key(&text(&id)).expect("describe").pending_deletion_window_in_days, Some(30));
}

/// CancelKeyDeletion of an Enabled or Disabled key is InvalidState naming that state, and
/// changes nothing.
pub fn cancel_deletion_of_a_key_not_pending_is_refused<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let key = text(&id);
    let before = snapshot(&mut kms);
    assert_err!(kms.cancel_key_deletion(&key), Error::InvalidState(KeyState::Enabled));
    assert_eq!(snapshot(&mut kms), before);
    kms.disable_key(&key).expect("disable");
    assert_err!(kms.cancel_key_deletion(&key), Error::InvalidState(KeyState::Disabled));
    assert_eq!(state(&mut kms, &id), KeyState::Disabled);
    assert_err!(kms.cancel_key_deletion(&text(&unknown_id())), Error::NotFound);
}

/// UpdateKeyDescription replaces the description (also with an empty one and with UTF-8), and
/// leaves everything else as it was.
pub fn update_key_description<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let key = text(&id);
    let before = kms.describe_key(&key).expect("describe");
    for description in ["new text", "", "cl\u{e9} \u{1f511}"] {
        kms.update_key_description(&key, description).expect("update");
        assert_eq!(crate::fixture::description(&mut kms, &key), description);
        let after = kms.describe_key(&key).expect("describe");
        assert_eq!(after.key_state, before.key_state);
        assert_eq!(after.creation_date, before.creation_date);
        assert_eq!(after.current_version, before.current_version);
    }
    assert_err!(kms.update_key_description(&text(&unknown_id()), "x"), Error::NotFound);
}

/// ListKeys in pages of 1, 2, 3 and 7 over 7 keys: following the markers yields every key
/// exactly once, in id order, every page but the last full and with a marker (the last key of
/// the page), the last without one.
pub fn list_keys_pages_return_every_key_once<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let mut ids: Vec<KeyId> = (0..7).map(|_| create(&mut kms)).collect();
    ids.sort();
    for size in [1usize, 2, 3, 7] {
        let mut seen = Vec::new();
        let mut marker: Option<KeyId> = None;
        loop {
            let mut out = vec![placeholder_id(); size];
            let page = kms.list_keys(marker.as_ref(), &mut out).expect("list_keys");
            seen.extend_from_slice(&out[..page.count]);
            match page.next_marker {
                Some(m) => {
                    assert_eq!(page.count, size, "a page with a marker is full");
                    assert_eq!(m, out[size - 1], "the marker is the page's last key");
                    marker = Some(m);
                }
                None => break,
            }
            assert!(seen.len() <= ids.len(), "pagination does not end");
        }
        assert_eq!(seen, ids, "page size {size}");
    }
    // A marker that is not a key still pages from the next id.
    let mut out = vec![placeholder_id(); 1000];
    let page = kms.list_keys(Some(&placeholder_id()), &mut out).expect("list_keys");
    assert_eq!(&out[..page.count], ids.as_slice());
}

/// ListKeys of an empty store answers no keys and no marker.
pub fn list_keys_of_empty_store<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let mut out = vec![placeholder_id(); 10];
    let page = kms.list_keys(None, &mut out).expect("list_keys");
    assert_eq!(page.count, 0);
    assert_eq!(page.next_marker, None);
}

/// A new façade over the same HSM and store sees the same keys, aliases and states, and
/// decrypts blobs made by the first.
pub fn state_survives_a_new_facade<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut hsm = hsm;
    let mut kms = env.kms(&mut hsm);
    let a = create(&mut kms);
    let b = create(&mut kms);
    kms.disable_key(&text(&b)).expect("disable");
    kms.create_alias("alias/a", &text(&a)).expect("alias");
    let blob = encrypt(&mut kms, "alias/a", b"survives", &ctx(&[("k", "v")]));
    let meta_a = kms.describe_key(&text(&a)).expect("describe");
    drop(kms);

    let mut kms = env.kms(&mut hsm);
    assert_eq!(kms.describe_key("alias/a").expect("describe"), meta_a);
    assert_eq!(state(&mut kms, &b), KeyState::Disabled);
    assert_eq!(decrypt(&mut kms, blob.as_bytes(), &ctx(&[("k", "v")])), b"survives");
}
