//! A fixed-capacity store in RAM, for `no_std` devices and tests.

use core::fmt;
use heapless::{String, Vec};

use super::{KeyStore, MAX_NAME_LEN, MAX_RECORD_LEN, RecordKind, StoreError, StoreErrorKind};

/// Why the memory store refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryStoreError {
    /// All `N` entries are taken.
    Full,
    /// The record is longer than `R` bytes, the name longer than 256, or the read buffer short.
    TooLarge,
}

impl fmt::Display for MemoryStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full => f.write_str("memory store is full"),
            Self::TooLarge => f.write_str("record too large for the memory store"),
        }
    }
}

impl core::error::Error for MemoryStoreError {}

impl StoreError for MemoryStoreError {
    fn kind(&self) -> StoreErrorKind {
        match self {
            Self::Full => StoreErrorKind::Full,
            Self::TooLarge => StoreErrorKind::TooLarge,
        }
    }
}

#[derive(Debug)]
struct Entry<const R: usize> {
    kind: RecordKind,
    name: String<MAX_NAME_LEN>,
    data: Vec<u8, R>,
}

/// Up to `N` records (key, version, description and alias records together) of up to `R` bytes
/// each, kept in memory. A key takes its key record, one record per version it holds and, when
/// it has a description, a description record.
///
/// `R` defaults to the largest record Coffer reads ([`MAX_RECORD_LEN`]: a key record of the
/// previous format, or an 8 KiB description); a device whose keys carry short descriptions can
/// choose a smaller `R` (key records are 193 bytes, version records 156, description records 92
/// plus the text) and gets [`MemoryStoreError::TooLarge`] (a `KMSInternalException`) for a record
/// that does not fit.
/// Lost at power-off: persist elsewhere what must survive.
#[derive(Debug)]
pub struct MemoryStore<const N: usize, const R: usize = MAX_RECORD_LEN> {
    // Kept sorted by (kind, name) so that iteration is ordered.
    entries: Vec<Entry<R>, N>,
}

impl<const N: usize, const R: usize> MemoryStore<N, R> {
    /// An empty store.
    pub const fn new() -> Self {
        Self { entries: Vec::new() }
    }

    /// Number of records held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if no record is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn search(&self, kind: RecordKind, name: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|e| (e.kind, e.name.as_bytes()).cmp(&(kind, name.as_bytes())))
    }

    /// Direct access to a stored record, for tests that edit it to check tamper detection.
    #[cfg(any(test, feature = "std"))]
    pub fn raw_mut(&mut self, kind: RecordKind, name: &str) -> Option<&mut [u8]> {
        let i = self.search(kind, name).ok()?;
        self.entries.get_mut(i).map(|e| e.data.as_mut_slice())
    }
}

impl<const N: usize, const R: usize> Default for MemoryStore<N, R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize, const R: usize> KeyStore for MemoryStore<N, R> {
    type Error = MemoryStoreError;
    type RecordBuf = [u8; R];

    fn get(&mut self, kind: RecordKind, name: &str, out: &mut [u8]) -> Result<Option<usize>, Self::Error> {
        let Ok(i) = self.search(kind, name) else {
            return Ok(None);
        };
        let data = self.entries.get(i).map(|e| e.data.as_slice()).unwrap_or_default();
        out.get_mut(..data.len()).ok_or(MemoryStoreError::TooLarge)?.copy_from_slice(data);
        Ok(Some(data.len()))
    }

    fn put(&mut self, kind: RecordKind, name: &str, record: &[u8]) -> Result<(), Self::Error> {
        let data = Vec::from_slice(record).map_err(|_| MemoryStoreError::TooLarge)?;
        match self.search(kind, name) {
            Ok(i) => {
                if let Some(e) = self.entries.get_mut(i) {
                    e.data = data;
                }
                Ok(())
            }
            Err(i) => {
                let name = String::try_from(name).map_err(|_| MemoryStoreError::TooLarge)?;
                self.entries.insert(i, Entry { kind, name, data }).map_err(|_| MemoryStoreError::Full)
            }
        }
    }

    fn remove(&mut self, kind: RecordKind, name: &str) -> Result<bool, Self::Error> {
        match self.search(kind, name) {
            Ok(i) => {
                self.entries.remove(i);
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }

    fn next_name(
        &mut self,
        kind: RecordKind,
        after: Option<&str>,
        out: &mut [u8; MAX_NAME_LEN],
    ) -> Result<Option<usize>, Self::Error> {
        let start = match after {
            None => self.search(kind, "").unwrap_or_else(|i| i),
            Some(name) => self.search(kind, name).map_or_else(|i| i, |i| i.saturating_add(1)),
        };
        match self.entries.get(start) {
            Some(e) if e.kind == kind => {
                let name = e.name.as_bytes();
                out.get_mut(..name.len()).ok_or(MemoryStoreError::TooLarge)?.copy_from_slice(name);
                Ok(Some(name.len()))
            }
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_replace_remove() {
        let mut s = MemoryStore::<2, 8>::new();
        let mut buf = [0u8; 8];
        assert_eq!(s.get(RecordKind::Key, "a", &mut buf), Ok(None));
        s.put(RecordKind::Key, "a", b"one").unwrap();
        s.put(RecordKind::Key, "a", b"two!").unwrap();
        assert_eq!(s.get(RecordKind::Key, "a", &mut buf), Ok(Some(4)));
        assert_eq!(&buf[..4], b"two!");
        assert_eq!(s.len(), 1);
        assert_eq!(s.remove(RecordKind::Key, "a"), Ok(true));
        assert_eq!(s.remove(RecordKind::Key, "a"), Ok(false));
    }

    #[test]
    fn capacity_edges() {
        let mut s = MemoryStore::<2, 4>::new();
        s.put(RecordKind::Key, "a", &[0; 4]).unwrap();
        assert_eq!(s.put(RecordKind::Key, "b", &[0; 5]), Err(MemoryStoreError::TooLarge));
        s.put(RecordKind::Alias, "b", &[0; 1]).unwrap();
        assert_eq!(s.put(RecordKind::Key, "c", &[0; 1]), Err(MemoryStoreError::Full));
        let mut short = [0u8; 3];
        assert_eq!(s.get(RecordKind::Key, "a", &mut short), Err(MemoryStoreError::TooLarge));
    }

    #[test]
    fn names_iterate_in_order_per_kind() {
        let mut s = MemoryStore::<8, 4>::new();
        for n in ["c", "a", "b"] {
            s.put(RecordKind::Key, n, b"x").unwrap();
        }
        s.put(RecordKind::Alias, "alias/z", b"x").unwrap();
        let mut out = [0u8; MAX_NAME_LEN];
        let mut seen = heapless::Vec::<u8, 8>::new();
        let mut after: Option<String<MAX_NAME_LEN>> = None;
        while let Some(len) = s.next_name(RecordKind::Key, after.as_deref(), &mut out).unwrap() {
            let name = core::str::from_utf8(&out[..len]).unwrap();
            seen.push(name.as_bytes()[0]).unwrap();
            after = Some(String::try_from(name).unwrap());
        }
        assert_eq!(seen.as_slice(), b"abc");
        assert_eq!(s.next_name(RecordKind::Key, Some("b0"), &mut out), Ok(Some(1)));
        assert_eq!(&out[..1], b"c");
    }
}
