//! The operations: an AWS JSON 1.1 request body becomes the `coffer` command of the same
//! operation (so the server and the command line share one mapping of the façade to AWS field
//! names, `crate::commands`), and the command's answer becomes the JSON response.
//!
//! Requests are read as the model (`service-2.json`) types them: a body that is not a JSON
//! object, or a member of the wrong JSON type, is a SerializationException; a missing required
//! member or a value out of range is a ValidationException. Members Coffer does not act on
//! and that change nothing (`GrantTokens`, `BypassPolicyLockoutSafetyCheck`) are ignored;
//! those that would change the meaning of a request (`Policy`, `Tags`, `DryRun`, `Recipient`,
//! another key spec or algorithm) are refused rather than silently dropped.
//!
//! Blobs are base64 in JSON; they are checked here and handed to the command as base64 text
//! (never as the command line's `fileb://` or `file://` forms, which this module cannot
//! produce: base64 has no `:`). Encryption contexts are handed over as JSON objects.

use core::fmt::{self, Write};

use serde_json::{Map, Value};
use zeroize::{Zeroize as _, Zeroizing};

use super::error::ApiError;
use super::json::BodyError;
use crate::cli::{Command, DataKeyArgs, KeyIdArg, PageArgs};
use crate::output::json::string as json_str;
use crate::output::{Obj, Val};

/// The default page size of the List operations, as AWS's.
const DEFAULT_LIMIT: usize = 100;

/// The request members, taken out one by one.
struct Members(Map<String, Value>);

/// The model's camel-case member name in AWS's validation messages (`KeyId` → `keyId`).
fn camel(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|c| c.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
}

fn wrong_type(name: &str, want: &str) -> ApiError {
    ApiError::serialization(format!("{name}: expected {want}"))
}

