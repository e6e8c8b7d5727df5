//! Encrypt, Decrypt, ReEncrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext and
//! GenerateRandom, writing into buffers the caller gives (the owned answers of
//! [`super::owned`] are built on these).
//!
//! Nothing sized for the largest plaintext is held here: a plaintext is copied once, into the
//! ciphertext region of the caller's `blob_out`, and sealed there in place; a blob is opened in
//! place in the caller's `plaintext_out`; ReEncrypt opens and re-seals inside `blob_out`. A
//! failure leaves no plaintext in either buffer.
//!
//! A blob is sealed under the key's newest version with AES-256-GCM; the AAD binds the blob
//! header (format, key id, version) and the canonical encryption context. Every failure to
//! open a blob, whatever its cause, is the same [`Error::InvalidCiphertext`] — except, as in AWS
//! KMS, that a blob naming (in its clear header) a key that does not exist is `NotFound`, and
//! one naming another key than the caller expected is `IncorrectKey`; neither depends on a secret.

use zeroize::Zeroize;

use super::answers::{Opened, ReSealed, Sealed};
use super::records::{LoadedKey, check_usable};
use super::{Kms, KmsError, check_len, hsm_err};
use crate::audit::{AuditSink, Operation};
use crate::clock::Clock;
use crate::data::{
    BLOB_HEADER_LEN, BlobHeader, BlobOut, DataKeySpec, EncryptionContext, MAX_CIPHERTEXT_INPUT_LEN, MAX_DATA_KEY_LEN,
    MAX_PLAINTEXT_LEN, ParsedBlob, blob_len, with_blob_aad,
};
use crate::error::{Error, Field, Problem, ValidationError};
use crate::hsm::{ErrorKind, Hsm, HsmError};
use crate::hsm::{NONCE_LEN, WrappedKey};
use crate::key::KeyId;
use crate::key::version::KeyVersion;
use crate::secret::SecretBytes;
use crate::store::KeyStore;

