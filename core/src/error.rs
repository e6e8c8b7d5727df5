//! The façade's errors, in the spirit of AWS KMS's.

use core::fmt;

use crate::hsm::{self, HsmError};
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
    /// Not a request field: a buffer the caller gave for an answer (`blob_out`,
    /// `plaintext_out`).
    Output,
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
            Self::Output => "the output buffer",
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
    /// A caller's output buffer shorter than the answer.
    TooSmall {
        /// Bytes the answer needs.
        needed: usize,
    },
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
            Problem::TooSmall { needed } => write!(f, "{name} must hold at least {needed} bytes"),
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
    /// A record longer than the store holds (its [`KeyStore::RecordBuf`](crate::KeyStore)):
    /// a description too long for a device's small record buffer, say.
    RecordSize,
}

/// The kind of a façade [`Error`], without the backend's detail: what generic code branches on
/// (the message format's KMS keyring carries it out of a message operation; the `coffer`
/// command maps it to an exit code). Each kind has one client-visible name, [`code`](Self::code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request was refused before anything was done.
    Validation,
    /// No such key or alias.
    NotFound,
    /// The alias already exists.
    AlreadyExists,
    /// The alias name is malformed or reserved.
    InvalidAliasName,
    /// The key is disabled.
    Disabled,
    /// The key's state does not allow the operation.
    InvalidState,
    /// The ciphertext could not be decrypted (no reason given).
    InvalidCiphertext,
    /// The ciphertext was made under another key than the one expected.
    IncorrectKey,
    /// A limit was reached (versions of a key, room in the store).
    LimitExceeded,
    /// A list operation was given a marker it did not hand out.
    InvalidMarker,
    /// The HSM lacks a capability the façade needs.
    Unsupported,
    /// The HSM, its token or the root keys cannot be reached.
    KeyUnavailable,
    /// The HSM refused its PIN (incorrect or locked).
    AccessDenied,
    /// A stored record failed authentication or did not decode.
    CorruptRecord,
    /// The HSM failed for another reason.
    Hsm,
    /// The key store failed: I/O, a lost compare-and-swap, a store that cannot be reached
    /// ([`Error::store_kind`] tells which).
    Store,
    /// The clock could not tell the time.
    Clock,
    /// Something that cannot happen did: a bug in Coffer, not a problem with the data.
    Internal,
}

