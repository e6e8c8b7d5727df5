//! Parameter values as the AWS CLI takes them: blobs as `fileb://path` or base64, encryption
//! contexts as `k=v,k2=v2` shorthand or JSON (inline or `file://path`).

use zeroize::Zeroizing;

use crate::api::wire::decode_secret_b64;
#[cfg(test)]
use crate::api::wire::secret_b64;
use crate::error::CliError;

/// A blob parameter: `fileb://path` (raw bytes), `file://path` (base64 text), or base64.
///
/// # Errors
/// ValidationException for an unreadable file or invalid base64.
pub(crate) fn blob(name: &str, value: &str) -> Result<Zeroizing<Vec<u8>>, CliError> {
    if let Some(path) = value.strip_prefix("fileb://") {
        return read_capped(name, path);
    }
    let text = match value.strip_prefix("file://") {
        Some(path) => {
            let bytes = read_capped(name, path)?;
            Zeroizing::new(
                std::str::from_utf8(&bytes)
                    .map_err(|_| CliError::validation(format!("{name}: {path} is not base64 text")))?
                    .to_owned(),
            )
        }
        None => Zeroizing::new(value.to_owned()),
    };
    decode_secret_b64(compact(&text).as_bytes())
        .map_err(|_| CliError::validation(format!("{name} is not valid base64 (give fileb://path for a file)")))
}

/// `text` without ASCII whitespace, in a zeroizing string allocated once (the result is never
/// longer than `text`): collecting into a growing string would leave copies behind.
fn compact(text: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    out.extend(text.chars().filter(|c| !c.is_ascii_whitespace()));
    out
}

/// The largest file a blob parameter reads: far above any blob or plaintext the operations
/// take (6 KiB), so a wrong path to a large file fails fast instead of filling memory.
const MAX_BLOB_FILE: u64 = 64 * 1024;

fn read_capped(name: &str, path: &str) -> Result<Zeroizing<Vec<u8>>, CliError> {
    use std::io::Read as _;
    let file =
        std::fs::File::open(path).map_err(|e| CliError::validation(format!("{name}: cannot read {path}: {e}")))?;
    // Allocated once, so no copy of the bytes is left behind by a growing vector.
    let mut bytes = Zeroizing::new(Vec::with_capacity(usize::try_from(MAX_BLOB_FILE + 1).unwrap_or(0)));
    file.take(MAX_BLOB_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::validation(format!("{name}: cannot read {path}: {e}")))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_BLOB_FILE {
        return Err(CliError::validation(format!(
            "{name}: {path} is larger than {MAX_BLOB_FILE} bytes (Encrypt takes up to 4096; use a data key for more)"
        )));
    }
    Ok(bytes)
}

/// An encryption-context parameter as pairs (not yet checked against Coffer's limits).
///
/// # Errors
/// ValidationException for malformed shorthand or JSON, or a non-string value.
pub(crate) fn context(name: &str, value: Option<&str>) -> Result<Vec<(String, String)>, CliError> {
    let Some(value) = value else { return Ok(Vec::new()) };
    let text = match value.strip_prefix("file://") {
        // Capped as blobs are: `file:///dev/zero` fails fast instead of filling memory.
        Some(path) => String::from_utf8(read_capped(name, path)?.to_vec())
            .map_err(|_| CliError::validation(format!("{name}: {path} is not UTF-8 text")))?,
        None => value.to_owned(),
    };
    let text = text.trim();
    let pairs = if text.starts_with('{') { json_pairs(name, text)? } else { shorthand_pairs(name, text)? };
    let mut seen = std::collections::BTreeSet::new();
    if let Some((k, _)) = pairs.iter().find(|(k, _)| !seen.insert(k.as_str())) {
        return Err(CliError::validation(format!("{name}: the key {k:?} is given twice")));
    }
    Ok(pairs)
}

/// The members of a JSON object in order, duplicates kept (a map would drop all but one).
struct JsonPairs(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for JsonPairs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = JsonPairs;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<JsonPairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                Ok(JsonPairs(pairs))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

fn json_pairs(name: &str, text: &str) -> Result<Vec<(String, String)>, CliError> {
    let JsonPairs(members) =
        serde_json::from_str(text).map_err(|e| CliError::validation(format!("{name}: malformed JSON: {e}")))?;
    members
        .into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k, s)),
            _ => Err(CliError::validation(format!("{name}: the value of {k:?} is not a string"))),
        })
        .collect()
}

fn shorthand_pairs(name: &str, text: &str) -> Result<Vec<(String, String)>, CliError> {
    let mut pairs = Vec::new();
    for part in text.split(',').filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| CliError::validation(format!("{name}: expected key=value, got {part:?}")))?;
        if k.is_empty() {
            return Err(CliError::validation(format!("{name}: empty key in {part:?}")));
        }
        pairs.push((k.to_owned(), v.to_owned()));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorthand_json_and_errors() {
        let p = context("EncryptionContext", Some("a=1,b=x=y")).unwrap();
        assert_eq!(p, vec![("a".into(), "1".into()), ("b".into(), "x=y".into())]);
        let p = context("EncryptionContext", Some(r#"{"k": "v, w"}"#)).unwrap();
        assert_eq!(p, vec![("k".into(), "v, w".into())]);
        assert!(context("EncryptionContext", Some(r#"{"k": 1}"#)).is_err());
        assert!(context("EncryptionContext", Some("novalue")).is_err());
        assert!(context("EncryptionContext", Some("=v")).is_err());
        assert!(context("EncryptionContext", None).unwrap().is_empty());
        // A key given twice is refused, in JSON (which a map would silently collapse) and shorthand.
        let err = context("EncryptionContext", Some(r#"{"k": "a", "k": "b"}"#)).unwrap_err();
        assert!(err.message.contains("twice"), "{}", err.message);
        assert!(context("EncryptionContext", Some("k=a,k=b")).is_err());
        // A file is read only up to the blob cap.
        let err = context("EncryptionContext", Some("file:///dev/zero")).unwrap_err();
        assert!(err.message.contains("larger than"), "{}", err.message);
    }

    #[test]
    fn blobs() {
        assert_eq!(blob("Plaintext", "aGk=").unwrap().as_slice(), b"hi");
        assert_eq!(blob("Plaintext", "aG\nk=").unwrap().as_slice(), b"hi");
        assert!(blob("Plaintext", "not base64!").is_err());
        assert!(blob("Plaintext", "fileb:///nonexistent/x").is_err());
        assert_eq!(secret_b64(b"hi").unwrap().as_str(), "aGk=");
    }

    /// Buffers holding a secret are allocated once, up front: never grown (which would leave
    /// an unwiped copy in each buffer outgrown).
    #[test]
    fn secret_buffers_are_sized_up_front() {
        let text = "QUJD\n".repeat(1000);
        let compacted = compact(&text);
        assert_eq!(compacted.len(), 4000);
        assert_eq!(compacted.capacity(), text.len());
        let bytes = blob("Plaintext", &text).unwrap();
        assert_eq!(bytes.len(), 3000);
        assert_eq!(bytes.capacity(), base64::decoded_len_estimate(4000));
        let encoded = secret_b64(&bytes).unwrap();
        assert_eq!((encoded.len(), encoded.capacity()), (4000, 4000));
        assert_eq!(secret_b64(b"").unwrap().as_str(), "");
        assert_eq!(secret_b64(&[0xff; 4]).unwrap().as_str(), "/////w==");
        assert!(decode_secret_b64(b"QUJ").is_err());
    }
}
