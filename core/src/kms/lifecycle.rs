//! CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey, UpdateKeyDescription,
//! ScheduleKeyDeletion and CancelKeyDeletion.

use super::records::{LoadedKey, RecordName, check_not_pending};
use super::{Kms, KmsError, check_len, check_range, hsm_err};
use crate::audit::{AuditSink, Operation};
use crate::clock::{Clock, SECONDS_PER_DAY, Timestamp};
use crate::error::{Error, Field};
use crate::hsm::Hsm;
use crate::key::record::{KeyFields, Rotation};
use crate::key::version::KeyVersion;
use crate::key::{Description, KeyId, KeyMetadata, KeyState, MAX_DESCRIPTION_LEN, RotationType};
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

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink, const KEYS: usize> Kms<H, S, C, A, KEYS> {
    /// CreateKey: a new symmetric `ENCRYPT_DECRYPT` key, Enabled, with its first version. The
    /// answer has no description: it is the one the caller gave.
    ///
    /// # Errors
    /// Validation (description longer than 8192 bytes), `LimitExceeded` when the store is full,
    /// HSM and store failures.
    pub fn create_key(&mut self, description: &str) -> Result<KeyMetadata, KmsError<H, S>> {
        self.audited(Operation::CreateKey, |kms, audit_key| {
            check_len(Field::Description, description.len(), 0, MAX_DESCRIPTION_LEN)?;
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
            let first = KeyVersion { number: 1, created: now, rotation_type: RotationType::Original, material };
            let fields = KeyFields {
                id,
                state: KeyState::Enabled,
                creation_date: now,
                deletion: None,
                rotation: Rotation { enabled: false, period_days: 0, next_date: 0 },
                on_demand_rotations: 0,
                min_decryption_version: 1,
                current: first,
                seals_reserved: 0,
            };
            *audit_key = Some(id);
            // The key record last: until it is written the key does not exist, and a crash
            // leaves only records the maintenance call removes.
            kms.save_version(&id, &fields.current)?;
            let saved = kms.save_description(&id, description).and_then(|()| kms.save_new_key(&fields));
            if let Err(e) = saved {
                // A refused CreateKey (a full store, say) leaves the store as it was: the records
                // written before the failure are removed again (best effort: what a failed
                // removal leaves, no key refers to, and the maintenance call removes it).
                let name = id.to_text();
                let _ = kms.remove_record(RecordKind::Description, name.as_str());
                let _ = kms.remove_record(RecordKind::KeyVersion, crate::key::version::version_name(&id, 1).as_str());
                return Err(e);
            }
            let key = kms.load_key(&id)?;
            Ok(metadata(&key))
        })
    }

    /// DescribeKey, without the description (which is a record of its own: see
    /// [`describe_key_with_description`](Self::describe_key_with_description)). Reads only the
    /// key record.
    ///
    /// # Errors
    /// NotFound, a malformed reference, a corrupt record, HSM and store failures.
    pub fn describe_key(&mut self, key: &str) -> Result<KeyMetadata, KmsError<H, S>> {
        self.audited(Operation::DescribeKey, |kms, audit_key| {
            let loaded = kms.resolve_key(key, Field::KeyId, audit_key)?;
            Ok(metadata(&loaded))
        })
    }

    /// DescribeKey with the description, which is written into `description` (cleared first;
    /// empty when the key has none). One operation and one audit event, as
    /// [`describe_key`](Self::describe_key).
    ///
    /// # Errors
    /// As [`describe_key`](Self::describe_key); a corrupt description record.
    pub fn describe_key_with_description(
        &mut self,
        key: &str,
        description: &mut Description,
    ) -> Result<KeyMetadata, KmsError<H, S>> {
        self.audited(Operation::DescribeKey, |kms, audit_key| {
            description.clear();
            let (meta, legacy) = {
                let loaded = kms.resolve_key(key, Field::KeyId, audit_key)?;
                let legacy = match &loaded {
                    LoadedKey::Legacy(l) => {
                        description.push_str(l.description()).map_err(|_| Error::CorruptRecord)?;
                        true
                    }
                    LoadedKey::Current(_) => false,
                };
                (metadata(&loaded), legacy)
            };
            if !legacy {
                kms.load_description(&meta.key_id, description)?;
            }
            Ok(meta)
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
            let id = kms.resolve(key, Field::KeyId)?;
            *audit_key = Some(id);
            kms.change_key(&id, |record| {
                let before = record.view().state();
                check_not_pending(before)?;
                record.set_state(state);
                Ok(before != state)
            })
        })
    }

    /// UpdateKeyDescription. Writes only the description record (removes it for an empty
    /// description); the key record is rewritten only if it is in format 1.
    ///
    /// # Errors
    /// Validation (longer than 8192 bytes); InvalidState for a key pending deletion.
    pub fn update_key_description(&mut self, key: &str, description: &str) -> Result<(), KmsError<H, S>> {
        self.audited(Operation::UpdateKeyDescription, |kms, audit_key| {
            check_len(Field::Description, description.len(), 0, MAX_DESCRIPTION_LEN)?;
            let id = kms.resolve(key, Field::KeyId)?;
            *audit_key = Some(id);
            kms.load_key_for_change(&id)?;
            check_not_pending(kms.loaded_key()?.state())?;
            kms.save_description(&id, description)
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
            let id = kms.resolve(key, Field::KeyId)?;
            *audit_key = Some(id);
            let deletion_date = kms.now()?.saturating_add(u64::from(days).saturating_mul(SECONDS_PER_DAY));
            kms.change_key(&id, |record| {
                check_not_pending(record.view().state())?;
                record.set_state(KeyState::PendingDeletion);
                record.set_deletion(Some((deletion_date, days)));
                Ok(true)
            })?;
            Ok(DeletionScheduled { key_id: id, deletion_date, pending_window_in_days: days })
        })
    }

    /// CancelKeyDeletion: the key returns to Disabled (as in AWS KMS: enable it to use it).
    ///
    /// # Errors
    /// InvalidState if the key is not pending deletion.
    pub fn cancel_key_deletion(&mut self, key: &str) -> Result<KeyId, KmsError<H, S>> {
        self.audited(Operation::CancelKeyDeletion, |kms, audit_key| {
            let id = kms.resolve(key, Field::KeyId)?;
            *audit_key = Some(id);
            kms.change_key(&id, |record| {
                let state = record.view().state();
                if state != KeyState::PendingDeletion {
                    return Err(Error::InvalidState(state));
                }
                record.set_state(KeyState::Disabled);
                record.set_deletion(None);
                Ok(true)
            })?;
            Ok(id)
        })
    }
}

/// DescribeKey's answer for a loaded key record.
pub(super) fn metadata(key: &LoadedKey<'_>) -> KeyMetadata {
    let state = key.state();
    let deletion = key.deletion();
    KeyMetadata {
        key_id: key.id(),
        creation_date: key.creation_date(),
        enabled: state == KeyState::Enabled,
        key_state: state,
        deletion_date: deletion.map(|d| d.0),
        pending_deletion_window_in_days: deletion.map(|d| d.1),
        current_version: key.current_number(),
        minimum_decryption_version: key.min_decryption_version(),
    }
}
