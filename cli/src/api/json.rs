//! Request bodies from JSON and answers to JSON, for the server.
//!
//! A body is read twice, both times from the request's bytes:
//! 1. a scan that keeps no value, only names: it refuses a name given twice in any object
//!    (serde_json keeps the last of two members of the same name, `{"tenant":"A","tenant":"B"}`
//!    is `tenant=B`, so a caller, a proxy and Coffer could each read a different request), and
//!    it notes which members of the top-level object are there and not `null`, for the model's
//!    required members (a missing one is a ValidationException, as AWS answers);
//! 2. the operation's request type, with serde (a wrong JSON type or invalid base64 is a
//!    SerializationException). Unknown members are ignored, as AWS ignores them.
//!
//! Answers are written compact, into a zeroizing buffer allocated once at its exact size
//! (`crate::exact`): they may hold a plaintext or a data key.

use core::fmt;

use serde::Serialize;
use serde::de::{self, Deserialize, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use zeroize::Zeroizing;

use super::error::ApiError;
use super::wire::camel;

/// Why a body was refused by the scan.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Not JSON (or not within serde_json's nesting limit).
    Malformed(serde_json::Error),
    /// An object names a member twice; the name (the first one found, in document order).
    Duplicate(String),
}

/// What the scan found: the first name given twice in one object, if any, and the members of
/// the value if it is an object (those whose value is not `null`).
struct Scan {
    duplicate: Option<String>,
    members: Option<Vec<String>>,
}

impl Scan {
    const fn scalar() -> Self {
        Self { duplicate: None, members: None }
    }
}

impl<'de> Deserialize<'de> for Scan {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // serde_json's own nesting limit (128) applies here too: its deserializer enforces it.
        deserializer.deserialize_any(ScanVisitor)
    }
}

/// A member's value, read without keeping it: whether it is JSON `null`, and the first name
/// given twice inside it.
struct Member {
    null: bool,
    duplicate: Option<String>,
}

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MemberVisitor)
    }
}

struct MemberVisitor;

impl MemberVisitor {
    const fn value(null: bool) -> Member {
        Member { null, duplicate: None }
    }
}

