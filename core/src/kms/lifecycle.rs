//! CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey, UpdateKeyDescription,
//! ScheduleKeyDeletion and CancelKeyDeletion.

use heapless::{String, Vec};

use super::records::{RecordName, check_not_pending};
use super::{Kms, KmsError, check_len, check_range, hsm_err, malformed};
use crate::audit::{AuditSink, Operation};
use crate::clock::{Clock, SECONDS_PER_DAY, Timestamp};
use crate::error::{Error, Field};
use crate::hsm::Hsm;
use crate::key::record::{KeyRecord, KeyVersion, Rotation};
use crate::key::{KeyId, KeyMetadata, KeyState, MAX_DESCRIPTION_LEN, RotationType};
use crate::store::{KeyStore, RecordKind};

/// Shortest deletion waiting period, in days.
pub const MIN_PENDING_WINDOW_DAYS: u16 = 7;
/// Longest deletion waiting period, in days.
pub const MAX_PENDING_WINDOW_DAYS: u16 = 30;
/// Waiting period when none is given.
pub const DEFAULT_PENDING_WINDOW_DAYS: u16 = 30;
/// Largest page a list operation returns (AWS `Limit`).
pub const MAX_LIST_LIMIT: usize = 1000;

/// One page of a list operation: how many entries were written to the caller's slice, and the
/// marker to pass for the next page when there is more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<M> {
    /// Entries written, from the start of the caller's slice.
    pub count: usize,
    /// Where the next page starts; `None` on the last page (AWS `Truncated` = false).
    pub next_marker: Option<M>,
    /// Records this page passed over because they failed authentication or did not decode
    /// (ListAliases: a corrupt alias record is counted and left out, as the maintenance call
    /// does, rather than failing the whole list). 0 for the other lists.
    pub corrupt_records: u32,
}

