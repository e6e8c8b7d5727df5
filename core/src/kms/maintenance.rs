//! The maintenance call: applies due rotations and destroys keys whose deletion date has passed.
//!
//! `no_std` has no timer, so nothing happens by itself: the owner calls
//! [`Kms::maintenance`] periodically (a device at boot and then daily, a service from a timer).

use super::records::RecordName;
use super::rotation::next_rotation;
use super::{Kms, KmsError};
use crate::audit::{AuditEvent, AuditSink, Operation, Outcome};
use crate::clock::{Clock, Timestamp};
use crate::error::Error;
use crate::hsm::Hsm;
use crate::key::record::Rotation;
use crate::key::version::{parse_version_name, version_prefix};
use crate::key::{AliasName, KeyId, KeyState, RotationType};
use crate::store::{KeyStore, RecordKind};

/// How old (by its own creation date, in seconds of the façade's clock) a version record that
/// no key record refers to must be before the maintenance call removes it: one hour. A
/// rotation or CreateKey writes its version record first and its key record next, a few store
/// calls later; a younger record may be one whose key record another node is about to write.
/// The bound assumes no node takes longer than this between those two writes and that the
/// nodes' clocks agree within it (a node stalled longer than that fails its key record write
/// on a compare-and-swap store only if the key record changed meanwhile).
pub const ORPHAN_GRACE: u64 = 3600;

