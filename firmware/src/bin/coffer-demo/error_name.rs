//! Coffer's errors reported by a fixed name instead of their `Debug` output.
//!
//! `Debug` of Coffer's nested error types pulls `core::fmt`'s struct and tuple builders, string
//! and character escaping and the Unicode tables into the image, several KB of flash that a
//! device pays for a message it prints only on failure. A name (the error's AWS-style code,
//! the HSM error's kind) says as much as a device log needs and costs a table of strings.
//! Hosts keep `Debug` and `Display`; nothing here changes Coffer's errors themselves.

use coffer_core::data::ContextError;
use coffer_core::message::{DecryptError, EncryptError, KeyringError};
use coffer_core::{Error, HsmError, StoreError};
use coffer_hsm_soft::SoftError;
use cortex_m_semihosting::hprintln;

use coffer_firmware::Failed;

/// An error that can say what it is in a fixed string.
pub(crate) trait ErrorName {
    /// The error's name: never key bytes or plaintext.
    fn error_name(&self) -> &'static str;
}

impl<H: HsmError, S: StoreError> ErrorName for Error<H, S> {
    /// The HSM's error kind when the HSM failed (the façade's code says only "internal" then),
    /// else the code a client sees (`NotFoundException`, ...).
    fn error_name(&self) -> &'static str {
        match self.hsm_kind() {
            Some(kind) => kind.as_str(),
            None => self.code(),
        }
    }
}

impl ErrorName for SoftError {
    fn error_name(&self) -> &'static str {
        self.kind().as_str()
    }
}

impl ErrorName for ContextError {
    fn error_name(&self) -> &'static str {
        match self {
            Self::TooManyPairs => "encryption context: too many pairs",
            Self::TooLarge => "encryption context: too large",
            Self::DuplicateKey => "encryption context: a key given twice",
            Self::Malformed => "encryption context: malformed",
        }
    }
}

impl ErrorName for KeyringError {
    fn error_name(&self) -> &'static str {
        match self {
            Self::Backend(kind) => kind.code(),
            Self::Materials(_) => "keyring: materials refused",
            Self::NoDataKey => "keyring: no data key",
            Self::UnableToDecrypt => "keyring: unable to decrypt",
            Self::EdkTooLong => "keyring: encrypted data key too long",
            Self::Rng => "keyring: random generator",
            Self::WrapFailed => "keyring: wrap failed",
            _ => "keyring error",
        }
    }
}

impl ErrorName for EncryptError {
    fn error_name(&self) -> &'static str {
        match self {
            Self::Keyring(e) => e.error_name(),
            Self::Materials(_) => "message encrypt: materials refused",
            Self::NoDataKey => "message encrypt: no data key",
            Self::InvalidFrameLength => "message encrypt: invalid frame length",
            Self::WorkspaceTooSmall { .. } => "message encrypt: workspace too small",
            Self::TooManyFrames => "message encrypt: too many frames",
            Self::PlaintextTooLong => "message encrypt: plaintext too long",
            Self::Rng => "message encrypt: random generator",
            Self::State => "message encrypt: used after failure or finish",
            _ => "message encrypt error",
        }
    }
}

impl ErrorName for DecryptError {
    fn error_name(&self) -> &'static str {
        match self {
            Self::Invalid => "message decrypt: invalid",
            Self::Key(kind) => kind.code(),
            Self::Suite(_) => "message decrypt: suite refused",
            Self::Limit(_) => "message decrypt: over a limit",
            Self::OutputTooSmall => "message decrypt: output too small",
            Self::State => "message decrypt: used after failure",
            _ => "message decrypt error",
        }
    }
}

/// Turns an error into [`Failed`] after printing its name (see the module documentation).
///
/// # Errors
/// [`Failed`] naming `what` when `result` is an error.
pub(crate) fn check_named<T, E: ErrorName>(result: Result<T, E>, what: &'static str) -> Result<T, Failed> {
    result.map_err(|e| named_failure(&e, what))
}

/// Prints `error`'s name and returns [`Failed`] naming `what`: for an error the caller holds by
/// reference (one that stays where it was built, as the façade's constructor's does).
pub(crate) fn named_failure<E: ErrorName>(error: &E, what: &'static str) -> Failed {
    hprintln!("  error in {}: {}", what, error.error_name());
    Failed(what)
}
