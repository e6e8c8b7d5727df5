//! The maintenance call: applies due rotations and destroys keys whose deletion date has passed.
//!
//! `no_std` has no timer, so nothing happens by itself: the owner calls
//! [`Kms::maintenance`] periodically (a device at boot and then daily, a service from a timer).

use super::records::RecordName;
use super::rotation::next_rotation;
use super::{Kms, KmsError, store_err};
use crate::audit::{AuditEvent, AuditSink, Operation, Outcome};
use crate::clock::Clock;
use crate::error::Error;
use crate::hsm::Hsm;
use crate::key::{AliasName, KeyId, KeyState, RotationType};
use crate::store::{KeyStore, RecordKind};

/// What one maintenance pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MaintenanceReport {
    /// Keys rotated because their rotation date had come.
    pub rotated: u32,
    /// Keys destroyed because their deletion date had passed.
    pub deleted: u32,
    /// Aliases removed with the keys they pointed at.
    pub aliases_deleted: u32,
    /// Keys due for rotation that could not rotate (version limit reached, HSM failure); each
    /// also has a failure audit event. They are tried again on the next pass.
    pub rotation_failures: u32,
    /// Records that failed authentication and were left untouched.
    pub corrupt_records: u32,
}

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink> Kms<H, S, C, A> {
    /// Applies what is due at the clock's current time. A record that fails authentication is
    /// counted and skipped, never modified.
    ///
    /// # Errors
    /// The clock, or a store failure while walking the keys.
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
            let mut record = match self.load_key(&id) {
                Ok(record) => record,
                Err(Error::CorruptRecord) => {
                    report.corrupt_records = report.corrupt_records.saturating_add(1);
                    continue;
                }
                Err(e) => return Err(e),
            };
            match record.state {
                KeyState::PendingDeletion if record.deletion_date.is_some_and(|d| d <= now) => {
                    let result = self.destroy_key(&id, &mut report);
                    self.record_event(Operation::DeleteKey, id, &result, now);
                    result?;
                    report.deleted = report.deleted.saturating_add(1);
                }
                KeyState::Enabled if record.rotation.enabled && record.rotation.next_date <= now => {
                    let result = self.add_version(&mut record, RotationType::Automatic, now).and_then(|_| {
                        record.rotation.next_date = next_rotation(now, record.rotation.period_days);
                        self.save_key(&record)
                    });
                    self.record_event(Operation::RotateKey, id, &result, now);
                    match result {
                        Ok(()) => report.rotated = report.rotated.saturating_add(1),
                        Err(_) => report.rotation_failures = report.rotation_failures.saturating_add(1),
                    }
                }
                _ => {}
            }
        }
        Ok(report)
    }

    /// Removes every alias pointing at `id`, then the key record with all its versions'
    /// material. A corrupt alias record is counted and left alone: it cannot be trusted to say
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
                    self.store.remove(RecordKind::Alias, name.as_str()).map_err(store_err)?;
                    report.aliases_deleted = report.aliases_deleted.saturating_add(1);
                }
                Ok(_) => {}
                Err(Error::CorruptRecord) => report.corrupt_records = report.corrupt_records.saturating_add(1),
                Err(e) => return Err(e),
            }
        }
        let key_name = id.to_text();
        self.store.remove(RecordKind::Key, key_name.as_str()).map_err(store_err)?;
        Ok(())
    }

    fn record_event<T>(&mut self, operation: Operation, id: KeyId, result: &Result<T, KmsError<H, S>>, time: u64) {
        let outcome = match result {
            Ok(_) => Outcome::Success,
            Err(e) => Outcome::Failure(e.code()),
        };
        self.audit.record(&AuditEvent { operation, key_id: Some(id), outcome, time });
    }
}
