//! Cryptographic materials: what a keyring fills in, on encrypt and on decrypt.
//!
//! As in the spec (`framework/structures.md`), encryption materials hold the suite, the
//! encryption context, the plaintext data key, the encrypted data keys (EDKs) and, for a signed
//! suite, the signing key; decryption materials hold the suite, the context, the data key and
//! the verification key. Everything is bounded, and without `std` fixed-capacity: no heap. The
//! EDKs are kept in one byte pool ([`EdkPool`]), so materials are as large as the EDKs they hold
//! (at most [`MAX_EDK_POOL_LEN`] bytes), not as large as 16 EDKs at their longest.

use crate::crypto::{CryptoProvider, RustCrypto};
use core::fmt;
use rand_core::TryCryptoRng;
use zeroize::Zeroize;

use super::edk::EncryptedDataKey;
use super::edk_pool::{EdkPool, EdkPoolError, MAX_EDK_POOL_LEN};
use super::signing;
use super::suite::AlgorithmSuite;
use crate::data::{ContextError, EncryptionContext};

/// Length of a data key for the supported suites (AES-256).
pub const DATA_KEY_LEN: usize = 32;
/// The most encrypted data keys a message may carry in this build (the hard cap of
/// [`Limits::max_encrypted_data_keys`]).
pub const MAX_EDKS: usize = 16;
/// The default of [`Limits::max_encrypted_data_keys`], as the SDKs' recommended setting.
pub const DEFAULT_MAX_EDKS: usize = 10;
/// Encryption-context keys starting with this prefix are reserved for the message format.
pub const RESERVED_CONTEXT_PREFIX: &str = "aws-crypto-";

/// A plaintext data key: 32 bytes, zeroized on drop, printed redacted, not `Clone`.
///
/// Moving it (returning it, passing it to `set_data_key`) may leave a copy on the stack that is
/// not wiped: prefer [`zeroed`](Self::zeroed) and filling [`as_mut_bytes`](Self::as_mut_bytes)
/// where the key will stay (see the module's "Secrets in memory").
pub struct DataKey {
    bytes: [u8; DATA_KEY_LEN],
}

impl DataKey {
    /// A key of zero bytes, to be filled in place with [`as_mut_bytes`](Self::as_mut_bytes)
    /// (so that no copy of the key is left elsewhere).
    pub const fn zeroed() -> Self {
        Self { bytes: [0; DATA_KEY_LEN] }
    }

    /// A copy of `bytes`, if it is [`DATA_KEY_LEN`] long.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        let mut key = Self::zeroed();
        key.bytes.copy_from_slice(bytes.get(..DATA_KEY_LEN).filter(|_| bytes.len() == DATA_KEY_LEN)?);
        Some(key)
    }

    /// A fresh random key.
    ///
    /// # Errors
    /// The generator's error, if it fails.
    pub fn random<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, R::Error> {
        let mut key = Self::zeroed();
        rng.try_fill_bytes(&mut key.bytes)?;
        Ok(key)
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8; DATA_KEY_LEN] {
        &self.bytes
    }

    /// The key bytes, writable.
    pub fn as_mut_bytes(&mut self) -> &mut [u8; DATA_KEY_LEN] {
        &mut self.bytes
    }
}

impl Drop for DataKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl zeroize::ZeroizeOnDrop for DataKey {}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey([REDACTED])")
    }
}

/// Limits a message must respect, on encrypt and on decrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most encrypted data keys a message may carry (the SDKs' "maximum encrypted data
    /// keys"); default [`DEFAULT_MAX_EDKS`], at most [`MAX_EDKS`]. A message with more is refused
    /// before any of them is tried, so a hostile message cannot make the reader call its HSM or
    /// KMS many times.
    pub max_encrypted_data_keys: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_encrypted_data_keys: DEFAULT_MAX_EDKS }
    }
}

