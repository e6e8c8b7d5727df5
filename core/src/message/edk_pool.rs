//! The encrypted data keys of encryption materials, kept compactly: every EDK's bytes in one
//! bounded byte pool, and a small index of their field lengths.
//!
//! Materials used to hold up to 16 EDKs each sized for its longest fields (1,279 bytes of
//! fields each, 21 KiB in all), so that a one-key message carried 21 KiB on the stack. The pool
//! holds only the bytes the keyrings wrote: a one-key message costs one key's bytes.

use core::fmt;

use super::edk::{EdkRef, MAX_EDK_CIPHERTEXT_LEN, MAX_PROVIDER_ID_LEN, MAX_PROVIDER_INFO_LEN};
use super::materials::MAX_EDKS;

/// The most bytes the encrypted data keys of one message's encryption materials hold together
/// (provider ids, provider infos and ciphertexts, without their length prefixes).
///
/// With `std` the pool is on the heap and this is room for [`MAX_EDKS`] EDKs at their longest
/// fields (20,464 bytes), so the count and field caps bind first, as before. Without `std`
/// the pool is inline in the materials and holds 2,048 bytes: about twelve Coffer KMS EDKs
/// (`aws-kms`, an ARN of about 75 bytes and an 81-byte blob), seven AWS KMS ones (a blob of
/// about 184 bytes) or twenty raw AES ones with short names. A keyring whose EDK does not fit
/// gets [`MaterialsError::EdkPoolFull`](super::MaterialsError::EdkPoolFull) and the materials
/// keep what they held.
#[cfg(feature = "std")]
pub const MAX_EDK_POOL_LEN: usize = MAX_EDKS * (MAX_PROVIDER_ID_LEN + MAX_PROVIDER_INFO_LEN + MAX_EDK_CIPHERTEXT_LEN);
/// The most bytes the encrypted data keys of one message's encryption materials hold together
/// (provider ids, provider infos and ciphertexts, without their length prefixes).
///
/// With `std` the pool is on the heap and this is room for [`MAX_EDKS`] EDKs at their longest
/// fields (20,464 bytes), so the count and field caps bind first, as before. Without `std`
/// the pool is inline in the materials and holds 2,048 bytes: about twelve Coffer KMS EDKs
/// (`aws-kms`, an ARN of about 75 bytes and an 81-byte blob), seven AWS KMS ones (a blob of
/// about 184 bytes) or twenty raw AES ones with short names. A keyring whose EDK does not fit
/// gets [`MaterialsError::EdkPoolFull`](super::MaterialsError::EdkPoolFull) and the materials
/// keep what they held.
#[cfg(not(feature = "std"))]
pub const MAX_EDK_POOL_LEN: usize = 2048;

#[cfg(feature = "std")]
type Bytes<const CAP: usize> = alloc::vec::Vec<u8>;
#[cfg(not(feature = "std"))]
type Bytes<const CAP: usize> = heapless::Vec<u8, CAP>;

/// Appends `part` to `bytes`, whose room the caller checked.
#[cfg(feature = "std")]
fn append<const CAP: usize>(bytes: &mut Bytes<CAP>, part: &[u8]) -> Result<(), EdkPoolError> {
    bytes.extend_from_slice(part);
    Ok(())
}

/// Appends `part` to `bytes`, whose room the caller checked.
#[cfg(not(feature = "std"))]
fn append<const CAP: usize>(bytes: &mut Bytes<CAP>, part: &[u8]) -> Result<(), EdkPoolError> {
    bytes.extend_from_slice(part).map_err(|_| EdkPoolError::Full)
}

/// Why an EDK was not added to a pool (which is then unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EdkPoolError {
    /// A field is longer than its cap ([`MAX_PROVIDER_ID_LEN`], ...).
    FieldTooLong,
    /// The EDK's bytes do not fit in what is left of the pool.
    Full,
    /// The index holds [`MAX_EDKS`] already.
    TooMany,
}

/// Where one EDK's fields lie in the pool: they follow each other from `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u16,
    provider_id: u16,
    provider_info: u16,
    ciphertext: u16,
}

