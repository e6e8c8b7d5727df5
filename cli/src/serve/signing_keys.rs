//! SigV4 signing keys kept between requests, per (access key, day, region, service), as SigV4
//! allows: the signing key depends on nothing else, so the HSM unseals the access key's secret
//! and the HMAC chain runs once per day per access key, not once per request.
//!
//! - Revocation is noticed at once: each entry remembers the identity of the access key's
//!   record file when its secret was read (device, inode, size, modification and change times,
//!   [`RecordStamp`]), and every request compares it with the file as it is now (one `stat`).
//!   A record removed (revoked) or replaced (restored, edited) is a miss; the entries of a
//!   revoked access key are dropped.
//! - Bounded: at most [`CAPACITY`] entries; inserting into a full cache evicts the one used
//!   least recently.
//! - Zeroized: each key lives in a [`Zeroizing`] buffer, wiped when it is evicted, replaced or
//!   the cache is dropped.
//!
//! Shared by the lanes (a mutex held for a map lookup, never across an HSM call).

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use zeroize::Zeroizing;

/// Entries kept at most: about 100 bytes each.
pub(crate) const CAPACITY: usize = 4096;

/// The signature scope a signing key is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Scope {
    pub(crate) access_key_id: String,
    pub(crate) date: String,
    pub(crate) region: String,
    pub(crate) service: String,
}

/// What identifies one version of an access key's record file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordStamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl RecordStamp {
    /// The stamp of the file at `path` (not following a symbolic link); `Ok(None)` if there
    /// is none.
    ///
    /// # Errors
    /// Failures of `stat` other than a missing file.
    pub(crate) fn of(path: &Path) -> std::io::Result<Option<Self>> {
        match std::fs::symlink_metadata(path) {
            Ok(m) => Ok(Some(Self {
                dev: m.dev(),
                ino: m.ino(),
                size: m.size(),
                mtime: (m.mtime(), m.mtime_nsec()),
                ctime: (m.ctime(), m.ctime_nsec()),
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

struct Entry {
    key: Zeroizing<[u8; 32]>,
    record: RecordStamp,
    used: u64,
}

#[derive(Default)]
struct Entries {
    map: HashMap<Scope, Entry>,
    clock: u64,
}

/// The cache.
#[derive(Default)]
pub(crate) struct SigningKeys {
    entries: Mutex<Entries>,
}

impl core::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SigningKeys").field("entries", &self.len()).finish_non_exhaustive()
    }
}

impl SigningKeys {
    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        // Every change is one map operation: a panic elsewhere leaves the map consistent.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many signing keys are kept.
    pub(crate) fn len(&self) -> usize {
        self.entries().map.len()
    }

    /// The signing key of `scope` if one was derived from the record as it is now (`record`).
    pub(crate) fn get(&self, scope: &Scope, record: RecordStamp) -> Option<Zeroizing<[u8; 32]>> {
        let mut entries = self.entries();
        entries.clock = entries.clock.wrapping_add(1);
        let now = entries.clock;
        let entry = entries.map.get_mut(scope)?;
        if entry.record != record {
            // Replaced since: derived again from the new record by the caller.
            entries.map.remove(scope);
            return None;
        }
        entry.used = now;
        Some(entry.key.clone())
    }

    /// Keeps `key`, derived for `scope` from the record identified by `record`.
    pub(crate) fn insert(&self, scope: Scope, record: RecordStamp, key: &Zeroizing<[u8; 32]>) {
        let mut entries = self.entries();
        entries.clock = entries.clock.wrapping_add(1);
        let used = entries.clock;
        if entries.map.len() >= CAPACITY
            && !entries.map.contains_key(&scope)
            && let Some(oldest) = entries.map.iter().min_by_key(|(_, e)| e.used).map(|(s, _)| s.clone())
        {
            // Dropped: its key is zeroized.
            entries.map.remove(&oldest);
        }
        entries.map.insert(scope, Entry { key: key.clone(), record, used });
    }

    /// Drops every entry of `access_key_id` (its record is gone).
    pub(crate) fn forget(&self, access_key_id: &str) {
        self.entries().map.retain(|scope, _| scope.access_key_id != access_key_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(id: &str, date: &str) -> Scope {
        Scope { access_key_id: id.into(), date: date.into(), region: "us-east-1".into(), service: "kms".into() }
    }

    #[test]
    fn kept_per_scope_until_the_record_changes_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("CFAKAAAAAAAAAAAAAAAA");
        std::fs::write(&file, b"one").unwrap();
        let stamp = RecordStamp::of(&file).unwrap().unwrap();
        let cache = SigningKeys::default();
        let key = Zeroizing::new([7u8; 32]);
        let today = scope("CFAKAAAAAAAAAAAAAAAA", "20260101");
        assert!(cache.get(&today, stamp).is_none());
        cache.insert(today.clone(), stamp, &key);
        assert_eq!(cache.get(&today, stamp).as_deref(), Some(&[7u8; 32]));
        // Another day, region or access key is another signing key.
        assert!(cache.get(&scope("CFAKAAAAAAAAAAAAAAAA", "20260102"), stamp).is_none());
        assert!(cache.get(&scope("CFAKBBBBBBBBBBBBBBBB", "20260101"), stamp).is_none());
        let mut elsewhere = today.clone();
        elsewhere.region = "eu-west-1".into();
        assert!(cache.get(&elsewhere, stamp).is_none());

        // The record replaced (a new file in its place): a miss, and the entry is gone.
        let replacement = dir.path().join("new");
        std::fs::write(&replacement, b"two").unwrap();
        std::fs::rename(&replacement, &file).unwrap();
        let replaced = RecordStamp::of(&file).unwrap().unwrap();
        assert_ne!(replaced, stamp);
        assert!(cache.get(&today, replaced).is_none());
        assert!(cache.get(&today, stamp).is_none(), "dropped on the miss");

        // Removed: no stamp; its entries are forgotten.
        cache.insert(today.clone(), replaced, &key);
        std::fs::remove_file(&file).unwrap();
        assert_eq!(RecordStamp::of(&file).unwrap(), None);
        cache.forget("CFAKAAAAAAAAAAAAAAAA");
        assert_eq!(cache.len(), 0);

        // Bounded: the least recently used goes first.
        for n in 0..CAPACITY {
            cache.insert(scope(&format!("CFAK{n:016}"), "20260101"), stamp, &key);
        }
        assert!(cache.get(&scope(&format!("CFAK{:016}", 0), "20260101"), stamp).is_some());
        cache.insert(today.clone(), stamp, &key);
        assert_eq!(cache.len(), CAPACITY);
        assert!(cache.get(&scope(&format!("CFAK{:016}", 0), "20260101"), stamp).is_some(), "used recently: kept");
        assert!(cache.get(&scope(&format!("CFAK{:016}", 1), "20260101"), stamp).is_none(), "least recent: evicted");
        assert!(cache.get(&today, stamp).is_some());
    }
}
