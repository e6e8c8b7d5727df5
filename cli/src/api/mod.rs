//! The operation table: each AWS KMS operation Coffer serves has one request type, one
//! response type and one function that runs it on the façade ([`Operation`]). The command line
//! and `coffer serve` are two front ends over it, and neither goes through the other's types.
//!
//! The command's modules form layers; each imports only from its own box or the rows below:
//!
//! ```text
//!   main
//!   [commands, files, init → cli (clap)]    [serve: HTTP, SigV4, the lane]
//!   document (response → output document)   dir_kms (the façade over the directory store)
//!   api (this table)
//!   session, backend, config, store, audit, output, time, error, exact
//! ```
//!
//! (`cli`'s clap types include `coffer serve`'s options, `serve::args`, which import nothing
//! of the crate.)
//!
//! - A request type deserialises from the AWS JSON body (serde, the model's member names and
//!   types: [`wire`]) and is built by the command line from its arguments (`crate::commands`),
//!   where `fileb://`, `file://` and shorthand contexts are read (`crate::input`). Its run
//!   function checks the model's constraints first, for both front ends alike, and is
//!   generic over the façade's store and clock.
//! - A response type serialises to the AWS JSON answer (dates as seconds since the epoch,
//!   secrets through zeroizing buffers); the command line renders the same value as its
//!   document (`crate::document`: dates in ISO 8601, `--query`, `--output text`).
//! - Operations of the command line only (SetMinimumDecryptionVersion, Maintenance) are in
//!   the table too, but the server does not dispatch to them ([`Request`]).

mod aliases;
mod crypto;
mod data_keys;
pub(crate) mod error;
pub(crate) mod json;
mod keys;
mod rotation;
pub(crate) mod wire;

use coffer_core::Kms;
use coffer_core::audit::AuditSink;
use coffer_core::clock::Clock;
use coffer_core::error::Error;
use coffer_core::hsm::Hsm;
use coffer_core::store::KeyStore;
use zeroize::Zeroizing;

pub(crate) use self::aliases::*;
pub(crate) use self::crypto::*;
pub(crate) use self::data_keys::*;
pub(crate) use self::error::ApiError;
pub(crate) use self::keys::*;
pub(crate) use self::rotation::*;
use crate::error::CliError;

/// An operation's failure: the façade's error (converted by the front end, which can name the
/// record its store read last), or the request's (its constraints, the context's limits).
#[derive(Debug)]
pub(crate) enum Failure<HE, SE> {
    Kms(Error<HE, SE>),
    Request(CliError),
}

impl<HE, SE> From<CliError> for Failure<HE, SE> {
    fn from(e: CliError) -> Self {
        Self::Request(e)
    }
}

impl<HE, SE> From<Error<HE, SE>> for Failure<HE, SE> {
    fn from(e: Error<HE, SE>) -> Self {
        Self::Kms(e)
    }
}

/// The failure of an operation on a façade over `H` and `S`.
pub(crate) type KmsFailure<H, S> = Failure<<H as Hsm>::Error, <S as KeyStore>::Error>;

/// One operation of the table.
pub(crate) trait Operation {
    /// The answer.
    type Response: serde::Serialize;

    /// Checks the request against the model's constraints, then runs it on the façade.
    ///
    /// # Errors
    /// [`Failure::Request`] for a request out of the model's constraints; the façade's errors.
    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<Self::Response, KmsFailure<H, S>>;
}

/// The table's operations the server dispatches to, by their AWS names: `Request::decode`
/// reads a body into its request type, `Request::run_json` runs it and writes the answer.
macro_rules! served {
    ($($name:ident => $request:ty),* $(,)?) => {
        /// A request the server received, decoded into its operation's request type.
        #[derive(Debug)]
        pub(crate) enum Request {
            $($name($request),)*
        }

        /// The names of the operations the server dispatches to (for the tests and the fuzz
        /// target that walk them all).
        #[cfg_attr(not(test), allow(dead_code))]
        pub(crate) const SERVED: &[&str] = &[$(stringify!($name)),*];

        impl Request {
            /// The request of operation `op` with body `body`.
            ///
            /// # Errors
            /// UnknownOperationException for an operation not served; as [`json::decode`].
            pub(crate) fn decode(op: &str, body: &[u8]) -> Result<Self, ApiError> {
                match op {
                    $(stringify!($name) => json::decode::<$request>(body).map(Self::$name),)*
                    _ => Err(ApiError::client(
                        "UnknownOperationException",
                        format!("operation {op:?} is not served by Coffer"),
                    )),
                }
            }

            /// Runs the request and writes its answer as JSON.
            ///
            /// # Errors
            /// As [`Operation::run`]; an answer that cannot be written is internal.
            pub(crate) fn run_json<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
                &self,
                kms: &mut Kms<H, S, C, A>,
            ) -> Result<Zeroizing<String>, KmsFailure<H, S>> {
                let encoded = match self {
                    $(Self::$name(request) => json::encode(&request.run(kms)?),)*
                };
                encoded.map_err(|e| Failure::Request(CliError::new(crate::error::Class::Internal, e.message)))
            }
        }
    };
}

served! {
    CreateKey => CreateKeyRequest,
    DescribeKey => DescribeKeyRequest,
    ListKeys => ListKeysRequest,
    EnableKey => EnableKeyRequest,
    DisableKey => DisableKeyRequest,
    ScheduleKeyDeletion => ScheduleKeyDeletionRequest,
    CancelKeyDeletion => CancelKeyDeletionRequest,
    UpdateKeyDescription => UpdateKeyDescriptionRequest,
    CreateAlias => CreateAliasRequest,
    UpdateAlias => UpdateAliasRequest,
    DeleteAlias => DeleteAliasRequest,
    ListAliases => ListAliasesRequest,
    EnableKeyRotation => EnableKeyRotationRequest,
    DisableKeyRotation => DisableKeyRotationRequest,
    GetKeyRotationStatus => GetKeyRotationStatusRequest,
    RotateKeyOnDemand => RotateKeyOnDemandRequest,
    ListKeyRotations => ListKeyRotationsRequest,
    Encrypt => EncryptRequest,
    Decrypt => DecryptRequest,
    ReEncrypt => ReEncryptRequest,
    GenerateDataKey => GenerateDataKeyRequest,
    GenerateDataKeyWithoutPlaintext => GenerateDataKeyWithoutPlaintextRequest,
    GenerateRandom => GenerateRandomRequest,
}

#[cfg(test)]
mod tests;
