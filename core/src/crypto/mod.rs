//! The crypto-provider seam: every AEAD, HKDF, hash and MAC computation that Coffer performs on
//! the host goes through one [`CryptoProvider`], chosen by type.
//!
//! Modelled on rustls's `CryptoProvider`: a small set of traits, one implementation per
//! library, picked where a value is made (`SoftHsm<R, N, P>`, `Encryptor<'w, P>`,
//! `Decryptor<'w, 'c, K, P>`, `RawAesKeyring<'k, P>`) and defaulting to [`RustCrypto`]
//! everywhere, so code that names no provider keeps what it had.
//!
//! - [`RustCrypto`]: the RustCrypto crates (`aes-gcm`, `hkdf`, `hmac`, `sha2`). `no_std`,
//!   heap-free, portable; the only provider on microcontrollers.
//! - `AwsLc` (feature `aws-lc`, std targets only): the same operations through `aws-lc-rs`,
//!   whose assembly (AES-NI, VAES, AVX-512, SHA extensions) is several times faster on servers.
//!
//! Both run the same known-answer suites (`core/tests/crypto_providers.rs`) and the message
//! and KMS conformance suites. Keys stay in types that wipe them on drop on both: RustCrypto's
//! ciphers with their `zeroize` features; aws-lc-rs frees its key contexts with
//! `OPENSSL_free`, which cleanses the allocation first, and zeroizes HKDF pseudo-random keys
//! itself. Neither prints key material in `Debug`.
//!
//! ECDSA P-384 (the `05 78` footer) is behind the seam too, with the `ecdsa-p384` feature: key
//! generation from a scalar the caller's generator draws, signing and verifying of a SHA-384
//! digest. RustCrypto signs deterministically (RFC 6979), aws-lc-rs with a random nonce, so a
//! `05 78` message's signature differs between them while everything before it is the same.
//!
//! Not behind the seam, on purpose: the data-key cache's identifiers (SHA-384 of a few hundred
//! public bytes per lookup) and AES key wrap in hsm-soft (two calls per key version load).
//! Neither is on a path whose speed depends on the provider.

#[cfg(feature = "aws-lc")]
mod aws_lc;
mod rust_crypto;

#[cfg(feature = "aws-lc")]
pub use aws_lc::AwsLc;
pub use rust_crypto::RustCrypto;

use core::fmt;

/// AES-256 key length.
pub const AES256_KEY_LEN: usize = 32;
/// AES-GCM nonce length: 96 bits, the only one Coffer uses.
pub const GCM_NONCE_LEN: usize = 12;
/// AES-GCM tag length: 128 bits, the only one Coffer writes or accepts.
pub const GCM_TAG_LEN: usize = 16;
/// SHA-384 digest length.
pub const SHA384_LEN: usize = 48;
/// HMAC-SHA-256 tag length.
pub const HMAC_SHA256_LEN: usize = 32;

/// Why a provider refused an operation. Deliberately coarse: a failed open says only that it
/// failed, never which byte or check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptoError {
    /// A key of a length the algorithm does not take (AES: 16, 24 or 32 bytes).
    KeyLength,
    /// An input or output longer than the algorithm allows (GCM: 2^36 - 32 bytes; HKDF-SHA-512:
    /// 255 × 64 bytes of output).
    Length,
    /// The tag did not verify.
    Unauthentic,
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::KeyLength => "key length not supported by the algorithm",
            Self::Length => "input or output too long for the algorithm",
            Self::Unauthentic => "authentication failed",
        })
    }
}

impl core::error::Error for CryptoError {}