impl<'de> Visitor<'de> for MemberVisitor {
    type Value = Member;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Member, E> {
        Ok(Self::value(true))
    }
    fn visit_none<E: de::Error>(self) -> Result<Member, E> {
        Ok(Self::value(true))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Member, E> {
        Ok(Self::value(false))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Member, E> {
        Ok(Self::value(false))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Member, E> {
        Ok(Self::value(false))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Member, E> {
        Ok(Self::value(false))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Member, E> {
        Ok(Self::value(false))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Member, A::Error> {
        ScanVisitor.visit_seq(seq).map(|s| Member { null: false, duplicate: s.duplicate })
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Member, A::Error> {
        ScanVisitor.visit_map(map).map(|s| Member { null: false, duplicate: s.duplicate })
    }
}

struct ScanVisitor;

impl<'de> Visitor<'de> for ScanVisitor {
    type Value = Scan;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scan, E> {
        Ok(Scan::scalar())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scan, E> {
        Ok(Scan::scalar())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Scan, E> {
        Ok(Scan::scalar())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Scan, E> {
        Ok(Scan::scalar())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Scan, E> {
        Ok(Scan::scalar())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Scan, E> {
        Ok(Scan::scalar())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scan, A::Error> {
        let mut duplicate = None;
        while let Some(item) = seq.next_element::<Scan>()? {
            duplicate = duplicate.or(item.duplicate);
        }
        Ok(Scan { duplicate, members: None })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scan, A::Error> {
        // Every name (null or not) for the duplicate check; the non-null ones for the caller.
        let mut names: Vec<String> = Vec::new();
        let mut present = Vec::new();
        let mut duplicate = None;
        while let Some(name) = map.next_key::<String>()? {
            let Member { null, duplicate: inner } = map.next_value::<Member>()?;
            duplicate = duplicate.or(inner);
            if names.contains(&name) {
                duplicate = duplicate.or(Some(name));
                continue;
            }
            if !null {
                present.push(name.clone());
            }
            names.push(name);
        }
        Ok(Scan { duplicate, members: Some(present) })
    }
}

/// Scans `body` (one JSON value); the members of its top-level object that are not `null`, or
/// `None` if it is not an object.
///
/// # Errors
/// [`BodyError::Malformed`] for what is not JSON, [`BodyError::Duplicate`] for a repeated name.
pub(crate) fn scan(body: &[u8]) -> Result<Option<Vec<String>>, BodyError> {
    let Scan { duplicate, members } = serde_json::from_slice(body).map_err(BodyError::Malformed)?;
    match duplicate {
        Some(name) => Err(BodyError::Duplicate(name)),
        None => Ok(members),
    }
}

/// A request type read from JSON: its required members, by their AWS names.
pub(crate) trait FromJson: DeserializeOwned {
    /// The members the model requires (a missing or `null` one is a ValidationException).
    const REQUIRED: &'static [&'static str];
}

/// Reads a request of type `R` from `body` (an empty body is `{}`, as AWS takes it).
///
/// # Errors
/// SerializationException for what is not a JSON object, a member of the wrong type or
/// invalid base64; ValidationException for a name given twice or a required member missing.
pub(crate) fn decode<R: FromJson>(body: &[u8]) -> Result<R, ApiError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { body };
    let members = scan(body).map_err(|e| match e {
        BodyError::Malformed(e) => ApiError::serialization(format!("malformed JSON: {e}")),
        BodyError::Duplicate(name) => {
            let shown: String = name.chars().take(64).collect();
            ApiError::validation(format!(
                "the member {shown:?} is given twice in one object of the request body: which one counts would be \
                 ambiguous"
            ))
        }
    })?;
    let Some(members) = members else {
        return Err(ApiError::serialization("the request body must be a JSON object"));
    };
    if let Some(missing) = R::REQUIRED.iter().find(|name| !members.iter().any(|m| m == *name)) {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            camel(missing)
        )));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::serialization(e.to_string()))
}

/// Ignored members that are lists (`GrantTokens`): checked for their JSON type only.
pub(crate) type IgnoredList = Vec<IgnoredAny>;

/// Writes bytes into a zeroizing buffer that refuses to grow past its capacity.
struct Exact<'a>(&'a mut Zeroizing<Vec<u8>>);

impl std::io::Write for Exact<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if bytes.len() > self.0.capacity().saturating_sub(self.0.len()) {
            return Err(std::io::Error::other("the answer outgrew its buffer"));
        }
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Counts the bytes written.
struct Count(usize);

impl std::io::Write for Count {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 = self.0.checked_add(bytes.len()).ok_or_else(|| std::io::Error::other("too long"))?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `answer` as compact JSON, in a zeroizing buffer allocated once at its exact size: written
/// twice by the same code, counted then into a buffer that fails rather than grow (a growing
/// buffer would leave unwiped copies of a secret behind).
///
/// # Errors
/// KMSInternalException if the answer cannot be written (not expected).
pub(crate) fn encode<T: Serialize>(answer: &T) -> Result<Zeroizing<String>, ApiError> {
    let failed = || ApiError::internal("the answer could not be formatted");
    let mut count = Count(0);
    serde_json::to_writer(&mut count, answer).map_err(|_| failed())?;
    let mut bytes = Zeroizing::new(Vec::with_capacity(count.0));
    serde_json::to_writer(Exact(&mut bytes), answer).map_err(|_| failed())?;
    // JSON from serde_json is UTF-8: the conversion takes the buffer as it is.
    match String::from_utf8(core::mem::take(&mut *bytes)) {
        Ok(text) => Ok(Zeroizing::new(text)),
        Err(e) => {
            drop(Zeroizing::new(e.into_bytes()));
            Err(failed())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duplicate(body: &str) -> Option<String> {
        match scan(body.as_bytes()) {
            Err(BodyError::Duplicate(name)) => Some(name),
            Ok(_) => None,
            Err(BodyError::Malformed(e)) => panic!("{body}: {e}"),
        }
    }

    #[test]
    fn duplicates_are_found_at_every_depth() {
        assert_eq!(duplicate(r#"{"tenant":"A","tenant":"B"}"#).as_deref(), Some("tenant"));
        assert_eq!(duplicate(r#"{"KeyId":"a","KeyId":"a"}"#).as_deref(), Some("KeyId"));
        assert_eq!(duplicate(r#"{"KeyId":null,"KeyId":"a"}"#).as_deref(), Some("KeyId"));
        assert_eq!(duplicate(r#"{"C":{"t":"A","u":"x","t":"B"}}"#).as_deref(), Some("t"));
        assert_eq!(duplicate(r#"{"L":[1,{"a":{"b":1,"b":2}}]}"#).as_deref(), Some("b"));
        // Escapes are decoded before names are compared.
        assert_eq!(duplicate(r#"{"t":"A","\u0074":"B"}"#).as_deref(), Some("t"));
        assert_eq!(duplicate(r#"{"t":"A","T":"B","a":{"t":1}}"#), None);
    }

    #[test]
    fn the_scan_reads_json_and_names_the_present_members() {
        let members = scan(br#"{"a":[1,-2,3.5,true,null,"x\n"],"b":{"c":18446744073709551615},"d":"","n":null}"#);
        assert_eq!(members.unwrap(), Some(vec!["a".to_owned(), "b".to_owned(), "d".to_owned()]));
        assert_eq!(scan(b"[1]").unwrap(), None);
        assert!(matches!(scan(b"{\"a\":"), Err(BodyError::Malformed(_))));
        assert!(matches!(scan(b"{} {}"), Err(BodyError::Malformed(_))));
        let deep = "[".repeat(10_000);
        assert!(matches!(scan(deep.as_bytes()), Err(BodyError::Malformed(_))));
    }

    #[test]
    fn answers_are_written_at_their_exact_size() {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Answer {
            key_id: String,
            plaintext: super::super::wire::SecretBlob,
        }
        let answer =
            Answer { key_id: "k\u{1}\"".into(), plaintext: super::super::wire::SecretBlob::copy_of(&[7u8; 4096]) };
        let json = encode(&answer).unwrap();
        assert_eq!(json.capacity(), json.len());
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["KeyId"], "k\u{1}\"");
        assert_eq!(v["Plaintext"].as_str().unwrap().len(), 5464);
    }
}
