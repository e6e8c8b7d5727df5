//! Loaded KMS key versions, kept in the token between uses so that repeated use costs no
//! unwrap, and the handles given out for them.
//!
//! A handle names one `load_key` call: releasing it makes that handle invalid forever (its id
//! is never issued again), while the token object stays cached until the cache needs its
//! place. Entries are found by their wrapped bytes, which authenticate under the root: equal
//! wrapped bytes are the same key.

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

/// Where a new load goes.
pub(crate) enum Placement<O> {
    /// The key is cached: a handle was issued without touching the token.
    Cached(Pkcs11Handle),
    /// The key must be unwrapped into `slot`; `evict` is an object to destroy first.
    Unwrap { slot: usize, evict: Option<O> },
    /// Every entry has live handles.
    Full,
}

impl<O: Copy> KeyCache<O> {
    pub(crate) fn new(instance: u64, capacity: usize) -> Self {
        Self { instance, capacity, entries: Vec::new(), handles: HashMap::new(), next_id: 1, tick: 0, unwraps: 0 }
    }

    fn issue(&mut self, slot: usize) -> Pkcs11Handle {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.handles.insert(id, slot);
        Pkcs11Handle { instance: self.instance, id }
    }

    fn touch(&mut self) -> u64 {
        self.tick = self.tick.wrapping_add(1);
        self.tick
    }

    /// Looks `wrapped` up; if cached, issues a handle for it, else says where to unwrap it.
    pub(crate) fn place(&mut self, wrapped: &WrappedKey) -> Placement<O> {
        let now = self.touch();
        let hit = self.entries.iter().position(|e| e.as_ref().is_some_and(|e| e.wrapped == wrapped.0));
        if let Some(slot) = hit {
            if let Some(Some(entry)) = self.entries.get_mut(slot) {
                entry.live = entry.live.saturating_add(1);
                entry.last_use = now;
            }
            return Placement::Cached(self.issue(slot));
        }
        if let Some(slot) = self.entries.iter().position(Option::is_none) {
            return Placement::Unwrap { slot, evict: None };
        }
        if self.entries.len() < self.capacity {
            self.entries.push(None);
            return Placement::Unwrap { slot: self.entries.len().saturating_sub(1), evict: None };
        }
        // Least recently used among entries nobody holds a handle to.
        let victim = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().filter(|e| e.live == 0).map(|e| (i, e.last_use, e.object)))
            .min_by_key(|&(_, last_use, _)| last_use);
        match victim {
            Some((slot, _, object)) => {
                if let Some(entry) = self.entries.get_mut(slot) {
                    *entry = None;
                }
                Placement::Unwrap { slot, evict: Some(object) }
            }
            None => Placement::Full,
        }
    }

    /// Records a key unwrapped into `slot` and issues its first handle.
    pub(crate) fn insert(&mut self, slot: usize, wrapped: &WrappedKey, object: O) -> Pkcs11Handle {
        let last_use = self.touch();
        self.unwraps = self.unwraps.saturating_add(1);
        if let Some(entry) = self.entries.get_mut(slot) {
            *entry = Some(Entry { wrapped: wrapped.0, object, live: 1, last_use });
        }
        self.issue(slot)
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

    /// Forgets the entry behind `handle` and every handle to it: its object is gone from the
    /// token (destroyed by someone else, or its session closed). The next load unwraps anew.
    pub(crate) fn forget(&mut self, handle: Pkcs11Handle) {
        let Some(&slot) = self.handles.get(&handle.id) else { return };
        self.handles.retain(|_, s| *s != slot);
        if let Some(entry) = self.entries.get_mut(slot) {
            *entry = None;
        }
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

    fn load(cache: &mut KeyCache<u64>, b: u8, object: u64) -> (Pkcs11Handle, Option<u64>) {
        match cache.place(&wrapped(b)) {
            Placement::Cached(h) => (h, None),
            Placement::Unwrap { slot, evict } => (cache.insert(slot, &wrapped(b), object), evict),
            Placement::Full => panic!("full"),
        }
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
        assert!(matches!(cache.place(&wrapped(3)), Placement::Full));
        cache.release(b);
        cache.release(a);
        cache.object(a); // a released: object() refuses, and does not refresh it
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
}
