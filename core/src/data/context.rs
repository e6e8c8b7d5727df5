//! Encryption context: non-secret key/value pairs bound into the AAD of every blob.
//!
//! The canonical encoding is the AWS Encryption SDK's (message header, "AAD" field): a two-byte
//! pair count, then for each pair a two-byte length and the key, a two-byte length and the value,
//! pairs sorted by key bytes. The empty context encodes as zero bytes. Since the pairs are sorted,
//! the same set of pairs given in any order yields the same bytes, and decoding accepts only
//! that one canonical form.

use core::fmt;
use heapless::Vec;

use crate::encoding::{Reader, Writer};

/// The most pairs a context may hold.
pub const MAX_CONTEXT_PAIRS: usize = 16;
/// The longest canonical encoding a context may have, in bytes.
pub const MAX_CONTEXT_ENCODED_LEN: usize = 4096;

/// Why a context was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextError {
    /// More than [`MAX_CONTEXT_PAIRS`] pairs.
    TooManyPairs,
    /// The canonical encoding would exceed [`MAX_CONTEXT_ENCODED_LEN`] bytes.
    TooLarge,
    /// The same key appears twice.
    DuplicateKey,
    /// Encoded bytes that are not a canonical context (truncated, unsorted, not UTF-8, ...).
    Malformed,
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooManyPairs => write!(f, "an encryption context holds at most {MAX_CONTEXT_PAIRS} pairs"),
            Self::TooLarge => write!(f, "an encryption context encodes to at most {MAX_CONTEXT_ENCODED_LEN} bytes"),
            Self::DuplicateKey => f.write_str("an encryption context key appears twice"),
            Self::Malformed => f.write_str("malformed encryption context encoding"),
        }
    }
}

impl core::error::Error for ContextError {}

/// A validated encryption context, borrowing its strings, held in canonical (sorted) order.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct EncryptionContext<'a> {
    pairs: Vec<(&'a str, &'a str), MAX_CONTEXT_PAIRS>,
}

impl<'a> EncryptionContext<'a> {
    /// The empty context.
    pub const fn empty() -> Self {
        Self { pairs: Vec::new() }
    }

    /// A context from pairs in any order.
    ///
    /// # Errors
    /// [`ContextError::TooManyPairs`], [`ContextError::DuplicateKey`] or [`ContextError::TooLarge`].
    pub fn new(pairs: &[(&'a str, &'a str)]) -> Result<Self, ContextError> {
        let mut sorted: Vec<(&'a str, &'a str), MAX_CONTEXT_PAIRS> =
            Vec::from_slice(pairs).map_err(|_| ContextError::TooManyPairs)?;
        sorted.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        if sorted.windows(2).any(|w| matches!(w, [a, b] if a.0 == b.0)) {
            return Err(ContextError::DuplicateKey);
        }
        let ctx = Self { pairs: sorted };
        ctx.encoded_len()?;
        Ok(ctx)
    }

    /// Parses a canonical encoding (as [`encode`](Self::encode) writes it).
    ///
    /// # Errors
    /// [`ContextError::Malformed`] for anything but a canonical encoding; the limits as in
    /// [`new`](Self::new).
    pub fn decode(bytes: &'a [u8]) -> Result<Self, ContextError> {
        if bytes.is_empty() {
            return Ok(Self::empty());
        }
        if bytes.len() > MAX_CONTEXT_ENCODED_LEN {
            return Err(ContextError::TooLarge);
        }
        let mut r = Reader::new(bytes);
        let count = usize::from(r.u16().map_err(|_| ContextError::Malformed)?);
        if count == 0 {
            return Err(ContextError::Malformed);
        }
        if count > MAX_CONTEXT_PAIRS {
            return Err(ContextError::TooManyPairs);
        }
        let mut pairs: Vec<(&'a str, &'a str), MAX_CONTEXT_PAIRS> = Vec::new();
        for _ in 0..count {
            let key = read_str(&mut r)?;
            let value = read_str(&mut r)?;
            if pairs.last().is_some_and(|(last, _)| last.as_bytes() >= key.as_bytes()) {
                return Err(ContextError::Malformed);
            }
            pairs.push((key, value)).map_err(|_| ContextError::TooManyPairs)?;
        }
        r.finish().map_err(|_| ContextError::Malformed)?;
        Ok(Self { pairs })
    }

    /// Length of the canonical encoding.
    ///
    /// # Errors
    /// [`ContextError::TooLarge`] if it exceeds [`MAX_CONTEXT_ENCODED_LEN`].
    pub fn encoded_len(&self) -> Result<usize, ContextError> {
        if self.pairs.is_empty() {
            return Ok(0);
        }
        let mut len: usize = 2;
        for (k, v) in &self.pairs {
            if k.len() > usize::from(u16::MAX) || v.len() > usize::from(u16::MAX) {
                return Err(ContextError::TooLarge);
            }
            len = len.saturating_add(4).saturating_add(k.len()).saturating_add(v.len());
        }
        if len > MAX_CONTEXT_ENCODED_LEN {
            return Err(ContextError::TooLarge);
        }
        Ok(len)
    }

