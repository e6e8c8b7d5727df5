//! [`SoftHsm`]: the `Hsm` trait in software.

use crate::{
    RootKeyMaterial, SoftError, SoftHandle, gcm, kwp, mac,
    root_keys::RootKeys,
    sealed_root::{self, SealedRootKeys},
    slots::Slots,
};
use aes::Aes256;
use coffer_core::crypto::{CryptoProvider, RustCrypto};
use coffer_core::hsm::{
    Capabilities, Hsm, KEY_LEN, MAX_SEAL_LEN, Mac, NONCE_LEN, Nonce, Tag, WRAPPED_KEY_LEN, WrappedKey,
};
use core::fmt;
use core::marker::PhantomData;
use rand_core::TryCryptoRng;
use zeroize::Zeroizing;

/// A pure-software HSM: root keys and up to `SLOTS` loaded AES-256 keys in RAM, zeroized when
/// released or dropped.
///
/// `R` is the random generator every key and nonce comes from. It must be a CSPRNG (the
/// [`TryCryptoRng`] marker says so): the OS generator on hosts (`getrandom::SysRng`), a
/// TRNG-seeded DRBG on devices. A failing generator is reported as `RandomFailure`, never
/// worked around.
///
/// The const parameter has a default, but Rust does not use defaults to infer types: name the
/// type where the HSM is created, as in `let hsm: SoftHsm<_> = SoftHsm::new(rng);`, or
/// `SoftHsm::<_, 32>::new(rng)` for another capacity.
///
/// `P` is the [crypto provider](coffer_core::crypto) for AES-GCM and HMAC:
/// [`RustCrypto`] by default, `AwsLc` with core's `aws-lc` feature
/// (`let hsm: SoftHsm<_, 8, AwsLc> = SoftHsm::new(rng);`). AES key wrap stays on RustCrypto
/// (`aes-kw`) for both.
///
/// # Security
/// - Key bytes live in this process's memory. Anything that can read it (a debugger, a core
///   dump, swap, a memory-safety bug elsewhere in the process, a cold-boot or probing attack on
///   a device) can read the keys. Wiping on drop narrows the window but cannot undo copies the
///   compiler makes when a value is moved. Hence no [`Capabilities::NON_EXTRACTABLE_KEYS`].
/// - Nonces are 96 random bits per [`seal`](Hsm::seal). NIST SP 800-38D (§8.3) bounds a key
///   used with random nonces to 2<sup>32</sup> seals over its whole life. This type cannot
///   count across loads or restarts; the layer above must bound each key version's use.
/// - Tags and MACs are compared in constant time; a failed [`open`](Hsm::open) leaves the
///   buffer zeroed.
pub struct SoftHsm<R, const SLOTS: usize = 8, P: CryptoProvider = RustCrypto> {
    rng: R,
    root: Option<RootKeys>,
    /// Loaded keys, expanded for AES-GCM once, at load.
    slots: Slots<SLOTS, P::Aes256Gcm>,
    provider: PhantomData<P>,
}

/// What [`SoftHsm`] supports: everything Coffer requires, and creating its own root keys.
const CAPABILITIES: Capabilities = Capabilities::REQUIRED.union(Capabilities::CREATE_ROOT_KEYS);

impl<R: TryCryptoRng, const SLOTS: usize, P: CryptoProvider> SoftHsm<R, SLOTS, P> {
    /// An HSM without root keys: call [`create_root_keys`](Hsm::create_root_keys) next, or use
    /// [`with_root_keys`](Self::with_root_keys) / [`import_root_keys`](Self::import_root_keys).
    pub fn new(rng: R) -> Self {
        Self { rng, root: None, slots: Slots::new(), provider: PhantomData }
    }

    /// An HSM holding the caller's root keys. `material` is wiped when this returns.
    pub fn with_root_keys(rng: R, material: RootKeyMaterial) -> Self {
        let mut hsm = Self::new(rng);
        hsm.root.insert(RootKeys::zeroed()).copy_from(&material);
        hsm
    }

    /// An HSM holding the root keys sealed by [`export_root_keys`](Self::export_root_keys)
    /// under the same `kek`.
    ///
    /// `kek` must come from the device, not from storage next to the blob: a hardware unique
    /// key (or a key derived from it) on a microcontroller, or Argon2id of a passphrase on a
    /// host. The sealed blob protects the root keys at rest, against whoever reads or edits the
    /// storage but not the KEK; it does not protect them once imported (see [`SoftHsm`]).
    ///
    /// # Errors
    /// [`SoftError::InvalidInput`] if `sealed` has the wrong length or format tag;
    /// [`SoftError::AuthenticationFailed`] if it does not authenticate under `kek` (wrong KEK,
    /// or any byte altered). Never panics on any input.
    pub fn import_root_keys(rng: R, sealed: &[u8], kek: &[u8; KEY_LEN]) -> Result<Self, SoftError> {
        let mut hsm = Self::new(rng);
        let root = hsm.root.insert(RootKeys::zeroed());
        if let Err(e) = sealed_root::open::<P>(sealed, kek, root) {
            hsm.root = None;
            return Err(e);
        }
        Ok(hsm)
    }

