//! The KMS commands over the façade, generic over the HSM backend, with AWS-shaped answers.

use coffer_core::Kms;
use coffer_core::data::{ContextError, DataKeySpec, EncryptionContext};
use coffer_core::error::Error;
use coffer_core::hsm::{Hsm, HsmError};
use coffer_core::key::{
    AliasEntry, AliasName, ArnPrefix, Description, KeyId, KeyMetadata, KeyRef, KeyVersionInfo, RotationType,
};
use coffer_core::kms::{MAX_LIST_LIMIT, Page};

use crate::audit::EventLog;
use crate::cli::{Command, DataKeyArgs, PageArgs};
use crate::error::{Class, CliError};
use crate::input;
use crate::output::{Obj, Val};
use crate::store::DirStore;
use crate::time::{CliClock, iso};

/// The façade as the commands use it.
pub(crate) type CliKms<'a, H> = Kms<H, &'a mut DirStore, CliClock, &'a mut EventLog>;
type CoreError<H> = Error<<H as Hsm>::Error, crate::store::DirStoreError>;

/// A command's failure: from the façade (converted once the store can name the record), or
/// from the command line's values.
#[derive(Debug)]
pub(crate) enum Failure<H: Hsm> {
    Kms(CoreError<H>),
    Cli(CliError),
}

impl<H: Hsm> From<CliError> for Failure<H> {
    fn from(e: CliError) -> Self {
        Self::Cli(e)
    }
}

impl<H: Hsm> From<CoreError<H>> for Failure<H> {
    fn from(e: CoreError<H>) -> Self {
        Self::Kms(e)
    }
}

/// The AWS encryption algorithm name of Coffer's blobs.
const ALGORITHM: &str = KeyMetadata::ENCRYPTION_ALGORITHM;

/// Converts a façade error by its kind (one mapping, [`Class::of_kind`]), naming the record the
/// store read last if it failed authentication.
pub(crate) fn convert<HE: HsmError>(e: &Error<HE, crate::store::DirStoreError>, store: &DirStore) -> CliError {
    let class = Class::of_kind(e.kind());
    if class != Class::CorruptRecord {
        return CliError::new(class, e.to_string());
    }
    let what = store
        .last_read()
        .map_or_else(|| "a stored record".to_owned(), |(label, path)| format!("the {label} ({})", path.display()));
    CliError::new(
        class,
        format!(
            "{what} failed authentication under the root sealing key: it was edited, forged or damaged outside \
             Coffer and is refused (restore it from a backup)"
        ),
    )
}

/// Builds an encryption context borrowing `pairs`.
fn build_context<'a>(name: &str, pairs: &'a [(String, String)]) -> Result<EncryptionContext<'a>, CliError> {
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    EncryptionContext::new(&refs).map_err(|e: ContextError| CliError::validation(format!("{name}: {e}")))
}