impl Limits {
    pub(crate) fn max_edks(&self) -> usize {
        self.max_encrypted_data_keys.min(MAX_EDKS)
    }
}

/// Why materials refused a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaterialsError {
    /// The encryption context uses a reserved key (`aws-crypto-` prefix).
    ReservedContextKey,
    /// The context, with what the suite adds (the public key), is over its limits.
    Context(ContextError),
    /// More encrypted data keys than [`Limits::max_encrypted_data_keys`].
    TooManyEncryptedDataKeys,
    /// An encrypted data key field is longer than its cap
    /// ([`MAX_PROVIDER_ID_LEN`](super::MAX_PROVIDER_ID_LEN), ...).
    EdkFieldTooLong,
    /// The encrypted data keys together would exceed [`MAX_EDK_POOL_LEN`] bytes.
    EdkPoolFull,
    /// A data key was already set: a keyring may not replace it.
    DataKeyAlreadySet,
    /// The random generator failed.
    Rng,
}

impl fmt::Display for MaterialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReservedContextKey => {
                write!(f, "encryption context keys starting with {RESERVED_CONTEXT_PREFIX} are reserved")
            }
            Self::Context(e) => fmt::Display::fmt(e, f),
            Self::TooManyEncryptedDataKeys => f.write_str("more encrypted data keys than the configured maximum"),
            Self::EdkFieldTooLong => fmt::Display::fmt(&super::EdkTooLong, f),
            Self::EdkPoolFull => {
                write!(f, "the encrypted data keys exceed the {MAX_EDK_POOL_LEN} bytes the materials hold for them")
            }
            Self::DataKeyAlreadySet => f.write_str("the materials already hold a data key"),
            Self::Rng => f.write_str("the random generator failed"),
        }
    }
}

impl core::error::Error for MaterialsError {}

/// Builds the context written in the header: the caller's pairs, plus the public key pair
/// for a signed suite.
fn full_context<'s>(
    base: &EncryptionContext<'s>,
    public_key: Option<&'s str>,
) -> Result<EncryptionContext<'s>, ContextError> {
    match public_key {
        Some(public_key) => base.with_pair(signing::PUBLIC_KEY_CONTEXT_KEY, public_key),
        None => Ok(base.clone()),
    }
}

/// What encrypting a message needs; a keyring's `on_encrypt` adds the data key and EDKs.
pub struct EncryptionMaterials<'c> {
    suite: AlgorithmSuite,
    context: EncryptionContext<'c>,
    signing: Option<signing::SigningKey>,
    data_key: Option<DataKey>,
    edks: EdkPool,
    limits: Limits,
}

impl<'c> EncryptionMaterials<'c> {
    /// Materials for `suite` and the caller's `context`, with no data key yet. For a signed
    /// suite, a fresh signing key is made and its public key joins the context.
    ///
    /// # Errors
    /// [`MaterialsError::ReservedContextKey`] if the context uses an `aws-crypto-` key;
    /// [`MaterialsError::Context`] if the context with the public key exceeds the context limits
    /// (a signed suite leaves room for one pair fewer); [`MaterialsError::Rng`].
    pub fn new<R: TryCryptoRng + ?Sized>(
        suite: AlgorithmSuite,
        context: EncryptionContext<'c>,
        limits: Limits,
        rng: &mut R,
    ) -> Result<Self, MaterialsError> {
        Self::new_in(suite, context, limits, rng, RustCrypto)
    }

