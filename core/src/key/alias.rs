//! Alias names: `alias/` followed by 1–250 of `[A-Za-z0-9/_-]`, `alias/aws/` reserved.

use core::fmt;
use heapless::String;

use super::id::KeyId;
use crate::clock::Timestamp;

/// The longest alias name, `alias/` included.
pub const MAX_ALIAS_NAME_LEN: usize = 256;
const PREFIX: &str = "alias/";
const RESERVED_PREFIX: &str = "alias/aws/";

/// A well-formed alias name.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AliasName(String<MAX_ALIAS_NAME_LEN>);

/// Why an alias name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AliasNameError {
    /// Not `alias/` + 1–250 of `[A-Za-z0-9/_-]`.
    Malformed,
    /// Under `alias/aws/`, which is reserved for AWS-managed keys.
    Reserved,
}

impl AliasName {
    /// Checks the syntax only (reserved names are accepted: they can be looked up, never created).
    ///
    /// # Errors
    /// [`AliasNameError::Malformed`].
    pub fn parse(text: &str) -> Result<Self, AliasNameError> {
        let rest = text.strip_prefix(PREFIX).ok_or(AliasNameError::Malformed)?;
        let ok_chars = rest.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-'));
        if rest.is_empty() || text.len() > MAX_ALIAS_NAME_LEN || !ok_chars {
            return Err(AliasNameError::Malformed);
        }
        String::try_from(text).map(Self).map_err(|_| AliasNameError::Malformed)
    }

    /// Checks the syntax and that the name is not reserved: the names a caller may create,
    /// re-point or delete.
    ///
    /// # Errors
    /// [`AliasNameError::Malformed`] or [`AliasNameError::Reserved`].
    pub fn parse_custom(text: &str) -> Result<Self, AliasNameError> {
        let name = Self::parse(text)?;
        if name.is_reserved() {
            return Err(AliasNameError::Reserved);
        }
        Ok(name)
    }

    /// True for names under `alias/aws/`.
    pub fn is_reserved(&self) -> bool {
        self.0.starts_with(RESERVED_PREFIX)
    }

    /// The name, `alias/` included.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AliasName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AliasName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AliasName({})", self.0)
    }
}

/// An alias as ListAliases reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasEntry {
    /// The alias name.
    pub name: AliasName,
    /// The key it points at.
    pub target_key_id: KeyId,
    /// When the alias was created.
    pub creation_date: Timestamp,
    /// When it was last re-pointed (its creation date if never).
    pub last_updated_date: Timestamp,
}

/// An alias record's body: `[16] target key id, u64 creation date, u64 last-updated date`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AliasRecord {
    pub(crate) target: KeyId,
    pub(crate) creation_date: Timestamp,
    pub(crate) last_updated_date: Timestamp,
}

impl AliasRecord {
    pub(crate) fn encode(&self, out: &mut [u8]) -> Option<usize> {
        let mut w = crate::encoding::Writer::new(out);
        w.put(self.target.as_bytes()).ok()?;
        w.u64(self.creation_date).ok()?;
        w.u64(self.last_updated_date).ok()?;
        Some(w.len())
    }

    pub(crate) fn decode(body: &[u8]) -> Option<Self> {
        let mut r = crate::encoding::Reader::new(body);
        let target = KeyId::from_bytes(r.array().ok()?);
        let creation_date = r.u64().ok()?;
        let last_updated_date = r.u64().ok()?;
        r.finish().ok()?;
        Some(Self { target, creation_date, last_updated_date })
    }
}

#[cfg(test)]
mod tests {
    extern crate alloc;
    use super::*;
    use alloc::string::String as StdString;

    fn name_of(len: usize) -> StdString {
        let mut s = StdString::from("alias/");
        s.extend(core::iter::repeat_n('a', len));
        s
    }

    #[test]
    fn length_edges_one_and_250_allowed_zero_and_251_refused() {
        assert_eq!(AliasName::parse(&name_of(0)), Err(AliasNameError::Malformed));
        assert!(AliasName::parse(&name_of(1)).is_ok());
        assert!(AliasName::parse(&name_of(250)).is_ok());
        assert_eq!(AliasName::parse(&name_of(251)), Err(AliasNameError::Malformed));
    }

    #[test]
    fn character_set_and_prefix() {
        assert!(AliasName::parse("alias/Ab0/_-z").is_ok());
        assert_eq!(AliasName::parse("alias/a b"), Err(AliasNameError::Malformed));
        assert_eq!(AliasName::parse("alias/a:b"), Err(AliasNameError::Malformed));
        assert_eq!(AliasName::parse("alias/\u{e9}"), Err(AliasNameError::Malformed));
        assert_eq!(AliasName::parse("Alias/abc"), Err(AliasNameError::Malformed));
        assert_eq!(AliasName::parse("abc"), Err(AliasNameError::Malformed));
    }

    #[test]
    fn alias_record_round_trip_and_exact_length() {
        const LEN: usize = 16 + 8 + 8;
        let rec = AliasRecord { target: KeyId::from_random([1; 16]), creation_date: 2, last_updated_date: 3 };
        let mut buf = [0u8; LEN + 1];
        assert_eq!(rec.encode(&mut buf), Some(LEN));
        assert_eq!(AliasRecord::decode(&buf[..LEN]), Some(rec));
        assert_eq!(AliasRecord::decode(&buf[..LEN - 1]), None);
        assert_eq!(AliasRecord::decode(&buf), None);
    }

    #[test]
    fn reserved_prefix_is_parseable_but_not_creatable() {
        assert!(AliasName::parse("alias/aws/s3").is_ok());
        assert_eq!(AliasName::parse_custom("alias/aws/s3"), Err(AliasNameError::Reserved));
        assert!(AliasName::parse_custom("alias/awsome").is_ok());
    }
}
