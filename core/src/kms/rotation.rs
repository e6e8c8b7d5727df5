//! EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand,
//! ListKeyRotations, and retiring old versions with a minimum decryption version.
//!
//! Rotation adds a version: the key id stays, new ciphertexts use the newest version, every
//! held version still decrypts, and nothing is re-encrypted.

use super::lifecycle::{MAX_LIST_LIMIT, Page};
use super::records::{check_not_pending, check_usable};
use super::{Kms, KmsError, check_range, hsm_err};
use crate::audit::{AuditSink, Operation};
use crate::clock::{Clock, SECONDS_PER_DAY, Timestamp};
use crate::error::{Error, Field, LimitKind};
use crate::hsm::Hsm;
use crate::key::record::{KeyRecord, KeyVersion};
use crate::key::{KeyId, KeyState, KeyVersionInfo, RotationStatus, RotationType};
use crate::store::KeyStore;

/// Shortest automatic rotation period, in days.
pub const MIN_ROTATION_PERIOD_DAYS: u16 = 90;
/// Longest automatic rotation period, in days.
pub const MAX_ROTATION_PERIOD_DAYS: u16 = 2560;
/// Rotation period when none is given.
pub const DEFAULT_ROTATION_PERIOD_DAYS: u16 = 365;

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink> Kms<H, S, C, A> {
    /// EnableKeyRotation: the maintenance call rotates the key every `rotation_period_in_days`
    /// (90 to 2560, default 365), the first time that many days from now.
    ///
    /// # Errors
    /// Validation for the period; Disabled; InvalidState when pending deletion.
    pub fn enable_key_rotation(
        &mut self,
        key: &str,
        rotation_period_in_days: Option<u16>,
    ) -> Result<(), KmsError<H, S>> {
        self.audited(Operation::EnableKeyRotation, |kms, audit_key| {
            let days = rotation_period_in_days.unwrap_or(DEFAULT_ROTATION_PERIOD_DAYS);
            check_range(
                Field::RotationPeriodInDays,
                u64::from(days),
                u64::from(MIN_ROTATION_PERIOD_DAYS),
                u64::from(MAX_ROTATION_PERIOD_DAYS),
            )?;
            let mut record = kms.resolve_record(key, Field::KeyId, audit_key)?;
            check_usable(&record)?;
            let now = kms.now()?;
            record.rotation.enabled = true;
            record.rotation.period_days = days;
            record.rotation.next_date = next_rotation(now, days);
            kms.save_key(&record)
        })
    }

    /// DisableKeyRotation.
    ///
    /// # Errors
    /// Disabled; InvalidState when pending deletion.
    pub fn disable_key_rotation(&mut self, key: &str) -> Result<(), KmsError<H, S>> {
        self.audited(Operation::DisableKeyRotation, |kms, audit_key| {
            let mut record = kms.resolve_record(key, Field::KeyId, audit_key)?;
            check_usable(&record)?;
            if record.rotation.enabled {
                record.rotation.enabled = false;
                record.rotation.next_date = 0;
                kms.save_key(&record)?;
            }
            Ok(())
        })
    }

    /// GetKeyRotationStatus. A key pending deletion answers `false` (it does not rotate), as
    /// AWS KMS does; its schedule is kept, so cancelling the deletion brings `true` back.
    ///
    /// # Errors
    /// NotFound, a malformed reference, a corrupt record.
    pub fn get_key_rotation_status(&mut self, key: &str) -> Result<RotationStatus, KmsError<H, S>> {
        self.audited(Operation::GetKeyRotationStatus, |kms, audit_key| {
            let record = kms.resolve_record(key, Field::KeyId, audit_key)?;
            let on = record.rotation.enabled && record.state != KeyState::PendingDeletion;
            Ok(RotationStatus {
                key_id: record.id,
                enabled: on,
                rotation_period_in_days: on.then_some(record.rotation.period_days),
                next_rotation_date: on.then_some(record.rotation.next_date),
            })
        })
    }

    /// RotateKeyOnDemand: adds a version now; the automatic schedule is unchanged.
    /// Returns the new version number.
    ///
    /// # Errors
    /// Disabled; InvalidState when pending deletion; LimitExceeded when the key holds
    /// [`MAX_VERSIONS`](crate::key::MAX_VERSIONS) versions.
    pub fn rotate_key_on_demand(&mut self, key: &str) -> Result<(KeyId, u32), KmsError<H, S>> {
        self.audited(Operation::RotateKeyOnDemand, |kms, audit_key| {
            let mut record = kms.resolve_record(key, Field::KeyId, audit_key)?;
            check_usable(&record)?;
            let now = kms.now()?;
            let version = kms.add_version(&mut record, RotationType::OnDemand, now)?;
            kms.save_key(&record)?;
            Ok((record.id, version))
        })
    }

    /// ListKeyRotations: the rotations (versions after the first that are still held), oldest
    /// first, after version `marker`, filling `out` (1 to 1000 entries).
    ///
    /// # Errors
    /// Validation for the page size; NotFound; InvalidMarker for a `marker` that is no version
    /// of the key's (0, or above its current version): no page ever ends there.
    pub fn list_key_rotations(
        &mut self,
        key: &str,
        marker: Option<u32>,
        out: &mut [KeyVersionInfo],
    ) -> Result<Page<u32>, KmsError<H, S>> {
        self.audited(Operation::ListKeyRotations, |kms, audit_key| {
            check_range(Field::Limit, out.len() as u64, 1, MAX_LIST_LIMIT as u64)?;
            let record = kms.resolve_record(key, Field::KeyId, audit_key)?;
            let current = record.current().map_or(0, |v| v.number);
            // Retired versions stay valid markers (a page may have ended on one since retired).
            if marker.is_some_and(|m| m == 0 || m > current) {
                return Err(Error::InvalidMarker);
            }
            let after = marker.unwrap_or(0);
            let mut rotations = record
                .versions
                .iter()
                .filter(|v| v.rotation_type != RotationType::Original && v.number > after)
                .map(KeyVersion::info);
            let mut count: usize = 0;
            for (slot, info) in out.iter_mut().zip(&mut rotations) {
                *slot = info;
                count = count.saturating_add(1);
            }
            let more = rotations.next().is_some();
            let last = count.checked_sub(1).and_then(|i| out.get(i)).map(|v| v.version);
            Ok(Page { count, next_marker: if more { last } else { None }, corrupt_records: 0 })
        })
    }

    /// Retires every version older than `version`: their material is removed from the record,
    /// so ciphertexts made under them can no longer be decrypted. Irreversible. `version` may
    /// be at most the current version and may not go below the present minimum.
    ///
    /// # Errors
    /// Validation if `version` is outside (present minimum)..=(current version); InvalidState
    /// when pending deletion.
    pub fn set_minimum_decryption_version(&mut self, key: &str, version: u32) -> Result<(), KmsError<H, S>> {
        self.audited(Operation::SetMinimumDecryptionVersion, |kms, audit_key| {
            let mut record = kms.resolve_record(key, Field::KeyId, audit_key)?;
            check_not_pending(&record)?;
            let current = record.current().map_or(0, |v| v.number);
            check_range(
                Field::MinimumDecryptionVersion,
                u64::from(version),
                u64::from(record.min_decryption_version()),
                u64::from(current),
            )?;
            if version > record.min_decryption_version() {
                record.versions.retain(|v| v.number >= version);
                kms.save_key(&record)?;
            }
            Ok(())
        })
    }

    /// Generates and appends a new version; returns its number. The caller saves the record.
    pub(super) fn add_version(
        &mut self,
        record: &mut KeyRecord,
        rotation_type: RotationType,
        now: Timestamp,
    ) -> Result<u32, KmsError<H, S>> {
        if record.versions.is_full() {
            return Err(Error::LimitExceeded(LimitKind::Versions));
        }
        let number =
            record.current().and_then(|v| v.number.checked_add(1)).ok_or(Error::LimitExceeded(LimitKind::Versions))?;
        let material = self.hsm.generate_key().map_err(hsm_err)?;
        record
            .versions
            .push(KeyVersion { number, created: now, rotation_type, material })
            .map_err(|_| Error::LimitExceeded(LimitKind::Versions))?;
        Ok(number)
    }
}

/// `now` plus `days` days.
pub(super) fn next_rotation(now: Timestamp, days: u16) -> Timestamp {
    now.saturating_add(u64::from(days).saturating_mul(SECONDS_PER_DAY))
}