/// The encrypted data keys of [`EncryptionMaterials`](super::EncryptionMaterials), in the order
/// the keyrings added them: what [`encrypted_data_keys`](super::EncryptionMaterials::encrypted_data_keys)
/// returns. Read them as borrowed [`EdkRef`]s with [`iter`](Self::iter) or [`get`](Self::get).
///
/// `CAP` is the pool's size in bytes ([`MAX_EDK_POOL_LEN`] in materials). Not secret: EDKs are
/// written in the clear in the header.
#[derive(Clone, PartialEq, Eq)]
pub struct EdkPool<const CAP: usize = MAX_EDK_POOL_LEN> {
    bytes: Bytes<CAP>,
    spans: heapless::Vec<Span, MAX_EDKS>,
}

impl<const CAP: usize> Default for EdkPool<CAP> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const CAP: usize> EdkPool<CAP> {
    /// An empty pool.
    pub const fn new() -> Self {
        Self { bytes: Bytes::new(), spans: heapless::Vec::new() }
    }

    /// How many EDKs it holds.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The bytes of all its EDKs' fields (without length prefixes), at most `CAP`.
    pub fn bytes_used(&self) -> usize {
        self.bytes.len()
    }

    /// The EDK at `index`, in the order they were added.
    pub fn get(&self, index: usize) -> Option<EdkRef<'_>> {
        self.view(self.spans.get(index)?)
    }

    /// The EDK added last.
    pub fn last(&self) -> Option<EdkRef<'_>> {
        self.view(self.spans.last()?)
    }

    /// The EDKs, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = EdkRef<'_>> + Clone + '_ {
        // Every span was checked against the pool when it was added, so none is skipped; were
        // one not to fit, it would be left out (the header counts what it writes), never read
        // out of bounds.
        self.spans.iter().filter_map(|span| self.view(span))
    }

    fn view(&self, span: &Span) -> Option<EdkRef<'_>> {
        let (id, info, ct) =
            (usize::from(span.provider_id), usize::from(span.provider_info), usize::from(span.ciphertext));
        let rest = self.bytes.get(usize::from(span.start)..)?;
        let (provider_id, rest) = rest.split_at_checked(id)?;
        let (provider_info, rest) = rest.split_at_checked(info)?;
        let ciphertext = rest.get(..ct)?;
        Some(EdkRef { provider_id, provider_info, ciphertext })
    }

    /// Appends an EDK whose provider info is the concatenation of `info_parts`, copying the
    /// fields straight into the pool. On any error the pool is unchanged.
    pub(crate) fn push(
        &mut self,
        provider_id: &[u8],
        info_parts: &[&[u8]],
        ciphertext: &[u8],
    ) -> Result<(), EdkPoolError> {
        let info_len =
            info_parts.iter().try_fold(0usize, |n, p| n.checked_add(p.len())).ok_or(EdkPoolError::FieldTooLong)?;
        if provider_id.len() > MAX_PROVIDER_ID_LEN
            || info_len > MAX_PROVIDER_INFO_LEN
            || ciphertext.len() > MAX_EDK_CIPHERTEXT_LEN
        {
            return Err(EdkPoolError::FieldTooLong);
        }
        if self.spans.is_full() {
            return Err(EdkPoolError::TooMany);
        }
        let start = self.bytes.len();
        // Fields are capped at 512 bytes, so the sum cannot overflow; checked all the same.
        let end = start
            .checked_add(provider_id.len())
            .and_then(|n| n.checked_add(info_len))
            .and_then(|n| n.checked_add(ciphertext.len()))
            .ok_or(EdkPoolError::Full)?;
        if end > CAP {
            return Err(EdkPoolError::Full);
        }
        let span = Span {
            start: u16::try_from(start).map_err(|_| EdkPoolError::Full)?,
            provider_id: u16::try_from(provider_id.len()).map_err(|_| EdkPoolError::FieldTooLong)?,
            provider_info: u16::try_from(info_len).map_err(|_| EdkPoolError::FieldTooLong)?,
            ciphertext: u16::try_from(ciphertext.len()).map_err(|_| EdkPoolError::FieldTooLong)?,
        };
        let copied = core::iter::once(provider_id)
            .chain(info_parts.iter().copied())
            .chain(core::iter::once(ciphertext))
            .try_for_each(|part| append::<CAP>(&mut self.bytes, part));
        if let Err(e) = copied.and_then(|()| self.spans.push(span).map_err(|_| EdkPoolError::TooMany)) {
            self.bytes.truncate(start);
            return Err(e);
        }
        Ok(())
    }

    /// The length these EDKs take in a header: each field with its two-byte length prefix.
    pub(crate) fn serialized_len(&self) -> usize {
        self.iter().fold(0usize, |n, e| {
            n.saturating_add(6)
                .saturating_add(e.provider_id.len())
                .saturating_add(e.provider_info.len())
                .saturating_add(e.ciphertext.len())
        })
    }
}

