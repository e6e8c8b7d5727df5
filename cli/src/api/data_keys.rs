//! Data keys and random bytes: GenerateDataKey, GenerateDataKeyWithoutPlaintext,
//! GenerateRandom.

use coffer_core::Kms;
use coffer_core::audit::AuditSink;
use coffer_core::clock::Clock;
use coffer_core::data::DataKeySpec;
use coffer_core::hsm::Hsm;
use coffer_core::store::KeyStore;
use serde::{Deserialize, Serialize};

use super::crypto::build_context;
use super::json::{FromJson, IgnoredList};
use super::keys::check_key_id;
use super::wire::{Blob, Context, Refused, SecretBlob, opt_ranged, refuse};
use super::{KmsFailure, Operation};
use crate::error::CliError;

/// The model's bounds on `NumberOfBytes`.
const MAX_NUMBER_OF_BYTES: i64 = 1024;

/// The data key's size: `KeySpec` or `NumberOfBytes`, one of the two.
fn data_key_spec(key_spec: Option<&str>, number_of_bytes: Option<i64>) -> Result<DataKeySpec, CliError> {
    let number_of_bytes = opt_ranged::<u16>("NumberOfBytes", number_of_bytes, 1, MAX_NUMBER_OF_BYTES)?;
    match (key_spec, number_of_bytes) {
        (Some("AES_256"), None) => Ok(DataKeySpec::Aes256),
        (Some("AES_128"), None) => Ok(DataKeySpec::Aes128),
        (Some(other), None) => Err(CliError::validation(format!(
            "1 validation error detected: Value {other:?} at 'keySpec' failed to satisfy constraint: Member must \
             satisfy enum value set: [AES_256, AES_128]"
        ))),
        (None, Some(n)) => Ok(DataKeySpec::NumberOfBytes(n)),
        (Some(_), Some(_)) => Err(CliError::validation("give KeySpec or NumberOfBytes, not both")),
        (None, None) => Err(CliError::validation("give KeySpec or NumberOfBytes")),
    }
}

/// GenerateDataKey and GenerateDataKeyWithoutPlaintext: the same request, each its own type.
macro_rules! data_key_request {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Deserialize)]
        #[serde(rename_all = "PascalCase")]
        pub(crate) struct $name {
            pub(crate) key_id: String,
            pub(crate) key_spec: Option<String>,
            pub(crate) number_of_bytes: Option<i64>,
            pub(crate) encryption_context: Option<Context>,
            /// Checked for its JSON type only: grants change nothing here.
    #[serde(rename = "GrantTokens")]
    pub(crate) _grant_tokens: Option<IgnoredList>,
            pub(crate) dry_run: Option<Refused>,
            pub(crate) recipient: Option<Refused>,
        }

        impl FromJson for $name {
            const REQUIRED: &'static [&'static str] = &["KeyId"];
        }

        impl $name {
            /// The model's constraints; the data key's size.
            fn check(&self) -> Result<DataKeySpec, CliError> {
                check_key_id("KeyId", &self.key_id)?;
                let spec = data_key_spec(self.key_spec.as_deref(), self.number_of_bytes)?;
                refuse("DryRun", self.dry_run, "no dry runs")?;
                refuse("Recipient", self.recipient, "no Nitro enclaves")?;
                Ok(spec)
            }
        }
    )*};
}

data_key_request! {
    /// GenerateDataKey: a data key in plaintext and wrapped.
    GenerateDataKeyRequest,
    /// GenerateDataKeyWithoutPlaintext: a wrapped data key only.
    GenerateDataKeyWithoutPlaintextRequest,
}

/// GenerateDataKey's answer.
#[derive(Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GenerateDataKeyResponse {
    pub(crate) ciphertext_blob: Blob,
    pub(crate) plaintext: SecretBlob,
    pub(crate) key_id: String,
}

impl Operation for GenerateDataKeyRequest {
    type Response = GenerateDataKeyResponse;

    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<GenerateDataKeyResponse, KmsFailure<H, S>> {
        let spec = self.check()?;
        let ctx = build_context("EncryptionContext", self.encryption_context.as_ref())?;
        let k = kms.generate_data_key(&self.key_id, spec, &ctx)?;
        Ok(GenerateDataKeyResponse {
            ciphertext_blob: Blob::copy_of(k.ciphertext_blob.as_bytes()),
            plaintext: SecretBlob::copy_of(k.plaintext.as_bytes()),
            key_id: kms.config().arn.key_arn(&k.key_id).as_str().to_owned(),
        })
    }
}

/// GenerateDataKeyWithoutPlaintext's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GenerateDataKeyWithoutPlaintextResponse {
    pub(crate) ciphertext_blob: Blob,
    pub(crate) key_id: String,
}

impl Operation for GenerateDataKeyWithoutPlaintextRequest {
    type Response = GenerateDataKeyWithoutPlaintextResponse;

    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<GenerateDataKeyWithoutPlaintextResponse, KmsFailure<H, S>> {
        let spec = self.check()?;
        let ctx = build_context("EncryptionContext", self.encryption_context.as_ref())?;
        let k = kms.generate_data_key_without_plaintext(&self.key_id, spec, &ctx)?;
        Ok(GenerateDataKeyWithoutPlaintextResponse {
            ciphertext_blob: Blob::copy_of(k.ciphertext_blob.as_bytes()),
            key_id: kms.config().arn.key_arn(&k.key_id).as_str().to_owned(),
        })
    }
}

/// GenerateRandom: 1 to 1024 random bytes from the HSM.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GenerateRandomRequest {
    pub(crate) number_of_bytes: Option<i64>,
    pub(crate) custom_key_store_id: Option<Refused>,
    pub(crate) recipient: Option<Refused>,
}

impl FromJson for GenerateRandomRequest {
    const REQUIRED: &'static [&'static str] = &[];
}

/// GenerateRandom's answer.
#[derive(Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GenerateRandomResponse {
    pub(crate) plaintext: SecretBlob,
}

impl Operation for GenerateRandomRequest {
    type Response = GenerateRandomResponse;

    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<GenerateRandomResponse, KmsFailure<H, S>> {
        let n =
            opt_ranged::<usize>("NumberOfBytes", self.number_of_bytes, 1, MAX_NUMBER_OF_BYTES)?.ok_or_else(|| {
                CliError::validation("1 validation error detected: NumberOfBytes must be given (1 to 1024)")
            })?;
        refuse("CustomKeyStoreId", self.custom_key_store_id, "no custom key stores")?;
        refuse("Recipient", self.recipient, "no Nitro enclaves")?;
        let r = kms.generate_random(n)?;
        Ok(GenerateRandomResponse { plaintext: SecretBlob::copy_of(r.as_bytes()) })
    }
}
