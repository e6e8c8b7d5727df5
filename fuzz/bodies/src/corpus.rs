//! The seed corpora: valid outputs of the façade and the parsers, made deterministically.
//!
//! `cargo run -p coffer-fuzz-bodies --bin make_corpus` writes them to `fuzz/corpus/<target>/`;
//! `tests/replay.rs` checks that the committed files are exactly these (so the generator and the
//! corpus cannot drift apart) and runs every one through its target's body.

use coffer_core::clock::ManualClock;
use coffer_core::key::{ArnPrefix, KeyId};
use coffer_core::store::{KeyStore, MemoryStore, RecordKind};
use coffer_core::{EncryptionContext, Error};

use crate::common::{self, START};
use crate::kms_model::{DataKeySel, KeyForm, KeySel, Op, Tamper, encode};
use crate::{message, sealed};

/// One seed: the file name (without the target folder) and its bytes.
pub type Seed = (String, Vec<u8>);

/// The seeds of target `name` (empty for an unknown target).
pub fn seeds(name: &str) -> Vec<Seed> {
    match name {
        "blob_parse" => blob_parse(),
        "context_decode" => context_decode(),
        "key_ref_parse" => key_ref_parse(),
        "decrypt" => decrypt(),
        "record_load" => record_load(),
        "kms_model" => kms_model(),
        "message_header_parse" => message::seeds::header_parse(),
        "message_decrypt_stream" => message::seeds::decrypt_stream(),
        "message_round_trip" => message::seeds::round_trip(),
        "message_cache" => message::seeds::cache(),
        "cli_query" => cli_query(),
        "api_request" => api_request(),
        _ => Vec::new(),
    }
}

/// A valid body for each operation coffer serve dispatches to, on the fuzz façade's key.
fn api_request() -> Vec<Seed> {
    use base64::Engine as _;
    let clock = ManualClock::new(START);
    let mut store = Box::new(MemoryStore::<4>::new());
    let mut kms = common::kms_with_key(&mut store, &clock);
    let key = common::only_key(&mut kms).to_string();
    let blob = kms.encrypt(&key, b"hi", &EncryptionContext::empty()).unwrap();
    let blob = base64::engine::general_purpose::STANDARD.encode(blob.ciphertext_blob.as_bytes());
    crate::api_request::seeds(&key, &blob)
}

/// The AWS CLI documentation's queries, over both answers and in both formats.
fn cli_query() -> Vec<Seed> {
    let queries = [
        "KeyMetadata.KeyId",
        "Aliases[0].TargetKeyId",
        "Aliases[*].AliasName",
        "Aliases[?AliasName==`alias/ExampleAlias`].TargetKeyId | [0]",
        "Aliases[?starts_with(AliasName, 'alias/aws/')]",
        "Aliases[*].{Name:AliasName, Target:TargetKeyId}",
        "length(Aliases)",
        "sort_by(Aliases, &AliasName)[-1:]",
        "[Plaintext, KeyMetadata.KeyId]",
        "@",
    ];
    let mut out = Vec::new();
    for (i, q) in queries.iter().enumerate() {
        for options in 0u8..4 {
            out.push((format!("query{i:02}-{options}"), [&[options][..], q.as_bytes()].concat()));
        }
    }
    out
}

fn named(items: Vec<(&str, Vec<u8>)>) -> Vec<Seed> {
    items.into_iter().map(|(n, b)| (n.to_owned(), b)).collect()
}

/// Blobs the fuzz façade made: plaintext lengths at the edges, several contexts, a rotated key.
fn blob_parse() -> Vec<Seed> {
    let clock = ManualClock::new(START);
    let mut store = Box::new(MemoryStore::<4>::new());
    let mut kms = common::kms_with_key(&mut store, &clock);
    let key = common::only_key(&mut kms).to_string();
    let mut out = Vec::new();
    for (name, len) in [("len1", 1), ("len16", 16), ("len32", 32), ("len4096", 4096)] {
        let blob = kms.encrypt(&key, &vec![0x5a; len], &EncryptionContext::empty()).unwrap();
        out.push((format!("blob-{name}"), blob.ciphertext_blob.as_bytes().to_vec()));
    }
    kms.rotate_key_on_demand(&key).unwrap();
    let ctx = EncryptionContext::new(&[("tenant", "acme")]).unwrap();
    let blob = kms.encrypt(&key, b"after rotation", &ctx).unwrap();
    out.push(("blob-version2-context".into(), blob.ciphertext_blob.as_bytes().to_vec()));
    out
}

