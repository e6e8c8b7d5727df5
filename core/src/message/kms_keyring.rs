//! A keyring backed by a Coffer KMS key, shaped as the SDKs' AWS KMS keyring
//! (spec `framework/aws-kms/aws-kms-keyring.md`): the data key comes from GenerateDataKey (or is
//! wrapped with Encrypt), each bound to the message's encryption context; the EDK's provider id
//! is `aws-kms`, its provider info the key's ARN, its ciphertext the Coffer ciphertext blob.

use core::fmt;
use rand_core::TryCryptoRng;
use zeroize::Zeroizing;

use super::edk::EdkRef;
use super::keyring::{Keyring, KeyringError};
use super::materials::{DATA_KEY_LEN, DataKey, DecryptionMaterials, EncryptionMaterials, MaterialsError};
use crate::audit::AuditSink;
use crate::clock::Clock;
use crate::data::{DataKeySpec, blob_len};
use crate::error::ErrorKind;
use crate::hsm::Hsm;
use crate::key::Arn;
use crate::kms::{DEFAULT_LOADED_KEYS, Kms};
use crate::store::KeyStore;

/// The provider id of EDKs made by a KMS keyring (the SDKs' value, so their tools recognise it).
pub const KMS_PROVIDER_ID: &str = "aws-kms";

/// A keyring for one KMS key of a Coffer [`Kms`].
///
/// It borrows the façade mutably for its lifetime: every data key it makes or unwraps is one
/// audited KMS operation (GenerateDataKey, Encrypt or Decrypt), with the message's encryption
/// context as the operation's context, so the data key only unwraps for a message with the
/// same context. On decrypt it first keeps only the EDKs whose provider id is `aws-kms` and
/// whose provider info is its own key's ARN (resolved once, without an audited operation, from
/// the key id, ARN or alias it was given), as the spec requires, so EDKs of other keys cost no
/// KMS Decrypt (nor a failed Decrypt in the audit log); it tries those in order, asks Decrypt to
/// use only its own key, and accepts the result only if the key that opened it has that ARN.
///
/// Failures keep the façade's [`ErrorKind`] ([`KeyringError::Backend`]): on encrypt whatever
/// GenerateDataKey or Encrypt answered; on decrypt, when none of its EDKs unwraps, the first
/// answer that is about the key or the service (disabled, pending deletion, unreachable),
/// never one about an EDK's bytes, which stays [`KeyringError::UnableToDecrypt`].
pub struct KmsKeyring<'k, H: Hsm, S: KeyStore, C: Clock, A: AuditSink, const KEYS: usize = DEFAULT_LOADED_KEYS> {
    kms: &'k mut Kms<H, S, C, A, KEYS>,
    key: &'k str,
    /// The ARN of `key`, once resolved (the keyring holds the façade, so it cannot change).
    own_arn: Option<Arn>,
}

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink, const KEYS: usize> fmt::Debug for KmsKeyring<'_, H, S, C, A, KEYS> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KmsKeyring").field("key", &self.key).finish_non_exhaustive()
    }
}

impl<'k, H: Hsm, S: KeyStore, C: Clock, A: AuditSink, const KEYS: usize> KmsKeyring<'k, H, S, C, A, KEYS> {
    /// A keyring for `key` (a key id, key ARN, alias name or alias ARN, as the façade resolves
    /// them) of `kms`.
    pub fn new(kms: &'k mut Kms<H, S, C, A, KEYS>, key: &'k str) -> Self {
        Self { kms, key, own_arn: None }
    }

