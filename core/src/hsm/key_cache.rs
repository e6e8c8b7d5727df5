//! [`KeyCache`]: a bounded, heap-free cache of loaded keys, least recently used out first.
//!
//! One structure for every layer that keeps key versions loaded between uses: the KMS façade
//! keeps [`Hsm`](super::Hsm) handles in it (so Encrypt and Decrypt skip the unwrap), and the
//! PKCS#11 backend keeps token objects in it. What an entry is keyed by and what it holds is the
//! user's: both must be [`Zeroize`], and the cache wipes both whenever an entry leaves it —
//! eviction, removal, [`clear`](KeyCache::clear), or dropping the cache. Whatever the entry
//! named outside the cache (an HSM handle, a token object) is the user's to release: every
//! method that removes entries shows each one to a callback first.
//!
//! An entry may be *held* ([`hold`](KeyCache::hold)): a held entry is never evicted, for users
//! that hand out references to it (the PKCS#11 backend's live handles).

use zeroize::Zeroize;

/// Where an entry sits in a [`KeyCache`]; valid until that entry leaves the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place(usize);

struct Entry<K, V> {
    key: K,
    value: V,
    /// Tick of the last use: the smallest among those not held is evicted first.
    last_use: u64,
    /// How many users hold the entry; held entries are never evicted.
    holds: u32,
}

/// Up to `N` entries, each a key `K` and what it holds `V`. `N` may be 0: nothing is ever
/// cached, and [`insert`](KeyCache::insert) hands every entry back.
pub struct KeyCache<K: Zeroize, V: Zeroize, const N: usize> {
    entries: [Option<Entry<K, V>>; N],
    /// Places in use at most: `N`, or fewer when chosen at run time.
    limit: usize,
    tick: u64,
}

impl<K: Zeroize, V: Zeroize, const N: usize> Default for KeyCache<K, V, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Zeroize, V: Zeroize, const N: usize> KeyCache<K, V, N> {
    /// An empty cache.
    pub const fn new() -> Self {
        Self { entries: [const { None }; N], limit: N, tick: 0 }
    }

    /// An empty cache that holds at most `limit` entries (and never more than `N`): for users
    /// whose capacity is configured at run time below a fixed bound.
    pub const fn with_limit(limit: usize) -> Self {
        Self { entries: [const { None }; N], limit: if limit < N { limit } else { N }, tick: 0 }
    }

    /// How many entries it can hold.
    pub const fn capacity(&self) -> usize {
        self.limit
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.entries.iter().flatten().count()
    }

