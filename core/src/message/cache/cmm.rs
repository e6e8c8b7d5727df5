//! The caching cryptographic materials manager.

use crate::crypto::{CryptoProvider, RustCrypto};
use core::fmt;
use heapless::String;
use rand_core::TryCryptoRng;

use super::super::edk::EdkRef;
use super::super::encrypt::{EncryptConfig, Encryptor};
use super::super::error::EncryptError;
use super::super::keyring::{Keyring, KeyringError};
use super::super::materials::{DataKey, DecryptionMaterials, EncryptionMaterials, MaterialsError};
use super::id::{decryption_id, encryption_id};
use super::store::LocalCache;
use crate::clock::Clock;
use crate::data::EncryptionContext;

/// Longest partition id accepted, in bytes.
pub const MAX_PARTITION_ID_LEN: usize = 128;
/// Random bytes of a generated partition id (hex-encoded: twice as many characters).
const GENERATED_PARTITION_BYTES: usize = 16;

/// How long and how much a cached data key may be used (the caching CMM's cache limit TTL,
/// limit messages and limit bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    /// Seconds an entry may be used after it was made; at least 1. An entry is used only while
    /// its age (by the cache's clock) is below this, so at exactly `max_age` seconds it is no
    /// longer used.
    pub max_age: u64,
    /// Messages one cached data key may encrypt; at least 1. Default 2^32, the spec's.
    pub max_messages: u64,
    /// Plaintext bytes one cached data key may encrypt, in total. Default 2^63 − 1, the spec's
    /// bound. A single message longer than this is given a fresh data key and not cached.
    pub max_bytes: u64,
}

impl CacheLimits {
    /// The spec's default for [`max_messages`](Self::max_messages).
    pub const DEFAULT_MAX_MESSAGES: u64 = 1 << 32;
    /// The spec's default for [`max_bytes`](Self::max_bytes) (2^63 − 1).
    pub const DEFAULT_MAX_BYTES: u64 = (1 << 63) - 1;

    /// Limits with the given time-to-live and the spec's defaults for the rest.
    pub const fn new(max_age: u64) -> Self {
        Self { max_age, max_messages: Self::DEFAULT_MAX_MESSAGES, max_bytes: Self::DEFAULT_MAX_BYTES }
    }
}

/// What a caching CMM did: calls to its keyring (each one a KMS or HSM operation, or more for a
/// multi-keyring), and cache hits, misses and bypasses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Calls made to the underlying keyring (`on_encrypt` and `on_decrypt`).
    pub keyring_calls: u64,
    /// Encryption requests served from the cache.
    pub encrypt_hits: u64,
    /// Encryption requests that called the keyring and cached the result (including those
    /// whose entry had expired or reached a usage limit).
    pub encrypt_misses: u64,
    /// Encryption requests that bypassed the cache: unknown plaintext length, a plaintext
    /// longer than [`CacheLimits::max_bytes`], a cache without encryption slots, or a clock
    /// that could not tell the time.
    pub encrypt_bypasses: u64,
    /// Decryptions whose data key came from the cache.
    pub decrypt_hits: u64,
    /// Decryptions that called the keyring.
    pub decrypt_misses: u64,
}

/// Why a caching CMM could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CacheError {
    /// [`CacheLimits::max_age`] is 0 (the spec requires a TTL greater than zero).
    ZeroMaxAge,
    /// [`CacheLimits::max_messages`] is 0: no message could use a cached key.
    ZeroMaxMessages,
    /// The partition id is empty, longer than [`MAX_PARTITION_ID_LEN`], or holds a null byte
    /// (the separator of the cache identifier).
    InvalidPartitionId,
    /// The random generator failed (making a partition id).
    Rng,
}

impl fmt::Display for CacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroMaxAge => f.write_str("the cache's max age must be at least one second"),
            Self::ZeroMaxMessages => f.write_str("the cache's max messages must be at least 1"),
            Self::InvalidPartitionId => {
                write!(f, "a partition id must be 1 to {MAX_PARTITION_ID_LEN} bytes of UTF-8 without null bytes")
            }
            Self::Rng => f.write_str("the random generator failed"),
        }
    }
}

