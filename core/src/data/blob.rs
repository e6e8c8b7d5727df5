//! The ciphertext blob that Encrypt, GenerateDataKey and ReEncrypt return.
//!
//! Layout (documented in `docs/FORMAT.md`, integers big-endian):
//!
//! ```text
//! u8   format version (1)
//! [16] key id
//! u32  key version
//! [12] nonce (random, from the HSM)
//! [n]  AES-256-GCM ciphertext, 1 <= n <= 4096
//! [16] tag
//! ```
//!
//! AAD = the first 21 bytes (format, key id, version) || u16 context length || canonical context.
//! The key id and version are therefore authenticated by the tag itself, not only by their
//! position: a blob whose header is edited to name another version or key fails to open.

use core::fmt;
use heapless::Vec;

use super::context::{EncryptionContext, MAX_CONTEXT_ENCODED_LEN};
use crate::encoding::{Reader, Writer};
use crate::hsm::{NONCE_LEN, Nonce, TAG_LEN, Tag};
use crate::key::KeyId;

/// The blob format this version writes and reads.
pub const BLOB_VERSION: u8 = 1;
/// Format byte, key id and key version.
pub const BLOB_HEADER_LEN: usize = 1 + 16 + 4;
/// Bytes a blob adds to its plaintext.
pub const BLOB_OVERHEAD: usize = BLOB_HEADER_LEN + NONCE_LEN + TAG_LEN;
/// Largest plaintext Encrypt accepts (AWS KMS's limit); larger data takes a data key.
pub const MAX_PLAINTEXT_LEN: usize = 4096;
/// Largest blob Coffer writes.
pub const MAX_BLOB_LEN: usize = MAX_PLAINTEXT_LEN + BLOB_OVERHEAD;
/// Largest ciphertext input Decrypt and ReEncrypt accept before parsing (AWS `CiphertextType`).
pub const MAX_CIPHERTEXT_INPUT_LEN: usize = 6144;
/// Largest AAD a blob is sealed with.
pub(crate) const MAX_AAD_LEN: usize = BLOB_HEADER_LEN + 2 + MAX_CONTEXT_ENCODED_LEN;

/// A blob that does not parse. Carries no detail on purpose: see [`crate::Error::InvalidCiphertext`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidBlob;

impl fmt::Display for InvalidBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid ciphertext")
    }
}

impl core::error::Error for InvalidBlob {}

/// The clear part of a blob: which key and version sealed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobHeader {
    /// The KMS key.
    pub key_id: KeyId,
    /// The key's version.
    pub version: u32,
}

impl BlobHeader {
    /// Reads the header of a blob (without checking anything cryptographic).
    ///
    /// # Errors
    /// [`InvalidBlob`] if `blob` is not shaped like a blob of this format.
    pub fn parse(blob: &[u8]) -> Result<Self, InvalidBlob> {
        ParsedBlob::parse(blob).map(|b| b.header)
    }

    fn encode(&self) -> [u8; BLOB_HEADER_LEN] {
        let mut out = [0u8; BLOB_HEADER_LEN];
        let mut w = Writer::new(&mut out);
        // Cannot fail: the array is exactly the header's length.
        let _ = w.u8(BLOB_VERSION).and(w.put(self.key_id.as_bytes())).and(w.u32(self.version));
        out
    }
}

/// A parsed blob, borrowing its ciphertext.
#[derive(Debug)]
pub(crate) struct ParsedBlob<'a> {
    pub(crate) header: BlobHeader,
    pub(crate) nonce: Nonce,
    pub(crate) ciphertext: &'a [u8],
    pub(crate) tag: Tag,
}

impl<'a> ParsedBlob<'a> {
    pub(crate) fn parse(blob: &'a [u8]) -> Result<Self, InvalidBlob> {
        if blob.len() > MAX_BLOB_LEN {
            return Err(InvalidBlob);
        }
        let mut r = Reader::new(blob);
        if r.u8().map_err(|_| InvalidBlob)? != BLOB_VERSION {
            return Err(InvalidBlob);
        }
        let key_id = KeyId::from_bytes(r.array().map_err(|_| InvalidBlob)?);
        let version = r.u32().map_err(|_| InvalidBlob)?;
        let nonce = Nonce(r.array().map_err(|_| InvalidBlob)?);
        let ct_len = r.remaining().checked_sub(TAG_LEN).filter(|n| *n >= 1).ok_or(InvalidBlob)?;
        let ciphertext = r.take(ct_len).map_err(|_| InvalidBlob)?;
        let tag = Tag(r.array().map_err(|_| InvalidBlob)?);
        r.finish().map_err(|_| InvalidBlob)?;
        Ok(Self { header: BlobHeader { key_id, version }, nonce, ciphertext, tag })
    }
}

