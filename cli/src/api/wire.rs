//! The member types of the AWS JSON 1.1 protocol, as the KMS model (`service-2.json`) types
//! them: a `Blob` is base64 text and nothing else, a timestamp is seconds since the epoch (a
//! JSON number), an encryption context is a map of strings.
//!
//! What the model's types refuse is a serde error here (SerializationException on the
//! server); what its constraints refuse (lengths, ranges) is checked by each request's
//! `validate`, for the command line and the server alike (ValidationException).
//!
//! Secrets (a plaintext, a data key) are held in zeroizing buffers, and their Debug prints
//! only their length.

use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, Serializer};
use zeroize::Zeroizing;

use crate::error::{Class, CliError};

/// The newtype name a [`Timestamp`] serializes under: JSON writes the number inside, the
/// command line's document (`crate::document`) writes it as an ISO 8601 date.
pub(crate) const TIMESTAMP: &str = "coffer::Timestamp";
/// The newtype name a [`SecretBlob`] serializes under: JSON writes the base64 inside, the
/// command line's document keeps it as a secret value (`crate::output::Val::Secret`).
pub(crate) const SECRET: &str = "coffer::Secret";

/// Decodes base64 that may hold a secret into a zeroizing buffer allocated once, at the
/// decoder's bound for the input's length (never below the result), and wiped on failure too.
///
/// # Errors
/// Invalid base64.
pub(crate) fn decode_secret_b64(text: &[u8]) -> Result<Zeroizing<Vec<u8>>, base64::DecodeSliceError> {
    let mut out = Zeroizing::new(vec![0u8; base64::decoded_len_estimate(text.len())]);
    let len = B64.decode_slice(text, out.as_mut_slice())?;
    out.truncate(len);
    Ok(out)
}

/// Base64 of secret bytes, in a zeroizing string allocated once at its exact length. Encoded
/// straight into that buffer (`encode_string` would pass it through a stack buffer of its own,
/// left unwiped).
///
/// # Errors
/// KMSInternalException if the length overflows (not expected: secrets are at most 4 KiB).
pub(crate) fn secret_b64(bytes: &[u8]) -> Result<Zeroizing<String>, CliError> {
    let failed = || CliError::new(Class::Internal, "cannot encode a secret in base64");
    let len = base64::encoded_len(bytes.len(), true).ok_or_else(failed)?;
    let mut buf = Zeroizing::new(vec![0u8; len]);
    let written = B64.encode_slice(bytes, buf.as_mut_slice()).map_err(|_| failed())?;
    buf.truncate(written);
    // Base64 is ASCII: the conversion takes the buffer as it is (on failure it is wiped).
    match String::from_utf8(core::mem::take(&mut *buf)) {
        Ok(text) => Ok(Zeroizing::new(text)),
        Err(e) => {
            drop(Zeroizing::new(e.into_bytes()));
            Err(failed())
        }
    }
}

/// A `Blob` member: bytes that travel as base64. It may hold a plaintext, so it is zeroizing.
/// From JSON it takes base64 text only: `fileb://` and file paths are the command line's
/// (`crate::input`), never the server's.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Blob(pub(crate) Zeroizing<Vec<u8>>);

impl Blob {
    /// A copy of `bytes` in a zeroizing buffer of their exact length.
    pub(crate) fn copy_of(bytes: &[u8]) -> Self {
        Self(Zeroizing::new(bytes.to_vec()))
    }

    /// The bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The model's length constraint (`min..=max` bytes).
    ///
    /// # Errors
    /// ValidationException.
    pub(crate) fn check_len(&self, member: &str, min: usize, max: usize) -> Result<(), CliError> {
        let n = self.0.len();
        if n < min || n > max {
            return Err(length_error(member, min, max));
        }
        Ok(())
    }
}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Blob({} bytes)", self.0.len())
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Base64;
        impl Visitor<'_> for Base64 {
            type Value = Blob;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("base64 text")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Blob, E> {
                // Decoded straight from the request's bytes into a zeroizing buffer.
                decode_secret_b64(text.as_bytes()).map(Blob).map_err(|_| E::custom("invalid base64"))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<Blob, E> {
                let text = Zeroizing::new(text);
                self.visit_str(&text)
            }
        }
        deserializer.deserialize_str(Base64)
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Public bytes (a ciphertext blob): a plain string.
        serializer.serialize_str(&B64.encode(self.as_bytes()))
    }
}