fn encoded(pairs: &[(&str, &str)]) -> Vec<u8> {
    let ctx = EncryptionContext::new(pairs).unwrap();
    let mut buf = vec![0u8; coffer_core::data::MAX_CONTEXT_ENCODED_LEN];
    let n = ctx.encode(&mut buf).unwrap();
    buf.truncate(n);
    buf
}

/// Canonical context encodings: empty, one pair, several, unicode, the 16-pair and size edges.
fn context_decode() -> Vec<Seed> {
    let keys: Vec<String> = (0..16).map(|i| format!("k{i:02}")).collect();
    let sixteen: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "v")).collect();
    let big = "v".repeat(4089);
    named(vec![
        ("empty", encoded(&[])),
        ("one-pair", encoded(&[("tenant", "acme")])),
        ("two-pairs", encoded(&[("tenant", "acme"), ("purpose", "test")])),
        ("aws-style", encoded(&[("aws:s3:arn", "arn:aws:s3:::bucket/key"), ("aws-crypto-public-key", "AAAA")])),
        ("unicode", encoded(&[("k\u{e9}y", "\u{1f511}"), ("", "")])),
        ("sixteen-pairs", encoded(&sixteen)),
        ("largest", encoded(&[("k", &big)])),
    ])
}

/// Key ids, key ARNs, alias names and alias ARNs, valid and at the edges.
fn key_ref_parse() -> Vec<Seed> {
    let id = KeyId::from_random([0x42; 16]);
    let prefix = ArnPrefix::default();
    let long = format!("alias/{}", "a".repeat(250));
    let texts = vec![
        ("key-id", id.to_string()),
        ("key-id-upper", id.to_string().to_uppercase()),
        ("key-arn", prefix.key_arn(&id).as_str().to_owned()),
        ("alias", "alias/app/prod".to_owned()),
        ("alias-reserved", "alias/aws/s3".to_owned()),
        ("alias-longest", long.clone()),
        ("alias-arn", prefix.alias_arn("alias/app").as_str().to_owned()),
        ("foreign-arn", format!("arn:aws:kms:eu-west-1:111122223333:key/{id}")),
        ("arn-no-resource", "arn:aws:kms:us-east-1:000000000000:".to_owned()),
    ];
    texts.into_iter().map(|(n, t)| (n.to_owned(), t.into_bytes())).collect()
}

/// The genuine blobs of the decrypt target (one opens under its empty context, one is under
/// another context), and a blob naming a key that does not exist.
fn decrypt() -> Vec<Seed> {
    let clock = ManualClock::new(START);
    let mut store = Box::new(MemoryStore::<4>::new());
    let (_, blobs) = sealed::decrypt_fixture(&mut store, &clock);
    let mut out: Vec<Seed> =
        blobs.iter().enumerate().map(|(i, b)| (format!("genuine-{i}"), b.as_bytes().to_vec())).collect();
    let mut other = blobs[0].as_bytes().to_vec();
    other[1..17].copy_from_slice(&[0xee; 16]);
    out.push(("unknown-key".into(), other));
    out
}

