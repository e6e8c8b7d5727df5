//! Encrypted data keys (EDKs): a data key wrapped by one keyring, any one of which decrypts.

use core::fmt;
use heapless::Vec;

/// Longest key provider id accepted (a raw keyring's namespace, or `aws-kms`).
pub const MAX_PROVIDER_ID_LEN: usize = 255;
/// Longest key provider info accepted (a raw AES key name plus 20 bytes, or a key ARN).
pub const MAX_PROVIDER_INFO_LEN: usize = 512;
/// Longest wrapped data key accepted (raw AES: 48 bytes; a Coffer or AWS KMS blob: under 200).
pub const MAX_EDK_CIPHERTEXT_LEN: usize = 512;

/// One encrypted data key, as written in the header, borrowing its fields (from a parsed header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdkRef<'a> {
    /// Who made it: a raw keyring's namespace, `aws-kms`, ...
    pub provider_id: &'a [u8],
    /// What the provider needs to find the key again (key name and IV, key ARN, ...).
    pub provider_info: &'a [u8],
    /// The wrapped data key.
    pub ciphertext: &'a [u8],
}

/// A field of an encrypted data key was longer than its fixed maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdkTooLong;

impl fmt::Display for EdkTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an encrypted data key field exceeds its maximum (provider id {MAX_PROVIDER_ID_LEN}, \
             provider info {MAX_PROVIDER_INFO_LEN}, ciphertext {MAX_EDK_CIPHERTEXT_LEN} bytes)"
        )
    }
}

impl core::error::Error for EdkTooLong {}

/// One encrypted data key, owned (made by a keyring on encrypt), in fixed-capacity storage.
///
/// Not secret: it is written in the clear in the header.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptedDataKey {
    provider_id: Vec<u8, MAX_PROVIDER_ID_LEN>,
    provider_info: Vec<u8, MAX_PROVIDER_INFO_LEN>,
    ciphertext: Vec<u8, MAX_EDK_CIPHERTEXT_LEN>,
}

impl EncryptedDataKey {
    /// An EDK from its three fields.
    ///
    /// # Errors
    /// [`EdkTooLong`] if a field exceeds its maximum length.
    pub fn new(provider_id: &[u8], provider_info: &[u8], ciphertext: &[u8]) -> Result<Self, EdkTooLong> {
        Ok(Self {
            provider_id: Vec::from_slice(provider_id).map_err(|_| EdkTooLong)?,
            provider_info: Vec::from_slice(provider_info).map_err(|_| EdkTooLong)?,
            ciphertext: Vec::from_slice(ciphertext).map_err(|_| EdkTooLong)?,
        })
    }

    /// An EDK whose provider info is the concatenation of `info_parts` (so keyrings can build it
    /// without a scratch buffer).
    ///
    /// # Errors
    /// [`EdkTooLong`] if a field exceeds its maximum length.
    pub fn with_info_parts(provider_id: &[u8], info_parts: &[&[u8]], ciphertext: &[u8]) -> Result<Self, EdkTooLong> {
        let mut edk = Self::new(provider_id, &[], ciphertext)?;
        for part in info_parts {
            edk.provider_info.extend_from_slice(part).map_err(|_| EdkTooLong)?;
        }
        Ok(edk)
    }

    /// A borrowed view, as a parsed header gives.
    pub fn as_ref(&self) -> EdkRef<'_> {
        EdkRef { provider_id: &self.provider_id, provider_info: &self.provider_info, ciphertext: &self.ciphertext }
    }
}

impl fmt::Debug for EncryptedDataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.as_ref(), f)
    }
}