/// Writes the AAD for a blob under `header` with `context` into `out`; returns its length, or
/// `None` if `out` is too short or the context does not encode.
fn blob_aad(header: &BlobHeader, context: &EncryptionContext<'_>, out: &mut [u8]) -> Option<usize> {
    let ctx_len = context.encoded_len().ok()?;
    let mut w = Writer::new(out);
    w.put(&header.encode()).ok()?;
    w.u16(u16::try_from(ctx_len).ok()?).ok()?;
    let start = w.len();
    let written = context.encode(out.get_mut(start..)?).ok()?;
    start.checked_add(written)
}

/// AAD this long or shorter (a context of up to 233 encoded bytes: a few short pairs, as most
/// callers use) is built in a buffer on the stack of the caller's frame.
const INLINE_AAD_LEN: usize = 256;

/// Builds the AAD of a blob under `header` with `context` and hands it to `f`. `None` if the
/// context does not encode (too long for the blob format).
///
/// The buffer is sized for the context at hand: a short one on the stack, a longer one in a
/// frame of its own (up to [`MAX_AAD_LEN`], 4 KiB, without the heap; exactly its length on the
/// heap with `std`), so that the common call does not pay 4 KiB of stack for the rare one.
pub(crate) fn with_blob_aad<R>(
    header: &BlobHeader,
    context: &EncryptionContext<'_>,
    f: impl FnOnce(&[u8]) -> R,
) -> Option<R> {
    let len = BLOB_HEADER_LEN.checked_add(2)?.checked_add(context.encoded_len().ok()?)?;
    if len > MAX_AAD_LEN {
        return None;
    }
    if len <= INLINE_AAD_LEN {
        let mut buf = [0u8; INLINE_AAD_LEN];
        let n = blob_aad(header, context, &mut buf)?;
        return Some(f(buf.get(..n)?));
    }
    with_long_aad(header, context, len, f)
}

/// The long-context path of [`with_blob_aad`], kept out of line so that its buffer is only on
/// the stack while it runs.
#[cfg(not(feature = "std"))]
#[inline(never)]
fn with_long_aad<R>(
    header: &BlobHeader,
    context: &EncryptionContext<'_>,
    len: usize,
    f: impl FnOnce(&[u8]) -> R,
) -> Option<R> {
    let mut buf = [0u8; MAX_AAD_LEN];
    let n = blob_aad(header, context, buf.get_mut(..len)?)?;
    Some(f(buf.get(..n)?))
}

#[cfg(feature = "std")]
fn with_long_aad<R>(
    header: &BlobHeader,
    context: &EncryptionContext<'_>,
    len: usize,
    f: impl FnOnce(&[u8]) -> R,
) -> Option<R> {
    let mut buf = alloc::vec![0u8; len];
    let n = blob_aad(header, context, &mut buf)?;
    Some(f(buf.get(..n)?))
}

/// The length of the blob that seals `plaintext_len` bytes: what a caller's `blob_out` must hold.
pub const fn blob_len(plaintext_len: usize) -> usize {
    plaintext_len.saturating_add(BLOB_OVERHEAD)
}

/// A blob being written in place in a caller's buffer: its ciphertext region is filled first
/// (with the plaintext, sealed in place), then the header, nonce and tag around it.
pub(crate) struct BlobOut<'a> {
    header: &'a mut [u8],
    nonce: &'a mut [u8],
    body: &'a mut [u8],
    tag: &'a mut [u8],
}

impl<'a> BlobOut<'a> {
    /// Splits `out` for a blob of `body_len` bytes of ciphertext; `None` if it is too short or
    /// `body_len` is outside 1..=4096.
    pub(crate) fn split(out: &'a mut [u8], body_len: usize) -> Option<Self> {
        if body_len == 0 || body_len > MAX_PLAINTEXT_LEN {
            return None;
        }
        let (header, rest) = out.split_at_mut_checked(BLOB_HEADER_LEN)?;
        let (nonce, rest) = rest.split_at_mut_checked(NONCE_LEN)?;
        let (body, rest) = rest.split_at_mut_checked(body_len)?;
        let tag = rest.get_mut(..TAG_LEN)?;
        Some(Self { header, nonce, body, tag })
    }

    /// The ciphertext region: the plaintext goes here and is sealed in place.
    pub(crate) fn body(&mut self) -> &mut [u8] {
        self.body
    }

    /// Writes the header, nonce and tag around the sealed body; returns the blob's length.
    pub(crate) fn finish(self, header: &BlobHeader, nonce: &Nonce, tag: &Tag) -> usize {
        self.header.copy_from_slice(&header.encode());
        self.nonce.copy_from_slice(&nonce.0);
        self.tag.copy_from_slice(&tag.0);
        blob_len(self.body.len())
    }
}

/// A ciphertext blob (not secret).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Ciphertext(Vec<u8, MAX_BLOB_LEN>);

