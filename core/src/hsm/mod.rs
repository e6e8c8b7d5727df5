//! The boundary between key logic and key storage: the [`Hsm`] trait.
//!
//! Only the two root keys live in the HSM permanently:
//!
//! - the **root wrapping key** (AES-256, wrap/unwrap only) wraps every KMS key version's material
//!   with AES key wrap with padding (RFC 5649);
//! - the **root sealing key** (HMAC-SHA-256, sign/verify only) authenticates key records.
//!
//! A KMS key version's material leaves the HSM only wrapped ([`WrappedKey`]); to use it, the
//! caller loads it back as a handle, seals or opens with AES-256-GCM under that handle, and
//! releases it. A backend that keeps keys in a token never shows their bytes to the host.
//!
//! Every method takes `&mut self`: PKCS#11 sessions are not shareable between threads, and a
//! software backend mutates its key slots. Sharing an `Hsm` between threads is the job of the
//! layer above (a mutex, or one instance per thread where the backend allows it).

mod capability;
mod error;
mod key_cache;
mod root_material;
mod types;

pub use capability::Capabilities;
pub use error::{ErrorKind, HsmError};
pub use key_cache::{KeyCache, Place};
pub use root_material::RootKeyMaterial;
pub use types::{KEY_LEN, MAC_LEN, Mac, NONCE_LEN, Nonce, TAG_LEN, Tag, WRAPPED_KEY_LEN, WrappedKey};

/// Largest buffer [`Hsm::seal`] and [`Hsm::open`] must accept, in bytes.
///
/// Coffer seals at most 4096 bytes of plaintext per call (the KMS Encrypt limit); backends may
/// accept more. Keeping the bound small keeps tokens with small I/O buffers usable.
pub const MAX_SEAL_LEN: usize = 4096;

/// A hardware security module as Coffer uses it.
///
/// Implementations must:
/// - generate every nonce in [`seal`](Hsm::seal) from a cryptographically secure generator
///   (never a counter that could repeat across restarts);
/// - return [`ErrorKind::AuthenticationFailed`] from [`open`](Hsm::open) and
///   [`verify_mac`](Hsm::verify_mac) for *every* authentication failure, whatever its cause, and
///   leave the buffer holding no plaintext in that case;
/// - compare tags and MACs in constant time;
/// - report through [`capabilities`](Hsm::capabilities) what they do not support, and answer
///   [`ErrorKind::Unsupported`] when such an operation is called anyway.
pub trait Hsm {
    /// A loaded KMS key version. Plain data: copying it does not copy key material. It can be
    /// wiped ([`zeroize::Zeroize`]) so that a [`KeyCache`] holding it leaves nothing behind.
    type Handle: Copy + Eq + core::fmt::Debug + zeroize::Zeroize;
    /// The backend's own error, keeping its own detail (a CKR_* code for PKCS#11).
    type Error: HsmError;

    /// What this backend can do.
    fn capabilities(&self) -> Capabilities;

    /// Fills `dest` with bytes from the HSM's random generator.
    ///
    /// # Errors
    /// [`ErrorKind::RandomFailure`] if the generator cannot deliver, or a device error.
    fn fill_random(&mut self, dest: &mut [u8]) -> Result<(), Self::Error>;

    /// Finds the root wrapping and sealing keys and makes them current.
    ///
    /// # Errors
    /// [`ErrorKind::RootKeysNotFound`] if either is missing; never creates them.
    fn find_root_keys(&mut self) -> Result<(), Self::Error>;

    /// Creates the root wrapping and sealing keys inside the HSM and makes them current.
    ///
    /// # Errors
    /// [`ErrorKind::RootKeysExist`] if root keys are already there (they are never replaced
    /// silently), [`ErrorKind::Unsupported`] if the backend cannot create them.
    fn create_root_keys(&mut self) -> Result<(), Self::Error>;

    /// Generates fresh AES-256 material for a KMS key version inside the HSM and returns it
    /// wrapped under the root wrapping key (RFC 5649).
    ///
    /// # Errors
    /// [`ErrorKind::RootKeysNotFound`] before the root keys are found or created; device errors.
    fn generate_key(&mut self) -> Result<WrappedKey, Self::Error>;

