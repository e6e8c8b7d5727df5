//! The façade's errors, in the spirit of AWS KMS's.

use core::fmt;

use crate::hsm::{ErrorKind, HsmError};
use crate::key::KeyState;
use crate::store::{StoreError, StoreErrorKind};

/// A request field, named as in the AWS KMS API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[allow(missing_docs)] // the names are the API's field names
pub enum Field {
    KeyId,
    TargetKeyId,
    DestinationKeyId,
    AliasName,
    Description,
    PendingWindowInDays,
    RotationPeriodInDays,
    NumberOfBytes,
    Plaintext,
    CiphertextBlob,
    EncryptionContext,
    Limit,
    Marker,
    MinimumDecryptionVersion,
}

impl Field {
    /// The API name of the field.
    pub const fn name(self) -> &'static str {
        match self {
            Self::KeyId => "KeyId",
            Self::TargetKeyId => "TargetKeyId",
            Self::DestinationKeyId => "DestinationKeyId",
            Self::AliasName => "AliasName",
            Self::Description => "Description",
            Self::PendingWindowInDays => "PendingWindowInDays",
            Self::RotationPeriodInDays => "RotationPeriodInDays",
            Self::NumberOfBytes => "NumberOfBytes",
            Self::Plaintext => "Plaintext",
            Self::CiphertextBlob => "CiphertextBlob",
            Self::EncryptionContext => "EncryptionContext",
            Self::Limit => "Limit",
            Self::Marker => "Marker",
            Self::MinimumDecryptionVersion => "MinimumDecryptionVersion",
        }
    }
}

/// What is wrong with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// A number outside `min..=max`.
    OutOfRange {
        /// Smallest value allowed.
        min: u64,
        /// Largest value allowed.
        max: u64,
    },
    /// A length outside `min..=max` bytes.
    Length {
        /// Shortest allowed.
        min: usize,
        /// Longest allowed.
        max: usize,
    },
    /// Not shaped as the field requires.
    Malformed,
    /// Too many encryption-context pairs.
    TooManyPairs,
    /// An encryption-context key given twice.
    DuplicateKey,
}

/// A request refused before anything was done (AWS `ValidationException`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidationError {
    /// The field.
    pub field: Field,
    /// What is wrong with it.
    pub problem: Problem,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.field.name();
        match self.problem {
            Problem::OutOfRange { min, max } => write!(f, "{name} must be between {min} and {max}"),
            Problem::Length { min, max } => {
                write!(f, "{name} must be between {min} and {max} bytes long")?;
                if self.field == Field::Plaintext {
                    f.write_str(
                        "; to encrypt more than that, generate a data key (GenerateDataKey) and encrypt locally with it",
                    )?;
                }
                Ok(())
            }
            Problem::Malformed => write!(f, "{name} is malformed"),
            Problem::TooManyPairs => {
                write!(f, "{name} has more than {} pairs", crate::data::MAX_CONTEXT_PAIRS)
            }
            Problem::DuplicateKey => write!(f, "{name} has a key given twice"),
        }
    }
}

impl core::error::Error for ValidationError {}

/// A resource limit that was reached (AWS `LimitExceededException`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    /// The key store has no room for another record.
    StoreFull,
    /// The key's version numbers are exhausted (2^32 − 1 versions).
    Versions,
    /// The key has had as many on-demand rotations as
    /// [`KmsConfig::max_on_demand_rotations`](crate::KmsConfig) allows (25 by default, as AWS
    /// KMS); automatic rotation goes on.
    OnDemandRotations,
}

