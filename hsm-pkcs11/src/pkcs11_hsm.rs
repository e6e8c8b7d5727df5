//! [`Pkcs11Hsm`]: the `Hsm` trait over one session on a PKCS#11 token.

use crate::error::from_cryptoki;
use crate::key_cache::{KeyCache, Pkcs11Handle};
use crate::root_keys::{self, RootHandles};
use crate::{Pkcs11Config, Pkcs11Error, module, templates, token};
use coffer_core::hsm::{
    Capabilities, ErrorKind, Hsm, HsmError, MAC_LEN, MAX_SEAL_LEN, Mac, NONCE_LEN, Nonce, RootKeyMaterial, TAG_LEN,
    Tag, WRAPPED_KEY_LEN, WrappedKey,
};
use cryptoki::context::{Function, Pkcs11};
use cryptoki::error::{Error as CryptokiError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, AttributeType, ObjectHandle};
use cryptoki::session::{Session, SessionState};
use cryptoki::slot::Slot;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// GCM tag length in bits, passed to the token on every call: never truncated.
const TAG_BITS: u64 = 128;

/// Instance numbers, so that a handle is only ever honoured by the instance that issued it.
static INSTANCES: AtomicU64 = AtomicU64::new(1);

/// An [`Hsm`] over a PKCS#11 token: one logged-in read-write session.
///
/// - The root keys are token objects, found by label ([`Pkcs11Config::wrapping_key_label`],
///   [`Pkcs11Config::sealing_key_label`]) and created only by
///   [`create_root_keys`](Hsm::create_root_keys) (or imported by
///   [`import_root_keys`](Self::import_root_keys)).
/// - A new KMS key version is generated in the token as a short-lived session object, wrapped
///   under the root wrapping key with CKM_AES_KEY_WRAP_PAD, and destroyed.
/// - Loading unwraps it into the token as a session object that is sensitive, non-extractable,
///   not modifiable and usable only for encrypt/decrypt (the root's CKA_UNWRAP_TEMPLATE
///   imposes this on every unwrap, whoever asks); up to [`Pkcs11Config::key_cache_capacity`] of
///   them stay loaded so that repeated use costs no unwrap.
/// - AES-GCM runs in the token (CKM_AES_GCM) with a 12-byte IV from `C_GenerateRandom` and a
///   128-bit tag. Coffer sets and checks both lengths itself: tokens accept others.
/// - HMAC-SHA-256 runs in the token (CKM_SHA256_HMAC); [`verify_mac`](Hsm::verify_mac)
///   compares the token's MAC with the given one in constant time on the host.
///
/// # Concurrency
/// An instance owns one session. It is [`Send`] (move it to another thread) but not [`Sync`]:
/// a PKCS#11 session must not be used by two threads at once. For parallel work open one
/// instance per thread on the same token: each has its own session and loads keys of its own
/// (session objects are visible to every session of the process, but each instance uses only
/// the ones it made), and they share the token's login. The module is initialized once per
/// process and never finalized (see [`module`]).
///
/// # Errors
/// Every PKCS#11 failure keeps its function and return value ([`Pkcs11Error::rv`],
/// [`Pkcs11Error::ckr`]), except authentication failures, which are opaque. SoftHSMv2 answers a
/// bad GCM tag with CKR_GENERAL_ERROR, so on [`open`](Hsm::open) that code (and
/// CKR_ENCRYPTED_DATA_INVALID) is an authentication failure; on [`load_key`](Hsm::load_key),
/// CKR_WRAPPED_KEY_INVALID and the same two are.
pub struct Pkcs11Hsm {
    // Declared before `pkcs11` so the session closes before the module handle drops.
    session: Session,
    pkcs11: Pkcs11,
    slot: Slot,
    config: Pkcs11Config,
    root: Option<RootHandles>,
    cache: KeyCache,
}

