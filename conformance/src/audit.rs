//! The audit sink sees every call: exactly one event per operation, naming the operation, the
//! key the request resolved to, the outcome (with the AWS error code on failure) and the
//! clock's time, and never any plaintext.

use coffer_core::audit::{AuditEvent, Operation, Outcome};
use coffer_core::key::{KeyId, KeyVersionInfo, RotationType};
use coffer_core::store::RecordKind;
use coffer_core::{DataKeySpec, Hsm};

use crate::fixture::{
    DAY, Stores, TestKms, create, ctx, edit_record, encrypt, events, one_event, placeholder_alias, placeholder_id,
    text, unknown_id,
};

/// One audited call: its operation, the key its event must name, and the call.
type Step<'s, H> = (Operation, Option<KeyId>, Box<dyn Fn(&mut TestKms<'_, H>) + 's>);

/// Asserts an event's fields, its time being the clock's.
#[track_caller]
fn check<H: Hsm>(
    kms: &TestKms<'_, H>,
    event: &AuditEvent,
    operation: Operation,
    key_id: Option<KeyId>,
    outcome: Outcome,
) {
    let now = coffer_core::Clock::now(*kms.clock()).expect("manual clock");
    assert_eq!(*event, AuditEvent { operation, key_id, outcome, time: now });
}

/// Every operation, succeeding, records exactly one event with its operation name, the key it
/// resolved (through an alias too; the destination for ReEncrypt; none for ListKeys,
/// ListAliases without filter and GenerateRandom), `Success`, and the clock's time.
pub fn one_event_per_call<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let ok = Outcome::Success;
    let c = ctx(&[("purpose", "audit")]);

    let (meta, e) = one_event(&mut kms, |k| k.create_key("audited").expect("create_key"));
    let id = meta.key_id;
    let key = text(&id);
    check(&kms, &e, Operation::CreateKey, Some(id), ok);
    let other = create(&mut kms);

    let steps: Vec<Step<'_, H>> = vec![
        (
            Operation::DescribeKey,
            Some(id),
            Box::new(|k| {
                k.describe_key(&text(&id)).expect("describe");
            }),
        ),
        (
            Operation::ListKeys,
            None,
            Box::new(|k| {
                k.list_keys(None, &mut [placeholder_id(); 4]).expect("list_keys");
            }),
        ),
        (Operation::DisableKey, Some(id), Box::new(|k| k.disable_key(&text(&id)).expect("disable"))),
        (Operation::EnableKey, Some(id), Box::new(|k| k.enable_key(&text(&id)).expect("enable"))),
        (
            Operation::UpdateKeyDescription,
            Some(id),
            Box::new(|k| k.update_key_description(&text(&id), "new").expect("update")),
        ),
        (Operation::CreateAlias, Some(id), Box::new(|k| k.create_alias("alias/aud", &text(&id)).expect("alias"))),
        (
            Operation::UpdateAlias,
            Some(other),
            Box::new(|k| k.update_alias("alias/aud", &text(&other)).expect("update")),
        ),
        (
            Operation::ListAliases,
            None,
            Box::new(|k| {
                k.list_aliases(None, None, &mut [placeholder_alias()]).expect("list");
            }),
        ),
        (
            Operation::ListAliases,
            Some(other),
            Box::new(|k| {
                k.list_aliases(Some("alias/aud"), None, &mut [placeholder_alias()]).expect("list");
            }),
        ),
        (Operation::DeleteAlias, Some(other), Box::new(|k| k.delete_alias("alias/aud").expect("delete"))),
        (Operation::EnableKeyRotation, Some(id), Box::new(|k| k.enable_key_rotation(&text(&id), None).expect("on"))),
        (
            Operation::GetKeyRotationStatus,
            Some(id),
            Box::new(|k| {
                k.get_key_rotation_status(&text(&id)).expect("status");
            }),
        ),
        (Operation::DisableKeyRotation, Some(id), Box::new(|k| k.disable_key_rotation(&text(&id)).expect("off"))),
        (
            Operation::RotateKeyOnDemand,
            Some(id),
            Box::new(|k| {
                k.rotate_key_on_demand(&text(&id)).expect("rotate");
            }),
        ),
        (
            Operation::ListKeyRotations,
            Some(id),
            Box::new(|k| {
                let mut out = [KeyVersionInfo { version: 0, rotation_date: 0, rotation_type: RotationType::Original }];
                {
                    k.list_key_rotations(&text(&id), None, &mut out).expect("list");
                }
            }),
        ),
        (
            Operation::SetMinimumDecryptionVersion,
            Some(id),
            Box::new(|k| k.set_minimum_decryption_version(&text(&id), 2).expect("minimum")),
        ),
        (
            Operation::GenerateDataKey,
            Some(id),
            Box::new(|k| {
                k.generate_data_key(&text(&id), DataKeySpec::Aes256, &ctx(&[])).expect("gdk");
            }),
        ),
        (
            Operation::GenerateDataKeyWithoutPlaintext,
            Some(id),
            Box::new(|k| {
                k.generate_data_key_without_plaintext(&text(&id), DataKeySpec::Aes128, &ctx(&[])).expect("gdk");
            }),
        ),
        (
            Operation::GenerateRandom,
            None,
            Box::new(|k| {
                k.generate_random(16).expect("random");
            }),
        ),
        (
            Operation::ScheduleKeyDeletion,
            Some(other),
            Box::new(|k| {
                k.schedule_key_deletion(&text(&other), Some(7)).expect("schedule");
            }),
        ),
        (
            Operation::CancelKeyDeletion,
            Some(other),
            Box::new(|k| {
                k.cancel_key_deletion(&text(&other)).expect("cancel");
            }),
        ),
    ];
    for (operation, key_id, step) in &steps {
        kms.clock().advance(7);
        let ((), e) = one_event(&mut kms, |k| step(k));
        check(&kms, &e, *operation, *key_id, ok);
    }

    kms.create_alias("alias/enc", &key).expect("alias");
    kms.clock().advance(7);
    let (out, e) = one_event(&mut kms, |k| k.encrypt("alias/enc", b"audited", &c).expect("encrypt"));
    check(&kms, &e, Operation::Encrypt, Some(id), ok);
    let blob = out.ciphertext_blob;
    let (_, e) = one_event(&mut kms, |k| {
        k.decrypt(blob.as_bytes(), &c, None).expect("decrypt");
    });
    check(&kms, &e, Operation::Decrypt, Some(id), ok);
    kms.enable_key(&text(&other)).expect("enable other");
    let (_, e) = one_event(&mut kms, |k| {
        k.re_encrypt(blob.as_bytes(), &c, None, &text(&other), &c).expect("re");
    });
    check(&kms, &e, Operation::ReEncrypt, Some(other), ok);
}