impl core::error::Error for CacheError {}

/// The caching cryptographic materials manager: a keyring in front of which sits a
/// [`LocalCache`], with [`CacheLimits`] and a partition id.
///
/// On encrypt, [`encryptor`](Self::encryptor) looks up materials for the partition, suite and
/// exact encryption context; a usable entry serves the message, otherwise the keyring makes new
/// materials, which are cached. On decrypt,
/// the CMM is itself a [`Keyring`] to give to a [`Decryptor`](super::super::Decryptor): it
/// serves the data key of a message whose suite, encrypted data keys and context it has seen,
/// and otherwise asks its keyring and caches the answer. Its `on_encrypt` forwards to the
/// keyring without caching (use [`encryptor`](Self::encryptor) to cache).
///
/// Several CMMs may use one cache in turn; they share entries only if they have the same
/// partition id. The time comes from `clock`; if it fails, the cache is bypassed.
///
/// # Example
///
/// ```
/// use coffer_core::EncryptionContext;
/// use coffer_core::clock::ManualClock;
/// use coffer_core::message::{
///     CacheLimits, CachingCmm, Decryptor, EncryptConfig, Encryptor, Limits, LocalCache, RawAesKeyring,
/// };
/// # use rand_core::{TryCryptoRng, TryRng};
/// # /// Stands in for a real CSPRNG (`getrandom::SysRng`, or the HSM's generator).
/// # struct DemoRng(u8);
/// # impl TryRng for DemoRng {
/// #     type Error = core::convert::Infallible;
/// #     fn try_next_u32(&mut self) -> Result<u32, Self::Error> { Ok(0) }
/// #     fn try_next_u64(&mut self) -> Result<u64, Self::Error> { Ok(0) }
/// #     fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
/// #         for b in dst { self.0 = self.0.wrapping_add(1); *b = self.0; }
/// #         Ok(())
/// #     }
/// # }
/// # impl TryCryptoRng for DemoRng {}
/// # let mut rng = DemoRng(0);
/// let keyring = RawAesKeyring::new("my-namespace", "my-key", &[0x42; 32])?;
/// let clock = ManualClock::new(1_700_000_000); // or SystemClock with `std`
/// // A data key serves at most 100 messages, 1 MiB in all, for 5 minutes.
/// let limits = CacheLimits { max_messages: 100, max_bytes: 1 << 20, ..CacheLimits::new(300) };
/// let mut cache: LocalCache<2, 2> = LocalCache::new();
/// let mut cmm = CachingCmm::new(&mut cache, keyring, &clock, limits, &mut rng)?;
/// let context = EncryptionContext::new(&[("tenant", "a")])?;
/// let config = EncryptConfig::default();
///
/// let mut messages = [[0u8; 1024]; 3];
/// let mut lens = [0usize; 3];
/// for (message, len) in messages.iter_mut().zip(&mut lens) {
///     let plaintext = b"one of many small messages";
///     let mut workspace = [0u8; Encryptor::workspace_len(4096)];
///     let mut encryptor =
///         cmm.encryptor(&context, &config, Some(plaintext.len() as u64), &mut rng, &mut workspace)?;
///     let (_, n) = encryptor.update(plaintext, message)?;
///     let (m, done) = encryptor.finish(&mut message[n..])?;
///     assert!(done);
///     *len = n + m;
/// }
/// assert_eq!(cmm.stats().keyring_calls, 1); // three messages, one data key
///
/// // The CMM is a keyring for the decryptor: one unwrap serves all three.
/// for (message, len) in messages.iter().zip(lens) {
///     let mut workspace = [0u8; Decryptor::workspace_len(4096)];
///     let mut decryptor = Decryptor::new(&mut cmm, context.clone(), Limits::default(), &mut workspace);
///     let mut plaintext = [0u8; 64];
///     decryptor.update(&message[..len], &mut plaintext)?;
///     decryptor.finish()?;
/// }
/// assert_eq!(cmm.stats().keyring_calls, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CachingCmm<'a, K, C, const E: usize, const D: usize> {
    cache: &'a mut LocalCache<E, D>,
    keyring: K,
    clock: C,
    limits: CacheLimits,
    partition: String<MAX_PARTITION_ID_LEN>,
    stats: CacheStats,
}