    /// Writes the canonical encoding into `out`, returning its length.
    ///
    /// # Errors
    /// [`ContextError::TooLarge`] if `out` is too short or the limit is exceeded.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ContextError> {
        self.encoded_len()?;
        if self.pairs.is_empty() {
            return Ok(0);
        }
        let mut w = Writer::new(out);
        let count = u16::try_from(self.pairs.len()).map_err(|_| ContextError::TooManyPairs)?;
        w.u16(count).map_err(|_| ContextError::TooLarge)?;
        for (k, v) in &self.pairs {
            w.u16_prefixed(k.as_bytes()).map_err(|_| ContextError::TooLarge)?;
            w.u16_prefixed(v.as_bytes()).map_err(|_| ContextError::TooLarge)?;
        }
        Ok(w.len())
    }

    /// The pairs in canonical order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.pairs.iter().copied()
    }

    /// The value for `key`.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// True for the empty context.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

fn read_str<'a>(r: &mut Reader<'a>) -> Result<&'a str, ContextError> {
    let len = usize::from(r.u16().map_err(|_| ContextError::Malformed)?);
    let bytes = r.take(len).map_err(|_| ContextError::Malformed)?;
    core::str::from_utf8(bytes).map_err(|_| ContextError::Malformed)
}

impl fmt::Debug for EncryptionContext<'_> {
    /// Context is not secret (it is stored in the clear beside ciphertext), so it is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.pairs.iter().map(|(k, v)| (k, v))).finish()
    }
}

#[cfg(test)]
mod tests {
    extern crate alloc;
    use super::*;
    use alloc::string::String;
    use alloc::vec::Vec as StdVec;
    use hex_literal::hex;

    #[test]
    fn order_independent_canonical_bytes() {
        let a = EncryptionContext::new(&[("purpose", "test"), ("app", "x")]).unwrap();
        let b = EncryptionContext::new(&[("app", "x"), ("purpose", "test")]).unwrap();
        assert_eq!(a, b);
        let mut buf = [0u8; 64];
        let n = a.encode(&mut buf).unwrap();
        // count 2; "app" -> "x"; "purpose" -> "test"
        assert_eq!(&buf[..n], &hex!("0002 0003 617070 0001 78 0007 707572706f7365 0004 74657374"));
        assert_eq!(EncryptionContext::decode(&buf[..n]).unwrap(), a);
    }

    #[test]
    fn empty_context_is_zero_bytes() {
        let e = EncryptionContext::empty();
        assert_eq!(e.encode(&mut []).unwrap(), 0);
        assert_eq!(EncryptionContext::decode(&[]).unwrap(), e);
        assert_eq!(EncryptionContext::decode(&hex!("0000")), Err(ContextError::Malformed));
    }

    #[test]
    fn pair_count_edge_16_allowed_17_refused() {
        let keys: StdVec<String> = (0..17).map(|i| alloc::format!("k{i:02}")).collect();
        let pairs: StdVec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "v")).collect();
        assert_eq!(EncryptionContext::new(&pairs[..16]).unwrap().len(), 16);
        assert_eq!(EncryptionContext::new(&pairs), Err(ContextError::TooManyPairs));
    }

    #[test]
    fn size_edge_4096_allowed_4097_refused() {
        // 2 (count) + 2 + 1 (key "k") + 2 + value = 4096  => value of 4089 bytes
        let value = "v".repeat(4089);
        let ok = EncryptionContext::new(&[("k", &value)]).unwrap();
        assert_eq!(ok.encoded_len(), Ok(4096));
        let value = "v".repeat(4090);
        assert_eq!(EncryptionContext::new(&[("k", &value)]), Err(ContextError::TooLarge));
    }

    #[test]
    fn duplicates_and_non_canonical_encodings_refused() {
        assert_eq!(EncryptionContext::new(&[("a", "1"), ("a", "2")]), Err(ContextError::DuplicateKey));
        // unsorted: "b" before "a"
        assert_eq!(EncryptionContext::decode(&hex!("0002 0001 62 0000 0001 61 0000")), Err(ContextError::Malformed));
        // duplicate key in encoding
        assert_eq!(EncryptionContext::decode(&hex!("0002 0001 61 0000 0001 61 0000")), Err(ContextError::Malformed));
        // trailing byte
        assert_eq!(EncryptionContext::decode(&hex!("0001 0001 61 0000 00")), Err(ContextError::Malformed));
        // invalid UTF-8
        assert_eq!(EncryptionContext::decode(&hex!("0001 0001 ff 0000")), Err(ContextError::Malformed));
        // truncated
        assert_eq!(EncryptionContext::decode(&hex!("0001 0005 61")), Err(ContextError::Malformed));
    }
}
