//! Encrypt, Decrypt, ReEncrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext and
//! GenerateRandom.
//!
//! A blob is sealed under the key's newest version with AES-256-GCM; the AAD binds the blob
//! header (format, key id, version) and the canonical encryption context. Every failure to
//! open a blob, whatever its cause, is the same [`Error::InvalidCiphertext`] — except, as in AWS
//! KMS, that a blob naming (in its clear header) a key that does not exist is `NotFound`, and
//! one naming another key than the caller expected is `IncorrectKey`; neither depends on a secret.

use super::records::{LoadedKey, check_usable};
use super::{Kms, KmsError, check_len, hsm_err};
use crate::audit::{AuditSink, Operation};
use crate::clock::Clock;
use crate::data::{
    BlobHeader, Ciphertext, DataKey, DataKeySpec, EncryptionContext, MAX_AAD_LEN, MAX_CIPHERTEXT_INPUT_LEN,
    MAX_DATA_KEY_LEN, MAX_PLAINTEXT_LEN, ParsedBlob, blob_aad,
};
use crate::error::{Error, Field};
use crate::hsm::WrappedKey;
use crate::hsm::{ErrorKind, Hsm, HsmError};
use crate::key::KeyId;
use crate::key::version::KeyVersion;
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

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink, const KEYS: usize> Kms<H, S, C, A, KEYS> {
    /// Encrypt: seals 1 to 4096 bytes under the key's newest version, bound to `context`.
    ///
    /// # Errors
    /// Validation for an empty plaintext or one over 4096 bytes (use a data key for more);
    /// NotFound; Disabled; InvalidState when pending deletion; HSM failures.
    pub fn encrypt(
        &mut self,
        key: &str,
        plaintext: &[u8],
        context: &EncryptionContext<'_>,
    ) -> Result<Encrypted, KmsError<H, S>> {
        self.audited(Operation::Encrypt, |kms, audit_key| {
            check_len(Field::Plaintext, plaintext.len(), 1, MAX_PLAINTEXT_LEN)?;
            let (id, version) = kms.usable_current_version(key, Field::KeyId, audit_key)?;
            kms.seal_blob(id, &version, context, plaintext)
        })
    }

    /// Decrypt: the key and version come from the blob. If `expected_key` is given (id, ARN or
    /// alias), a blob made under another key is refused with IncorrectKey.
    ///
    /// # Errors
    /// InvalidCiphertext for anything that does not open (malformed, edited, other context,
    /// retired version); NotFound if the blob's key no longer exists; Disabled; InvalidState.
    pub fn decrypt(
        &mut self,
        ciphertext_blob: &[u8],
        context: &EncryptionContext<'_>,
        expected_key: Option<&str>,
    ) -> Result<Decrypted, KmsError<H, S>> {
        self.audited(Operation::Decrypt, |kms, audit_key| {
            kms.open_blob(ciphertext_blob, context, expected_key, Field::KeyId, audit_key)
        })
    }

    /// ReEncrypt: opens a blob and seals its plaintext under `destination_key` (possibly the same
    /// key's newest version) with `destination_context`. The plaintext never leaves the façade
    /// and is zeroized.
    ///
    /// # Errors
    /// As [`decrypt`](Self::decrypt) for the source and [`encrypt`](Self::encrypt) for the
    /// destination.
    pub fn re_encrypt(
        &mut self,
        ciphertext_blob: &[u8],
        source_context: &EncryptionContext<'_>,
        source_key: Option<&str>,
        destination_key: &str,
        destination_context: &EncryptionContext<'_>,
    ) -> Result<ReEncrypted, KmsError<H, S>> {
        self.audited(Operation::ReEncrypt, |kms, audit_key| {
            // Validate the destination reference before opening anything.
            let destination = kms.resolve(destination_key, Field::DestinationKeyId)?;
            let source = kms.open_blob(ciphertext_blob, source_context, source_key, Field::KeyId, audit_key)?;
            *audit_key = Some(destination);
            let version = {
                let record = kms.load_key(&destination)?;
                check_usable(record.state())?;
                record.current().ok_or(Error::CorruptRecord)?
            };
            let sealed = kms.seal_blob(destination, &version, destination_context, source.plaintext.as_bytes())?;
            Ok(ReEncrypted {
                source_key_id: source.key_id,
                source_version: source.version,
                key_id: sealed.key_id,
                version: sealed.version,
                ciphertext_blob: sealed.ciphertext_blob,
            })
        })
    }

    /// GenerateDataKey: a fresh key of `spec` (AES_128, AES_256, or 1 to 1024 bytes) from the
    /// HSM's generator, returned in plaintext (zeroized on drop) and sealed under `key`.
    ///
    /// # Errors
    /// Validation for a length outside 1..=1024; as [`encrypt`](Self::encrypt).
    pub fn generate_data_key(
        &mut self,
        key: &str,
        spec: DataKeySpec,
        context: &EncryptionContext<'_>,
    ) -> Result<DataKey, KmsError<H, S>> {
        self.audited(Operation::GenerateDataKey, |kms, audit_key| kms.new_data_key(key, spec, context, audit_key))
    }

    /// GenerateDataKeyWithoutPlaintext: as [`generate_data_key`](Self::generate_data_key), but
    /// only the sealed key is returned; the plaintext is zeroized here.
    ///
    /// # Errors
    /// As [`generate_data_key`](Self::generate_data_key).
    pub fn generate_data_key_without_plaintext(
        &mut self,
        key: &str,
        spec: DataKeySpec,
        context: &EncryptionContext<'_>,
    ) -> Result<Encrypted, KmsError<H, S>> {
        self.audited(Operation::GenerateDataKeyWithoutPlaintext, |kms, audit_key| {
            let data_key = kms.new_data_key(key, spec, context, audit_key)?;
            let version = data_key.ciphertext_blob.header().map_err(|_| Error::InvalidCiphertext)?.version;
            Ok(Encrypted { key_id: data_key.key_id, version, ciphertext_blob: data_key.ciphertext_blob })
        })
    }

    /// GenerateRandom: 1 to 1024 bytes from the HSM's generator.
    ///
    /// # Errors
    /// Validation for a count outside 1..=1024; HSM failures.
    pub fn generate_random(&mut self, number_of_bytes: usize) -> Result<SecretBytes<MAX_DATA_KEY_LEN>, KmsError<H, S>> {
        self.audited(Operation::GenerateRandom, |kms, _| {
            super::check_range(Field::NumberOfBytes, number_of_bytes as u64, 1, MAX_DATA_KEY_LEN as u64)?;
            let mut out = SecretBytes::zeroed(number_of_bytes).ok_or(Error::Internal)?;
            kms.hsm.fill_random(out.as_mut_bytes()).map_err(hsm_err)?;
            Ok(out)
        })
    }

    fn new_data_key(
        &mut self,
        key: &str,
        spec: DataKeySpec,
        context: &EncryptionContext<'_>,
        audit_key: &mut Option<KeyId>,
    ) -> Result<DataKey, KmsError<H, S>> {
        if let DataKeySpec::NumberOfBytes(n) = spec {
            super::check_range(Field::NumberOfBytes, u64::from(n), 1, MAX_DATA_KEY_LEN as u64)?;
        }
        let (id, version) = self.usable_current_version(key, Field::KeyId, audit_key)?;
        let mut plaintext = SecretBytes::zeroed(spec.len()).ok_or(Error::Internal)?;
        self.hsm.fill_random(plaintext.as_mut_bytes()).map_err(hsm_err)?;
        let sealed = self.seal_blob(id, &version, context, plaintext.as_bytes())?;
        Ok(DataKey { key_id: id, plaintext, ciphertext_blob: sealed.ciphertext_blob })
    }

    /// Resolves `key`, checks it is usable and copies out its current version: the one record
    /// read (and authenticated once) on the way to a seal.
    fn usable_current_version(
        &mut self,
        key: &str,
        field: Field,
        audit_key: &mut Option<KeyId>,
    ) -> Result<(KeyId, KeyVersion), KmsError<H, S>> {
        let record = self.resolve_key(key, field, audit_key)?;
        check_usable(record.state())?;
        Ok((record.id(), record.current().ok_or(Error::CorruptRecord)?))
    }

    /// Seals `plaintext` (already length-checked) under `version` of key `id`, which the caller
    /// found usable and current. The lengths were checked before, so the `Internal` refusals
    /// here are bugs, not bad data.
    fn seal_blob(
        &mut self,
        id: KeyId,
        version: &KeyVersion,
        context: &EncryptionContext<'_>,
        plaintext: &[u8],
    ) -> Result<Encrypted, KmsError<H, S>> {
        check_len(Field::Plaintext, plaintext.len(), 1, MAX_PLAINTEXT_LEN)?;
        let header = BlobHeader { key_id: id, version: version.number };
        let mut aad = [0u8; MAX_AAD_LEN];
        let aad_len = blob_aad(&header, context, &mut aad).ok_or(Error::Internal)?;
        let aad = aad.get(..aad_len).ok_or(Error::Internal)?;
        let mut buf = SecretBytes::<MAX_PLAINTEXT_LEN>::zeroed(plaintext.len()).ok_or(Error::Internal)?;
        buf.as_mut_bytes().copy_from_slice(plaintext);
        let handle = self.version_key(&id, version.number, &version.material)?;
        let sealed = self.hsm.seal(handle, aad, buf.as_mut_bytes());
        let released = self.done_with_version_key(handle, sealed.as_ref().err().map(HsmError::kind));
        let (nonce, tag) = sealed.map_err(hsm_err)?;
        released?;
        let ciphertext_blob = Ciphertext::assemble(&header, &nonce, buf.as_bytes(), &tag).ok_or(Error::Internal)?;
        Ok(Encrypted { key_id: id, version: version.number, ciphertext_blob })
    }

    /// Opens a blob: parse, check the expected key, load the key, check its state, find the
    /// version, open. Every cryptographic failure is InvalidCiphertext.
    fn open_blob(
        &mut self,
        blob: &[u8],
        context: &EncryptionContext<'_>,
        expected_key: Option<&str>,
        expected_field: Field,
        audit_key: &mut Option<KeyId>,
    ) -> Result<Decrypted, KmsError<H, S>> {
        check_len(Field::CiphertextBlob, blob.len(), 1, MAX_CIPHERTEXT_INPUT_LEN)?;
        let expected = match expected_key {
            Some(text) => Some(self.resolve(text, expected_field)?),
            None => None,
        };
        let parsed = ParsedBlob::parse(blob).map_err(|_| Error::InvalidCiphertext)?;
        let header = parsed.header;
        *audit_key = Some(header.key_id);
        if expected.is_some_and(|id| id != header.key_id) {
            return Err(Error::IncorrectKey);
        }
        let material = self.version_material(&header.key_id, header.version)?;
        let mut aad = [0u8; MAX_AAD_LEN];
        let aad_len = blob_aad(&header, context, &mut aad).ok_or(Error::InvalidCiphertext)?;
        let aad = aad.get(..aad_len).ok_or(Error::InvalidCiphertext)?;
        let mut plaintext = SecretBytes::zeroed(parsed.ciphertext.len()).ok_or(Error::InvalidCiphertext)?;
        plaintext.as_mut_bytes().copy_from_slice(parsed.ciphertext);
        let handle = self.version_key(&header.key_id, header.version, &material)?;
        let opened = self.hsm.open(handle, &parsed.nonce, aad, plaintext.as_mut_bytes(), &parsed.tag);
        let released = self.done_with_version_key(handle, opened.as_ref().err().map(HsmError::kind));
        match opened {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::AuthenticationFailed => return Err(Error::InvalidCiphertext),
            Err(e) => return Err(hsm_err(e)),
        }
        released?;
        Ok(Decrypted { key_id: header.key_id, version: header.version, plaintext })
    }

    /// The wrapped material of version `number` of key `id`, if the key is usable and the
    /// version still decrypts: from the key record for the current version, else from the
    /// version's own record. A version outside minimum..=current is InvalidCiphertext, as every
    /// other reason a blob does not open.
    fn version_material(&mut self, id: &KeyId, number: u32) -> Result<WrappedKey, KmsError<H, S>> {
        let from_key_record = {
            let record = self.load_key(id)?;
            check_usable(record.state())?;
            if number < record.min_decryption_version() || number > record.current_number() {
                return Err(Error::InvalidCiphertext);
            }
            match record {
                LoadedKey::Current(r) if number == r.current_number() => Some(r.current().material),
                LoadedKey::Current(_) => None,
                LoadedKey::Legacy(l) => Some(l.version(number).ok_or(Error::InvalidCiphertext)?.material),
            }
        };
        match from_key_record {
            Some(material) => Ok(material),
            None => Ok(self.load_version(id, number)?.material),
        }
    }

    /// Loads a version's wrapped material into the HSM. Records are authenticated, so material
    /// that does not unwrap means the record was sealed under other root keys: a corrupt record.
    pub(super) fn load_version_key(&mut self, material: &WrappedKey) -> Result<H::Handle, KmsError<H, S>> {
        self.hsm.load_key(material).map_err(|e| match e.kind() {
            ErrorKind::AuthenticationFailed => Error::CorruptRecord,
            _ => Error::Hsm(e),
        })
    }
}