impl Pkcs11Hsm {
    /// What this backend supports: everything Coffer requires, creating its own root keys, and
    /// keys that never leave the token in plaintext.
    pub(crate) const CAPABILITIES: Capabilities =
        Capabilities::REQUIRED.union(Capabilities::CREATE_ROOT_KEYS).union(Capabilities::NON_EXTRACTABLE_KEYS);

    /// Loads the module (once per process), finds the token by label, opens a session and logs
    /// in. Looks for the root keys but does not require them: call
    /// [`create_root_keys`](Hsm::create_root_keys) once to initialize a new token.
    ///
    /// # Errors
    /// [`ErrorKind::Unavailable`] if the module does not load or no token (or several) has the
    /// label; [`ErrorKind::PinIncorrect`] / [`ErrorKind::PinLocked`] from the login;
    /// [`ErrorKind::InvalidInput`] for an unusable configuration; a root key with unsafe
    /// attributes ([`ErrorKind::Device`]).
    pub fn open(config: Pkcs11Config) -> Result<Self, Pkcs11Error> {
        Self::open_or_give_back(config).map_err(|failed| failed.1)
    }

    /// [`open`](Self::open), giving the configuration back on failure (to try again later).
    pub(crate) fn open_or_give_back(config: Pkcs11Config) -> Result<Self, Box<(Pkcs11Config, Pkcs11Error)>> {
        let opened = (|| {
            config.check()?;
            let pkcs11 = module::module(&config.module)?;
            let slot = token::find_token(&pkcs11, &config.token_label)?;
            let session = token::open_session(&pkcs11, slot, &config.pin)?;
            Ok((pkcs11, slot, session))
        })();
        let (pkcs11, slot, session) = match opened {
            Ok(opened) => opened,
            Err(e) => return Err(Box::new((config, e))),
        };
        let cache = KeyCache::new(INSTANCES.fetch_add(1, Ordering::Relaxed), config.key_cache_capacity);
        let mut hsm = Self { session, pkcs11, slot, config, root: None, cache };
        match hsm.find_root_keys() {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::RootKeysNotFound => {}
            Err(e) => return Err(Box::new((hsm.into_config(), e))),
        }
        Ok(hsm)
    }

    /// Closes the session and gives the configuration back.
    pub(crate) fn into_config(self) -> Pkcs11Config {
        let Self { session, config, .. } = self;
        drop(session);
        config
    }

    /// Places the caller's root keys on the token as sensitive, non-extractable token objects
    /// and makes them current: to move a root from the software HSM into a token, or to give
    /// two backends the same root.
    ///
    /// Keys made this way have been in host memory: their CKA_ALWAYS_SENSITIVE and
    /// CKA_NEVER_EXTRACTABLE are false, and a token in a FIPS mode may refuse C_CreateObject of
    /// secret keys altogether. Prefer [`create_root_keys`](Hsm::create_root_keys).
    ///
    /// # Errors
    /// [`ErrorKind::RootKeysExist`] if either root key is already on the token; the PKCS#11
    /// error if the token refuses the objects.
    pub fn import_root_keys(&mut self, material: &RootKeyMaterial) -> Result<(), Pkcs11Error> {
        let root = root_keys::import(&self.session, &self.config, material).map_err(|e| self.after_failure(e))?;
        self.set_root(root);
        Ok(())
    }

    /// The slot the token was found in (it changes when tokens are added: do not store it).
    pub const fn slot(&self) -> Slot {
        self.slot
    }

    /// The configuration this instance was opened with.
    pub const fn config(&self) -> &Pkcs11Config {
        &self.config
    }

    /// How well the token protects the root keys this instance uses (`None` before they are
    /// found or created): roots made by older Coffer versions have neither protection.
    pub fn root_protection(&self) -> Option<crate::RootProtection> {
        self.root.map(|root| root.protection)
    }

    /// How many unwraps [`load_key`](Hsm::load_key) has made: the loads not served from the
    /// key cache.
    pub const fn unwrap_count(&self) -> u64 {
        self.cache.unwraps()
    }

    /// How many key versions are loaded in the token now.
    pub fn loaded_keys(&self) -> usize {
        self.cache.loaded()
    }