impl Ciphertext {
    /// A blob written by `f` into a buffer of `len` bytes (at most [`MAX_BLOB_LEN`]); `f`
    /// answers with what it wrote and the blob's length, and the buffer is cut there.
    pub(crate) fn written<T, E>(
        len: usize,
        f: impl FnOnce(&mut [u8]) -> Result<(T, usize), E>,
    ) -> Result<(T, Self), E> {
        let mut v = Vec::new();
        // Cannot fail: the length is capped at the capacity.
        let _ = v.resize_default(len.min(MAX_BLOB_LEN));
        let (answer, written) = f(&mut v)?;
        v.truncate(written);
        Ok((answer, Self(v)))
    }

    /// The blob's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The blob's header.
    ///
    /// # Errors
    /// Never for a blob Coffer made; [`InvalidBlob`] otherwise.
    pub fn header(&self) -> Result<BlobHeader, InvalidBlob> {
        BlobHeader::parse(&self.0)
    }
}

impl AsRef<[u8]> for Ciphertext {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Ciphertext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ciphertext([{} bytes])", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    extern crate alloc;
    extern crate std;
    use super::*;

    fn assemble(header: &BlobHeader, nonce: &Nonce, body: &[u8], tag: &Tag) -> Option<Ciphertext> {
        Ciphertext::written(blob_len(body.len()), |buf| {
            let mut out = BlobOut::split(buf, body.len()).ok_or(())?;
            out.body().copy_from_slice(body);
            Ok::<_, ()>(((), out.finish(header, nonce, tag)))
        })
        .ok()
        .map(|((), blob)| blob)
    }

    fn sample() -> Ciphertext {
        let header = BlobHeader { key_id: KeyId::from_random([3; 16]), version: 2 };
        assemble(&header, &Nonce([9; 12]), &[1, 2, 3], &Tag([4; 16])).unwrap()
    }

    #[test]
    fn parse_round_trip() {
        let blob = sample();
        assert_eq!(blob.as_bytes().len(), BLOB_OVERHEAD + 3);
        let p = ParsedBlob::parse(blob.as_bytes()).unwrap();
        assert_eq!(p.header.version, 2);
        assert_eq!(p.ciphertext, &[1, 2, 3]);
        assert_eq!(p.nonce, Nonce([9; 12]));
        assert_eq!(p.tag, Tag([4; 16]));
    }

    #[test]
    fn every_truncation_and_wrong_version_refused() {
        let blob = sample();
        let bytes = blob.as_bytes();
        for cut in 0..bytes.len() {
            // A cut of up to 2 bytes still leaves >= 1 ciphertext byte and parses as a shorter
            // blob: the tag check catches those. Shorter than the overhead + 1 must not parse.
            if cut < BLOB_OVERHEAD + 1 {
                assert!(ParsedBlob::parse(&bytes[..cut]).is_err(), "cut {cut}");
            }
        }
        let mut wrong = bytes.to_vec();
        wrong[0] = 2;
        assert!(ParsedBlob::parse(&wrong).is_err());
    }

    #[test]
    fn plaintext_edges_in_a_blob_written_in_place() {
        let header = BlobHeader { key_id: KeyId::from_random([3; 16]), version: 1 };
        assert!(assemble(&header, &Nonce([0; 12]), &[], &Tag([0; 16])).is_none());
        assert!(assemble(&header, &Nonce([0; 12]), &[0; MAX_PLAINTEXT_LEN], &Tag([0; 16])).is_some());
        assert!(assemble(&header, &Nonce([0; 12]), &[0; MAX_PLAINTEXT_LEN + 1], &Tag([0; 16])).is_none());
        // A buffer one byte short of the blob is refused; the exact length is enough.
        let mut buf = [0u8; BLOB_OVERHEAD + 10];
        assert!(BlobOut::split(&mut buf[..BLOB_OVERHEAD + 9], 10).is_none());
        assert!(BlobOut::split(&mut buf, 10).is_some());
    }

    #[test]
    fn aad_on_either_path_is_header_length_and_context() {
        let header = BlobHeader { key_id: KeyId::from_random([7; 16]), version: 5 };
        // 233 encoded context bytes make a 256-byte AAD (the inline buffer); 234 take the long path.
        for value_len in [0usize, 224, 225, 2000] {
            let value: alloc::string::String = core::iter::repeat_n('v', value_len).collect();
            let pairs = [("k", value.as_str())];
            let context = EncryptionContext::new(&pairs).unwrap();
            let ctx_len = context.encoded_len().unwrap();
            let aad = with_blob_aad(&header, &context, <[u8]>::to_vec).unwrap();
            assert_eq!(aad.len(), BLOB_HEADER_LEN + 2 + ctx_len, "{value_len}");
            assert_eq!(&aad[..BLOB_HEADER_LEN], &header.encode());
            assert_eq!(&aad[BLOB_HEADER_LEN..BLOB_HEADER_LEN + 2], &u16::try_from(ctx_len).unwrap().to_be_bytes());
            let mut encoded = alloc::vec![0u8; ctx_len];
            context.encode(&mut encoded).unwrap();
            assert_eq!(&aad[BLOB_HEADER_LEN + 2..], &encoded[..]);
        }
    }
}
