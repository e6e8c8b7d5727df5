//! The owned-answer forms of the cryptographic operations, for callers who prefer a value to a
//! buffer of their own: each runs the buffer form ([`super::crypto`]) into a buffer it returns.
//! They cost a 4 KiB answer on the caller's stack; firmware uses the `_into` forms.

use super::answers::Sealed;
use super::{Kms, KmsError};
use crate::audit::AuditSink;
use crate::clock::Clock;
use crate::data::{
    BLOB_OVERHEAD, Ciphertext, DataKey, DataKeySpec, EncryptionContext, MAX_DATA_KEY_LEN, MAX_PLAINTEXT_LEN, blob_len,
};
use crate::error::Error;
use crate::hsm::Hsm;
use crate::key::KeyId;
use crate::secret::SecretBytes;
use crate::store::KeyStore;

/// Encrypt's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encrypted {
    /// The key used.
    pub key_id: KeyId,
    /// The version used (the key's newest).
    pub version: u32,
    /// The blob.
    pub ciphertext_blob: Ciphertext,
}

/// Decrypt's answer.
#[derive(Debug)]
pub struct Decrypted {
    /// The key that had sealed the blob.
    pub key_id: KeyId,
    /// Its version.
    pub version: u32,
    /// The plaintext, zeroized on drop.
    pub plaintext: SecretBytes<MAX_PLAINTEXT_LEN>,
}

/// ReEncrypt's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReEncrypted {
    /// The key that had sealed the source blob.
    pub source_key_id: KeyId,
    /// The source blob's version.
    pub source_version: u32,
    /// The destination key.
    pub key_id: KeyId,
    /// The destination version (the destination key's newest).
    pub version: u32,
    /// The new blob.
    pub ciphertext_blob: Ciphertext,
}

/// A sealed answer with the length of its blob, for [`Ciphertext::written`].
fn with_len(sealed: Sealed) -> (Sealed, usize) {
    (sealed, sealed.blob_len)
}

impl Encrypted {
    fn new(sealed: Sealed, ciphertext_blob: Ciphertext) -> Self {
        Self { key_id: sealed.key_id, version: sealed.version, ciphertext_blob }
    }
}

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink, const KEYS: usize> Kms<H, S, C, A, KEYS> {
    /// Encrypt: seals 1 to 4096 bytes under the key's newest version, bound to `context`
    /// ([`encrypt_into`](Self::encrypt_into), into a blob it returns).
    ///
    /// # Errors
    /// As [`encrypt_into`](Self::encrypt_into).
    pub fn encrypt(
        &mut self,
        key: &str,
        plaintext: &[u8],
        context: &EncryptionContext<'_>,
    ) -> Result<Encrypted, KmsError<H, S>> {
        // An over-long plaintext gets a buffer of the largest size, and encrypt_into refuses it.
        let len = blob_len(plaintext.len()).min(blob_len(MAX_PLAINTEXT_LEN));
        let (sealed, blob) =
            Ciphertext::written(len, |out| self.encrypt_into(key, plaintext, context, out).map(with_len))?;
        Ok(Encrypted::new(sealed, blob))
    }

    /// Decrypt ([`decrypt_into`](Self::decrypt_into), into a zeroizing buffer it returns).
    ///
    /// # Errors
    /// As [`decrypt_into`](Self::decrypt_into).
    pub fn decrypt(
        &mut self,
        ciphertext_blob: &[u8],
        context: &EncryptionContext<'_>,
        expected_key: Option<&str>,
    ) -> Result<Decrypted, KmsError<H, S>> {
        let len = ciphertext_blob.len().saturating_sub(BLOB_OVERHEAD).min(MAX_PLAINTEXT_LEN);
        let mut plaintext = SecretBytes::zeroed(len).ok_or(Error::Internal)?;
        let opened = self.decrypt_into(ciphertext_blob, context, expected_key, plaintext.as_mut_bytes())?;
        plaintext.truncate(opened.plaintext_len);
        Ok(Decrypted { key_id: opened.key_id, version: opened.version, plaintext })
    }

    /// ReEncrypt ([`re_encrypt_into`](Self::re_encrypt_into), into a blob it returns).
    ///
    /// # Errors
    /// As [`re_encrypt_into`](Self::re_encrypt_into).
    pub fn re_encrypt(
        &mut self,
        ciphertext_blob: &[u8],
        source_context: &EncryptionContext<'_>,
        source_key: Option<&str>,
        destination_key: &str,
        destination_context: &EncryptionContext<'_>,
    ) -> Result<ReEncrypted, KmsError<H, S>> {
        let len = ciphertext_blob.len().min(blob_len(MAX_PLAINTEXT_LEN));
        let (resealed, blob) = Ciphertext::written(len, |out| {
            let r = self.re_encrypt_into(
                ciphertext_blob,
                source_context,
                source_key,
                destination_key,
                destination_context,
                out,
            )?;
            Ok::<_, KmsError<H, S>>((r, r.blob_len))
        })?;
        Ok(ReEncrypted {
            source_key_id: resealed.source_key_id,
            source_version: resealed.source_version,
            key_id: resealed.key_id,
            version: resealed.version,
            ciphertext_blob: blob,
        })
    }

    /// GenerateDataKey ([`generate_data_key_into`](Self::generate_data_key_into), into a
    /// zeroizing key and a blob it returns).
    ///
    /// # Errors
    /// As [`generate_data_key_into`](Self::generate_data_key_into).
    pub fn generate_data_key(
        &mut self,
        key: &str,
        spec: DataKeySpec,
        context: &EncryptionContext<'_>,
    ) -> Result<DataKey, KmsError<H, S>> {
        let n = spec.len().min(MAX_DATA_KEY_LEN);
        let mut plaintext = SecretBytes::<MAX_DATA_KEY_LEN>::zeroed(n).ok_or(Error::Internal)?;
        let (sealed, blob) = Ciphertext::written(blob_len(n), |out| {
            self.generate_data_key_into(key, spec, context, plaintext.as_mut_bytes(), out).map(with_len)
        })?;
        Ok(DataKey { key_id: sealed.key_id, plaintext, ciphertext_blob: blob })
    }

    /// GenerateDataKeyWithoutPlaintext
    /// ([`generate_data_key_without_plaintext_into`](Self::generate_data_key_without_plaintext_into),
    /// into a blob it returns).
    ///
    /// # Errors
    /// As [`generate_data_key_into`](Self::generate_data_key_into).
    pub fn generate_data_key_without_plaintext(
        &mut self,
        key: &str,
        spec: DataKeySpec,
        context: &EncryptionContext<'_>,
    ) -> Result<Encrypted, KmsError<H, S>> {
        let len = blob_len(spec.len().min(MAX_DATA_KEY_LEN));
        let (sealed, blob) = Ciphertext::written(len, |out| {
            self.generate_data_key_without_plaintext_into(key, spec, context, out).map(with_len)
        })?;
        Ok(Encrypted::new(sealed, blob))
    }
}