    /// True if it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.iter().all(Option::is_none)
    }

    /// The first entry whose key `matches`, without counting it as a use.
    pub fn find(&self, mut matches: impl FnMut(&K) -> bool) -> Option<Place> {
        self.entries.iter().position(|e| e.as_ref().is_some_and(|e| matches(&e.key))).map(Place)
    }

    /// The first entry whose value `matches`, without counting it as a use.
    pub fn find_value(&self, mut matches: impl FnMut(&V) -> bool) -> Option<Place> {
        self.entries.iter().position(|e| e.as_ref().is_some_and(|e| matches(&e.value))).map(Place)
    }

    /// The first entry whose key `matches`, counted as a use, and what it holds.
    pub fn get(&mut self, matches: impl FnMut(&K) -> bool) -> Option<(Place, &V)> {
        let place = self.find(matches)?;
        let tick = self.next_tick();
        let entry = self.entries.get_mut(place.0)?.as_mut()?;
        entry.last_use = tick;
        Some((place, &entry.value))
    }

    /// Counts a use of the entry at `place`. False if there is none.
    pub fn touch(&mut self, place: Place) -> bool {
        let tick = self.next_tick();
        self.entry_mut(place).map(|e| e.last_use = tick).is_some()
    }

    /// The key of the entry at `place`.
    pub fn key(&self, place: Place) -> Option<&K> {
        self.entries.get(place.0)?.as_ref().map(|e| &e.key)
    }

    /// What the entry at `place` holds.
    pub fn value(&self, place: Place) -> Option<&V> {
        self.entries.get(place.0)?.as_ref().map(|e| &e.value)
    }

    /// Holds the entry at `place` (it is not evicted until every hold is let go). False if there
    /// is no entry there, or it is held `u32::MAX` times already.
    pub fn hold(&mut self, place: Place) -> bool {
        self.entry_mut(place).and_then(|e| e.holds.checked_add(1).map(|h| e.holds = h)).is_some()
    }

    /// Lets go of one hold on the entry at `place`. False if it was not held.
    pub fn let_go(&mut self, place: Place) -> bool {
        self.entry_mut(place).and_then(|e| e.holds.checked_sub(1).map(|h| e.holds = h)).is_some()
    }

    /// True if [`insert`](Self::insert) would find a place: a free one, or an entry not held.
    pub fn has_room(&self) -> bool {
        self.usable().iter().any(|e| e.as_ref().is_none_or(|e| e.holds == 0))
    }

    /// Adds an entry, counted as used now. If every place is taken, the least recently used
    /// entry that is not held is shown to `evicted` and wiped first.
    ///
    /// # Errors
    /// The entry, handed back, when there is no room: capacity 0, or every entry held. Its
    /// value is the caller's to release (and wipe).
    pub fn insert(&mut self, key: K, value: V, evicted: impl FnOnce(&K, &V)) -> Result<Place, (K, V)> {
        let free = self.usable().iter().position(Option::is_none);
        let Some(index) = free.or_else(|| self.least_recently_used()) else {
            return Err((key, value));
        };
        let tick = self.next_tick();
        let Some(slot) = self.entries.get_mut(index) else {
            return Err((key, value));
        };
        if let Some(old) = slot.as_ref() {
            evicted(&old.key, &old.value);
        }
        wipe(slot);
        *slot = Some(Entry { key, value, last_use: tick, holds: 0 });
        Ok(Place(index))
    }

    /// Evicts the least recently used entry that is not held, showing it to `evicted` before it
    /// is wiped. False if there was none.
    pub fn evict_one(&mut self, evicted: impl FnOnce(&K, &V)) -> bool {
        match self.least_recently_used() {
            Some(index) => self.remove(Place(index), evicted),
            None => false,
        }
    }

    /// Removes the entry at `place` (held or not), showing it to `removed` before it is wiped.
    /// False if there was none.
    pub fn remove(&mut self, place: Place, removed: impl FnOnce(&K, &V)) -> bool {
        let Some(slot) = self.entries.get_mut(place.0) else { return false };
        let Some(entry) = slot.as_ref() else { return false };
        removed(&entry.key, &entry.value);
        wipe(slot);
        true
    }

    /// Removes every entry (held or not) whose key `matches`, showing each to `removed` before
    /// it is wiped. Returns how many were removed.
    pub fn remove_where(&mut self, mut matches: impl FnMut(&K) -> bool, mut removed: impl FnMut(&K, &V)) -> usize {
        let mut count = 0usize;
        for slot in &mut self.entries {
            if let Some(entry) = slot.as_ref().filter(|e| matches(&e.key)) {
                removed(&entry.key, &entry.value);
                wipe(slot);
                count = count.saturating_add(1);
            }
        }
        count
    }

    /// Removes every entry, showing each to `removed` before it is wiped.
    pub fn clear(&mut self, removed: impl FnMut(&K, &V)) -> usize {
        self.remove_where(|_| true, removed)
    }

    /// The places this cache may fill.
    fn usable(&self) -> &[Option<Entry<K, V>>] {
        self.entries.get(..self.limit).unwrap_or(&self.entries)
    }

    fn entry_mut(&mut self, place: Place) -> Option<&mut Entry<K, V>> {
        self.entries.get_mut(place.0)?.as_mut()
    }

    /// The index of the least recently used entry not held.
    fn least_recently_used(&self) -> Option<usize> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().filter(|e| e.holds == 0).map(|e| (i, e.last_use)))
            .min_by_key(|&(_, last_use)| last_use)
            .map(|(i, _)| i)
    }

    /// A tick later than every use recorded. A `u64` counted once per use does not wrap in any
    /// real lifetime; if it ever did, the order of uses would only be wrong until each entry is
    /// used again (eviction order is a matter of speed, never of safety).
    fn next_tick(&mut self) -> u64 {
        self.tick = self.tick.wrapping_add(1);
        self.tick
    }
}

/// Wipes the entry in `slot` (key, value and bookkeeping) and leaves the slot empty.
fn wipe<K: Zeroize, V: Zeroize>(slot: &mut Option<Entry<K, V>>) {
    if let Some(entry) = slot.as_mut() {
        entry.key.zeroize();
        entry.value.zeroize();
        entry.last_use = 0;
        entry.holds = 0;
    }
    *slot = None;
}

impl<K: Zeroize, V: Zeroize, const N: usize> Drop for KeyCache<K, V, N> {
    fn drop(&mut self) {
        self.entries.iter_mut().for_each(wipe);
    }
}