/// What a KMS operation can fail with.
///
/// `H` and `S` are the HSM's and the store's own errors, kept whole so their detail (a CKR_*
/// code, an I/O error) is not lost. [`Error::code`] gives the AWS error name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error<H, S> {
    /// The request was refused before anything was done.
    Validation(ValidationError),
    /// No such key or alias (or an ARN of another account/region).
    NotFound,
    /// The alias already exists.
    AlreadyExists,
    /// The alias name is malformed or reserved (`alias/aws/`).
    InvalidAliasName,
    /// The key is disabled.
    Disabled,
    /// The key's state does not allow the operation (pending deletion, or a state change that
    /// does not apply).
    InvalidState(KeyState),
    /// The ciphertext could not be decrypted: malformed, tampered, wrong context, wrong or retired
    /// version. Deliberately says nothing more.
    InvalidCiphertext,
    /// The ciphertext was made under another key than the one the caller expected.
    IncorrectKey,
    /// A limit was reached.
    LimitExceeded(LimitKind),
    /// A stored record failed its authentication or did not decode: it was edited, forged or
    /// corrupted outside the HSM, and is refused.
    CorruptRecord,
    /// The HSM lacks a capability the façade needs.
    Unsupported,
    /// The clock could not tell the time.
    Clock,
    /// The HSM failed.
    Hsm(H),
    /// The key store failed.
    Store(S),
}

impl<H: HsmError, S: StoreError> Error<H, S> {
    /// The AWS KMS error name a client would see (`NotFoundException`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "ValidationException",
            Self::NotFound => "NotFoundException",
            Self::AlreadyExists => "AlreadyExistsException",
            Self::InvalidAliasName => "InvalidAliasNameException",
            Self::Disabled => "DisabledException",
            Self::InvalidState(_) => "KMSInvalidStateException",
            Self::InvalidCiphertext => "InvalidCiphertextException",
            Self::IncorrectKey => "IncorrectKeyException",
            Self::LimitExceeded(_) => "LimitExceededException",
            Self::Unsupported => "UnsupportedOperationException",
            Self::Hsm(e)
                if matches!(
                    e.kind(),
                    ErrorKind::KeyHandleInvalid
                        | ErrorKind::SessionClosed
                        | ErrorKind::NotLoggedIn
                        | ErrorKind::Unavailable
                ) =>
            {
                "KeyUnavailableException"
            }
            Self::CorruptRecord | Self::Clock | Self::Hsm(_) => "KMSInternalException",
            Self::Store(e) if e.kind() == StoreErrorKind::Full => "LimitExceededException",
            Self::Store(_) => "KMSInternalException",
        }
    }

    /// The HSM error kind, if the HSM failed.
    pub fn hsm_kind(&self) -> Option<ErrorKind> {
        match self {
            Self::Hsm(e) => Some(e.kind()),
            _ => None,
        }
    }
}

impl<H: fmt::Display, S: fmt::Display> fmt::Display for Error<H, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Validation(v) => fmt::Display::fmt(v, f),
            Self::NotFound => f.write_str("key or alias not found"),
            Self::AlreadyExists => f.write_str("an alias with this name already exists"),
            Self::InvalidAliasName => {
                f.write_str("alias names are alias/ followed by 1 to 250 of [A-Za-z0-9/_-]; alias/aws/ is reserved")
            }
            Self::Disabled => f.write_str("the key is disabled"),
            Self::InvalidState(state) => write!(f, "the operation is not valid for a key in state {state}"),
            Self::InvalidCiphertext => f.write_str("the ciphertext could not be decrypted"),
            Self::IncorrectKey => f.write_str("the ciphertext was encrypted under a different key"),
            Self::LimitExceeded(LimitKind::StoreFull) => f.write_str("the key store is full"),
            Self::LimitExceeded(LimitKind::Versions) => f.write_str("the key has no version number left"),
            Self::LimitExceeded(LimitKind::OnDemandRotations) => {
                f.write_str("the key has had as many on-demand rotations as allowed; automatic rotation still applies")
            }
            Self::CorruptRecord => f.write_str("a stored record failed authentication and was refused"),
            Self::Unsupported => f.write_str("the HSM does not support an operation Coffer needs"),
            Self::Clock => f.write_str("the clock could not tell the time"),
            Self::Hsm(e) => write!(f, "HSM: {e}"),
            Self::Store(e) => write!(f, "key store: {e}"),
        }
    }
}

impl<H: fmt::Debug + fmt::Display, S: fmt::Debug + fmt::Display> core::error::Error for Error<H, S> {}

impl<H, S> From<ValidationError> for Error<H, S> {
    fn from(v: ValidationError) -> Self {
        Self::Validation(v)
    }
}
