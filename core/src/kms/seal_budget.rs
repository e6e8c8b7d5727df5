//! How many AES-GCM seals one key version may make, and in what batches the façade reserves
//! them in the key record ([`KmsConfig::seal_budget`](super::KmsConfig)).
//!
//! Blob nonces are 96 random bits. NIST SP 800-38D (§8.3) allows at most 2^32 invocations of
//! the authenticated encryption function with one key when IVs are random: past that, the chance
//! that two seals share a nonce (which exposes the GHASH key and the XOR of their plaintexts)
//! exceeds 2^-32. Why the defaults are what they are, and what happens at the limit:
//! `docs/SEAL-BUDGET.md`.

use core::fmt;

/// Seals one key version may make by default: SP 800-38D's limit for random 96-bit IVs.
pub const DEFAULT_SEALS_PER_VERSION: u64 = 1 << 32;

/// The largest budget accepted: SP 800-38D's limit.
pub const MAX_SEALS_PER_VERSION: u64 = DEFAULT_SEALS_PER_VERSION;

/// Seals reserved by one key record write by default. A long-lived façade (`coffer serve`, a
/// device) writes the key record once per 65,536 seals; a one-shot `coffer` command, which loses
/// the rest of its batch when it exits, uses 1/65,536 of a version's budget.
pub const DEFAULT_SEAL_BATCH: u64 = 1 << 16;

/// A key version's seal budget and the batch reserved per key record write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealBudget {
    per_version: u64,
    batch: u64,
}

/// A [`SealBudget`] outside its bounds: a budget of 0 or above [`MAX_SEALS_PER_VERSION`], or a
/// batch of 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealBudgetError;

impl fmt::Display for SealBudgetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a key version's seal budget must be 1 to {MAX_SEALS_PER_VERSION}, and its batch at least 1")
    }
}

impl core::error::Error for SealBudgetError {}

impl SealBudget {
    /// A budget of `per_version` seals per key version (1 to 2^32), reserved `batch` (≥ 1) at a
    /// time.
    ///
    /// # Errors
    /// [`SealBudgetError`] for a value out of those bounds.
    pub const fn new(per_version: u64, batch: u64) -> Result<Self, SealBudgetError> {
        if per_version == 0 || per_version > MAX_SEALS_PER_VERSION || batch == 0 {
            return Err(SealBudgetError);
        }
        Ok(Self { per_version, batch })
    }

    /// Seals one key version may make; the next one rotates the key first.
    pub const fn per_version(self) -> u64 {
        self.per_version
    }

    /// Seals reserved by one key record write.
    pub const fn batch(self) -> u64 {
        self.batch
    }

    /// The end of the batch that starts after `start` seals reserved: a batch, or what is left of
    /// the budget if that is less.
    pub(crate) const fn batch_end(self, start: u64) -> u64 {
        let end = start.saturating_add(self.batch);
        if end < self.per_version { end } else { self.per_version }
    }
}

impl Default for SealBudget {
    fn default() -> Self {
        Self { per_version: DEFAULT_SEALS_PER_VERSION, batch: DEFAULT_SEAL_BATCH }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert_eq!(SealBudget::new(0, 1), Err(SealBudgetError));
        assert_eq!(SealBudget::new(1, 0), Err(SealBudgetError));
        assert_eq!(SealBudget::new(MAX_SEALS_PER_VERSION + 1, 1), Err(SealBudgetError));
        assert_eq!(SealBudget::new(MAX_SEALS_PER_VERSION, DEFAULT_SEAL_BATCH), Ok(SealBudget::default()));
        assert_eq!(SealBudget::new(1, u64::MAX).map(|b| (b.per_version(), b.batch())), Ok((1, u64::MAX)));
    }

    #[test]
    fn batches_end_at_the_budget() {
        let budget = SealBudget::new(5, 2).unwrap();
        assert_eq!([0, 2, 4].map(|start| budget.batch_end(start)), [2, 4, 5]);
        let huge = SealBudget::new(5, u64::MAX).unwrap();
        assert_eq!(huge.batch_end(3), 5, "no overflow");
        assert_eq!(SealBudget::default().batch_end(0), 65_536);
        assert_eq!(SealBudget::default().batch_end((1 << 32) - 1), 1 << 32);
    }
}
