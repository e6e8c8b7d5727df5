//! The table's JSON mapping, operation by operation: a request body as AWS clients send it
//! becomes the typed request, a typed response becomes the exact AWS JSON answer; and bodies
//! out of the model are refused with the exception AWS answers.

use super::json::{FromJson, decode, encode};
use super::wire::{Blob, Context, SecretBlob, Timestamp};
use super::*;

fn code(op: &str, body: &str) -> &'static str {
    Request::decode(op, body.as_bytes()).map(|_| "ok").unwrap_or_else(|e| e.code)
}

fn req<R: FromJson>(body: &str) -> R {
    decode::<R>(body.as_bytes()).unwrap_or_else(|e| panic!("{body}: {} {}", e.code, e.message))
}

fn ctx(pairs: &[(&str, &str)]) -> Option<Context> {
    Some(Context(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()))
}

fn json<T: serde::Serialize>(answer: &T) -> String {
    encode(answer).unwrap().as_str().to_owned()
}

#[test]
fn key_requests_from_json() {
    let r: CreateKeyRequest = req(r#"{"Description":"payments","KeyUsage":"ENCRYPT_DECRYPT","Unknown":{"x":1}}"#);
    assert_eq!(r.description.as_deref(), Some("payments"));
    assert_eq!(r.key_usage.as_deref(), Some("ENCRYPT_DECRYPT"));
    let r: CreateKeyRequest = req("");
    assert_eq!(r.description, None);
    let r: DescribeKeyRequest = req(r#"{"KeyId":"alias/a","GrantTokens":["t"]}"#);
    assert_eq!(r.key_id, "alias/a");
    let r: ListKeysRequest = req(r#"{"Limit":10,"Marker":"m"}"#);
    assert_eq!((r.limit, r.marker.as_deref()), (Some(10), Some("m")));
    assert_eq!(req::<EnableKeyRequest>(r#"{"KeyId":"k"}"#).key_id, "k");
    assert_eq!(req::<DisableKeyRequest>(r#"{"KeyId":"k"}"#).key_id, "k");
    let r: ScheduleKeyDeletionRequest = req(r#"{"KeyId":"k","PendingWindowInDays":7}"#);
    assert_eq!((r.key_id.as_str(), r.pending_window_in_days), ("k", Some(7)));
    assert_eq!(req::<CancelKeyDeletionRequest>(r#"{"KeyId":"k"}"#).key_id, "k");
    let r: UpdateKeyDescriptionRequest = req(r#"{"KeyId":"k","Description":""}"#);
    assert_eq!((r.key_id.as_str(), r.description.as_str()), ("k", ""));
}

#[test]
fn alias_and_rotation_requests_from_json() {
    let r: CreateAliasRequest = req(r#"{"AliasName":"alias/a","TargetKeyId":"k"}"#);
    assert_eq!((r.alias_name.as_str(), r.target_key_id.as_str()), ("alias/a", "k"));
    let r: UpdateAliasRequest = req(r#"{"AliasName":"alias/a","TargetKeyId":"k2"}"#);
    assert_eq!((r.alias_name.as_str(), r.target_key_id.as_str()), ("alias/a", "k2"));
    assert_eq!(req::<DeleteAliasRequest>(r#"{"AliasName":"alias/a"}"#).alias_name, "alias/a");
    let r: ListAliasesRequest = req(r#"{"KeyId":"k","Limit":5}"#);
    assert_eq!((r.key_id.as_deref(), r.limit, r.marker), (Some("k"), Some(5), None));
    let r: EnableKeyRotationRequest = req(r#"{"KeyId":"k","RotationPeriodInDays":90}"#);
    assert_eq!((r.key_id.as_str(), r.rotation_period_in_days), ("k", Some(90)));
    assert_eq!(req::<DisableKeyRotationRequest>(r#"{"KeyId":"k"}"#).key_id, "k");
    assert_eq!(req::<GetKeyRotationStatusRequest>(r#"{"KeyId":"k"}"#).key_id, "k");
    assert_eq!(req::<RotateKeyOnDemandRequest>(r#"{"KeyId":"k"}"#).key_id, "k");
    let r: ListKeyRotationsRequest = req(r#"{"KeyId":"k","Marker":"3"}"#);
    assert_eq!((r.key_id.as_str(), r.marker.as_deref()), ("k", Some("3")));
}

#[test]
fn data_requests_from_json() {
    let r: EncryptRequest = req(
        r#"{"KeyId":"k","Plaintext":"aGk=","EncryptionContext":{"b":"2","a":"1"},"EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#,
    );
    assert_eq!((r.key_id.as_str(), r.plaintext.as_bytes()), ("k", &b"hi"[..]));
    assert_eq!(r.encryption_context, ctx(&[("b", "2"), ("a", "1")]));
    assert_eq!(r.encryption_algorithm.as_deref(), Some("SYMMETRIC_DEFAULT"));
    let r: DecryptRequest = req(r#"{"CiphertextBlob":"AAEC","KeyId":"k"}"#);
    assert_eq!((r.ciphertext_blob.as_bytes(), r.key_id.as_deref()), (&[0u8, 1, 2][..], Some("k")));
    assert_eq!(r.encryption_context, None);
    let r: ReEncryptRequest = req(
        r#"{"CiphertextBlob":"AAEC","SourceEncryptionContext":{"s":"1"},"SourceKeyId":"a","DestinationKeyId":"b","DestinationEncryptionContext":{"d":"2"}}"#,
    );
    assert_eq!(r.ciphertext_blob.as_bytes(), &[0u8, 1, 2]);
    assert_eq!((r.source_key_id.as_deref(), r.destination_key_id.as_str()), (Some("a"), "b"));
    assert_eq!(
        (r.source_encryption_context, r.destination_encryption_context),
        (ctx(&[("s", "1")]), ctx(&[("d", "2")]))
    );
    let r: GenerateDataKeyRequest = req(r#"{"KeyId":"k","KeySpec":"AES_256","EncryptionContext":{"t":"x"}}"#);
    assert_eq!((r.key_id.as_str(), r.key_spec.as_deref(), r.number_of_bytes), ("k", Some("AES_256"), None));
    assert_eq!(r.encryption_context, ctx(&[("t", "x")]));
    let r: GenerateDataKeyWithoutPlaintextRequest = req(r#"{"KeyId":"k","NumberOfBytes":64}"#);
    assert_eq!((r.key_id.as_str(), r.key_spec, r.number_of_bytes), ("k", None, Some(64)));
    assert_eq!(req::<GenerateRandomRequest>(r#"{"NumberOfBytes":32}"#).number_of_bytes, Some(32));
}

fn metadata() -> KeyMetadataResponse {
    KeyMetadataResponse {
        aws_account_id: "111122223333".into(),
        key_id: "k".into(),
        arn: "arn:aws:kms:us-east-1:111122223333:key/k".into(),
        creation_date: Timestamp(1_795_458_248),
        enabled: false,
        description: "d\"".into(),
        key_usage: "ENCRYPT_DECRYPT",
        key_state: "PendingDeletion",
        deletion_date: Some(Timestamp(1_795_544_648)),
        origin: "AWS_KMS",
        key_manager: "CUSTOMER",
        customer_master_key_spec: "SYMMETRIC_DEFAULT",
        key_spec: "SYMMETRIC_DEFAULT",
        encryption_algorithms: ["SYMMETRIC_DEFAULT"],
        multi_region: false,
        pending_deletion_window_in_days: Some(7),
        coffer_current_key_version: 2,
        coffer_minimum_decryption_version: 1,
    }
}

#[test]
fn key_responses_as_aws_json() {
    assert_eq!(
        json(&KeyMetadataAnswer { key_metadata: metadata() }),
        r#"{"KeyMetadata":{"AWSAccountId":"111122223333","KeyId":"k","Arn":"arn:aws:kms:us-east-1:111122223333:key/k","CreationDate":1795458248,"Enabled":false,"Description":"d\"","KeyUsage":"ENCRYPT_DECRYPT","KeyState":"PendingDeletion","DeletionDate":1795544648,"Origin":"AWS_KMS","KeyManager":"CUSTOMER","CustomerMasterKeySpec":"SYMMETRIC_DEFAULT","KeySpec":"SYMMETRIC_DEFAULT","EncryptionAlgorithms":["SYMMETRIC_DEFAULT"],"MultiRegion":false,"PendingDeletionWindowInDays":7,"CofferCurrentKeyVersion":2,"CofferMinimumDecryptionVersion":1}}"#
    );
    let page = ListKeysResponse {
        keys: vec![KeyListEntry { key_id: "k".into(), key_arn: "arn:k".into() }],
        next_marker: Some("k".into()),
        truncated: true,
    };
    assert_eq!(json(&page), r#"{"Keys":[{"KeyId":"k","KeyArn":"arn:k"}],"NextMarker":"k","Truncated":true}"#);
    let last = ListKeysResponse { keys: Vec::new(), next_marker: None, truncated: false };
    assert_eq!(json(&last), r#"{"Keys":[],"Truncated":false}"#);
    assert_eq!(json(&Empty {}), "{}");
    let scheduled = ScheduleKeyDeletionResponse {
        key_id: "arn:k".into(),
        deletion_date: Timestamp(86_400),
        key_state: "PendingDeletion",
        pending_window_in_days: 7,
    };
    assert_eq!(
        json(&scheduled),
        r#"{"KeyId":"arn:k","DeletionDate":86400,"KeyState":"PendingDeletion","PendingWindowInDays":7}"#
    );
    assert_eq!(json(&KeyArnResponse { key_id: "arn:k".into() }), r#"{"KeyId":"arn:k"}"#);
}

#[test]
fn alias_and_rotation_responses_as_aws_json() {
    let aliases = ListAliasesResponse {
        aliases: vec![AliasListEntry {
            alias_name: "alias/a".into(),
            alias_arn: "arn:alias/a".into(),
            target_key_id: "k".into(),
            creation_date: Timestamp(1),
            last_updated_date: Timestamp(2),
        }],
        next_marker: None,
        truncated: false,
        coffer_corrupt_records: None,
    };
    assert_eq!(
        json(&aliases),
        r#"{"Aliases":[{"AliasName":"alias/a","AliasArn":"arn:alias/a","TargetKeyId":"k","CreationDate":1,"LastUpdatedDate":2}],"Truncated":false}"#
    );
    let corrupt = ListAliasesResponse { aliases: Vec::new(), coffer_corrupt_records: Some(2), ..aliases };
    assert_eq!(json(&corrupt), r#"{"Aliases":[],"Truncated":false,"CofferCorruptRecords":2}"#);
    let status = GetKeyRotationStatusResponse {
        key_rotation_enabled: true,
        key_id: "arn:k".into(),
        rotation_period_in_days: Some(365),
        next_rotation_date: Some(Timestamp(3)),
    };
    assert_eq!(
        json(&status),
        r#"{"KeyRotationEnabled":true,"KeyId":"arn:k","RotationPeriodInDays":365,"NextRotationDate":3}"#
    );
    let off = GetKeyRotationStatusResponse {
        key_rotation_enabled: false,
        key_id: "arn:k".into(),
        rotation_period_in_days: None,
        next_rotation_date: None,
    };
    assert_eq!(json(&off), r#"{"KeyRotationEnabled":false,"KeyId":"arn:k"}"#);
    let rotated = RotateKeyOnDemandResponse { key_id: "k".into(), coffer_key_version: 2 };
    assert_eq!(json(&rotated), r#"{"KeyId":"k","CofferKeyVersion":2}"#);
    let rotations = ListKeyRotationsResponse {
        rotations: vec![RotationEntry {
            key_id: "k".into(),
            rotation_date: Timestamp(4),
            rotation_type: "ON_DEMAND",
            coffer_key_version: 2,
        }],
        next_marker: Some("2".into()),
        truncated: true,
    };
    assert_eq!(
        json(&rotations),
        r#"{"Rotations":[{"KeyId":"k","RotationDate":4,"RotationType":"ON_DEMAND","CofferKeyVersion":2}],"NextMarker":"2","Truncated":true}"#
    );
}

#[test]
fn data_responses_as_aws_json() {
    let blob = || Blob::copy_of(&[0, 1, 2]);
    let e =
        EncryptResponse { ciphertext_blob: blob(), key_id: "arn:k".into(), encryption_algorithm: "SYMMETRIC_DEFAULT" };
    assert_eq!(json(&e), r#"{"CiphertextBlob":"AAEC","KeyId":"arn:k","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#);
    let d = DecryptResponse {
        key_id: "arn:k".into(),
        plaintext: SecretBlob::copy_of(b"hi"),
        encryption_algorithm: "SYMMETRIC_DEFAULT",
    };
    assert_eq!(json(&d), r#"{"KeyId":"arn:k","Plaintext":"aGk=","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#);
    let r = ReEncryptResponse {
        ciphertext_blob: blob(),
        source_key_id: "arn:a".into(),
        key_id: "arn:b".into(),
        source_encryption_algorithm: "SYMMETRIC_DEFAULT",
        destination_encryption_algorithm: "SYMMETRIC_DEFAULT",
    };
    assert_eq!(
        json(&r),
        r#"{"CiphertextBlob":"AAEC","SourceKeyId":"arn:a","KeyId":"arn:b","SourceEncryptionAlgorithm":"SYMMETRIC_DEFAULT","DestinationEncryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#
    );
    let k = GenerateDataKeyResponse {
        ciphertext_blob: blob(),
        plaintext: SecretBlob::copy_of(b"hi"),
        key_id: "arn:k".into(),
    };
    assert_eq!(json(&k), r#"{"CiphertextBlob":"AAEC","Plaintext":"aGk=","KeyId":"arn:k"}"#);
    let w = GenerateDataKeyWithoutPlaintextResponse { ciphertext_blob: blob(), key_id: "arn:k".into() };
    assert_eq!(json(&w), r#"{"CiphertextBlob":"AAEC","KeyId":"arn:k"}"#);
    assert_eq!(json(&GenerateRandomResponse { plaintext: SecretBlob::copy_of(b"hi") }), r#"{"Plaintext":"aGk="}"#);
}

/// A plaintext or data key never shows in a request's or a response's Debug.
#[test]
fn secrets_stay_out_of_debug() {
    let r: EncryptRequest = req(r#"{"KeyId":"k","Plaintext":"c2VjcmV0LXNlY3JldA=="}"#);
    assert!(!format!("{r:?}").contains("secret"), "{r:?}");
    let d = DecryptResponse {
        key_id: "k".into(),
        plaintext: SecretBlob::copy_of(b"secret-secret"),
        encryption_algorithm: "SYMMETRIC_DEFAULT",
    };
    assert!(!format!("{d:?}").contains("secret-secret") && !format!("{d:?}").contains("115"), "{d:?}");
}

#[test]
fn bodies_are_typed_and_bounded() {
    assert_eq!(code("DescribeKey", r#"{"KeyId":"alias/x"}"#), "ok");
    assert_eq!(code("DescribeKey", "{}"), "ValidationException");
    assert_eq!(code("DescribeKey", r#"{"KeyId":null}"#), "ValidationException");
    assert_eq!(code("DescribeKey", r#"{"KeyId":7}"#), "SerializationException");
    assert_eq!(code("DescribeKey", "[1]"), "SerializationException");
    assert_eq!(code("DescribeKey", "{\"KeyId\":"), "SerializationException");
    assert_eq!(code("Nope", "{}"), "UnknownOperationException");
    // Operations of the command line only are not served.
    assert_eq!(
        code("SetMinimumDecryptionVersion", r#"{"KeyId":"k","MinimumDecryptionVersion":2}"#),
        "UnknownOperationException"
    );
    assert_eq!(code("Maintenance", "{}"), "UnknownOperationException");
    assert_eq!(code("Encrypt", r#"{"KeyId":"k","Plaintext":"AA=="}"#), "ok");
    assert_eq!(
        code("Encrypt", r#"{"KeyId":"k","Plaintext":"AA==","EncryptionContext":{"a":1}}"#),
        "SerializationException"
    );
    assert_eq!(code("GenerateDataKey", r#"{"KeyId":"k","NumberOfBytes":1.5}"#), "SerializationException");
    assert_eq!(code("Encrypt", r#"{"KeyId":"k","Plaintext":"AA==","GrantTokens":"t"}"#), "SerializationException");
    assert_eq!(code("CreateKey", ""), "ok");
    let e = Request::decode("DescribeKey", b"{}").unwrap_err();
    assert!(e.message.contains("Value null at 'keyId'") && e.message.contains("must not be null"), "{}", e.message);
}

/// The server's `Blob` is base64 and nothing else: the command line's `fileb://` and
/// `file://` forms and file paths are SerializationExceptions, never read from disk.
#[test]
fn server_blobs_are_base64_only() {
    for text in ["fileb:///etc/passwd", "file:///etc/passwd", "/etc/passwd", "fileb://secret.bin", "~/x"] {
        for (op, body) in [
            ("Encrypt", format!(r#"{{"KeyId":"k","Plaintext":"{text}"}}"#)),
            ("Decrypt", format!(r#"{{"CiphertextBlob":"{text}"}}"#)),
            ("ReEncrypt", format!(r#"{{"CiphertextBlob":"{text}","DestinationKeyId":"k"}}"#)),
        ] {
            let e = Request::decode(op, body.as_bytes()).unwrap_err();
            assert_eq!((e.status, e.code), (400, "SerializationException"), "{op} {body}: {}", e.message);
        }
    }
}

/// A name given twice in any object of the body is refused, not merged (serde_json would
/// keep the last one): in a context, among the members, deeper down.
#[test]
fn duplicate_names_are_refused() {
    let ok = r#"{"KeyId":"k","Plaintext":"AA==","EncryptionContext":{"tenant":"A"}}"#;
    assert_eq!(code("Encrypt", ok), "ok");
    for body in [
        r#"{"KeyId":"k","Plaintext":"AA==","EncryptionContext":{"tenant":"A","tenant":"B"}}"#,
        r#"{"KeyId":"k","Plaintext":"AA==","EncryptionContext":{"tenant":"A","tenant":"A"}}"#,
        r#"{"KeyId":"k","KeyId":"alias/other","Plaintext":"AA=="}"#,
        r#"{"KeyId":"k","Plaintext":"AA==","GrantTokens":[{"a":1,"a":2}]}"#,
        r#"{"KeyId":"k","Plaintext":"AA==","Unknown":{"a":1,"a":2}}"#,
    ] {
        let e = Request::decode("Encrypt", body.as_bytes()).unwrap_err();
        assert_eq!(e.code, "ValidationException", "{body}: {}", e.message);
        assert!(e.message.contains("twice"), "{}", e.message);
    }
    let e = Request::decode(
        "ReEncrypt",
        br#"{"CiphertextBlob":"AA==","DestinationKeyId":"k","DestinationEncryptionContext":{"t":"A","t":"B"}}"#,
    )
    .unwrap_err();
    assert_eq!(e.code, "ValidationException", "{}", e.message);
}

/// The smallest body of each served operation: only its required members. It decodes, so
/// every member serde requires is in the operation's REQUIRED list; and without any one of
/// them it is a ValidationException, so the list names no optional member.
#[test]
fn required_members_are_exactly_the_listed_ones() {
    fn minimal(name: &str) -> &'static str {
        match name {
            "Plaintext" | "CiphertextBlob" => "\"AAEC\"",
            _ => "\"x\"",
        }
    }
    fn check<R: FromJson + core::fmt::Debug>(op: &str) {
        let members: Vec<String> = R::REQUIRED.iter().map(|m| format!("\"{m}\":{}", minimal(m))).collect();
        let body = format!("{{{}}}", members.join(","));
        assert!(decode::<R>(body.as_bytes()).is_ok(), "{op}: {body}");
        for (i, m) in R::REQUIRED.iter().enumerate() {
            let mut fewer = members.clone();
            fewer.remove(i);
            let e = decode::<R>(format!("{{{}}}", fewer.join(",")).as_bytes()).unwrap_err();
            assert_eq!(e.code, "ValidationException", "{op} without {m}");
        }
    }
    check::<CreateKeyRequest>("CreateKey");
    check::<DescribeKeyRequest>("DescribeKey");
    check::<ListKeysRequest>("ListKeys");
    check::<EnableKeyRequest>("EnableKey");
    check::<DisableKeyRequest>("DisableKey");
    check::<ScheduleKeyDeletionRequest>("ScheduleKeyDeletion");
    check::<CancelKeyDeletionRequest>("CancelKeyDeletion");
    check::<UpdateKeyDescriptionRequest>("UpdateKeyDescription");
    check::<CreateAliasRequest>("CreateAlias");
    check::<UpdateAliasRequest>("UpdateAlias");
    check::<DeleteAliasRequest>("DeleteAlias");
    check::<ListAliasesRequest>("ListAliases");
    check::<EnableKeyRotationRequest>("EnableKeyRotation");
    check::<DisableKeyRotationRequest>("DisableKeyRotation");
    check::<GetKeyRotationStatusRequest>("GetKeyRotationStatus");
    check::<RotateKeyOnDemandRequest>("RotateKeyOnDemand");
    check::<ListKeyRotationsRequest>("ListKeyRotations");
    check::<EncryptRequest>("Encrypt");
    check::<DecryptRequest>("Decrypt");
    check::<ReEncryptRequest>("ReEncrypt");
    check::<GenerateDataKeyRequest>("GenerateDataKey");
    check::<GenerateDataKeyWithoutPlaintextRequest>("GenerateDataKeyWithoutPlaintext");
    check::<GenerateRandomRequest>("GenerateRandom");
    assert_eq!(SERVED.len(), 23);
}

/// Mangled bodies (truncated, bytes flipped, members of other types) for every operation:
/// an error or a request, never a panic.
#[test]
fn mangled_bodies_never_panic() {
    let template = br#"{"KeyId":"alias/a","Plaintext":"AAEC","CiphertextBlob":"AAEC","EncryptionContext":{"a":"b"},"SourceEncryptionContext":{},"DestinationKeyId":"k","DestinationEncryptionContext":{"c":"d"},"NumberOfBytes":32,"KeySpec":"AES_256","Limit":10,"Marker":"m","AliasName":"alias/x","TargetKeyId":"k","Description":"d","PendingWindowInDays":7,"RotationPeriodInDays":90,"GrantTokens":[]}"#;
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut accepted = 0;
    for op in SERVED {
        assert!(Request::decode(op, template).is_ok(), "{op}");
        for _ in 0..300 {
            let mut body = template.to_vec();
            for _ in 0..1 + next() % 4 {
                let len = u64::try_from(body.len()).unwrap();
                let at = usize::try_from(next() % len).unwrap();
                match next() % 3 {
                    0 => body.truncate(at),
                    1 => body[at] = u8::try_from(next() % 256).unwrap(),
                    _ => body.insert(at, b"{}[]\"0-9e,:"[usize::try_from(next() % 11).unwrap()]),
                }
                if body.is_empty() {
                    break;
                }
            }
            if Request::decode(op, &body).is_ok() {
                accepted += 1;
            }
        }
    }
    assert!(accepted > 0);
}