    /// The module this instance uses, for callers that need a second session of their own.
    pub const fn pkcs11(&self) -> &Pkcs11 {
        &self.pkcs11
    }

    fn root(&self) -> Result<RootHandles, Pkcs11Error> {
        self.root.ok_or(Pkcs11Error::new(ErrorKind::RootKeysNotFound))
    }

    /// Makes `root` current. Keys loaded under another root are unloaded: their wrapped bytes
    /// identify them only under the root that wrapped them.
    fn set_root(&mut self, root: RootHandles) {
        if self.root != Some(root) {
            self.unload_all();
        }
        self.root = Some(root);
    }

    /// Empties the key cache and destroys its objects where the token still lets us.
    fn unload_all(&mut self) {
        for object in self.cache.clear() {
            let _ = self.session.destroy_object(object);
        }
    }

    /// Runs `op` under the root keys. If the token no longer knows the root handles (they were
    /// renumbered by a new login, or removed), looks the root keys up again once and retries;
    /// if they are gone, the first error (with the token's code) is returned.
    fn with_root<T>(&mut self, op: impl Fn(&Self, RootHandles) -> Result<T, Pkcs11Error>) -> Result<T, Pkcs11Error> {
        let root = self.root()?;
        let first = match op(self, root) {
            Ok(value) => return Ok(value),
            Err(e) => match self.diagnose(e) {
                e if e.kind() == ErrorKind::RootKeysNotFound && e.rv().is_some() => e,
                e => return Err(self.after_failure(e)),
            },
        };
        self.root = None;
        self.unload_all();
        match root_keys::find(&self.session, &self.config) {
            Ok(found) => {
                self.set_root(found);
                op(self, found).map_err(|e| self.after_failure(e))
            }
            Err(_) => Err(first),
        }
    }

    /// Bookkeeping after a failure: a lost login may renumber every private object, so loaded
    /// keys are forgotten (the root handles are checked by [`with_root`](Self::with_root)).
    fn after_failure(&mut self, e: Pkcs11Error) -> Pkcs11Error {
        let e = self.diagnose(e);
        if matches!(e.kind(), ErrorKind::NotLoggedIn | ErrorKind::SessionClosed) {
            self.cache.clear();
        }
        e
    }

    /// The object behind `handle`, or KeyHandleInvalid.
    fn loaded(&mut self, handle: Pkcs11Handle) -> Result<ObjectHandle, Pkcs11Error> {
        self.cache.object(handle).ok_or(Pkcs11Error::new(ErrorKind::KeyHandleInvalid))
    }

    /// Maps a failure of an operation under the loaded key `handle`; a key the token no longer
    /// has is forgotten, so that the next load unwraps it again.
    fn key_failure(&mut self, handle: Pkcs11Handle, e: CryptokiError) -> Pkcs11Error {
        let e = self.after_failure(from_cryptoki(e));
        if e.kind() == ErrorKind::KeyHandleInvalid {
            self.cache.forget(handle);
        }
        e
    }

    /// A token that lost its login hides private objects: SoftHSMv2 then answers
    /// CKR_OBJECT_HANDLE_INVALID, which would read as a removed key. The session state tells
    /// the two apart; the token's code is kept either way.
    fn diagnose(&self, e: Pkcs11Error) -> Pkcs11Error {
        if !matches!(e.kind(), ErrorKind::RootKeysNotFound | ErrorKind::KeyHandleInvalid) {
            return e;
        }
        let (Some(function), Some(rv)) = (e.function(), e.rv()) else { return e };
        match self.session.get_session_info() {
            Ok(info) if !matches!(info.session_state(), SessionState::RoUser | SessionState::RwUser) => {
                Pkcs11Error::call_as(ErrorKind::NotLoggedIn, function, rv)
            }
            _ => e,
        }
    }

