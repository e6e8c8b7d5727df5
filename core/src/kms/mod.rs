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
mod maintenance;
mod owned;
mod records;
mod rotation;
mod seal_budget;
mod seal_reservations;
mod seal_reserve;

pub use answers::{Opened, ReSealed, Sealed};
pub use lifecycle::{
    DEFAULT_PENDING_WINDOW_DAYS, DeletionScheduled, MAX_LIST_LIMIT, MAX_PENDING_WINDOW_DAYS, MIN_PENDING_WINDOW_DAYS,
    Page,
};
pub use maintenance::MaintenanceReport;
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
pub struct Kms<H: Hsm, S: KeyStore, C: Clock, A: AuditSink> {
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
}

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink> core::fmt::Debug for Kms<H, S, C, A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Kms").field("config", &self.config).finish_non_exhaustive()
    }
}

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink> Kms<H, S, C, A> {
    /// Builds the façade over an HSM whose root keys exist (they are looked up, never created
    /// here: creating root keys is an explicit step, [`Hsm::create_root_keys`]).
    ///
    /// # Errors
    /// [`Error::Unsupported`] if the HSM lacks a capability in [`Capabilities::REQUIRED`];
    /// [`Error::Hsm`] (kind `RootKeysNotFound`) if the root keys are not there.
    pub fn new(mut hsm: H, store: S, clock: C, audit: A, config: KmsConfig) -> Result<Self, KmsError<H, S>> {
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
        })
    }

    /// The configuration.
    pub fn config(&self) -> &KmsConfig {
        &self.config
    }

    /// The HSM, for backend-specific calls (exporting sealed root keys, say).
    pub fn hsm_mut(&mut self) -> &mut H {
        &mut self.hsm
    }

    /// The store.
    pub fn store_mut(&mut self) -> &mut S {
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

    /// Takes the façade apart.
    pub fn into_parts(self) -> (H, S, C, A) {
        (self.hsm, self.store, self.clock, self.audit)
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
