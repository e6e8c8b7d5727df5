//! The message header, format version 2: parsed into borrowed slices, serialized, authenticated.
//!
//! ```text
//! version (02) | suite id (2) | message id (32) | AAD length (2) | AAD (encryption context)
//! | EDK count (2) | EDKs (each: 3 × u16-length-prefixed field) | content type (02 = framed)
//! | frame length (4) | commitment (32) | header tag (16)
//! ```
//!
//! The tag is AES-GCM under the derived content key, IV all zero, over the header body (all but
//! the tag) with an empty plaintext. The encryption context is bound there and nowhere else.

use core::fmt;
use heapless::Vec;

use super::edk::{EdkRef, MAX_EDK_CIPHERTEXT_LEN, MAX_PROVIDER_ID_LEN, MAX_PROVIDER_INFO_LEN};
use super::edk_pool::EdkPool;
use super::kdf::ContentKey;
use super::materials::{Limits, MAX_EDKS};
use super::suite::{AlgorithmSuite, SuiteError};
use super::{COMMITMENT_LEN, IV_LEN, MESSAGE_ID_LEN, TAG_LEN};
use crate::crypto::CryptoProvider;
use crate::data::{ContextError, EncryptionContext, MAX_CONTEXT_ENCODED_LEN};
use crate::encoding::{Truncated, Writer};

/// Message format version written and read.
pub const FORMAT_VERSION: u8 = 0x02;
/// Content type "framed", the only one Coffer writes or reads.
pub const CONTENT_TYPE_FRAMED: u8 = 0x02;
/// Content type "non-framed" (legacy): read, within the workspace, never written.
pub const CONTENT_TYPE_NON_FRAMED: u8 = 0x01;
/// Longest header a message may have with the fixed caps of this build.
pub const MAX_HEADER_LEN: usize = 1
    + 2
    + MESSAGE_ID_LEN
    + 2
    + MAX_CONTEXT_ENCODED_LEN
    + 2
    + MAX_EDKS * (6 + MAX_PROVIDER_ID_LEN + MAX_PROVIDER_INFO_LEN + MAX_EDK_CIPHERTEXT_LEN)
    + 1
    + 4
    + COMMITMENT_LEN
    + TAG_LEN;

/// A header limit that a message exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderLimit {
    /// More encrypted data keys than [`Limits::max_encrypted_data_keys`].
    EncryptedDataKeys,
    /// An EDK field longer than its cap ([`MAX_PROVIDER_ID_LEN`], ...).
    EdkField,
    /// An encryption context over the context limits.
    Context,
    /// A frame length over what the caller's workspace holds.
    FrameLength,
    /// A header longer than the caller's workspace.
    HeaderLength,
}

/// Why a header was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// Not all of the header is there yet: at least `needed` bytes in all are required.
    Incomplete {
        /// Total header bytes needed before parsing can go further.
        needed: usize,
    },
    /// The suite is refused (non-committing, not enabled, unknown).
    Suite(SuiteError),
    /// A fixed cap or configured limit was exceeded.
    Limit(HeaderLimit),
    /// Not a well-formed version 2 framed header.
    Malformed,
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Incomplete { needed } => write!(f, "incomplete header: {needed} bytes needed"),
            Self::Suite(e) => fmt::Display::fmt(e, f),
            Self::Limit(l) => write!(f, "header exceeds a limit: {l:?}"),
            Self::Malformed => f.write_str("malformed message header"),
        }
    }
}

impl core::error::Error for HeaderError {}

/// A reader that, when it runs out, says how many bytes it would have needed in all.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], HeaderError> {
        let end = self.pos.checked_add(n).ok_or(HeaderError::Malformed)?;
        let out = self.bytes.get(self.pos..end).ok_or(HeaderError::Incomplete { needed: end })?;
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], HeaderError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, HeaderError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    fn u16(&mut self) -> Result<u16, HeaderError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, HeaderError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// A u16-length-prefixed field of at most `max` bytes (checked before waiting for it).
    fn field(&mut self, max: usize) -> Result<&'a [u8], HeaderError> {
        let len = usize::from(self.u16()?);
        if len > max {
            return Err(HeaderError::Limit(HeaderLimit::EdkField));
        }
        self.take(len)
    }
}

