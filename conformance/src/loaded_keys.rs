//! Key versions the façade keeps loaded between calls: reused while the key is unchanged,
//! released when its record changes, and never a way around a refusal.
//!
//! The HSM is wrapped in [`Counted`], which counts `load_key` and `release_key` and the
//! handles still loaded, so each check sees what the cache did, not only the answer.

use alloc::rc::Rc;
use core::cell::Cell;

use coffer_core::hsm::{Capabilities, Mac, Nonce, Tag, WrappedKey};
use coffer_core::key::KeyState;
use coffer_core::store::{KeyStore, RecordKind};
use coffer_core::{Error, Hsm, Kms, KmsConfig};

use crate::fixture::{Stores, create, ctx, decrypt, encrypt, text};

/// What [`Counted`] saw, shared with the test while the façade holds the HSM.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    loads: Rc<Cell<usize>>,
    releases: Rc<Cell<usize>>,
    mac_checks: Rc<Cell<usize>>,
}

impl Counts {
    /// Successful `load_key` calls.
    pub fn loads(&self) -> usize {
        self.loads.get()
    }

    /// Successful `release_key` calls.
    pub fn releases(&self) -> usize {
        self.releases.get()
    }

    /// `verify_mac` calls (record authentications), whatever their outcome.
    pub fn mac_checks(&self) -> usize {
        self.mac_checks.get()
    }

    /// Handles loaded and not released.
    pub fn live(&self) -> usize {
        self.loads() - self.releases()
    }
}

/// An HSM that counts loads and releases.
#[derive(Debug)]
pub struct Counted<H> {
    inner: H,
    counts: Counts,
}

impl<H: Hsm> Counted<H> {
    /// Wraps `inner`; the counts are shared with the caller.
    pub fn new(inner: H) -> (Self, Counts) {
        let counts = Counts::default();
        (Self { inner, counts: counts.clone() }, counts)
    }
}

impl<H: Hsm> Hsm for Counted<H> {
    type Handle = H::Handle;
    type Error = H::Error;

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    fn fill_random(&mut self, dest: &mut [u8]) -> Result<(), Self::Error> {
        self.inner.fill_random(dest)
    }

    fn find_root_keys(&mut self) -> Result<(), Self::Error> {
        self.inner.find_root_keys()
    }

    fn create_root_keys(&mut self) -> Result<(), Self::Error> {
        self.inner.create_root_keys()
    }

    fn generate_key(&mut self) -> Result<WrappedKey, Self::Error> {
        self.inner.generate_key()
    }

    fn load_key(&mut self, wrapped: &WrappedKey) -> Result<Self::Handle, Self::Error> {
        let handle = self.inner.load_key(wrapped)?;
        self.counts.loads.set(self.counts.loads.get() + 1);
        Ok(handle)
    }

    fn release_key(&mut self, key: Self::Handle) -> Result<(), Self::Error> {
        self.inner.release_key(key)?;
        self.counts.releases.set(self.counts.releases.get() + 1);
        Ok(())
    }

    fn seal(&mut self, key: Self::Handle, aad: &[u8], buf: &mut [u8]) -> Result<(Nonce, Tag), Self::Error> {
        self.inner.seal(key, aad, buf)
    }

    fn open(
        &mut self,
        key: Self::Handle,
        nonce: &Nonce,
        aad: &[u8],
        buf: &mut [u8],
        tag: &Tag,
    ) -> Result<(), Self::Error> {
        self.inner.open(key, nonce, aad, buf, tag)
    }

    fn mac(&mut self, data: &[u8]) -> Result<Mac, Self::Error> {
        self.inner.mac(data)
    }

    fn verify_mac(&mut self, data: &[u8], mac: &Mac) -> Result<(), Self::Error> {
        self.counts.mac_checks.set(self.counts.mac_checks.get() + 1);
        self.inner.verify_mac(data, mac)
    }
}

