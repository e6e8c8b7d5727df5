//! Every limit at its edge: the last value allowed and the first refused, and each refusal
//! changes nothing.

use coffer_core::key::{AliasEntry, KeyState, KeyVersionInfo, MAX_DESCRIPTION_LEN, RotationType};
use coffer_core::{DataKeySpec, Error, Field, Hsm, KeyId, LimitKind, Problem, ValidationError};

use crate::fixture::{
    DAY, Env, START, Stores, alias_arn, all_aliases, all_keys, create, ctx, decrypt, description, encrypt, pattern,
    placeholder_alias, placeholder_id, snapshot, state, text,
};

/// `Err(Validation)` of `field` with `problem`, as a pattern guard needs it.
fn refusal(field: Field, problem: Problem) -> ValidationError {
    ValidationError { field, problem }
}

/// PendingWindowInDays: 7 and 30 accepted (deletion date `now + days`), 6, 31, 0 and 65535
/// refused with OutOfRange{7, 30}; after a refusal the key is still Enabled, still encrypts,
/// and the store is unchanged.
pub fn pending_window_edges<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let key = text(&id);
    let before = snapshot(&mut kms);
    let expected = refusal(Field::PendingWindowInDays, Problem::OutOfRange { min: 7, max: 30 });
    for days in [6u16, 31, 0, u16::MAX] {
        assert_err!(kms.schedule_key_deletion(&key, Some(days)), Error::Validation(v) if v == expected);
    }
    assert_eq!(snapshot(&mut kms), before);
    assert_eq!(state(&mut kms, &id), KeyState::Enabled);
    let blob = encrypt(&mut kms, &key, b"still works", &ctx(&[]));
    assert_eq!(decrypt(&mut kms, blob.as_bytes(), &ctx(&[])), b"still works");

    for days in [7u16, 30] {
        let scheduled = kms.schedule_key_deletion(&key, Some(days)).expect("schedule");
        assert_eq!(scheduled.deletion_date, START + u64::from(days) * DAY);
        assert_eq!(scheduled.pending_window_in_days, days);
        kms.cancel_key_deletion(&key).expect("cancel");
        kms.enable_key(&key).expect("enable");
    }
}

/// RotationPeriodInDays: 90 and 2560 accepted (next rotation `now + days`), 89, 2561, 0 and
/// 65535 refused with OutOfRange{90, 2560}; a refusal leaves the rotation status (off, or the
/// period set before) and the store unchanged.
pub fn rotation_period_edges<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    let expected = refusal(Field::RotationPeriodInDays, Problem::OutOfRange { min: 90, max: 2560 });
    let before = snapshot(&mut kms);
    for days in [89u16, 2561, 0, u16::MAX] {
        assert_err!(kms.enable_key_rotation(&key, Some(days)), Error::Validation(v) if v == expected);
    }
    assert_eq!(snapshot(&mut kms), before);
    assert!(!kms.get_key_rotation_status(&key).expect("status").enabled);

    for days in [90u16, 2560] {
        kms.enable_key_rotation(&key, Some(days)).expect("enable rotation");
        let status = kms.get_key_rotation_status(&key).expect("status");
        assert_eq!(status.rotation_period_in_days, Some(days));
        assert_eq!(status.next_rotation_date, Some(START + u64::from(days) * DAY));
    }
    let before = snapshot(&mut kms);
    assert_err!(kms.enable_key_rotation(&key, Some(89)), Error::Validation(v) if v == expected);
    assert_eq!(snapshot(&mut kms), before);
    assert_eq!(kms.get_key_rotation_status(&key).expect("status").rotation_period_in_days, Some(2560));
}

/// Encrypt's plaintext: 1 and 4096 bytes round-trip, 0 and 4097 are refused with
/// Length{1, 4096} on Plaintext.
pub fn plaintext_length_edges<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    let expected = refusal(Field::Plaintext, Problem::Length { min: 1, max: 4096 });
    for len in [0usize, 4097] {
        assert_err!(kms.encrypt(&key, &pattern(len), &ctx(&[])), Error::Validation(v) if v == expected);
    }
    for len in [1usize, 4096] {
        let blob = encrypt(&mut kms, &key, &pattern(len), &ctx(&[]));
        assert_eq!(decrypt(&mut kms, blob.as_bytes(), &ctx(&[])), pattern(len));
    }
}