/// A `Blob` of an answer that is secret (a plaintext, a data key, random bytes): written as
/// base64 through a zeroizing buffer, under the [`SECRET`] newtype name.
#[derive(PartialEq, Eq)]
pub(crate) struct SecretBlob(pub(crate) Zeroizing<Vec<u8>>);

impl SecretBlob {
    /// A copy of `bytes` in a zeroizing buffer of their exact length.
    pub(crate) fn copy_of(bytes: &[u8]) -> Self {
        Self(Zeroizing::new(bytes.to_vec()))
    }
}

impl fmt::Debug for SecretBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBlob({} bytes)", self.0.len())
    }
}

impl Serialize for SecretBlob {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = secret_b64(&self.0).map_err(|e| serde::ser::Error::custom(e.message))?;
        serializer.serialize_newtype_struct(SECRET, text.as_str())
    }
}

/// A timestamp: seconds since the epoch, a JSON number as the AWS JSON protocol sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timestamp(pub(crate) u64);

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(TIMESTAMP, &self.0)
    }
}

/// An encryption context: a map of strings, in the order given. A name given twice is refused
/// here too (the server's body check refuses it first; this keeps the type honest alone).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Context(pub(crate) Vec<(String, String)>);

impl<'de> Deserialize<'de> for Context {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = Context;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Context, A::Error> {
                let mut pairs: Vec<(String, String)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    if pairs.iter().any(|(seen, _)| *seen == k) {
                        return Err(de::Error::custom(format!("the key {k:?} is given twice")));
                    }
                    pairs.push((k, v));
                }
                Ok(Context(pairs))
            }
        }
        deserializer.deserialize_map(Pairs)
    }
}

/// A member Coffer does not implement and refuses when it would change the request's meaning:
/// any value but `false` or an empty list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refused {
    /// Whether the value asks for something (not `false`, not `[]`).
    pub(crate) meaningful: bool,
}

