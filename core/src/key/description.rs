//! Description records: a key's description, a sealed record of its own, read only by the
//! operations that show or change it (DescribeKey with its description, UpdateKeyDescription), so
//! that the key record stays small and Encrypt and Decrypt never read 8 KiB of text.
//!
//! Named by the key id's text under
//! [`RecordKind::Description`](crate::store::RecordKind::Description). A key with an empty
//! description has no description record. Body (`docs/FORMAT.md`):
//!
//! ```text
//! u8   body format (1)
//! [16] key id
//! [d]  the description, UTF-8, 1 ≤ d ≤ 8192 (the rest of the body)
//! ```

use super::MAX_DESCRIPTION_LEN;
use super::id::KeyId;
use crate::encoding::{Reader, Truncated, Writer};

const BODY_FORMAT: u8 = 1;
/// Bytes before the text.
pub(crate) const DESCRIPTION_PREFIX_LEN: usize = 1 + 16;
/// Longest description record body.
pub(crate) const MAX_DESCRIPTION_BODY_LEN: usize = DESCRIPTION_PREFIX_LEN + MAX_DESCRIPTION_LEN;

/// A key's description, as DescribeKey shows it: up to 8192 bytes of UTF-8.
pub type Description = heapless::String<MAX_DESCRIPTION_LEN>;

/// Writes the prefix of a description record of key `id` (the text follows it).
pub(crate) fn encode_prefix(id: &KeyId, out: &mut [u8]) -> Result<usize, Truncated> {
    let mut w = Writer::new(out);
    w.u8(BODY_FORMAT)?;
    w.put(id.as_bytes())?;
    Ok(w.len())
}

/// Writes the description record body of key `id`; returns its length.
pub(crate) fn encode(id: &KeyId, text: &str, out: &mut [u8]) -> Result<usize, Truncated> {
    let mut w = Writer::new(out);
    w.u8(BODY_FORMAT)?;
    w.put(id.as_bytes())?;
    w.put(text.as_bytes())?;
    Ok(w.len())
}

/// The text of the record read for key `id`: the format and id must match, the text be UTF-8 of
/// 1 to 8192 bytes.
pub(crate) fn decode<'a>(body: &'a [u8], id: &KeyId) -> Option<&'a str> {
    let mut r = Reader::new(body);
    if r.u8().ok()? != BODY_FORMAT || r.array::<16>().ok()? != *id.as_bytes() {
        return None;
    }
    let text = r.take(r.remaining()).ok()?;
    if text.is_empty() || text.len() > MAX_DESCRIPTION_LEN {
        return None;
    }
    core::str::from_utf8(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let id = KeyId::from_random([1; 16]);
        let mut buf = [0u8; 64];
        let len = encode(&id, "payments \u{1f511}", &mut buf).unwrap();
        assert_eq!(decode(&buf[..len], &id), Some("payments \u{1f511}"));
        assert_eq!(decode(&buf[..len], &KeyId::from_random([2; 16])), None);
        assert_eq!(decode(&buf[..len - 1], &id), None, "cut inside a UTF-8 sequence");
        assert_eq!(decode(&buf[..DESCRIPTION_PREFIX_LEN], &id), None, "empty text has no record");
        buf[0] = 2;
        assert_eq!(decode(&buf[..len], &id), None);
    }

    #[test]
    fn the_longest_description_fits() {
        let id = KeyId::from_random([1; 16]);
        let mut text = Description::new();
        for _ in 0..MAX_DESCRIPTION_LEN {
            text.push('x').unwrap();
        }
        let mut buf = [0u8; MAX_DESCRIPTION_BODY_LEN];
        assert_eq!(encode(&id, &text, &mut buf), Ok(MAX_DESCRIPTION_BODY_LEN));
        assert_eq!(decode(&buf, &id), Some(text.as_str()));
    }
}
