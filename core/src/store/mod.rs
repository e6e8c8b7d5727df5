//! Where records live: the [`KeyStore`] trait and a fixed-capacity in-memory store.
//!
//! A store holds opaque sealed records under a kind and a name; it never sees key material in
//! plaintext and does not need to be trusted for integrity: every record is authenticated by
//! the root sealing key when loaded (see [`crate::root`]). What a store must provide is
//! atomic replacement ([`KeyStore::put`] leaves the old record or the new one, never a mix).

mod memory;

use core::fmt;

pub use memory::{MemoryStore, MemoryStoreError};

/// The longest record name: an alias name (256 bytes) or a key id (36 bytes).
pub const MAX_NAME_LEN: usize = crate::key::MAX_ALIAS_NAME_LEN;
/// The longest sealed record Coffer writes or reads: an 8 KiB description, or a key record of
/// the first format with 32 versions. A store that may hold any record has record buffers of
/// this length ([`KeyStore::RecordBuf`]); one that bounds its records may choose less.
pub const MAX_RECORD_LEN: usize = crate::root::MAX_SEALED_LEN;

/// The buffer in which a façade reads and seals one record of a store: a byte array whose
/// length is the longest record the store holds.
pub trait RecordBuffer: AsRef<[u8]> + AsMut<[u8]> {
    /// A buffer of zeros.
    fn zeroed() -> Self;
}

impl<const R: usize> RecordBuffer for [u8; R] {
    fn zeroed() -> Self {
        [0; R]
    }
}

/// The kinds of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecordKind {
    /// A key record, named by the key id's text.
    Key,
    /// An alias record, named by the alias name.
    Alias,
    /// One version of a key (its wrapped material), named `<key id>/<version>` with the version
    /// in ten decimal digits, so that a key's versions are adjacent and sorted by number.
    KeyVersion,
    /// A key's description, named by the key id's text; absent when the description is empty.
    Description,
}

impl RecordKind {
    /// Every kind, in the order stores sort them.
    pub const ALL: [Self; 4] = [Self::Key, Self::Alias, Self::KeyVersion, Self::Description];

    pub(crate) const fn code(self) -> u8 {
        match self {
            Self::Key => 1,
            Self::Alias => 2,
            Self::KeyVersion => 3,
            Self::Description => 4,
        }
    }
}

/// The kind of a store failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// No room for another record.
    Full,
    /// A record or name larger than the store accepts, or a read buffer too small.
    TooLarge,
    /// Storage I/O failed.
    Io,
    /// A conditional write lost: the record changed (or appeared, or went) since this store
    /// read it, and nothing was written (a compare-and-swap store shared by several nodes).
    /// The operation may be run again; the record is not corrupt.
    Conflict,
    /// The store cannot be reached now (a database down, a connection lost, a deadline
    /// passed). A write that failed so may or may not have been made; the record is not
    /// corrupt.
    Unavailable,
    /// Anything else.
    Other,
}

/// Implemented by every store's error type.
pub trait StoreError: fmt::Debug + fmt::Display {
    /// The common kind of this error.
    fn kind(&self) -> StoreErrorKind;
}

/// Persistent (or not) storage for sealed records.
pub trait KeyStore {
    /// The store's own error.
    type Error: StoreError;

    /// The buffer a [`Kms`](crate::Kms) over this store reads and seals records in (it holds
    /// one): `[u8; R]` with `R` the longest record the store holds. [`MAX_RECORD_LEN`] takes
    /// every record Coffer writes or reads; a device that bounds descriptions (and carries no
    /// store of the first format) can choose a few hundred bytes, and a record that would not
    /// fit is refused with `LimitExceeded(RecordSize)` before anything is stored.
    type RecordBuf: RecordBuffer;

    /// Copies the record `kind`/`name` into `out`; `Ok(None)` if there is none.
    ///
    /// # Errors
    /// [`StoreErrorKind::TooLarge`] if `out` is too short; I/O failures.
    fn get(&mut self, kind: RecordKind, name: &str, out: &mut [u8]) -> Result<Option<usize>, Self::Error>;

    /// Inserts or atomically replaces the record `kind`/`name`.
    ///
    /// # Errors
    /// [`StoreErrorKind::Full`] if there is no room; [`StoreErrorKind::TooLarge`]; I/O failures.
    fn put(&mut self, kind: RecordKind, name: &str, record: &[u8]) -> Result<(), Self::Error>;

    /// Removes the record `kind`/`name`; `Ok(false)` if there was none.
    ///
    /// # Errors
    /// I/O failures.
    fn remove(&mut self, kind: RecordKind, name: &str) -> Result<bool, Self::Error>;

    /// The first name of `kind` that sorts (bytewise) strictly after `after`, or the first of all
    /// when `after` is `None`, written to `out`; `Ok(None)` at the end.
    ///
    /// # Errors
    /// I/O failures.
    fn next_name(
        &mut self,
        kind: RecordKind,
        after: Option<&str>,
        out: &mut [u8; MAX_NAME_LEN],
    ) -> Result<Option<usize>, Self::Error>;
}

impl<T: KeyStore + ?Sized> KeyStore for &mut T {
    type Error = T::Error;
    type RecordBuf = T::RecordBuf;

    fn get(&mut self, kind: RecordKind, name: &str, out: &mut [u8]) -> Result<Option<usize>, Self::Error> {
        (**self).get(kind, name, out)
    }

    fn put(&mut self, kind: RecordKind, name: &str, record: &[u8]) -> Result<(), Self::Error> {
        (**self).put(kind, name, record)
    }

    fn remove(&mut self, kind: RecordKind, name: &str) -> Result<bool, Self::Error> {
        (**self).remove(kind, name)
    }

    fn next_name(
        &mut self,
        kind: RecordKind,
        after: Option<&str>,
        out: &mut [u8; MAX_NAME_LEN],
    ) -> Result<Option<usize>, Self::Error> {
        (**self).next_name(kind, after, out)
    }
}
