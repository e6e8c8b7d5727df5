//! Key versions kept loaded in the HSM between calls.
//!
//! The façade keeps up to `KEYS` loaded versions (the const parameter of [`Kms`]) in a
//! [`KeyCache`], so a repeated Encrypt or Decrypt under the same version costs no unwrap. An
//! entry is keyed by the key id, the version number *and* the version's wrapped material: a
//! handle is only reused for the exact material the record being used names, so a record
//! replaced behind the façade's back (another process, a restored store) can never be served by
//! a handle loaded from the old one.
//!
//! What does not change: every call still loads and authenticates the key record and checks
//! the key's state and the version's range *before* it asks for a handle, so a disabled key,
//! one pending deletion or a retired version is refused whatever the cache holds.
//!
//! What empties it:
//! - every write or removal of a key record or version record, through the façade's one write
//!   path ([`records`](super::records)): that key's entries are released first;
//! - [`Kms::hsm_mut`] and [`Kms::store_mut`] (whatever the caller does there, nothing cached
//!   survives it);
//! - dropping the façade (the handles are released in the HSM).
//!
//! Each entry leaving the cache is released with [`Hsm::release_key`] and wiped.

use zeroize::Zeroize;

use super::{Kms, KmsError};
use crate::audit::AuditSink;
use crate::clock::Clock;
use crate::error::Error;
use crate::hsm::{ErrorKind, Hsm, HsmError, KeyCache, WRAPPED_KEY_LEN, WrappedKey};
use crate::key::KeyId;
use crate::key::version::parse_version_name;
use crate::store::{KeyStore, RecordKind};

/// Loaded versions a [`Kms`] keeps by default: enough for a few keys in turn, small enough
/// for a microcontroller (each entry is about 80 bytes) and below the default slot counts of
/// both backends.
pub const DEFAULT_LOADED_KEYS: usize = 4;

/// What a cached handle was loaded from.
pub(super) struct VersionKey {
    id: [u8; 16],
    version: u32,
    material: [u8; WRAPPED_KEY_LEN],
}

impl VersionKey {
    fn new(id: &KeyId, version: u32, material: &WrappedKey) -> Self {
        Self { id: *id.as_bytes(), version, material: material.0 }
    }

    fn is_version(&self, id: &KeyId, version: u32) -> bool {
        self.id == *id.as_bytes() && self.version == version
    }

    fn is_key(&self, id: &KeyId) -> bool {
        self.id == *id.as_bytes()
    }
}

impl Zeroize for VersionKey {
    fn zeroize(&mut self) {
        self.id.zeroize();
        self.version.zeroize();
        self.material.zeroize();
    }
}

/// The façade's cache of loaded versions.
pub(super) type LoadedKeys<Hd, const KEYS: usize> = KeyCache<VersionKey, Hd, KEYS>;

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink, const KEYS: usize> Kms<H, S, C, A, KEYS> {
    /// A handle for version `version` of key `id`, whose wrapped material is `material`: the
    /// cached one, or a fresh load (kept in the cache when it has room). The caller has checked
    /// the key's state and the version's range; it hands the handle back through
    /// [`Self::done_with_version_key`].
    pub(super) fn version_key(
        &mut self,
        id: &KeyId,
        version: u32,
        material: &WrappedKey,
    ) -> Result<H::Handle, KmsError<H, S>> {
        let hit = self.loaded.get(|k| k.is_version(id, version) && k.material == material.0);
        if let Some((_, handle)) = hit {
            return Ok(*handle);
        }
        // An entry for this version under other material is stale: the record it came from
        // is not the one in the store now.
        self.forget_loaded_key(|k| k.is_version(id, version));
        let handle = loop {
            match self.load_version_key(material) {
                Ok(handle) => break handle,
                // The HSM is full of keys this cache holds: give one back and try again.
                Err(Error::Hsm(e)) if e.kind() == ErrorKind::NoFreeSlot && self.evict_loaded_key() => {}
                Err(e) => return Err(e),
            }
        };
        let hsm = &mut self.hsm;
        // Not cached (capacity 0) is fine: done_with_version_key releases what it cannot find.
        let _ = self.loaded.insert(VersionKey::new(id, version, material), handle, |_, old| release(hsm, *old));
        Ok(handle)
    }

    /// Ends one use of `handle` from [`Self::version_key`]. `failure` is the kind of the error
    /// the HSM answered with it, if any: a handle the HSM no longer knows is dropped from the
    /// cache, so the next call loads the version again.
    pub(super) fn done_with_version_key(
        &mut self,
        handle: H::Handle,
        failure: Option<ErrorKind>,
    ) -> Result<(), KmsError<H, S>> {
        match self.loaded.find_value(|h| *h == handle) {
            Some(place) => {
                if failure == Some(ErrorKind::KeyHandleInvalid) {
                    let hsm = &mut self.hsm;
                    self.loaded.remove(place, |_, h| release(hsm, *h));
                }
                Ok(())
            }
            None => self.hsm.release_key(handle).map_err(Error::Hsm),
        }
    }

    /// Releases and forgets every loaded version whose key `matches`.
    pub(super) fn forget_loaded_key(&mut self, matches: impl FnMut(&VersionKey) -> bool) {
        let hsm = &mut self.hsm;
        self.loaded.remove_where(matches, |_, h| release(hsm, *h));
    }

    /// Releases and forgets every loaded version.
    pub(super) fn forget_all_loaded(&mut self) {
        self.forget_loaded_key(|_| true);
    }

    /// How many key versions the façade keeps loaded now.
    pub fn loaded_key_count(&self) -> usize {
        self.loaded.len()
    }

    /// Releases the least recently used loaded version; false if there was none.
    fn evict_loaded_key(&mut self) -> bool {
        let hsm = &mut self.hsm;
        self.loaded.evict_one(|_, h| release(hsm, *h))
    }
}

/// Releases and forgets the loaded versions a write or removal of record `kind`/`name` may
/// change: every version of the key a key record or version record names (all of them if the
/// name does not parse, which no record the façade writes has). Other records (aliases,
/// descriptions) name no key material.
pub(super) fn forget_record<H: Hsm, const KEYS: usize>(
    hsm: &mut H,
    loaded: &mut LoadedKeys<H::Handle, KEYS>,
    kind: RecordKind,
    name: &str,
) {
    let id = match kind {
        RecordKind::Key => KeyId::parse(name),
        RecordKind::KeyVersion => parse_version_name(name).map(|(id, _)| id),
        _ => return,
    };
    match id {
        Some(id) => loaded.remove_where(|k| k.is_key(&id), |_, h| release(hsm, *h)),
        None => loaded.clear(|_, h| release(hsm, *h)),
    };
}

/// Releases a handle leaving the cache. A release that fails leaves nothing to undo: the
/// entry is gone either way, and a handle the HSM no longer knows is already released.
fn release<H: Hsm>(hsm: &mut H, handle: H::Handle) {
    let _ = hsm.release_key(handle);
}
