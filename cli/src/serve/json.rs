//! Request bodies as JSON values, with a name given twice in any object refused.
//!
//! serde_json keeps the last of two members of the same name (`{"tenant":"A","tenant":"B"}`
//! is `tenant=B`). A caller, a proxy and Coffer could then each read a different request
//! (which tenant's context was checked?), so the server refuses such a body, as the command
//! line refuses a context key given twice. Objects at every depth are checked, not only the
//! encryption contexts.

use core::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Why a body was refused.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Not JSON (or not within serde_json's nesting limit).
    Malformed(serde_json::Error),
    /// An object names a member twice; the name (the first one found, in document order).
    Duplicate(String),
}

/// Parses `body` as one JSON value whose objects name each member once.
///
/// # Errors
/// [`BodyError::Malformed`] for what is not JSON, [`BodyError::Duplicate`] for a repeated name.
pub(crate) fn parse(body: &[u8]) -> Result<Value, BodyError> {
    let Checked { value, duplicate } = serde_json::from_slice(body).map_err(BodyError::Malformed)?;
    match duplicate {
        Some(name) => Err(BodyError::Duplicate(name)),
        None => Ok(value),
    }
}

/// A value and the first name found twice in one of its objects. The parse goes on after a
/// duplicate (the body is bounded), so no serde error has to carry the finding.
struct Checked {
    value: Value,
    duplicate: Option<String>,
}

impl Checked {
    fn plain(value: Value) -> Self {
        Self { value, duplicate: None }
    }
}

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // serde_json's own nesting limit (128) applies here too: its deserializer enforces it.
        deserializer.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Checked, E> {
        Ok(Checked::plain(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Checked, E> {
        Ok(Checked::plain(Value::Number(v.into())))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Checked, E> {
        Ok(Checked::plain(Value::Number(v.into())))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Checked, E> {
        // JSON text cannot spell NaN or infinity; serde_json maps what overflows to an error.
        Ok(Checked::plain(Number::from_f64(v).map_or(Value::Null, Value::Number)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Checked, E> {
        Ok(Checked::plain(Value::String(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Checked, E> {
        Ok(Checked::plain(Value::String(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked::plain(Value::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked::plain(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        let mut items = Vec::new();
        let mut duplicate = None;
        while let Some(item) = seq.next_element::<Checked>()? {
            duplicate = duplicate.or(item.duplicate);
            items.push(item.value);
        }
        Ok(Checked { value: Value::Array(items), duplicate })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        let mut members = Map::new();
        let mut duplicate = None;
        while let Some((name, item)) = map.next_entry::<String, Checked>()? {
            duplicate = duplicate.or(item.duplicate);
            if members.contains_key(&name) {
                duplicate = duplicate.or(Some(name));
            } else {
                members.insert(name, item.value);
            }
        }
        Ok(Checked { value: Value::Object(members), duplicate })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duplicate(body: &str) -> Option<String> {
        match parse(body.as_bytes()) {
            Err(BodyError::Duplicate(name)) => Some(name),
            Ok(_) => None,
            Err(BodyError::Malformed(e)) => panic!("{body}: {e}"),
        }
    }

    #[test]
    fn duplicates_are_found_at_every_depth() {
        assert_eq!(duplicate(r#"{"tenant":"A","tenant":"B"}"#).as_deref(), Some("tenant"));
        assert_eq!(duplicate(r#"{"KeyId":"a","KeyId":"a"}"#).as_deref(), Some("KeyId"));
        assert_eq!(duplicate(r#"{"C":{"t":"A","u":"x","t":"B"}}"#).as_deref(), Some("t"));
        assert_eq!(duplicate(r#"{"L":[1,{"a":{"b":1,"b":2}}]}"#).as_deref(), Some("b"));
        // Escapes are decoded before names are compared.
        assert_eq!(duplicate(r#"{"t":"A","\u0074":"B"}"#).as_deref(), Some("t"));
        assert_eq!(duplicate(r#"{"t":"A","T":"B","a":{"t":1}}"#), None);
    }

    #[test]
    fn values_are_what_serde_json_reads() {
        let body = r#"{"a":[1,-2,3.5,true,null,"x\n"],"b":{"c":18446744073709551615},"d":""}"#;
        let want: Value = serde_json::from_str(body).unwrap();
        assert_eq!(parse(body.as_bytes()).unwrap(), want);
        assert!(matches!(parse(b"{\"a\":"), Err(BodyError::Malformed(_))));
        assert!(matches!(parse(b"{} {}"), Err(BodyError::Malformed(_))));
        let deep = "[".repeat(10_000);
        assert!(matches!(parse(deep.as_bytes()), Err(BodyError::Malformed(_))));
    }
}