impl Members {
    fn take(&mut self, name: &str) -> Option<Value> {
        match self.0.remove(name) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    fn opt_str(&mut self, name: &str) -> Result<Option<String>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(wrong_type(name, "a string")),
        }
    }

    fn str(&mut self, name: &str, min: usize, max: usize) -> Result<String, ApiError> {
        let s = self.opt_str(name)?.ok_or_else(|| {
            ApiError::validation(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                camel(name)
            ))
        })?;
        check_len(name, &s, min, max)?;
        Ok(s)
    }

    fn opt_int(&mut self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| wrong_type(name, "an integer")),
            Some(_) => Err(wrong_type(name, "an integer")),
        }
    }

    /// An integer in `min..=max`, converted to the command's type.
    fn opt_ranged<T: TryFrom<i64>>(&mut self, name: &str, min: i64, max: i64) -> Result<Option<T>, ApiError> {
        match self.opt_int(name)? {
            None => Ok(None),
            Some(n) if (min..=max).contains(&n) => {
                T::try_from(n).map(Some).map_err(|_| out_of_range(name, n, min, max))
            }
            Some(n) => Err(out_of_range(name, n, min, max)),
        }
    }

    fn opt_bool(&mut self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(wrong_type(name, "a boolean")),
        }
    }

    /// A required blob: base64 text, checked to decode to 1 to `max` bytes.
    fn blob(&mut self, name: &str, max: usize) -> Result<String, ApiError> {
        let text = Zeroizing::new(self.str(name, 1, usize::MAX)?);
        let bytes = crate::input::decode_secret_b64(text.as_bytes())
            .map_err(|_| ApiError::serialization(format!("{name}: invalid base64")))?;
        if bytes.is_empty() || bytes.len() > max {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must have length \
                 less than or equal to {max} and greater than or equal to 1",
                camel(name)
            )));
        }
        Ok(String::clone(&text))
    }

    /// An encryption context: a JSON object of strings, handed on as JSON text.
    fn context(&mut self, name: &str) -> Result<Option<String>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Object(map)) => {
                if map.values().any(|v| !v.is_string()) {
                    return Err(wrong_type(name, "a map of strings"));
                }
                Ok(Some(Value::Object(map).to_string()))
            }
            Some(_) => Err(wrong_type(name, "a map of strings")),
        }
    }

    /// A member that, if given, must have one value (the only one Coffer supports).
    fn only(&mut self, name: &str, supported: &str) -> Result<(), ApiError> {
        match self.opt_str(name)? {
            Some(v) if v != supported => Err(ApiError::client(
                "UnsupportedOperationException",
                format!("{name} {v:?} is not supported: Coffer supports {supported} only"),
            )),
            _ => Ok(()),
        }
    }

    /// A member Coffer refuses when present (it would change the request's meaning).
    fn refused(&mut self, name: &str, why: &str) -> Result<(), ApiError> {
        match self.take(name) {
            None | Some(Value::Bool(false)) => Ok(()),
            Some(Value::Array(a)) if a.is_empty() => Ok(()),
            Some(_) => {
                Err(ApiError::client("UnsupportedOperationException", format!("{name} is not supported: {why}")))
            }
        }
    }

    /// Members ignored (they change nothing here), checked for their JSON type only.
    fn ignored_list(&mut self, name: &str) -> Result<(), ApiError> {
        match self.take(name) {
            None | Some(Value::Array(_)) => Ok(()),
            Some(_) => Err(wrong_type(name, "a list")),
        }
    }

    fn key(&mut self) -> Result<KeyIdArg, ApiError> {
        Ok(KeyIdArg { key_id: self.str("KeyId", 1, 2048)? })
    }

    fn page(&mut self) -> Result<PageArgs, ApiError> {
        let limit = self.opt_ranged::<usize>("Limit", 1, 1000)?.unwrap_or(DEFAULT_LIMIT);
        let marker = self.opt_str("Marker")?;
        if let Some(m) = &marker {
            check_len("Marker", m, 1, 1024)?;
        }
        Ok(PageArgs { limit: Some(limit), marker })
    }

    fn data_key(&mut self) -> Result<DataKeyArgs, ApiError> {
        let key_id = self.str("KeyId", 1, 2048)?;
        let encryption_context = self.context("EncryptionContext")?;
        let number_of_bytes = self.opt_ranged::<u16>("NumberOfBytes", 1, 1024)?;
        let key_spec = self.opt_str("KeySpec")?;
        if let Some(spec) = &key_spec
            && spec != "AES_128"
            && spec != "AES_256"
        {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{spec}' at 'keySpec' failed to satisfy constraint: Member must \
                 satisfy enum value set: [AES_256, AES_128]"
            )));
        }
        self.ignored_list("GrantTokens")?;
        self.refused("DryRun", "no dry runs")?;
        self.refused("Recipient", "no Nitro enclaves")?;
        Ok(DataKeyArgs { key_id, key_spec, number_of_bytes, encryption_context })
    }
}

fn check_len(name: &str, s: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let n = s.chars().count();
    if n < min || n > max {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must have length less \
             than or equal to {max} and greater than or equal to {min}",
            camel(name)
        )));
    }
    Ok(())
}

fn out_of_range(name: &str, n: i64, min: i64, max: i64) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: Value '{n}' at '{}' failed to satisfy constraint: Member must have value less \
         than or equal to {max} and greater than or equal to {min}",
        camel(name)
    ))
}

