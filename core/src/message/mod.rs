//! Large data: the AWS Encryption SDK message format, version 2, with its committing suites.
//!
//! A message is a header (suite, random 32-byte message id, encryption context, one or more
//! encrypted data keys, frame length, key commitment, header tag), a body of frames (the last
//! one marked final) and, for the signed suite `05 78`, a footer with an ECDSA P-384 signature.
//! Official SDKs read what Coffer writes and the other way round; `docs/FORMAT.md` of the
//! repository has the byte layout and a test vector.
//!
//! Memory is bounded and caller-provided: the header is parsed into borrowed slices under fixed
//! caps, frames are sealed and opened one at a time in a caller workspace, so a message of any
//! size needs only about one frame of memory.
//!
//! - [`AlgorithmSuite`]: `04 78` and `05 78`; legacy non-committing suites are refused.
//! - [`EncryptionMaterials`], [`DecryptionMaterials`] and the [`Keyring`] trait, with the
//!   [`RawAesKeyring`], the [`MultiKeyring`] and the [`KmsKeyring`].
//! - [`Encryptor`] and [`Decryptor`] (streaming, caller buffers), [`decrypt_buffered`] (nothing
//!   released before the whole message verified), and with `std` the `io` adapters
//!   `EncryptingWriter` and `DecryptingReader`.
//! - [`CachingCmm`] over a [`LocalCache`]: the data-key cache (the SDK's caching CMM), so that
//!   many messages share one keyring (KMS, HSM) call within [`CacheLimits`].
//!
//! # Secrets in memory
//! Data keys, content keys and signing keys are zeroized when dropped, and the workspace when
//! the encryptor or decryptor is dropped or fails. Rust may still copy a value when it is moved
//! (returned, stored into a struct or an `Option`), and a moved-from copy on the stack is not
//! wiped. Where it is cheap the keys are filled and used in place: [`DataKey::zeroed`] with
//! [`DataKey::as_mut_bytes`] for keyrings, and the decryptor derives from the data key where the
//! keyring left it in the materials rather than moving it out. What remains: the content key
//! (the AES key schedule) is built by `derive` and moved into the encryptor or decryptor; a
//! fresh signing key is moved from the materials into the encryptor; a [`DataKey`] returned by
//! [`DataKey::from_slice`] or [`DataKey::random`] and passed to `set_data_key` is moved. Those
//! stack copies live until the stack is reused. A caller for whom that matters should run
//! message operations on a stack it wipes afterwards (the firmware can), as with any Rust
//! code holding secrets.
//!
//! # Example
//!
//! ```
//! use coffer_core::EncryptionContext;
//! use coffer_core::message::{Decryptor, EncryptConfig, Encryptor, Limits, RawAesKeyring};
//! # use rand_core::{TryCryptoRng, TryRng};
//! # /// Stands in for a real CSPRNG (`getrandom::SysRng`, or the HSM's generator).
//! # struct DemoRng(u8);
//! # impl TryRng for DemoRng {
//! #     type Error = core::convert::Infallible;
//! #     fn try_next_u32(&mut self) -> Result<u32, Self::Error> { Ok(0) }
//! #     fn try_next_u64(&mut self) -> Result<u64, Self::Error> { Ok(0) }
//! #     fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
//! #         for b in dst { self.0 = self.0.wrapping_add(1); *b = self.0; }
//! #         Ok(())
//! #     }
//! # }
//! # impl TryCryptoRng for DemoRng {}
//! # let mut rng = DemoRng(0);
//! let wrapping_key = [0x42u8; 32];
//! let mut keyring = RawAesKeyring::new("my-namespace", "my-key", &wrapping_key)?;
//! let context = EncryptionContext::new(&[("purpose", "example")])?;
//! let config = EncryptConfig::default(); // 05 78, 4 KiB frames
//!
//! // Encrypt: plaintext in, message bytes out, through a workspace of one frame.
//! let mut workspace = [0u8; Encryptor::workspace_len(4096)];
//! let mut encryptor = Encryptor::new(&mut keyring, context.clone(), &config, &mut rng, &mut workspace)?;
//! let mut message = [0u8; 8192];
//! let (_, mut len) = encryptor.update(b"hello, large data", &mut message)?;
//! let (written, done) = encryptor.finish(&mut message[len..])?;
//! assert!(done);
//! len += written;
//! drop(encryptor);
//!
//! // Decrypt: message bytes in (any chunking), verified plaintext out. A signed message's
//! // footer is read after its final frame, which is held until the signature verified.
//! let mut workspace = [0u8; Decryptor::workspace_len(4096)];
//! let mut decryptor = Decryptor::new(&mut keyring, context, Limits::default(), &mut workspace);
//! let mut plaintext = [0u8; 64];
//! let (_, n) = decryptor.update(&message[..len], &mut plaintext)?;
//! decryptor.finish()?; // only now is the whole message (and its signature) verified
//! assert_eq!(&plaintext[..n], b"hello, large data");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod cache;
mod decrypt;
mod edk;
mod edk_pool;
mod encrypt;
mod error;
mod frame;
mod header;
#[cfg(feature = "std")]
mod io;
mod kdf;
mod keyring;
mod kms_keyring;
mod materials;
mod multi;
mod raw_aes;
mod signing;
mod suite;

pub use cache::{CacheError, CacheLimits, CacheStats, CachingCmm, LocalCache, MAX_PARTITION_ID_LEN};
pub use decrypt::{Decryptor, decrypt_buffered};
pub use encrypt::{DEFAULT_FRAME_LENGTH, EncryptConfig, Encryptor};
pub use error::{DecryptError, EncryptError};
pub use header::{
    CONTENT_TYPE_FRAMED, CONTENT_TYPE_NON_FRAMED, FORMAT_VERSION, Header, HeaderError, HeaderLimit, MAX_HEADER_LEN,
};

pub use edk::{
    EdkRef, EdkTooLong, EncryptedDataKey, MAX_EDK_CIPHERTEXT_LEN, MAX_PROVIDER_ID_LEN, MAX_PROVIDER_INFO_LEN,
};
pub use edk_pool::{EdkPool, MAX_EDK_POOL_LEN};
#[cfg(feature = "std")]
pub use io::{DecryptingReader, EncryptingWriter};
pub use keyring::{Keyring, KeyringError};
pub use kms_keyring::{KMS_PROVIDER_ID, KmsKeyring};
pub use materials::{
    DATA_KEY_LEN, DEFAULT_MAX_EDKS, DataKey, DecryptionMaterials, EncryptionMaterials, Limits, MAX_EDKS,
    MaterialsError, RESERVED_CONTEXT_PREFIX,
};
pub use multi::{KeyringList, MultiKeyring};
pub use raw_aes::{RawAesKeyring, RawAesKeyringError};
pub use suite::{AlgorithmSuite, SuiteError};

/// Length of a message id (format version 2).
pub const MESSAGE_ID_LEN: usize = 32;
/// Length of the key commitment in the header (format version 2, committing suites).
pub const COMMITMENT_LEN: usize = 32;
/// Length of an AES-GCM tag.
pub const TAG_LEN: usize = 16;
/// Length of an AES-GCM IV.
pub const IV_LEN: usize = 12;