impl ErrorKind {
    /// The error name a client sees: AWS KMS's where AWS has one (`NotFoundException`, ...),
    /// else Coffer's (`CorruptRecordException`, `AccessDeniedException`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::Validation => "ValidationException",
            Self::NotFound => "NotFoundException",
            Self::AlreadyExists => "AlreadyExistsException",
            Self::InvalidAliasName => "InvalidAliasNameException",
            Self::Disabled => "DisabledException",
            Self::InvalidState => "KMSInvalidStateException",
            Self::InvalidCiphertext => "InvalidCiphertextException",
            Self::IncorrectKey => "IncorrectKeyException",
            Self::LimitExceeded => "LimitExceededException",
            Self::InvalidMarker => "InvalidMarkerException",
            Self::Unsupported => "UnsupportedOperationException",
            Self::KeyUnavailable => "KeyUnavailableException",
            Self::AccessDenied => "AccessDeniedException",
            Self::CorruptRecord => "CorruptRecordException",
            Self::Hsm | Self::Store | Self::Clock | Self::Internal => "KMSInternalException",
        }
    }

    /// True for the kinds that describe what the caller sent (a ciphertext, a reference, a
    /// value) rather than the key's state or the service: a decrypt path that must not say
    /// which check failed reports these as its one opaque error, and only the others as such.
    pub const fn concerns_the_input(self) -> bool {
        matches!(
            self,
            Self::Validation
                | Self::NotFound
                | Self::AlreadyExists
                | Self::InvalidAliasName
                | Self::InvalidCiphertext
                | Self::IncorrectKey
                | Self::InvalidMarker
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What a KMS operation can fail with.
///
/// `H` and `S` are the HSM's and the store's own errors, kept whole so their detail (a CKR_*
/// code, an I/O error) is not lost. [`Error::kind`] says what it is without them, and
/// [`Error::code`] gives the error name a client sees.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    /// A list operation was given a marker that is not one it hands out (AWS
    /// `InvalidMarkerException`).
    InvalidMarker,
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
    /// A state the code does not allow was reached (a bug in Coffer, reported rather than
    /// panicking); unlike [`CorruptRecord`](Self::CorruptRecord) it says nothing about the data.
    Internal,
}

impl<H: HsmError, S: StoreError> Error<H, S> {
    /// What kind of failure this is, without the backend's detail.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Validation(_) => ErrorKind::Validation,
            Self::NotFound => ErrorKind::NotFound,
            Self::AlreadyExists => ErrorKind::AlreadyExists,
            Self::InvalidAliasName => ErrorKind::InvalidAliasName,
            Self::Disabled => ErrorKind::Disabled,
            Self::InvalidState(_) => ErrorKind::InvalidState,
            Self::InvalidCiphertext => ErrorKind::InvalidCiphertext,
            Self::IncorrectKey => ErrorKind::IncorrectKey,
            Self::LimitExceeded(_) => ErrorKind::LimitExceeded,
            Self::InvalidMarker => ErrorKind::InvalidMarker,
            Self::CorruptRecord => ErrorKind::CorruptRecord,
            Self::Unsupported => ErrorKind::Unsupported,
            Self::Clock => ErrorKind::Clock,
            Self::Hsm(e) => match e.kind() {
                hsm::ErrorKind::KeyHandleInvalid
                | hsm::ErrorKind::SessionClosed
                | hsm::ErrorKind::NotLoggedIn
                | hsm::ErrorKind::Unavailable
                | hsm::ErrorKind::RootKeysNotFound => ErrorKind::KeyUnavailable,
                hsm::ErrorKind::PinIncorrect | hsm::ErrorKind::PinLocked => ErrorKind::AccessDenied,
                hsm::ErrorKind::Unsupported => ErrorKind::Unsupported,
                _ => ErrorKind::Hsm,
            },
            Self::Store(e) if e.kind() == StoreErrorKind::Full => ErrorKind::LimitExceeded,
            Self::Store(_) => ErrorKind::Store,
            Self::Internal => ErrorKind::Internal,
        }
    }

    /// The error name a client would see (`NotFoundException`, ...): [`ErrorKind::code`].
    pub fn code(&self) -> &'static str {
        self.kind().code()
    }

    /// The store error kind, if the store failed: a front end tells a lost compare-and-swap
    /// ([`StoreErrorKind::Conflict`], run the operation again) and an unreachable store
    /// ([`StoreErrorKind::Unavailable`], try later) from other store failures, which
    /// [`kind`](Self::kind) reports alike as [`ErrorKind::Store`] (never as a corrupt record).
    pub fn store_kind(&self) -> Option<StoreErrorKind> {
        match self {
            Self::Store(e) => Some(e.kind()),
            _ => None,
        }
    }

    /// The HSM error kind, if the HSM failed.
    pub fn hsm_kind(&self) -> Option<hsm::ErrorKind> {
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
            Self::LimitExceeded(LimitKind::RecordSize) => f.write_str("the record is longer than the key store holds"),
            Self::LimitExceeded(LimitKind::Versions) => f.write_str("the key has no version number left"),
            Self::LimitExceeded(LimitKind::OnDemandRotations) => {
                f.write_str("the key has had as many on-demand rotations as allowed; automatic rotation still applies")
            }
            Self::InvalidMarker => f.write_str("the marker is not one this list handed out (give its NextMarker)"),
            Self::CorruptRecord => f.write_str("a stored record failed authentication and was refused"),
            Self::Unsupported => f.write_str("the HSM does not support an operation Coffer needs"),
            Self::Clock => f.write_str("the clock could not tell the time"),
            Self::Hsm(e) => write!(f, "HSM: {e}"),
            Self::Store(e) => write!(f, "key store: {e}"),
            Self::Internal => f.write_str("an internal error (a bug in Coffer, not a problem with the stored data)"),
        }
    }
}

impl<H: fmt::Debug + fmt::Display, S: fmt::Debug + fmt::Display> core::error::Error for Error<H, S> {}

impl<H, S> From<ValidationError> for Error<H, S> {
    fn from(v: ValidationError) -> Self {
        Self::Validation(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store error of a given kind.
    #[derive(Debug)]
    struct Failed(StoreErrorKind);

    impl fmt::Display for Failed {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{:?}", self.0)
        }
    }

    impl StoreError for Failed {
        fn kind(&self) -> StoreErrorKind {
            self.0
        }
    }

    /// A lost compare-and-swap and an unreachable store are store failures a front end can
    /// tell apart (to retry, or to answer "try later"), never corrupt records.
    #[test]
    fn conflict_and_unavailable_are_store_failures_not_corrupt_records() {
        for kind in [StoreErrorKind::Conflict, StoreErrorKind::Unavailable] {
            let e: Error<hsm::ErrorKind, Failed> = Error::Store(Failed(kind));
            assert_eq!(e.kind(), ErrorKind::Store);
            assert_eq!(e.code(), "KMSInternalException");
            assert_eq!(e.store_kind(), Some(kind));
            assert_eq!(e.hsm_kind(), None);
        }
        let corrupt: Error<hsm::ErrorKind, Failed> = Error::CorruptRecord;
        assert_eq!(corrupt.store_kind(), None);
        let full: Error<hsm::ErrorKind, Failed> = Error::Store(Failed(StoreErrorKind::Full));
        assert_eq!(full.kind(), ErrorKind::LimitExceeded);
    }
}
