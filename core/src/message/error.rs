//! Errors of message encryption and decryption.

use core::fmt;

use super::header::HeaderLimit;
use super::keyring::KeyringError;
use super::materials::MaterialsError;
use super::suite::SuiteError;
use crate::error::ErrorKind;

/// Why encrypting a message failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncryptError {
    /// The materials refused the context or an EDK.
    Materials(MaterialsError),
    /// The keyring failed.
    Keyring(KeyringError),
    /// The keyring left no data key or no encrypted data key.
    NoDataKey,
    /// The frame length is 0.
    InvalidFrameLength,
    /// The workspace is too small for the header or one frame: `needed` bytes are required.
    WorkspaceTooSmall {
        /// Bytes the workspace must hold.
        needed: usize,
    },
    /// The message would need more frames than the format allows (2^32 − 1).
    TooManyFrames,
    /// More plaintext than the bound declared with
    /// [`Encryptor::set_plaintext_bound`](super::Encryptor::set_plaintext_bound) (or the
    /// plaintext length given to a data-key cache).
    PlaintextTooLong,
    /// The random generator failed.
    Rng,
    /// The encryptor failed earlier, or was used after it finished.
    State,
}

impl fmt::Display for EncryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Materials(e) => fmt::Display::fmt(e, f),
            Self::Keyring(e) => fmt::Display::fmt(e, f),
            Self::NoDataKey => f.write_str("the keyring produced no data key or no encrypted data key"),
            Self::InvalidFrameLength => f.write_str("the frame length must be at least 1"),
            Self::WorkspaceTooSmall { needed } => write!(f, "the workspace must hold at least {needed} bytes"),
            Self::TooManyFrames => f.write_str("a message holds at most 2^32 - 1 frames: use a larger frame length"),
            Self::PlaintextTooLong => f.write_str("more plaintext than the declared plaintext length"),
            Self::Rng => f.write_str("the random generator failed"),
            Self::State => f.write_str("the encryptor failed earlier or has finished"),
        }
    }
}

impl core::error::Error for EncryptError {}

impl From<MaterialsError> for EncryptError {
    fn from(e: MaterialsError) -> Self {
        Self::Materials(e)
    }
}

impl From<KeyringError> for EncryptError {
    fn from(e: KeyringError) -> Self {
        Self::Keyring(e)
    }
}

/// Why decrypting a message failed.
///
/// Every failure that depends on a key or on the integrity of the message — a malformed or
/// tampered header, frame, or footer, a truncated message, trailing bytes, a wrong key, a wrong
/// encryption context, a bad signature — is the one [`DecryptError::Invalid`], which does not say
/// which check failed. The other variants depend only on public, pre-authentication facts
/// (the suite id, the caller's limits and buffers), or, for [`DecryptError::Key`], on the state
/// of the key a KMS keyring was asked to use, which KMS Decrypt reports too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecryptError {
    /// The message could not be decrypted. Deliberately says nothing more.
    Invalid,
    /// The message's suite is refused: a legacy non-committing suite (commitment policy), or one
    /// not enabled in this build.
    Suite(SuiteError),
    /// The message exceeds a limit (EDK count, context size, EDK field size, or a header or frame
    /// larger than the workspace) and was not tried.
    Limit(HeaderLimit),
    /// No data key unwrapped, and the keyring said why in terms that concern the key or the
    /// service, not the message: a KMS key disabled or pending deletion, an HSM out of reach, a
    /// corrupt key record (the KMS façade's [`ErrorKind`], as Decrypt reports it). Never a kind
    /// that [concerns the input](ErrorKind::concerns_the_input).
    Key(ErrorKind),
    /// The output buffer given to a one-shot decrypt is too small for the plaintext.
    OutputTooSmall,
    /// The decryptor was used after it failed.
    State,
}

impl fmt::Display for DecryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid => f.write_str("the message could not be decrypted"),
            Self::Suite(e) => fmt::Display::fmt(e, f),
            Self::Limit(l) => write!(f, "the message exceeds a limit: {l:?}"),
            Self::Key(kind) => write!(f, "the data key could not be unwrapped: {kind}"),
            Self::OutputTooSmall => f.write_str("the output buffer is too small for the plaintext"),
            Self::State => f.write_str("the decryptor failed earlier"),
        }
    }
}

impl core::error::Error for DecryptError {}

impl DecryptError {
    /// A keyring's failure on decrypt: [`Key`](Self::Key) for a backend failure about the key
    /// or the service, else the opaque [`Invalid`](Self::Invalid).
    pub(crate) const fn from_keyring(e: KeyringError) -> Self {
        match e {
            KeyringError::Backend(kind) if !kind.concerns_the_input() => Self::Key(kind),
            _ => Self::Invalid,
        }
    }
}
