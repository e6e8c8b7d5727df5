//! CreateAlias, UpdateAlias, DeleteAlias, ListAliases, and resolving keys through aliases.

use coffer_core::key::{AliasEntry, AliasName, KeyState};
use coffer_core::store::RecordKind;
use coffer_core::{Error, Field, Hsm, Problem, ValidationError};

use crate::fixture::{
    START, Stores, alias_arn, all_aliases, create, ctx, decrypt, edit_record, encrypt, key_arn, placeholder_alias,
    snapshot, text, unknown_id,
};

/// An alias resolves wherever a key is expected: by alias name and alias ARN for DescribeKey,
/// Encrypt and Decrypt's expected key; the key ARN works alike. ListAliases shows the alias
/// with its target and the creation time as both dates.
pub fn alias_resolves_by_name_and_arn<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    kms.create_alias("alias/app", &text(&id)).expect("create_alias");

    assert_eq!(kms.describe_key("alias/app").expect("by name").key_id, id);
    assert_eq!(kms.describe_key(&alias_arn("alias/app")).expect("by alias ARN").key_id, id);
    assert_eq!(kms.describe_key(&key_arn(&id)).expect("by key ARN").key_id, id);

    for reference in ["alias/app".to_owned(), alias_arn("alias/app"), key_arn(&id), text(&id)] {
        let out = kms.encrypt(&reference, b"via reference", &ctx(&[])).expect("encrypt");
        assert_eq!(out.key_id, id, "encrypt through {reference}");
        let back = kms.decrypt(out.ciphertext_blob.as_bytes(), &ctx(&[]), Some(&reference)).expect("decrypt");
        assert_eq!(back.key_id, id);
        assert_eq!(back.plaintext.as_bytes(), b"via reference");
    }

    let entries = all_aliases(&mut kms);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].name.as_str(), "alias/app");
    assert_eq!(entries[0].target_key_id, id);
    assert_eq!(entries[0].creation_date, START);
    assert_eq!(entries[0].last_updated_date, START);
}

/// Creating an alias that exists is AlreadyExists, even towards another key; the alias keeps
/// its target and the store is unchanged.
pub fn duplicate_alias_is_refused<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let a = create(&mut kms);
    let b = create(&mut kms);
    kms.create_alias("alias/app", &text(&a)).expect("create_alias");
    let before = snapshot(&mut kms);
    assert_err!(kms.create_alias("alias/app", &text(&b)), Error::AlreadyExists);
    assert_err!(kms.create_alias("alias/app", &text(&a)), Error::AlreadyExists);
    assert_eq!(snapshot(&mut kms), before);
    assert_eq!(kms.describe_key("alias/app").expect("describe").key_id, a);
}

/// CreateAlias refuses: a reserved or malformed name (InvalidAliasName, checked first), a
/// target that is an alias or not a reference (Validation on TargetKeyId), an unknown or
/// foreign target (NotFound), a target pending deletion (InvalidState). None of these creates
/// anything. A Disabled target and a target given by key ARN are accepted.
pub fn alias_targets_are_checked<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let pending = create(&mut kms);
    kms.schedule_key_deletion(&text(&pending), Some(7)).expect("schedule");
    kms.create_alias("alias/existing", &text(&id)).expect("create_alias");
    let before = snapshot(&mut kms);

    assert_err!(kms.create_alias("alias/aws/app", &text(&id)), Error::InvalidAliasName);
    assert_err!(kms.create_alias("alias/aws/app", "not a key"), Error::InvalidAliasName);
    assert_err!(kms.create_alias("app", &text(&id)), Error::InvalidAliasName);
    let bad_target = ValidationError { field: Field::TargetKeyId, problem: Problem::Malformed };
    assert_err!(kms.create_alias("alias/new", "alias/existing"), Error::Validation(v) if v == bad_target);
    assert_err!(kms.create_alias("alias/new", &alias_arn("alias/existing")), Error::Validation(v) if v == bad_target);
    assert_err!(kms.create_alias("alias/new", "not a key"), Error::Validation(v) if v == bad_target);
    assert_err!(kms.create_alias("alias/new", &text(&unknown_id())), Error::NotFound);
    let foreign = format!("arn:aws:kms:us-east-1:111122223333:key/{id}");
    assert_err!(kms.create_alias("alias/new", &foreign), Error::NotFound);
    assert_err!(kms.create_alias("alias/new", &text(&pending)), Error::InvalidState(KeyState::PendingDeletion));
    assert_eq!(snapshot(&mut kms), before, "refused CreateAlias calls changed the store");

    kms.disable_key(&text(&id)).expect("disable");
    kms.create_alias("alias/to-disabled", &key_arn(&id)).expect("alias to a disabled key, by key ARN");
    assert_eq!(kms.describe_key("alias/to-disabled").expect("describe").key_id, id);
}

