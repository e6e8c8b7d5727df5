//! Rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand,
//! ListKeyRotations; and SetMinimumDecryptionVersion (the command line's: retires old versions).

use coffer_core::Kms;
use coffer_core::audit::AuditSink;
use coffer_core::clock::Clock;
use coffer_core::hsm::Hsm;
use coffer_core::key::{KeyRef, KeyVersionInfo, RotationType};
use coffer_core::kms::Page;
use coffer_core::store::KeyStore;
use serde::{Deserialize, Serialize};

use super::json::FromJson;
use super::keys::{Empty, check_key_id, key_only, marker_error, page_limit};
use super::wire::{Refused, Timestamp, opt_ranged, refuse};
use super::{KmsFailure, Operation};

/// EnableKeyRotation (every 90 to 2560 days, default 365: the façade's bounds).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EnableKeyRotationRequest {
    pub(crate) key_id: String,
    pub(crate) rotation_period_in_days: Option<i64>,
}

impl FromJson for EnableKeyRotationRequest {
    const REQUIRED: &'static [&'static str] = &["KeyId"];
}

impl Operation for EnableKeyRotationRequest {
    type Response = Empty;

    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<Empty, KmsFailure<H, S>> {
        check_key_id("KeyId", &self.key_id)?;
        let days = opt_ranged::<u16>("RotationPeriodInDays", self.rotation_period_in_days, 1, 2560)?;
        kms.enable_key_rotation(&self.key_id, days)?;
        Ok(Empty {})
    }
}

key_only! {
    /// DisableKeyRotation.
    DisableKeyRotationRequest => disable_key_rotation,
}

/// GetKeyRotationStatus.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetKeyRotationStatusRequest {
    pub(crate) key_id: String,
}

impl FromJson for GetKeyRotationStatusRequest {
    const REQUIRED: &'static [&'static str] = &["KeyId"];
}

/// GetKeyRotationStatus' answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetKeyRotationStatusResponse {
    pub(crate) key_rotation_enabled: bool,
    pub(crate) key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rotation_period_in_days: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_rotation_date: Option<Timestamp>,
}

impl Operation for GetKeyRotationStatusRequest {
    type Response = GetKeyRotationStatusResponse;

    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<GetKeyRotationStatusResponse, KmsFailure<H, S>> {
        check_key_id("KeyId", &self.key_id)?;
        let s = kms.get_key_rotation_status(&self.key_id)?;
        Ok(GetKeyRotationStatusResponse {
            key_rotation_enabled: s.enabled,
            key_id: kms.config().arn.key_arn(&s.key_id).as_str().to_owned(),
            rotation_period_in_days: s.rotation_period_in_days,
            next_rotation_date: s.next_rotation_date.map(Timestamp),
        })
    }
}

/// RotateKeyOnDemand: a new key version now.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RotateKeyOnDemandRequest {
    pub(crate) key_id: String,
}

impl FromJson for RotateKeyOnDemandRequest {
    const REQUIRED: &'static [&'static str] = &["KeyId"];
}

/// RotateKeyOnDemand's answer, with the new version (Coffer's addition).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RotateKeyOnDemandResponse {
    pub(crate) key_id: String,
    pub(crate) coffer_key_version: u32,
}

impl Operation for RotateKeyOnDemandRequest {
    type Response = RotateKeyOnDemandResponse;

    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<RotateKeyOnDemandResponse, KmsFailure<H, S>> {
        check_key_id("KeyId", &self.key_id)?;
        let (id, version) = kms.rotate_key_on_demand(&self.key_id)?;
        Ok(RotateKeyOnDemandResponse { key_id: id.to_string(), coffer_key_version: version })
    }
}

/// ListKeyRotations: one page.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListKeyRotationsRequest {
    pub(crate) key_id: String,
    pub(crate) limit: Option<i64>,
    pub(crate) marker: Option<String>,
    pub(crate) include_key_material: Option<Refused>,
}

impl FromJson for ListKeyRotationsRequest {
    const REQUIRED: &'static [&'static str] = &["KeyId"];
}

/// A rotation of ListKeyRotations' answer, with its version (Coffer's addition).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RotationEntry {
    pub(crate) key_id: String,
    pub(crate) rotation_date: Timestamp,
    pub(crate) rotation_type: &'static str,
    pub(crate) coffer_key_version: u32,
}

/// ListKeyRotations' answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListKeyRotationsResponse {
    pub(crate) rotations: Vec<RotationEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_marker: Option<String>,
    pub(crate) truncated: bool,
}

impl Operation for ListKeyRotationsRequest {
    type Response = ListKeyRotationsResponse;

    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<ListKeyRotationsResponse, KmsFailure<H, S>> {
        check_key_id("KeyId", &self.key_id)?;
        refuse("IncludeKeyMaterial", self.include_key_material, "not supported")?;
        let n = page_limit(self.limit, self.marker.as_deref())?;
        let marker = match &self.marker {
            Some(m) => Some(m.parse::<u32>().map_err(|_| marker_error())?),
            None => None,
        };
        let filler = KeyVersionInfo { version: 0, rotation_date: 0, rotation_type: RotationType::Original };
        let mut out = vec![filler; n];
        let Page { count, next_marker, .. } = kms.list_key_rotations(&self.key_id, marker, &mut out)?;
        // The rotations do not carry the key id: take it from the reference, or (for an alias)
        // from DescribeKey.
        let prefix = kms.config().arn.clone();
        let id = match KeyRef::parse(&self.key_id, &prefix) {
            Ok(KeyRef::Id(id)) => id,
            _ => kms.describe_key(&self.key_id)?.key_id,
        };
        let key_id = id.to_string();
        let rotations = out
            .iter()
            .take(count)
            .map(|r| RotationEntry {
                key_id: key_id.clone(),
                rotation_date: Timestamp(r.rotation_date),
                rotation_type: r.rotation_type.name(),
                coffer_key_version: r.version,
            })
            .collect();
        Ok(ListKeyRotationsResponse {
            rotations,
            truncated: next_marker.is_some(),
            next_marker: next_marker.map(|m| m.to_string()),
        })
    }
}

/// SetMinimumDecryptionVersion (the command line's): retires every version below it.
#[derive(Debug)]
pub(crate) struct SetMinimumDecryptionVersionRequest {
    pub(crate) key_id: String,
    pub(crate) minimum_decryption_version: u32,
}

impl Operation for SetMinimumDecryptionVersionRequest {
    type Response = Empty;

    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<Empty, KmsFailure<H, S>> {
        check_key_id("KeyId", &self.key_id)?;
        kms.set_minimum_decryption_version(&self.key_id, self.minimum_decryption_version)?;
        Ok(Empty {})
    }
}