/// A parsed header, borrowing from the bytes it was parsed from.
///
/// **Unauthenticated**: [`Header::parse`] checks the layout and the limits only. Nothing in a
/// parsed header — suite, message id, encryption context, EDKs, frame length — is authentic
/// until the data key is unwrapped, the commitment matches and the header tag verifies, which
/// the [`Decryptor`](super::Decryptor) does before it uses any of it. Use a parsed header to
/// inspect or route a message (which keys could open it), never to decide that it is genuine.
#[derive(Debug, Clone)]
pub struct Header<'a> {
    /// The suite.
    pub suite: AlgorithmSuite,
    /// The message id (HKDF salt, and bound into every frame).
    pub message_id: [u8; MESSAGE_ID_LEN],
    /// The encryption context as encoded in the header (canonical).
    pub encoded_context: &'a [u8],
    /// The encryption context.
    pub context: EncryptionContext<'a>,
    /// The encrypted data keys, in header order.
    pub edks: Vec<EdkRef<'a>, MAX_EDKS>,
    /// True for framed content (all Coffer writes); false for legacy non-framed content.
    pub framed: bool,
    /// Plaintext bytes per regular frame (0 for non-framed content).
    pub frame_length: u32,
    /// The key commitment.
    pub commitment: [u8; COMMITMENT_LEN],
    /// The header body: every header byte before the tag (what the tag authenticates).
    pub body: &'a [u8],
    /// The header authentication tag.
    pub tag: [u8; TAG_LEN],
}

impl<'a> Header<'a> {
    /// Parses a header from the start of `bytes`, returning it and its length (the body
    /// follows). Limits are checked as soon as the field that states them is read, before
    /// waiting for more input.
    ///
    /// The result is **not authenticated**: neither the key commitment nor the header tag is
    /// checked here (that needs the data key). Anyone can write a header that parses; see
    /// [`Header`].
    ///
    /// # Errors
    /// [`HeaderError::Incomplete`] if `bytes` ends inside the header (feed more and retry with
    /// at least `needed` bytes); [`HeaderError::Suite`]; [`HeaderError::Limit`];
    /// [`HeaderError::Malformed`].
    pub fn parse(bytes: &'a [u8], limits: &Limits) -> Result<(Self, usize), HeaderError> {
        let mut c = Cursor { bytes, pos: 0 };
        let version = c.u8()?;
        if version == 0x01 {
            // Format 1 carries only the legacy suites, none of which commits to its key.
            let _type = c.u8()?;
            let id = c.u16()?;
            return Err(HeaderError::Suite(match AlgorithmSuite::from_id(id) {
                Err(e) => e,
                Ok(_) => SuiteError::Unknown(id),
            }));
        }
        if version != FORMAT_VERSION {
            return Err(HeaderError::Malformed);
        }
        let suite = AlgorithmSuite::from_id(c.u16()?).map_err(HeaderError::Suite)?;
        let message_id = c.array::<MESSAGE_ID_LEN>()?;
        let context_len = usize::from(c.u16()?);
        if context_len > MAX_CONTEXT_ENCODED_LEN {
            return Err(HeaderError::Limit(HeaderLimit::Context));
        }
        let encoded_context = c.take(context_len)?;
        let context = EncryptionContext::decode(encoded_context).map_err(|e| match e {
            ContextError::TooLarge | ContextError::TooManyPairs => HeaderError::Limit(HeaderLimit::Context),
            ContextError::DuplicateKey | ContextError::Malformed => HeaderError::Malformed,
        })?;
        let edk_count = usize::from(c.u16()?);
        if edk_count == 0 {
            return Err(HeaderError::Malformed);
        }
        if edk_count > limits.max_edks() {
            return Err(HeaderError::Limit(HeaderLimit::EncryptedDataKeys));
        }
        let mut edks = Vec::new();
        for _ in 0..edk_count {
            let provider_id = c.field(MAX_PROVIDER_ID_LEN)?;
            let provider_info = c.field(MAX_PROVIDER_INFO_LEN)?;
            let ciphertext = c.field(MAX_EDK_CIPHERTEXT_LEN)?;
            edks.push(EdkRef { provider_id, provider_info, ciphertext })
                .map_err(|_| HeaderError::Limit(HeaderLimit::EncryptedDataKeys))?;
        }
        let framed = match c.u8()? {
            CONTENT_TYPE_FRAMED => true,
            CONTENT_TYPE_NON_FRAMED => false,
            _ => return Err(HeaderError::Malformed),
        };
        let frame_length = c.u32()?;
        // Framed content needs a frame length; non-framed content has none.
        if framed == (frame_length == 0) {
            return Err(HeaderError::Malformed);
        }
        let commitment = c.array::<COMMITMENT_LEN>()?;
        let body_len = c.pos;
        let tag = c.array::<TAG_LEN>()?;
        let body = bytes.get(..body_len).ok_or(HeaderError::Malformed)?;
        let header =
            Self { suite, message_id, encoded_context, context, edks, framed, frame_length, commitment, body, tag };
        Ok((header, c.pos))
    }