    /// True if `object` still is the key version `wrapped` (its CKA_ID): a cached handle is
    /// checked before reuse, since a module may hand out a destroyed object's number again.
    fn still_loaded(&self, object: ObjectHandle, wrapped: &WrappedKey) -> bool {
        matches!(
            self.session.get_attributes(object, &[AttributeType::Id]).as_deref(),
            Ok([Attribute::Id(id)]) if id.as_slice() == wrapped.as_bytes()
        )
    }

    /// Unwraps `wrapped` into a loaded-key session object, not modifiable, and checks it is an
    /// AES-256 key.
    ///
    /// The length check relies on the token's CKA_VALUE_LEN. SoftHSMv2 2.6.1 reports 0 for
    /// every unwrapped key (and refuses CKA_VALUE_LEN in the unwrap template), so there the
    /// length cannot be checked: a 40-byte wrapped value holds 25 to 32 bytes, and only someone
    /// logged in to the token can wrap anything but a 32-byte key under the root. A token that
    /// reports a length other than 32 has the object destroyed and the load refused.
    fn unwrap(&self, root: RootHandles, wrapped: &WrappedKey) -> Result<ObjectHandle, Pkcs11Error> {
        let template = templates::loaded_version(&self.config.loaded_key_label(), wrapped.as_bytes());
        let unwrapped = self
            .session
            .unwrap_key(&Mechanism::AesKeyWrapPad, root.wrapping, wrapped.as_bytes(), &template)
            .map_err(|e| self.diagnose(unwrap_failure(e)))?;
        // CKA_MODIFIABLE is read-only in an unwrap template (SoftHSMv2), but a copy may set it:
        // the copy can never gain a usage, the unwrapped original is destroyed at once.
        let copied = self.session.copy_object(unwrapped, &[Attribute::Modifiable(false)]).map_err(from_cryptoki);
        let _ = self.session.destroy_object(unwrapped);
        let object = copied?;
        let length = self.session.get_attributes(object, &[AttributeType::ValueLen]);
        let reported = match length.as_deref() {
            Ok([Attribute::ValueLen(len)]) => Some(u64::from(*len)),
            Ok(_) => None,
            Err(_) => Some(u64::MAX),
        };
        // None or 0: the token does not tell (SoftHSMv2); 32: an AES-256 key.
        if matches!(reported, None | Some(0) | Some(32)) {
            return Ok(object);
        }
        // Not a usable key version: it must not stay in the token.
        let _ = self.session.destroy_object(object);
        match length {
            Err(e) => Err(from_cryptoki(e)),
            Ok(_) => Err(Pkcs11Error::text(ErrorKind::InvalidInput, "wrapped material is not a 32-byte key")),
        }
    }
}

/// Maps a failed unwrap: integrity failures are opaque, a missing root key is RootKeysNotFound.
fn unwrap_failure(e: CryptokiError) -> Pkcs11Error {
    match e {
        CryptokiError::Pkcs11(
            RvError::WrappedKeyInvalid
            | RvError::WrappedKeyLenRange
            | RvError::EncryptedDataInvalid
            | RvError::EncryptedDataLenRange
            | RvError::GeneralError,
            _,
        ) => Pkcs11Error::authentication(),
        other => root_failure(other),
    }
}

/// Maps a failure of an operation under a root key: if the token no longer has the key, the
/// root keys are not found (someone removed them), whatever the code.
fn root_failure(e: CryptokiError) -> Pkcs11Error {
    match e {
        CryptokiError::Pkcs11(
            rv @ (RvError::KeyHandleInvalid
            | RvError::ObjectHandleInvalid
            | RvError::WrappingKeyHandleInvalid
            | RvError::UnwrappingKeyHandleInvalid),
            function,
        ) => Pkcs11Error::call_as(ErrorKind::RootKeysNotFound, function, rv),
        other => from_cryptoki(other),
    }
}

