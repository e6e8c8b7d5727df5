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
///
/// The entries are kept in no order: a lookup scans them, and [`next_name`](KeyStore::next_name)
/// finds the least name after the one given. A store this size is scanned faster than it is
/// kept sorted, and keeping it sorted moved every later entry (each about `R` + 260 bytes) on
/// every insert and removal, with `memmove` and the insert's bounds panics in the image.
#[derive(Debug)]
pub struct MemoryStore<const N: usize, const R: usize = MAX_RECORD_LEN> {
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

    fn find(&self, kind: RecordKind, name: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.kind == kind && e.name.as_str() == name)
    }

    /// Direct access to a stored record, for tests that edit it to check tamper detection.
    #[cfg(any(test, feature = "std"))]
    pub fn raw_mut(&mut self, kind: RecordKind, name: &str) -> Option<&mut [u8]> {
        let i = self.find(kind, name)?;
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
        let Some(entry) = self.find(kind, name).and_then(|i| self.entries.get(i)) else {
            return Ok(None);
        };
        let data = entry.data.as_slice();
        out.get_mut(..data.len()).ok_or(MemoryStoreError::TooLarge)?.copy_from_slice(data);
        Ok(Some(data.len()))
    }

    fn put(&mut self, kind: RecordKind, name: &str, record: &[u8]) -> Result<(), Self::Error> {
        let data = Vec::from_slice(record).map_err(|_| MemoryStoreError::TooLarge)?;
        if let Some(entry) = self.find(kind, name).and_then(|i| self.entries.get_mut(i)) {
            entry.data = data;
            return Ok(());
        }
        let name = String::try_from(name).map_err(|_| MemoryStoreError::TooLarge)?;
        self.entries.push(Entry { kind, name, data }).map_err(|_| MemoryStoreError::Full)
    }

    fn remove(&mut self, kind: RecordKind, name: &str) -> Result<bool, Self::Error> {
        let Some(i) = self.find(kind, name) else {
            return Ok(false);
        };
        // The last entry's kind, name and bytes are copied over the removed one's, in place, and
        // the last entry dropped: nothing else moves. Not `swap_remove` or a swap of entries:
        // those move whole entries (`R` bytes and more) through `memmove` or a temporary on
        // the stack, 10 KiB for a store of `MAX_RECORD_LEN` records.
        let last = self.entries.len().saturating_sub(1);
        if let Some((head, tail)) = self.entries.split_at_mut_checked(last)
            && let (Some(removed), Some(moved)) = (head.get_mut(i), tail.first())
        {
            removed.kind = moved.kind;
            removed.name.clear();
            removed.data.clear();
            // Cannot fail: both entries have the same capacities.
            removed.name.push_str(moved.name.as_str()).map_err(|_| MemoryStoreError::TooLarge)?;
            removed.data.extend_from_slice(&moved.data).map_err(|_| MemoryStoreError::TooLarge)?;
        }
        self.entries.truncate(last);
        Ok(true)
    }

    fn next_name(
        &mut self,
        kind: RecordKind,
        after: Option<&str>,
        out: &mut [u8; MAX_NAME_LEN],
    ) -> Result<Option<usize>, Self::Error> {
        let after = after.map(str::as_bytes);
        // The least name of `kind` greater than `after` (bytewise, as the trait orders names).
        let next = self
            .entries
            .iter()
            .filter(|e| e.kind == kind && after.is_none_or(|a| e.name.as_bytes() > a))
            .map(|e| e.name.as_bytes())
            .min();
        let Some(name) = next else {
            return Ok(None);
        };
        out.get_mut(..name.len()).ok_or(MemoryStoreError::TooLarge)?.copy_from_slice(name);
        Ok(Some(name.len()))
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

    /// A removal moves the last entry into the removed one's place: every other record keeps
    /// its bytes, and the names still list in order.
    #[test]
    fn removing_any_entry_keeps_the_others() {
        for removed in ["a", "b", "c", "d"] {
            let mut s = MemoryStore::<4, 4>::new();
            for n in ["c", "a", "d", "b"] {
                s.put(RecordKind::Key, n, n.as_bytes()).unwrap();
            }
            assert_eq!(s.remove(RecordKind::Key, removed), Ok(true));
            assert_eq!(s.len(), 3);
            let mut buf = [0u8; 4];
            let mut listed = heapless::Vec::<u8, 4>::new();
            let mut out = [0u8; MAX_NAME_LEN];
            let mut after: Option<String<MAX_NAME_LEN>> = None;
            while let Some(len) = s.next_name(RecordKind::Key, after.as_deref(), &mut out).unwrap() {
                let name = core::str::from_utf8(&out[..len]).unwrap();
                assert_eq!(s.get(RecordKind::Key, name, &mut buf), Ok(Some(1)), "{name} after removing {removed}");
                assert_eq!(&buf[..1], name.as_bytes());
                listed.push(name.as_bytes()[0]).unwrap();
                after = Some(String::try_from(name).unwrap());
            }
            let expected: heapless::Vec<u8, 4> =
                b"abcd".iter().copied().filter(|b| *b != removed.as_bytes()[0]).collect();
            assert_eq!(listed, expected);
            assert_eq!(s.get(RecordKind::Key, removed, &mut buf), Ok(None));
            // The room is free again.
            s.put(RecordKind::Alias, "e", b"e").unwrap();
        }
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
