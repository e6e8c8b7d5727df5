//! An operation's response (`crate::api`) as the command line's document (`crate::output`):
//! the same serde value the server writes as JSON, walked by a serializer that builds an
//! [`Obj`] instead. So both front ends answer with the same members, in the same order; only
//! the two newtypes of the wire types read differently here: a timestamp prints as an ISO 8601
//! date (as the AWS CLI prints dates), a secret stays a [`Val::Secret`] (zeroizing, never
//! copied into a plain string).

use core::fmt;

use serde::Serialize;
use serde::ser::{self, Impossible};
use zeroize::Zeroizing;

use crate::api::wire::{SECRET, TIMESTAMP};
use crate::error::{Class, CliError};
use crate::output::{Obj, Val};

/// `answer` as a document.
///
/// # Errors
/// KMSInternalException if the answer is not an object of the shapes a document holds (a
/// response type the table should not have).
pub(crate) fn of<T: Serialize>(answer: &T) -> Result<Obj, CliError> {
    match answer.serialize(Doc) {
        Ok(Val::Obj(obj)) => Ok(obj),
        Ok(_) => Err(CliError::new(Class::Internal, "an answer is not an object")),
        Err(e) => Err(CliError::new(Class::Internal, format!("an answer cannot be shown: {}", e.0))),
    }
}

/// Why a value has no document form.
#[derive(Debug)]
pub(crate) struct Unsupported(String);

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self(msg.to_string())
    }
}

fn unsupported<T>(what: &str) -> Result<T, Unsupported> {
    Err(Unsupported(format!("{what} has no document form")))
}

/// The serializer: a value to a [`Val`].
struct Doc;

/// A list being built: strings become [`Val::StrList`], objects [`Val::List`].
struct Seq(Vec<Val>);

/// An object being built.
struct Fields(Obj);

impl ser::Serializer for Doc {
    type Ok = Val;
    type Error = Unsupported;
    type SerializeSeq = Seq;
    type SerializeTuple = Seq;
    type SerializeTupleStruct = Impossible<Val, Unsupported>;
    type SerializeTupleVariant = Impossible<Val, Unsupported>;
    type SerializeMap = Impossible<Val, Unsupported>;
    type SerializeStruct = Fields;
    type SerializeStructVariant = Impossible<Val, Unsupported>;