/// The command of operation `op` with request body `body`.
///
/// # Errors
/// UnknownOperationException for an operation not served; SerializationException for a body
/// that is not a JSON object or a member of the wrong type; ValidationException for missing
/// or out-of-range members; UnsupportedOperationException for features Coffer lacks.
#[allow(clippy::too_many_lines)] // one arm per operation
pub(crate) fn parse(op: &str, body: &[u8]) -> Result<Command, ApiError> {
    let value: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        super::json::parse(body).map_err(|e| match e {
            BodyError::Malformed(e) => ApiError::serialization(format!("malformed JSON: {e}")),
            BodyError::Duplicate(name) => {
                let shown: String = name.chars().take(64).collect();
                ApiError::validation(format!(
                    "the member {shown:?} is given twice in one object of the request body: which one counts \
                     would be ambiguous"
                ))
            }
        })?
    };
    let Value::Object(map) = value else {
        return Err(ApiError::serialization("the request body must be a JSON object"));
    };
    let mut m = Members(map);
    let command = match op {
        "CreateKey" => {
            let description = m.opt_str("Description")?.unwrap_or_default();
            check_len("Description", &description, 0, 8192)?;
            m.only("KeyUsage", "ENCRYPT_DECRYPT")?;
            m.only("KeySpec", "SYMMETRIC_DEFAULT")?;
            m.only("CustomerMasterKeySpec", "SYMMETRIC_DEFAULT")?;
            m.only("Origin", "AWS_KMS")?;
            m.refused("MultiRegion", "keys are single-region")?;
            m.refused("Policy", "key policies are not enforced: every access key may use every key")?;
            m.refused("Tags", "tags are not kept")?;
            m.refused("CustomKeyStoreId", "no custom key stores")?;
            m.refused("XksKeyId", "no external key stores")?;
            m.opt_bool("BypassPolicyLockoutSafetyCheck")?;
            Command::CreateKey { description }
        }
        "DescribeKey" => {
            let k = m.key()?;
            m.ignored_list("GrantTokens")?;
            Command::DescribeKey(k)
        }
        "ListKeys" => Command::ListKeys(m.page()?),
        "EnableKey" => Command::EnableKey(m.key()?),
        "DisableKey" => Command::DisableKey(m.key()?),
        "ScheduleKeyDeletion" => {
            let key = m.key()?;
            let pending_window_in_days = m.opt_ranged::<u16>("PendingWindowInDays", 1, 365)?;
            Command::ScheduleKeyDeletion { key, pending_window_in_days }
        }
        "CancelKeyDeletion" => Command::CancelKeyDeletion(m.key()?),
        "UpdateKeyDescription" => {
            let key = m.key()?;
            let description = m.str("Description", 0, 8192)?;
            Command::UpdateKeyDescription { key, description }
        }
        "CreateAlias" | "UpdateAlias" => {
            let alias_name = m.str("AliasName", 1, 256)?;
            let target_key_id = m.str("TargetKeyId", 1, 2048)?;
            if op == "CreateAlias" {
                Command::CreateAlias { alias_name, target_key_id }
            } else {
                Command::UpdateAlias { alias_name, target_key_id }
            }
        }
        "DeleteAlias" => Command::DeleteAlias { alias_name: m.str("AliasName", 1, 256)? },
        "ListAliases" => {
            let key_id = m.opt_str("KeyId")?;
            if let Some(k) = &key_id {
                check_len("KeyId", k, 1, 2048)?;
            }
            Command::ListAliases { key_id, page: m.page()? }
        }
        "EnableKeyRotation" => {
            let key = m.key()?;
            let rotation_period_in_days = m.opt_ranged::<u16>("RotationPeriodInDays", 1, 2560)?;
            Command::EnableKeyRotation { key, rotation_period_in_days }
        }
        "DisableKeyRotation" => Command::DisableKeyRotation(m.key()?),
        "GetKeyRotationStatus" => Command::GetKeyRotationStatus(m.key()?),
        "RotateKeyOnDemand" => Command::RotateKeyOnDemand(m.key()?),
        "ListKeyRotations" => {
            let key = m.key()?;
            m.refused("IncludeKeyMaterial", "not supported")?;
            Command::ListKeyRotations { key, page: m.page()? }
        }
        "Encrypt" => {
            let key = m.key()?;
            let plaintext = m.blob("Plaintext", 4096)?;
            let encryption_context = m.context("EncryptionContext")?;
            m.only("EncryptionAlgorithm", "SYMMETRIC_DEFAULT")?;
            m.ignored_list("GrantTokens")?;
            m.refused("DryRun", "no dry runs")?;
            Command::Encrypt { key, plaintext, encryption_context }
        }
        "Decrypt" => {
            let ciphertext_blob = m.blob("CiphertextBlob", 6144)?;
            let encryption_context = m.context("EncryptionContext")?;
            let key_id = m.opt_str("KeyId")?;
            m.only("EncryptionAlgorithm", "SYMMETRIC_DEFAULT")?;
            m.ignored_list("GrantTokens")?;
            m.refused("DryRun", "no dry runs")?;
            m.refused("Recipient", "no Nitro enclaves")?;
            Command::Decrypt { ciphertext_blob, key_id, encryption_context }
        }
        "ReEncrypt" => {
            let ciphertext_blob = m.blob("CiphertextBlob", 6144)?;
            let source_encryption_context = m.context("SourceEncryptionContext")?;
            let source_key_id = m.opt_str("SourceKeyId")?;
            let destination_key_id = m.str("DestinationKeyId", 1, 2048)?;
            let destination_encryption_context = m.context("DestinationEncryptionContext")?;
            m.only("SourceEncryptionAlgorithm", "SYMMETRIC_DEFAULT")?;
            m.only("DestinationEncryptionAlgorithm", "SYMMETRIC_DEFAULT")?;
            m.ignored_list("GrantTokens")?;
            m.refused("DryRun", "no dry runs")?;
            Command::ReEncrypt {
                ciphertext_blob,
                source_encryption_context,
                source_key_id,
                destination_key_id,
                destination_encryption_context,
            }
        }
        "GenerateDataKey" => Command::GenerateDataKey(m.data_key()?),
        "GenerateDataKeyWithoutPlaintext" => Command::GenerateDataKeyWithoutPlaintext(m.data_key()?),
        "GenerateRandom" => {
            let number_of_bytes = m.opt_ranged::<u16>("NumberOfBytes", 1, 1024)?.ok_or_else(|| {
                ApiError::validation("1 validation error detected: NumberOfBytes must be given (1 to 1024)")
            })?;
            m.refused("CustomKeyStoreId", "no custom key stores")?;
            m.refused("Recipient", "no Nitro enclaves")?;
            Command::GenerateRandom { number_of_bytes }
        }
        _ => {
            return Err(ApiError::client(
                "UnknownOperationException",
                format!("operation {op:?} is not served by Coffer"),
            ));
        }
    };
    Ok(command)
}

