//! The key commands: each maps its clap arguments to the operation's request type of the
//! table (`crate::api`), runs it on the façade and shows the response as a document
//! (`crate::document`). Values the command line takes in its own forms are read here
//! (`crate::input`): blobs as `fileb://path`, `file://path` or base64, contexts as `k=v`
//! shorthand or JSON. Lists without `--limit` are fetched page after page, as the AWS CLI does.

use coffer_core::hsm::Hsm;
use coffer_core::kms::MAX_LIST_LIMIT;

use crate::api::wire::{Blob, Context};
use crate::api::{self, Operation};
use crate::cli::{Command, DataKeyArgs, KeyIdArg, PageArgs};
pub(crate) use crate::dir_kms::{CliKms, Failure, convert};
use crate::error::{Class, CliError};
use crate::input;
use crate::output::Obj;

/// Runs `request` and shows its answer.
fn show<H: Hsm, R: Operation>(kms: &mut CliKms<'_, H>, request: &R) -> Result<Obj, Failure<H>> {
    Ok(crate::document::of(&request.run(kms)?)?)
}

/// A blob argument: `fileb://`, `file://` or base64.
fn blob(member: &str, value: &str) -> Result<Blob, CliError> {
    input::blob(member, value).map(Blob)
}

/// A context argument (shorthand or JSON), if given.
fn context(member: &str, value: Option<&str>) -> Result<Option<Context>, CliError> {
    value.map(|v| input::context(member, Some(v)).map(Context)).transpose()
}

/// `--limit`: one page of that size; without it, every page in pages of the largest size.
fn limit(page: &PageArgs) -> Option<i64> {
    Some(page.limit.map_or_else(max_limit, |n| i64::try_from(n).unwrap_or(i64::MAX)))
}

/// A List operation, fetched page after page.
trait Paged: Operation + Clone {
    fn set_marker(&mut self, marker: String);
    fn next_marker(answer: &Self::Response) -> Option<&str>;
    fn append(into: &mut Self::Response, page: Self::Response);
}

impl Paged for api::ListKeysRequest {
    fn set_marker(&mut self, marker: String) {
        self.marker = Some(marker);
    }
    fn next_marker(answer: &api::ListKeysResponse) -> Option<&str> {
        answer.next_marker.as_deref()
    }
    fn append(into: &mut api::ListKeysResponse, page: api::ListKeysResponse) {
        into.keys.extend(page.keys);
        (into.next_marker, into.truncated) = (page.next_marker, page.truncated);
    }
}

impl Paged for api::ListAliasesRequest {
    fn set_marker(&mut self, marker: String) {
        self.marker = Some(marker);
    }
    fn next_marker(answer: &api::ListAliasesResponse) -> Option<&str> {
        answer.next_marker.as_deref()
    }
    fn append(into: &mut api::ListAliasesResponse, page: api::ListAliasesResponse) {
        into.aliases.extend(page.aliases);
        (into.next_marker, into.truncated) = (page.next_marker, page.truncated);
        into.coffer_corrupt_records = match (into.coffer_corrupt_records, page.coffer_corrupt_records) {
            (Some(a), Some(b)) => Some(a.saturating_add(b)),
            (a, b) => a.or(b),
        };
    }
}

impl Paged for api::ListKeyRotationsRequest {
    fn set_marker(&mut self, marker: String) {
        self.marker = Some(marker);
    }
    fn next_marker(answer: &api::ListKeyRotationsResponse) -> Option<&str> {
        answer.next_marker.as_deref()
    }
    fn append(into: &mut api::ListKeyRotationsResponse, page: api::ListKeyRotationsResponse) {
        into.rotations.extend(page.rotations);
        (into.next_marker, into.truncated) = (page.next_marker, page.truncated);
    }
}