impl<K, C, const E: usize, const D: usize> fmt::Debug for CachingCmm<'_, K, C, E, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingCmm")
            .field("partition", &self.partition.as_str())
            .field("limits", &self.limits)
            .field("stats", &self.stats)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl<'a, K: Keyring, C: Clock, const E: usize, const D: usize> CachingCmm<'a, K, C, E, D> {
    /// A caching CMM with a fresh random partition id (so that it shares no entry with any
    /// other CMM, as the spec requires when no partition id is given).
    ///
    /// # Errors
    /// [`CacheError::ZeroMaxAge`], [`CacheError::ZeroMaxMessages`], [`CacheError::Rng`].
    pub fn new<R: TryCryptoRng + ?Sized>(
        cache: &'a mut LocalCache<E, D>,
        keyring: K,
        clock: C,
        limits: CacheLimits,
        rng: &mut R,
    ) -> Result<Self, CacheError> {
        let mut random = [0u8; GENERATED_PARTITION_BYTES];
        rng.try_fill_bytes(&mut random).map_err(|_| CacheError::Rng)?;
        let mut partition: String<MAX_PARTITION_ID_LEN> = String::new();
        for b in random {
            for nibble in [b >> 4, b & 0x0f] {
                let c = char::from_digit(u32::from(nibble), 16).ok_or(CacheError::Rng)?;
                partition.push(c).map_err(|_| CacheError::InvalidPartitionId)?;
            }
        }
        Self::build(cache, keyring, clock, limits, partition)
    }

    /// A caching CMM with the given partition id: CMMs with the same id share the entries of a
    /// cache (they must then use the same keyring, or an equivalent one).
    ///
    /// # Errors
    /// [`CacheError::ZeroMaxAge`], [`CacheError::ZeroMaxMessages`],
    /// [`CacheError::InvalidPartitionId`].
    pub fn with_partition_id(
        cache: &'a mut LocalCache<E, D>,
        keyring: K,
        clock: C,
        limits: CacheLimits,
        partition_id: &str,
    ) -> Result<Self, CacheError> {
        if partition_id.is_empty() || partition_id.as_bytes().contains(&0) {
            return Err(CacheError::InvalidPartitionId);
        }
        let partition = String::try_from(partition_id).map_err(|_| CacheError::InvalidPartitionId)?;
        Self::build(cache, keyring, clock, limits, partition)
    }

    fn build(
        cache: &'a mut LocalCache<E, D>,
        keyring: K,
        clock: C,
        limits: CacheLimits,
        partition: String<MAX_PARTITION_ID_LEN>,
    ) -> Result<Self, CacheError> {
        if limits.max_age == 0 {
            return Err(CacheError::ZeroMaxAge);
        }
        if limits.max_messages == 0 {
            return Err(CacheError::ZeroMaxMessages);
        }
        Ok(Self { cache, keyring, clock, limits, partition, stats: CacheStats::default() })
    }

    /// The counters so far.
    pub fn stats(&self) -> CacheStats {
        self.stats
    }

    /// The partition id.
    pub fn partition_id(&self) -> &str {
        &self.partition
    }

    /// The limits.
    pub fn limits(&self) -> CacheLimits {
        self.limits
    }

    /// The cache (to read its size and evictions).
    pub fn cache(&self) -> &LocalCache<E, D> {
        self.cache
    }

    /// Starts a message of `plaintext_len` bytes (or, as a bound, at most that many) with
    /// `context` and `config.suite`, with a cached data key when the limits allow.
    ///
    /// With `Some(len)`: a cached entry of this partition, suite and exact context serves the
    /// message if it is younger than `max_age` and one more message of `len` bytes keeps it
    /// within `max_messages` and `max_bytes` (its counters then grow by one message and `len`
    /// bytes). An entry that fails any limit is removed (zeroized); the keyring then makes new
    /// materials, which are cached with this message counted. A `len` over `max_bytes` gets new
    /// materials that are not cached. With `None` the cache is bypassed (new materials, not
    /// cached), as the SDKs do: the bytes could not be counted.
    ///
    /// Cached materials are shared, not copied: the encryptor borrows them (so the CMM stays
    /// borrowed while it lives), and the message gets its own message id and so its own
    /// content key and key commitment. With `Some(len)` the encryptor refuses plaintext beyond
    /// `len` bytes ([`Encryptor::set_plaintext_bound`]), so the byte count stays true.
    ///
    /// # Errors
    /// As [`EncryptionMaterials::new`] and the keyring's `on_encrypt`
    /// ([`EncryptError::Materials`], [`EncryptError::Keyring`]); [`EncryptError::NoDataKey`] if
    /// the keyring left no data key or no EDK; as [`Encryptor::with_materials`]
    /// ([`EncryptError::InvalidFrameLength`], [`EncryptError::WorkspaceTooSmall`],
    /// [`EncryptError::Rng`]).
    pub fn encryptor<'w, R: TryCryptoRng + ?Sized>(
        &'w mut self,
        context: &EncryptionContext<'_>,
        config: &EncryptConfig,
        plaintext_len: Option<u64>,
        rng: &mut R,
        workspace: &'w mut [u8],
    ) -> Result<Encryptor<'w>, EncryptError> {
        self.encryptor_in(context, config, plaintext_len, rng, workspace, RustCrypto)
    }

    /// As [`encryptor`](Self::encryptor), with the crypto provider `provider` for the message.
    ///
    /// # Errors
    /// As [`encryptor`](Self::encryptor).
    pub fn encryptor_in<'w, R: TryCryptoRng + ?Sized, P: CryptoProvider>(
        &'w mut self,
        context: &EncryptionContext<'_>,
        config: &EncryptConfig,
        plaintext_len: Option<u64>,
        rng: &mut R,
        workspace: &'w mut [u8],
        provider: P,
    ) -> Result<Encryptor<'w, P>, EncryptError> {
        let frame_length = config.frame_length;
        let mut encryptor = match self.lookup(context, config, plaintext_len, rng, provider)? {
            Lookup::Cached(slot) => {
                let entry = self.cache.encrypt_entry(slot).ok_or(EncryptError::State)?;
                Encryptor::with_cached_materials(&entry.materials, context, frame_length, rng, workspace, provider)?
            }
            Lookup::Bypass(materials) => {
                Encryptor::with_materials_in(materials, frame_length, rng, workspace, provider)?
            }
        };
        if let Some(len) = plaintext_len {
            encryptor.set_plaintext_bound(len)?;
        }
        Ok(encryptor)
    }

    /// Finds (or makes and caches) the materials for a request; counts hits, misses, bypasses.
    fn lookup<'x, R: TryCryptoRng + ?Sized, P: CryptoProvider>(
        &mut self,
        context: &EncryptionContext<'x>,
        config: &EncryptConfig,
        plaintext_len: Option<u64>,
        rng: &mut R,
        provider: P,
    ) -> Result<Lookup<'x>, EncryptError> {
        let (Some(len), Ok(now)) = (plaintext_len, self.clock.now()) else {
            self.stats.encrypt_bypasses = self.stats.encrypt_bypasses.saturating_add(1);
            return self.fresh(context, config, rng, provider).map(Lookup::Bypass);
        };
        if len > self.limits.max_bytes || E == 0 {
            // Too long to count against any cached key (or nowhere to cache): fresh materials.
            self.stats.encrypt_bypasses = self.stats.encrypt_bypasses.saturating_add(1);
            return self.fresh(context, config, rng, provider).map(Lookup::Bypass);
        }
        let suite = config.suite;
        let id = encryption_id(self.partition.as_bytes(), suite, context);
        if let Some(slot) = self.cache.get_encrypt(&id, suite, now, self.limits.max_age) {
            let limits = self.limits;
            let entry = self.cache.encrypt_entry_mut(slot).ok_or(EncryptError::State)?;
            let messages = entry.messages.checked_add(1).filter(|m| *m <= limits.max_messages);
            let bytes = entry.bytes.checked_add(len).filter(|b| *b <= limits.max_bytes);
            if let (Some(messages), Some(bytes)) = (messages, bytes) {
                entry.messages = messages;
                entry.bytes = bytes;
                self.stats.encrypt_hits = self.stats.encrypt_hits.saturating_add(1);
                return Ok(Lookup::Cached(slot));
            }
            // This message would exceed a limit: retire the entry, make a fresh key.
            self.cache.remove_encrypt(slot);
        }
        self.stats.encrypt_misses = self.stats.encrypt_misses.saturating_add(1);
        let materials = self.fresh(context, config, rng, provider)?.without_context();
        let slot = self.cache.put_encrypt(id, now, len, materials).ok_or(EncryptError::State)?;
        Ok(Lookup::Cached(slot))
    }

    /// New materials from the keyring (one keyring call).
    fn fresh<'x, R: TryCryptoRng + ?Sized, P: CryptoProvider>(
        &mut self,
        context: &EncryptionContext<'x>,
        config: &EncryptConfig,
        rng: &mut R,
        provider: P,
    ) -> Result<EncryptionMaterials<'x>, EncryptError> {
        let mut materials = EncryptionMaterials::new_in(config.suite, context.clone(), config.limits, rng, provider)?;
        self.stats.keyring_calls = self.stats.keyring_calls.saturating_add(1);
        self.keyring.on_encrypt(&mut materials, rng)?;
        if materials.data_key().is_none() || materials.encrypted_data_keys().is_empty() {
            return Err(EncryptError::NoDataKey);
        }
        Ok(materials)
    }
}

