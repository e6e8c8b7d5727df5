//! Loaded KMS key versions, kept in the token between uses so that repeated use costs no
//! unwrap, and the handles given out for them.
//!
//! A handle names one `load_key` call: releasing it makes that handle invalid forever (its id
//! is never issued again), while the token object stays cached until the cache needs its
//! place. Entries are found by their wrapped bytes, which authenticate under the root: under
//! one root, equal wrapped bytes are the same key. The cache is emptied whenever the root
//! changes or the login is lost.

use coffer_core::hsm::{WRAPPED_KEY_LEN, WrappedKey};
use cryptoki::object::ObjectHandle;
use std::collections::HashMap;

/// A loaded key version, as [`Pkcs11Hsm`](crate::Pkcs11Hsm) hands it out.
///
/// Plain data: copying it copies no key material (the key stays in the token). It names the
/// instance that issued it, so a handle from another instance is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pkcs11Handle {
    pub(crate) instance: u64,
    pub(crate) id: u64,
}

#[derive(Debug)]
struct Entry<O> {
    wrapped: [u8; WRAPPED_KEY_LEN],
    object: O,
    /// Handles issued for this entry and not released.
    live: usize,
    /// When it was last used, in ticks of [`KeyCache::tick`].
    last_use: u64,
}

/// The cache: at most `capacity` loaded objects (token object handles; generic so that the
/// bookkeeping is tested without a token).
#[derive(Debug)]
pub(crate) struct KeyCache<O = ObjectHandle> {
    instance: u64,
    capacity: usize,
    entries: Vec<Option<Entry<O>>>,
    handles: HashMap<u64, usize>,
    next_id: u64,
    tick: u64,
    unwraps: u64,
}

impl<O: Copy> KeyCache<O> {
    pub(crate) fn new(instance: u64, capacity: usize) -> Self {
        Self { instance, capacity, entries: Vec::new(), handles: HashMap::new(), next_id: 1, tick: 0, unwraps: 0 }
    }

    fn touch(&mut self) -> u64 {
        self.tick = self.tick.wrapping_add(1);
        self.tick
    }

    fn issue(&mut self, slot: usize) -> Pkcs11Handle {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.handles.insert(id, slot);
        let now = self.touch();
        if let Some(Some(entry)) = self.entries.get_mut(slot) {
            entry.live = entry.live.saturating_add(1);
            entry.last_use = now;
        }
        Pkcs11Handle { instance: self.instance, id }
    }

    /// The cached object for `wrapped`, if any, and its place (for [`hit`](Self::hit) or
    /// [`drop_slot`](Self::drop_slot)).
    pub(crate) fn find(&self, wrapped: &WrappedKey) -> Option<(usize, O)> {
        self.entries
            .iter()
            .enumerate()
            .find_map(|(slot, e)| e.as_ref().filter(|e| e.wrapped == wrapped.0).map(|e| (slot, e.object)))
    }

    /// Issues a handle for the cached entry at `slot` (found by [`find`](Self::find)).
    pub(crate) fn hit(&mut self, slot: usize) -> Pkcs11Handle {
        self.issue(slot)
    }

    /// True if [`insert`](Self::insert) will find a place: a free one, or an entry nobody holds.
    pub(crate) fn has_room(&self) -> bool {
        self.entries.len() < self.capacity || self.entries.iter().any(|e| e.as_ref().is_none_or(|e| e.live == 0))
    }

    /// Records a key just unwrapped into `object` and issues its first handle. Returns the
    /// object of an evicted entry (least recently used among those nobody holds), which the
    /// caller destroys, or `None` if there was a free place. `None` for the handle: no room
    /// (call [`has_room`](Self::has_room) first).
    pub(crate) fn insert(&mut self, wrapped: &WrappedKey, object: O) -> Option<(Pkcs11Handle, Option<O>)> {
        let (slot, evicted) = if let Some(free) = self.entries.iter().position(Option::is_none) {
            (free, None)
        } else if self.entries.len() < self.capacity {
            self.entries.push(None);
            (self.entries.len().checked_sub(1)?, None)
        } else {
            let (slot, _, old) = self
                .entries
                .iter()
                .enumerate()
                .filter_map(|(i, e)| e.as_ref().filter(|e| e.live == 0).map(|e| (i, e.last_use, e.object)))
                .min_by_key(|&(_, last_use, _)| last_use)?;
            (slot, Some(old))
        };
        *self.entries.get_mut(slot)? = Some(Entry { wrapped: wrapped.0, object, live: 0, last_use: 0 });
        self.unwraps = self.unwraps.saturating_add(1);
        Some((self.issue(slot), evicted))
    }

    /// The token object behind a live handle.
    pub(crate) fn object(&mut self, handle: Pkcs11Handle) -> Option<O> {
        if handle.instance != self.instance {
            return None;
        }
        let slot = *self.handles.get(&handle.id)?;
        let now = self.touch();
        let entry = self.entries.get_mut(slot)?.as_mut()?;
        entry.last_use = now;
        Some(entry.object)
    }

