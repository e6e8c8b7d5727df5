//! Data keys: returned to the caller for local (envelope) encryption, stored wrapped.

use super::blob::Ciphertext;
use crate::key::KeyId;
use crate::secret::SecretBytes;

/// Longest data key GenerateDataKey makes (AWS `NumberOfBytes` limit).
pub const MAX_DATA_KEY_LEN: usize = 1024;

/// The size of a data key to generate (AWS `KeySpec` / `NumberOfBytes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKeySpec {
    /// 16 bytes.
    Aes128,
    /// 32 bytes.
    Aes256,
    /// 1 to 1024 bytes (checked when used).
    NumberOfBytes(u16),
}

impl DataKeySpec {
    /// Length in bytes (not yet checked against 1..=1024).
    pub const fn len(self) -> usize {
        match self {
            Self::Aes128 => 16,
            Self::Aes256 => 32,
            Self::NumberOfBytes(n) => n as usize,
        }
    }

    /// True for a zero-byte request (which is refused).
    pub const fn is_empty(self) -> bool {
        self.len() == 0
    }
}

/// GenerateDataKey's answer: the plaintext key (zeroized on drop) and its blob.
#[derive(Debug)]
pub struct DataKey {
    /// The KMS key that wrapped it.
    pub key_id: KeyId,
    /// The key itself: use it, then drop it.
    pub plaintext: SecretBytes<MAX_DATA_KEY_LEN>,
    /// The key wrapped under the KMS key: store this beside the data.
    pub ciphertext_blob: Ciphertext,
}