    /// As [`new`](Self::new), with the signing key's public point computed by `provider` (the
    /// key itself is provider-neutral: any provider signs with it).
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn new_in<R: TryCryptoRng + ?Sized, P: CryptoProvider>(
        suite: AlgorithmSuite,
        context: EncryptionContext<'c>,
        limits: Limits,
        rng: &mut R,
        _provider: P,
    ) -> Result<Self, MaterialsError> {
        if context.iter().any(|(k, _)| k.starts_with(RESERVED_CONTEXT_PREFIX)) {
            return Err(MaterialsError::ReservedContextKey);
        }
        let signing = if suite.is_signed() {
            Some(signing::SigningKey::random::<P, R>(rng).map_err(|()| MaterialsError::Rng)?)
        } else {
            None
        };
        // Checked before the materials are built, so that they are built once, in the place they
        // are returned to: building them first and returning them after the check made two
        // copies of their EDK pool on a microcontroller's stack.
        full_context(&context, signing.as_ref().map(signing::SigningKey::public_key_base64))
            .map_err(MaterialsError::Context)?;
        Ok(Self { suite, context, signing, data_key: None, edks: EdkPool::new(), limits })
    }

    /// The suite.
    pub fn suite(&self) -> AlgorithmSuite {
        self.suite
    }

    /// The encryption context written in the header (the caller's, plus `aws-crypto-public-key`
    /// for a signed suite). Keyrings bind this.
    ///
    /// # Errors
    /// Never for materials made by [`new`](Self::new), which checked it.
    pub fn context(&self) -> Result<EncryptionContext<'_>, ContextError> {
        full_context(&self.context, self.signing.as_ref().map(signing::SigningKey::public_key_base64))
    }

    /// Writes the canonical encoding of [`context`](Self::context) into `out` (the AAD the raw
    /// AES keyring binds), returning its length.
    ///
    /// # Errors
    /// [`ContextError::TooLarge`] if `out` is too short.
    pub fn encode_context(&self, out: &mut [u8]) -> Result<usize, ContextError> {
        self.context()?.encode(out)
    }

    /// The plaintext data key, once a keyring made one.
    pub fn data_key(&self) -> Option<&DataKey> {
        self.data_key.as_ref()
    }

    /// Sets the plaintext data key (the generator keyring does this once).
    ///
    /// # Errors
    /// [`MaterialsError::DataKeyAlreadySet`] if one is already set.
    pub fn set_data_key(&mut self, key: DataKey) -> Result<(), MaterialsError> {
        if self.data_key.is_some() {
            return Err(MaterialsError::DataKeyAlreadySet);
        }
        self.data_key = Some(key);
        Ok(())
    }

    /// The encrypted data keys so far, in the order they were added (read them as borrowed
    /// [`EdkRef`](super::EdkRef)s).
    pub fn encrypted_data_keys(&self) -> &EdkPool {
        &self.edks
    }

    /// Adds an encrypted data key, copying its fields into the materials' pool.
    ///
    /// # Errors
    /// As [`add_encrypted_data_key_parts`](Self::add_encrypted_data_key_parts).
    pub fn add_encrypted_data_key(&mut self, edk: EncryptedDataKey) -> Result<(), MaterialsError> {
        let edk = edk.as_ref();
        self.add_encrypted_data_key_parts(edk.provider_id, &[edk.provider_info], edk.ciphertext)
    }

    /// Adds an encrypted data key whose provider info is the concatenation of `info_parts`,
    /// copying its fields straight into the materials' pool (no [`EncryptedDataKey`] of 1.3 KB
    /// is built on the way). On any error the materials are unchanged.
    ///
    /// # Errors
    /// [`MaterialsError::TooManyEncryptedDataKeys`] past [`Limits::max_encrypted_data_keys`];
    /// [`MaterialsError::EdkFieldTooLong`] if a field is over its cap;
    /// [`MaterialsError::EdkPoolFull`] if the EDKs would exceed [`MAX_EDK_POOL_LEN`] bytes.
    pub fn add_encrypted_data_key_parts(
        &mut self,
        provider_id: &[u8],
        info_parts: &[&[u8]],
        ciphertext: &[u8],
    ) -> Result<(), MaterialsError> {
        if self.edks.len() >= self.limits.max_edks() {
            return Err(MaterialsError::TooManyEncryptedDataKeys);
        }
        self.edks.push(provider_id, info_parts, ciphertext).map_err(|e| match e {
            EdkPoolError::FieldTooLong => MaterialsError::EdkFieldTooLong,
            EdkPoolError::Full => MaterialsError::EdkPoolFull,
            EdkPoolError::TooMany => MaterialsError::TooManyEncryptedDataKeys,
        })
    }

    /// The limits these materials were made with.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// These materials without the caller's context, so that a data-key cache can keep them
    /// beyond the request: the data key, EDKs (which bound the full context when they were
    /// made) and signing key move over unchanged. The cache writes the request's context back
    /// with [`context_with`](Self::context_with), and only for a request whose context is the
    /// one these were made for (its cache identifier says so).
    pub(crate) fn without_context(self) -> EncryptionMaterials<'static> {
        let Self { suite, context: _, signing, data_key, edks, limits } = self;
        EncryptionMaterials { suite, context: EncryptionContext::empty(), signing, data_key, edks, limits }
    }

    /// The context a header written with these materials holds for the caller's `base`
    /// context: `base`, plus the public key for a signed suite.
    pub(crate) fn context_with<'s>(
        &'s self,
        base: &EncryptionContext<'s>,
    ) -> Result<EncryptionContext<'s>, MaterialsError> {
        if base.iter().any(|(k, _)| k.starts_with(RESERVED_CONTEXT_PREFIX)) {
            return Err(MaterialsError::ReservedContextKey);
        }
        full_context(base, self.signing.as_ref().map(signing::SigningKey::public_key_base64))
            .map_err(MaterialsError::Context)
    }

    pub(crate) fn signing_key(&self) -> Option<&signing::SigningKey> {
        self.signing.as_ref()
    }

    pub(crate) fn take_signing_key(&mut self) -> Option<signing::SigningKey> {
        self.signing.take()
    }
}