/// `Ok(())` if a caller's output buffer of `len` bytes holds `needed`.
fn check_room(len: usize, needed: usize) -> Result<(), ValidationError> {
    if len >= needed {
        Ok(())
    } else {
        Err(ValidationError { field: Field::Output, problem: Problem::TooSmall { needed } })
    }
}

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink, const KEYS: usize> Kms<H, S, C, A, KEYS> {
    /// Encrypt: seals 1 to 4096 bytes under the key's newest version, bound to `context`, into
    /// `blob_out`, which must hold [`blob_len`]`(plaintext.len())` bytes; the answer says how many
    /// were written.
    ///
    /// # Errors
    /// Validation for an empty plaintext or one over 4096 bytes (use a data key for more), or a
    /// `blob_out` too short (field `Output`); NotFound; Disabled; InvalidState when pending
    /// deletion; HSM failures.
    pub fn encrypt_into(
        &mut self,
        key: &str,
        plaintext: &[u8],
        context: &EncryptionContext<'_>,
        blob_out: &mut [u8],
    ) -> Result<Sealed, KmsError<H, S>> {
        self.audited(Operation::Encrypt, |kms, audit_key| {
            check_len(Field::Plaintext, plaintext.len(), 1, MAX_PLAINTEXT_LEN)?;
            check_room(blob_out.len(), blob_len(plaintext.len()))?;
            let (id, version) = kms.usable_current_version(key, Field::KeyId, audit_key)?;
            let mut out = BlobOut::split(blob_out, plaintext.len()).ok_or(Error::Internal)?;
            out.body().copy_from_slice(plaintext);
            kms.seal_blob(id, &version, context, out)
        })
    }

    /// Decrypt: opens `ciphertext_blob` into `plaintext_out`, which must hold the blob's
    /// plaintext (its length less [`BLOB_OVERHEAD`](crate::data::BLOB_OVERHEAD); 4096 bytes
    /// always do). The key and version come from the blob. If `expected_key` is given (id, ARN or
    /// alias), a blob made under another key is refused with IncorrectKey. On any failure
    /// `plaintext_out` holds no plaintext.
    ///
    /// # Errors
    /// InvalidCiphertext for anything that does not open (malformed, edited, other context,
    /// retired version); Validation (field `Output`) if `plaintext_out` is too short; NotFound if
    /// the blob's key no longer exists; Disabled; InvalidState.
    pub fn decrypt_into(
        &mut self,
        ciphertext_blob: &[u8],
        context: &EncryptionContext<'_>,
        expected_key: Option<&str>,
        plaintext_out: &mut [u8],
    ) -> Result<Opened, KmsError<H, S>> {
        self.audited(Operation::Decrypt, |kms, audit_key| {
            kms.open_blob(ciphertext_blob, context, expected_key, Field::KeyId, audit_key, plaintext_out)
        })
    }

    /// ReEncrypt: opens a blob and seals its plaintext under `destination_key` (possibly the same
    /// key's newest version) with `destination_context`, into `blob_out`, which must hold a blob
    /// as long as the source blob. The plaintext exists only inside `blob_out` between the two,
    /// and never on failure.
    ///
    /// # Errors
    /// As [`decrypt_into`](Self::decrypt_into) for the source and
    /// [`encrypt_into`](Self::encrypt_into) for the destination.
    pub fn re_encrypt_into(
        &mut self,
        ciphertext_blob: &[u8],
        source_context: &EncryptionContext<'_>,
        source_key: Option<&str>,
        destination_key: &str,
        destination_context: &EncryptionContext<'_>,
        blob_out: &mut [u8],
    ) -> Result<ReSealed, KmsError<H, S>> {
        self.audited(Operation::ReEncrypt, |kms, audit_key| {
            // Validate the destination reference before opening anything.
            let destination = kms.resolve(destination_key, Field::DestinationKeyId)?;
            check_len(Field::CiphertextBlob, ciphertext_blob.len(), 1, MAX_CIPHERTEXT_INPUT_LEN)?;
            // The new blob has the source's length (same format, same plaintext): checked when
            // the source parses; one that does not is refused as such by open_blob.
            if let Ok(parsed) = ParsedBlob::parse(ciphertext_blob) {
                check_room(blob_out.len(), blob_len(parsed.ciphertext.len()))?;
            }
            // Opened where the new blob's ciphertext goes, then sealed there in place.
            let body = blob_out.get_mut(BLOB_HEADER_LEN + NONCE_LEN..).unwrap_or_default();
            let source = kms.open_blob(ciphertext_blob, source_context, source_key, Field::KeyId, audit_key, body)?;
            let mut out = BlobOut::split(blob_out, source.plaintext_len).ok_or(Error::Internal)?;
            *audit_key = Some(destination);
            let sealed = match kms.usable_destination_version(&destination) {
                Ok(version) => kms.seal_blob(destination, &version, destination_context, out),
                Err(e) => {
                    out.body().zeroize();
                    Err(e)
                }
            }?;
            Ok(ReSealed {
                source_key_id: source.key_id,
                source_version: source.version,
                key_id: sealed.key_id,
                version: sealed.version,
                blob_len: sealed.blob_len,
            })
        })
    }

    /// GenerateDataKey: a fresh key of `spec` (AES_128, AES_256, or 1 to 1024 bytes) from the
    /// HSM's generator, written in plaintext to the first `spec.len()` bytes of `plaintext_out`
    /// (the caller zeroizes them after use) and sealed under `key` into `blob_out` (which must
    /// hold [`blob_len`]`(spec.len())` bytes). On failure neither buffer holds the key.
    ///
    /// # Errors
    /// Validation for a length outside 1..=1024 or a buffer too short (field `Output`); as
    /// [`encrypt_into`](Self::encrypt_into).
    pub fn generate_data_key_into(
        &mut self,
        key: &str,
        spec: DataKeySpec,
        context: &EncryptionContext<'_>,
        plaintext_out: &mut [u8],
        blob_out: &mut [u8],
    ) -> Result<Sealed, KmsError<H, S>> {
        self.audited(Operation::GenerateDataKey, |kms, audit_key| {
            kms.new_data_key(key, spec, context, audit_key, Some(plaintext_out), blob_out)
        })
    }

    /// GenerateDataKeyWithoutPlaintext: as [`generate_data_key_into`](Self::generate_data_key_into),
    /// but only the sealed key is written; the plaintext never leaves `blob_out`, where it is
    /// sealed in place.
    ///
    /// # Errors
    /// As [`generate_data_key_into`](Self::generate_data_key_into).
    pub fn generate_data_key_without_plaintext_into(
        &mut self,
        key: &str,
        spec: DataKeySpec,
        context: &EncryptionContext<'_>,
        blob_out: &mut [u8],
    ) -> Result<Sealed, KmsError<H, S>> {
        self.audited(Operation::GenerateDataKeyWithoutPlaintext, |kms, audit_key| {
            kms.new_data_key(key, spec, context, audit_key, None, blob_out)
        })
    }

    /// GenerateRandom: 1 to 1024 bytes from the HSM's generator, into all of `out`.
    ///
    /// # Errors
    /// Validation for a length of `out` outside 1..=1024; HSM failures.
    pub fn generate_random_into(&mut self, out: &mut [u8]) -> Result<(), KmsError<H, S>> {
        self.audited(Operation::GenerateRandom, |kms, _| {
            super::check_range(Field::NumberOfBytes, out.len() as u64, 1, MAX_DATA_KEY_LEN as u64)?;
            kms.hsm.fill_random(out).map_err(hsm_err)
        })
    }

    /// GenerateRandom: 1 to 1024 bytes from the HSM's generator, in a zeroizing buffer
    /// ([`generate_random_into`](Self::generate_random_into) into a buffer of that length).
    ///
    /// # Errors
    /// Validation for a count outside 1..=1024; HSM failures.
    pub fn generate_random(&mut self, number_of_bytes: usize) -> Result<SecretBytes<MAX_DATA_KEY_LEN>, KmsError<H, S>> {
        // A count over the limit gets an empty buffer, which generate_random_into refuses with
        // the same error (and one audit event).
        let mut out = SecretBytes::zeroed(number_of_bytes).unwrap_or_default();
        self.generate_random_into(out.as_mut_bytes())?;
        Ok(out)
    }

    /// Draws a data key into `blob_out`'s ciphertext region, copies it to `plaintext_out` if
    /// given, and seals it in place.
    fn new_data_key(
        &mut self,
        key: &str,
        spec: DataKeySpec,
        context: &EncryptionContext<'_>,
        audit_key: &mut Option<KeyId>,
        plaintext_out: Option<&mut [u8]>,
        blob_out: &mut [u8],
    ) -> Result<Sealed, KmsError<H, S>> {
        if let DataKeySpec::NumberOfBytes(n) = spec {
            super::check_range(Field::NumberOfBytes, u64::from(n), 1, MAX_DATA_KEY_LEN as u64)?;
        }
        let len = spec.len();
        let plaintext_out = match plaintext_out {
            Some(out) => {
                check_room(out.len(), len)?;
                out.get_mut(..len)
            }
            None => None,
        };
        check_room(blob_out.len(), blob_len(len))?;
        let (id, version) = self.usable_current_version(key, Field::KeyId, audit_key)?;
        let mut out = BlobOut::split(blob_out, len).ok_or(Error::Internal)?;
        if let Err(e) = self.hsm.fill_random(out.body()) {
            out.body().zeroize();
            return Err(hsm_err(e));
        }
        if let Some(plain) = plaintext_out {
            plain.copy_from_slice(out.body());
            let sealed = self.seal_blob(id, &version, context, out);
            if sealed.is_err() {
                plain.zeroize();
            }
            return sealed;
        }
        self.seal_blob(id, &version, context, out)
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

    /// The current version of a destination key already resolved, if the key is usable.
    fn usable_destination_version(&mut self, id: &KeyId) -> Result<KeyVersion, KmsError<H, S>> {
        let record = self.load_key(id)?;
        check_usable(record.state())?;
        record.current().ok_or(Error::CorruptRecord)
    }

    /// Seals the plaintext already in `out`'s ciphertext region under `version` of key `id`,
    /// which the caller found usable and current, and writes the blob around it. On failure the
    /// region is zeroized. The lengths were checked before, so the `Internal` refusals here are
    /// bugs, not bad data.
    fn seal_blob(
        &mut self,
        id: KeyId,
        version: &KeyVersion,
        context: &EncryptionContext<'_>,
        mut out: BlobOut<'_>,
    ) -> Result<Sealed, KmsError<H, S>> {
        // Counted before it is made: the version's seal budget (a new version once it is used up).
        let version = match self.reserve_seal(id, version) {
            Ok(version) => version,
            Err(e) => {
                out.body().zeroize();
                return Err(e);
            }
        };
        let version = &version;
        let header = BlobHeader { key_id: id, version: version.number };
        let sealed = self.seal_in_place(&header, &version.material, context, out.body());
        match sealed {
            Ok((nonce, tag)) => {
                let blob_len = out.finish(&header, &nonce, &tag);
                Ok(Sealed { key_id: id, version: version.number, blob_len })
            }
            Err(e) => {
                out.body().zeroize();
                Err(e)
            }
        }
    }

    /// Loads `material`, seals `body` in place with the blob's AAD, releases the key.
    fn seal_in_place(
        &mut self,
        header: &BlobHeader,
        material: &WrappedKey,
        context: &EncryptionContext<'_>,
        body: &mut [u8],
    ) -> Result<(crate::hsm::Nonce, crate::hsm::Tag), KmsError<H, S>> {
        let handle = self.version_key(&header.key_id, header.version, material)?;
        let hsm = &mut self.hsm;
        let sealed = with_blob_aad(header, context, |aad| hsm.seal(handle, aad, body));
        let failed = sealed.as_ref().and_then(|r| r.as_ref().err()).map(HsmError::kind);
        let released = self.done_with_version_key(handle, failed);
        let (nonce, tag) = sealed.ok_or(Error::Internal)?.map_err(hsm_err)?;
        released?;
        Ok((nonce, tag))
    }

    /// Opens a blob into `plaintext_out`: parse, check the expected key, load the key, check its
    /// state, find the version, open in place. Every cryptographic failure is InvalidCiphertext,
    /// and on every failure `plaintext_out` holds no plaintext.
    fn open_blob(
        &mut self,
        blob: &[u8],
        context: &EncryptionContext<'_>,
        expected_key: Option<&str>,
        expected_field: Field,
        audit_key: &mut Option<KeyId>,
        plaintext_out: &mut [u8],
    ) -> Result<Opened, KmsError<H, S>> {
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
        check_room(plaintext_out.len(), parsed.ciphertext.len())?;
        let material = self.version_material(&header.key_id, header.version)?;
        let buf = plaintext_out.get_mut(..parsed.ciphertext.len()).ok_or(Error::Internal)?;
        buf.copy_from_slice(parsed.ciphertext);
        let opened = self.open_in_place(&parsed, &material, context, buf);
        if opened.is_err() {
            buf.zeroize();
        }
        opened?;
        Ok(Opened { key_id: header.key_id, version: header.version, plaintext_len: buf.len() })
    }

    /// Loads `material`, opens `buf` (the blob's ciphertext) in place, releases the key.
    fn open_in_place(
        &mut self,
        parsed: &ParsedBlob<'_>,
        material: &WrappedKey,
        context: &EncryptionContext<'_>,
        buf: &mut [u8],
    ) -> Result<(), KmsError<H, S>> {
        let handle = self.version_key(&parsed.header.key_id, parsed.header.version, material)?;
        let hsm = &mut self.hsm;
        let opened =
            with_blob_aad(&parsed.header, context, |aad| hsm.open(handle, &parsed.nonce, aad, buf, &parsed.tag));
        let failed = opened.as_ref().and_then(|r| r.as_ref().err()).map(HsmError::kind);
        let released = self.done_with_version_key(handle, failed);
        match opened {
            Some(Ok(())) => {}
            // A context too long for any blob cannot be the one a blob was sealed with.
            None => return Err(Error::InvalidCiphertext),
            Some(Err(e)) if e.kind() == ErrorKind::AuthenticationFailed => return Err(Error::InvalidCiphertext),
            Some(Err(e)) => return Err(hsm_err(e)),
        }
        released?;
        Ok(())
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