/// What one maintenance pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MaintenanceReport {
    /// Keys rotated because their rotation date had come.
    pub rotated: u32,
    /// Keys destroyed because their deletion date had passed.
    pub deleted: u32,
    /// Aliases removed with the keys they pointed at.
    pub aliases_deleted: u32,
    /// Keys due for rotation that could not rotate (HSM failure, a full store); each also has a
    /// failure audit event. They are tried again on the next pass.
    pub rotation_failures: u32,
    /// Records that failed authentication and were left untouched.
    pub corrupt_records: u32,
    /// Key records of an older format rewritten in the current one.
    pub upgraded: u32,
    /// Key records of an older format that could not be rewritten (a full store, an HSM
    /// failure): left as they are, still usable, tried again on the next pass. Nothing else is
    /// done to such a key in this pass.
    pub upgrade_failures: u32,
    /// Version and description records that no key refers to (left by a crash between the
    /// writes of one operation, or by a retired version's removal), removed; one that may
    /// belong to an operation still running elsewhere is kept until it is older than
    /// [`ORPHAN_GRACE`].
    pub orphans_removed: u32,
}

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink, const KEYS: usize> Kms<H, S, C, A, KEYS> {
    /// Applies what is due at the clock's current time, rewrites older-format key records in the
    /// current one, and removes version and description records no key refers to. A record that
    /// fails authentication is counted and skipped, never modified.
    ///
    /// # Errors
    /// The clock, or a store failure while walking the records.
    pub fn maintenance(&mut self) -> Result<MaintenanceReport, KmsError<H, S>> {
        let now = self.now()?;
        let mut report = MaintenanceReport::default();
        let mut after: Option<RecordName> = None;
        while let Some(name) = self.next_record_name(RecordKind::Key, after.as_deref())? {
            let parsed = KeyId::parse(&name);
            after = Some(name);
            // A name that is no key id is stray data, not a key: count it and walk on.
            let Some(id) = parsed else {
                report.corrupt_records = report.corrupt_records.saturating_add(1);
                continue;
            };
            let (legacy, state, deletion, rotation) = match self.load_key(&id) {
                Ok(record) => (record.is_legacy(), record.state(), record.deletion(), record.rotation()),
                Err(Error::CorruptRecord) => {
                    report.corrupt_records = report.corrupt_records.saturating_add(1);
                    continue;
                }
                Err(e) => return Err(e),
            };
            if legacy {
                if self.upgrade_key(&id).is_err() {
                    report.upgrade_failures = report.upgrade_failures.saturating_add(1);
                    continue;
                }
                report.upgraded = report.upgraded.saturating_add(1);
            }
            match state {
                KeyState::PendingDeletion if deletion.is_some_and(|(d, _)| d <= now) => {
                    let result = self.destroy_key(&id, &mut report);
                    self.record_event(Operation::DeleteKey, id, &result, now);
                    result?;
                    report.deleted = report.deleted.saturating_add(1);
                }
                KeyState::Enabled if rotation.enabled && rotation.next_date <= now => {
                    let result = self.rotate_due(&id, rotation, now);
                    self.record_event(Operation::RotateKey, id, &result, now);
                    match result {
                        Ok(_) => report.rotated = report.rotated.saturating_add(1),
                        Err(_) => report.rotation_failures = report.rotation_failures.saturating_add(1),
                    }
                }
                _ => {}
            }
        }
        self.remove_orphans(now, &mut report)?;
        Ok(report)
    }

    /// Adds an automatic version to key `id` and moves its next rotation date on.
    fn rotate_due(&mut self, id: &KeyId, rotation: Rotation, now: Timestamp) -> Result<u32, KmsError<H, S>> {
        self.load_key_for_change(id)?;
        self.add_version(RotationType::Automatic, now, |record| {
            record.set_rotation(Rotation { next_date: next_rotation(now, rotation.period_days), ..rotation });
        })
    }

    /// Removes every alias pointing at `id`, then the key record, then its version and
    /// description records (a crash between leaves only records the next pass removes as
    /// orphans). A corrupt alias record is counted and left alone: it cannot be trusted to say
    /// where it points, and it must not keep a due key alive.
    fn destroy_key(&mut self, id: &KeyId, report: &mut MaintenanceReport) -> Result<(), KmsError<H, S>> {
        let mut after: Option<RecordName> = None;
        while let Some(text) = self.next_record_name(RecordKind::Alias, after.as_deref())? {
            let parsed = AliasName::parse(&text);
            after = Some(text);
            let Ok(name) = parsed else {
                report.corrupt_records = report.corrupt_records.saturating_add(1);
                continue;
            };
            match self.load_alias(&name) {
                Ok(Some(alias)) if alias.target == *id => {
                    self.remove_record(RecordKind::Alias, name.as_str())?;
                    report.aliases_deleted = report.aliases_deleted.saturating_add(1);
                }
                Ok(_) => {}
                Err(Error::CorruptRecord) => report.corrupt_records = report.corrupt_records.saturating_add(1),
                Err(e) => return Err(e),
            }
        }
        let (min, current) = {
            let record = self.load_key(id)?;
            (record.min_decryption_version(), record.current_number())
        };
        let key_name = id.to_text();
        self.remove_record(RecordKind::Key, key_name.as_str())?;
        self.remove_versions(id, min, current.saturating_add(1))?;
        self.remove_record(RecordKind::Description, key_name.as_str())?;
        Ok(())
    }

    /// Removes version records no key refers to, and description records of keys that are gone.
    /// A key record that does not authenticate keeps its records: nothing is removed on the
    /// word of a record that cannot be trusted.
    ///
    /// The rule, which holds with several nodes on one compare-and-swap store as with one
    /// process on the directory store (see `docs/POSTGRES.md`):
    ///
    /// - a version below its key's minimum decryption version is removed at once: the minimum
    ///   never goes down, so no operation anywhere will make that version live again;
    /// - a version above its key's current one, or of a key that has no record, is what a
    ///   rotation or a CreateKey writes *before* the key record that refers to it. Such a record
    ///   is removed only once it is older than [`ORPHAN_GRACE`] by its own creation date (or
    ///   if it does not authenticate, which no Coffer write in flight produces): a younger one
    ///   may belong to an operation another node has not finished, and removing it would leave
    ///   that node's key record naming a version that is gone;
    /// - a description of a key that has no record is removed only when the key has no version
    ///   record either: CreateKey writes version 1 before the description, so a CreateKey in
    ///   flight always shows one.
    fn remove_orphans(&mut self, now: Timestamp, report: &mut MaintenanceReport) -> Result<(), KmsError<H, S>> {
        // Versions are named `<key id>/<number>`, so one key's are adjacent: its record is read
        // once for all of them. `None`: the key is gone; `Some(None)`: leave its records alone.
        let mut key: Option<(KeyId, Option<(u32, u32)>)> = None;
        let mut after: Option<RecordName> = None;
        while let Some(name) = self.next_record_name(RecordKind::KeyVersion, after.as_deref())? {
            let parsed = parse_version_name(&name);
            after = Some(name);
            let Some((id, number)) = parsed else {
                report.corrupt_records = report.corrupt_records.saturating_add(1);
                continue;
            };
            let range = match key {
                Some((known, range)) if known == id => range,
                _ => {
                    let range = self.live_versions(&id)?;
                    key = Some((id, range));
                    range
                }
            };
            let remove = match range {
                Some((min, _)) if number < min => true,
                Some((_, current)) if number <= current => false,
                _ => self.outlived_grace(&id, number, now)?,
            };
            if remove && let Some(name) = after.as_deref() {
                self.remove_record(RecordKind::KeyVersion, name)?;
                report.orphans_removed = report.orphans_removed.saturating_add(1);
            }
        }
        let mut after: Option<RecordName> = None;
        while let Some(name) = self.next_record_name(RecordKind::Description, after.as_deref())? {
            let parsed = KeyId::parse(&name);
            after = Some(name);
            let gone = match parsed {
                Some(id) => matches!(self.load_key(&id), Err(Error::NotFound)) && !self.has_versions(&id)?,
                None => true,
            };
            if gone && let Some(name) = after.as_deref() {
                self.remove_record(RecordKind::Description, name)?;
                report.orphans_removed = report.orphans_removed.saturating_add(1);
            }
        }
        Ok(())
    }

    /// True if version `number` of key `id`, which no key record refers to, is older than
    /// [`ORPHAN_GRACE`] at `now`, or does not authenticate (or went meanwhile).
    fn outlived_grace(&mut self, id: &KeyId, number: u32, now: Timestamp) -> Result<bool, KmsError<H, S>> {
        match self.load_version(id, number) {
            Ok(version) => Ok(version.created.saturating_add(ORPHAN_GRACE) <= now),
            Err(Error::CorruptRecord) => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// True if the store holds a version record of key `id`.
    fn has_versions(&mut self, id: &KeyId) -> Result<bool, KmsError<H, S>> {
        let prefix = version_prefix(id);
        // `<id>/` sorts just before every `<id>/<number>`.
        let next = self.next_record_name(RecordKind::KeyVersion, Some(prefix.as_str()))?;
        Ok(next.is_some_and(|name| name.starts_with(prefix.as_str())))
    }

    /// The versions key `id` refers to: `Some((min, current))`; `None` if the key is gone. A
    /// key whose record does not authenticate, or is still in format 1, keeps every version.
    fn live_versions(&mut self, id: &KeyId) -> Result<Option<(u32, u32)>, KmsError<H, S>> {
        match self.load_key(id) {
            Ok(record) if record.is_legacy() => Ok(Some((0, u32::MAX))),
            Ok(record) => Ok(Some((record.min_decryption_version(), record.current_number()))),
            Err(Error::NotFound) => Ok(None),
            Err(Error::CorruptRecord) => Ok(Some((0, u32::MAX))),
            Err(e) => Err(e),
        }
    }

    fn record_event<T>(&mut self, operation: Operation, id: KeyId, result: &Result<T, KmsError<H, S>>, time: u64) {
        let outcome = match result {
            Ok(_) => Outcome::Success,
            Err(e) => Outcome::Failure(e.code()),
        };
        self.audit.record(&AuditEvent { operation, key_id: Some(id), outcome, time });
    }
}
