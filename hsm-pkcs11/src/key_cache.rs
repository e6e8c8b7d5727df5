//! Loaded KMS key versions, kept in the token between uses so that repeated use costs no
//! unwrap, and the handles given out for them.
//!
//! A handle names one `load_key` call: releasing it makes that handle invalid forever (its id
//! is never issued again), while the token object stays cached until the cache needs its
//! place. Entries are found by their wrapped bytes, which authenticate under the root: under
//! one root, equal wrapped bytes are the same key. The cache is emptied whenever the root
//! changes or the login is lost.
//!
//! The entries live in core's [`KeyCache`](coffer_core::hsm::KeyCache) (the structure the KMS
//! façade uses too): least recently used out first, an entry with live handles held so it is
//! never evicted, the wrapped bytes wiped when an entry leaves. This module adds the handles.

use coffer_core::hsm::{KeyCache as Entries, Place, WRAPPED_KEY_LEN, WrappedKey};
use cryptoki::object::ObjectHandle;
use std::boxed::Box;
use std::collections::HashMap;
use zeroize::Zeroize;

use crate::config::MAX_KEY_CACHE;

/// A loaded key version, as [`Pkcs11Hsm`](crate::Pkcs11Hsm) hands it out.
///
/// Plain data: copying it copies no key material (the key stays in the token). It names the
/// instance that issued it, so a handle from another instance is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Zeroize)]
pub struct Pkcs11Handle {
    pub(crate) instance: u64,
    pub(crate) id: u64,
}

/// An entry's key: the wrapped bytes it was unwrapped from.
struct Wrapped([u8; WRAPPED_KEY_LEN]);

impl Zeroize for Wrapped {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

/// An entry's value: the token object. Not key material (a number the token gives its object;
/// the key stays inside the token, destroyed there by the caller when the entry goes), so
/// wiping it is forgetting it.
struct TokenObject<O>(Option<O>);

impl<O> Zeroize for TokenObject<O> {
    fn zeroize(&mut self) {
        self.0 = None;
    }
}

/// The cache: at most `capacity` loaded objects (token object handles; generic so that the
/// bookkeeping is tested without a token).
pub(crate) struct KeyCache<O = ObjectHandle> {
    instance: u64,
    /// Boxed: room for [`MAX_KEY_CACHE`] entries is too large to move around by value.
    entries: Box<Entries<Wrapped, TokenObject<O>, MAX_KEY_CACHE>>,
    handles: HashMap<u64, Place>,
    next_id: u64,
    unwraps: u64,
}

impl<O> std::fmt::Debug for KeyCache<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache")
            .field("instance", &self.instance)
            .field("entries", &self.entries)
            .field("live_handles", &self.handles.len())
            .field("unwraps", &self.unwraps)
            .finish()
    }
}

impl<O: Copy> KeyCache<O> {
    /// A cache of `capacity` entries (at most [`MAX_KEY_CACHE`]: the configuration checks it).
    pub(crate) fn new(instance: u64, capacity: usize) -> Self {
        Self {
            instance,
            entries: Box::new(Entries::with_limit(capacity)),
            handles: HashMap::new(),
            next_id: 1,
            unwraps: 0,
        }
    }

    fn issue(&mut self, place: Place) -> Pkcs11Handle {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.handles.insert(id, place);
        self.entries.hold(place);
        self.entries.touch(place);
        Pkcs11Handle { instance: self.instance, id }
    }

    /// The cached object for `wrapped`, if any, and its place (for [`hit`](Self::hit) or
    /// [`drop_slot`](Self::drop_slot)).
    pub(crate) fn find(&self, wrapped: &WrappedKey) -> Option<(Place, O)> {
        let place = self.entries.find(|k| k.0 == wrapped.0)?;
        Some((place, self.entries.value(place)?.0?))
    }

    /// Issues a handle for the cached entry at `place` (found by [`find`](Self::find)).
    pub(crate) fn hit(&mut self, place: Place) -> Pkcs11Handle {
        self.issue(place)
    }

    /// True if [`insert`](Self::insert) will find a place: a free one, or an entry nobody holds.
    pub(crate) fn has_room(&self) -> bool {
        self.entries.has_room()
    }

    /// Records a key just unwrapped into `object` and issues its first handle. Returns the
    /// object of an evicted entry (least recently used among those nobody holds), which the
    /// caller destroys, or `None` if there was a free place. `None` for the handle: no room
    /// (call [`has_room`](Self::has_room) first).
    pub(crate) fn insert(&mut self, wrapped: &WrappedKey, object: O) -> Option<(Pkcs11Handle, Option<O>)> {
        let mut evicted = None;
        let place =
            self.entries.insert(Wrapped(wrapped.0), TokenObject(Some(object)), |_, old| evicted = old.0).ok()?;
        self.unwraps = self.unwraps.saturating_add(1);
        Some((self.issue(place), evicted))
    }

    /// The token object behind a live handle.
    pub(crate) fn object(&mut self, handle: Pkcs11Handle) -> Option<O> {
        if handle.instance != self.instance {
            return None;
        }
        let place = *self.handles.get(&handle.id)?;
        self.entries.touch(place);
        self.entries.value(place)?.0
    }

    /// Ends a handle; the object stays cached. False if the handle was not live.
    pub(crate) fn release(&mut self, handle: Pkcs11Handle) -> bool {
        if handle.instance != self.instance {
            return false;
        }
        let Some(place) = self.handles.remove(&handle.id) else { return false };
        self.entries.let_go(place);
        true
    }

    /// Forgets the entry at `place` and every handle to it: its object is gone from the token
    /// or is not what it was. The next load of that key unwraps anew.
    pub(crate) fn drop_slot(&mut self, place: Place) {
        self.handles.retain(|_, p| *p != place);
        self.entries.remove(place, |_, _| {});
    }

    /// [`drop_slot`](Self::drop_slot) for the entry behind `handle`.
    pub(crate) fn forget(&mut self, handle: Pkcs11Handle) {
        if let Some(&place) = self.handles.get(&handle.id) {
            self.drop_slot(place);
        }
    }

    /// Empties the cache: every handle becomes invalid. Returns the objects, for the caller to
    /// destroy where it still can.
    pub(crate) fn clear(&mut self) -> Vec<O> {
        self.handles.clear();
        let mut objects = Vec::new();
        self.entries.clear(|_, object| objects.extend(object.0));
        objects
    }

    /// How many unwraps this cache has recorded: loads that were not served from the cache.
    pub(crate) const fn unwraps(&self) -> u64 {
        self.unwraps
    }

    /// Objects currently loaded.
    pub(crate) fn loaded(&self) -> usize {
        self.entries.len()
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
