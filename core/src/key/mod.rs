//! KMS keys: identifiers, references (id, alias, ARN), lifecycle state, versions and records.
//!
//! A KMS key is stored as sealed records (authenticated by the root sealing key, kept in a
//! [`KeyStore`](crate::store::KeyStore)): a small key record with its state and current version,
//! one record per version holding that version's AES-256 material wrapped under the root
//! wrapping key, and a description record when it has a description.

mod alias;
mod arn;
pub(crate) mod description;
mod id;
pub(crate) mod legacy;
mod metadata;
pub(crate) mod record;
mod reference;
mod state;
pub(crate) mod version;

pub(crate) use alias::AliasRecord;
pub use alias::{AliasEntry, AliasName, AliasNameError, MAX_ALIAS_NAME_LEN};
pub use arn::{Arn, ArnPrefix, ArnPrefixError, MAX_ARN_LEN};
pub use description::Description;
pub use id::{KEY_ID_STR_LEN, KeyId, KeyIdText};
pub use metadata::{KeyMetadata, KeyVersionInfo, RotationStatus, RotationType};
pub use reference::{KeyRef, KeyRefError, MAX_KEY_REF_LEN};
pub use state::KeyState;

/// The largest description a key may carry, in bytes (AWS KMS's limit).
pub const MAX_DESCRIPTION_LEN: usize = 8192;
