//! Fixed-capacity key slots and the handles that name them.

use crate::SoftError;
use coffer_core::hsm::KEY_LEN;
use core::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A loaded key: a slot index and the generation the slot had when the key was loaded.
///
/// Releasing a key bumps its slot's generation, so a handle kept after
/// [`release_key`](coffer_core::hsm::Hsm::release_key) (or after the slot was reused) is refused
/// with `KeyHandleInvalid` instead of reaching another key. Handles are only meaningful to the
/// [`SoftHsm`](crate::SoftHsm) that issued them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SoftHandle {
    slot: u16,
    generation: u32,
}

/// An AES-256 key in a slot. Zeroized on drop, which is how a slot is cleared.
#[derive(Zeroize, ZeroizeOnDrop)]
struct SlotKey([u8; KEY_LEN]);

struct Slot {
    key: Option<SlotKey>,
    generation: u32,
    /// Set once `generation` would wrap: the slot is never used again, so no handle can ever
    /// match a later key by coincidence.
    retired: bool,
}

impl Slot {
    const fn empty() -> Self {
        Self { key: None, generation: 0, retired: false }
    }

    const fn is_free(&self) -> bool {
        self.key.is_none() && !self.retired
    }
}

/// `N` key slots.
pub(crate) struct Slots<const N: usize> {
    slots: [Slot; N],
}

impl<const N: usize> Slots<N> {
    /// Handles carry the slot index as a `u16`.
    const CAPACITY_FITS_HANDLE: () = assert!(N <= 1 << 16, "SoftHsm supports at most 65536 key slots");

    pub(crate) fn new() -> Self {
        let () = Self::CAPACITY_FITS_HANDLE;
        Self { slots: core::array::from_fn(|_| Slot::empty()) }
    }

    /// Takes a free slot and lets `fill` write the key straight into it. If `fill` fails, the
    /// slot is wiped and stays free.
    ///
    /// # Errors
    /// [`SoftError::NoFreeSlot`], or what `fill` returns.
    pub(crate) fn load_with<F>(&mut self, fill: F) -> Result<SoftHandle, SoftError>
    where
        F: FnOnce(&mut [u8; KEY_LEN]) -> Result<(), SoftError>,
    {
        let (index, slot) =
            self.slots.iter_mut().enumerate().find(|(_, slot)| slot.is_free()).ok_or(SoftError::NoFreeSlot)?;
        let index = u16::try_from(index).map_err(|_| SoftError::NoFreeSlot)?;
        let key = slot.key.insert(SlotKey([0; KEY_LEN]));
        if let Err(e) = fill(&mut key.0) {
            slot.key = None;
            return Err(e);
        }
        Ok(SoftHandle { slot: index, generation: slot.generation })
    }

    fn slot(&self, handle: SoftHandle) -> Result<&Slot, SoftError> {
        self.slots
            .get(usize::from(handle.slot))
            .filter(|slot| slot.key.is_some() && slot.generation == handle.generation)
            .ok_or(SoftError::KeyHandleInvalid)
    }

    /// The key `handle` names.
    ///
    /// # Errors
    /// [`SoftError::KeyHandleInvalid`] if it is not loaded (any more).
    pub(crate) fn key(&self, handle: SoftHandle) -> Result<&[u8; KEY_LEN], SoftError> {
        match &self.slot(handle)?.key {
            Some(key) => Ok(&key.0),
            None => Err(SoftError::KeyHandleInvalid),
        }
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

impl<const N: usize> fmt::Debug for Slots<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slots").field("in_use", &self.in_use()).field("capacity", &N).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_fill_leaves_the_slot_free_and_wiped() {
        let mut slots = Slots::<1>::new();
        let err = slots.load_with(|k| {
            k.fill(0x42);
            Err(SoftError::AuthenticationFailed)
        });
        assert_eq!(err, Err(SoftError::AuthenticationFailed));
        assert_eq!(slots.in_use(), 0);
        let h = slots.load_with(|k| {
            assert_eq!(*k, [0; KEY_LEN]);
            Ok(())
        });
        assert!(h.is_ok());
    }

    #[test]
    fn a_slot_whose_generation_would_wrap_is_retired() {
        let mut slots = Slots::<1>::new();
        if let Some(slot) = slots.slots.first_mut() {
            slot.generation = u32::MAX;
        }
        let h = slots.load_with(|_| Ok(())).unwrap();
        slots.release(h).unwrap();
        assert_eq!(slots.key(h), Err(SoftError::KeyHandleInvalid));
        assert_eq!(slots.load_with(|_| Ok(())), Err(SoftError::NoFreeSlot));
    }
}
