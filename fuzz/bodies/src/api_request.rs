//! `coffer serve`'s requests (`cli/src/api/`): any body, for any operation the server
//! dispatches to, is decoded into the operation's request type or refused, and a decoded
//! request runs on a façade holding one key; nothing panics, and every answer is a JSON object.
//!
//! Input: one byte choosing the operation (modulo their number), then the body.

use crate::common::{START, kms_with_key};

/// The operation table, compiled from its files (the coffer command is a binary crate): its
/// `crate::error` is this crate's `error`, compiled from the command's file too (`lib.rs`).
#[path = "../../../cli/src/api/mod.rs"]
#[allow(dead_code)]
pub(crate) mod api;

/// The body.
pub fn run(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else { return };
    let op = api::SERVED[usize::from(which) % api::SERVED.len()];
    let Ok(request) = api::Request::decode(op, body) else { return };
    let mut store = Box::new(coffer_core::store::MemoryStore::<16>::new());
    let clock = coffer_core::clock::ManualClock::new(START);
    let mut kms = kms_with_key(&mut store, &clock);
    if let Ok(answer) = request.run_json(&mut kms) {
        let value: serde_json::Value = serde_json::from_str(&answer).expect("the answer is JSON");
        assert!(value.is_object(), "{op}: the answer is not an object: {}", answer.as_str());
    }
}

/// A valid body for each operation, on the key of [`kms_with_key`] (`key`) and a blob it made
/// (`blob`, base64): the seeds (`corpus`).
pub fn seeds(key: &str, blob: &str) -> Vec<(String, Vec<u8>)> {
    api::SERVED
        .iter()
        .enumerate()
        .map(|(i, op)| {
            let body = match *op {
                "CreateKey" => r#"{"Description":"fuzz","KeyUsage":"ENCRYPT_DECRYPT"}"#.to_owned(),
                "ListKeys" => r#"{"Limit":10}"#.to_owned(),
                "ListAliases" => r#"{"Limit":10}"#.to_owned(),
                "CreateAlias" | "UpdateAlias" => format!(r#"{{"AliasName":"alias/fuzz","TargetKeyId":"{key}"}}"#),
                "DeleteAlias" => r#"{"AliasName":"alias/fuzz"}"#.to_owned(),
                "UpdateKeyDescription" => format!(r#"{{"KeyId":"{key}","Description":"d"}}"#),
                "ScheduleKeyDeletion" => format!(r#"{{"KeyId":"{key}","PendingWindowInDays":7}}"#),
                "EnableKeyRotation" => format!(r#"{{"KeyId":"{key}","RotationPeriodInDays":90}}"#),
                "Encrypt" => format!(r#"{{"KeyId":"{key}","Plaintext":"aGk=","EncryptionContext":{{"t":"a"}}}}"#),
                "Decrypt" => format!(r#"{{"CiphertextBlob":"{blob}","KeyId":"{key}"}}"#),
                "ReEncrypt" => format!(r#"{{"CiphertextBlob":"{blob}","DestinationKeyId":"{key}"}}"#),
                "GenerateDataKey" => format!(r#"{{"KeyId":"{key}","KeySpec":"AES_256"}}"#),
                "GenerateDataKeyWithoutPlaintext" => format!(r#"{{"KeyId":"{key}","NumberOfBytes":16}}"#),
                "GenerateRandom" => r#"{"NumberOfBytes":32}"#.to_owned(),
                _ => format!(r#"{{"KeyId":"{key}"}}"#),
            };
            let which = u8::try_from(i).expect("fewer than 256 operations");
            ((*op).to_owned(), [&[which][..], body.as_bytes()].concat())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every seed decodes, and runs to an answer on a fresh façade (but the three that need an
    /// alias or a scheduled deletion made first): the seeds reach the success paths.
    #[test]
    fn the_seeds_reach_the_operations() {
        let mut corpus = crate::corpus::seeds("api_request");
        assert_eq!(corpus.len(), api::SERVED.len());
        for (name, data) in corpus.drain(..) {
            let (&which, body) = data.split_first().unwrap();
            let op = api::SERVED[usize::from(which)];
            assert_eq!(op, name);
            let request = api::Request::decode(op, body).unwrap_or_else(|e| panic!("{op}: {}", e.message));
            let mut store = Box::new(coffer_core::store::MemoryStore::<16>::new());
            let clock = coffer_core::clock::ManualClock::new(START);
            let mut kms = kms_with_key(&mut store, &clock);
            let ran = request.run_json(&mut kms);
            assert_eq!(ran.is_ok(), !matches!(op, "UpdateAlias" | "DeleteAlias" | "CancelKeyDeletion"), "{op}");
        }
    }
}