    /// Ends a handle; the object stays cached. False if the handle was not live.
    pub(crate) fn release(&mut self, handle: Pkcs11Handle) -> bool {
        if handle.instance != self.instance {
            return false;
        }
        let Some(slot) = self.handles.remove(&handle.id) else { return false };
        if let Some(Some(entry)) = self.entries.get_mut(slot) {
            entry.live = entry.live.saturating_sub(1);
        }
        true
    }

    /// Forgets the entry at `slot` and every handle to it: its object is gone from the token
    /// or is not what it was. The next load of that key unwraps anew.
    pub(crate) fn drop_slot(&mut self, slot: usize) {
        self.handles.retain(|_, s| *s != slot);
        if let Some(entry) = self.entries.get_mut(slot) {
            *entry = None;
        }
    }

    /// [`drop_slot`](Self::drop_slot) for the entry behind `handle`.
    pub(crate) fn forget(&mut self, handle: Pkcs11Handle) {
        if let Some(&slot) = self.handles.get(&handle.id) {
            self.drop_slot(slot);
        }
    }

    /// Empties the cache: every handle becomes invalid. Returns the objects, for the caller to
    /// destroy where it still can.
    pub(crate) fn clear(&mut self) -> Vec<O> {
        self.handles.clear();
        self.entries.drain(..).flatten().map(|e| e.object).collect()
    }

    /// How many unwraps this cache has recorded: loads that were not served from the cache.
    pub(crate) const fn unwraps(&self) -> u64 {
        self.unwraps
    }

    /// Objects currently loaded.
    pub(crate) fn loaded(&self) -> usize {
        self.entries.iter().flatten().count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrapped(b: u8) -> WrappedKey {
        WrappedKey([b; WRAPPED_KEY_LEN])
    }

    /// A load as `Pkcs11Hsm::load_key` does it, with `object` as what the unwrap would make.
    fn load(cache: &mut KeyCache<u64>, b: u8, object: u64) -> (Pkcs11Handle, Option<u64>) {
        if let Some((slot, _)) = cache.find(&wrapped(b)) {
            return (cache.hit(slot), None);
        }
        assert!(cache.has_room());
        cache.insert(&wrapped(b), object).expect("room")
    }

    #[test]
    fn repeated_loads_hit_and_released_handles_die() {
        let mut cache = KeyCache::<u64>::new(7, 2);
        let (a1, _) = load(&mut cache, 1, 100);
        let (a2, _) = load(&mut cache, 1, 999);
        assert_eq!(cache.unwraps(), 1);
        assert_ne!(a1, a2);
        assert_eq!(cache.object(a2), Some(100));
        assert!(cache.release(a1));
        assert!(!cache.release(a1));
        assert_eq!(cache.object(a1), None);
        assert_eq!(cache.object(a2), Some(100));
        assert_eq!(cache.object(Pkcs11Handle { instance: 8, id: a2.id }), None);
    }

    #[test]
    fn full_cache_evicts_the_least_recently_used_unheld_entry() {
        let mut cache = KeyCache::<u64>::new(1, 2);
        let (a, _) = load(&mut cache, 1, 100);
        let (b, _) = load(&mut cache, 2, 200);
        // Both held: nothing can be evicted.
        assert!(!cache.has_room());
        assert_eq!(cache.insert(&wrapped(3), 300), None);
        cache.release(b);
        cache.release(a);
        assert!(cache.has_room());
        let (_, evicted) = load(&mut cache, 3, 300);
        assert_eq!(evicted, Some(100));
        assert_eq!(cache.loaded(), 2);
        let (_, evicted) = load(&mut cache, 1, 400);
        assert_eq!(evicted, Some(200));
        assert_eq!(cache.unwraps(), 4);
    }

    #[test]
    fn forgotten_entries_invalidate_their_handles() {
        let mut cache = KeyCache::<u64>::new(1, 2);
        let (a, _) = load(&mut cache, 1, 100);
        let (b, _) = load(&mut cache, 1, 100);
        cache.forget(a);
        assert_eq!((cache.object(a), cache.object(b)), (None, None));
        let (_, evicted) = load(&mut cache, 1, 500);
        assert_eq!(evicted, None);
        assert_eq!(cache.unwraps(), 2);
    }

    #[test]
    fn clear_returns_every_object_and_kills_every_handle() {
        let mut cache = KeyCache::<u64>::new(1, 4);
        let (a, _) = load(&mut cache, 1, 100);
        let (b, _) = load(&mut cache, 2, 200);
        let mut objects = cache.clear();
        objects.sort_unstable();
        assert_eq!(objects, [100, 200]);
        assert_eq!((cache.object(a), cache.object(b), cache.loaded()), (None, None, 0));
    }
}