/// Failures record one event with `Failure(code)`: the code is the AWS exception name, and the
/// key is the one the request resolved to when it got that far (the id given, the alias's
/// target, the blob's key) and none when the request was refused before (malformed
/// reference, bad alias name, plaintext too long).
pub fn failures_name_code_and_resolved_key<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let id = create(&mut kms);
    let key = text(&id);
    let other = create(&mut kms);
    kms.create_alias("alias/x", &key).expect("alias");
    let c = ctx(&[("a", "b")]);
    let blob = encrypt(&mut kms, &key, b"failing", &c);
    let fail = Outcome::Failure;
    let unknown = unknown_id();

    let (_, e) = one_event(&mut kms, |k| {
        k.describe_key(&text(&unknown)).expect_err("unknown");
    });
    check(&kms, &e, Operation::DescribeKey, Some(unknown), fail("NotFoundException"));
    let (_, e) = one_event(&mut kms, |k| {
        k.describe_key("nope").expect_err("malformed");
    });
    check(&kms, &e, Operation::DescribeKey, None, fail("ValidationException"));
    let (_, e) = one_event(&mut kms, |k| {
        k.encrypt(&key, &[0; 4097], &c).expect_err("too long");
    });
    check(&kms, &e, Operation::Encrypt, None, fail("ValidationException"));
    let (_, e) = one_event(&mut kms, |k| {
        k.decrypt(blob.as_bytes(), &ctx(&[]), None).expect_err("context");
    });
    check(&kms, &e, Operation::Decrypt, Some(id), fail("InvalidCiphertextException"));
    let (_, e) = one_event(&mut kms, |k| {
        k.decrypt(blob.as_bytes(), &c, Some(&text(&other))).expect_err("key");
    });
    check(&kms, &e, Operation::Decrypt, Some(id), fail("IncorrectKeyException"));
    let (_, e) = one_event(&mut kms, |k| k.create_alias("alias/x", &text(&other)).expect_err("duplicate"));
    check(&kms, &e, Operation::CreateAlias, Some(other), fail("AlreadyExistsException"));
    let (_, e) = one_event(&mut kms, |k| k.create_alias("alias/aws/x", &key).expect_err("reserved"));
    check(&kms, &e, Operation::CreateAlias, None, fail("InvalidAliasNameException"));
    let (_, e) = one_event(&mut kms, |k| {
        k.list_keys(None, &mut []).expect_err("limit");
    });
    check(&kms, &e, Operation::ListKeys, None, fail("ValidationException"));

    kms.disable_key(&key).expect("disable");
    let (_, e) = one_event(&mut kms, |k| {
        k.encrypt("alias/x", b"x", &c).expect_err("disabled");
    });
    check(&kms, &e, Operation::Encrypt, Some(id), fail("DisabledException"));
    kms.enable_key(&key).expect("enable");
    kms.schedule_key_deletion(&key, Some(7)).expect("schedule");
    let (_, e) = one_event(&mut kms, |k| {
        k.schedule_key_deletion("alias/x", None).expect_err("pending");
    });
    check(&kms, &e, Operation::ScheduleKeyDeletion, Some(id), fail("KMSInvalidStateException"));
    let (_, e) = one_event(&mut kms, |k| {
        k.generate_data_key(&key, DataKeySpec::Aes256, &c).expect_err("pending");
    });
    check(&kms, &e, Operation::GenerateDataKey, Some(id), fail("KMSInvalidStateException"));

    let other_text = text(&other);
    edit_record(kms.store_mut(), RecordKind::Key, &other_text, |r| r[10] ^= 1);
    let (_, e) = one_event(&mut kms, |k| {
        k.describe_key(&other_text).expect_err("corrupt");
    });
    check(&kms, &e, Operation::DescribeKey, Some(other), fail("CorruptRecordException"));
}