/// For each slot of the record_load target ([`sealed::RecordSlot`]): the genuine sealed
/// record; another key's record and an alias record in the key's place; version 2's record in
/// version 1's place; another key's description record; the genuine key record's body in the
/// current format; and a format-1 body of the same key (description, versions 1 and 2).
fn record_load() -> Vec<Seed> {
    use sealed::RecordSlot::{CurrentBody, Description, Format1Body, Key, Version};
    let tagged = |slot: sealed::RecordSlot, bytes: &[u8]| [&[slot.code()], bytes].concat();
    let genuine_key = sealed::genuine_record(Key);
    let clock = ManualClock::new(START);
    let mut store = Box::new(MemoryStore::<{ sealed::RECORD_STORE }>::new());
    let (first, other, alias) = {
        let fixture = sealed::record_fixture(&mut store, &clock);
        let mut kms = fixture.kms;
        // A second key: its records under the first's names are refused.
        let second = kms.create_key("second").unwrap().key_id.to_string();
        kms.create_alias("alias/seed", &second).unwrap();
        assert!(matches!(kms.describe_key("alias/missing"), Err(Error::NotFound)));
        (fixture.name, second, "alias/seed")
    };
    let mut read = |kind, name: &str| {
        let mut buf = vec![0u8; coffer_core::store::MAX_RECORD_LEN];
        let n = store.get(kind, name, &mut buf).unwrap().unwrap();
        buf.truncate(n);
        buf
    };
    let version_2 = read(RecordKind::KeyVersion, &format!("{first}/{:010}", 2));
    let version_1 = read(RecordKind::KeyVersion, &format!("{first}/{:010}", 1));
    // Sealed record: "CFR1", kind, u16 name length, the 36-byte name, body, 32-byte MAC.
    let current_body = genuine_key[7 + 36..genuine_key.len() - 32].to_vec();
    // Format 2: the same layout without the seal count (its last 8 bytes).
    let mut format2_body = current_body[..current_body.len() - 8].to_vec();
    format2_body[0] = 2;
    // Format 3 with the current version's budget (2^32 seals) used up.
    let mut used_up_body = current_body.clone();
    let count_at = used_up_body.len() - 8;
    used_up_body[count_at..].copy_from_slice(&(1u64 << 32).to_be_bytes());
    let material = |v: &[u8]| v[v.len() - 32 - 40..v.len() - 32].to_vec();
    let mut format1 = vec![1];
    format1.extend_from_slice(&current_body[1..17]); // key id
    format1.extend_from_slice(&[1, 1, 1]); // spec, usage, Enabled
    format1.extend_from_slice(&START.to_be_bytes());
    format1.extend_from_slice(&[0; 8 + 2]); // no deletion
    format1.extend_from_slice(&[1, 0, 90]); // rotation on, every 90 days
    format1.extend_from_slice(&(START + 90 * 86_400).to_be_bytes());
    format1.extend_from_slice(&[0, 3]);
    format1.extend_from_slice(b"old");
    format1.push(2);
    for (number, kind, v) in [(1u32, 0u8, &version_1), (2, 2, &version_2)] {
        format1.extend_from_slice(&number.to_be_bytes());
        format1.extend_from_slice(&START.to_be_bytes());
        format1.push(kind);
        format1.extend_from_slice(&material(v));
    }
    named(vec![
        ("key-genuine", tagged(Key, &genuine_key)),
        ("key-other-key", tagged(Key, &read(RecordKind::Key, &other))),
        ("key-alias-record", tagged(Key, &read(RecordKind::Alias, alias))),
        ("version-genuine", tagged(Version, &sealed::genuine_record(Version))),
        ("version-2-as-1", tagged(Version, &version_2)),
        ("description-genuine", tagged(Description, &sealed::genuine_record(Description))),
        ("description-other-key", tagged(Description, &read(RecordKind::Description, &other))),
        ("current-body", tagged(CurrentBody, &current_body)),
        ("format2-body", tagged(CurrentBody, &format2_body)),
        ("current-body-used-up", tagged(CurrentBody, &used_up_body)),
        ("format1-body", tagged(Format1Body, &format1)),
    ])
}

fn k(key: u8, form: KeyForm) -> KeySel {
    KeySel { key, form: form.code() }
}

use KeyForm::{AliasArn, AliasName, Empty, ForeignArn, Garbage, Id, IdUpper, KeyArn};

