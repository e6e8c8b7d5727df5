//! The last key record that authenticated, kept so that reading the same bytes again costs a
//! comparison instead of an HMAC (most of the time of a small Encrypt or Decrypt in software).
//!
//! Why this is sound: a sealed record's MAC is a function of the root sealing key and the
//! sealed bytes alone, and the kind and name it is bound to are inside those bytes (checked on
//! every read, memo or not). So bytes equal to bytes that verified verify again, as long as the
//! root sealing key is the same. The façade never changes its root keys itself; the memo is
//! forgotten whenever the HSM is handed out ([`Kms::hsm_mut`](super::Kms::hsm_mut)), after
//! which a root could have been replaced. The store is not trusted by it: whatever bytes it
//! returns are compared in full, and any difference means a full check. The comparison need
//! not be constant-time: sealed records are not secret (the store holds them in the clear).

use crate::root::KEY_SEALED_LEN;

/// One key record's sealed bytes, as they last authenticated.
pub(super) struct VerifiedRecord {
    bytes: [u8; KEY_SEALED_LEN],
    /// 0: nothing remembered.
    len: usize,
}

impl VerifiedRecord {
    pub(super) const fn new() -> Self {
        Self { bytes: [0; KEY_SEALED_LEN], len: 0 }
    }

    /// True if `sealed` is exactly the bytes that last authenticated.
    pub(super) fn holds(&self, sealed: &[u8]) -> bool {
        self.len != 0 && self.bytes.get(..self.len) == Some(sealed)
    }

    /// Remembers `sealed`, which just authenticated (a record of another length is not kept).
    pub(super) fn remember(&mut self, sealed: &[u8]) {
        match self.bytes.get_mut(..sealed.len()) {
            Some(slot) if !sealed.is_empty() => {
                slot.copy_from_slice(sealed);
                self.len = sealed.len();
            }
            _ => self.forget(),
        }
    }

    pub(super) fn forget(&mut self) {
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_exactly_what_it_remembered() {
        let mut memo = VerifiedRecord::new();
        let record = [7u8; KEY_SEALED_LEN];
        assert!(!memo.holds(&record), "nothing remembered at first");
        memo.remember(&record);
        assert!(memo.holds(&record));
        for i in [0, KEY_SEALED_LEN / 2, KEY_SEALED_LEN - 1] {
            let mut other = record;
            other[i] ^= 1;
            assert!(!memo.holds(&other), "a byte differs at {i}");
        }
        assert!(!memo.holds(&record[..KEY_SEALED_LEN - 1]), "a prefix is not the record");
        memo.remember(&[1u8; KEY_SEALED_LEN + 1]);
        assert!(!memo.holds(&record), "a longer record is not kept and drops the old one");
        memo.remember(&record);
        memo.forget();
        assert!(!memo.holds(&record));
    }
}