/// Clears the secrets a command holds (plaintexts in base64) once it has run.
pub(crate) fn wipe(command: &mut Command) {
    if let Command::Encrypt { plaintext, .. } = command {
        plaintext.zeroize();
    }
}

/// The answer's date fields, which the AWS JSON protocol writes as seconds since the epoch
/// (the command line prints them as ISO 8601).
const DATE_FIELDS: [&str; 5] = ["CreationDate", "DeletionDate", "NextRotationDate", "RotationDate", "LastUpdatedDate"];

/// The JSON response of a command's answer, compact, in a zeroizing buffer (it may hold a
/// plaintext or a data key) allocated once at its exact size (`crate::exact`): a growing
/// string would leave unwiped copies behind.
///
/// # Errors
/// KMSInternalException if the answer cannot be formatted (not expected).
pub(crate) fn to_json(doc: &Obj) -> Result<Zeroizing<String>, ApiError> {
    crate::exact::render(|out| write_obj(out, doc)).map_err(|_| ApiError::internal("the answer could not be formatted"))
}

fn write_obj(out: &mut dyn Write, obj: &Obj) -> fmt::Result {
    out.write_char('{')?;
    for (i, (name, val)) in obj.0.iter().enumerate() {
        if i > 0 {
            out.write_char(',')?;
        }
        json_str(out, name)?;
        out.write_char(':')?;
        match val {
            Val::Str(s) if DATE_FIELDS.contains(name) => match crate::time::parse(s) {
                Some(t) => write!(out, "{t}")?,
                None => json_str(out, s)?,
            },
            _ => write_val(out, val)?,
        }
    }
    out.write_char('}')
}

