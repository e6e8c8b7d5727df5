//! EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand,
//! ListKeyRotations, and retiring old versions with a minimum decryption version.
//!
//! Rotation adds a version: the key id stays, new ciphertexts use the newest version, every
//! held version still decrypts, and nothing is re-encrypted.

use super::lifecycle::{MAX_LIST_LIMIT, Page};
use super::records::{LoadedKey, check_not_pending, check_usable};
use super::{Kms, KmsError, check_range, hsm_err};
use crate::audit::{AuditSink, Operation};
use crate::clock::{Clock, SECONDS_PER_DAY, Timestamp};
use crate::error::{Error, Field, LimitKind};
use crate::hsm::Hsm;
use crate::key::record::Rotation;
use crate::key::version::KeyVersion;
use crate::key::{KeyId, KeyState, KeyVersionInfo, RotationStatus, RotationType};
use crate::store::KeyStore;

/// Shortest automatic rotation period, in days.
pub const MIN_ROTATION_PERIOD_DAYS: u16 = 90;
/// Longest automatic rotation period, in days.
pub const MAX_ROTATION_PERIOD_DAYS: u16 = 2560;
/// Rotation period when none is given.
pub const DEFAULT_ROTATION_PERIOD_DAYS: u16 = 365;

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink, const KEYS: usize> Kms<H, S, C, A, KEYS> {
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
            let id = kms.resolve(key, Field::KeyId)?;
            *audit_key = Some(id);
            let now = kms.now()?;
            kms.change_key(&id, |record| {
                check_usable(record.view().state())?;
                record.set_rotation(Rotation { enabled: true, period_days: days, next_date: next_rotation(now, days) });
                Ok(true)
            })
        })
    }

    /// DisableKeyRotation.
    ///
    /// # Errors
    /// Disabled; InvalidState when pending deletion.
    pub fn disable_key_rotation(&mut self, key: &str) -> Result<(), KmsError<H, S>> {
        self.audited(Operation::DisableKeyRotation, |kms, audit_key| {
            let id = kms.resolve(key, Field::KeyId)?;
            *audit_key = Some(id);
            kms.change_key(&id, |record| {
                let view = record.view();
                check_usable(view.state())?;
                let rotation = view.rotation();
                if !rotation.enabled {
                    return Ok(false);
                }
                record.set_rotation(Rotation { enabled: false, next_date: 0, ..rotation });
                Ok(true)
            })
        })
    }

    /// GetKeyRotationStatus. A key pending deletion answers `false` (it does not rotate), as
    /// AWS KMS does; its schedule is kept, so cancelling the deletion brings `true` back.
    ///
    /// # Errors
    /// NotFound, a malformed reference, a corrupt record.
    pub fn get_key_rotation_status(&mut self, key: &str) -> Result<RotationStatus, KmsError<H, S>> {
        self.audited(Operation::GetKeyRotationStatus, |kms, audit_key| {
            let record = kms.resolve_key(key, Field::KeyId, audit_key)?;
            let rotation = record.rotation();
            // A key pending deletion does not rotate: AWS answers false (its schedule is kept, and
            // comes back if the deletion is cancelled).
            let on = rotation.enabled && record.state() != KeyState::PendingDeletion;
            Ok(RotationStatus {
                key_id: record.id(),
                enabled: on,
                rotation_period_in_days: on.then_some(rotation.period_days),
                next_rotation_date: on.then_some(rotation.next_date),
            })
        })
    }

    /// RotateKeyOnDemand: adds a version now; the automatic schedule is unchanged.
    /// Returns the new version number.
    ///
    /// # Errors
    /// Disabled; InvalidState when pending deletion; LimitExceeded (`OnDemandRotations`) when
    /// the key has had [`KmsConfig::max_on_demand_rotations`](super::KmsConfig) of them.
    pub fn rotate_key_on_demand(&mut self, key: &str) -> Result<(KeyId, u32), KmsError<H, S>> {
        self.audited(Operation::RotateKeyOnDemand, |kms, audit_key| {
            let id = kms.resolve(key, Field::KeyId)?;
            *audit_key = Some(id);
            kms.load_key_for_change(&id)?;
            let made = {
                let record = kms.loaded_key()?;
                check_usable(record.state())?;
                record.on_demand_rotations()
            };
            if made >= kms.config.max_on_demand_rotations {
                return Err(Error::LimitExceeded(LimitKind::OnDemandRotations));
            }
            let now = kms.now()?;
            let number = kms.add_version(RotationType::OnDemand, now, |record| {
                record.set_on_demand_rotations(made.saturating_add(1));
            })?;
            Ok((id, number))
        })
    }

    /// ListKeyRotations: the rotations (versions after the first that still decrypt), oldest
    /// first, after version `marker`, filling `out` (1 to 1000 entries). Pages through any number
    /// of versions: each is read from its own record.
    ///
    /// # Errors
    /// Validation for the page size; NotFound; InvalidMarker for a `marker` that is no version
    /// of the key's (0, or above its current version): no page ever ends there; a corrupt or
    /// missing version record.
    pub fn list_key_rotations(
        &mut self,
        key: &str,
        marker: Option<u32>,
        out: &mut [KeyVersionInfo],
    ) -> Result<Page<u32>, KmsError<H, S>> {
        self.audited(Operation::ListKeyRotations, |kms, audit_key| {
            check_range(Field::Limit, out.len() as u64, 1, MAX_LIST_LIMIT as u64)?;
            let (id, first, current) = {
                let record = kms.resolve_key(key, Field::KeyId, audit_key)?;
                // Retired versions stay valid markers (a page may have ended on one since retired).
                if marker.is_some_and(|m| m == 0 || m > record.current_number()) {
                    return Err(Error::InvalidMarker);
                }
                // The original version (1) is no rotation.
                let first = record.min_decryption_version().max(2).max(marker.unwrap_or(0).saturating_add(1));
                if let LoadedKey::Legacy(legacy) = record {
                    return Ok(fill(out, legacy.versions().filter(|v| v.number >= first).map(|v| v.info())));
                }
                (record.id(), first, record.current_number())
            };
            let mut count: usize = 0;
            let mut number = first;
            while number <= current {
                let Some(slot) = out.get_mut(count) else {
                    let last = count.checked_sub(1).and_then(|i| out.get(i)).map(|v| v.version);
                    return Ok(Page { count, next_marker: last, corrupt_records: 0 });
                };
                *slot = kms.load_version(&id, number)?.info();
                count = count.saturating_add(1);
                let Some(next) = number.checked_add(1) else { break };
                number = next;
            }
            Ok(Page { count, next_marker: None, corrupt_records: 0 })
        })
    }

    /// Retires every version older than `version`: their records are destroyed, so ciphertexts
    /// made under them can no longer be decrypted. Irreversible. `version` may be at most the
    /// current version and may not go below the present minimum.
    ///
    /// The key record is changed first, then the version records below the new minimum are
    /// removed: a crash in between leaves records no key refers to, which the maintenance call
    /// removes; none of them decrypts anything once the key record says so.
    ///
    /// # Errors
    /// Validation if `version` is outside (present minimum)..=(current version); InvalidState
    /// when pending deletion.
    pub fn set_minimum_decryption_version(&mut self, key: &str, version: u32) -> Result<(), KmsError<H, S>> {
        self.audited(Operation::SetMinimumDecryptionVersion, |kms, audit_key| {
            let id = kms.resolve(key, Field::KeyId)?;
            *audit_key = Some(id);
            let mut old = 0;
            kms.change_key(&id, |record| {
                let view = record.view();
                check_not_pending(view.state())?;
                old = view.min_decryption_version();
                check_range(
                    Field::MinimumDecryptionVersion,
                    u64::from(version),
                    u64::from(old),
                    u64::from(view.current_number()),
                )?;
                record.set_min_decryption_version(version);
                Ok(version > old)
            })?;
            kms.remove_versions(&id, old, version)
        })
    }

    /// Generates a new version of the key whose record [`Self::load_key_for_change`] left in the
    /// buffer, stores its version record, then makes it current in the key record (with
    /// `also`'s change) and stores that: a crash in between leaves a version record above the
    /// current one, which the maintenance call removes (or the next rotation overwrites).
    /// Returns the new number. No cap but the version number's own (`u32`).
    pub(super) fn add_version(
        &mut self,
        rotation_type: RotationType,
        now: Timestamp,
        also: impl FnOnce(&mut crate::key::record::KeyRecordMut<'_>),
    ) -> Result<u32, KmsError<H, S>> {
        let (id, number) = {
            let record = self.loaded_key()?;
            let number = record.current_number().checked_add(1).ok_or(Error::LimitExceeded(LimitKind::Versions))?;
            (record.id(), number)
        };
        let material = self.hsm.generate_key().map_err(hsm_err)?;
        let version = KeyVersion { number, created: now, rotation_type, material };
        self.save_version(&id, &version)?;
        let mut record = self.loaded_key_mut()?;
        record.set_current(&version);
        also(&mut record);
        self.store_loaded_key(&id)?;
        Ok(number)
    }
}

/// Copies `infos` into `out`, as one page.
fn fill(out: &mut [KeyVersionInfo], infos: impl Iterator<Item = KeyVersionInfo>) -> Page<u32> {
    let mut infos = infos.peekable();
    let mut count: usize = 0;
    for (slot, info) in out.iter_mut().zip(&mut infos) {
        *slot = info;
        count = count.saturating_add(1);
    }
    let more = infos.peek().is_some();
    let last = count.checked_sub(1).and_then(|i| out.get(i)).map(|v| v.version);
    Page { count, next_marker: if more { last } else { None }, corrupt_records: 0 }
}

/// `now` plus `days` days.
pub(super) fn next_rotation(now: Timestamp, days: u16) -> Timestamp {
    now.saturating_add(u64::from(days).saturating_mul(SECONDS_PER_DAY))
}