/// UpdateAlias re-points an alias: new encryptions through it use the new key, blobs made
/// through it before still decrypt (under the old key), the old blob given with the alias as
/// expected key is now IncorrectKey, and ListAliases shows the new target and update time
/// with the creation time unchanged.
pub fn update_alias_repoints<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let a = create(&mut kms);
    let b = create(&mut kms);
    kms.create_alias("alias/app", &text(&a)).expect("create_alias");
    let old = encrypt(&mut kms, "alias/app", b"old target", &ctx(&[]));
    assert_eq!(old.header().expect("header").key_id, a);

    kms.clock().advance(100);
    kms.update_alias("alias/app", &text(&b)).expect("update_alias");
    assert_eq!(kms.describe_key("alias/app").expect("describe").key_id, b);
    let new = kms.encrypt("alias/app", b"new target", &ctx(&[])).expect("encrypt");
    assert_eq!(new.key_id, b);

    let back = kms.decrypt(old.as_bytes(), &ctx(&[]), None).expect("old blob decrypts");
    assert_eq!(back.key_id, a);
    assert_eq!(back.plaintext.as_bytes(), b"old target");
    assert_err!(kms.decrypt(old.as_bytes(), &ctx(&[]), Some("alias/app")), Error::IncorrectKey);
    assert_eq!(decrypt(&mut kms, new.ciphertext_blob.as_bytes(), &ctx(&[])), b"new target");

    let entries = all_aliases(&mut kms);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].target_key_id, b);
    assert_eq!(entries[0].creation_date, START);
    assert_eq!(entries[0].last_updated_date, START + 100);
}

/// UpdateAlias refuses an unknown alias (NotFound), an unknown target (NotFound), a target
/// pending deletion (InvalidState), an alias as target (Validation) and a reserved name
/// (InvalidAliasName), and each refusal leaves the store as it was.
pub fn update_alias_refusals_change_nothing<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let a = create(&mut kms);
    let pending = create(&mut kms);
    kms.create_alias("alias/app", &text(&a)).expect("create_alias");
    kms.create_alias("alias/other", &text(&a)).expect("create_alias");
    kms.schedule_key_deletion(&text(&pending), Some(7)).expect("schedule");
    let before = snapshot(&mut kms);

    assert_err!(kms.update_alias("alias/missing", &text(&a)), Error::NotFound);
    assert_err!(kms.update_alias("alias/app", &text(&unknown_id())), Error::NotFound);
    assert_err!(kms.update_alias("alias/app", &text(&pending)), Error::InvalidState(KeyState::PendingDeletion));
    assert_err!(
        kms.update_alias("alias/app", "alias/other"),
        Error::Validation(ValidationError { field: Field::TargetKeyId, problem: Problem::Malformed })
    );
    assert_err!(kms.update_alias("alias/aws/app", &text(&a)), Error::InvalidAliasName);
    assert_eq!(snapshot(&mut kms), before);
    assert_eq!(kms.describe_key("alias/app").expect("describe").key_id, a);
}

/// DeleteAlias removes the alias (it then resolves to NotFound, a second delete is NotFound)
/// and leaves its key working; the name can be created again for another key. Reserved and
/// malformed names are InvalidAliasName.
pub fn delete_alias<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let a = create(&mut kms);
    let b = create(&mut kms);
    kms.create_alias("alias/app", &text(&a)).expect("create_alias");
    kms.create_alias("alias/stays", &text(&a)).expect("create_alias");

    kms.delete_alias("alias/app").expect("delete_alias");
    assert_err!(kms.describe_key("alias/app"), Error::NotFound);
    assert_err!(kms.encrypt("alias/app", b"x", &ctx(&[])), Error::NotFound);
    assert_err!(kms.delete_alias("alias/app"), Error::NotFound);
    assert_err!(kms.delete_alias("alias/aws/app"), Error::InvalidAliasName);
    assert_err!(kms.delete_alias("app"), Error::InvalidAliasName);

    let blob = encrypt(&mut kms, &text(&a), b"key untouched", &ctx(&[]));
    assert_eq!(decrypt(&mut kms, blob.as_bytes(), &ctx(&[])), b"key untouched");
    let names: Vec<String> = all_aliases(&mut kms).iter().map(|e| e.name.as_str().to_owned()).collect();
    assert_eq!(names, ["alias/stays"]);

    kms.create_alias("alias/app", &text(&b)).expect("re-create");
    assert_eq!(kms.describe_key("alias/app").expect("describe").key_id, b);
}