/// A key record read again unchanged is not authenticated again (the façade remembers the
/// bytes that last did); any change to the stored bytes is authenticated in full and refused,
/// and the remembered record, moved under another key's name, is refused by that name.
pub fn an_unchanged_key_record_is_authenticated_once<H: Hsm>(hsm: H, stores: &Stores) {
    let (hsm, counts) = Counted::new(hsm);
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let (a, b) = (text(&create(&mut kms)), text(&create(&mut kms)));
    let blob = encrypt(&mut kms, &a, b"memo", &ctx(&[]));
    kms.describe_key(&a).expect("describe");
    let before = counts.mac_checks();
    for _ in 0..3 {
        kms.describe_key(&a).expect("describe");
        assert_eq!(decrypt(&mut kms, blob.as_bytes(), &ctx(&[])), b"memo");
        encrypt(&mut kms, &a, b"again", &ctx(&[]));
    }
    assert_eq!(counts.mac_checks(), before, "nine reads of the same record, no MAC");

    let mut record = vec![0u8; coffer_core::store::MAX_RECORD_LEN];
    let len = kms.store_mut().get(RecordKind::Key, &a, &mut record).expect("get").expect("exists");
    record.truncate(len);
    let mut flipped = record.clone();
    flipped[len - 40] ^= 0x01;
    kms.store_mut().put(RecordKind::Key, &a, &flipped).expect("put");
    assert_err!(kms.describe_key(&a), Error::CorruptRecord);
    assert_eq!(counts.mac_checks(), before + 1, "changed bytes are authenticated in full");
    kms.store_mut().put(RecordKind::Key, &a, &record).expect("put");
    kms.describe_key(&a).expect("restored");

    // The remembered bytes are A's; under B's name they are refused without a MAC being needed.
    kms.store_mut().put(RecordKind::Key, &b, &record).expect("put");
    assert_err!(kms.describe_key(&b), Error::CorruptRecord);
}

/// Repeated Encrypt and Decrypt under one version load it once and keep it loaded; dropping
/// the façade releases it.
pub fn loaded_version_is_reused_then_released_on_drop<H: Hsm>(hsm: H, stores: &Stores) {
    let (hsm, counts) = Counted::new(hsm);
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    let blobs: Vec<_> = (0..3).map(|_| encrypt(&mut kms, &key, b"warm", &ctx(&[("k", "v")]))).collect();
    for blob in &blobs {
        assert_eq!(decrypt(&mut kms, blob.as_bytes(), &ctx(&[("k", "v")])), b"warm");
    }
    assert_eq!((counts.loads(), counts.live(), kms.loaded_key_count()), (1, 1, 1), "one load for six uses");
    drop(kms);
    assert_eq!((counts.loads(), counts.live()), (1, 0), "the façade gave its handle back");
}

/// After DisableKey the key's loaded version is released, and Encrypt, Decrypt and
/// GenerateDataKey are refused as Disabled without loading anything.
pub fn disable_key_drops_the_loaded_version<H: Hsm>(hsm: H, stores: &Stores) {
    let (hsm, counts) = Counted::new(hsm);
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    let blob = encrypt(&mut kms, &key, b"secret", &ctx(&[]));
    assert_eq!(counts.live(), 1);

    kms.disable_key(&key).expect("disable");
    assert_eq!((counts.live(), kms.loaded_key_count()), (0, 0), "DisableKey released the version");
    assert_err!(kms.encrypt(&key, b"x", &ctx(&[])), Error::Disabled);
    assert_err!(kms.decrypt(blob.as_bytes(), &ctx(&[]), None), Error::Disabled);
    assert_err!(kms.generate_data_key(&key, coffer_core::DataKeySpec::Aes256, &ctx(&[])), Error::Disabled);
    assert_eq!(counts.loads(), 1, "nothing loaded for a disabled key");

    kms.enable_key(&key).expect("enable");
    assert_eq!(decrypt(&mut kms, blob.as_bytes(), &ctx(&[])), b"secret");
    assert_eq!(counts.loads(), 2, "enabled again: loaded anew");
}

/// After ScheduleKeyDeletion the key's loaded version is released and every cryptographic use
/// is refused as pending deletion.
pub fn schedule_key_deletion_drops_the_loaded_version<H: Hsm>(hsm: H, stores: &Stores) {
    let (hsm, counts) = Counted::new(hsm);
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    let other = text(&create(&mut kms));
    let blob = encrypt(&mut kms, &key, b"secret", &ctx(&[]));
    let other_blob = encrypt(&mut kms, &other, b"other", &ctx(&[]));
    assert_eq!(counts.live(), 2);

    kms.schedule_key_deletion(&key, Some(7)).expect("schedule");
    assert_eq!(counts.live(), 1, "only the scheduled key's version was released");
    assert_err!(kms.encrypt(&key, b"x", &ctx(&[])), Error::InvalidState(KeyState::PendingDeletion));
    assert_err!(kms.decrypt(blob.as_bytes(), &ctx(&[]), None), Error::InvalidState(KeyState::PendingDeletion));
    assert_eq!(counts.loads(), 2, "nothing loaded for a key pending deletion");
    assert_eq!(decrypt(&mut kms, other_blob.as_bytes(), &ctx(&[])), b"other");
    assert_eq!(counts.loads(), 2, "the other key's version stayed loaded");
}

