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

/// Writes the AAD for a blob under `header` with `context` into `out`; returns its length.
pub(crate) fn blob_aad(
    header: &BlobHeader,
    context: &EncryptionContext<'_>,
    out: &mut [u8; MAX_AAD_LEN],
) -> Option<usize> {
    let ctx_len = context.encoded_len().ok()?;
    let mut w = Writer::new(out);
    w.put(&header.encode()).ok()?;
    w.u16(u16::try_from(ctx_len).ok()?).ok()?;
    let start = w.len();
    let written = context.encode(out.get_mut(start..)?).ok()?;
    start.checked_add(written)
}

/// A ciphertext blob (not secret).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Ciphertext(Vec<u8, MAX_BLOB_LEN>);

impl Ciphertext {
    /// Assembles a blob from its parts. Returns `None` if the ciphertext is empty or too long.
    pub(crate) fn assemble(header: &BlobHeader, nonce: &Nonce, ciphertext: &[u8], tag: &Tag) -> Option<Self> {
        if ciphertext.is_empty() || ciphertext.len() > MAX_PLAINTEXT_LEN {
            return None;
        }
        let mut v = Vec::new();
        v.extend_from_slice(&header.encode()).ok()?;
        v.extend_from_slice(&nonce.0).ok()?;
        v.extend_from_slice(ciphertext).ok()?;
        v.extend_from_slice(&tag.0).ok()?;
        Some(Self(v))
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
    extern crate std;
    use super::*;

    fn sample() -> Ciphertext {
        let header = BlobHeader { key_id: KeyId::from_random([3; 16]), version: 2 };
        Ciphertext::assemble(&header, &Nonce([9; 12]), &[1, 2, 3], &Tag([4; 16])).unwrap()
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
    fn plaintext_edges_in_assemble() {
        let header = BlobHeader { key_id: KeyId::from_random([3; 16]), version: 1 };
        assert!(Ciphertext::assemble(&header, &Nonce([0; 12]), &[], &Tag([0; 16])).is_none());
        assert!(Ciphertext::assemble(&header, &Nonce([0; 12]), &[0; MAX_PLAINTEXT_LEN], &Tag([0; 16])).is_some());
        assert!(Ciphertext::assemble(&header, &Nonce([0; 12]), &[0; MAX_PLAINTEXT_LEN + 1], &Tag([0; 16])).is_none());
    }
}
