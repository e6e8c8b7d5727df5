//! The answers of the operations that write into caller buffers: small `Copy` values saying
//! what was written where, with no copy of the data.

use crate::key::KeyId;

/// A blob written into a caller's `blob_out` (Encrypt, GenerateDataKey and
/// GenerateDataKeyWithoutPlaintext).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sealed {
    /// The key used.
    pub key_id: KeyId,
    /// The version used (the key's newest).
    pub version: u32,
    /// Bytes of `blob_out` that hold the blob, from its start.
    pub blob_len: usize,
}

/// A plaintext written into a caller's `plaintext_out` (Decrypt).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    /// The key that had sealed the blob.
    pub key_id: KeyId,
    /// Its version.
    pub version: u32,
    /// Bytes of `plaintext_out` that hold the plaintext, from its start.
    pub plaintext_len: usize,
}

/// A blob re-sealed into a caller's `blob_out` (ReEncrypt).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReSealed {
    /// The key that had sealed the source blob.
    pub source_key_id: KeyId,
    /// The source blob's version.
    pub source_version: u32,
    /// The destination key.
    pub key_id: KeyId,
    /// The destination version (the destination key's newest).
    pub version: u32,
    /// Bytes of `blob_out` that hold the new blob, from its start.
    pub blob_len: usize,
}
