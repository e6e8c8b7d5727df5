//! The raw AES keyring (spec `framework/raw-aes-keyring.md`): wraps the data key with a
//! caller-held AES key, interoperable with the official SDKs' raw AES keyring.
//!
//! An EDK it makes has provider id = the key namespace, provider info = key name || tag
//! length in bits (4 bytes, 128) || IV length (4 bytes, 12) || IV, and ciphertext = the
//! AES-GCM-encrypted data key || tag; the AAD is the canonical encoding of the message's
//! encryption context, so an EDK cannot be moved to a message with another context.

use core::fmt;
use rand_core::TryCryptoRng;
use zeroize::Zeroize;

use super::edk::{EdkRef, MAX_PROVIDER_ID_LEN, MAX_PROVIDER_INFO_LEN};
use super::keyring::{Keyring, KeyringError};
use super::materials::{DATA_KEY_LEN, DataKey, DecryptionMaterials, EncryptionMaterials};
use super::{IV_LEN, TAG_LEN};
use crate::crypto::{AesGcmKey, CryptoProvider, RustCrypto};
use crate::data::MAX_CONTEXT_ENCODED_LEN;

/// Tag length in bits, as written in the provider info.
const TAG_BITS: u32 = 128;
/// IV length in bytes, as written in the provider info.
const IV_BYTES: u32 = 12;
/// Bytes the provider info adds after the key name.
const INFO_SUFFIX_LEN: usize = 4 + 4 + IV_LEN;
/// Length of an EDK's ciphertext: data key and tag.
const WRAPPED_LEN: usize = DATA_KEY_LEN + TAG_LEN;

/// Why a raw AES keyring could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawAesKeyringError {
    /// The wrapping key is not 16, 24 or 32 bytes long.
    KeyLength,
    /// The namespace is empty, too long, or starts with `aws-kms` (reserved for KMS keyrings).
    Namespace,
    /// The key name is empty or too long.
    Name,
}

impl fmt::Display for RawAesKeyringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::KeyLength => "a raw AES wrapping key is 16, 24 or 32 bytes long",
            Self::Namespace => "the key namespace must be 1 to 255 bytes and not start with aws-kms",
            Self::Name => "the key name must be 1 to 492 bytes",
        })
    }
}

impl core::error::Error for RawAesKeyringError {}

/// A keyring holding one AES wrapping key, named by a namespace and a name.
///
/// As a generator it draws a fresh data key; otherwise it wraps the data key an earlier keyring
/// made. On decrypt it tries, in order, every EDK whose provider id is its namespace and whose
/// provider info names its key, and takes the first that unwraps.
///
/// `P` is the [crypto provider](crate::crypto) that holds the wrapping key (wiped on drop).
pub struct RawAesKeyring<'k, P: CryptoProvider = RustCrypto> {
    namespace: &'k str,
    name: &'k str,
    key: P::AesGcm,
}

impl<P: CryptoProvider> fmt::Debug for RawAesKeyring<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawAesKeyring")
            .field("namespace", &self.namespace)
            .field("name", &self.name)
            .field("key", &"[REDACTED]")
            .finish()
    }
}

impl<'k> RawAesKeyring<'k> {
    /// [`new_in`](RawAesKeyring::new_in) with the default provider, [`RustCrypto`].
    ///
    /// # Errors
    /// As [`new_in`](RawAesKeyring::new_in).
    pub fn new(namespace: &'k str, name: &'k str, key: &[u8]) -> Result<Self, RawAesKeyringError> {
        Self::new_in(namespace, name, key, RustCrypto)
    }
}

impl<'k, P: CryptoProvider> RawAesKeyring<'k, P> {
    /// A keyring for `key` (16, 24 or 32 bytes), known as `namespace`/`name`, whose wrapping
    /// runs on `provider`. The key bytes are expanded into the cipher at once; the caller should
    /// wipe its copy.
    ///
    /// # Errors
    /// [`RawAesKeyringError`] for a key of another length, or an empty, too long or reserved
    /// namespace or name.
    pub fn new_in(namespace: &'k str, name: &'k str, key: &[u8], _provider: P) -> Result<Self, RawAesKeyringError> {
        if namespace.is_empty() || namespace.len() > MAX_PROVIDER_ID_LEN || namespace.starts_with("aws-kms") {
            return Err(RawAesKeyringError::Namespace);
        }
        if name.is_empty() || name.len() > MAX_PROVIDER_INFO_LEN - INFO_SUFFIX_LEN {
            return Err(RawAesKeyringError::Name);
        }
        let key = P::aes_gcm(key).map_err(|_| RawAesKeyringError::KeyLength)?;
        Ok(Self { namespace, name, key })
    }

