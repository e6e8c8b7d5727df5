//! The local cryptographic materials cache (spec `framework/local-cryptographic-materials-cache.md`):
//! fixed slots, least-recently-used eviction, TTL-expired entries pruned on every get.

use core::fmt;

use super::super::materials::{DataKey, EncryptionMaterials};
use super::super::suite::AlgorithmSuite;
use super::id::CacheId;
use crate::clock::Timestamp;

/// Cached encryption materials and their usage.
pub(crate) struct EncryptEntry {
    pub(crate) id: CacheId,
    pub(crate) suite: AlgorithmSuite,
    pub(crate) created: Timestamp,
    pub(crate) messages: u64,
    pub(crate) bytes: u64,
    last_used: u64,
    /// The data key, the EDKs and, for `05 78`, the signing key, without the caller's context
    /// (which the identifier binds). The keys are wiped when dropped.
    pub(crate) materials: EncryptionMaterials<'static>,
}

/// A cached data key for decryption.
pub(crate) struct DecryptEntry {
    pub(crate) id: CacheId,
    pub(crate) suite: AlgorithmSuite,
    pub(crate) created: Timestamp,
    last_used: u64,
    /// Zeroized when dropped.
    pub(crate) data_key: DataKey,
}

/// Whether an entry created at `created` may still be used at `now`, for a time-to-live of
/// `max_age` seconds: only while `now - created < max_age`. At exactly `max_age` seconds the
/// entry is expired: the clock counts whole seconds, so an entry that shows an age of `max_age`
/// may have lived up to a second longer. A clock that went backwards expires everything.
pub(crate) fn is_fresh(created: Timestamp, now: Timestamp, max_age: u64) -> bool {
    now.checked_sub(created).is_some_and(|age| age < max_age)
}

/// A fixed-capacity cache of encryption materials (`E` slots) and of decryption data keys
/// (`D` slots), shared by one or more [`CachingCmm`](super::CachingCmm)s, which keep their
/// entries apart by partition.
///
/// Entries are bound to an identifier computed as the caching CMM spec's Appendix A says
/// (SHA-384 over the partition, the suite, the exact encryption context and, for decryption,
/// the encrypted data keys); the suite is also stored and checked. When the slots are full, the
/// least recently used entry is evicted. Evicting, replacing, expiring or dropping an entry, and
/// dropping the cache, zeroizes its data key (and signing key).
///
/// Entries do not borrow the encryption context they were made for (the identifier binds it),
/// so requests may use short-lived contexts. Each encryption slot holds an
/// [`EncryptionMaterials`]: without `std`, its EDK pool of
/// [`MAX_EDK_POOL_LEN`](super::super::MAX_EDK_POOL_LEN) bytes inline (about 2.5 KiB a slot with
/// a P-384 signing key); with `std`, the EDKs on the heap. A decryption slot is under 150 bytes.
/// Size `E` accordingly.
pub struct LocalCache<const E: usize, const D: usize> {
    encrypt: [Option<EncryptEntry>; E],
    decrypt: [Option<DecryptEntry>; D],
    tick: u64,
    evictions: u64,
}

impl<const E: usize, const D: usize> fmt::Debug for LocalCache<E, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalCache")
            .field("encrypt_entries", &self.encrypt_len())
            .field("decrypt_entries", &self.decrypt_len())
            .field("evictions", &self.evictions)
            .finish_non_exhaustive()
    }
}

impl<const E: usize, const D: usize> Default for LocalCache<E, D> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const E: usize, const D: usize> LocalCache<E, D> {
    /// Slots for encryption materials.
    pub const ENCRYPT_CAPACITY: usize = E;
    /// Slots for decryption data keys.
    pub const DECRYPT_CAPACITY: usize = D;

    /// An empty cache. A capacity of 0 is allowed (the spec's lower bound): nothing is cached.
    pub const fn new() -> Self {
        Self { encrypt: [const { None }; E], decrypt: [const { None }; D], tick: 0, evictions: 0 }
    }

    /// Encryption materials held now.
    pub fn encrypt_len(&self) -> usize {
        self.encrypt.iter().flatten().count()
    }

    /// Decryption data keys held now.
    pub fn decrypt_len(&self) -> usize {
        self.decrypt.iter().flatten().count()
    }

    /// Entries removed so far to make room (least recently used first), or because they
    /// expired or reached a usage limit. Every removal zeroizes the entry's keys.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// Removes every entry, zeroizing their keys.
    pub fn clear(&mut self) {
        for slot in &mut self.encrypt {
            *slot = None;
        }
        for slot in &mut self.decrypt {
            *slot = None;
        }
    }

    fn next_tick(&mut self) -> u64 {
        self.tick = self.tick.saturating_add(1);
        self.tick
    }

    /// The slot of a usable encryption entry for `id`, after pruning every expired encryption
    /// entry (the spec's pruning, with a tail size of the whole capacity). Marks it used.
    pub(crate) fn get_encrypt(
        &mut self,
        id: &CacheId,
        suite: AlgorithmSuite,
        now: Timestamp,
        max_age: u64,
    ) -> Option<usize> {
        let mut found = None;
        let mut pruned: u64 = 0;
        for (i, slot) in self.encrypt.iter_mut().enumerate() {
            let Some(entry) = slot else { continue };
            if !is_fresh(entry.created, now, max_age) {
                *slot = None;
                pruned = pruned.saturating_add(1);
            } else if entry.id == *id && entry.suite == suite {
                found = Some(i);
            }
        }
        self.evictions = self.evictions.saturating_add(pruned);
        let i = found?;
        let tick = self.next_tick();
        if let Some(Some(entry)) = self.encrypt.get_mut(i) {
            entry.last_used = tick;
        }
        found
    }