/// ListAliases lists in name order; filtered by a key (by id, key ARN or one of its aliases)
/// it lists only that key's aliases; paging through markers with or without a filter yields
/// each alias exactly once; a malformed filter is a Validation error.
pub fn list_aliases_pages_and_filter<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let a = create(&mut kms);
    let b = create(&mut kms);
    for (name, key) in [("alias/b1", b), ("alias/a2", a), ("alias/a1", a), ("alias/b2", b), ("alias/a3", a)] {
        kms.create_alias(name, &text(&key)).expect("create_alias");
    }
    let names = |entries: &[AliasEntry]| entries.iter().map(|e| e.name.as_str().to_owned()).collect::<Vec<_>>();
    let all = all_aliases(&mut kms);
    assert_eq!(names(&all), ["alias/a1", "alias/a2", "alias/a3", "alias/b1", "alias/b2"]);
    assert!(all.iter().all(|e| e.target_key_id == if e.name.as_str().starts_with("alias/a") { a } else { b }));

    for filter in [text(&a), key_arn(&a), "alias/a2".to_owned()] {
        let mut out = vec![placeholder_alias(); 10];
        let page = kms.list_aliases(Some(&filter), None, &mut out).expect("list_aliases");
        assert_eq!(page.next_marker, None);
        assert_eq!(names(&out[..page.count]), ["alias/a1", "alias/a2", "alias/a3"], "filter {filter}");
    }

    for (filter, expected) in [
        (None, vec!["alias/a1", "alias/a2", "alias/a3", "alias/b1", "alias/b2"]),
        (Some(text(&b)), vec!["alias/b1", "alias/b2"]),
        (Some(text(&a)), vec!["alias/a1", "alias/a2", "alias/a3"]),
    ] {
        for size in [1usize, 2, 3] {
            let mut seen = Vec::new();
            let mut marker: Option<AliasName> = None;
            loop {
                let mut out = vec![placeholder_alias(); size];
                let page = kms.list_aliases(filter.as_deref(), marker.as_ref(), &mut out).expect("list_aliases");
                seen.extend(names(&out[..page.count]));
                assert!(seen.len() <= 5, "pagination does not end");
                match page.next_marker {
                    Some(m) => {
                        assert_eq!(page.count, size, "a page with a marker is full");
                        marker = Some(m);
                    }
                    None => break,
                }
            }
            assert_eq!(seen, expected, "filter {filter:?}, page size {size}");
        }
    }

    let mut out = vec![placeholder_alias(); 10];
    assert_err!(
        kms.list_aliases(Some("not a key"), None, &mut out),
        Error::Validation(ValidationError { field: Field::KeyId, problem: Problem::Malformed })
    );
}

/// ListAliases with a corrupt alias record (one bit of its seal flipped) lists every other
/// alias, in order and through every page size, and counts the corrupt one in
/// `corrupt_records`, as the maintenance call does; a filter skips it the same way. Nothing is
/// modified: the corrupt record is still there, still refused.
pub fn list_aliases_skips_a_corrupt_alias_record<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let a = create(&mut kms);
    for name in ["alias/a1", "alias/a2", "alias/a3", "alias/a4"] {
        kms.create_alias(name, &text(&a)).expect("create_alias");
    }
    edit_record(kms.store_mut(), RecordKind::Alias, "alias/a2", |r| r[12] ^= 0x01);
    let before = snapshot(&mut kms);
    let names = |entries: &[AliasEntry]| entries.iter().map(|e| e.name.as_str().to_owned()).collect::<Vec<_>>();

    let mut out = vec![placeholder_alias(); 10];
    let page = kms.list_aliases(None, None, &mut out).expect("the other aliases are listed");
    assert_eq!(names(&out[..page.count]), ["alias/a1", "alias/a3", "alias/a4"]);
    assert_eq!((page.corrupt_records, page.next_marker), (1, None));
    let page = kms.list_aliases(Some(&text(&a)), None, &mut out).expect("filtered");
    assert_eq!(names(&out[..page.count]), ["alias/a1", "alias/a3", "alias/a4"]);
    assert_eq!(page.corrupt_records, 1);

    for size in [1usize, 2, 3] {
        let (mut seen, mut corrupt, mut marker) = (Vec::new(), 0, None::<AliasName>);
        loop {
            let mut out = vec![placeholder_alias(); size];
            let page = kms.list_aliases(None, marker.as_ref(), &mut out).expect("a page");
            seen.extend(names(&out[..page.count]));
            corrupt += page.corrupt_records;
            assert!(seen.len() <= 3, "pagination does not end");
            match page.next_marker {
                Some(m) => marker = Some(m),
                None => break,
            }
        }
        assert_eq!(seen, ["alias/a1", "alias/a3", "alias/a4"], "page size {size}");
        assert_eq!(corrupt, 1, "page size {size}: the corrupt record is counted once");
    }
    assert_err!(kms.describe_key("alias/a2"), Error::CorruptRecord);
    assert_eq!(snapshot(&mut kms), before, "listing modifies nothing");
}
