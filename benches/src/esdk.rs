//! The peer: the official AWS Encryption SDK for Rust (`aws-esdk`, Dafny-generated, on
//! aws-lc-rs), with a raw AES keyring named as Coffer's, policy require-encrypt-require-decrypt,
//! the same suite, frame length and encryption context. Its API is async: every call runs on
//! one current-thread tokio runtime made once, outside the timed loops.

use crate::{CONTEXT, FRAME, KEY_NAME, NAMESPACE, WRAPPING_KEY};
use aws_esdk::material_providers::client as mpl_client;
use aws_esdk::material_providers::types::keyring::KeyringRef;
use aws_esdk::material_providers::types::material_providers_config::MaterialProvidersConfig;
use aws_esdk::material_providers::types::{AesWrappingAlg, EsdkAlgorithmSuiteId, EsdkCommitmentPolicy};
use aws_esdk::{AwsEncryptionSdkConfig, Client};
use coffer_core::message::AlgorithmSuite;
use std::collections::HashMap;
use tokio::runtime::Runtime;

/// An `aws-esdk` client and keyring, ready to encrypt and decrypt.
pub struct Esdk {
    runtime: Runtime,
    client: Client,
    keyring: KeyringRef,
    context: HashMap<String, String>,
}

impl Esdk {
    /// The client, its raw AES keyring (256-bit key, AES-GCM wrapping) and the runtime.
    pub fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
        let config = AwsEncryptionSdkConfig::builder()
            .commitment_policy(EsdkCommitmentPolicy::RequireEncryptRequireDecrypt)
            .build()
            .expect("an ESDK config");
        let client = Client::from_conf(config).expect("an ESDK client");
        let mpl = mpl_client::Client::from_conf(MaterialProvidersConfig::builder().build().expect("an MPL config"))
            .expect("an MPL client");
        let keyring = runtime
            .block_on(
                mpl.create_raw_aes_keyring()
                    .key_namespace(NAMESPACE)
                    .key_name(KEY_NAME)
                    .wrapping_key(WRAPPING_KEY.to_vec())
                    .wrapping_alg(AesWrappingAlg::AlgAes256GcmIv12Tag16)
                    .send(),
            )
            .expect("a raw AES keyring");
        let context = HashMap::from([(CONTEXT.0.to_owned(), CONTEXT.1.to_owned())]);
        Self { runtime, client, keyring, context }
    }

    /// One message of `plaintext` in `suite`. The SDK takes and returns owned buffers: the copy
    /// of the plaintext into its input is part of its cost.
    pub fn encrypt(&self, suite: AlgorithmSuite, plaintext: &[u8]) -> Vec<u8> {
        let suite = match suite {
            AlgorithmSuite::AesGcm256HkdfSha512Commit => EsdkAlgorithmSuiteId::AlgAes256GcmHkdfSha512CommitKey,
            AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384 => {
                EsdkAlgorithmSuiteId::AlgAes256GcmHkdfSha512CommitKeyEcdsaP384
            }
            other => panic!("no aws-esdk peer for {other:?}"),
        };
        let output = self
            .runtime
            .block_on(
                self.client
                    .encrypt()
                    .plaintext(plaintext)
                    .keyring(self.keyring.clone())
                    .encryption_context(self.context.clone())
                    .algorithm_suite_id(suite)
                    .frame_length(i64::from(FRAME))
                    .send(),
            )
            .expect("aws-esdk encrypts");
        output.ciphertext.expect("a ciphertext").into_inner()
    }

    /// Decrypts and verifies one message, requiring the context pair.
    pub fn decrypt(&self, message: &[u8]) -> Vec<u8> {
        let output = self
            .runtime
            .block_on(
                self.client
                    .decrypt()
                    .ciphertext(message)
                    .keyring(self.keyring.clone())
                    .encryption_context(self.context.clone())
                    .send(),
            )
            .expect("aws-esdk decrypts");
        output.plaintext.expect("a plaintext").into_inner()
    }
}

impl Default for Esdk {
    fn default() -> Self {
        Self::new()
    }
}