/// One maintenance pass that rotates one key and destroys another records exactly one
/// RotateKey and one DeleteKey event, both `Success`, naming their keys, at the clock's time;
/// a pass with nothing due records nothing.
pub fn maintenance_events<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let rotating = create(&mut kms);
    let doomed = create(&mut kms);
    kms.enable_key_rotation(&text(&rotating), Some(90)).expect("enable rotation");
    kms.schedule_key_deletion(&text(&doomed), Some(30)).expect("schedule");
    let count = events(&kms).len();
    kms.maintenance().expect("maintenance");
    assert_eq!(events(&kms).len(), count, "nothing due, no event");

    kms.clock().advance(90 * DAY);
    kms.maintenance().expect("maintenance");
    let new = events(&kms)[count..].to_vec();
    assert_eq!(new.len(), 2, "one event per key acted on: {new:?}");
    let now = coffer_core::Clock::now(*kms.clock()).expect("manual clock");
    for (operation, id) in [(Operation::RotateKey, rotating), (Operation::DeleteKey, doomed)] {
        let expected = AuditEvent { operation, key_id: Some(id), outcome: Outcome::Success, time: now };
        assert!(new.contains(&expected), "missing {expected:?} in {new:?}");
    }
}

/// No event's `Debug` shows the plaintext, the encryption-context values, or the bytes of a
/// data key or random output (as text, as a byte list or in hex); nor do the `Debug` forms of
/// Decrypt's, GenerateDataKey's and GenerateRandom's answers.
pub fn events_never_contain_plaintext<H: Hsm>(hsm: H, stores: &Stores) {
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    let dest = text(&create(&mut kms));
    let secret = b"TOP-SECRET-PLAINTEXT-4242";
    let c = ctx(&[("tenant", "ctx-value-7777")]);
    let mut shown = Vec::new();
    let blob = encrypt(&mut kms, &key, secret, &c);
    let back = kms.decrypt(blob.as_bytes(), &c, None).expect("decrypt");
    assert_eq!(back.plaintext.as_bytes(), secret);
    shown.push(format!("{back:?}"));
    kms.re_encrypt(blob.as_bytes(), &c, None, &dest, &c).expect("re_encrypt");
    {
        kms.decrypt(blob.as_bytes(), &ctx(&[]), None).expect_err("wrong context");
    }
    let dk = kms.generate_data_key(&key, DataKeySpec::Aes256, &c).expect("data key");
    shown.push(format!("{dk:?}"));
    let random = kms.generate_random(32).expect("random");
    shown.push(format!("{random:?}"));
    shown.extend(events(&kms).iter().map(|e| format!("{e:?}")));

    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let list = |b: &[u8]| format!("{:?}", &b[..6]).trim_end_matches(']').to_owned();
    let forbidden = [
        "TOP-SECRET".to_owned(),
        "ctx-value-7777".to_owned(),
        list(secret),
        hex(secret),
        list(dk.plaintext.as_bytes()),
        hex(&dk.plaintext.as_bytes()[..6]),
        list(random.as_bytes()),
        hex(&random.as_bytes()[..6]),
    ];
    for text in &shown {
        for needle in &forbidden {
            assert!(!text.contains(needle.as_str()), "{needle:?} shown in {text}");
        }
    }
    assert!(shown.len() >= 3 + 6, "every call left an event");
}