    /// The ARN of the keyring's key, once [`on_decrypt`](Keyring::on_decrypt) has resolved it
    /// (`None` before, or if the key named no key here).
    pub fn key_arn(&self) -> Option<&Arn> {
        self.own_arn.as_ref()
    }
}

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink, const KEYS: usize> Keyring for KmsKeyring<'_, H, S, C, A, KEYS> {
    fn on_encrypt<R: TryCryptoRng + ?Sized>(
        &mut self,
        materials: &mut EncryptionMaterials<'_>,
        _rng: &mut R,
    ) -> Result<(), KeyringError> {
        // The context borrows the materials: seal the blob (and maybe make the key) first, then
        // copy the EDK's fields straight into the materials' pool.
        let mut blob = [0u8; blob_len(DATA_KEY_LEN)];
        let (sealed, new_key) = {
            let context = materials.context().map_err(|e| KeyringError::Materials(MaterialsError::Context(e)))?;
            // Answers go into buffers of exactly their size: a 32-byte key seals into an
            // 81-byte blob, and nothing sized for 4 KiB is on this stack.
            match materials.data_key() {
                None => {
                    let mut plaintext = Zeroizing::new([0u8; DATA_KEY_LEN]);
                    let sealed = self
                        .kms
                        .generate_data_key_into(self.key, DataKeySpec::Aes256, &context, &mut *plaintext, &mut blob)
                        .map_err(|e| KeyringError::Backend(e.kind()))?;
                    let key = DataKey::from_slice(&*plaintext).ok_or(KeyringError::Backend(ErrorKind::Internal))?;
                    (sealed, Some(key))
                }
                Some(key) => {
                    let sealed = self
                        .kms
                        .encrypt_into(self.key, key.as_bytes(), &context, &mut blob)
                        .map_err(|e| KeyringError::Backend(e.kind()))?;
                    (sealed, None)
                }
            }
        };
        // The EDK of the blob: provider `aws-kms`, the sealing key's ARN.
        let blob = blob.get(..sealed.blob_len).ok_or(KeyringError::Backend(ErrorKind::Internal))?;
        let arn = self.kms.config().arn.key_arn(&sealed.key_id);
        // The EDK first: if the materials refuse it, they are left without a data key for it.
        materials.add_encrypted_data_key_parts(KMS_PROVIDER_ID.as_bytes(), &[arn.as_str().as_bytes()], blob)?;
        if let Some(key) = new_key {
            materials.set_data_key(key)?;
        }
        Ok(())
    }

    fn on_decrypt(&mut self, materials: &mut DecryptionMaterials<'_>, edks: &[EdkRef<'_>]) -> Result<(), KeyringError> {
        if materials.data_key().is_some() {
            return Err(KeyringError::Materials(MaterialsError::DataKeyAlreadySet));
        }
        if self.own_arn.is_none() {
            self.own_arn = Some(self.kms.resolve_key_arn(self.key).ok_or(KeyringError::UnableToDecrypt)?);
        }
        let own: &[u8] = self.own_arn.as_ref().map_or(&[], |a| a.as_str().as_bytes());
        let mine = |e: &&EdkRef<'_>| e.provider_id == KMS_PROVIDER_ID.as_bytes() && e.provider_info == own;
        // The first failure that is about the key or the service (disabled, pending deletion,
        // unreachable, a corrupt record), not about the EDK's bytes: reported if nothing
        // unwraps, as Decrypt reports it. Failures about the bytes stay the opaque one.
        let mut reason = None;
        for edk in edks.iter().filter(mine) {
            // A blob of anything but a 32-byte key does not fit: refused (as input) and skipped.
            let mut plaintext = Zeroizing::new([0u8; DATA_KEY_LEN]);
            let opened =
                match self.kms.decrypt_into(edk.ciphertext, materials.context(), Some(self.key), &mut *plaintext) {
                    Ok(opened) => opened,
                    Err(e) => {
                        if !e.kind().concerns_the_input() {
                            reason = reason.or(Some(e.kind()));
                        }
                        continue;
                    }
                };
            let arn = self.kms.config().arn.key_arn(&opened.key_id);
            if arn.as_str().as_bytes() != edk.provider_info || opened.plaintext_len != DATA_KEY_LEN {
                continue;
            }
            if let Some(key) = DataKey::from_slice(&*plaintext) {
                materials.set_data_key(key)?;
                return Ok(());
            }
        }
        Err(reason.map_or(KeyringError::UnableToDecrypt, KeyringError::Backend))
    }
}