/// GenerateDataKey and GenerateDataKeyWithoutPlaintext NumberOfBytes: 1 and 1024 accepted
/// (a key of that length that decrypts from its blob), 0 and 1025 refused with
/// OutOfRange{1, 1024} on NumberOfBytes.
pub fn data_key_length_edges<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    let c = ctx(&[]);
    let expected = refusal(Field::NumberOfBytes, Problem::OutOfRange { min: 1, max: 1024 });
    for n in [0u16, 1025] {
        let spec = DataKeySpec::NumberOfBytes(n);
        assert_err!(kms.generate_data_key(&key, spec, &c), Error::Validation(v) if v == expected);
        assert_err!(kms.generate_data_key_without_plaintext(&key, spec, &c), Error::Validation(v) if v == expected);
    }
    for n in [1u16, 1024] {
        let spec = DataKeySpec::NumberOfBytes(n);
        let dk = kms.generate_data_key(&key, spec, &c).expect("generate_data_key");
        assert_eq!(dk.plaintext.len(), usize::from(n));
        assert_eq!(decrypt(&mut kms, dk.ciphertext_blob.as_bytes(), &c), dk.plaintext.as_bytes());
        let sealed = kms.generate_data_key_without_plaintext(&key, spec, &c).expect("without plaintext");
        assert_eq!(decrypt(&mut kms, sealed.ciphertext_blob.as_bytes(), &c).len(), usize::from(n));
    }
}

/// GenerateRandom NumberOfBytes: 1 and 1024 accepted with exactly that many bytes, 0 and 1025
/// refused with OutOfRange{1, 1024} on NumberOfBytes (as GenerateDataKey refuses them).
pub fn generate_random_length_edges<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let expected = refusal(Field::NumberOfBytes, Problem::OutOfRange { min: 1, max: 1024 });
    for n in [0usize, 1025] {
        assert_err!(kms.generate_random(n), Error::Validation(v) if v == expected);
    }
    for n in [1usize, 1024] {
        assert_eq!(kms.generate_random(n).expect("generate_random").len(), n);
    }
}

/// Description: 8192 bytes accepted by CreateKey and UpdateKeyDescription (also as 4096
/// two-byte characters), 8193 bytes refused with Length{0, 8192}; a refused CreateKey creates
/// no key and a refused update keeps the description.
pub fn description_length_edges<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let longest = "d".repeat(MAX_DESCRIPTION_LEN);
    let meta = kms.create_key(&longest).expect("8192 bytes");
    let key = text(&meta.key_id);
    assert_eq!(description(&mut kms, &key), longest);
    let expected = refusal(Field::Description, Problem::Length { min: 0, max: 8192 });
    let before = snapshot(&mut kms);
    let too_long = "d".repeat(MAX_DESCRIPTION_LEN + 1);
    assert_err!(kms.create_key(&too_long), Error::Validation(v) if v == expected);
    assert_err!(kms.create_key(&"\u{e9}".repeat(4097)), Error::Validation(v) if v == expected);
    assert_err!(kms.update_key_description(&key, &too_long), Error::Validation(v) if v == expected);
    assert_eq!(snapshot(&mut kms), before);
    assert_eq!(all_keys(&mut kms), [meta.key_id]);
    assert_eq!(description(&mut kms, &key), longest);

    let accented = "\u{e9}".repeat(4096);
    kms.update_key_description(&key, &accented).expect("8192 bytes of UTF-8");
    assert_eq!(description(&mut kms, &key), accented);
    let empty = kms.create_key("").expect("empty description").key_id;
    assert_eq!(description(&mut kms, &text(&empty)), "");
}

/// Alias names: `alias/` plus 1 and 250 characters accepted (and resolvable, also by ARN);
/// plus 0 or 251 characters, `alias/aws/x`, a space, or another prefix refused with
/// InvalidAliasName, creating nothing.
pub fn alias_name_edges<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let target = text(&id);
    let before = snapshot(&mut kms);
    let refused = [
        "alias/".to_owned(),
        format!("alias/{}", "a".repeat(251)),
        "alias/aws/x".to_owned(),
        "alias/a b".to_owned(),
        "Alias/x".to_owned(),
        "x".to_owned(),
    ];
    for name in &refused {
        assert_err!(kms.create_alias(name, &target), Error::InvalidAliasName);
    }
    assert_eq!(snapshot(&mut kms), before);

    let shortest = "alias/a".to_owned();
    let longest = format!("alias/{}", "a".repeat(250));
    for name in [&shortest, &longest] {
        kms.create_alias(name, &target).expect("alias at the length edge");
        assert_eq!(kms.describe_key(name).expect("by name").key_id, id);
        assert_eq!(kms.describe_key(&alias_arn(name)).expect("by ARN").key_id, id);
    }
    let names: Vec<String> = all_aliases(&mut kms).iter().map(|e| e.name.as_str().to_owned()).collect();
    assert_eq!(names, [shortest, longest]);
}

