//! Reserving a seal before each seal, so that no key version seals more than its budget
//! ([`SealBudget`](super::SealBudget)), across restarts, crashes and façades sharing a store.
//!
//! The key record counts the seals reserved under its current version. A façade reserves a
//! batch by rewriting that count (through the store's own write path, so façades that take
//! the store's lock in turn reserve disjoint batches) before it uses any seal of the batch, and
//! keeps the rest in its [`SealReservations`]: a crash loses the rest, which stays counted.
//!
//! When the budget of the current version is used up, the next seal first rotates the key (a
//! version of type automatic, made through the same path as a scheduled rotation, with a
//! `RotateKey` audit event) and seals under the new version. Why rotation rather than refusal:
//! `docs/SEAL-BUDGET.md`.

use super::records::check_usable;
use super::seal_reservations::SealReservations;
use super::{Kms, KmsError};
use crate::audit::{AuditEvent, AuditSink, Operation, Outcome};
use crate::clock::Clock;
use crate::hsm::Hsm;
use crate::key::version::KeyVersion;
use crate::key::{KeyId, RotationType};
use crate::store::KeyStore;

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink, const KEYS: usize> Kms<H, S, C, A, KEYS> {
    /// Takes this façade's unused seal reservations out, leaving it none: to hand them to the
    /// next façade over the **same store** ([`set_seal_reservations`](Self::set_seal_reservations)),
    /// as a server that builds a façade per request does. Dropping them instead is safe: their
    /// seals stay counted as used.
    pub fn take_seal_reservations(&mut self) -> SealReservations {
        core::mem::take(&mut self.seals)
    }

    /// Gives this façade the reservations an earlier façade over the same store took out with
    /// [`take_seal_reservations`](Self::take_seal_reservations) (its own, if any, are dropped:
    /// counted as used). Reservations from another store would let that store's versions seal
    /// more than its records count; key ids are random, so they match none of its keys unless
    /// it is a copy of this store.
    pub fn set_seal_reservations(&mut self, reservations: SealReservations) {
        self.seals = reservations;
    }

    /// Reserves one seal under key `id`'s current version, which the caller read as `version`
    /// from a record it found usable, and returns the version to seal under: `version` while its
    /// reservation lasts; else the current version after a key record write that reserves the
    /// next batch, or, when the budget of that version is used up, a new version.
    ///
    /// # Errors
    /// As the key record's load and store (NotFound, CorruptRecord, StoreFull, ...); Disabled or
    /// InvalidState if the key changed state since the caller read it; for a rotation, the HSM's
    /// failures and LimitExceeded(Versions).
    pub(super) fn reserve_seal(&mut self, id: KeyId, version: &KeyVersion) -> Result<KeyVersion, KmsError<H, S>> {
        if self.seals.take(&id, version.number) {
            return Ok(version.clone());
        }
        self.load_key_for_change(&id)?;
        let (current, reserved) = {
            let record = self.loaded_key()?;
            // Read again for the write: another façade may have changed the key since.
            check_usable(record.state())?;
            (record.current(), record.seals_reserved())
        };
        let budget = self.config.seal_budget;
        let (version, start, end) = if reserved < budget.per_version() {
            let end = budget.batch_end(reserved);
            self.loaded_key_mut()?.set_seals_reserved(end);
            self.store_loaded_key(&id)?;
            (current, reserved, end)
        } else {
            let end = budget.batch_end(0);
            (self.rotate_for_budget(&id, end)?, 0, end)
        };
        // This seal is the batch's first.
        self.seals.insert(id, version.number, end.saturating_sub(start).saturating_sub(1));
        Ok(version)
    }

    /// Rotates key `id` (its record loaded for change) because its current version's budget is
    /// used up, with `first_batch` seals reserved under the new version in the same write, and
    /// records a `RotateKey` event. The automatic schedule and the on-demand count are unchanged.
    fn rotate_for_budget(&mut self, id: &KeyId, first_batch: u64) -> Result<KeyVersion, KmsError<H, S>> {
        let now = self.now()?;
        let rotated = self.add_version(RotationType::Automatic, now, |record| record.set_seals_reserved(first_batch));
        let outcome = match &rotated {
            Ok(_) => Outcome::Success,
            Err(e) => Outcome::Failure(e.code()),
        };
        self.audit.record(&AuditEvent { operation: Operation::RotateKey, key_id: Some(*id), outcome, time: now });
        rotated?;
        Ok(self.loaded_key()?.current())
    }
}
