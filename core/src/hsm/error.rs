//! What generic code needs to know about a backend's failure.

use core::fmt;

/// The kind of an HSM failure, common to every backend.
///
/// Each backend keeps its own detailed error (a PKCS#11 return code, say) and maps it to one
/// of these so that the KMS layer can decide what to tell its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A tag, MAC or key-wrap integrity check failed. Deliberately says nothing more.
    AuthenticationFailed,
    /// The root wrapping or sealing key is not in the HSM.
    RootKeysNotFound,
    /// Root keys already exist; creating them again was refused.
    RootKeysExist,
    /// A key handle is unknown, released, or its object was removed.
    KeyHandleInvalid,
    /// No slot or object space is left to load another key.
    NoFreeSlot,
    /// An argument was refused (length, empty AAD, malformed input).
    InvalidInput,
    /// The backend does not support the operation (see [`Capabilities`](super::Capabilities)).
    Unsupported,
    /// The token needs a user login first.
    NotLoggedIn,
    /// The PIN was refused.
    PinIncorrect,
    /// The PIN cannot be used: locked after too many failures, or expired and waiting to be
    /// changed.
    PinLocked,
    /// The session or token went away (closed session, removed token).
    SessionClosed,
    /// The HSM cannot be reached: its driver module does not load, or no token has the
    /// configured label.
    Unavailable,
    /// The random generator failed.
    RandomFailure,
    /// The device or its driver failed for another reason.
    Device,
}

impl ErrorKind {
    /// A short description, safe to log: it never contains key bytes.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AuthenticationFailed => "authentication failed",
            Self::RootKeysNotFound => "root keys not found",
            Self::RootKeysExist => "root keys already exist",
            Self::KeyHandleInvalid => "key handle invalid",
            Self::NoFreeSlot => "no free key slot",
            Self::InvalidInput => "invalid input",
            Self::Unsupported => "operation not supported by this HSM",
            Self::NotLoggedIn => "not logged in",
            Self::PinIncorrect => "PIN incorrect",
            Self::PinLocked => "PIN locked or expired",
            Self::SessionClosed => "session closed or token removed",
            Self::Unavailable => "HSM module or token not available",
            Self::RandomFailure => "random generator failure",
            Self::Device => "device error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Implemented by every backend's error type.
pub trait HsmError: fmt::Debug + fmt::Display {
    /// The common kind of this error.
    fn kind(&self) -> ErrorKind;
}

impl HsmError for ErrorKind {
    fn kind(&self) -> ErrorKind {
        *self
    }
}
