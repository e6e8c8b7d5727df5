//! Record versions and the conditions of a conditional write.

use core::fmt;

/// The version of a stored record: a number from one database-wide sequence, new at every
/// write. Never reused, not even by a record deleted and made again under the same name, so
/// an old version can never match a newer record (no ABA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordVersion(i64);

impl RecordVersion {
    /// The version with this number (as the `version` column holds it).
    pub const fn new(number: i64) -> Self {
        Self(number)
    }

    /// The number.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for RecordVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What a conditional write ([`PgStore::put_if`](crate::PgStore::put_if)) expects to replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// No record: the write inserts, and fails if another writer inserted first.
    Absent,
    /// The record at exactly this version: the write fails if it changed or went.
    Version(RecordVersion),
}
