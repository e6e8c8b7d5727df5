//! Key ids: random 128-bit UUIDs (version 4), shown as AWS shows them.

use core::fmt;
use core::str;

/// Length of a key id in its text form (`1234abcd-12ab-34cd-56ef-1234567890ab`).
pub const KEY_ID_STR_LEN: usize = 36;

/// A KMS key's identifier. Never reused: it comes from the HSM's random generator.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId([u8; 16]);

impl KeyId {
    /// Makes a version-4 UUID from 16 random bytes.
    pub const fn from_random(mut bytes: [u8; 16]) -> Self {
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        Self(bytes)
    }

    /// The id from its 16 raw bytes (as stored in blobs and records).
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The 16 raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Parses the 36-character hyphenated form; hex digits in either case.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.as_bytes();
        if t.len() != KEY_ID_STR_LEN {
            return None;
        }
        let mut out = [0u8; 16];
        let mut digits = t.iter().enumerate().filter(|(i, _)| !matches!(i, 8 | 13 | 18 | 23));
        for (i, byte) in t.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) && *byte != b'-' {
                return None;
            }
        }
        for slot in &mut out {
            let (_, hi) = digits.next()?;
            let (_, lo) = digits.next()?;
            *slot = (hex_value(*hi)? << 4) | hex_value(*lo)?;
        }
        Some(Self(out))
    }

    /// The canonical lowercase text form, in a fixed buffer.
    pub fn to_text(&self) -> KeyIdText {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [b'-'; KEY_ID_STR_LEN];
        let positions = (0..KEY_ID_STR_LEN).filter(|i| !matches!(i, 8 | 13 | 18 | 23));
        let nibbles = self.0.iter().flat_map(|b| [b >> 4, b & 0x0f]);
        for (pos, nibble) in positions.zip(nibbles) {
            if let (Some(slot), Some(ch)) = (text.get_mut(pos), HEX.get(usize::from(nibble))) {
                *slot = *ch;
            }
        }
        KeyIdText(text)
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => c.checked_sub(b'0'),
        b'a'..=b'f' => c.checked_sub(b'a' - 10),
        b'A'..=b'F' => c.checked_sub(b'A' - 10),
        _ => None,
    }
}

/// A key id's text form, held without allocation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KeyIdText([u8; KEY_ID_STR_LEN]);

impl KeyIdText {
    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits and hyphens are ever written into the array.
        str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Debug for KeyIdText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.to_text().as_str())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

#[cfg(test)]
mod tests {
    extern crate alloc;
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn text_round_trip_and_uuid_v4_bits() {
        let id = KeyId::from_random([0xff; 16]);
        let text = id.to_string();
        assert_eq!(text, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(KeyId::parse(&text), Some(id));
        assert_eq!(KeyId::parse(&text.to_uppercase()), Some(id));
    }

    #[test]
    fn parse_refuses_malformed_ids() {
        let good = "1234abcd-12ab-34cd-56ef-1234567890ab";
        assert!(KeyId::parse(good).is_some());
        assert!(KeyId::parse(&good[..35]).is_none());
        assert!(KeyId::parse("1234abcd-12ab-34cd-56ef-1234567890ab0").is_none());
        assert!(KeyId::parse("1234abcd+12ab-34cd-56ef-1234567890ab").is_none());
        assert!(KeyId::parse("1234abcg-12ab-34cd-56ef-1234567890ab").is_none());
        assert!(KeyId::parse("1234abcd-12ab-34cd-56ef-1234567890\u{e9}").is_none());
        assert!(KeyId::parse("").is_none());
    }
}