    fn serialize_bool(self, v: bool) -> Result<Val, Unsupported> {
        Ok(Val::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Val, Unsupported> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<Val, Unsupported> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<Val, Unsupported> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<Val, Unsupported> {
        u64::try_from(v).map(Val::Num).or_else(|_| unsupported("a negative number"))
    }
    fn serialize_u8(self, v: u8) -> Result<Val, Unsupported> {
        Ok(Val::Num(u64::from(v)))
    }
    fn serialize_u16(self, v: u16) -> Result<Val, Unsupported> {
        Ok(Val::Num(u64::from(v)))
    }
    fn serialize_u32(self, v: u32) -> Result<Val, Unsupported> {
        Ok(Val::Num(u64::from(v)))
    }
    fn serialize_u64(self, v: u64) -> Result<Val, Unsupported> {
        Ok(Val::Num(v))
    }
    fn serialize_f32(self, _: f32) -> Result<Val, Unsupported> {
        unsupported("a float")
    }
    fn serialize_f64(self, _: f64) -> Result<Val, Unsupported> {
        unsupported("a float")
    }
    fn serialize_char(self, v: char) -> Result<Val, Unsupported> {
        Ok(Val::Str(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Val, Unsupported> {
        Ok(Val::Str(v.to_owned()))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Val, Unsupported> {
        unsupported("raw bytes")
    }
    fn serialize_none(self) -> Result<Val, Unsupported> {
        unsupported("a null")
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Val, Unsupported> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Val, Unsupported> {
        unsupported("a unit")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Val, Unsupported> {
        unsupported("a unit")
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<Val, Unsupported> {
        Ok(Val::Str(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Val, Unsupported> {
        match (name, value.serialize(Doc)?) {
            (TIMESTAMP, Val::Num(t)) => Ok(Val::Str(crate::time::iso(t))),
            // The base64 string (allocated at its exact length) moves into the zeroizing form.
            (SECRET, Val::Str(text)) => Ok(Val::Secret(Zeroizing::new(text))),
            (TIMESTAMP | SECRET, _) => unsupported("a malformed timestamp or secret"),
            (_, val) => Ok(val),
        }
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Val, Unsupported> {
        unsupported("an enum variant")
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq, Unsupported> {
        Ok(Seq(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq, Unsupported> {
        Ok(Seq(Vec::with_capacity(len)))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Unsupported> {
        unsupported("a tuple struct")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        unsupported("an enum variant")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Unsupported> {
        unsupported("a map")
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Fields, Unsupported> {
        Ok(Fields(Obj::new()))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        unsupported("an enum variant")
    }
}

impl Seq {
    fn push<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.0.push(value.serialize(Doc)?);
        Ok(())
    }

    fn end(self) -> Result<Val, Unsupported> {
        // A list holds strings or objects, never a mix (an empty one prints as either).
        if self.0.iter().all(|v| matches!(v, Val::Str(_))) {
            let items = self.0.into_iter().filter_map(|v| if let Val::Str(s) = v { Some(s) } else { None });
            return Ok(Val::StrList(items.collect()));
        }
        let mut objects = Vec::with_capacity(self.0.len());
        for v in self.0 {
            match v {
                Val::Obj(o) => objects.push(o),
                _ => return unsupported("a list of mixed values"),
            }
        }
        Ok(Val::List(objects))
    }
}

impl ser::SerializeSeq for Seq {
    type Ok = Val;
    type Error = Unsupported;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.push(value)
    }
    fn end(self) -> Result<Val, Unsupported> {
        Seq::end(self)
    }
}

impl ser::SerializeTuple for Seq {
    type Ok = Val;
    type Error = Unsupported;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.push(value)
    }
    fn end(self) -> Result<Val, Unsupported> {
        Seq::end(self)
    }
}

impl ser::SerializeStruct for Fields {
    type Ok = Val;
    type Error = Unsupported;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Unsupported> {
        self.0.0.push((key, value.serialize(Doc)?));
        Ok(())
    }
    fn end(self) -> Result<Val, Unsupported> {
        Ok(Val::Obj(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::wire::{Blob, SecretBlob, Timestamp};

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Inner {
        key_id: String,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Answer {
        creation_date: Timestamp,
        plaintext: SecretBlob,
        ciphertext_blob: Blob,
        algorithms: [&'static str; 1],
        keys: Vec<Inner>,
        empty: Vec<Inner>,
        #[serde(skip_serializing_if = "Option::is_none")]
        absent: Option<u32>,
        count: u32,
        enabled: bool,
    }

    /// Dates print as ISO 8601, the secret stays a secret value, lists keep their kind, and the
    /// members keep the JSON answer's order.
    #[test]
    fn the_document_is_the_json_answer_with_dates_in_iso() {
        let answer = Answer {
            creation_date: Timestamp(1_795_458_248),
            plaintext: SecretBlob::copy_of(b"hi"),
            ciphertext_blob: Blob::copy_of(b"ct"),
            algorithms: ["SYMMETRIC_DEFAULT"],
            keys: vec![Inner { key_id: "k".into() }],
            empty: Vec::new(),
            absent: None,
            count: 3,
            enabled: true,
        };
        let doc = of(&answer).unwrap();
        let names: Vec<&str> = doc.0.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            ["CreationDate", "Plaintext", "CiphertextBlob", "Algorithms", "Keys", "Empty", "Count", "Enabled"]
        );
        assert!(matches!(&doc.0[0].1, Val::Str(s) if s == "2026-11-23T18:24:08+00:00"));
        assert!(matches!(&doc.0[1].1, Val::Secret(s) if s.as_str() == "aGk="));
        assert!(matches!(&doc.0[2].1, Val::Str(s) if s == "Y3Q="));
        assert!(matches!(&doc.0[3].1, Val::StrList(l) if l == &["SYMMETRIC_DEFAULT"]));
        assert!(matches!(&doc.0[4].1, Val::List(l) if l.len() == 1));
        assert!(matches!(&doc.0[6].1, Val::Num(3)));
        assert!(matches!(&doc.0[7].1, Val::Bool(true)));
        // The JSON answer: the same members, dates as numbers.
        let json: serde_json::Value = serde_json::from_str(&crate::api::json::encode(&answer).unwrap()).unwrap();
        assert_eq!(json["CreationDate"], 1_795_458_248);
        assert_eq!(json["Plaintext"], "aGk=");
        assert_eq!(json.as_object().unwrap().len(), names.len());
    }
}