/// The trait's argument rules for [`Hsm::seal`] and [`Hsm::open`].
fn check_seal_args(aad: &[u8], buf: &[u8]) -> Result<(), Pkcs11Error> {
    if aad.is_empty() {
        // SoftHSMv2 builds with assertions crash on empty AAD; the trait refuses it everywhere.
        return Err(Pkcs11Error::text(ErrorKind::InvalidInput, "aad is empty"));
    }
    if buf.len() > MAX_SEAL_LEN {
        return Err(Pkcs11Error::text(ErrorKind::InvalidInput, "buffer longer than MAX_SEAL_LEN"));
    }
    Ok(())
}

impl Hsm for Pkcs11Hsm {
    type Handle = Pkcs11Handle;
    type Error = Pkcs11Error;

    fn capabilities(&self) -> Capabilities {
        Self::CAPABILITIES
    }

    fn fill_random(&mut self, dest: &mut [u8]) -> Result<(), Pkcs11Error> {
        if dest.is_empty() {
            return Ok(());
        }
        self.session.generate_random_slice(dest).map_err(|e| self.after_failure(from_cryptoki(e)))
    }

    fn find_root_keys(&mut self) -> Result<(), Pkcs11Error> {
        let root = root_keys::find(&self.session, &self.config).map_err(|e| self.after_failure(e))?;
        self.set_root(root);
        Ok(())
    }

    fn create_root_keys(&mut self) -> Result<(), Pkcs11Error> {
        let root = root_keys::create(&self.session, &self.config).map_err(|e| self.after_failure(e))?;
        self.set_root(root);
        Ok(())
    }

    fn generate_key(&mut self) -> Result<WrappedKey, Pkcs11Error> {
        let wrapped = self.with_root(|hsm, root| {
            let template = templates::generated_version(&hsm.config.generated_key_label());
            let key = hsm.session.generate_key(&Mechanism::AesKeyGen, &template).map_err(from_cryptoki)?;
            let wrapped = hsm.session.wrap_key(&Mechanism::AesKeyWrapPad, root.wrapping, key).map_err(root_failure);
            // The plaintext-capable object must not outlive this call, whatever happened.
            let destroyed = hsm.session.destroy_object(key).map_err(from_cryptoki);
            let wrapped = wrapped?;
            destroyed?;
            Ok(wrapped)
        })?;
        let wrapped: [u8; WRAPPED_KEY_LEN] = wrapped.as_slice().try_into().map_err(|_| {
            Pkcs11Error::text(ErrorKind::Device, "the token wrapped a 32-byte key to other than 40 bytes")
        })?;
        Ok(WrappedKey(wrapped))
    }

    fn load_key(&mut self, wrapped: &WrappedKey) -> Result<Pkcs11Handle, Pkcs11Error> {
        self.root()?;
        if let Some((slot, object)) = self.cache.find(wrapped) {
            if self.still_loaded(object, wrapped) {
                return Ok(self.cache.hit(slot));
            }
            self.cache.drop_slot(slot);
        }
        if !self.cache.has_room() {
            return Err(Pkcs11Error::new(ErrorKind::NoFreeSlot));
        }
        // Unwrap first, evict after: a wrapped key that fails to load costs the cache nothing.
        let object = self.with_root(|hsm, root| hsm.unwrap(root, wrapped))?;
        match self.cache.insert(wrapped, object) {
            Some((handle, evicted)) => {
                if let Some(old) = evicted {
                    // Already gone (its session closed) is fine: the place is free either way.
                    let _ = self.session.destroy_object(old);
                }
                Ok(handle)
            }
            None => {
                let _ = self.session.destroy_object(object);
                Err(Pkcs11Error::new(ErrorKind::NoFreeSlot))
            }
        }
    }

    fn release_key(&mut self, key: Pkcs11Handle) -> Result<(), Pkcs11Error> {
        if self.cache.release(key) { Ok(()) } else { Err(Pkcs11Error::new(ErrorKind::KeyHandleInvalid)) }
    }