fn write_val(out: &mut dyn Write, val: &Val) -> fmt::Result {
    match val {
        Val::Str(s) => json_str(out, s),
        Val::Secret(s) => {
            // Base64: nothing to escape.
            out.write_char('"')?;
            out.write_str(s)?;
            out.write_char('"')
        }
        Val::Num(n) => write!(out, "{n}"),
        Val::Bool(b) => out.write_str(if *b { "true" } else { "false" }),
        Val::StrList(items) => {
            out.write_char('[')?;
            for (i, s) in items.iter().enumerate() {
                if i > 0 {
                    out.write_char(',')?;
                }
                json_str(out, s)?;
            }
            out.write_char(']')
        }
        Val::List(items) => {
            out.write_char('[')?;
            for (i, o) in items.iter().enumerate() {
                if i > 0 {
                    out.write_char(',')?;
                }
                write_obj(out, o)?;
            }
            out.write_char(']')
        }
        Val::Obj(o) => write_obj(out, o),
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as B64;

    use super::*;

    fn code(op: &str, body: &str) -> &'static str {
        parse(op, body.as_bytes()).map(|_| "ok").unwrap_or_else(|e| e.code)
    }

    #[test]
    fn bodies_are_typed_and_bounded() {
        assert_eq!(code("DescribeKey", r#"{"KeyId":"alias/x"}"#), "ok");
        assert_eq!(code("DescribeKey", "{}"), "ValidationException");
        assert_eq!(code("DescribeKey", r#"{"KeyId":7}"#), "SerializationException");
        assert_eq!(code("DescribeKey", "[1]"), "SerializationException");
        assert_eq!(code("DescribeKey", "{\"KeyId\":"), "SerializationException");
        assert_eq!(code("DescribeKey", r#"{"KeyId":""}"#), "ValidationException");
        assert_eq!(code("Nope", "{}"), "UnknownOperationException");
        assert_eq!(code("Encrypt", r#"{"KeyId":"k","Plaintext":"AA=="}"#), "ok");
        assert_eq!(code("Encrypt", r#"{"KeyId":"k","Plaintext":"fileb:///etc/passwd"}"#), "SerializationException");
        assert_eq!(code("Encrypt", r#"{"KeyId":"k","Plaintext":""}"#), "ValidationException");
        let big = B64.encode([0u8; 4097]);
        assert_eq!(code("Encrypt", &format!(r#"{{"KeyId":"k","Plaintext":"{big}"}}"#)), "ValidationException");
        assert_eq!(
            code("Encrypt", r#"{"KeyId":"k","Plaintext":"AA==","EncryptionContext":{"a":1}}"#),
            "SerializationException"
        );
        assert_eq!(
            code("Encrypt", r#"{"KeyId":"k","Plaintext":"AA==","DryRun":true}"#),
            "UnsupportedOperationException"
        );
        assert_eq!(code("GenerateDataKey", r#"{"KeyId":"k","NumberOfBytes":70000}"#), "ValidationException");
        assert_eq!(code("GenerateDataKey", r#"{"KeyId":"k","NumberOfBytes":1.5}"#), "SerializationException");
        assert_eq!(code("GenerateDataKey", r#"{"KeyId":"k","KeySpec":"AES_512"}"#), "ValidationException");
        assert_eq!(code("GenerateRandom", "{}"), "ValidationException");
        assert_eq!(code("CreateKey", r#"{"KeySpec":"RSA_2048"}"#), "UnsupportedOperationException");
        assert_eq!(code("CreateKey", r#"{"Policy":"{}"}"#), "UnsupportedOperationException");
        assert_eq!(code("CreateKey", ""), "ok");
        assert_eq!(code("ListKeys", r#"{"Limit":0}"#), "ValidationException");
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
        ] {
            let e = parse("Encrypt", body.as_bytes()).unwrap_err();
            assert_eq!(e.code, "ValidationException", "{body}: {}", e.message);
            assert!(e.message.contains("twice"), "{}", e.message);
        }
        let e = parse(
            "ReEncrypt",
            br#"{"CiphertextBlob":"AA==","DestinationKeyId":"k","DestinationEncryptionContext":{"t":"A","t":"B"}}"#,
        )
        .unwrap_err();
        assert_eq!(e.code, "ValidationException", "{}", e.message);
    }

    /// Mangled bodies (truncated, bytes flipped, members of other types) for every operation:
    /// an error or a command, never a panic.
    #[test]
    fn mangled_bodies_never_panic() {
        let ops = [
            "CreateKey",
            "DescribeKey",
            "ListKeys",
            "EnableKey",
            "DisableKey",
            "ScheduleKeyDeletion",
            "CancelKeyDeletion",
            "UpdateKeyDescription",
            "CreateAlias",
            "UpdateAlias",
            "DeleteAlias",
            "ListAliases",
            "EnableKeyRotation",
            "DisableKeyRotation",
            "GetKeyRotationStatus",
            "RotateKeyOnDemand",
            "ListKeyRotations",
            "Encrypt",
            "Decrypt",
            "ReEncrypt",
            "GenerateDataKey",
            "GenerateDataKeyWithoutPlaintext",
            "GenerateRandom",
        ];
        let template = br#"{"KeyId":"alias/a","Plaintext":"AAEC","CiphertextBlob":"AAEC","EncryptionContext":{"a":"b"},"SourceEncryptionContext":{},"DestinationKeyId":"k","DestinationEncryptionContext":{"c":"d"},"NumberOfBytes":32,"KeySpec":"AES_256","Limit":10,"Marker":"m","AliasName":"alias/x","TargetKeyId":"k","Description":"d","PendingWindowInDays":7,"RotationPeriodInDays":90,"GrantTokens":[]}"#;
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut accepted = 0;
        for op in ops {
            // (CreateKey refuses the template's KeySpec AES_256; every other operation takes it.)
            assert_eq!(parse(op, template).is_ok(), op != "CreateKey", "{op}");
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
                if parse(op, &body).is_ok() {
                    accepted += 1;
                }
            }
        }
        assert!(accepted > 0);
    }

    #[test]
    fn answers_use_epoch_dates() {
        let doc = Obj::new()
            .str("KeyId", "k")
            .with("KeyMetadata", Val::Obj(Obj::new().str("CreationDate", "2026-11-23T18:24:08+00:00")))
            .with("Plaintext", Val::Secret(Zeroizing::new("AAEC".into())));
        let v: Value = serde_json::from_str(&to_json(&doc).unwrap()).unwrap();
        assert_eq!(v["KeyMetadata"]["CreationDate"], 1_795_458_248);
        assert_eq!(v["Plaintext"], "AAEC");
    }

    /// The answer's buffer is allocated once, at its exact size: it never grew (a grown
    /// buffer's capacity would exceed its length, its old copies freed unwiped).
    #[test]
    fn answers_are_written_at_their_exact_size() {
        let doc = Obj::new()
            .str("KeyId", "arn:aws:kms:us-east-1:111122223333:key/k\u{1}\"")
            .with("Plaintext", Val::Secret(Zeroizing::new("QUJD".repeat(1365))))
            .with("Keys", Val::List(vec![Obj::new().str("KeyId", "a"), Obj::new()]))
            .with("EncryptionAlgorithms", Val::StrList(vec!["SYMMETRIC_DEFAULT".into()]))
            .str("CreationDate", "2026-11-23T18:24:08+00:00")
            .with("Enabled", Val::Bool(true))
            .num("N", 42);
        let json = to_json(&doc).unwrap();
        assert_eq!(json.capacity(), json.len());
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["Plaintext"].as_str().unwrap().len(), 5460);
        assert_eq!(v["KeyId"], "arn:aws:kms:us-east-1:111122223333:key/k\u{1}\"");
    }
}