fn limit(page: &PageArgs) -> Result<usize, CliError> {
    match page.limit {
        None => Ok(MAX_LIST_LIMIT),
        Some(n) if (1..=MAX_LIST_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(CliError::validation(format!("Limit must be between 1 and {MAX_LIST_LIMIT}"))),
    }
}

fn marker_error() -> CliError {
    CliError::new(
        Class::InvalidMarker,
        "Marker is not one a list handed out (give the NextMarker of the previous page)",
    )
}

fn key_metadata(m: &KeyMetadata, description: &str, prefix: &ArnPrefix) -> Obj {
    let mut o = Obj::new()
        .str("AWSAccountId", prefix.account())
        .str("KeyId", m.key_id.to_string())
        .str("Arn", m.arn(prefix).as_str())
        .str("CreationDate", iso(m.creation_date))
        .with("Enabled", Val::Bool(m.enabled))
        .str("Description", description)
        .str("KeyUsage", KeyMetadata::KEY_USAGE)
        .str("KeyState", m.key_state.name())
        .opt_str("DeletionDate", m.deletion_date.map(iso))
        .str("Origin", KeyMetadata::ORIGIN)
        .str("KeyManager", KeyMetadata::KEY_MANAGER)
        .str("CustomerMasterKeySpec", KeyMetadata::KEY_SPEC)
        .str("KeySpec", KeyMetadata::KEY_SPEC)
        .with("EncryptionAlgorithms", Val::StrList(vec![ALGORITHM.to_owned()]))
        .with("MultiRegion", Val::Bool(false));
    if let Some(days) = m.pending_deletion_window_in_days {
        o = o.num("PendingDeletionWindowInDays", u64::from(days));
    }
    o.num("CofferCurrentKeyVersion", u64::from(m.current_version))
        .num("CofferMinimumDecryptionVersion", u64::from(m.minimum_decryption_version))
}

fn data_key_spec(args: &DataKeyArgs) -> Result<DataKeySpec, CliError> {
    match (args.key_spec.as_deref(), args.number_of_bytes) {
        (Some("AES_256"), None) => Ok(DataKeySpec::Aes256),
        (Some("AES_128"), None) => Ok(DataKeySpec::Aes128),
        (Some(other), None) => Err(CliError::validation(format!("KeySpec must be AES_128 or AES_256, not {other:?}"))),
        (None, Some(n)) => Ok(DataKeySpec::NumberOfBytes(n)),
        (Some(_), Some(_)) => Err(CliError::validation("give KeySpec or NumberOfBytes, not both")),
        (None, None) => Err(CliError::validation("give KeySpec or NumberOfBytes")),
    }
}

/// Runs a KMS command.
///
/// # Errors
/// The façade's errors and malformed values.
#[allow(clippy::too_many_lines)] // one arm per command
pub(crate) fn run<H: Hsm>(kms: &mut CliKms<'_, H>, command: &Command) -> Result<Obj, Failure<H>> {
    let prefix = kms.config().arn.clone();
    let arn = |id: &KeyId| prefix.key_arn(id).as_str().to_owned();
    Ok(match command {
        Command::CreateKey { description } => {
            let m = kms.create_key(description)?;
            Obj::new().with("KeyMetadata", Val::Obj(key_metadata(&m, description, &prefix)))
        }
        Command::DescribeKey(k) => {
            // 8 KiB: on the heap, not the stack.
            let mut description = Box::new(Description::new());
            let m = kms.describe_key_with_description(&k.key_id, &mut description)?;
            Obj::new().with("KeyMetadata", Val::Obj(key_metadata(&m, &description, &prefix)))
        }
        Command::ListKeys(page) => {
            let n = limit(page)?;
            let mut marker = match &page.marker {
                Some(m) => Some(KeyId::parse(m).ok_or_else(marker_error)?),
                None => None,
            };
            let mut keys = Vec::new();
            let mut out = vec![KeyId::from_bytes([0; 16]); n];
            loop {
                let Page { count, next_marker, .. } = kms.list_keys(marker.as_ref(), &mut out)?;
                for id in out.iter().take(count) {
                    keys.push(Obj::new().str("KeyId", id.to_string()).str("KeyArn", arn(id)));
                }
                marker = next_marker;
                if page.limit.is_some() || marker.is_none() {
                    break;
                }
            }
            let mut o = Obj::new().with("Keys", Val::List(keys));
            if let Some(m) = marker {
                o = o.str("NextMarker", m.to_string());
            }
            o.with("Truncated", Val::Bool(marker.is_some()))
        }
        Command::EnableKey(k) => {
            kms.enable_key(&k.key_id)?;
            Obj::new()
        }
        Command::DisableKey(k) => {
            kms.disable_key(&k.key_id)?;
            Obj::new()
        }
        Command::ScheduleKeyDeletion { key, pending_window_in_days } => {
            let d = kms.schedule_key_deletion(&key.key_id, *pending_window_in_days)?;
            Obj::new()
                .str("KeyId", arn(&d.key_id))
                .str("DeletionDate", iso(d.deletion_date))
                .str("KeyState", "PendingDeletion")
                .num("PendingWindowInDays", u64::from(d.pending_window_in_days))
        }
        Command::CancelKeyDeletion(k) => {
            let id = kms.cancel_key_deletion(&k.key_id)?;
            Obj::new().str("KeyId", arn(&id))
        }
        Command::UpdateKeyDescription { key, description } => {
            kms.update_key_description(&key.key_id, description)?;
            Obj::new()
        }
        Command::CreateAlias { alias_name, target_key_id } => {
            kms.create_alias(alias_name, target_key_id)?;
            Obj::new()
        }
        Command::UpdateAlias { alias_name, target_key_id } => {
            kms.update_alias(alias_name, target_key_id)?;
            Obj::new()
        }
        Command::DeleteAlias { alias_name } => {
            kms.delete_alias(alias_name)?;
            Obj::new()
        }
        Command::ListAliases { key_id, page } => {
            let n = limit(page)?;
            let mut marker = match &page.marker {
                Some(m) => Some(AliasName::parse(m).map_err(|_| marker_error())?),
                None => None,
            };
            let filler_name = AliasName::parse("alias/x").map_err(|_| marker_error())?;
            let filler = AliasEntry {
                name: filler_name,
                target_key_id: KeyId::from_bytes([0; 16]),
                creation_date: 0,
                last_updated_date: 0,
            };
            let mut out = vec![filler; n];
            let mut aliases = Vec::new();
            let mut corrupt: u32 = 0;
            loop {
                let Page { count, next_marker, corrupt_records } =
                    kms.list_aliases(key_id.as_deref(), marker.as_ref(), &mut out)?;
                corrupt = corrupt.saturating_add(corrupt_records);
                for a in out.iter().take(count) {
                    aliases.push(
                        Obj::new()
                            .str("AliasName", a.name.as_str())
                            .str("AliasArn", prefix.alias_arn(a.name.as_str()).as_str())
                            .str("TargetKeyId", a.target_key_id.to_string())
                            .str("CreationDate", iso(a.creation_date))
                            .str("LastUpdatedDate", iso(a.last_updated_date)),
                    );
                }
                marker = next_marker;
                if page.limit.is_some() || marker.is_none() {
                    break;
                }
            }
            let truncated = marker.is_some();
            let mut o = Obj::new().with("Aliases", Val::List(aliases));
            if let Some(m) = marker {
                o = o.str("NextMarker", m.as_str());
            }
            o = o.with("Truncated", Val::Bool(truncated));
            // Coffer's addition, only when there is something to say: alias records left out
            // because they failed authentication (`maintenance` counts them the same way).
            if corrupt > 0 {
                o = o.num("CofferCorruptRecords", u64::from(corrupt));
            }
            o
        }
        Command::EnableKeyRotation { key, rotation_period_in_days } => {
            kms.enable_key_rotation(&key.key_id, *rotation_period_in_days)?;
            Obj::new()
        }
        Command::DisableKeyRotation(k) => {
            kms.disable_key_rotation(&k.key_id)?;
            Obj::new()
        }
        Command::GetKeyRotationStatus(k) => {
            let s = kms.get_key_rotation_status(&k.key_id)?;
            let mut o = Obj::new().with("KeyRotationEnabled", Val::Bool(s.enabled)).str("KeyId", arn(&s.key_id));
            if let Some(days) = s.rotation_period_in_days {
                o = o.num("RotationPeriodInDays", u64::from(days));
            }
            o.opt_str("NextRotationDate", s.next_rotation_date.map(iso))
        }
        Command::RotateKeyOnDemand(k) => {
            let (id, version) = kms.rotate_key_on_demand(&k.key_id)?;
            Obj::new().str("KeyId", id.to_string()).num("CofferKeyVersion", u64::from(version))
        }
        Command::ListKeyRotations { key, page } => {
            let n = limit(page)?;
            let mut marker = match &page.marker {
                Some(m) => Some(m.parse::<u32>().map_err(|_| marker_error())?),
                None => None,
            };
            let filler = KeyVersionInfo { version: 0, rotation_date: 0, rotation_type: RotationType::Original };
            let mut out = vec![filler; n];
            let mut rotations = Vec::new();
            let mut id = None;
            loop {
                let Page { count, next_marker, .. } = kms.list_key_rotations(&key.key_id, marker, &mut out)?;
                if id.is_none() {
                    // The rotations do not carry the key id: take it from the reference, or
                    // (for an alias) from DescribeKey.
                    id = Some(match KeyRef::parse(&key.key_id, &prefix) {
                        Ok(KeyRef::Id(id)) => id,
                        _ => kms.describe_key(&key.key_id)?.key_id,
                    });
                }
                let key_text = id.map(|i| i.to_string()).unwrap_or_default();
                for r in out.iter().take(count) {
                    rotations.push(
                        Obj::new()
                            .str("KeyId", key_text.clone())
                            .str("RotationDate", iso(r.rotation_date))
                            .str("RotationType", r.rotation_type.name())
                            .num("CofferKeyVersion", u64::from(r.version)),
                    );
                }
                marker = next_marker;
                if page.limit.is_some() || marker.is_none() {
                    break;
                }
            }
            let mut o = Obj::new().with("Rotations", Val::List(rotations));
            if let Some(m) = marker {
                o = o.str("NextMarker", m.to_string());
            }
            o.with("Truncated", Val::Bool(marker.is_some()))
        }
        Command::SetMinimumDecryptionVersion { key, minimum_decryption_version } => {
            kms.set_minimum_decryption_version(&key.key_id, *minimum_decryption_version)?;
            Obj::new()
        }
        Command::Encrypt { key, plaintext, encryption_context } => {
            let plaintext = input::blob("Plaintext", plaintext)?;
            let pairs = input::context("EncryptionContext", encryption_context.as_deref())?;
            let ctx = build_context("EncryptionContext", &pairs)?;
            let e = kms.encrypt(&key.key_id, &plaintext, &ctx)?;
            Obj::new()
                .str("CiphertextBlob", input::b64(e.ciphertext_blob.as_bytes()))
                .str("KeyId", arn(&e.key_id))
                .str("EncryptionAlgorithm", ALGORITHM)
        }
        Command::Decrypt { ciphertext_blob, key_id, encryption_context } => {
            let blob = input::blob("CiphertextBlob", ciphertext_blob)?;
            let pairs = input::context("EncryptionContext", encryption_context.as_deref())?;
            let ctx = build_context("EncryptionContext", &pairs)?;
            let d = kms.decrypt(&blob, &ctx, key_id.as_deref())?;
            Obj::new()
                .str("KeyId", arn(&d.key_id))
                .with("Plaintext", Val::Secret(input::secret_b64(d.plaintext.as_bytes())?))
                .str("EncryptionAlgorithm", ALGORITHM)
        }
        Command::ReEncrypt {
            ciphertext_blob,
            source_encryption_context,
            source_key_id,
            destination_key_id,
            destination_encryption_context,
        } => {
            let blob = input::blob("CiphertextBlob", ciphertext_blob)?;
            let src_pairs = input::context("SourceEncryptionContext", source_encryption_context.as_deref())?;
            let src = build_context("SourceEncryptionContext", &src_pairs)?;
            let dst_pairs = input::context("DestinationEncryptionContext", destination_encryption_context.as_deref())?;
            let dst = build_context("DestinationEncryptionContext", &dst_pairs)?;
            let r = kms.re_encrypt(&blob, &src, source_key_id.as_deref(), destination_key_id, &dst)?;
            Obj::new()
                .str("CiphertextBlob", input::b64(r.ciphertext_blob.as_bytes()))
                .str("SourceKeyId", arn(&r.source_key_id))
                .str("KeyId", arn(&r.key_id))
                .str("SourceEncryptionAlgorithm", ALGORITHM)
                .str("DestinationEncryptionAlgorithm", ALGORITHM)
        }
        Command::GenerateDataKey(args) => {
            let spec = data_key_spec(args)?;
            let pairs = input::context("EncryptionContext", args.encryption_context.as_deref())?;
            let ctx = build_context("EncryptionContext", &pairs)?;
            let k = kms.generate_data_key(&args.key_id, spec, &ctx)?;
            Obj::new()
                .str("CiphertextBlob", input::b64(k.ciphertext_blob.as_bytes()))
                .with("Plaintext", Val::Secret(input::secret_b64(k.plaintext.as_bytes())?))
                .str("KeyId", arn(&k.key_id))
        }
        Command::GenerateDataKeyWithoutPlaintext(args) => {
            let spec = data_key_spec(args)?;
            let pairs = input::context("EncryptionContext", args.encryption_context.as_deref())?;
            let ctx = build_context("EncryptionContext", &pairs)?;
            let k = kms.generate_data_key_without_plaintext(&args.key_id, spec, &ctx)?;
            Obj::new().str("CiphertextBlob", input::b64(k.ciphertext_blob.as_bytes())).str("KeyId", arn(&k.key_id))
        }
        Command::GenerateRandom { number_of_bytes } => {
            let r = kms.generate_random(usize::from(*number_of_bytes))?;
            Obj::new().with("Plaintext", Val::Secret(input::secret_b64(r.as_bytes())?))
        }
        Command::Maintenance => {
            let r = kms.maintenance()?;
            Obj::new()
                .num("RotatedKeys", u64::from(r.rotated))
                .num("DeletedKeys", u64::from(r.deleted))
                .num("DeletedAliases", u64::from(r.aliases_deleted))
                .num("RotationFailures", u64::from(r.rotation_failures))
                .num("CorruptRecords", u64::from(r.corrupt_records))
                .num("UpgradedKeys", u64::from(r.upgraded))
                .num("UpgradeFailures", u64::from(r.upgrade_failures))
                .num("OrphanRecordsRemoved", u64::from(r.orphans_removed))
        }
        Command::EncryptFile(args) => return crate::files::encrypt_file(kms, args),
        Command::DecryptFile(args) => return crate::files::decrypt_file(kms, args),
        Command::Init(_)
        | Command::Audit { .. }
        | Command::TokenCheck { .. }
        | Command::Serve(_)
        | Command::AccessKey(_) => {
            return Err(CliError::new(Class::Internal, "not a KMS command").into());
        }
    })
}