impl<K: Zeroize, V: Zeroize, const N: usize> core::fmt::Debug for KeyCache<K, V, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Counts only: what the entries hold is not for logs.
        f.debug_struct("KeyCache").field("len", &self.len()).field("capacity", &self.limit).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::RefCell;

    /// A key that records, in a shared log, every time it is wiped.
    #[derive(Debug)]
    struct Tracked<'a> {
        id: u8,
        wiped: &'a RefCell<heapless::Vec<u8, 16>>,
    }

    impl Zeroize for Tracked<'_> {
        fn zeroize(&mut self) {
            self.wiped.borrow_mut().push(self.id).unwrap();
            self.id = 0;
        }
    }

    fn key(id: u8, wiped: &RefCell<heapless::Vec<u8, 16>>) -> Tracked<'_> {
        Tracked { id, wiped }
    }

    fn wiped(log: &RefCell<heapless::Vec<u8, 16>>) -> heapless::Vec<u8, 16> {
        log.borrow().clone()
    }

    #[test]
    fn n_entries_are_kept_and_the_next_evicts_and_wipes_the_least_recently_used() {
        let log = RefCell::new(heapless::Vec::new());
        let mut cache = KeyCache::<Tracked<'_>, [u8; 4], 3>::new();
        for id in 1..=3 {
            assert!(cache.insert(key(id, &log), [id; 4], |_, _| panic!("nothing to evict")).is_ok());
        }
        assert_eq!(cache.len(), 3);
        // 1 is used again, so 2 is now the least recently used.
        assert_eq!(cache.get(|k| k.id == 1).map(|(_, v)| *v), Some([1; 4]));
        assert!(wiped(&log).is_empty(), "nothing is wiped while N entries fit");

        let mut seen = None;
        let place = cache.insert(key(4, &log), [4; 4], |k, v| seen = Some((k.id, *v)));
        assert!(place.is_ok());
        assert_eq!(seen, Some((2, [2; 4])), "the evicted entry is shown before it goes");
        assert_eq!(wiped(&log).as_slice(), &[2], "and then wiped");
        assert_eq!(cache.len(), 3);
        assert!(cache.find(|k| k.id == 2).is_none());
        for id in [1, 3, 4] {
            assert!(cache.find(|k| k.id == id).is_some(), "{id} stays");
        }
    }

    #[test]
    fn the_evicted_value_is_wiped_in_place() {
        // A value type whose wipe can be seen through the place it occupied.
        let mut cache = KeyCache::<[u8; 2], [u8; 8], 1>::new();
        let first = cache.insert([1, 1], [0xAA; 8], |_, _| {}).unwrap();
        let mut evicted = [0u8; 8];
        let second = cache.insert([2, 2], [0xBB; 8], |_, v| evicted = *v).unwrap();
        assert_eq!(first, second, "capacity 1: the same place");
        assert_eq!(evicted, [0xAA; 8]);
        assert_eq!(cache.value(second), Some(&[0xBB; 8]));
        assert!(cache.remove(second, |_, _| {}));
        assert_eq!(cache.value(second), None);
    }

    #[test]
    fn capacity_zero_caches_nothing_and_hands_the_entry_back() {
        let mut cache = KeyCache::<[u8; 2], u32, 0>::new();
        assert!(!cache.has_room());
        assert_eq!(cache.insert([1, 2], 7, |_, _| panic!("nothing to evict")), Err(([1, 2], 7)));
        assert!(cache.is_empty());
        assert!(cache.get(|_| true).is_none());
        assert!(!cache.evict_one(|_, _| {}));
    }

    #[test]
    fn a_limit_below_n_is_the_capacity() {
        let mut cache = KeyCache::<u8, u8, 4>::with_limit(2);
        assert_eq!(cache.capacity(), 2);
        cache.insert(1, 1, |_, _| {}).unwrap();
        cache.insert(2, 2, |_, _| {}).unwrap();
        let mut evicted = 0;
        cache.insert(3, 3, |k, _| evicted = *k).unwrap();
        assert_eq!((evicted, cache.len()), (1, 2));
        assert_eq!(KeyCache::<u8, u8, 4>::with_limit(9).capacity(), 4);
    }

    #[test]
    fn held_entries_are_never_evicted() {
        let mut cache = KeyCache::<u8, u8, 2>::new();
        let a = cache.insert(1, 10, |_, _| {}).unwrap();
        let b = cache.insert(2, 20, |_, _| {}).unwrap();
        assert!(cache.hold(a) && cache.hold(b));
        assert!(!cache.has_room());
        assert_eq!(cache.insert(3, 30, |_, _| panic!("held")), Err((3, 30)));
        assert!(cache.let_go(b));
        assert!(!cache.let_go(b), "one hold, let go once");
        let mut evicted = 0;
        cache.insert(3, 30, |k, _| evicted = *k).unwrap();
        assert_eq!(evicted, 2, "the one not held goes, though 1 is older");
        assert_eq!(cache.value(a), Some(&10));
    }

    #[test]
    fn remove_where_drops_every_match_and_shows_each() {
        let log = RefCell::new(heapless::Vec::new());
        let mut cache = KeyCache::<Tracked<'_>, u8, 4>::new();
        for id in [1, 2, 11, 12] {
            cache.insert(key(id, &log), id, |_, _| {}).unwrap();
        }
        let held = cache.find(|k| k.id == 11).unwrap();
        assert!(cache.hold(held));
        let mut shown = heapless::Vec::<u8, 4>::new();
        assert_eq!(cache.remove_where(|k| k.id > 10, |_, v| shown.push(*v).unwrap()), 2);
        assert_eq!(shown.as_slice(), &[11, 12], "held entries are removed too");
        assert_eq!(wiped(&log).as_slice(), &[11, 12]);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.clear(|_, _| {}), 2);
        assert!(cache.is_empty());
    }

    #[test]
    fn dropping_the_cache_wipes_every_entry() {
        let log = RefCell::new(heapless::Vec::new());
        {
            let mut cache = KeyCache::<Tracked<'_>, u8, 3>::new();
            cache.insert(key(5, &log), 0, |_, _| {}).unwrap();
            cache.insert(key(6, &log), 0, |_, _| {}).unwrap();
        }
        let mut got = wiped(&log);
        got.sort_unstable();
        assert_eq!(got.as_slice(), &[5, 6]);
    }
}
