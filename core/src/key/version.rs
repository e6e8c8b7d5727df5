//! Version records: one key version's wrapped material, a sealed record of its own, so that a key
//! rotates without bound and the key record stays small.
//!
//! Named `<key id>/<number>` (the number in ten decimal digits, so names sort by number) under
//! [`RecordKind::KeyVersion`](crate::store::RecordKind::KeyVersion): the name, and so the key id
//! and the number, is inside the record's MAC; the body repeats both and loading checks them, so
//! a version record copied to another key or another number is refused twice over.
//!
//! Body, integers big-endian (`docs/FORMAT.md`):
//!
//! ```text
//! u8   body format (1)
//! [16] key id
//! u32  version number (≥ 1)
//! u64  creation date
//! u8   rotation type (0 original, 1 automatic, 2 on demand)
//! [40] wrapped material
//! ```

use super::id::{KEY_ID_STR_LEN, KeyId};
use super::metadata::{KeyVersionInfo, RotationType};
use crate::clock::Timestamp;
use crate::encoding::{Reader, Truncated, Writer};
use crate::hsm::{WRAPPED_KEY_LEN, WrappedKey};

const BODY_FORMAT: u8 = 1;
/// Length of a version record body.
pub(crate) const VERSION_BODY_LEN: usize = 1 + 16 + 4 + 8 + 1 + WRAPPED_KEY_LEN;
/// Length of a version record's name: the key id, `/`, ten digits.
pub(crate) const VERSION_NAME_LEN: usize = KEY_ID_STR_LEN + 1 + 10;

/// A version record's name.
pub(crate) type VersionName = heapless::String<VERSION_NAME_LEN>;

/// The name of version `number` of key `id`.
pub(crate) fn version_name(id: &KeyId, number: u32) -> VersionName {
    // The ten digits by hand rather than `write!(.., "{number:010}")`: the name is built on
    // every Decrypt of an older version and every rotation, and `core::fmt` is flash a device
    // need not spend on it.
    let mut digits = [b'0'; 10];
    let mut rest = number;
    for digit in digits.iter_mut().rev() {
        *digit = char::from_digit(rest % 10, 10).and_then(|c| u8::try_from(c).ok()).unwrap_or(b'0');
        rest /= 10;
    }
    let mut name = VersionName::new();
    // Cannot fail: 36 + 1 + 10 bytes is exactly the capacity, and the digits are ASCII.
    let _ = name.push_str(id.to_text().as_str());
    let _ = name.push('/');
    let _ = name.push_str(core::str::from_utf8(&digits).unwrap_or_default());
    name
}

/// `<key id>/`: what every version record name of key `id` begins with.
pub(crate) fn version_prefix(id: &KeyId) -> VersionName {
    let mut name = VersionName::new();
    // Cannot fail: 37 bytes fit the capacity.
    let _ = name.push_str(id.to_text().as_str());
    let _ = name.push('/');
    name
}

/// The key id and number a version record's name gives, if it is one.
pub(crate) fn parse_version_name(name: &str) -> Option<(KeyId, u32)> {
    let (id, number) = name.split_once('/')?;
    if number.len() != 10 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let id = KeyId::parse(id)?;
    let number = number.parse().ok()?;
    // Only the canonical spelling (lowercase id) names a version.
    (version_name(&id, number).as_str() == name).then_some((id, number))
}

/// One version of a key's material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyVersion {
    pub(crate) number: u32,
    pub(crate) created: Timestamp,
    pub(crate) rotation_type: RotationType,
    pub(crate) material: WrappedKey,
}

impl KeyVersion {
    pub(crate) fn info(&self) -> KeyVersionInfo {
        KeyVersionInfo { version: self.number, rotation_date: self.created, rotation_type: self.rotation_type }
    }

    /// Writes the version record body of this version of key `id`; returns its length.
    pub(crate) fn encode(&self, id: &KeyId, out: &mut [u8]) -> Result<usize, Truncated> {
        let mut w = Writer::new(out);
        w.u8(BODY_FORMAT)?;
        w.put(id.as_bytes())?;
        w.u32(self.number)?;
        w.u64(self.created)?;
        w.u8(self.rotation_type.code())?;
        w.put(self.material.as_bytes())?;
        Ok(w.len())
    }