/// Where a request's materials are: in a cache slot, or made for it alone.
// No heap to box the owned variant; it lives on the stack as `Encryptor::new`'s materials do.
#[allow(clippy::large_enum_variant)]
enum Lookup<'x> {
    Cached(usize),
    Bypass(EncryptionMaterials<'x>),
}

impl<K: Keyring, C: Clock, const E: usize, const D: usize> Keyring for CachingCmm<'_, K, C, E, D> {
    /// Forwards to the keyring (one keyring call), without caching: the materials are the
    /// caller's to keep. Use [`CachingCmm::encryptor`] to share cached materials.
    fn on_encrypt<R: TryCryptoRng + ?Sized>(
        &mut self,
        materials: &mut EncryptionMaterials<'_>,
        rng: &mut R,
    ) -> Result<(), KeyringError> {
        self.stats.keyring_calls = self.stats.keyring_calls.saturating_add(1);
        self.keyring.on_encrypt(materials, rng)
    }

    /// Serves the data key cached for this partition, suite, set of EDKs and context (the
    /// header's canonical encoding), if younger than `max_age`; otherwise asks the keyring and
    /// caches the key it unwrapped. Usage limits do not apply to decryption.
    fn on_decrypt(&mut self, materials: &mut DecryptionMaterials<'_>, edks: &[EdkRef<'_>]) -> Result<(), KeyringError> {
        if materials.data_key().is_some() {
            return Err(KeyringError::Materials(MaterialsError::DataKeyAlreadySet));
        }
        let suite = materials.suite();
        let now = self.clock.now().ok();
        let id = decryption_id(self.partition.as_bytes(), suite, edks, materials.encoded_context());
        if let Some(now) = now
            && let Some(key) = self.cache.get_decrypt(&id, suite, now, self.limits.max_age)
        {
            let copy = DataKey::from_slice(key.as_bytes()).ok_or(KeyringError::UnableToDecrypt)?;
            materials.set_data_key(copy)?;
            self.stats.decrypt_hits = self.stats.decrypt_hits.saturating_add(1);
            return Ok(());
        }
        self.stats.decrypt_misses = self.stats.decrypt_misses.saturating_add(1);
        self.stats.keyring_calls = self.stats.keyring_calls.saturating_add(1);
        self.keyring.on_decrypt(materials, edks)?;
        if let (Some(now), Some(key)) = (now, materials.data_key())
            && let Some(copy) = DataKey::from_slice(key.as_bytes())
        {
            self.cache.put_decrypt(id, suite, now, copy);
        }
        Ok(())
    }
}
