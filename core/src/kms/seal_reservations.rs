//! The seals a façade has reserved in key records and not used yet: a fixed table, no heap.
//!
//! Each entry is one key version's unused rest of a batch. The key record already counts the
//! whole batch, so an entry that is lost (evicted, or the façade dropped or killed) only makes
//! the version rotate earlier; it never lets a version seal more than its budget.

use crate::key::KeyId;

/// Key versions whose reservations a façade keeps at once. A ninth key sealing evicts one (its
/// remainder is lost, counted as used); a façade that seals under more keys in turn writes a key
/// record more often, never more seals than the budget.
pub const SEAL_RESERVATIONS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Reservation {
    key_id: KeyId,
    version: u32,
    /// Seals still free in the reserved batch.
    left: u64,
}

/// Seals reserved and not yet used, per key version (at most [`SEAL_RESERVATIONS`]).
///
/// A façade owns one. A server that builds a façade per request over the same store carries the
/// table from one to the next ([`Kms::take_seal_reservations`](super::Kms::take_seal_reservations),
/// [`Kms::set_seal_reservations`](super::Kms::set_seal_reservations)), so it writes a key record
/// once per batch rather than once per request. It is deliberately not `Clone`: two façades
/// using copies of one table would both make the seals it holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SealReservations {
    slots: [Option<Reservation>; SEAL_RESERVATIONS],
    /// The slot to evict when every slot holds seals.
    evict_next: usize,
}

impl SealReservations {
    /// An empty table.
    pub const fn new() -> Self {
        Self { slots: [None; SEAL_RESERVATIONS], evict_next: 0 }
    }

    /// Takes one seal from version `version` of key `id`'s reservation; `false` if it has none
    /// left (or none).
    pub(crate) fn take(&mut self, id: &KeyId, version: u32) -> bool {
        let found = self.slots.iter_mut().flatten().find(|r| r.key_id == *id && r.version == version);
        match found {
            Some(r) if r.left > 0 => {
                r.left = r.left.saturating_sub(1);
                true
            }
            _ => false,
        }
    }

    /// Records `left` free seals for version `version` of key `id`. It replaces that key's entry
    /// (of any version: seals go to the current version only), else fills an empty or used-up
    /// slot, else evicts one in turn.
    pub(crate) fn insert(&mut self, id: KeyId, version: u32, left: u64) {
        let entry = Some(Reservation { key_id: id, version, left });
        let same_key = self.slots.iter().position(|s| s.is_some_and(|r| r.key_id == id));
        let free = || self.slots.iter().position(|s| s.is_none_or(|r| r.left == 0));
        let at = match same_key.or_else(free) {
            Some(at) => at,
            None => {
                let at = self.evict_next % SEAL_RESERVATIONS;
                self.evict_next = at.saturating_add(1) % SEAL_RESERVATIONS;
                at
            }
        };
        if let Some(slot) = self.slots.get_mut(at) {
            *slot = entry;
        }
    }

    /// The free seals held for version `version` of key `id` (0 if none).
    pub fn left(&self, id: &KeyId, version: u32) -> u64 {
        self.slots.iter().flatten().find(|r| r.key_id == *id && r.version == version).map_or(0, |r| r.left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> KeyId {
        KeyId::from_random([n; 16])
    }

    #[test]
    fn takes_until_the_batch_is_used() {
        let mut table = SealReservations::new();
        assert!(!table.take(&key(1), 1), "nothing reserved");
        table.insert(key(1), 1, 2);
        assert!(!table.take(&key(1), 2), "another version");
        assert!(!table.take(&key(2), 1), "another key");
        assert!(table.take(&key(1), 1));
        assert!(table.take(&key(1), 1));
        assert!(!table.take(&key(1), 1), "used up");
        assert_eq!(table.left(&key(1), 1), 0);
    }

    #[test]
    fn a_new_version_replaces_the_old_one() {
        let mut table = SealReservations::new();
        table.insert(key(1), 1, 5);
        table.insert(key(1), 2, 3);
        assert_eq!((table.left(&key(1), 1), table.left(&key(1), 2)), (0, 3));
        assert_eq!(table.slots.iter().flatten().count(), 1);
    }

    #[test]
    fn stays_bounded_and_evicts_in_turn() {
        let mut table = SealReservations::new();
        for n in 0..8 {
            table.insert(key(n), 1, 10);
        }
        // Full: the ninth key evicts slot 0, the tenth slot 1.
        table.insert(key(8), 1, 10);
        table.insert(key(9), 1, 10);
        assert_eq!((table.left(&key(0), 1), table.left(&key(1), 1), table.left(&key(2), 1)), (0, 0, 10));
        assert_eq!((table.left(&key(8), 1), table.left(&key(9), 1)), (10, 10));
        // A used-up slot is taken before anything is evicted.
        table.insert(key(5), 1, 0);
        table.insert(key(10), 1, 10);
        assert_eq!((table.left(&key(10), 1), table.left(&key(2), 1), table.left(&key(3), 1)), (10, 10, 10));
        assert_eq!(table.slots.iter().flatten().count(), SEAL_RESERVATIONS);
    }
}
