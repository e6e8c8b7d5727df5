//! ARN-style names: `arn:<partition>:kms:<region>:<account>:key/<id>` and `...:alias/<name>`.

use core::fmt::{self, Write as _};
use heapless::String;

use super::id::KeyId;

/// Longest ARN Coffer produces: prefix fields at their caps plus `alias/` and a 250-byte name.
pub const MAX_ARN_LEN: usize = 4 + 16 + 5 + 32 + 1 + 12 + 1 + super::MAX_ALIAS_NAME_LEN;

/// The partition, region and account that ARNs of this Coffer name.
///
/// Coffer is not AWS; these fields exist so that ARNs look like what AWS tools expect, and an
/// ARN naming another partition, region or account is treated as a key that is not here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnPrefix {
    partition: String<16>,
    region: String<32>,
    account: String<12>,
}

/// A field of an [`ArnPrefix`] was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArnPrefixError {
    /// Partition: 1–16 of `[a-z-]`.
    Partition,
    /// Region: 1–32 of `[a-z0-9-]`.
    Region,
    /// Account: exactly 12 digits.
    Account,
}

impl ArnPrefix {
    /// Checks and builds a prefix.
    ///
    /// # Errors
    /// Names the first field that is malformed.
    pub fn new(partition: &str, region: &str, account: &str) -> Result<Self, ArnPrefixError> {
        let ok_partition = partition.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
        let ok_region = region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let partition = (!partition.is_empty() && ok_partition)
            .then(|| String::try_from(partition).ok())
            .flatten()
            .ok_or(ArnPrefixError::Partition)?;
        let region = (!region.is_empty() && ok_region)
            .then(|| String::try_from(region).ok())
            .flatten()
            .ok_or(ArnPrefixError::Region)?;
        let account = (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
            .then(|| String::try_from(account).ok())
            .flatten()
            .ok_or(ArnPrefixError::Account)?;
        Ok(Self { partition, region, account })
    }

    /// The partition (`aws` by default).
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The twelve-digit account id.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The ARN of a key.
    pub fn key_arn(&self, id: &KeyId) -> Arn {
        self.arn(format_args!("key/{id}"))
    }

    /// The ARN of an alias (`name` includes `alias/`).
    pub fn alias_arn(&self, name: &str) -> Arn {
        self.arn(format_args!("{name}"))
    }

    fn arn(&self, resource: fmt::Arguments<'_>) -> Arn {
        let mut text = String::new();
        // Cannot overflow: MAX_ARN_LEN covers every field at its cap.
        let _ = write!(text, "arn:{}:kms:{}:{}:{resource}", self.partition, self.region, self.account);
        Arn(text)
    }

    /// If `text` is an ARN, returns its resource part (`key/...` or `alias/...`) when the
    /// partition, region and account are this prefix's, `Err(())` when they are another's, and
    /// `Ok(None)` when `text` is not an ARN at all.
    pub(crate) fn strip<'a>(&self, text: &'a str) -> Result<Option<&'a str>, ForeignArn> {
        let Some(rest) = text.strip_prefix("arn:") else {
            return Ok(None);
        };
        // Matched field by field rather than split on ':' (the fields hold no ':', `new` checks
        // it): on a device, `str::SplitN` is about 300 bytes of flash for this one use.
        rest.strip_prefix(self.partition.as_str())
            .and_then(|r| r.strip_prefix(":kms:"))
            .and_then(|r| r.strip_prefix(self.region.as_str()))
            .and_then(|r| r.strip_prefix(':'))
            .and_then(|r| r.strip_prefix(self.account.as_str()))
            .and_then(|r| r.strip_prefix(':'))
            .map(Some)
            .ok_or(ForeignArn)
    }
}

impl Default for ArnPrefix {
    /// `aws`, `us-east-1`, account `000000000000`.
    fn default() -> Self {
        Self {
            partition: String::try_from("aws").unwrap_or_default(),
            region: String::try_from("us-east-1").unwrap_or_default(),
            account: String::try_from("000000000000").unwrap_or_default(),
        }
    }
}

/// An ARN that names another partition, service, region or account, or is not shaped like one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ForeignArn;

/// An ARN in a fixed buffer.
#[derive(Clone, PartialEq, Eq)]
pub struct Arn(String<MAX_ARN_LEN>);

impl Arn {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Arn({})", self.0)
    }
}
