//! Keys and their lifecycle: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey,
//! ScheduleKeyDeletion, CancelKeyDeletion, UpdateKeyDescription; and Maintenance (the command
//! line's: due rotations and deletions).

use coffer_core::Kms;
use coffer_core::audit::AuditSink;
use coffer_core::clock::Clock;
use coffer_core::hsm::Hsm;
use coffer_core::key::{ArnPrefix, Description, KeyId, KeyMetadata};
use coffer_core::kms::{MAX_LIST_LIMIT, Page};
use coffer_core::store::KeyStore;
use serde::{Deserialize, Serialize};

use super::json::{FromJson, IgnoredList};
use super::wire::{Refused, Timestamp, check_len, check_opt_len, only, opt_ranged, refuse};
use super::{KmsFailure, Operation};
use crate::error::{Class, CliError};

/// The largest description, in characters (the model's).
const MAX_DESCRIPTION: usize = 8192;
/// The model's bounds on a key reference.
const MAX_KEY_ID: usize = 2048;
/// A List operation's page size without `Limit`, as AWS's.
pub(crate) const DEFAULT_LIMIT: usize = 100;

/// The `KeyId` member: 1 to 2048 characters.
///
/// # Errors
/// ValidationException.
pub(crate) fn check_key_id(member: &str, key_id: &str) -> Result<(), CliError> {
    check_len(member, key_id, 1, MAX_KEY_ID)
}

/// A page's size: `Limit` (1 to 1000) or [`DEFAULT_LIMIT`].
///
/// # Errors
/// ValidationException.
pub(crate) fn page_limit(limit: Option<i64>, marker: Option<&str>) -> Result<usize, CliError> {
    check_opt_len("Marker", marker, 1, 1024)?;
    let max = i64::try_from(MAX_LIST_LIMIT).unwrap_or(i64::MAX);
    Ok(opt_ranged::<usize>("Limit", limit, 1, max)?.unwrap_or(DEFAULT_LIMIT))
}

/// The error for a marker no list handed out.
pub(crate) fn marker_error() -> CliError {
    CliError::new(
        Class::InvalidMarker,
        "Marker is not one a list handed out (give the NextMarker of the previous page)",
    )
}

/// `KeyMetadata`, with Coffer's two additions (the current and the oldest decrypting versions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct KeyMetadataResponse {
    #[serde(rename = "AWSAccountId")]
    pub(crate) aws_account_id: String,
    pub(crate) key_id: String,
    pub(crate) arn: String,
    pub(crate) creation_date: Timestamp,
    pub(crate) enabled: bool,
    pub(crate) description: String,
    pub(crate) key_usage: &'static str,
    pub(crate) key_state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) deletion_date: Option<Timestamp>,
    pub(crate) origin: &'static str,
    pub(crate) key_manager: &'static str,
    pub(crate) customer_master_key_spec: &'static str,
    pub(crate) key_spec: &'static str,
    pub(crate) encryption_algorithms: [&'static str; 1],
    pub(crate) multi_region: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) pending_deletion_window_in_days: Option<u16>,
    pub(crate) coffer_current_key_version: u32,
    pub(crate) coffer_minimum_decryption_version: u32,
}

impl KeyMetadataResponse {
    fn new(m: &KeyMetadata, description: &str, prefix: &ArnPrefix) -> Self {
        Self {
            aws_account_id: prefix.account().to_owned(),
            key_id: m.key_id.to_string(),
            arn: m.arn(prefix).as_str().to_owned(),
            creation_date: Timestamp(m.creation_date),
            enabled: m.enabled,
            description: description.to_owned(),
            key_usage: KeyMetadata::KEY_USAGE,
            key_state: m.key_state.name(),
            deletion_date: m.deletion_date.map(Timestamp),
            origin: KeyMetadata::ORIGIN,
            key_manager: KeyMetadata::KEY_MANAGER,
            customer_master_key_spec: KeyMetadata::KEY_SPEC,
            key_spec: KeyMetadata::KEY_SPEC,
            encryption_algorithms: [KeyMetadata::ENCRYPTION_ALGORITHM],
            multi_region: false,
            pending_deletion_window_in_days: m.pending_deletion_window_in_days,
            coffer_current_key_version: m.current_version,
            coffer_minimum_decryption_version: m.minimum_decryption_version,
        }
    }
}

/// CreateKey and DescribeKey's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct KeyMetadataAnswer {
    pub(crate) key_metadata: KeyMetadataResponse,
}

/// An answer with no members (`{}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Empty {}