/// One page if `--limit` was given; else every page, in pages of the largest size, under the
/// one lock this command holds.
fn list<H: Hsm, R: Paged>(kms: &mut CliKms<'_, H>, mut request: R, page: &PageArgs) -> Result<Obj, Failure<H>> {
    if page.limit.is_some() {
        return show(kms, &request);
    }
    let mut answer = request.run(kms)?;
    while let Some(marker) = R::next_marker(&answer).map(str::to_owned) {
        request.set_marker(marker);
        let next = request.run(kms)?;
        R::append(&mut answer, next);
    }
    Ok(crate::document::of(&answer)?)
}

fn data_key<R>(
    args: &DataKeyArgs,
    make: impl FnOnce(String, Option<String>, Option<i64>, Option<Context>) -> R,
) -> Result<R, CliError> {
    Ok(make(
        args.key_id.clone(),
        args.key_spec.clone(),
        args.number_of_bytes.map(i64::from),
        context("EncryptionContext", args.encryption_context.as_deref())?,
    ))
}

fn key(k: &KeyIdArg) -> String {
    k.key_id.clone()
}

/// Runs a KMS command.
///
/// # Errors
/// The façade's errors and malformed values.
#[allow(clippy::too_many_lines)] // one arm per command
pub(crate) fn run<H: Hsm>(kms: &mut CliKms<'_, H>, command: &Command) -> Result<Obj, Failure<H>> {
    match command {
        Command::CreateKey { description } => {
            show(kms, &api::CreateKeyRequest { description: Some(description.clone()), ..Default::default() })
        }
        Command::DescribeKey(k) => show(kms, &api::DescribeKeyRequest { key_id: key(k), _grant_tokens: None }),
        Command::ListKeys(page) => {
            list(kms, api::ListKeysRequest { limit: limit(page), marker: page.marker.clone() }, page)
        }
        Command::EnableKey(k) => show(kms, &api::EnableKeyRequest { key_id: key(k) }),
        Command::DisableKey(k) => show(kms, &api::DisableKeyRequest { key_id: key(k) }),
        Command::ScheduleKeyDeletion { key: k, pending_window_in_days } => show(
            kms,
            &api::ScheduleKeyDeletionRequest {
                key_id: key(k),
                pending_window_in_days: pending_window_in_days.map(i64::from),
            },
        ),
        Command::CancelKeyDeletion(k) => show(kms, &api::CancelKeyDeletionRequest { key_id: key(k) }),
        Command::UpdateKeyDescription { key: k, description } => {
            show(kms, &api::UpdateKeyDescriptionRequest { key_id: key(k), description: description.clone() })
        }
        Command::CreateAlias { alias_name, target_key_id } => {
            show(kms, &api::CreateAliasRequest { alias_name: alias_name.clone(), target_key_id: target_key_id.clone() })
        }
        Command::UpdateAlias { alias_name, target_key_id } => {
            show(kms, &api::UpdateAliasRequest { alias_name: alias_name.clone(), target_key_id: target_key_id.clone() })
        }
        Command::DeleteAlias { alias_name } => show(kms, &api::DeleteAliasRequest { alias_name: alias_name.clone() }),
        Command::ListAliases { key_id, page } => list(
            kms,
            api::ListAliasesRequest { key_id: key_id.clone(), limit: limit(page), marker: page.marker.clone() },
            page,
        ),
        Command::EnableKeyRotation { key: k, rotation_period_in_days } => show(
            kms,
            &api::EnableKeyRotationRequest {
                key_id: key(k),
                rotation_period_in_days: rotation_period_in_days.map(i64::from),
            },
        ),
        Command::DisableKeyRotation(k) => show(kms, &api::DisableKeyRotationRequest { key_id: key(k) }),
        Command::GetKeyRotationStatus(k) => show(kms, &api::GetKeyRotationStatusRequest { key_id: key(k) }),
        Command::RotateKeyOnDemand(k) => show(kms, &api::RotateKeyOnDemandRequest { key_id: key(k) }),
        Command::ListKeyRotations { key: k, page } => list(
            kms,
            api::ListKeyRotationsRequest {
                key_id: key(k),
                limit: limit(page),
                marker: page.marker.clone(),
                include_key_material: None,
            },
            page,
        ),
        Command::SetMinimumDecryptionVersion { key: k, minimum_decryption_version } => show(
            kms,
            &api::SetMinimumDecryptionVersionRequest {
                key_id: key(k),
                minimum_decryption_version: *minimum_decryption_version,
            },
        ),
        Command::Encrypt { key: k, plaintext, encryption_context } => {
            let request = api::EncryptRequest {
                key_id: key(k),
                plaintext: blob("Plaintext", plaintext)?,
                encryption_context: context("EncryptionContext", encryption_context.as_deref())?,
                encryption_algorithm: None,
                _grant_tokens: None,
                dry_run: None,
            };
            show(kms, &request)
        }
        Command::Decrypt { ciphertext_blob, key_id, encryption_context } => {
            let request = api::DecryptRequest {
                ciphertext_blob: blob("CiphertextBlob", ciphertext_blob)?,
                encryption_context: context("EncryptionContext", encryption_context.as_deref())?,
                key_id: key_id.clone(),
                encryption_algorithm: None,
                _grant_tokens: None,
                dry_run: None,
                recipient: None,
            };
            show(kms, &request)
        }
        Command::ReEncrypt {
            ciphertext_blob,
            source_encryption_context,
            source_key_id,
            destination_key_id,
            destination_encryption_context,
        } => {
            let request = api::ReEncryptRequest {
                ciphertext_blob: blob("CiphertextBlob", ciphertext_blob)?,
                source_encryption_context: context("SourceEncryptionContext", source_encryption_context.as_deref())?,
                source_key_id: source_key_id.clone(),
                destination_key_id: destination_key_id.clone(),
                destination_encryption_context: context(
                    "DestinationEncryptionContext",
                    destination_encryption_context.as_deref(),
                )?,
                source_encryption_algorithm: None,
                destination_encryption_algorithm: None,
                _grant_tokens: None,
                dry_run: None,
            };
            show(kms, &request)
        }
        Command::GenerateDataKey(args) => {
            let request =
                data_key(args, |key_id, key_spec, number_of_bytes, encryption_context| api::GenerateDataKeyRequest {
                    key_id,
                    key_spec,
                    number_of_bytes,
                    encryption_context,
                    _grant_tokens: None,
                    dry_run: None,
                    recipient: None,
                })?;
            show(kms, &request)
        }
        Command::GenerateDataKeyWithoutPlaintext(args) => {
            let request = data_key(args, |key_id, key_spec, number_of_bytes, encryption_context| {
                api::GenerateDataKeyWithoutPlaintextRequest {
                    key_id,
                    key_spec,
                    number_of_bytes,
                    encryption_context,
                    _grant_tokens: None,
                    dry_run: None,
                    recipient: None,
                }
            })?;
            show(kms, &request)
        }
        Command::GenerateRandom { number_of_bytes } => show(
            kms,
            &api::GenerateRandomRequest {
                number_of_bytes: Some(i64::from(*number_of_bytes)),
                custom_key_store_id: None,
                recipient: None,
            },
        ),
        Command::Maintenance => show(kms, &api::MaintenanceRequest),
        Command::EncryptFile(args) => crate::files::encrypt_file(kms, args),
        Command::DecryptFile(args) => crate::files::decrypt_file(kms, args),
        Command::Init(_)
        | Command::Audit { .. }
        | Command::TokenCheck { .. }
        | Command::Serve(_)
        | Command::AccessKey(_) => Err(CliError::new(Class::Internal, "not a KMS command").into()),
    }
}

/// The page size of a list fetched whole: the largest.
fn max_limit() -> i64 {
    i64::try_from(MAX_LIST_LIMIT).unwrap_or(i64::MAX)
}
