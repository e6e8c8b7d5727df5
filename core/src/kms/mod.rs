//! The KMS façade: one [`Kms`] owning an [`Hsm`], a [`KeyStore`], a [`Clock`] and an
//! [`AuditSink`], offering the AWS KMS operations for symmetric keys.
//!
//! Every operation validates its whole request before changing anything, emits exactly one
//! audit event (success or failure), and returns a typed [`Error`].
//!
//! The operations are spread by topic: [`lifecycle`](self) (create, describe, list, enable,
//! disable, deletion), aliases, rotation, cryptographic operations, and maintenance.

mod aliases;
mod answers;
mod crypto;
mod lifecycle;
mod loaded_keys;
mod maintenance;
mod owned;
mod records;
mod rotation;
mod seal_budget;
mod seal_reservations;
mod seal_reserve;
mod verified;

pub use answers::{Opened, ReSealed, Sealed};
pub use lifecycle::{
    DEFAULT_PENDING_WINDOW_DAYS, DeletionScheduled, MAX_LIST_LIMIT, MAX_PENDING_WINDOW_DAYS, MIN_PENDING_WINDOW_DAYS,
    Page,
};
pub use loaded_keys::DEFAULT_LOADED_KEYS;
pub use maintenance::{MaintenanceReport, ORPHAN_GRACE};
pub use owned::{Decrypted, Encrypted, ReEncrypted};
pub use rotation::{DEFAULT_ROTATION_PERIOD_DAYS, MAX_ROTATION_PERIOD_DAYS, MIN_ROTATION_PERIOD_DAYS};
pub use seal_budget::{
    DEFAULT_SEAL_BATCH, DEFAULT_SEALS_PER_VERSION, MAX_SEALS_PER_VERSION, SealBudget, SealBudgetError,
};
pub use seal_reservations::{SEAL_RESERVATIONS, SealReservations};

use crate::audit::{AuditEvent, AuditSink, Operation, Outcome};
use crate::clock::{Clock, Timestamp};
use crate::error::{Error, Field, Problem, ValidationError};
use crate::hsm::{Capabilities, Hsm, HsmError};
use crate::key::{ArnPrefix, KeyId};
use crate::store::{KeyStore, RecordBuffer, StoreError};

/// The error type of a [`Kms`] over backend `H` and store `S`.
pub type KmsError<H, S> = Error<<H as Hsm>::Error, <S as KeyStore>::Error>;

/// On-demand rotations a key may have by default (AWS KMS's limit).
pub const DEFAULT_MAX_ON_DEMAND_ROTATIONS: u32 = 25;

/// Settings of a [`Kms`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsConfig {
    /// Partition, region and account that key and alias ARNs carry.
    pub arn: ArnPrefix,
    /// RotateKeyOnDemand calls a key allows in its life; the next is refused with
    /// `LimitExceeded(OnDemandRotations)`. Automatic rotation has no limit.
    pub max_on_demand_rotations: u32,
    /// Seals a key version may make (2^32 by default: SP 800-38D's limit for random nonces)
    /// and how many a key record write reserves (65,536). The seal after the last one rotates
    /// the key first; that rotation counts against no on-demand cap (`docs/SEAL-BUDGET.md`).
    pub seal_budget: SealBudget,
}

impl Default for KmsConfig {
    fn default() -> Self {
        Self {
            arn: ArnPrefix::default(),
            max_on_demand_rotations: DEFAULT_MAX_ON_DEMAND_ROTATIONS,
            seal_budget: SealBudget::default(),
        }
    }
}

