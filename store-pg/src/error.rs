//! The store's one error type, with a kind callers branch on.

use core::fmt;
use std::io;

use coffer_core::store::{StoreError, StoreErrorKind};
use tokio_postgres::error::SqlState;

/// What went wrong, for code that branches (retry, report, give up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PgErrorKind {
    /// The database cannot be reached, the connection was lost, or a call ran past its
    /// deadline. The next call reconnects. A write that fails so may or may not have been
    /// committed: read the record again before deciding.
    Unavailable,
    /// A compare-and-swap failed: the record changed (or appeared, or went) since this store
    /// read it, or a record exists that this store never read. Nothing was written; read the
    /// record again and retry.
    Conflict,
    /// A record, name or event longer than the store accepts, or a read buffer too short.
    TooLarge,
    /// The database holds something no Coffer store writes (a name longer than any, a column of
    /// the wrong type): edited outside Coffer.
    Corrupt,
    /// The schema is missing (run [`PgStore::init`](crate::PgStore::init)) or newer than this
    /// build knows.
    Schema,
    /// The connection string or settings are wrong (nothing was connected).
    Config,
    /// The database refused the statement for another reason (permissions, say).
    Refused,
}

/// A failure of the PostgreSQL store: a kind and a message for people.
///
/// Messages name the operation and the record (kinds and names are not secret); they never
/// hold record bytes, the connection string or its password.
#[derive(Debug)]
pub struct PgStoreError {
    kind: PgErrorKind,
    message: String,
}

impl PgStoreError {
    pub(crate) fn new(kind: PgErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }

    /// The kind of failure.
    pub fn pg_kind(&self) -> PgErrorKind {
        self.kind
    }

    /// Classifies an error of the client for `what` (an operation and its record, for the
    /// message). Returns the error and whether the connection is to be dropped.
    pub(crate) fn from_client(what: &str, e: &tokio_postgres::Error) -> (Self, bool) {
        if let Some(db) = e.as_db_error() {
            let code = db.code();
            let (kind, drop) = classify(code);
            // The server's message, never its detail: a detail can quote the row's bytes.
            return (Self::new(kind, format!("{what}: the database said: {} ({})", db.message(), code.code())), drop);
        }
        // Without a server error: the connection closed, or its socket failed.
        let io = core::error::Error::source(e).and_then(|s| s.downcast_ref::<io::Error>());
        if e.is_closed() || io.is_some() {
            return (
                Self::new(PgErrorKind::Unavailable, format!("{what}: the connection to the database was lost: {e}")),
                true,
            );
        }
        (Self::new(PgErrorKind::Refused, format!("{what}: {e}")), false)
    }
}

/// The kind of a server error, and whether the connection it came on is finished.
fn classify(code: &SqlState) -> (PgErrorKind, bool) {
    let text = code.code();
    match text {
        // Shutdown, crash, "the database system is starting up"; class 08: connection exceptions.
        "57P01" | "57P02" | "57P03" => (PgErrorKind::Unavailable, true),
        _ if text.starts_with("08") => (PgErrorKind::Unavailable, true),
        // Statement or lock timeout, too many connections, out of memory or disk: the server
        // is there but cannot serve now; the connection itself is fine.
        "57014" | "55P03" => (PgErrorKind::Unavailable, false),
        _ if text.starts_with("53") => (PgErrorKind::Unavailable, false),
        // Lost serialization or a deadlock: another writer won.
        "40001" | "40P01" | "23505" => (PgErrorKind::Conflict, false),
        // The size checks of the schema (every CHECK there is one).
        "23514" => (PgErrorKind::TooLarge, false),
        // undefined_table / undefined_function: the schema is not there.
        "42P01" | "42883" => (PgErrorKind::Schema, false),
        _ => (PgErrorKind::Refused, false),
    }
}

impl fmt::Display for PgStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl core::error::Error for PgStoreError {}

impl StoreError for PgStoreError {
    fn kind(&self) -> StoreErrorKind {
        match self.kind {
            PgErrorKind::Unavailable => StoreErrorKind::Unavailable,
            PgErrorKind::Conflict => StoreErrorKind::Conflict,
            PgErrorKind::TooLarge => StoreErrorKind::TooLarge,
            PgErrorKind::Corrupt | PgErrorKind::Schema | PgErrorKind::Config | PgErrorKind::Refused => {
                StoreErrorKind::Other
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_codes_map_to_kinds() {
        let cases = [
            ("57P01", PgErrorKind::Unavailable, true),
            ("08006", PgErrorKind::Unavailable, true),
            ("57014", PgErrorKind::Unavailable, false),
            ("53300", PgErrorKind::Unavailable, false),
            ("40001", PgErrorKind::Conflict, false),
            ("23505", PgErrorKind::Conflict, false),
            ("23514", PgErrorKind::TooLarge, false),
            ("42P01", PgErrorKind::Schema, false),
            ("42501", PgErrorKind::Refused, false),
        ];
        for (code, kind, drop) in cases {
            assert_eq!(classify(&SqlState::from_code(code)), (kind, drop), "{code}");
        }
    }

    #[test]
    fn store_kinds_for_the_facade() {
        let kind = |k| StoreError::kind(&PgStoreError::new(k, "x"));
        assert_eq!(kind(PgErrorKind::Unavailable), StoreErrorKind::Unavailable);
        assert_eq!(kind(PgErrorKind::TooLarge), StoreErrorKind::TooLarge);
        assert_eq!(kind(PgErrorKind::Conflict), StoreErrorKind::Conflict);
        assert_eq!(kind(PgErrorKind::Corrupt), StoreErrorKind::Other);
        assert_eq!(PgStoreError::new(PgErrorKind::Conflict, "m").to_string(), "m");
    }
}