/// List page sizes (the length of the output slice, AWS `Limit`): 1 and 1000 accepted, 0 and
/// 1001 refused with OutOfRange{1, 1000} on Limit, for ListKeys, ListAliases and
/// ListKeyRotations.
pub fn list_limit_edges<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let key = text(&id);
    kms.create_alias("alias/x", &key).expect("alias");
    kms.rotate_key_on_demand(&key).expect("rotate");
    let expected = refusal(Field::Limit, Problem::OutOfRange { min: 1, max: 1000 });
    let info = KeyVersionInfo { version: 0, rotation_date: 0, rotation_type: RotationType::Original };

    for len in [0usize, 1001] {
        let mut keys: Vec<KeyId> = vec![placeholder_id(); len];
        assert_err!(kms.list_keys(None, &mut keys), Error::Validation(v) if v == expected);
        let mut aliases: Vec<AliasEntry> = vec![placeholder_alias(); len];
        assert_err!(kms.list_aliases(None, None, &mut aliases), Error::Validation(v) if v == expected);
        let mut rotations = vec![info; len];
        assert_err!(kms.list_key_rotations(&key, None, &mut rotations), Error::Validation(v) if v == expected);
    }
    for len in [1usize, 1000] {
        let mut keys: Vec<KeyId> = vec![placeholder_id(); len];
        let page = kms.list_keys(None, &mut keys).expect("list_keys");
        assert_eq!((page.count, keys[0]), (1, id));
        let mut aliases: Vec<AliasEntry> = vec![placeholder_alias(); len];
        let page = kms.list_aliases(None, None, &mut aliases).expect("list_aliases");
        assert_eq!((page.count, aliases[0].name.as_str()), (1, "alias/x"));
        let mut rotations = vec![info; len];
        let page = kms.list_key_rotations(&key, None, &mut rotations).expect("list_key_rotations");
        assert_eq!((page.count, rotations[0].version), (1, 2));
    }
}

/// Decrypt's and ReEncrypt's ciphertext input: 0 and 6145 bytes refused with Length{1, 6144}
/// on CiphertextBlob; 1 and 6144 bytes of non-blob are InvalidCiphertext.
pub fn ciphertext_input_length_edges<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    let expected = refusal(Field::CiphertextBlob, Problem::Length { min: 1, max: 6144 });
    for len in [0usize, 6145] {
        let input = pattern(len);
        assert_err!(kms.decrypt(&input, &ctx(&[]), None), Error::Validation(v) if v == expected);
        assert_err!(kms.re_encrypt(&input, &ctx(&[]), None, &key, &ctx(&[])), Error::Validation(v) if v == expected);
    }
    for len in [1usize, 6144] {
        assert_err!(kms.decrypt(&pattern(len), &ctx(&[]), None), Error::InvalidCiphertext);
    }
}

/// A store that is full refuses what needs another record — a new key (its key, version and
/// description records), a new alias, a rotation (its version record) — with
/// LimitExceeded(StoreFull) (`LimitExceededException`) and changes nothing: a CreateKey that
/// found room for its first record but not the next removes it again. Updates of existing
/// records (a state change) still work, and retiring a version makes room for a rotation.
/// Runs on an in-memory store of ten records whatever store the suite runs on.
pub fn store_full<H: Hsm>(hsm: H, _stores: &Stores) {
    // Three keys with a description take nine records; one is left.
    let mut env = Env::memory::<10>();
    let mut kms = env.kms(hsm);
    let ids: Vec<KeyId> = (0..3).map(|_| create(&mut kms)).collect();
    let before = snapshot(&mut kms);
    let refused = kms.create_key("one too many");
    assert_err!(&refused, Error::LimitExceeded(LimitKind::StoreFull));
    assert_eq!(refused.err().map(|e| e.code()), Some("LimitExceededException"));
    assert_err!(kms.create_key(""), Error::LimitExceeded(LimitKind::StoreFull));
    assert_eq!(snapshot(&mut kms), before, "a refused CreateKey left records behind");
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(all_keys(&mut kms), sorted);

    assert_eq!(kms.rotate_key_on_demand(&text(&ids[0])).expect("the last free record").1, 2);
    let before = snapshot(&mut kms);
    assert_err!(kms.create_alias("alias/x", &text(&ids[0])), Error::LimitExceeded(LimitKind::StoreFull));
    assert_err!(kms.rotate_key_on_demand(&text(&ids[1])), Error::LimitExceeded(LimitKind::StoreFull));
    assert_eq!(snapshot(&mut kms), before);
    kms.disable_key(&text(&ids[1])).expect("disable in a full store");
    assert_eq!(state(&mut kms, &ids[1]), KeyState::Disabled);
    kms.set_minimum_decryption_version(&text(&ids[0]), 2).expect("retire version 1");
    assert_eq!(kms.rotate_key_on_demand(&text(&ids[0])).expect("room again").1, 3);
}
