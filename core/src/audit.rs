//! Audit events: one per operation, success or failure.
//!
//! An event names the operation, the key it resolved to (if any), the outcome and the time. It
//! never carries key bytes, plaintext, ciphertext or encryption-context values.

use crate::key::KeyId;

/// The KMS operation an event records, named as in the AWS KMS API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)] // the names are the AWS KMS operation names
pub enum Operation {
    CreateKey,
    DescribeKey,
    ListKeys,
    EnableKey,
    DisableKey,
    UpdateKeyDescription,
    ScheduleKeyDeletion,
    CancelKeyDeletion,
    CreateAlias,
    UpdateAlias,
    DeleteAlias,
    ListAliases,
    EnableKeyRotation,
    DisableKeyRotation,
    GetKeyRotationStatus,
    RotateKeyOnDemand,
    ListKeyRotations,
    SetMinimumDecryptionVersion,
    GenerateDataKey,
    GenerateDataKeyWithoutPlaintext,
    GenerateRandom,
    Encrypt,
    Decrypt,
    ReEncrypt,
    /// Automatic rotation applied by the maintenance call, or made before a seal because the
    /// current version's seal budget was used up (`docs/SEAL-BUDGET.md`).
    RotateKey,
    /// Key destruction applied by the maintenance call after its deletion date.
    DeleteKey,
}

impl Operation {
    /// The AWS-style operation name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::CreateKey => "CreateKey",
            Self::DescribeKey => "DescribeKey",
            Self::ListKeys => "ListKeys",
            Self::EnableKey => "EnableKey",
            Self::DisableKey => "DisableKey",
            Self::UpdateKeyDescription => "UpdateKeyDescription",
            Self::ScheduleKeyDeletion => "ScheduleKeyDeletion",
            Self::CancelKeyDeletion => "CancelKeyDeletion",
            Self::CreateAlias => "CreateAlias",
            Self::UpdateAlias => "UpdateAlias",
            Self::DeleteAlias => "DeleteAlias",
            Self::ListAliases => "ListAliases",
            Self::EnableKeyRotation => "EnableKeyRotation",
            Self::DisableKeyRotation => "DisableKeyRotation",
            Self::GetKeyRotationStatus => "GetKeyRotationStatus",
            Self::RotateKeyOnDemand => "RotateKeyOnDemand",
            Self::ListKeyRotations => "ListKeyRotations",
            Self::SetMinimumDecryptionVersion => "SetMinimumDecryptionVersion",
            Self::GenerateDataKey => "GenerateDataKey",
            Self::GenerateDataKeyWithoutPlaintext => "GenerateDataKeyWithoutPlaintext",
            Self::GenerateRandom => "GenerateRandom",
            Self::Encrypt => "Encrypt",
            Self::Decrypt => "Decrypt",
            Self::ReEncrypt => "ReEncrypt",
            Self::RotateKey => "RotateKey",
            Self::DeleteKey => "DeleteKey",
        }
    }
}

/// How an operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It succeeded.
    Success,
    /// It failed with this AWS-style error code (for example `"NotFoundException"`).
    Failure(&'static str),
}

/// One audited operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditEvent {
    /// What was asked.
    pub operation: Operation,
    /// The key the request resolved to, when it got that far.
    pub key_id: Option<KeyId>,
    /// How it ended.
    pub outcome: Outcome,
    /// When (from the façade's clock; 0 if the clock failed).
    pub time: crate::clock::Timestamp,
}

/// Receives audit events. Recording cannot fail the operation: a sink that can lose events
/// (a full buffer, a broken pipe) must count or report that itself.
pub trait AuditSink {
    /// Records one event.
    fn record(&mut self, event: &AuditEvent);
}

/// Discards every event (the default).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoAudit;

impl AuditSink for NoAudit {
    fn record(&mut self, _event: &AuditEvent) {}
}

impl<A: AuditSink + ?Sized> AuditSink for &mut A {
    fn record(&mut self, event: &AuditEvent) {
        (**self).record(event);
    }
}

/// Keeps the last `N` events in memory, counting those that fell off the front.
#[derive(Debug, Default)]
pub struct RingAudit<const N: usize> {
    events: heapless::Deque<AuditEvent, N>,
    dropped: u64,
}

impl<const N: usize> RingAudit<N> {
    /// An empty log.
    pub const fn new() -> Self {
        Self { events: heapless::Deque::new(), dropped: 0 }
    }

    /// The events kept, oldest first.
    pub fn events(&self) -> impl Iterator<Item = &AuditEvent> {
        self.events.iter()
    }

    /// How many events were pushed out because the log was full.
    pub const fn dropped(&self) -> u64 {
        self.dropped
    }
}

impl<const N: usize> AuditSink for RingAudit<N> {
    fn record(&mut self, event: &AuditEvent) {
        if self.events.is_full() {
            self.events.pop_front();
            self.dropped = self.dropped.saturating_add(1);
        }
        // Cannot fail: a slot was freed above when the deque was full (N = 0 drops everything).
        if self.events.push_back(*event).is_err() {
            self.dropped = self.dropped.saturating_add(1);
        }
    }
}