/// ScheduleKeyDeletion's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeletionScheduled {
    /// The key.
    pub key_id: KeyId,
    /// When the maintenance call may destroy it.
    pub deletion_date: Timestamp,
    /// The waiting period applied.
    pub pending_window_in_days: u16,
}

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink> Kms<H, S, C, A> {
    /// CreateKey: a new symmetric `ENCRYPT_DECRYPT` key, Enabled, with its first version.
    ///
    /// # Errors
    /// Validation (description longer than 8192 bytes), `LimitExceeded` when the store is full,
    /// HSM and store failures.
    pub fn create_key(&mut self, description: &str) -> Result<KeyMetadata, KmsError<H, S>> {
        self.audited(Operation::CreateKey, |kms, audit_key| {
            check_len(Field::Description, description.len(), 0, MAX_DESCRIPTION_LEN)?;
            let description = String::try_from(description).map_err(|_| malformed(Field::Description))?;
            let now = kms.now()?;
            let mut raw = [0u8; 16];
            kms.hsm.fill_random(&mut raw).map_err(hsm_err)?;
            let id = KeyId::from_random(raw);
            // 122 random bits make a collision practically impossible; refusing one is still
            // cheaper than overwriting a key.
            if kms.key_exists(&id)? {
                return Err(Error::AlreadyExists);
            }
            let material = kms.hsm.generate_key().map_err(hsm_err)?;
            let mut versions = Vec::new();
            let first = KeyVersion { number: 1, created: now, rotation_type: RotationType::Original, material };
            // An empty vector has room for one: failing here is a bug.
            versions.push(first).map_err(|_| Error::Internal)?;
            let record = KeyRecord {
                id,
                state: KeyState::Enabled,
                creation_date: now,
                deletion_date: None,
                pending_window_days: None,
                rotation: Rotation { enabled: false, period_days: 0, next_date: 0 },
                description,
                versions,
            };
            *audit_key = Some(id);
            kms.save_key(&record)?;
            Ok(kms.metadata(&record))
        })
    }

    /// DescribeKey.
    ///
    /// # Errors
    /// NotFound, a malformed reference, a corrupt record, HSM and store failures.
    pub fn describe_key(&mut self, key: &str) -> Result<KeyMetadata, KmsError<H, S>> {
        self.audited(Operation::DescribeKey, |kms, audit_key| {
            let record = kms.resolve_record(key, Field::KeyId, audit_key)?;
            Ok(kms.metadata(&record))
        })
    }

    /// ListKeys: key ids in id order, starting after `marker`, filling `out` (whose length,
    /// 1 to 1000, is the page size: AWS `Limit`).
    ///
    /// # Errors
    /// Validation for an `out` of 0 or more than 1000 entries; store failures.
    pub fn list_keys(&mut self, marker: Option<&KeyId>, out: &mut [KeyId]) -> Result<Page<KeyId>, KmsError<H, S>> {
        self.audited(Operation::ListKeys, |kms, _| {
            check_range(Field::Limit, out.len() as u64, 1, MAX_LIST_LIMIT as u64)?;
            let mut after: Option<RecordName> = marker.and_then(|m| RecordName::try_from(m.to_text().as_str()).ok());
            let mut count = 0;
            loop {
                let Some(name) = kms.next_record_name(RecordKind::Key, after.as_deref())? else {
                    return Ok(Page { count, next_marker: None, corrupt_records: 0 });
                };
                // A name that is no key id is no key (stray data in the store): not listed.
                let parsed = KeyId::parse(&name);
                after = Some(name);
                let Some(id) = parsed else { continue };
                let Some(slot) = out.get_mut(count) else {
                    // The page is full and there is at least one more key.
                    let last = count.checked_sub(1).and_then(|i| out.get(i)).copied();
                    return Ok(Page { count, next_marker: last, corrupt_records: 0 });
                };
                *slot = id;
                count = count.saturating_add(1);
            }
        })
    }

    /// EnableKey. Enabling an enabled key does nothing.
    ///
    /// # Errors
    /// InvalidState for a key pending deletion (cancel the deletion first).
    pub fn enable_key(&mut self, key: &str) -> Result<(), KmsError<H, S>> {
        self.set_state(Operation::EnableKey, key, KeyState::Enabled)
    }

    /// DisableKey: the key refuses cryptographic use until enabled again.
    ///
    /// # Errors
    /// InvalidState for a key pending deletion.
    pub fn disable_key(&mut self, key: &str) -> Result<(), KmsError<H, S>> {
        self.set_state(Operation::DisableKey, key, KeyState::Disabled)
    }

    fn set_state(&mut self, op: Operation, key: &str, state: KeyState) -> Result<(), KmsError<H, S>> {
        self.audited(op, |kms, audit_key| {
            let mut record = kms.resolve_record(key, Field::KeyId, audit_key)?;
            check_not_pending(&record)?;
            if record.state != state {
                record.state = state;
                kms.save_key(&record)?;
            }
            Ok(())
        })
    }

    /// UpdateKeyDescription.
    ///
    /// # Errors
    /// Validation (longer than 8192 bytes); InvalidState for a key pending deletion.
    pub fn update_key_description(&mut self, key: &str, description: &str) -> Result<(), KmsError<H, S>> {
        self.audited(Operation::UpdateKeyDescription, |kms, audit_key| {
            check_len(Field::Description, description.len(), 0, MAX_DESCRIPTION_LEN)?;
            let mut record = kms.resolve_record(key, Field::KeyId, audit_key)?;
            check_not_pending(&record)?;
            record.description = String::try_from(description).map_err(|_| malformed(Field::Description))?;
            kms.save_key(&record)
        })
    }

    /// ScheduleKeyDeletion: after `pending_window_in_days` (7 to 30, default 30) the maintenance
    /// call destroys the key. Until then it refuses every cryptographic use.
    ///
    /// # Errors
    /// Validation for a window outside 7..=30; InvalidState if deletion is already scheduled.
    pub fn schedule_key_deletion(
        &mut self,
        key: &str,
        pending_window_in_days: Option<u16>,
    ) -> Result<DeletionScheduled, KmsError<H, S>> {
        self.audited(Operation::ScheduleKeyDeletion, |kms, audit_key| {
            let days = pending_window_in_days.unwrap_or(DEFAULT_PENDING_WINDOW_DAYS);
            check_range(
                Field::PendingWindowInDays,
                u64::from(days),
                u64::from(MIN_PENDING_WINDOW_DAYS),
                u64::from(MAX_PENDING_WINDOW_DAYS),
            )?;
            let mut record = kms.resolve_record(key, Field::KeyId, audit_key)?;
            check_not_pending(&record)?;
            let deletion_date = kms.now()?.saturating_add(u64::from(days).saturating_mul(SECONDS_PER_DAY));
            record.state = KeyState::PendingDeletion;
            record.deletion_date = Some(deletion_date);
            record.pending_window_days = Some(days);
            kms.save_key(&record)?;
            Ok(DeletionScheduled { key_id: record.id, deletion_date, pending_window_in_days: days })
        })
    }

    /// CancelKeyDeletion: the key returns to Disabled (as in AWS KMS: enable it to use it).
    ///
    /// # Errors
    /// InvalidState if the key is not pending deletion.
    pub fn cancel_key_deletion(&mut self, key: &str) -> Result<KeyId, KmsError<H, S>> {
        self.audited(Operation::CancelKeyDeletion, |kms, audit_key| {
            let mut record = kms.resolve_record(key, Field::KeyId, audit_key)?;
            if record.state != KeyState::PendingDeletion {
                return Err(Error::InvalidState(record.state));
            }
            record.state = KeyState::Disabled;
            record.deletion_date = None;
            record.pending_window_days = None;
            kms.save_key(&record)?;
            Ok(record.id)
        })
    }

    pub(super) fn metadata(&self, record: &KeyRecord) -> KeyMetadata {
        KeyMetadata {
            key_id: record.id,
            arn: self.config.arn.key_arn(&record.id),
            creation_date: record.creation_date,
            enabled: record.state == KeyState::Enabled,
            description: record.description.clone(),
            key_state: record.state,
            deletion_date: record.deletion_date,
            pending_deletion_window_in_days: record.pending_window_days,
            current_version: record.current().map_or(0, |v| v.number),
            minimum_decryption_version: record.min_decryption_version(),
        }
    }
}