    fn seal(&mut self, key: Pkcs11Handle, aad: &[u8], buf: &mut [u8]) -> Result<(Nonce, Tag), Pkcs11Error> {
        check_seal_args(aad, buf)?;
        let object = self.loaded(key)?;
        let mut iv = [0u8; NONCE_LEN];
        self.fill_random(&mut iv)?;
        let params = GcmParams::new(&mut iv, aad, TAG_BITS.into()).map_err(from_cryptoki)?;
        let out = match self.session.encrypt(&Mechanism::AesGcm(params), object, buf) {
            Ok(out) => out,
            Err(e) => return Err(self.key_failure(key, e)),
        };
        // Read after the call: PKCS#11 lets a token write its own IV into the parameters
        // (AWS CloudHSM does), and the blob must carry the IV actually used.
        let nonce = Nonce(iv);
        // The token must return exactly ciphertext || 128-bit tag.
        let (ciphertext, tag) = out
            .split_at_checked(buf.len())
            .filter(|(_, tag)| tag.len() == TAG_LEN)
            .ok_or(Pkcs11Error::text(ErrorKind::Device, "the token returned a GCM output of the wrong length"))?;
        let tag: [u8; TAG_LEN] = tag.try_into().map_err(|_| Pkcs11Error::text(ErrorKind::Device, "GCM tag length"))?;
        buf.copy_from_slice(ciphertext);
        Ok((nonce, Tag(tag)))
    }

    fn open(
        &mut self,
        key: Pkcs11Handle,
        nonce: &Nonce,
        aad: &[u8],
        buf: &mut [u8],
        tag: &Tag,
    ) -> Result<(), Pkcs11Error> {
        check_seal_args(aad, buf)?;
        let object = self.loaded(key)?;
        let mut iv = nonce.0;
        let params = GcmParams::new(&mut iv, aad, TAG_BITS.into()).map_err(from_cryptoki)?;
        let mut input = Vec::with_capacity(buf.len().saturating_add(TAG_LEN));
        input.extend_from_slice(buf);
        input.extend_from_slice(&tag.0);
        let result = self.session.decrypt(&Mechanism::AesGcm(params), object, &input).map(Zeroizing::new);
        match result {
            Ok(plaintext) if plaintext.len() == buf.len() => {
                buf.copy_from_slice(&plaintext);
                Ok(())
            }
            Ok(_) => {
                buf.fill(0);
                Err(Pkcs11Error::text(ErrorKind::Device, "the token returned a GCM plaintext of the wrong length"))
            }
            Err(CryptokiError::Pkcs11(
                RvError::GeneralError | RvError::EncryptedDataInvalid | RvError::EncryptedDataLenRange,
                Function::Decrypt,
            )) => {
                buf.fill(0);
                Err(Pkcs11Error::authentication())
            }
            Err(e) => {
                buf.fill(0);
                Err(self.key_failure(key, e))
            }
        }
    }

    fn mac(&mut self, data: &[u8]) -> Result<Mac, Pkcs11Error> {
        let out = self.with_root(|hsm, root| {
            hsm.session.sign(&Mechanism::Sha256Hmac, root.sealing, data).map_err(root_failure)
        })?;
        let mac: [u8; MAC_LEN] = out
            .as_slice()
            .try_into()
            .map_err(|_| Pkcs11Error::text(ErrorKind::Device, "the token returned an HMAC of the wrong length"))?;
        Ok(Mac(mac))
    }

    fn verify_mac(&mut self, data: &[u8], mac: &Mac) -> Result<(), Pkcs11Error> {
        let expected = self.mac(data)?;
        if bool::from(expected.0.ct_eq(&mac.0)) { Ok(()) } else { Err(Pkcs11Error::authentication()) }
    }
}

impl fmt::Debug for Pkcs11Hsm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let root = if self.root.is_some() { "present" } else { "absent" };
        f.debug_struct("Pkcs11Hsm")
            .field("module", &self.config.module)
            .field("token", &self.config.token_label)
            .field("slot", &self.slot.id())
            .field("root_keys", &root)
            .field("loaded_keys", &self.cache.loaded())
            .finish_non_exhaustive()
    }
}
