//! The cryptographic operations on a caller's data: Encrypt, Decrypt, ReEncrypt.

use coffer_core::Kms;
use coffer_core::audit::AuditSink;
use coffer_core::clock::Clock;
use coffer_core::data::EncryptionContext;
use coffer_core::hsm::Hsm;
use coffer_core::key::KeyMetadata;
use coffer_core::store::KeyStore;
use serde::{Deserialize, Serialize};

use super::json::{FromJson, IgnoredList};
use super::keys::check_key_id;
use super::wire::{Blob, Context, Refused, SecretBlob, only, refuse};
use super::{KmsFailure, Operation};
use crate::error::CliError;

/// The AWS encryption algorithm name of Coffer's blobs.
pub(crate) const ALGORITHM: &str = KeyMetadata::ENCRYPTION_ALGORITHM;
/// The largest `CiphertextBlob` the model takes.
const MAX_CIPHERTEXT_BLOB: usize = 6144;

/// The encryption context of member `member`, borrowing `pairs`, within the façade's limits.
///
/// # Errors
/// ValidationException.
pub(crate) fn build_context<'a>(member: &str, pairs: Option<&'a Context>) -> Result<EncryptionContext<'a>, CliError> {
    let refs: Vec<(&str, &str)> =
        pairs.map(|c| c.0.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()).unwrap_or_default();
    EncryptionContext::new(&refs).map_err(|e| CliError::validation(format!("{member}: {e}")))
}

fn check_opt_key_id(member: &str, key_id: Option<&str>) -> Result<(), CliError> {
    key_id.map_or(Ok(()), |k| check_key_id(member, k))
}

/// The members every cryptographic request may carry and Coffer does not act on.
fn refuse_dry_run(dry_run: Option<Refused>) -> Result<(), CliError> {
    refuse("DryRun", dry_run, "no dry runs")
}

/// Encrypt: up to 4096 bytes (the façade's bound, whose error points to data keys).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EncryptRequest {
    pub(crate) key_id: String,
    pub(crate) plaintext: Blob,
    pub(crate) encryption_context: Option<Context>,
    pub(crate) encryption_algorithm: Option<String>,
    /// Checked for its JSON type only: grants change nothing here.
    #[serde(rename = "GrantTokens")]
    pub(crate) _grant_tokens: Option<IgnoredList>,
    pub(crate) dry_run: Option<Refused>,
}

impl FromJson for EncryptRequest {
    const REQUIRED: &'static [&'static str] = &["KeyId", "Plaintext"];
}

/// Encrypt's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EncryptResponse {
    pub(crate) ciphertext_blob: Blob,
    pub(crate) key_id: String,
    pub(crate) encryption_algorithm: &'static str,
}

impl Operation for EncryptRequest {
    type Response = EncryptResponse;

    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<EncryptResponse, KmsFailure<H, S>> {
        check_key_id("KeyId", &self.key_id)?;
        only("EncryptionAlgorithm", self.encryption_algorithm.as_deref(), ALGORITHM)?;
        refuse_dry_run(self.dry_run)?;
        let ctx = build_context("EncryptionContext", self.encryption_context.as_ref())?;
        let e = kms.encrypt(&self.key_id, self.plaintext.as_bytes(), &ctx)?;
        Ok(EncryptResponse {
            ciphertext_blob: Blob::copy_of(e.ciphertext_blob.as_bytes()),
            key_id: kms.config().arn.key_arn(&e.key_id).as_str().to_owned(),
            encryption_algorithm: ALGORITHM,
        })
    }
}

/// Decrypt (the key and version come from the blob; `KeyId`, if given, must be its key).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DecryptRequest {
    pub(crate) ciphertext_blob: Blob,
    pub(crate) encryption_context: Option<Context>,
    pub(crate) key_id: Option<String>,
    pub(crate) encryption_algorithm: Option<String>,
    /// Checked for its JSON type only: grants change nothing here.
    #[serde(rename = "GrantTokens")]
    pub(crate) _grant_tokens: Option<IgnoredList>,
    pub(crate) dry_run: Option<Refused>,
    pub(crate) recipient: Option<Refused>,
}

