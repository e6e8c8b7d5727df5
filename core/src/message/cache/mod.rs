//! The data-key cache: the AWS Encryption SDK's caching cryptographic materials manager
//! (spec `framework/caching-cmm.md`) over a local, fixed-capacity materials cache
//! (`framework/cryptographic-materials-cache.md`, `local-cryptographic-materials-cache.md`).
//!
//! Every message needs a data key, and making or unwrapping one is a call to the keyring: to a
//! KMS key, an HSM, a remote service. A [`CachingCmm`] keeps the encryption materials (data key,
//! encrypted data keys, and for `05 78` the signing key) of recent requests in a [`LocalCache`],
//! so that several messages with the same partition, suite and encryption context share one
//! data key and one keyring call; and it keeps the data keys it unwrapped, so that messages with
//! the same suite, encrypted data keys and context are decrypted without calling the keyring.
//! [`CacheStats`] counts the keyring calls, hits and misses.
//!
//! # What caching changes, and the limits
//! Without a cache each message has its own data key. With one, a data key protects every
//! message encrypted with it until the entry is retired, so a disclosed data key exposes all of
//! them, and the key lives in memory (in the cache) for longer. Each message still has its own
//! random 32-byte message id, and its content key is derived from the data key *and* the message
//! id (HKDF-SHA-512), so no two messages share a content key or an AES-GCM nonce space, and the
//! key commitment differs per message. [`CacheLimits`] bound the exposure, as the SDK's caching
//! CMM does: an entry serves at most `max_messages` messages and `max_bytes` bytes of plaintext,
//! and only for `max_age` seconds after it was made. The message that would exceed a limit gets
//! a fresh data key; an expired entry is never used. Removed entries are zeroized.
//!
//! An entry is found only through its identifier (SHA-384 of the partition, the suite, the exact
//! encryption context and, on decrypt, the EDKs; the spec's Appendix A), so it never serves
//! another context, suite or partition; the suite is stored and compared as well.
//!
//! The byte limit is checked against the plaintext length the caller declares up front (the
//! spec's "max plaintext length"); the encryptor then refuses more plaintext than declared. A
//! request without a declared length bypasses the cache (a fresh data key, not cached), as the
//! SDKs' caching CMMs do: its bytes could not be counted.

mod cmm;
mod id;
mod store;

pub use cmm::{CacheError, CacheLimits, CacheStats, CachingCmm, MAX_PARTITION_ID_LEN};
pub use store::LocalCache;