impl fmt::Debug for EncryptionMaterials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionMaterials")
            .field("suite", &self.suite)
            .field("context", &self.context)
            .field("data_key", &self.data_key)
            .field("edks", &self.edks.len())
            .field("signed", &self.signing.is_some())
            .finish()
    }
}

/// What decrypting a message needs; a keyring's `on_decrypt` sets the data key from one of the
/// header's EDKs.
pub struct DecryptionMaterials<'h> {
    suite: AlgorithmSuite,
    context: EncryptionContext<'h>,
    encoded_context: &'h [u8],
    data_key: Option<DataKey>,
}

impl<'h> DecryptionMaterials<'h> {
    /// Materials for a message of `suite` whose header holds `encoded_context` (canonical
    /// encoding of `context`).
    pub fn new(suite: AlgorithmSuite, context: EncryptionContext<'h>, encoded_context: &'h [u8]) -> Self {
        Self { suite, context, encoded_context, data_key: None }
    }

    /// The suite.
    pub fn suite(&self) -> AlgorithmSuite {
        self.suite
    }

    /// The message's encryption context (for a signed suite, with `aws-crypto-public-key`).
    pub fn context(&self) -> &EncryptionContext<'h> {
        &self.context
    }

    /// The canonical encoding of the context, as in the header (the raw AES keyring's AAD).
    pub fn encoded_context(&self) -> &'h [u8] {
        self.encoded_context
    }

    /// The data key, once a keyring set it.
    pub fn data_key(&self) -> Option<&DataKey> {
        self.data_key.as_ref()
    }

    /// Sets the data key.
    ///
    /// # Errors
    /// [`MaterialsError::DataKeyAlreadySet`] if one is already set.
    pub fn set_data_key(&mut self, key: DataKey) -> Result<(), MaterialsError> {
        if self.data_key.is_some() {
            return Err(MaterialsError::DataKeyAlreadySet);
        }
        self.data_key = Some(key);
        Ok(())
    }
}

impl fmt::Debug for DecryptionMaterials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecryptionMaterials")
            .field("suite", &self.suite)
            .field("context", &self.context)
            .field("data_key", &self.data_key)
            .finish()
    }
}