/// CreateKey: a symmetric ENCRYPT_DECRYPT key. Members that would ask for another kind of key,
/// a policy or tags are refused rather than ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateKeyRequest {
    #[serde(default)]
    pub(crate) description: Option<String>,
    pub(crate) key_usage: Option<String>,
    pub(crate) key_spec: Option<String>,
    pub(crate) customer_master_key_spec: Option<String>,
    pub(crate) origin: Option<String>,
    pub(crate) multi_region: Option<Refused>,
    pub(crate) policy: Option<Refused>,
    pub(crate) tags: Option<Refused>,
    pub(crate) custom_key_store_id: Option<Refused>,
    pub(crate) xks_key_id: Option<Refused>,
    /// Checked for its JSON type only: there are no key policies to lock out.
    #[serde(rename = "BypassPolicyLockoutSafetyCheck")]
    pub(crate) _bypass_policy_lockout_safety_check: Option<bool>,
}

impl FromJson for CreateKeyRequest {
    const REQUIRED: &'static [&'static str] = &[];
}

impl Operation for CreateKeyRequest {
    type Response = KeyMetadataAnswer;

    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<KeyMetadataAnswer, KmsFailure<H, S>> {
        let description = self.description.as_deref().unwrap_or_default();
        check_len("Description", description, 0, MAX_DESCRIPTION)?;
        only("KeyUsage", self.key_usage.as_deref(), KeyMetadata::KEY_USAGE)?;
        only("KeySpec", self.key_spec.as_deref(), KeyMetadata::KEY_SPEC)?;
        only("CustomerMasterKeySpec", self.customer_master_key_spec.as_deref(), KeyMetadata::KEY_SPEC)?;
        only("Origin", self.origin.as_deref(), KeyMetadata::ORIGIN)?;
        refuse("MultiRegion", self.multi_region, "keys are single-region")?;
        refuse("Policy", self.policy, "key policies are not enforced: every access key may use every key")?;
        refuse("Tags", self.tags, "tags are not kept")?;
        refuse("CustomKeyStoreId", self.custom_key_store_id, "no custom key stores")?;
        refuse("XksKeyId", self.xks_key_id, "no external key stores")?;
        let m = kms.create_key(description)?;
        let prefix = kms.config().arn.clone();
        Ok(KeyMetadataAnswer { key_metadata: KeyMetadataResponse::new(&m, description, &prefix) })
    }
}

/// DescribeKey.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeKeyRequest {
    pub(crate) key_id: String,
    /// Checked for its JSON type only: grants change nothing here.
    #[serde(rename = "GrantTokens")]
    pub(crate) _grant_tokens: Option<IgnoredList>,
}

impl FromJson for DescribeKeyRequest {
    const REQUIRED: &'static [&'static str] = &["KeyId"];
}

impl Operation for DescribeKeyRequest {
    type Response = KeyMetadataAnswer;

    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<KeyMetadataAnswer, KmsFailure<H, S>> {
        check_key_id("KeyId", &self.key_id)?;
        // 8 KiB: on the heap, not the stack.
        let mut description = Box::new(Description::new());
        let m = kms.describe_key_with_description(&self.key_id, &mut description)?;
        let prefix = kms.config().arn.clone();
        Ok(KeyMetadataAnswer { key_metadata: KeyMetadataResponse::new(&m, &description, &prefix) })
    }
}

/// ListKeys: one page.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListKeysRequest {
    pub(crate) limit: Option<i64>,
    pub(crate) marker: Option<String>,
}

impl FromJson for ListKeysRequest {
    const REQUIRED: &'static [&'static str] = &[];
}

/// A key of ListKeys' answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct KeyListEntry {
    pub(crate) key_id: String,
    pub(crate) key_arn: String,
}

/// ListKeys' answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListKeysResponse {
    pub(crate) keys: Vec<KeyListEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_marker: Option<String>,
    pub(crate) truncated: bool,
}

impl Operation for ListKeysRequest {
    type Response = ListKeysResponse;

    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<ListKeysResponse, KmsFailure<H, S>> {
        let n = page_limit(self.limit, self.marker.as_deref())?;
        let marker = match &self.marker {
            Some(m) => Some(KeyId::parse(m).ok_or_else(marker_error)?),
            None => None,
        };
        let mut out = vec![KeyId::from_bytes([0; 16]); n];
        let Page { count, next_marker, .. } = kms.list_keys(marker.as_ref(), &mut out)?;
        let prefix = &kms.config().arn;
        let keys = out
            .iter()
            .take(count)
            .map(|id| KeyListEntry { key_id: id.to_string(), key_arn: prefix.key_arn(id).as_str().to_owned() })
            .collect();
        Ok(ListKeysResponse { keys, truncated: next_marker.is_some(), next_marker: next_marker.map(|m| m.to_string()) })
    }
}

