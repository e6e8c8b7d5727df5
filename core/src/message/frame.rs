//! Frames: the body AAD, IVs and the byte layout of regular and final frames.
//!
//! ```text
//! regular: sequence number (4) | IV (12) | ciphertext (frame length) | tag (16)
//! final:   FF FF FF FF | sequence number (4) | IV (12) | content length (4) | ciphertext | tag (16)
//! ```
//!
//! Each frame's AAD is `message id || "AWSKMSEncryptionClient Frame"` (or `... Final Frame`)
//! `|| sequence number (4) || content length (8)`, so a frame cannot be moved to another
//! message or another position, nor a regular frame passed off as the final one (truncation).
//! The IV is the sequence number, big-endian, left-padded with zeros to 12 bytes: unique within
//! the message, and the key is unique to the message.

use super::{IV_LEN, MESSAGE_ID_LEN};

/// Marks the final frame where a regular frame has its sequence number.
pub(crate) const FINAL_FRAME_MARKER: u32 = 0xFFFF_FFFF;
/// Bytes before a regular frame's ciphertext.
pub(crate) const REGULAR_PREFIX_LEN: usize = 4 + IV_LEN;
/// Bytes before a final frame's ciphertext.
pub(crate) const FINAL_PREFIX_LEN: usize = 4 + 4 + IV_LEN + 4;

const REGULAR: &[u8] = b"AWSKMSEncryptionClient Frame";
const FINAL: &[u8] = b"AWSKMSEncryptionClient Final Frame";
const SINGLE: &[u8] = b"AWSKMSEncryptionClient Single Block";
/// Bytes before a non-framed body's ciphertext: IV (12) and content length (8).
pub(crate) const SINGLE_PREFIX_LEN: usize = IV_LEN + 8;

/// Which body AAD content string a piece of the body uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Regular,
    Final,
    /// Legacy non-framed content (read only).
    Single,
}
const MAX_AAD_LEN: usize = MESSAGE_ID_LEN + SINGLE.len() + 4 + 8;

/// The body AAD of a frame.
pub(crate) struct BodyAad {
    buf: [u8; MAX_AAD_LEN],
    len: usize,
}

impl BodyAad {
    pub(crate) fn new(message_id: &[u8; MESSAGE_ID_LEN], kind: Kind, sequence: u32, content_len: u64) -> Self {
        let label = match kind {
            Kind::Regular => REGULAR,
            Kind::Final => FINAL,
            Kind::Single => SINGLE,
        };
        let mut buf = [0u8; MAX_AAD_LEN];
        let mut len: usize = 0;
        for part in [message_id.as_slice(), label, &sequence.to_be_bytes(), &content_len.to_be_bytes()] {
            let end = len.saturating_add(part.len());
            if let Some(dst) = buf.get_mut(len..end) {
                dst.copy_from_slice(part);
            }
            len = end;
        }
        Self { buf, len }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

/// The IV of frame `sequence`.
pub(crate) fn frame_iv(sequence: u32) -> [u8; IV_LEN] {
    let [a, b, c, d] = sequence.to_be_bytes();
    [0, 0, 0, 0, 0, 0, 0, 0, a, b, c, d]
}