    /// Parses the body of the record read for version `number` of key `id`: every field
    /// checked, and the id and number must be the ones asked for.
    pub(crate) fn decode(body: &[u8], id: &KeyId, number: u32) -> Option<Self> {
        let mut r = Reader::new(body);
        if r.u8().ok()? != BODY_FORMAT || r.array::<16>().ok()? != *id.as_bytes() || r.u32().ok()? != number {
            return None;
        }
        let created = r.u64().ok()?;
        let rotation_type = RotationType::from_code(r.u8().ok()?)?;
        let material = WrappedKey(r.array().ok()?);
        r.finish().ok()?;
        // Only the first version is the original one.
        if number == 0 || (number == 1) != (rotation_type == RotationType::Original) {
            return None;
        }
        Some(Self { number, created, rotation_type, material })
    }
}

#[cfg(test)]
mod tests {
    extern crate alloc;
    use super::*;

    fn sample() -> (KeyId, KeyVersion) {
        let material = WrappedKey([5; WRAPPED_KEY_LEN]);
        (
            KeyId::from_random([3; 16]),
            KeyVersion { number: 7, created: 9, rotation_type: RotationType::OnDemand, material },
        )
    }

    #[test]
    fn round_trip_and_exact_length() {
        let (id, v) = sample();
        let mut buf = [0u8; VERSION_BODY_LEN + 1];
        assert_eq!(v.encode(&id, &mut buf), Ok(VERSION_BODY_LEN));
        assert_eq!(KeyVersion::decode(&buf[..VERSION_BODY_LEN], &id, 7), Some(v));
        assert_eq!(KeyVersion::decode(&buf[..VERSION_BODY_LEN - 1], &id, 7), None);
        assert_eq!(KeyVersion::decode(&buf, &id, 7), None);
    }

    #[test]
    fn another_key_or_number_is_refused() {
        let (id, v) = sample();
        let mut buf = [0u8; VERSION_BODY_LEN];
        v.encode(&id, &mut buf).unwrap();
        assert_eq!(KeyVersion::decode(&buf, &KeyId::from_random([4; 16]), 7), None);
        assert_eq!(KeyVersion::decode(&buf, &id, 6), None);
        assert_eq!(KeyVersion::decode(&buf, &id, 8), None);
    }

    #[test]
    fn only_version_one_is_original() {
        let (id, mut v) = sample();
        let mut buf = [0u8; VERSION_BODY_LEN];
        v.rotation_type = RotationType::Original;
        v.encode(&id, &mut buf).unwrap();
        assert_eq!(KeyVersion::decode(&buf, &id, 7), None);
        v.number = 1;
        v.encode(&id, &mut buf).unwrap();
        assert!(KeyVersion::decode(&buf, &id, 1).is_some());
        v.rotation_type = RotationType::Automatic;
        v.encode(&id, &mut buf).unwrap();
        assert_eq!(KeyVersion::decode(&buf, &id, 1), None);
    }

    #[test]
    fn names_sort_by_number_and_parse_back() {
        let id = KeyId::from_random([0xab; 16]);
        let (nine, ten) = (version_name(&id, 9), version_name(&id, 10));
        assert!(nine.as_str() < ten.as_str());
        assert_eq!(version_name(&id, u32::MAX).len(), VERSION_NAME_LEN);
        let text = id.to_text();
        for (number, digits) in [(0, "0000000000"), (7, "0000000007"), (1_234_567_890, "1234567890")] {
            assert_eq!(version_name(&id, number).as_str(), alloc::format!("{}/{digits}", text.as_str()));
        }
        assert_eq!(version_name(&id, u32::MAX).as_str(), alloc::format!("{}/4294967295", text.as_str()));
        assert_eq!(parse_version_name(&ten), Some((id, 10)));
        assert_eq!(parse_version_name(&nine.as_str().to_ascii_uppercase()), None);
        assert_eq!(parse_version_name("x/0000000001"), None);
        assert_eq!(parse_version_name(&alloc::format!("{}/1", id.to_text().as_str())), None);
    }
}
