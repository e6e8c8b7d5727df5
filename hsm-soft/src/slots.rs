//! Fixed-capacity key slots and the handles that name them.
//!
//! A slot holds a loaded key in the form it is used in: for [`SoftHsm`](crate::SoftHsm), the
//! provider's expanded AES-GCM key (key schedule and GHASH key), so a seal or open under a
//! loaded key expands nothing. The key type wipes itself on drop (RustCrypto's with its
//! `zeroize` features, aws-lc-rs's by cleansing its allocation), which is how a slot is cleared.

use crate::SoftError;
use core::fmt;
use zeroize::Zeroize;

/// A loaded key: a slot index and the generation the slot had when the key was loaded.
///
/// Releasing a key bumps its slot's generation, so a handle kept after
/// [`release_key`](coffer_core::hsm::Hsm::release_key) (or after the slot was reused) is refused
/// with `KeyHandleInvalid` instead of reaching another key. Handles are only meaningful to the
/// [`SoftHsm`](crate::SoftHsm) that issued them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Zeroize)]
pub struct SoftHandle {
    slot: u16,
    generation: u32,
}

struct Slot<K> {
    /// The loaded key; dropping it wipes it.
    key: Option<K>,
    generation: u32,
    /// Set once `generation` would wrap: the slot is never used again, so no handle can ever
    /// match a later key by coincidence.
    retired: bool,
}

impl<K> Slot<K> {
    const fn empty() -> Self {
        Self { key: None, generation: 0, retired: false }
    }

    const fn is_free(&self) -> bool {
        self.key.is_none() && !self.retired
    }
}

/// `N` key slots, each holding a `K`.
pub(crate) struct Slots<const N: usize, K> {
    slots: [Slot<K>; N],
}

impl<const N: usize, K> Slots<N, K> {
    /// Handles carry the slot index as a `u16`.
    const CAPACITY_FITS_HANDLE: () = assert!(N <= 1 << 16, "SoftHsm supports at most 65536 key slots");

    pub(crate) fn new() -> Self {
        let () = Self::CAPACITY_FITS_HANDLE;
        Self { slots: core::array::from_fn(|_| Slot::empty()) }
    }

    /// Takes a free slot and puts the key `make` returns in it. Nothing is made when no slot is
    /// free; if `make` fails, the slot stays free.
    ///
    /// # Errors
    /// [`SoftError::NoFreeSlot`], or what `make` returns.
    pub(crate) fn load_with<F>(&mut self, make: F) -> Result<SoftHandle, SoftError>
    where
        F: FnOnce() -> Result<K, SoftError>,
    {
        let (index, slot) =
            self.slots.iter_mut().enumerate().find(|(_, slot)| slot.is_free()).ok_or(SoftError::NoFreeSlot)?;
        let index = u16::try_from(index).map_err(|_| SoftError::NoFreeSlot)?;
        slot.key = Some(make()?);
        Ok(SoftHandle { slot: index, generation: slot.generation })
    }

    fn slot(&self, handle: SoftHandle) -> Result<&Slot<K>, SoftError> {
        self.slots
            .get(usize::from(handle.slot))
            .filter(|slot| slot.key.is_some() && slot.generation == handle.generation)
            .ok_or(SoftError::KeyHandleInvalid)
    }

    /// The key `handle` names.
    ///
    /// # Errors
    /// [`SoftError::KeyHandleInvalid`] if it is not loaded (any more).
    pub(crate) fn key(&self, handle: SoftHandle) -> Result<&K, SoftError> {
        self.slot(handle)?.key.as_ref().ok_or(SoftError::KeyHandleInvalid)
    }

    /// Wipes the key `handle` names and invalidates every handle to that slot.
    ///
    /// # Errors
    /// [`SoftError::KeyHandleInvalid`] if it is not loaded (any more).
    pub(crate) fn release(&mut self, handle: SoftHandle) -> Result<(), SoftError> {
        self.slot(handle)?;
        let slot = self.slots.get_mut(usize::from(handle.slot)).ok_or(SoftError::KeyHandleInvalid)?;
        slot.key = None;
        match slot.generation.checked_add(1) {
            Some(next) => slot.generation = next,
            None => slot.retired = true,
        }
        Ok(())
    }

    /// How many slots hold a key.
    pub(crate) fn in_use(&self) -> usize {
        self.slots.iter().filter(|slot| slot.key.is_some()).count()
    }
}

impl<const N: usize, K> fmt::Debug for Slots<N, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slots").field("in_use", &self.in_use()).field("capacity", &N).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::rc::Rc;
    use core::cell::Cell;

    /// A key that counts its drops, to see when a slot lets go of it.
    struct Counted(Rc<Cell<u32>>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[test]
    fn a_failed_make_leaves_the_slot_free() {
        let mut slots = Slots::<1, u8>::new();
        let err = slots.load_with(|| Err(SoftError::AuthenticationFailed));
        assert_eq!(err, Err(SoftError::AuthenticationFailed));
        assert_eq!(slots.in_use(), 0);
        let h = slots.load_with(|| Ok(7)).unwrap();
        assert_eq!(slots.key(h), Ok(&7));
    }

    #[test]
    fn nothing_is_made_when_no_slot_is_free() {
        let mut slots = Slots::<1, u8>::new();
        slots.load_with(|| Ok(1)).unwrap();
        let mut made = false;
        let err = slots.load_with(|| {
            made = true;
            Ok(2)
        });
        assert_eq!((err, made), (Err(SoftError::NoFreeSlot), false));
    }

    #[test]
    fn release_drops_the_key_at_once() {
        let drops = Rc::new(Cell::new(0));
        let mut slots = Slots::<2, Counted>::new();
        let h = slots.load_with(|| Ok(Counted(drops.clone()))).unwrap();
        assert_eq!(drops.get(), 0);
        slots.release(h).unwrap();
        assert_eq!(drops.get(), 1, "the released key is dropped (and so wiped) in release");
        assert!(slots.key(h).is_err());
    }

    #[test]
    fn a_slot_whose_generation_would_wrap_is_retired() {
        let mut slots = Slots::<1, u8>::new();
        if let Some(slot) = slots.slots.first_mut() {
            slot.generation = u32::MAX;
        }
        let h = slots.load_with(|| Ok(0)).unwrap();
        slots.release(h).unwrap();
        assert_eq!(slots.key(h), Err(SoftError::KeyHandleInvalid));
        assert_eq!(slots.load_with(|| Ok(0)), Err(SoftError::NoFreeSlot));
    }
}