/// A request of one `KeyId` that answers `{}`: EnableKey, DisableKey.
macro_rules! key_only {
    ($(#[$doc:meta] $name:ident => $method:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Deserialize)]
        #[serde(rename_all = "PascalCase")]
        pub(crate) struct $name {
            pub(crate) key_id: String,
        }

        impl FromJson for $name {
            const REQUIRED: &'static [&'static str] = &["KeyId"];
        }

        impl Operation for $name {
            type Response = Empty;

            fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
                &self,
                kms: &mut Kms<H, S, C, A>,
            ) -> Result<Empty, KmsFailure<H, S>> {
                check_key_id("KeyId", &self.key_id)?;
                kms.$method(&self.key_id)?;
                Ok(Empty {})
            }
        }
    )*};
}
pub(crate) use key_only;

key_only! {
    /// EnableKey.
    EnableKeyRequest => enable_key,
    /// DisableKey.
    DisableKeyRequest => disable_key,
}

/// ScheduleKeyDeletion (7 to 30 days, default 30: the façade's bounds; the model's are 1 to 365).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ScheduleKeyDeletionRequest {
    pub(crate) key_id: String,
    pub(crate) pending_window_in_days: Option<i64>,
}

impl FromJson for ScheduleKeyDeletionRequest {
    const REQUIRED: &'static [&'static str] = &["KeyId"];
}

/// ScheduleKeyDeletion's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ScheduleKeyDeletionResponse {
    pub(crate) key_id: String,
    pub(crate) deletion_date: Timestamp,
    pub(crate) key_state: &'static str,
    pub(crate) pending_window_in_days: u16,
}

impl Operation for ScheduleKeyDeletionRequest {
    type Response = ScheduleKeyDeletionResponse;

    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<ScheduleKeyDeletionResponse, KmsFailure<H, S>> {
        check_key_id("KeyId", &self.key_id)?;
        let days = opt_ranged::<u16>("PendingWindowInDays", self.pending_window_in_days, 1, 365)?;
        let d = kms.schedule_key_deletion(&self.key_id, days)?;
        Ok(ScheduleKeyDeletionResponse {
            key_id: kms.config().arn.key_arn(&d.key_id).as_str().to_owned(),
            deletion_date: Timestamp(d.deletion_date),
            key_state: "PendingDeletion",
            pending_window_in_days: d.pending_window_in_days,
        })
    }
}

/// CancelKeyDeletion (the key returns Disabled).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CancelKeyDeletionRequest {
    pub(crate) key_id: String,
}

impl FromJson for CancelKeyDeletionRequest {
    const REQUIRED: &'static [&'static str] = &["KeyId"];
}

/// An answer that names a key by ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct KeyArnResponse {
    pub(crate) key_id: String,
}

impl Operation for CancelKeyDeletionRequest {
    type Response = KeyArnResponse;

    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<KeyArnResponse, KmsFailure<H, S>> {
        check_key_id("KeyId", &self.key_id)?;
        let id = kms.cancel_key_deletion(&self.key_id)?;
        Ok(KeyArnResponse { key_id: kms.config().arn.key_arn(&id).as_str().to_owned() })
    }
}

/// UpdateKeyDescription.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UpdateKeyDescriptionRequest {
    pub(crate) key_id: String,
    pub(crate) description: String,
}

impl FromJson for UpdateKeyDescriptionRequest {
    const REQUIRED: &'static [&'static str] = &["KeyId", "Description"];
}

impl Operation for UpdateKeyDescriptionRequest {
    type Response = Empty;

    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<Empty, KmsFailure<H, S>> {
        check_key_id("KeyId", &self.key_id)?;
        check_len("Description", &self.description, 0, MAX_DESCRIPTION)?;
        kms.update_key_description(&self.key_id, &self.description)?;
        Ok(Empty {})
    }
}

/// Maintenance (the command line's): applies due rotations and deletions.
#[derive(Debug, Default)]
pub(crate) struct MaintenanceRequest;

/// Maintenance's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct MaintenanceResponse {
    pub(crate) rotated_keys: u32,
    pub(crate) deleted_keys: u32,
    pub(crate) deleted_aliases: u32,
    pub(crate) rotation_failures: u32,
    pub(crate) corrupt_records: u32,
    pub(crate) upgraded_keys: u32,
    pub(crate) upgrade_failures: u32,
    pub(crate) orphan_records_removed: u32,
}

impl Operation for MaintenanceRequest {
    type Response = MaintenanceResponse;

    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<MaintenanceResponse, KmsFailure<H, S>> {
        let r = kms.maintenance()?;
        Ok(MaintenanceResponse {
            rotated_keys: r.rotated,
            deleted_keys: r.deleted,
            deleted_aliases: r.aliases_deleted,
            rotation_failures: r.rotation_failures,
            corrupt_records: r.corrupt_records,
            upgraded_keys: r.upgraded,
            upgrade_failures: r.upgrade_failures,
            orphan_records_removed: r.orphans_removed,
        })
    }
}