/// The key-management façade.
///
/// It holds one buffer for sealed records, of the store's choosing ([`KeyStore::RecordBuf`]:
/// [`MAX_RECORD_LEN`](crate::store::MAX_RECORD_LEN), about 10 KiB, takes the largest record an
/// old store may hold; a device may choose 256 bytes). Records are read in place in that buffer: a key record is 193 bytes, and Encrypt and Decrypt read
/// only it (and, for an older version, that version's record), never the description.
///
/// It keeps up to `KEYS` key versions loaded in the HSM between calls (see
/// [`DEFAULT_LOADED_KEYS`]; 0 loads and releases each version on every use): the HSM needs that
/// many key slots free for the façade, and releases them when the façade is dropped. A record
/// change drops the key's loaded versions; the state of the key is checked on every call
/// whatever is loaded. The details: `core/src/kms/loaded_keys.rs` and `docs/LOADED_KEYS.md`.
pub struct Kms<H: Hsm, S: KeyStore, C: Clock, A: AuditSink, const KEYS: usize = DEFAULT_LOADED_KEYS> {
    hsm: H,
    store: S,
    clock: C,
    audit: A,
    config: KmsConfig,
    scratch: S::RecordBuf,
    /// Length of the sealed record last loaded into or sealed in `scratch`.
    loaded_len: usize,
    /// Seals reserved in key records and not used yet.
    seals: SealReservations,
    /// Key versions kept loaded between calls.
    loaded: loaded_keys::LoadedKeys<H::Handle, KEYS>,
    /// The last key record that authenticated (`verified.rs`).
    verified: verified::VerifiedRecord,
}

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink, const KEYS: usize> core::fmt::Debug for Kms<H, S, C, A, KEYS> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Kms").field("config", &self.config).field("loaded", &self.loaded).finish_non_exhaustive()
    }
}