/// Rotation and a new minimum decryption version release the key's loaded versions; a version
/// below the minimum is refused even though it was loaded a moment before.
pub fn minimum_decryption_version_drops_the_loaded_versions<H: Hsm>(hsm: H, stores: &Stores) {
    let (hsm, counts) = Counted::new(hsm);
    let mut env = stores.env();
    let mut kms = env.kms(hsm);
    let key = text(&create(&mut kms));
    let old = encrypt(&mut kms, &key, b"version one", &ctx(&[]));
    kms.rotate_key_on_demand(&key).expect("rotate");
    assert_eq!(counts.live(), 0, "rotation released version 1");
    let new = encrypt(&mut kms, &key, b"version two", &ctx(&[]));
    assert_eq!(decrypt(&mut kms, old.as_bytes(), &ctx(&[])), b"version one");
    assert_eq!((counts.live(), kms.loaded_key_count()), (2, 2), "versions 1 and 2 loaded");

    kms.set_minimum_decryption_version(&key, 2).expect("set minimum");
    assert_eq!(counts.live(), 0, "the new minimum released both versions");
    assert_err!(kms.decrypt(old.as_bytes(), &ctx(&[]), None), Error::InvalidCiphertext);
    assert_eq!(decrypt(&mut kms, new.as_bytes(), &ctx(&[])), b"version two");
    assert_eq!(counts.live(), 1);
}

/// With room for no loaded version the façade loads and releases on every use, and works.
pub fn capacity_zero_loads_and_releases_every_time<H: Hsm>(hsm: H, stores: &Stores) {
    let (hsm, counts) = Counted::new(hsm);
    let mut env = stores.env();
    let mut kms: Kms<_, _, _, _, 0> =
        Kms::with_loaded_keys(hsm, &mut env.store, &env.clock, &mut env.audit, KmsConfig::default())
            .expect("Kms::with_loaded_keys");
    let key = kms.create_key("uncached").expect("create_key").key_id.to_string();
    for _ in 0..3 {
        let blob = kms.encrypt(&key, b"cold", &ctx(&[])).expect("encrypt").ciphertext_blob;
        let plain = kms.decrypt(blob.as_bytes(), &ctx(&[]), None).expect("decrypt");
        assert_eq!(plain.plaintext.as_bytes(), b"cold");
    }
    assert_eq!((counts.loads(), counts.releases(), kms.loaded_key_count()), (6, 6, 0));
}

/// More keys in turn than the cache holds: the least recently used is released for each new
/// one, never more handles live than the capacity, and every blob decrypts.
pub fn more_keys_than_capacity_evict_the_least_recently_used<H: Hsm>(hsm: H, stores: &Stores) {
    let (hsm, counts) = Counted::new(hsm);
    let mut env = stores.env();
    let mut kms: Kms<_, _, _, _, 2> =
        Kms::with_loaded_keys(hsm, &mut env.store, &env.clock, &mut env.audit, KmsConfig::default())
            .expect("Kms::with_loaded_keys");
    let keys: Vec<String> = (0..3).map(|_| kms.create_key("lru").expect("create_key").key_id.to_string()).collect();
    let mut blobs = Vec::new();
    for key in &keys {
        blobs.push(kms.encrypt(key, key.as_bytes(), &ctx(&[])).expect("encrypt").ciphertext_blob);
        assert!(counts.live() <= 2, "{} live", counts.live());
    }
    assert_eq!((counts.loads(), counts.releases()), (3, 1), "the third key evicted the first");
    // keys[1] and keys[2] are loaded: using keys[1] costs nothing.
    kms.encrypt(&keys[1], b"hit", &ctx(&[])).expect("encrypt");
    assert_eq!(counts.loads(), 3);
    for (key, blob) in keys.iter().zip(&blobs) {
        let plain = kms.decrypt(blob.as_bytes(), &ctx(&[]), None).expect("decrypt");
        assert_eq!(plain.plaintext.as_bytes(), key.as_bytes());
    }
    // keys[0] came back (evicting keys[2], the least recently used), then keys[1] hit and
    // keys[2] came back (evicting keys[0]).
    assert_eq!((counts.loads(), counts.live()), (5, 2));
}