    pub(crate) fn encrypt_entry(&self, slot: usize) -> Option<&EncryptEntry> {
        self.encrypt.get(slot)?.as_ref()
    }

    pub(crate) fn encrypt_entry_mut(&mut self, slot: usize) -> Option<&mut EncryptEntry> {
        self.encrypt.get_mut(slot)?.as_mut()
    }

    /// Removes (and zeroizes) the encryption entry in `slot`.
    pub(crate) fn remove_encrypt(&mut self, slot: usize) {
        if let Some(s) = self.encrypt.get_mut(slot)
            && s.take().is_some()
        {
            self.evictions = self.evictions.saturating_add(1);
        }
    }

    /// Stores encryption materials under `id` (replacing an entry with that id, else taking a
    /// free slot, else evicting the least recently used) with the usage of their first message.
    /// Returns the slot, or `None` (having dropped the materials) if the capacity is 0: the
    /// caller checks [`ENCRYPT_CAPACITY`](Self::ENCRYPT_CAPACITY) first.
    pub(crate) fn put_encrypt(
        &mut self,
        id: CacheId,
        now: Timestamp,
        first_message_bytes: u64,
        materials: EncryptionMaterials<'static>,
    ) -> Option<usize> {
        let last_used = self.next_tick();
        let slot = pick_slot(&self.encrypt, |e| (e.id == id, e.last_used))?;
        let target = self.encrypt.get_mut(slot)?;
        if target.is_some() {
            self.evictions = self.evictions.saturating_add(1);
        }
        *target = Some(EncryptEntry {
            id,
            suite: materials.suite(),
            created: now,
            messages: 1,
            bytes: first_message_bytes,
            last_used,
            materials,
        });
        Some(slot)
    }

    /// The data key cached for `id`, after pruning expired decryption entries. Marks it used.
    pub(crate) fn get_decrypt(
        &mut self,
        id: &CacheId,
        suite: AlgorithmSuite,
        now: Timestamp,
        max_age: u64,
    ) -> Option<&DataKey> {
        let mut found = None;
        let mut pruned: u64 = 0;
        for (i, slot) in self.decrypt.iter_mut().enumerate() {
            let Some(entry) = slot else { continue };
            if !is_fresh(entry.created, now, max_age) {
                *slot = None;
                pruned = pruned.saturating_add(1);
            } else if entry.id == *id && entry.suite == suite {
                found = Some(i);
            }
        }
        self.evictions = self.evictions.saturating_add(pruned);
        let tick = self.next_tick();
        let entry = self.decrypt.get_mut(found?)?.as_mut()?;
        entry.last_used = tick;
        Some(&entry.data_key)
    }

    /// Stores a decryption data key under `id`, as [`put_encrypt`](Self::put_encrypt) does.
    pub(crate) fn put_decrypt(&mut self, id: CacheId, suite: AlgorithmSuite, now: Timestamp, data_key: DataKey) {
        let last_used = self.next_tick();
        let Some(slot) = pick_slot(&self.decrypt, |e| (e.id == id, e.last_used)) else { return };
        let Some(target) = self.decrypt.get_mut(slot) else { return };
        if target.is_some() {
            self.evictions = self.evictions.saturating_add(1);
        }
        *target = Some(DecryptEntry { id, suite, created: now, last_used, data_key });
    }
}

/// Where to put an entry: the slot already holding its id, else a free one, else the least
/// recently used. `None` only for a capacity of 0.
fn pick_slot<T>(slots: &[Option<T>], key: impl Fn(&T) -> (bool, u64)) -> Option<usize> {
    if let Some(i) = slots.iter().position(|s| s.as_ref().is_some_and(|e| key(e).0)) {
        return Some(i);
    }
    if let Some(i) = slots.iter().position(Option::is_none) {
        return Some(i);
    }
    slots.iter().enumerate().min_by_key(|(_, s)| s.as_ref().map_or(0, |e| key(e).1)).map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_is_strictly_below_max_age() {
        assert!(is_fresh(100, 100, 10));
        assert!(is_fresh(100, 109, 10));
        assert!(!is_fresh(100, 110, 10));
        assert!(!is_fresh(100, 99, 10), "a clock that went backwards expires the entry");
        assert!(!is_fresh(100, 100, 0));
    }

    #[test]
    fn decrypt_slots_evict_the_least_recently_used() {
        let suite = AlgorithmSuite::AesGcm256HkdfSha512Commit;
        let mut cache: LocalCache<0, 2> = LocalCache::new();
        cache.put_decrypt([1; 48], suite, 0, DataKey::from_slice(&[1; 32]).unwrap());
        cache.put_decrypt([2; 48], suite, 0, DataKey::from_slice(&[2; 32]).unwrap());
        // Use 1, so 2 is the least recently used.
        assert!(cache.get_decrypt(&[1; 48], suite, 0, 10).is_some());
        cache.put_decrypt([3; 48], suite, 0, DataKey::from_slice(&[3; 32]).unwrap());
        assert_eq!(cache.evictions(), 1);
        assert!(cache.get_decrypt(&[2; 48], suite, 0, 10).is_none());
        assert_eq!(cache.get_decrypt(&[1; 48], suite, 0, 10).unwrap().as_bytes(), &[1; 32]);
        assert_eq!(cache.get_decrypt(&[3; 48], suite, 0, 10).unwrap().as_bytes(), &[3; 32]);
        assert_eq!(cache.decrypt_len(), 2);
        // Expiry prunes on get.
        assert!(cache.get_decrypt(&[1; 48], suite, 10, 10).is_none());
        assert_eq!(cache.decrypt_len(), 0);
    }
}