impl<'de> Deserialize<'de> for Refused {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Any;
        impl<'de> Visitor<'de> for Any {
            type Value = Refused;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Refused, E> {
                Ok(Refused { meaningful: v })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Refused, A::Error> {
                let mut meaningful = false;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    meaningful = true;
                }
                Ok(Refused { meaningful })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Refused, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Refused { meaningful: true })
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Refused, E> {
                Ok(Refused { meaningful: true })
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Refused, E> {
                Ok(Refused { meaningful: true })
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Refused, E> {
                Ok(Refused { meaningful: true })
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Refused, E> {
                Ok(Refused { meaningful: true })
            }
        }
        deserializer.deserialize_any(Any)
    }
}

/// Refuses a member that asks for what Coffer does not implement.
///
/// # Errors
/// UnsupportedOperationException.
pub(crate) fn refuse(member: &str, value: Option<Refused>, why: &str) -> Result<(), CliError> {
    match value {
        Some(Refused { meaningful: true }) => {
            Err(CliError::new(Class::Unsupported, format!("{member} is not supported: {why}")))
        }
        _ => Ok(()),
    }
}

/// A member whose one supported value is `supported` (another value is refused, not ignored).
///
/// # Errors
/// UnsupportedOperationException.
pub(crate) fn only(member: &str, value: Option<&str>, supported: &str) -> Result<(), CliError> {
    match value {
        Some(v) if v != supported => Err(CliError::new(
            Class::Unsupported,
            format!("{member} {v:?} is not supported: Coffer supports {supported} only"),
        )),
        _ => Ok(()),
    }
}

/// The model's camel-case member name in AWS's validation messages (`KeyId` → `keyId`).
pub(crate) fn camel(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|c| c.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
}

fn length_error(member: &str, min: usize, max: usize) -> CliError {
    CliError::validation(format!(
        "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must have length less than \
         or equal to {max} and greater than or equal to {min}",
        camel(member)
    ))
}

/// The model's length constraint on a string member (in characters).
///
/// # Errors
/// ValidationException.
pub(crate) fn check_len(member: &str, s: &str, min: usize, max: usize) -> Result<(), CliError> {
    let n = s.chars().count();
    if n < min || n > max {
        return Err(length_error(member, min, max));
    }
    Ok(())
}

/// [`check_len`] on an optional member.
///
/// # Errors
/// ValidationException.
pub(crate) fn check_opt_len(member: &str, s: Option<&str>, min: usize, max: usize) -> Result<(), CliError> {
    s.map_or(Ok(()), |s| check_len(member, s, min, max))
}

/// The model's range constraint on an integer member, and the value in the type the façade
/// takes.
///
/// # Errors
/// ValidationException.
pub(crate) fn ranged<T: TryFrom<i64>>(member: &str, n: i64, min: i64, max: i64) -> Result<T, CliError> {
    let out_of_range = || {
        CliError::validation(format!(
            "1 validation error detected: Value '{n}' at '{}' failed to satisfy constraint: Member must have value \
             less than or equal to {max} and greater than or equal to {min}",
            camel(member)
        ))
    };
    if !(min..=max).contains(&n) {
        return Err(out_of_range());
    }
    T::try_from(n).map_err(|_| out_of_range())
}

/// [`ranged`] on an optional member.
///
/// # Errors
/// ValidationException.
pub(crate) fn opt_ranged<T: TryFrom<i64>>(
    member: &str,
    n: Option<i64>,
    min: i64,
    max: i64,
) -> Result<Option<T>, CliError> {
    n.map(|n| ranged(member, n, min, max)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_take_base64_and_nothing_else() {
        let blob: Blob = serde_json::from_str(r#""aGk=""#).unwrap();
        assert_eq!(blob.as_bytes(), b"hi");
        // The command line's forms are not base64: refused, never read from disk.
        for text in [r#""fileb:///etc/passwd""#, r#""file:///etc/passwd""#, r#""/etc/passwd""#, r#""aGk""#, "7"] {
            assert!(serde_json::from_str::<Blob>(text).is_err(), "{text}");
        }
        assert_eq!(format!("{blob:?}"), "Blob(2 bytes)");
        assert_eq!(serde_json::to_string(&blob).unwrap(), r#""aGk=""#);
    }

    #[test]
    fn secrets_and_timestamps_are_plain_json() {
        let secret = SecretBlob::copy_of(b"hi");
        assert_eq!(serde_json::to_string(&secret).unwrap(), r#""aGk=""#);
        assert_eq!(format!("{secret:?}"), "SecretBlob(2 bytes)");
        assert_eq!(serde_json::to_string(&Timestamp(1_795_458_248)).unwrap(), "1795458248");
    }

    #[test]
    fn contexts_are_maps_of_strings() {
        let c: Context = serde_json::from_str(r#"{"b":"2","a":"1"}"#).unwrap();
        assert_eq!(c.0, vec![("b".into(), "2".into()), ("a".into(), "1".into())]);
        assert!(serde_json::from_str::<Context>(r#"{"a":1}"#).is_err());
        assert!(serde_json::from_str::<Context>(r#"{"a":"1","a":"2"}"#).is_err());
        assert!(serde_json::from_str::<Context>(r#"["a"]"#).is_err());
    }

    #[test]
    fn refused_members_ask_for_something_unless_false_or_empty() {
        for (text, meaningful) in [
            ("false", false),
            ("[]", false),
            ("true", true),
            ("[1]", true),
            ("{}", true),
            (r#""p""#, true),
            ("3", true),
        ] {
            let r: Refused = serde_json::from_str(text).unwrap();
            assert_eq!(r.meaningful, meaningful, "{text}");
        }
    }

    #[test]
    fn constraints() {
        assert!(check_len("KeyId", "", 1, 2048).is_err());
        assert!(check_len("KeyId", "k", 1, 2048).is_ok());
        assert_eq!(ranged::<u16>("NumberOfBytes", 1024, 1, 1024).unwrap(), 1024);
        let e = ranged::<u16>("NumberOfBytes", 0, 1, 1024).unwrap_err();
        assert!(e.message.contains("'numberOfBytes'"), "{}", e.message);
        assert!(only("KeySpec", Some("RSA_2048"), "SYMMETRIC_DEFAULT").is_err());
        assert!(only("KeySpec", None, "SYMMETRIC_DEFAULT").is_ok());
    }
}