    /// The root keys encrypted and authenticated under `kek` (AES-256-GCM, fresh random nonce),
    /// for storage at rest; [`import_root_keys`](Self::import_root_keys) reverses it. See there
    /// for where `kek` must come from.
    ///
    /// # Errors
    /// [`SoftError::RootKeysNotFound`] if there are no root keys; [`SoftError::RandomFailure`].
    pub fn export_root_keys(&mut self, kek: &[u8; KEY_LEN]) -> Result<SealedRootKeys, SoftError> {
        let root = self.root.as_ref().ok_or(SoftError::RootKeysNotFound)?;
        let nonce = random_nonce(&mut self.rng)?;
        sealed_root::seal::<P>(root, kek, &nonce)
    }
}

fn random_nonce<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<[u8; NONCE_LEN], SoftError> {
    let mut nonce = [0u8; NONCE_LEN];
    rng.try_fill_bytes(&mut nonce).map_err(|_| SoftError::RandomFailure)?;
    Ok(nonce)
}

/// The trait's argument rules for [`Hsm::seal`] and [`Hsm::open`].
fn check_seal_args(aad: &[u8], buf: &[u8]) -> Result<(), SoftError> {
    if aad.is_empty() {
        return Err(SoftError::InvalidInput("aad is empty"));
    }
    if buf.len() > MAX_SEAL_LEN {
        return Err(SoftError::InvalidInput("buffer longer than MAX_SEAL_LEN"));
    }
    Ok(())
}

impl<R: TryCryptoRng, const SLOTS: usize, P: CryptoProvider> Hsm for SoftHsm<R, SLOTS, P> {
    type Handle = SoftHandle;
    type Error = SoftError;

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn fill_random(&mut self, dest: &mut [u8]) -> Result<(), SoftError> {
        self.rng.try_fill_bytes(dest).map_err(|_| SoftError::RandomFailure)
    }

    fn find_root_keys(&mut self) -> Result<(), SoftError> {
        match self.root {
            Some(_) => Ok(()),
            None => Err(SoftError::RootKeysNotFound),
        }
    }

    fn create_root_keys(&mut self) -> Result<(), SoftError> {
        if self.root.is_some() {
            return Err(SoftError::RootKeysExist);
        }
        let root = self.root.insert(RootKeys::zeroed());
        if let Err(e) = root.fill_random(&mut self.rng) {
            self.root = None;
            return Err(e);
        }
        Ok(())
    }

    fn generate_key(&mut self) -> Result<WrappedKey, SoftError> {
        let root = self.root.as_ref().ok_or(SoftError::RootKeysNotFound)?;
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        self.rng.try_fill_bytes(key.as_mut_slice()).map_err(|_| SoftError::RandomFailure)?;
        let mut wrapped = [0u8; WRAPPED_KEY_LEN];
        let len = kwp::wrap::<Aes256>(root.wrapping(), key.as_slice(), &mut wrapped)?;
        if len != WRAPPED_KEY_LEN {
            return Err(SoftError::InvalidInput("wrapped key length"));
        }
        Ok(WrappedKey(wrapped))
    }

    fn load_key(&mut self, wrapped: &WrappedKey) -> Result<SoftHandle, SoftError> {
        let root = self.root.as_ref().ok_or(SoftError::RootKeysNotFound)?;
        // The raw key lives only in this wiped buffer while it is expanded: the slot keeps the
        // expanded AES-GCM key, so no seal or open expands it again.
        self.slots.load_with(|| {
            let mut key = Zeroizing::new([0u8; KEY_LEN]);
            let len = kwp::unwrap::<Aes256>(root.wrapping(), wrapped.as_bytes(), key.as_mut_slice())?;
            if len != KEY_LEN {
                return Err(SoftError::InvalidInput("wrapped material is not a 32-byte key"));
            }
            P::aes256_gcm(&key).map_err(|_| SoftError::InvalidInput("AES-256 key length"))
        })
    }

    fn release_key(&mut self, key: SoftHandle) -> Result<(), SoftError> {
        self.slots.release(key)
    }

    fn seal(&mut self, key: SoftHandle, aad: &[u8], buf: &mut [u8]) -> Result<(Nonce, Tag), SoftError> {
        check_seal_args(aad, buf)?;
        let key = self.slots.key(key)?;
        let nonce = random_nonce(&mut self.rng)?;
        let tag = gcm::seal_in_place_with(key, &nonce, aad, buf)?;
        Ok((Nonce(nonce), Tag(tag)))
    }

    fn open(&mut self, key: SoftHandle, nonce: &Nonce, aad: &[u8], buf: &mut [u8], tag: &Tag) -> Result<(), SoftError> {
        check_seal_args(aad, buf)?;
        let key = self.slots.key(key)?;
        gcm::open_in_place_with(key, &nonce.0, aad, buf, &tag.0)
    }

    fn mac(&mut self, data: &[u8]) -> Result<Mac, SoftError> {
        let root = self.root.as_ref().ok_or(SoftError::RootKeysNotFound)?;
        mac::hmac_sha256::<P>(root.sealing(), data).map(Mac)
    }

    fn verify_mac(&mut self, data: &[u8], mac: &Mac) -> Result<(), SoftError> {
        let root = self.root.as_ref().ok_or(SoftError::RootKeysNotFound)?;
        mac::verify_hmac_sha256::<P>(root.sealing(), data, &mac.0)
    }
}

impl<R, const SLOTS: usize, P: CryptoProvider> fmt::Debug for SoftHsm<R, SLOTS, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let root = if self.root.is_some() { "present" } else { "absent" };
        f.debug_struct("SoftHsm").field("root_keys", &root).field("slots", &self.slots).finish_non_exhaustive()
    }
}