impl FromJson for DecryptRequest {
    const REQUIRED: &'static [&'static str] = &["CiphertextBlob"];
}

/// Decrypt's answer.
#[derive(Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DecryptResponse {
    pub(crate) key_id: String,
    pub(crate) plaintext: SecretBlob,
    pub(crate) encryption_algorithm: &'static str,
}

impl Operation for DecryptRequest {
    type Response = DecryptResponse;

    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<DecryptResponse, KmsFailure<H, S>> {
        self.ciphertext_blob.check_len("CiphertextBlob", 1, MAX_CIPHERTEXT_BLOB)?;
        check_opt_key_id("KeyId", self.key_id.as_deref())?;
        only("EncryptionAlgorithm", self.encryption_algorithm.as_deref(), ALGORITHM)?;
        refuse_dry_run(self.dry_run)?;
        refuse("Recipient", self.recipient, "no Nitro enclaves")?;
        let ctx = build_context("EncryptionContext", self.encryption_context.as_ref())?;
        let d = kms.decrypt(self.ciphertext_blob.as_bytes(), &ctx, self.key_id.as_deref())?;
        Ok(DecryptResponse {
            key_id: kms.config().arn.key_arn(&d.key_id).as_str().to_owned(),
            plaintext: SecretBlob::copy_of(d.plaintext.as_bytes()),
            encryption_algorithm: ALGORITHM,
        })
    }
}

/// ReEncrypt: a blob under another key or context, without the plaintext leaving the façade.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ReEncryptRequest {
    pub(crate) ciphertext_blob: Blob,
    pub(crate) source_encryption_context: Option<Context>,
    pub(crate) source_key_id: Option<String>,
    pub(crate) destination_key_id: String,
    pub(crate) destination_encryption_context: Option<Context>,
    pub(crate) source_encryption_algorithm: Option<String>,
    pub(crate) destination_encryption_algorithm: Option<String>,
    /// Checked for its JSON type only: grants change nothing here.
    #[serde(rename = "GrantTokens")]
    pub(crate) _grant_tokens: Option<IgnoredList>,
    pub(crate) dry_run: Option<Refused>,
}

impl FromJson for ReEncryptRequest {
    const REQUIRED: &'static [&'static str] = &["CiphertextBlob", "DestinationKeyId"];
}

/// ReEncrypt's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ReEncryptResponse {
    pub(crate) ciphertext_blob: Blob,
    pub(crate) source_key_id: String,
    pub(crate) key_id: String,
    pub(crate) source_encryption_algorithm: &'static str,
    pub(crate) destination_encryption_algorithm: &'static str,
}

impl Operation for ReEncryptRequest {
    type Response = ReEncryptResponse;

    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<ReEncryptResponse, KmsFailure<H, S>> {
        self.ciphertext_blob.check_len("CiphertextBlob", 1, MAX_CIPHERTEXT_BLOB)?;
        check_opt_key_id("SourceKeyId", self.source_key_id.as_deref())?;
        check_key_id("DestinationKeyId", &self.destination_key_id)?;
        only("SourceEncryptionAlgorithm", self.source_encryption_algorithm.as_deref(), ALGORITHM)?;
        only("DestinationEncryptionAlgorithm", self.destination_encryption_algorithm.as_deref(), ALGORITHM)?;
        refuse_dry_run(self.dry_run)?;
        let src = build_context("SourceEncryptionContext", self.source_encryption_context.as_ref())?;
        let dst = build_context("DestinationEncryptionContext", self.destination_encryption_context.as_ref())?;
        let r = kms.re_encrypt(
            self.ciphertext_blob.as_bytes(),
            &src,
            self.source_key_id.as_deref(),
            &self.destination_key_id,
            &dst,
        )?;
        let prefix = &kms.config().arn;
        Ok(ReEncryptResponse {
            ciphertext_blob: Blob::copy_of(r.ciphertext_blob.as_bytes()),
            source_key_id: prefix.key_arn(&r.source_key_id).as_str().to_owned(),
            key_id: prefix.key_arn(&r.key_id).as_str().to_owned(),
            source_encryption_algorithm: ALGORITHM,
            destination_encryption_algorithm: ALGORITHM,
        })
    }
}
