//! Encryption context: non-secret key/value pairs bound into the AAD of every blob.
//!
//! The canonical encoding is the AWS Encryption SDK's (message header, "AAD" field): a two-byte
//! pair count, then for each pair a two-byte length and the key, a two-byte length and the value,
//! pairs sorted by key bytes. The empty context encodes as zero bytes. Since the pairs are sorted,
//! the same set of pairs given in any order yields the same bytes, and decoding accepts only
//! that one canonical form.

use core::fmt;

use crate::encoding::{Reader, Writer};

// The context limits of this build: set here and nowhere else.
//
// - With `std` (hosts: the CLI, the server), any context the message format can carry, as the
//   official SDKs write them and as AWS KMS takes them (AWS documents no pair limit): a
//   canonical encoding of at most 65,535 bytes (the u16 length field of the message header),
//   and so at most 16,383 pairs (4 bytes each at least, after the 2-byte count). The pairs are
//   held on the heap.
// - Without `std` (no heap), at most 16 pairs and 4,096 encoded bytes, held inline: a context
//   is a fixed-size value, and the buffers that encode one (the raw AES keyring's AAD, the
//   KMS blob AAD) live on a microcontroller's stack.

/// The longest canonical encoding a context may have, in bytes: 65,535 with `std` (what the
/// message format's u16 length field allows), 4,096 without.
#[cfg(feature = "std")]
pub const MAX_CONTEXT_ENCODED_LEN: usize = 65_535;
/// The longest canonical encoding a context may have, in bytes: 65,535 with `std` (what the
/// message format's u16 length field allows), 4,096 without.
#[cfg(not(feature = "std"))]
pub const MAX_CONTEXT_ENCODED_LEN: usize = 4096;

/// The most pairs a context may hold: with `std`, as many as fit in
/// [`MAX_CONTEXT_ENCODED_LEN`] (16,383); without, 16.
#[cfg(feature = "std")]
pub const MAX_CONTEXT_PAIRS: usize = (MAX_CONTEXT_ENCODED_LEN - 2) / 4;
/// The most pairs a context may hold: with `std`, as many as fit in
/// [`MAX_CONTEXT_ENCODED_LEN`] (16,383); without, 16.
#[cfg(not(feature = "std"))]
pub const MAX_CONTEXT_PAIRS: usize = 16;

#[cfg(feature = "std")]
type Pairs<'a> = alloc::vec::Vec<(&'a str, &'a str)>;
#[cfg(not(feature = "std"))]
type Pairs<'a> = heapless::Vec<(&'a str, &'a str), MAX_CONTEXT_PAIRS>;

/// `pairs` as held by a context, or [`ContextError::TooManyPairs`].
#[cfg(feature = "std")]
fn pairs_from<'a>(pairs: &[(&'a str, &'a str)]) -> Result<Pairs<'a>, ContextError> {
    if pairs.len() > MAX_CONTEXT_PAIRS {
        return Err(ContextError::TooManyPairs);
    }
    Ok(pairs.to_vec())
}

/// `pairs` as held by a context, or [`ContextError::TooManyPairs`].
#[cfg(not(feature = "std"))]
fn pairs_from<'a>(pairs: &[(&'a str, &'a str)]) -> Result<Pairs<'a>, ContextError> {
    heapless::Vec::from_slice(pairs).map_err(|_| ContextError::TooManyPairs)
}

/// Appends `pair`, or [`ContextError::TooManyPairs`].
#[cfg(feature = "std")]
fn push<'a>(pairs: &mut Pairs<'a>, pair: (&'a str, &'a str)) -> Result<(), ContextError> {
    if pairs.len() >= MAX_CONTEXT_PAIRS {
        return Err(ContextError::TooManyPairs);
    }
    pairs.push(pair);
    Ok(())
}

/// Appends `pair`, or [`ContextError::TooManyPairs`].
#[cfg(not(feature = "std"))]
fn push<'a>(pairs: &mut Pairs<'a>, pair: (&'a str, &'a str)) -> Result<(), ContextError> {
    pairs.push(pair).map_err(|_| ContextError::TooManyPairs)
}

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
    pairs: Pairs<'a>,
}

impl<'a> EncryptionContext<'a> {
    /// The empty context.
    pub const fn empty() -> Self {
        Self { pairs: Pairs::new() }
    }

