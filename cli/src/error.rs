//! Errors as the command reports them: an AWS-style error name, a message, an exit code.
//!
//! | exit | error name | when |
//! |---:|---|---|
//! | 0 | | success |
//! | 1 | `KMSInternalException` | an internal failure: I/O of the store, the HSM failing, the clock |
//! | 2 | (usage) | the command line does not parse (clap's own message) |
//! | 3 | `ValidationException` | a parameter is out of range or malformed |
//! | 4 | `NotFoundException` | no such key or alias |
//! | 5 | `AlreadyExistsException` | the alias exists |
//! | 6 | `InvalidAliasNameException` | malformed or reserved alias name |
//! | 7 | `DisabledException` | the key is disabled |
//! | 8 | `KMSInvalidStateException` | the key's state forbids it (pending deletion, ...) |
//! | 9 | `InvalidCiphertextException` | the ciphertext does not decrypt (any reason) |
//! | 10 | `IncorrectKeyException` | the ciphertext was made under another key than `--key-id` |
//! | 11 | `LimitExceededException` | too many versions, store full |
//! | 12 | `UnsupportedOperationException` | the HSM lacks something Coffer needs |
//! | 13 | `KeyUnavailableException` | the HSM cannot be reached (module, token, session) |
//! | 14 | `CorruptRecordException` | a stored record failed authentication (edited or forged) |
//! | 15 | `StoreException` | no store there, store already initialized, unreadable configuration |
//! | 16 | `AccessDeniedException` | wrong passphrase, PIN refused or locked, no secret given |
//! | 17 | `TokenCheckFailedException` | `token-check` ran and some check failed |
//! | 18 | `OutputFileExistsException` | `encrypt-file`/`decrypt-file` would replace a file without `--force` |

use std::fmt;

/// The class of a failure; each has its own exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Internal,
    Validation,
    NotFound,
    AlreadyExists,
    InvalidAliasName,
    Disabled,
    InvalidState,
    InvalidCiphertext,
    IncorrectKey,
    LimitExceeded,
    Unsupported,
    KeyUnavailable,
    CorruptRecord,
    Store,
    AccessDenied,
    TokenCheckFailed,
    OutputExists,
}

/// Exit code of a command line that does not parse.
pub(crate) const EXIT_USAGE: u8 = 2;

impl Class {
    /// The error name printed.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Internal => "KMSInternalException",
            Self::Validation => "ValidationException",
            Self::NotFound => "NotFoundException",
            Self::AlreadyExists => "AlreadyExistsException",
            Self::InvalidAliasName => "InvalidAliasNameException",
            Self::Disabled => "DisabledException",
            Self::InvalidState => "KMSInvalidStateException",
            Self::InvalidCiphertext => "InvalidCiphertextException",
            Self::IncorrectKey => "IncorrectKeyException",
            Self::LimitExceeded => "LimitExceededException",
            Self::Unsupported => "UnsupportedOperationException",
            Self::KeyUnavailable => "KeyUnavailableException",
            Self::CorruptRecord => "CorruptRecordException",
            Self::Store => "StoreException",
            Self::AccessDenied => "AccessDeniedException",
            Self::TokenCheckFailed => "TokenCheckFailedException",
            Self::OutputExists => "OutputFileExistsException",
        }
    }

    /// The process exit code.
    pub(crate) const fn exit_code(self) -> u8 {
        match self {
            Self::Internal => 1,
            Self::Validation => 3,
            Self::NotFound => 4,
            Self::AlreadyExists => 5,
            Self::InvalidAliasName => 6,
            Self::Disabled => 7,
            Self::InvalidState => 8,
            Self::InvalidCiphertext => 9,
            Self::IncorrectKey => 10,
            Self::LimitExceeded => 11,
            Self::Unsupported => 12,
            Self::KeyUnavailable => 13,
            Self::CorruptRecord => 14,
            Self::Store => 15,
            Self::AccessDenied => 16,
            Self::TokenCheckFailed => 17,
            Self::OutputExists => 18,
        }
    }

    /// The class of an AWS error name the façade returned.
    pub(crate) fn from_code(code: &str) -> Self {
        match code {
            "ValidationException" => Self::Validation,
            "NotFoundException" => Self::NotFound,
            "AlreadyExistsException" => Self::AlreadyExists,
            "InvalidAliasNameException" => Self::InvalidAliasName,
            "DisabledException" => Self::Disabled,
            "KMSInvalidStateException" => Self::InvalidState,
            "InvalidCiphertextException" => Self::InvalidCiphertext,
            "IncorrectKeyException" => Self::IncorrectKey,
            "LimitExceededException" => Self::LimitExceeded,
            "UnsupportedOperationException" => Self::Unsupported,
            "KeyUnavailableException" => Self::KeyUnavailable,
            _ => Self::Internal,
        }
    }
}

/// A failed command.
#[derive(Debug)]
pub(crate) struct CliError {
    pub(crate) class: Class,
    pub(crate) message: String,
}

impl CliError {
    pub(crate) fn new(class: Class, message: impl Into<String>) -> Self {
        Self { class, message: message.into() }
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new(Class::Validation, message)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.class.name(), self.message)
    }
}
