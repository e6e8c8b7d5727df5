//! The soft backend's error.

use coffer_core::hsm::{ErrorKind, HsmError};
use core::fmt;

/// Why a [`SoftHsm`](crate::SoftHsm) call failed.
///
/// Each variant maps to one [`ErrorKind`] through [`HsmError::kind`]. The only detail kept beyond
/// the kind is a fixed description of which argument was refused: authentication failures carry
/// nothing, so that no caller can learn which part of a ciphertext was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SoftError {
    /// A GCM tag, an HMAC or a key-wrap integrity check failed.
    AuthenticationFailed,
    /// No root keys yet: create them, or construct the HSM with some.
    RootKeysNotFound,
    /// Root keys are already present and are never replaced.
    RootKeysExist,
    /// The handle was never issued by this HSM, was released, or its slot was reused.
    KeyHandleInvalid,
    /// Every key slot is in use.
    NoFreeSlot,
    /// An argument was refused; the text says which, and never contains key bytes.
    InvalidInput(&'static str),
    /// The random generator reported a failure.
    RandomFailure,
}

impl HsmError for SoftError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::AuthenticationFailed => ErrorKind::AuthenticationFailed,
            Self::RootKeysNotFound => ErrorKind::RootKeysNotFound,
            Self::RootKeysExist => ErrorKind::RootKeysExist,
            Self::KeyHandleInvalid => ErrorKind::KeyHandleInvalid,
            Self::NoFreeSlot => ErrorKind::NoFreeSlot,
            Self::InvalidInput(_) => ErrorKind::InvalidInput,
            Self::RandomFailure => ErrorKind::RandomFailure,
        }
    }
}

impl fmt::Display for SoftError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidInput(what) => write!(f, "{}: {what}", ErrorKind::InvalidInput),
            other => fmt::Display::fmt(&other.kind(), f),
        }
    }
}

/// `core::error::Error` is `std::error::Error`: this impl serves std users without a feature.
impl core::error::Error for SoftError {}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn display_names_the_kind_and_the_refused_argument() {
        assert_eq!(SoftError::AuthenticationFailed.to_string(), "authentication failed");
        assert_eq!(SoftError::InvalidInput("aad is empty").to_string(), "invalid input: aad is empty");
        assert_eq!(SoftError::InvalidInput("x").kind(), ErrorKind::InvalidInput);
    }
}