    /// A context from pairs in any order.
    ///
    /// # Errors
    /// [`ContextError::TooManyPairs`], [`ContextError::DuplicateKey`] or [`ContextError::TooLarge`].
    pub fn new(pairs: &[(&'a str, &'a str)]) -> Result<Self, ContextError> {
        Self::sorted(pairs_from(pairs)?)
    }

    /// This context with one more pair.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_pair(&self, key: &'a str, value: &'a str) -> Result<Self, ContextError> {
        let mut pairs = self.pairs.clone();
        push(&mut pairs, (key, value))?;
        Self::sorted(pairs)
    }

    fn sorted(mut pairs: Pairs<'a>) -> Result<Self, ContextError> {
        super::pair_sort::sort_by_key(&mut pairs);
        if pairs.windows(2).any(|w| matches!(w, [a, b] if a.0 == b.0)) {
            return Err(ContextError::DuplicateKey);
        }
        let ctx = Self { pairs };
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
        let mut pairs = Pairs::new();
        for _ in 0..count {
            let key = read_str(&mut r)?;
            let value = read_str(&mut r)?;
            if pairs.last().is_some_and(|(last, _)| last.as_bytes() >= key.as_bytes()) {
                return Err(ContextError::Malformed);
            }
            push(&mut pairs, (key, value))?;
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

    /// Distinct keys of two bytes each ("00", "01", ...), `n` of them.
    fn keys(n: usize) -> StdVec<String> {
        let alphabet: StdVec<char> = ('!'..='~').collect();
        (0..n).map(|i| [alphabet[i / alphabet.len()], alphabet[i % alphabet.len()]].iter().collect()).collect()
    }

    #[test]
    fn pair_count_edge() {
        // More pairs than the cap are refused before anything else is looked at.
        let too_many: StdVec<(&str, &str)> = (0..=MAX_CONTEXT_PAIRS).map(|_| ("k", "v")).collect();
        assert_eq!(EncryptionContext::new(&too_many), Err(ContextError::TooManyPairs));
        let mut encoded = StdVec::from(u16::try_from(MAX_CONTEXT_PAIRS + 1).unwrap().to_be_bytes());
        encoded.extend([0u8; 4]);
        assert_eq!(EncryptionContext::decode(&encoded), Err(ContextError::TooManyPairs));
    }

    /// Hosts: no pair limit of their own, as AWS documents none; only the encoded size bounds
    /// the count (the official SDKs write contexts of more than 16 pairs).
    #[test]
    #[cfg(feature = "std")]
    fn hosts_take_contexts_of_thousands_of_pairs() {
        assert_eq!(MAX_CONTEXT_ENCODED_LEN, 65_535);
        let keys = keys(8_000);
        let pairs: StdVec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "v")).collect();
        for n in [17, 100, 8_000] {
            let ctx = EncryptionContext::new(&pairs[..n]).unwrap();
            assert_eq!(ctx.len(), n);
            let mut buf = alloc::vec![0u8; 65_535];
            let len = ctx.encode(&mut buf).unwrap();
            assert_eq!(len, 2 + n * 7);
            assert_eq!(EncryptionContext::decode(&buf[..len]).unwrap(), ctx);
        }
        let ctx = EncryptionContext::new(&pairs[..16]).unwrap();
        assert_eq!(ctx.with_pair("zz", "public key").unwrap().len(), 17);
        assert_eq!(ctx.with_pair("!!", "again"), Err(ContextError::DuplicateKey));
    }

    #[test]
    fn size_edge_largest_allowed_first_refused() {
        // 2 (count) + 2 + 1 (key "k") + 2 + value = MAX_CONTEXT_ENCODED_LEN
        let value = "v".repeat(MAX_CONTEXT_ENCODED_LEN - 7);
        let ok = EncryptionContext::new(&[("k", &value)]).unwrap();
        assert_eq!(ok.encoded_len(), Ok(MAX_CONTEXT_ENCODED_LEN));
        let mut buf = alloc::vec![0u8; MAX_CONTEXT_ENCODED_LEN];
        assert_eq!(ok.encode(&mut buf), Ok(MAX_CONTEXT_ENCODED_LEN));
        assert_eq!(EncryptionContext::decode(&buf).unwrap(), ok);
        let value = "v".repeat(MAX_CONTEXT_ENCODED_LEN - 6);
        assert_eq!(EncryptionContext::new(&[("k", &value)]), Err(ContextError::TooLarge));
        let ctx = EncryptionContext::new(&[("k", &value[1..])]).unwrap();
        assert_eq!(ctx.with_pair("a", ""), Err(ContextError::TooLarge));
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
