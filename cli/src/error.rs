//! Errors as the command reports them: an AWS-style error name, a message, an exit code.
//!
//! One mapping: every failure has a [`Class`], which alone gives the name printed and the exit
//! code; a façade error's class comes from its kind ([`Class::of_kind`]). The table of classes
//! is the one in `cli/README.md` ("Errors and exit codes"); a test reads that table and
//! compares it, row by row, with `Class::ALL`.

use std::fmt;

use coffer_core::error::ErrorKind;
use coffer_core::store::{StoreError, StoreErrorKind};

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
    InvalidMarker,
}

/// Exit code of a command line that does not parse.
pub(crate) const EXIT_USAGE: u8 = 2;

impl Class {
    /// Every class, in exit-code order (the tests compare it with the README's table).
    #[cfg(test)]
    pub(crate) const ALL: [Self; 18] = [
        Self::Internal,
        Self::Validation,
        Self::NotFound,
        Self::AlreadyExists,
        Self::InvalidAliasName,
        Self::Disabled,
        Self::InvalidState,
        Self::InvalidCiphertext,
        Self::IncorrectKey,
        Self::LimitExceeded,
        Self::Unsupported,
        Self::KeyUnavailable,
        Self::CorruptRecord,
        Self::Store,
        Self::AccessDenied,
        Self::TokenCheckFailed,
        Self::OutputExists,
        Self::InvalidMarker,
    ];

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
            Self::InvalidMarker => "InvalidMarkerException",
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
            Self::InvalidMarker => 19,
        }
    }

    /// The class of a façade error kind (whose [`code`](ErrorKind::code) is then the class's
    /// name). The HSM's, the store's and the clock's failures and bugs are all internal.
    pub(crate) const fn of_kind(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::Validation => Self::Validation,
            ErrorKind::NotFound => Self::NotFound,
            ErrorKind::AlreadyExists => Self::AlreadyExists,
            ErrorKind::InvalidAliasName => Self::InvalidAliasName,
            ErrorKind::Disabled => Self::Disabled,
            ErrorKind::InvalidState => Self::InvalidState,
            ErrorKind::InvalidCiphertext => Self::InvalidCiphertext,
            ErrorKind::IncorrectKey => Self::IncorrectKey,
            ErrorKind::LimitExceeded => Self::LimitExceeded,
            ErrorKind::InvalidMarker => Self::InvalidMarker,
            ErrorKind::Unsupported => Self::Unsupported,
            ErrorKind::KeyUnavailable => Self::KeyUnavailable,
            ErrorKind::AccessDenied => Self::AccessDenied,
            ErrorKind::CorruptRecord => Self::CorruptRecord,
            // Internal, Hsm, Store, Clock, and kinds a newer core may add.
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

    /// A failure to read or write the store's files (a full disk included): internal, as in
    /// every other place the store is read or written.
    pub(crate) fn io(message: impl Into<String>) -> Self {
        Self::new(Class::Internal, message)
    }

    /// A directory-store failure outside the façade: a store refused as it is (permissions,
    /// not empty for `init`) is the store's class; reading or writing its files is internal,
    /// as [`io`](Self::io).
    pub(crate) fn store(e: &impl StoreError) -> Self {
        match e.kind() {
            StoreErrorKind::Other => Self::new(Class::Store, e.to_string()),
            _ => Self::io(e.to_string()),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.class.name(), self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows of the exit-code table in `cli/README.md`: (exit code, error name).
    fn readme_rows() -> Vec<(u8, String)> {
        let readme = include_str!("../README.md");
        let section = readme.split("## Errors and exit codes").nth(1).expect("the README has the section");
        let table = section.split("\n## ").next().unwrap_or_default();
        let mut rows = Vec::new();
        for line in table.lines().filter(|l| l.starts_with('|')) {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            let Some(Ok(code)) = cells.first().map(|c| c.parse::<u8>()) else { continue };
            let name = cells.get(1).copied().unwrap_or_default().trim_matches('`').to_owned();
            rows.push((code, name));
        }
        rows
    }

    #[test]
    fn the_readme_table_is_the_code() {
        let rows = readme_rows();
        let mut expected: Vec<(u8, String)> = vec![(0, String::new()), (EXIT_USAGE, "(usage)".to_owned())];
        expected.extend(Class::ALL.iter().map(|c| (c.exit_code(), c.name().to_owned())));
        expected.sort();
        assert_eq!(rows, expected, "cli/README.md's exit-code table and cli/src/error.rs differ");
    }

    #[test]
    fn every_class_has_its_own_code_and_name() {
        let mut codes: Vec<u8> = Class::ALL.iter().map(|c| c.exit_code()).collect();
        let mut names: Vec<&str> = Class::ALL.iter().map(|c| c.name()).collect();
        codes.extend([0, EXIT_USAGE]);
        codes.sort_unstable();
        names.sort_unstable();
        let (n_codes, n_names) = (codes.len(), names.len());
        codes.dedup();
        names.dedup();
        assert_eq!((codes.len(), names.len()), (n_codes, n_names), "a code or a name is used twice");
    }

    #[test]
    fn a_kind_maps_to_the_class_of_its_own_name() {
        use ErrorKind as K;
        let kinds = [
            K::Validation,
            K::NotFound,
            K::AlreadyExists,
            K::InvalidAliasName,
            K::Disabled,
            K::InvalidState,
            K::InvalidCiphertext,
            K::IncorrectKey,
            K::LimitExceeded,
            K::InvalidMarker,
            K::Unsupported,
            K::KeyUnavailable,
            K::AccessDenied,
            K::CorruptRecord,
            K::Hsm,
            K::Store,
            K::Clock,
            K::Internal,
        ];
        for kind in kinds {
            assert_eq!(Class::of_kind(kind).name(), kind.code(), "{kind:?}");
        }
        for internal in [K::Hsm, K::Store, K::Clock, K::Internal] {
            assert_eq!(Class::of_kind(internal), Class::Internal);
        }
    }
}