    /// Tries to unwrap one EDK: `None` if it is not this keyring's or does not unwrap.
    fn try_unwrap(&self, edk: &EdkRef<'_>, aad: &[u8]) -> Option<DataKey> {
        if edk.provider_id != self.namespace.as_bytes() {
            return None;
        }
        let (name, suffix) = edk.provider_info.split_at_checked(self.name.len())?;
        if name != self.name.as_bytes() || suffix.len() != INFO_SUFFIX_LEN {
            return None;
        }
        let (tag_bits, rest) = suffix.split_first_chunk::<4>()?;
        let (iv_len, iv) = rest.split_first_chunk::<4>()?;
        if u32::from_be_bytes(*tag_bits) != TAG_BITS || u32::from_be_bytes(*iv_len) != IV_BYTES {
            return None;
        }
        let iv: &[u8; IV_LEN] = iv.try_into().ok()?;
        if edk.ciphertext.len() != WRAPPED_LEN {
            return None;
        }
        let (wrapped, tag) = edk.ciphertext.split_first_chunk::<DATA_KEY_LEN>()?;
        let tag: &[u8; TAG_LEN] = tag.try_into().ok()?;
        let mut key = DataKey::zeroed();
        key.as_mut_bytes().copy_from_slice(wrapped);
        // On failure `key` is dropped, and so zeroized.
        self.key.open_in_place(iv, aad, key.as_mut_bytes(), tag).ok()?;
        Some(key)
    }
}

impl<P: CryptoProvider> Keyring for RawAesKeyring<'_, P> {
    fn on_encrypt<R: TryCryptoRng + ?Sized>(
        &mut self,
        materials: &mut EncryptionMaterials<'_>,
        rng: &mut R,
    ) -> Result<(), KeyringError> {
        // A key of its own if it is the generator; set only once its EDK is in the materials, so
        // that materials which refuse the EDK are not left with a key nothing wraps.
        let fresh = match materials.data_key() {
            None => Some(DataKey::random(rng).map_err(|_| KeyringError::Rng)?),
            Some(_) => None,
        };
        let mut aad = [0u8; MAX_CONTEXT_ENCODED_LEN];
        let aad_len = materials.encode_context(&mut aad).map_err(|_| KeyringError::WrapFailed)?;
        let aad = aad.get(..aad_len).unwrap_or_default();
        let mut iv = [0u8; IV_LEN];
        rng.try_fill_bytes(&mut iv).map_err(|_| KeyringError::Rng)?;
        let mut wrapped = [0u8; WRAPPED_LEN];
        let (body, tag_out) = wrapped.split_at_mut(DATA_KEY_LEN);
        let data_key = fresh.as_ref().or(materials.data_key()).ok_or(KeyringError::NoDataKey)?;
        body.copy_from_slice(data_key.as_bytes());
        let tag = self.key.seal_in_place(&iv, aad, body).map_err(|_| {
            // The buffer still holds the plaintext data key if sealing refused it.
            body.zeroize();
            KeyringError::WrapFailed
        })?;
        tag_out.copy_from_slice(&tag);
        materials.add_encrypted_data_key_parts(
            self.namespace.as_bytes(),
            &[self.name.as_bytes(), &TAG_BITS.to_be_bytes(), &IV_BYTES.to_be_bytes(), &iv],
            &wrapped,
        )?;
        if let Some(key) = fresh {
            materials.set_data_key(key)?;
        }
        Ok(())
    }

    fn on_decrypt(&mut self, materials: &mut DecryptionMaterials<'_>, edks: &[EdkRef<'_>]) -> Result<(), KeyringError> {
        if materials.data_key().is_some() {
            return Err(KeyringError::Materials(super::MaterialsError::DataKeyAlreadySet));
        }
        let aad = materials.encoded_context();
        for edk in edks {
            if let Some(key) = self.try_unwrap(edk, aad) {
                materials.set_data_key(key)?;
                return Ok(());
            }
        }
        Err(KeyringError::UnableToDecrypt)
    }
}
