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
        if DASHES.iter().any(|&at| t.get(at) != Some(&b'-')) {
            return None;
        }
        let mut out = [0u8; 16];
        for ((slot, &hi), &lo) in out.iter_mut().zip(&HIGH_NIBBLE_AT).zip(&LOW_NIBBLE_AT) {
            *slot = (hex_value(*t.get(hi)?)? << 4) | hex_value(*t.get(lo)?)?;
        }
        Some(Self(out))
    }

    /// The canonical lowercase text form, in a fixed buffer.
    pub fn to_text(&self) -> KeyIdText {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [b'-'; KEY_ID_STR_LEN];
        for ((byte, &hi), &lo) in self.0.iter().zip(&HIGH_NIBBLE_AT).zip(&LOW_NIBBLE_AT) {
            if let (Some(slot), Some(ch)) = (text.get_mut(hi), HEX.get(usize::from(byte >> 4))) {
                *slot = *ch;
            }
            if let (Some(slot), Some(ch)) = (text.get_mut(lo), HEX.get(usize::from(byte & 0x0f))) {
                *slot = *ch;
            }
        }
        KeyIdText(text)
    }
}

/// Where the dashes of the text form are (8-4-4-4-12 hex digits), and where each byte's two
/// hex digits go: tables, because this runs on every request (a record's name is the key id).
const DASHES: [usize; 4] = [8, 13, 18, 23];
const HIGH_NIBBLE_AT: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const LOW_NIBBLE_AT: [usize; 16] = [1, 3, 5, 7, 10, 12, 15, 17, 20, 22, 25, 27, 29, 31, 33, 35];

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
    fn every_byte_in_its_place() {
        let bytes = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0x4d, 0xef, 0x8e, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10];
        let text = "01234567-89ab-4def-8edc-ba9876543210";
        assert_eq!(KeyId::from_bytes(bytes).to_text().as_str(), text);
        assert_eq!(KeyId::parse(text), Some(KeyId::from_bytes(bytes)));
        assert_eq!(KeyId::parse("01234567-89AB-4DEF-8EDC-BA9876543210"), Some(KeyId::from_bytes(bytes)));
        // A dash moved by one is refused, wherever it is.
        for at in DASHES {
            let mut moved = text.as_bytes().to_vec();
            moved.swap(at, at - 1);
            assert_eq!(KeyId::parse(core::str::from_utf8(&moved).unwrap()), None, "{at}");
        }
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