/// Operation sequences that each walk one part of the façade through valid (and some refused)
/// calls.
pub fn kms_model_scenarios() -> Vec<(&'static str, Vec<Op>)> {
    let days = |d: u16| Op::Clock { forward: true, days: d, seconds: 0 };
    vec![
        (
            "lifecycle",
            vec![
                Op::CreateKey { description: 1 },
                Op::DescribeKey { key: k(0, Id) },
                Op::DescribeKey { key: k(0, IdUpper) },
                Op::DescribeKey { key: k(0, KeyArn) },
                Op::DisableKey { key: k(0, Id) },
                Op::Encrypt { key: k(0, Id), plaintext: 1, context: 0 },
                Op::EnableKey { key: k(0, Id) },
                Op::UpdateKeyDescription { key: k(0, Id), description: 2 },
                Op::UpdateKeyDescription { key: k(0, Id), description: 4 },
                Op::DescribeKey { key: k(1, Id) },
                Op::DescribeKey { key: k(0, ForeignArn) },
                Op::DescribeKey { key: k(0, Garbage) },
                Op::DescribeKey { key: k(0, Empty) },
            ],
        ),
        (
            "deletion",
            vec![
                Op::CreateKey { description: 0 },
                Op::Encrypt { key: k(0, Id), plaintext: 3, context: 1 },
                Op::ScheduleKeyDeletion { key: k(0, Id), window: Some(6) },
                Op::ScheduleKeyDeletion { key: k(0, Id), window: Some(31) },
                Op::ScheduleKeyDeletion { key: k(0, Id), window: Some(7) },
                Op::ScheduleKeyDeletion { key: k(0, Id), window: None },
                Op::EnableKey { key: k(0, Id) },
                Op::Decrypt { blob: 0, context: None, expected: None, tamper: Tamper::Intact },
                Op::CancelKeyDeletion { key: k(0, Id) },
                Op::CancelKeyDeletion { key: k(0, Id) },
                Op::EnableKey { key: k(0, Id) },
                Op::Decrypt { blob: 0, context: None, expected: None, tamper: Tamper::Intact },
                Op::ScheduleKeyDeletion { key: k(0, Id), window: None },
                days(29),
                Op::Maintenance,
                days(1),
                Op::Maintenance,
                Op::DescribeKey { key: k(0, Id) },
                Op::Decrypt { blob: 0, context: None, expected: None, tamper: Tamper::Intact },
            ],
        ),
        (
            "aliases",
            vec![
                Op::CreateKey { description: 1 },
                Op::CreateKey { description: 0 },
                Op::CreateAlias { alias: 0, target: k(0, Id) },
                Op::CreateAlias { alias: 0, target: k(1, Id) },
                Op::CreateAlias { alias: 1, target: k(1, KeyArn) },
                Op::CreateAlias { alias: 3, target: k(0, Id) },
                Op::CreateAlias { alias: 4, target: k(0, Id) },
                Op::CreateAlias { alias: 5, target: k(0, Id) },
                Op::CreateAlias { alias: 7, target: k(0, Id) },
                Op::CreateAlias { alias: 8, target: k(0, Id) },
                Op::CreateAlias { alias: 2, target: k(0, AliasName) },
                Op::CreateAlias { alias: 2, target: k(2, Id) },
                Op::DescribeKey { key: k(0, AliasName) },
                Op::DescribeKey { key: k(0, AliasArn) },
                Op::DescribeKey { key: k(3, AliasName) },
                Op::UpdateAlias { alias: 0, target: k(1, Id) },
                Op::UpdateAlias { alias: 2, target: k(1, Id) },
                Op::ListAliases { filter: None, page: 1 },
                Op::ListAliases { filter: Some(k(1, Id)), page: 2 },
                Op::ListAliases { filter: None, page: 0 },
                Op::DeleteAlias { alias: 1 },
                Op::DeleteAlias { alias: 1 },
                Op::DeleteAlias { alias: 3 },
                Op::ScheduleKeyDeletion { key: k(1, Id), window: Some(7) },
                Op::UpdateAlias { alias: 0, target: k(1, Id) },
                days(7),
                Op::Maintenance,
                Op::ListAliases { filter: None, page: 3 },
            ],
        ),
        (
            "rotation",
            vec![
                Op::CreateKey { description: 1 },
                Op::Encrypt { key: k(0, Id), plaintext: 2, context: 2 },
                Op::EnableKeyRotation { key: k(0, Id), period: Some(89) },
                Op::EnableKeyRotation { key: k(0, Id), period: Some(2561) },
                Op::EnableKeyRotation { key: k(0, Id), period: Some(90) },
                Op::GetKeyRotationStatus { key: k(0, Id) },
                days(90),
                Op::Maintenance,
                Op::Encrypt { key: k(0, Id), plaintext: 3, context: 3 },
                Op::RotateKeyOnDemand { key: k(0, Id) },
                Op::ListKeyRotations { key: k(0, Id) },
                Op::Decrypt { blob: 0, context: Some(3), expected: Some(k(0, Id)), tamper: Tamper::Intact },
                Op::SetMinimumDecryptionVersion { key: k(0, Id), version: 2 },
                Op::Decrypt { blob: 0, context: None, expected: None, tamper: Tamper::Intact },
                Op::SetMinimumDecryptionVersion { key: k(0, Id), version: 1 },
                Op::DisableKeyRotation { key: k(0, Id) },
                Op::EnableKeyRotation { key: k(0, Id), period: None },
                Op::DisableKey { key: k(0, Id) },
                days(365),
                Op::Maintenance,
                Op::EnableKey { key: k(0, Id) },
                Op::Maintenance,
                Op::GetKeyRotationStatus { key: k(0, Id) },
            ],
        ),
        (
            "crypto",
            vec![
                Op::CreateKey { description: 0 },
                Op::CreateKey { description: 0 },
                Op::Encrypt { key: k(0, Id), plaintext: 0, context: 0 },
                Op::Encrypt { key: k(0, Id), plaintext: 7, context: 0 },
                Op::Encrypt { key: k(0, Id), plaintext: 6, context: 1 },
                Op::Encrypt { key: k(1, KeyArn), plaintext: 1, context: 2 },
                Op::Decrypt { blob: 1, context: Some(3), expected: None, tamper: Tamper::Intact },
                Op::Decrypt { blob: 1, context: Some(4), expected: None, tamper: Tamper::Intact },
                Op::Decrypt { blob: 0, context: None, expected: Some(k(1, Id)), tamper: Tamper::Intact },
                Op::Decrypt {
                    blob: 0,
                    context: None,
                    expected: Some(k(0, Id)),
                    tamper: Tamper::Flip { at: 40, xor: 1 },
                },
                Op::Decrypt { blob: 0, context: None, expected: None, tamper: Tamper::Flip { at: 0, xor: 2 } },
                Op::Decrypt { blob: 0, context: None, expected: None, tamper: Tamper::Flip { at: 5, xor: 0x80 } },
                Op::Decrypt { blob: 0, context: None, expected: None, tamper: Tamper::Flip { at: 20, xor: 1 } },
                Op::Decrypt { blob: 0, context: None, expected: None, tamper: Tamper::Truncate { by: 1 } },
                Op::Decrypt { blob: 0, context: None, expected: None, tamper: Tamper::Truncate { by: 9000 } },
                Op::Decrypt { blob: 0, context: None, expected: None, tamper: Tamper::Append { bytes: 3000 } },
                Op::Decrypt { blob: 1, context: None, expected: None, tamper: Tamper::Relabel { key: 0, version: 1 } },
                Op::Decrypt { blob: 1, context: None, expected: None, tamper: Tamper::Relabel { key: 2, version: 1 } },
                Op::GenerateDataKey { key: k(0, Id), spec: DataKeySel::Aes256, context: 5, with_plaintext: true },
                Op::GenerateDataKey { key: k(0, Id), spec: DataKeySel::Aes128, context: 6, with_plaintext: false },
                Op::GenerateDataKey { key: k(0, Id), spec: DataKeySel::Bytes(0), context: 0, with_plaintext: true },
                Op::GenerateDataKey { key: k(0, Id), spec: DataKeySel::Bytes(1025), context: 0, with_plaintext: false },
                Op::GenerateDataKey { key: k(1, Id), spec: DataKeySel::Bytes(1024), context: 0, with_plaintext: true },
                Op::Decrypt { blob: 3, context: None, expected: None, tamper: Tamper::Intact },
            ],
        ),
        (
            "re-encrypt",
            vec![
                Op::CreateKey { description: 0 },
                Op::CreateKey { description: 1 },
                Op::CreateAlias { alias: 0, target: k(1, Id) },
                Op::Encrypt { key: k(0, Id), plaintext: 4, context: 1 },
                Op::ReEncrypt {
                    blob: 0,
                    context: None,
                    source: Some(k(0, Id)),
                    destination: k(0, AliasName),
                    destination_context: 4,
                    tamper: Tamper::Intact,
                },
                Op::ReEncrypt {
                    blob: 0,
                    context: Some(0),
                    source: None,
                    destination: k(1, Id),
                    destination_context: 0,
                    tamper: Tamper::Intact,
                },
                Op::DisableKey { key: k(1, Id) },
                Op::ReEncrypt {
                    blob: 0,
                    context: None,
                    source: None,
                    destination: k(1, Id),
                    destination_context: 0,
                    tamper: Tamper::Intact,
                },
                Op::ReEncrypt {
                    blob: 0,
                    context: None,
                    source: None,
                    destination: k(2, Id),
                    destination_context: 0,
                    tamper: Tamper::Flip { at: 60, xor: 4 },
                },
                Op::ReEncrypt {
                    blob: 1,
                    context: None,
                    source: None,
                    destination: k(1, Garbage),
                    destination_context: 0,
                    tamper: Tamper::Intact,
                },
            ],
        ),
        ("limits", {
            let mut ops = vec![Op::CreateKey { description: 3 }, Op::CreateKey { description: 4 }];
            ops.extend(std::iter::repeat_n(Op::RotateKeyOnDemand { key: k(0, Id) }, 32));
            ops.push(Op::EnableKeyRotation { key: k(0, Id), period: Some(2560) });
            ops.push(days(2560));
            ops.push(Op::Maintenance);
            ops.push(Op::SetMinimumDecryptionVersion { key: k(0, Id), version: 30 });
            ops.push(Op::SetMinimumDecryptionVersion { key: k(0, Id), version: 29 });
            ops.push(Op::Maintenance);
            ops.push(Op::ListKeyRotations { key: k(0, Id) });
            ops.extend(std::iter::repeat_n(Op::CreateKey { description: 0 }, 10));
            ops
        }),
        (
            "corrupt-records",
            vec![
                Op::CreateKey { description: 1 },
                Op::CreateKey { description: 0 },
                Op::CreateAlias { alias: 0, target: k(0, Id) },
                Op::Encrypt { key: k(0, Id), plaintext: 2, context: 1 },
                Op::EnableKeyRotation { key: k(0, Id), period: Some(90) },
                Op::ScheduleKeyDeletion { key: k(1, Id), window: Some(7) },
                Op::CorruptRecord { key: 0, at: 30, xor: 1 },
                Op::CorruptRecord { key: 1, at: 0, xor: 0x80 },
                Op::DescribeKey { key: k(0, AliasName) },
                Op::Encrypt { key: k(0, Id), plaintext: 1, context: 0 },
                Op::Decrypt { blob: 0, context: None, expected: None, tamper: Tamper::Intact },
                Op::CreateAlias { alias: 1, target: k(0, Id) },
                Op::ListAliases { filter: Some(k(0, Id)), page: 2 },
                days(100),
                Op::Maintenance,
                Op::RestoreRecord { key: 0 },
                Op::Decrypt { blob: 0, context: None, expected: None, tamper: Tamper::Intact },
                Op::Maintenance,
                Op::RestoreRecord { key: 1 },
                Op::Maintenance,
                Op::ListKeys { page: 1 },
            ],
        ),
        (
            "list-and-clock",
            vec![
                Op::CreateKey { description: 0 },
                Op::CreateKey { description: 1 },
                Op::CreateKey { description: 2 },
                Op::ListKeys { page: 1 },
                Op::ListKeys { page: 2 },
                Op::ListKeys { page: 0 },
                Op::EnableKeyRotation { key: k(1, Id), period: Some(100) },
                Op::ScheduleKeyDeletion { key: k(2, Id), window: Some(10) },
                Op::Clock { forward: false, days: 20, seconds: 5 },
                Op::Maintenance,
                Op::Clock { forward: true, days: 130, seconds: 1 },
                Op::Maintenance,
                Op::ListKeys { page: 7 },
                Op::Clock { forward: true, days: u16::MAX, seconds: u16::MAX },
                Op::Maintenance,
            ],
        ),
    ]
}

fn kms_model() -> Vec<Seed> {
    kms_model_scenarios().into_iter().map(|(name, ops)| (name.to_owned(), encode(&ops))).collect()
}
