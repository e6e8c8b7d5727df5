//! KMS keys: identifiers, references (id, alias, ARN), lifecycle state, versions and records.
//!
//! A KMS key is a record (authenticated by the root sealing key, kept in a
//! [`KeyStore`](crate::store::KeyStore)) listing its versions; each version's AES-256 material is
//! stored wrapped under the root wrapping key.

mod alias;
mod arn;
mod id;
mod metadata;
pub(crate) mod record;
mod reference;
mod state;

pub(crate) use alias::AliasRecord;
pub use alias::{AliasEntry, AliasName, AliasNameError, MAX_ALIAS_NAME_LEN};
pub use arn::{Arn, ArnPrefix, ArnPrefixError, MAX_ARN_LEN};
pub use id::{KEY_ID_STR_LEN, KeyId, KeyIdText};
pub use metadata::{KeyMetadata, KeyVersionInfo, RotationStatus, RotationType};
pub use record::MAX_VERSIONS;
pub use reference::{KeyRef, KeyRefError, MAX_KEY_REF_LEN};
pub use state::KeyState;

/// The largest description a key may carry, in bytes (AWS KMS's limit).
pub const MAX_DESCRIPTION_LEN: usize = 8192;