/// One cryptographic library, as Coffer uses it. A zero-sized marker type: every operation is
/// an associated function or a keyed type, so choosing a provider costs nothing at run time.
pub trait CryptoProvider: Copy + Default + fmt::Debug + Send + Sync + 'static {
    /// An expanded AES-GCM key (128, 192 or 256 bits), wiped on drop.
    type AesGcm: AesGcmOutOfPlace;
    /// An expanded AES-256-GCM key, wiped on drop: what a loaded KMS key version, a sealed
    /// root-key blob and a message's content key use. A type apart from [`AesGcm`](Self::AesGcm)
    /// so that code using only 256-bit keys links no AES-128 or AES-192 (on a Cortex-M4, about
    /// 3.5 KB of flash for RustCrypto's).
    type Aes256Gcm: AesGcmOutOfPlace;
    /// A running SHA-384.
    type Sha384: Sha384Hash;
    /// The pseudo-random key of HKDF-SHA-512 after extraction, wiped on drop.
    type HkdfSha512: HkdfSha512Prk;

    /// Expands an AES key for GCM.
    ///
    /// # Errors
    /// [`CryptoError::KeyLength`] unless `key` is 16, 24 or 32 bytes long.
    fn aes_gcm(key: &[u8]) -> Result<Self::AesGcm, CryptoError>;

    /// Expands an AES-256 key for GCM.
    ///
    /// # Errors
    /// [`CryptoError::KeyLength`] only if the library refuses a 32-byte key, which neither
    /// provider does.
    fn aes256_gcm(key: &[u8; AES256_KEY_LEN]) -> Result<Self::Aes256Gcm, CryptoError>;

    /// HMAC-SHA-256 of `data` under `key` (any length, as RFC 2104 allows).
    ///
    /// # Errors
    /// [`CryptoError::KeyLength`] if the library refuses the key, or [`CryptoError::Length`]
    /// if it returns a tag of another length; neither provider does either.
    fn hmac_sha256(key: &[u8], data: &[u8]) -> Result<[u8; HMAC_SHA256_LEN], CryptoError>;

    /// The compressed SEC1 public point of the P-384 private scalar `scalar` (big-endian).
    ///
    /// # Errors
    /// [`CryptoError::KeyLength`] if `scalar` is zero or not below the group order.
    #[cfg(feature = "ecdsa-p384")]
    fn p384_public_key(scalar: &[u8; P384_SCALAR_LEN]) -> Result<[u8; P384_POINT_LEN], CryptoError>;

    /// Signs the SHA-384 `digest` with `scalar`; writes the DER signature, with `s` in the low
    /// half of the group order, into `der` and returns its length.
    ///
    /// # Errors
    /// [`CryptoError::KeyLength`] for an invalid scalar; [`CryptoError::Length`] if the library
    /// fails to sign.
    #[cfg(feature = "ecdsa-p384")]
    fn p384_sign_prehash(
        scalar: &[u8; P384_SCALAR_LEN],
        digest: &[u8; SHA384_LEN],
        der: &mut [u8; P384_MAX_DER_LEN],
    ) -> Result<usize, CryptoError>;

    /// Verifies the DER signature `der` of the SHA-384 `digest` under the compressed SEC1 point
    /// `public`. Both halves of `s` are accepted, as the Encryption SDKs accept them.
    ///
    /// # Errors
    /// [`CryptoError::Unauthentic`] for an invalid point, a malformed signature or one that
    /// does not verify.
    #[cfg(feature = "ecdsa-p384")]
    fn p384_verify_prehash(
        public: &[u8; P384_POINT_LEN],
        digest: &[u8; SHA384_LEN],
        der: &[u8],
    ) -> Result<(), CryptoError>;
}

/// A P-384 private scalar: 48 bytes, big-endian.
pub const P384_SCALAR_LEN: usize = 48;
/// A compressed SEC1 P-384 point.
pub const P384_POINT_LEN: usize = 49;
/// The longest DER encoding of a P-384 ECDSA signature: SEQUENCE of two INTEGERs of up to 49
/// bytes.
pub const P384_MAX_DER_LEN: usize = 104;

/// AES-GCM with a 96-bit nonce and a detached 128-bit tag, in place.
pub trait AesGcmKey {
    /// Encrypts `buf` in place and returns the tag.
    ///
    /// # Errors
    /// [`CryptoError::Length`] if `buf` or `aad` is longer than GCM allows.
    fn seal_in_place(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; GCM_TAG_LEN], CryptoError>;

    /// Checks `tag` and decrypts `buf` in place.
    ///
    /// # Errors
    /// [`CryptoError::Unauthentic`] on any failure. `buf` is then left in an unspecified
    /// state: callers wipe it (every caller in Coffer does).
    fn open_in_place(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; GCM_TAG_LEN],
    ) -> Result<(), CryptoError>;
}

/// The out-of-place forms, so that a message frame goes from the caller's input to the caller's
/// output in one pass instead of being copied through a workspace.
pub trait AesGcmOutOfPlace: AesGcmKey {
    /// Encrypts `input` into `output` (the same length) and returns the tag.
    ///
    /// # Errors
    /// [`CryptoError::Length`] if the lengths differ or exceed what GCM allows.
    fn seal_to(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        input: &[u8],
        output: &mut [u8],
    ) -> Result<[u8; GCM_TAG_LEN], CryptoError>;

    /// Checks `tag` and decrypts `input` into `output` (the same length).
    ///
    /// # Errors
    /// [`CryptoError::Unauthentic`] on any failure; [`CryptoError::Length`] if the lengths
    /// differ. `output` is then left in an unspecified state: callers wipe it.
    fn open_to(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        input: &[u8],
        tag: &[u8; GCM_TAG_LEN],
        output: &mut [u8],
    ) -> Result<(), CryptoError>;
}

/// SHA-384, fed in pieces.
pub trait Sha384Hash {
    /// An empty hash.
    fn new() -> Self;
    /// Absorbs `data`.
    fn update(&mut self, data: &[u8]);
    /// The digest of everything absorbed.
    ///
    /// # Errors
    /// [`CryptoError::Length`] only if the library returns a digest of another length, which
    /// neither provider does.
    fn finalize(self) -> Result<[u8; SHA384_LEN], CryptoError>;
}

/// HKDF-SHA-512 (RFC 5869): extract once, expand as many outputs as needed.
pub trait HkdfSha512Prk: Sized {
    /// HKDF-Extract(`salt`, `ikm`).
    fn extract(salt: &[u8], ikm: &[u8]) -> Self;

    /// HKDF-Expand(PRK, `info`, `out.len()`) into `out`.
    ///
    /// # Errors
    /// [`CryptoError::Length`] if `out` is longer than 255 × 64 bytes.
    fn expand(&self, info: &[u8], out: &mut [u8]) -> Result<(), CryptoError>;
}
