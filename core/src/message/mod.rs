//! Large data: the AWS Encryption SDK message format, version 2, with its committing suites.
//!
//! A message is a header (suite, random 32-byte message id, encryption context, one or more
//! encrypted data keys, frame length, key commitment, header tag), a body of frames (the last
//! one marked final) and, for the signed suite `05 78`, a footer with an ECDSA P-384 signature.
//! Official SDKs read what Coffer writes and the other way round; `docs/FORMAT.md` of the
//! repository has the byte layout and a test vector.
//!
//! Memory is bounded and caller-provided: the header is parsed into borrowed slices under fixed
//! caps, frames are sealed and opened one at a time in a caller workspace, so a message of any
//! size needs only about one frame of memory.
//!
//! - [`AlgorithmSuite`]: `04 78` and `05 78`; legacy non-committing suites are refused.
//! - [`EncryptionMaterials`], [`DecryptionMaterials`] and the [`Keyring`] trait.

mod decrypt;
mod edk;
mod encrypt;
mod error;
mod frame;
mod header;
#[cfg(feature = "std")]
mod io;
mod kdf;
mod keyring;
mod kms_keyring;
mod materials;
mod multi;
mod raw_aes;
mod signing;
mod suite;

pub use decrypt::{Decryptor, decrypt_buffered};
pub use encrypt::{DEFAULT_FRAME_LENGTH, EncryptConfig, Encryptor};
pub use error::{DecryptError, EncryptError};
pub use header::{CONTENT_TYPE_FRAMED, FORMAT_VERSION, Header, HeaderError, HeaderLimit, MAX_HEADER_LEN};

pub use edk::{
    EdkRef, EdkTooLong, EncryptedDataKey, MAX_EDK_CIPHERTEXT_LEN, MAX_PROVIDER_ID_LEN, MAX_PROVIDER_INFO_LEN,
};
#[cfg(feature = "std")]
pub use io::{DecryptingReader, EncryptingWriter};
pub use keyring::{Keyring, KeyringError};
pub use kms_keyring::{KMS_PROVIDER_ID, KmsKeyring};
pub use materials::{
    DATA_KEY_LEN, DEFAULT_MAX_EDKS, DataKey, DecryptionMaterials, EncryptionMaterials, Limits, MAX_EDKS,
    MaterialsError, RESERVED_CONTEXT_PREFIX,
};
pub use multi::{KeyringList, MultiKeyring};
pub use raw_aes::{RawAesKeyring, RawAesKeyringError};
pub use suite::{AlgorithmSuite, SuiteError};

/// Length of a message id (format version 2).
pub const MESSAGE_ID_LEN: usize = 32;
/// Length of the key commitment in the header (format version 2, committing suites).
pub const COMMITMENT_LEN: usize = 32;
/// Length of an AES-GCM tag.
pub const TAG_LEN: usize = 16;
/// Length of an AES-GCM IV.
pub const IV_LEN: usize = 12;
