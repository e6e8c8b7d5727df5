//! What a caller may pass wherever a key is expected: a key id, a key ARN, an alias name or an
//! alias ARN.

use super::alias::{AliasName, AliasNameError};
use super::arn::ArnPrefix;
use super::id::KeyId;

/// Longest key reference accepted (AWS `KeyIdType`).
pub const MAX_KEY_REF_LEN: usize = 2048;

/// A parsed key reference, not yet resolved against the store.
// The alias variant is larger, but there is no heap to box it into, and a KeyRef lives briefly
// on the stack.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// A key id, given directly or as a key ARN.
    Id(KeyId),
    /// An alias, given by name or as an alias ARN.
    Alias(AliasName),
}

/// Why a key reference was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefError {
    /// Neither a key id, an alias name, nor an ARN of either.
    Malformed,
    /// A well-formed ARN of another partition, region or account: no such key here.
    Foreign,
}

impl KeyRef {
    /// Parses `text` against this Coffer's ARN prefix.
    ///
    /// # Errors
    /// [`KeyRefError::Malformed`] for text that names nothing; [`KeyRefError::Foreign`] for an
    /// ARN of another account, region or partition.
    pub fn parse(text: &str, prefix: &ArnPrefix) -> Result<Self, KeyRefError> {
        if text.is_empty() || text.len() > MAX_KEY_REF_LEN {
            return Err(KeyRefError::Malformed);
        }
        let (resource, from_arn) = match prefix.strip(text) {
            Ok(Some(resource)) => (resource, true),
            Ok(None) => (text, false),
            Err(_) => return Err(KeyRefError::Foreign),
        };
        if let Some(id) = resource.strip_prefix("key/").filter(|_| from_arn) {
            return KeyId::parse(id).map(Self::Id).ok_or(KeyRefError::Malformed);
        }
        if resource.starts_with("alias/") {
            return AliasName::parse(resource).map(Self::Alias).map_err(|e| match e {
                AliasNameError::Malformed | AliasNameError::Reserved => KeyRefError::Malformed,
            });
        }
        if from_arn {
            return Err(KeyRefError::Malformed);
        }
        KeyId::parse(resource).map(Self::Id).ok_or(KeyRefError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn every_form_parses() {
        let p = ArnPrefix::default();
        let id = KeyId::parse(ID).unwrap();
        assert_eq!(KeyRef::parse(ID, &p), Ok(KeyRef::Id(id)));
        let arn = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(KeyRef::parse(arn, &p), Ok(KeyRef::Id(id)));
        let alias = AliasName::parse("alias/app").unwrap();
        assert_eq!(KeyRef::parse("alias/app", &p), Ok(KeyRef::Alias(alias.clone())));
        assert_eq!(KeyRef::parse("arn:aws:kms:us-east-1:000000000000:alias/app", &p), Ok(KeyRef::Alias(alias)));
    }

    #[test]
    fn foreign_and_malformed_references_are_refused() {
        let p = ArnPrefix::default();
        let other_account = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(KeyRef::parse(other_account, &p), Err(KeyRefError::Foreign));
        assert_eq!(KeyRef::parse("arn:aws:s3:us-east-1:000000000000:key/x", &p), Err(KeyRefError::Foreign));
        assert_eq!(KeyRef::parse("arn:aws:kms", &p), Err(KeyRefError::Foreign));
        assert_eq!(KeyRef::parse("arn:aws:kms:us-east-1:000000000000:key/nope", &p), Err(KeyRefError::Malformed));
        assert_eq!(KeyRef::parse("arn:aws:kms:us-east-1:000000000000:bucket/x", &p), Err(KeyRefError::Malformed));
        assert_eq!(KeyRef::parse("key/1234abcd-12ab-34cd-56ef-1234567890ab", &p), Err(KeyRefError::Malformed));
        assert_eq!(KeyRef::parse("", &p), Err(KeyRefError::Malformed));
        assert_eq!(KeyRef::parse("alias/", &p), Err(KeyRefError::Malformed));
    }

    #[test]
    fn an_arn_whose_fields_only_begin_like_the_prefix_is_foreign() {
        let p = ArnPrefix::default();
        let key = "1234abcd-12ab-34cd-56ef-1234567890ab";
        for arn in [
            "arn:aws-cn:kms:us-east-1:000000000000:key/",
            "arn:aw:kms:us-east-1:000000000000:key/",
            "arn:aws:kmsx:us-east-1:000000000000:key/",
            "arn:aws:kms:us-east-10:000000000000:key/",
            "arn:aws:kms:us-east-1:0000000000001:key/",
            "arn:aws:kms:us-east-1:000000000000key/",
            "arn:aws:kms:us-east-1:000000000000",
            "arn:aws:kms:us-east-1:",
            "arn:",
        ] {
            let text = alloc::format!("{arn}{key}");
            assert_eq!(KeyRef::parse(&text, &p), Err(KeyRefError::Foreign), "{text}");
        }
        // The resource keeps any ':' of its own (the prefix has four; the fifth field is the rest).
        assert_eq!(KeyRef::parse("arn:aws:kms:us-east-1:000000000000:alias/a:b", &p), Err(KeyRefError::Malformed));
    }
}