    /// Unwraps `wrapped` under the root wrapping key into a handle usable with
    /// [`seal`](Hsm::seal) and [`open`](Hsm::open).
    ///
    /// # Errors
    /// [`ErrorKind::AuthenticationFailed`] if the wrapped bytes do not unwrap (edited, or wrapped
    /// under another root); [`ErrorKind::InvalidInput`] if they unwrap to anything but 32 bytes;
    /// [`ErrorKind::NoFreeSlot`] if no more keys can be loaded; [`ErrorKind::RootKeysNotFound`].
    fn load_key(&mut self, wrapped: &WrappedKey) -> Result<Self::Handle, Self::Error>;

    /// Releases a handle from [`load_key`](Hsm::load_key); a backend may keep the key cached.
    ///
    /// # Errors
    /// [`ErrorKind::KeyHandleInvalid`] if the handle is not (or no longer) loaded.
    fn release_key(&mut self, key: Self::Handle) -> Result<(), Self::Error>;

    /// Encrypts `buf` in place with AES-256-GCM under `key`, authenticating `aad`, with a fresh
    /// random 12-byte nonce. Returns the nonce and the 128-bit tag.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] if `buf` is longer than the backend accepts (at least
    /// [`MAX_SEAL_LEN`]) or `aad` is empty; [`ErrorKind::KeyHandleInvalid`]; device errors.
    fn seal(&mut self, key: Self::Handle, aad: &[u8], buf: &mut [u8]) -> Result<(Nonce, Tag), Self::Error>;

    /// Decrypts `buf` in place with AES-256-GCM under `key` after checking `tag` over `aad` and
    /// the ciphertext. On failure `buf` holds no plaintext.
    ///
    /// # Errors
    /// [`ErrorKind::AuthenticationFailed`] for any authentication failure; otherwise as
    /// [`seal`](Hsm::seal).
    fn open(
        &mut self,
        key: Self::Handle,
        nonce: &Nonce,
        aad: &[u8],
        buf: &mut [u8],
        tag: &Tag,
    ) -> Result<(), Self::Error>;

    /// HMAC-SHA-256 of `data` under the root sealing key.
    ///
    /// # Errors
    /// [`ErrorKind::RootKeysNotFound`] before the root keys are found or created; device errors.
    fn mac(&mut self, data: &[u8]) -> Result<Mac, Self::Error>;

    /// Checks, in constant time, that `mac` is the HMAC-SHA-256 of `data` under the root sealing key.
    ///
    /// # Errors
    /// [`ErrorKind::AuthenticationFailed`] if it is not; [`ErrorKind::RootKeysNotFound`] before
    /// the root keys are found or created.
    fn verify_mac(&mut self, data: &[u8], mac: &Mac) -> Result<(), Self::Error>;
}

/// A borrowed HSM is an HSM: a façade can own `&mut H` for a while and the caller keeps `H`
/// (as embedded-hal forwards its traits through `&mut T`), so no caller writes a forwarding shim.
impl<H: Hsm + ?Sized> Hsm for &mut H {
    type Handle = H::Handle;
    type Error = H::Error;

    fn capabilities(&self) -> Capabilities {
        (**self).capabilities()
    }

    fn fill_random(&mut self, dest: &mut [u8]) -> Result<(), Self::Error> {
        (**self).fill_random(dest)
    }

    fn find_root_keys(&mut self) -> Result<(), Self::Error> {
        (**self).find_root_keys()
    }

    fn create_root_keys(&mut self) -> Result<(), Self::Error> {
        (**self).create_root_keys()
    }

    fn generate_key(&mut self) -> Result<WrappedKey, Self::Error> {
        (**self).generate_key()
    }

    fn load_key(&mut self, wrapped: &WrappedKey) -> Result<Self::Handle, Self::Error> {
        (**self).load_key(wrapped)
    }

    fn release_key(&mut self, key: Self::Handle) -> Result<(), Self::Error> {
        (**self).release_key(key)
    }

    fn seal(&mut self, key: Self::Handle, aad: &[u8], buf: &mut [u8]) -> Result<(Nonce, Tag), Self::Error> {
        (**self).seal(key, aad, buf)
    }

    fn open(
        &mut self,
        key: Self::Handle,
        nonce: &Nonce,
        aad: &[u8],
        buf: &mut [u8],
        tag: &Tag,
    ) -> Result<(), Self::Error> {
        (**self).open(key, nonce, aad, buf, tag)
    }

    fn mac(&mut self, data: &[u8]) -> Result<Mac, Self::Error> {
        (**self).mac(data)
    }

    fn verify_mac(&mut self, data: &[u8], mac: &Mac) -> Result<(), Self::Error> {
        (**self).verify_mac(data, mac)
    }
}