    /// Checks the header tag under the message's content key.
    pub(crate) fn verify_tag<P: CryptoProvider>(&self, key: &ContentKey<P>) -> Result<(), ()> {
        key.open(&[0u8; IV_LEN], self.body, &mut [], &self.tag)
    }
}

/// What a header is serialized from, on encrypt.
pub(crate) struct HeaderFields<'m> {
    pub(crate) suite: AlgorithmSuite,
    pub(crate) message_id: &'m [u8; MESSAGE_ID_LEN],
    pub(crate) context: &'m EncryptionContext<'m>,
    pub(crate) edks: &'m EdkPool,
    pub(crate) frame_length: u32,
    pub(crate) commitment: &'m [u8; COMMITMENT_LEN],
}

/// The serialized length (body and tag) of a header holding `context` (the full one, public
/// key included) and `edks`, saturating. A context over the limits counts as the longest one.
pub(crate) fn header_len(context: &EncryptionContext<'_>, edks: &EdkPool) -> usize {
    let edks = edks.serialized_len();
    let context = context.encoded_len().unwrap_or(MAX_CONTEXT_ENCODED_LEN);
    (1 + 2 + MESSAGE_ID_LEN + 2 + 2 + 1 + 4 + COMMITMENT_LEN + TAG_LEN).saturating_add(context).saturating_add(edks)
}

impl HeaderFields<'_> {
    /// The serialized length (body and tag), saturating.
    pub(crate) fn len(&self) -> usize {
        header_len(self.context, self.edks)
    }

    /// Writes the header body then its tag into `out`, returning the total length.
    pub(crate) fn write<P: CryptoProvider>(&self, key: &ContentKey<P>, out: &mut [u8]) -> Result<usize, Truncated> {
        let mut w = Writer::new(out);
        w.u8(FORMAT_VERSION)?;
        w.u16(self.suite.id())?;
        w.put(self.message_id)?;
        // Encoded straight into the output: no 4 KiB scratch buffer on the stack.
        let context_len = self.context.encoded_len().map_err(|_| Truncated)?;
        w.u16(u16::try_from(context_len).map_err(|_| Truncated)?)?;
        self.context.encode(w.reserve(context_len)?).map_err(|_| Truncated)?;
        // The count of what is written, so that count and entries cannot disagree.
        w.u16(u16::try_from(self.edks.iter().count()).map_err(|_| Truncated)?)?;
        for edk in self.edks.iter() {
            w.u16_prefixed(edk.provider_id)?;
            w.u16_prefixed(edk.provider_info)?;
            w.u16_prefixed(edk.ciphertext)?;
        }
        w.u8(CONTENT_TYPE_FRAMED)?;
        w.u32(self.frame_length)?;
        w.put(self.commitment)?;
        let body_len = w.len();
        let body = out.get(..body_len).ok_or(Truncated)?;
        let tag = key.seal(&[0u8; IV_LEN], body, &mut []).map_err(|()| Truncated)?;
        let end = body_len.checked_add(TAG_LEN).ok_or(Truncated)?;
        out.get_mut(body_len..end).ok_or(Truncated)?.copy_from_slice(&tag);
        Ok(end)
    }
}