/// The loaded versions go back to the HSM, which may outlive the façade (`Kms<&mut H, ..>`).
impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink, const KEYS: usize> Drop for Kms<H, S, C, A, KEYS> {
    fn drop(&mut self) {
        self.forget_all_loaded();
    }
}

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink> Kms<H, S, C, A> {
    /// Builds the façade over an HSM whose root keys exist (they are looked up, never created
    /// here: creating root keys is an explicit step, [`Hsm::create_root_keys`]). It keeps up to
    /// [`DEFAULT_LOADED_KEYS`] key versions loaded; [`with_loaded_keys`](Kms::with_loaded_keys)
    /// chooses another number.
    ///
    /// # Errors
    /// [`Error::Unsupported`] if the HSM lacks a capability in [`Capabilities::REQUIRED`];
    /// [`Error::Hsm`] (kind `RootKeysNotFound`) if the root keys are not there.
    pub fn new(hsm: H, store: S, clock: C, audit: A, config: KmsConfig) -> Result<Self, KmsError<H, S>> {
        Self::with_loaded_keys(hsm, store, clock, audit, config)
    }
}

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink, const KEYS: usize> Kms<H, S, C, A, KEYS> {
    /// As [`new`](Kms::new), keeping up to `KEYS` key versions loaded (named in the type:
    /// `let kms: Kms<_, _, _, _, 16> = Kms::with_loaded_keys(..)?`; 0 keeps none).
    ///
    /// # Errors
    /// As [`new`](Kms::new).
    pub fn with_loaded_keys(
        mut hsm: H,
        store: S,
        clock: C,
        audit: A,
        config: KmsConfig,
    ) -> Result<Self, KmsError<H, S>> {
        if !hsm.capabilities().contains(Capabilities::REQUIRED) {
            return Err(Error::Unsupported);
        }
        hsm.find_root_keys().map_err(Error::Hsm)?;
        Ok(Self {
            hsm,
            store,
            clock,
            audit,
            config,
            scratch: S::RecordBuf::zeroed(),
            loaded_len: 0,
            seals: SealReservations::new(),
            loaded: loaded_keys::LoadedKeys::new(),
            verified: verified::VerifiedRecord::new(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &KmsConfig {
        &self.config
    }

    /// The HSM, for backend-specific calls (exporting sealed root keys, say). The key versions
    /// the façade kept loaded are released first: nothing done there can reach them.
    pub fn hsm_mut(&mut self) -> &mut H {
        self.forget_all_loaded();
        // Its root keys could be replaced there: records authenticate afresh.
        self.verified.forget();
        &mut self.hsm
    }

    /// The store. The key versions the façade kept loaded are released first, since what is
    /// written there does not pass through the façade's write path.
    pub fn store_mut(&mut self) -> &mut S {
        self.forget_all_loaded();
        &mut self.store
    }

    /// The audit sink.
    pub fn audit(&self) -> &A {
        &self.audit
    }

    /// The clock.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// Runs `f` as operation `op` and records one audit event for it, naming the key `f`
    /// resolved (it writes that into the `Option` it is given).
    fn audited<T>(
        &mut self,
        op: Operation,
        f: impl FnOnce(&mut Self, &mut Option<KeyId>) -> Result<T, KmsError<H, S>>,
    ) -> Result<T, KmsError<H, S>> {
        let mut key_id = None;
        let result = f(self, &mut key_id);
        let outcome = match &result {
            Ok(_) => Outcome::Success,
            Err(e) => Outcome::Failure(e.code()),
        };
        let time = self.clock.now().unwrap_or(0);
        self.audit.record(&AuditEvent { operation: op, key_id, outcome, time });
        result
    }

    fn now(&self) -> Result<Timestamp, KmsError<H, S>> {
        self.clock.now().map_err(|_| Error::Clock)
    }
}

/// `Ok(())` if `value` is within `min..=max`, else a validation error naming `field`.
fn check_range(field: Field, value: u64, min: u64, max: u64) -> Result<(), ValidationError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ValidationError { field, problem: Problem::OutOfRange { min, max } })
    }
}

/// `Ok(())` if `len` is within `min..=max` bytes, else a validation error naming `field`.
fn check_len(field: Field, len: usize, min: usize, max: usize) -> Result<(), ValidationError> {
    if (min..=max).contains(&len) {
        Ok(())
    } else {
        Err(ValidationError { field, problem: Problem::Length { min, max } })
    }
}

const fn malformed(field: Field) -> ValidationError {
    ValidationError { field, problem: Problem::Malformed }
}

/// Maps store failures, turning a full store into a limit.
fn store_err<H, S: StoreError>(e: S) -> Error<H, S> {
    if e.kind() == crate::store::StoreErrorKind::Full {
        Error::LimitExceeded(crate::error::LimitKind::StoreFull)
    } else {
        Error::Store(e)
    }
}

/// Maps HSM failures that are not about a ciphertext.
fn hsm_err<H: HsmError, S>(e: H) -> Error<H, S> {
    Error::Hsm(e)
}

#[cfg(test)]
mod tests {
    /// Every module of the façade, by name.
    const SOURCES: [(&str, &str); 8] = [
        ("mod.rs", include_str!("mod.rs")),
        ("aliases.rs", include_str!("aliases.rs")),
        ("crypto.rs", include_str!("crypto.rs")),
        ("lifecycle.rs", include_str!("lifecycle.rs")),
        ("loaded_keys.rs", include_str!("loaded_keys.rs")),
        ("maintenance.rs", include_str!("maintenance.rs")),
        ("records.rs", include_str!("records.rs")),
        ("rotation.rs", include_str!("rotation.rs")),
    ];

    /// The store is written and emptied in one place each (`records::store_put` and
    /// `records::store_remove`), which release the loaded versions of the key they touch: a
    /// new write path that called the store itself could leave a stale key loaded.
    #[test]
    fn the_store_is_written_only_through_the_write_path() {
        for (name, source) in SOURCES {
            // Split so that this file does not name the calls it looks for.
            for call in [concat!("store.", "put("), concat!("store.", "remove(")] {
                let count = source.matches(call).count();
                let expected = usize::from(name == "records.rs");
                assert_eq!(count, expected, "{name} calls {call} {count} times");
            }
        }
    }
}