impl<const CAP: usize> fmt::Debug for EdkPool<CAP> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: EdkRef<'_>) -> (&[u8], &[u8], &[u8]) {
        (e.provider_id, e.provider_info, e.ciphertext)
    }

    #[test]
    fn the_bytes_that_fit_and_the_first_that_does_not() {
        let mut pool: EdkPool<100> = EdkPool::new();
        pool.push(b"ns", &[b"name", b"-iv"], &[7; 40]).unwrap();
        // 49 bytes used: an EDK of exactly the 51 left fits.
        pool.push(&[1; 11], &[&[2; 20]], &[3; 20]).unwrap();
        assert_eq!(pool.bytes_used(), 100);
        assert_eq!(pool.push(b"", &[], &[9]), Err(EdkPoolError::Full));
        // Refused, nothing lost: both EDKs are as they were.
        assert_eq!(pool.len(), 2);
        assert_eq!(fields(pool.get(0).unwrap()), (&b"ns"[..], &b"name-iv"[..], &[7u8; 40][..]));
        assert_eq!(fields(pool.last().unwrap()), (&[1u8; 11][..], &[2u8; 20][..], &[3u8; 20][..]));
        assert_eq!(pool.serialized_len(), 100 + 2 * 6);

        let mut pool: EdkPool<100> = EdkPool::new();
        pool.push(b"ns", &[b"name", b"-iv"], &[7; 40]).unwrap();
        assert_eq!(pool.push(&[1; 11], &[&[2; 20]], &[3; 21]), Err(EdkPoolError::Full));
        assert_eq!(pool.bytes_used(), 49);
        assert_eq!(pool.len(), 1);
        // Empty fields are EDK fields too.
        pool.push(b"", &[], b"").unwrap();
        assert_eq!(fields(pool.get(1).unwrap()), (&b""[..], &b""[..], &b""[..]));
        assert_eq!(pool.get(2), None);
    }

    #[test]
    fn field_caps_and_count_are_checked_before_anything_is_copied() {
        let mut pool: EdkPool<{ MAX_EDK_POOL_LEN }> = EdkPool::new();
        let id = [b'i'; MAX_PROVIDER_ID_LEN];
        let half = [b'n'; MAX_PROVIDER_INFO_LEN / 2];
        let ct = [b'c'; MAX_EDK_CIPHERTEXT_LEN];
        assert_eq!(pool.push(&[0; MAX_PROVIDER_ID_LEN + 1], &[], b""), Err(EdkPoolError::FieldTooLong));
        assert_eq!(pool.push(b"", &[&half, &half, b"x"], b""), Err(EdkPoolError::FieldTooLong));
        assert_eq!(pool.push(b"", &[], &[0; MAX_EDK_CIPHERTEXT_LEN + 1]), Err(EdkPoolError::FieldTooLong));
        assert!(pool.is_empty());
        assert_eq!(pool.bytes_used(), 0);
        pool.push(&id, &[&half, &half], &ct).unwrap();
        assert_eq!(fields(pool.get(0).unwrap()), (&id[..], &[b'n'; MAX_PROVIDER_INFO_LEN][..], &ct[..]));
        let mut small: EdkPool<{ MAX_EDKS }> = EdkPool::new();
        for i in 0..MAX_EDKS {
            small.push(&[], &[], &[u8::try_from(i).unwrap()]).unwrap();
        }
        assert_eq!(small.push(&[], &[], &[]), Err(EdkPoolError::TooMany));
        let ciphertexts: heapless::Vec<u8, MAX_EDKS> = small.iter().map(|e| e.ciphertext[0]).collect();
        assert_eq!(ciphertexts.len(), MAX_EDKS);
        assert!(ciphertexts.iter().enumerate().all(|(i, c)| usize::from(*c) == i));
    }
}
