//! Format-1 key records, as stores made before per-version records hold them: the description
//! and every version (up to 32) inside the key record. They are read in place through
//! [`LegacyKeyRecord`], a view checked once, and rewritten in the current layout
//! ([`super::record`] with [`super::version`] and [`super::description`] records) the first time
//! the key changes or by the maintenance call.
//!
//! Layout, all integers big-endian (documented in `docs/FORMAT.md`):
//!
//! ```text
//! u8   body format (1)
//! [16] key id
//! u8   key spec (1 = SYMMETRIC_DEFAULT)      u8 key usage (1 = ENCRYPT_DECRYPT)
//! u8   state (1 Enabled, 2 Disabled, 3 PendingDeletion)
//! u64  creation date                          u64 deletion date (0 = none)
//! u16  pending window days (0 = none)
//! u8   rotation enabled (0/1)                 u16 rotation period days
//! u64  next rotation date (0 = none)
//! u16  description length, then the description (UTF-8)
//! u8   version count (1..=32), then per version:
//!      u32 number, u64 creation date, u8 rotation type, [40] wrapped material
//! ```
//!
//! The reader is compiled with the `legacy-records` feature (on by default, and with `std`):
//! without it, as on a device whose store Coffer created in the current layout, a format-1
//! record is refused as [`CorruptRecord`](crate::Error::CorruptRecord) (it authenticates but
//! does not decode) and [`LegacyKeyRecord`] is a type with no value (`legacy/absent.rs`), so
//! the façade's format-1 paths compile to nothing.

#[cfg(not(feature = "legacy-records"))]
mod absent;
#[cfg(not(feature = "legacy-records"))]
pub(crate) use absent::LegacyKeyRecord;

#[cfg(feature = "legacy-records")]
use core::ops::Range;

use super::MAX_DESCRIPTION_LEN;
#[cfg(feature = "legacy-records")]
use super::id::KeyId;
#[cfg(feature = "legacy-records")]
use super::metadata::RotationType;
#[cfg(feature = "legacy-records")]
use super::record::{KeyFields, Malformed, Rotation, SEALS_UNKNOWN};
#[cfg(feature = "legacy-records")]
use super::state::KeyState;
#[cfg(feature = "legacy-records")]
use super::version::KeyVersion;
#[cfg(feature = "legacy-records")]
use crate::clock::Timestamp;
#[cfg(feature = "legacy-records")]
use crate::encoding::Reader;
use crate::hsm::WRAPPED_KEY_LEN;
#[cfg(feature = "legacy-records")]
use crate::hsm::WrappedKey;

/// The body format byte of this layout.
pub(crate) const BODY_FORMAT: u8 = 1;
/// Versions a format-1 record can hold.
pub(crate) const MAX_VERSIONS: usize = 32;
#[cfg(feature = "legacy-records")]
const KEY_SPEC_SYMMETRIC_DEFAULT: u8 = 1;
#[cfg(feature = "legacy-records")]
const KEY_USAGE_ENCRYPT_DECRYPT: u8 = 1;
const VERSION_LEN: usize = 4 + 8 + 1 + WRAPPED_KEY_LEN;
const FIXED_LEN: usize = 1 + 16 + 1 + 1 + 1 + 8 + 8 + 2 + 1 + 2 + 8 + 2 + 1;
/// Where the description starts in the body.
#[cfg(feature = "legacy-records")]
const DESCRIPTION_AT: usize = FIXED_LEN - 1;

/// Largest format-1 body: what the façade's record buffer must hold to read old stores.
pub(crate) const MAX_BODY_LEN: usize = FIXED_LEN + MAX_DESCRIPTION_LEN + MAX_VERSIONS * VERSION_LEN;

/// A checked format-1 key record body, read in place.
#[cfg(feature = "legacy-records")]
#[derive(Debug, Clone)]
pub(crate) struct LegacyKeyRecord<'a> {
    id: KeyId,
    state: KeyState,
    creation_date: Timestamp,
    deletion: Option<(Timestamp, u16)>,
    rotation: Rotation,
    description: &'a str,
    /// Where the description lies in the body (to move it into a description record in place).
    description_range: Range<usize>,
    /// The versions, `VERSION_LEN` bytes each, oldest first, numbers strictly increasing.
    versions: &'a [u8],
}

#[cfg(feature = "legacy-records")]
impl<'a> LegacyKeyRecord<'a> {
    /// Checks a body: every field and the invariants (versions present and increasing, no
    /// trailing bytes).
    pub(crate) fn parse(body: &'a [u8]) -> Result<Self, Malformed> {
        let mut r = Reader::new(body);
        if r.u8()? != BODY_FORMAT {
            return Err(Malformed);
        }
        let id = KeyId::from_bytes(r.array()?);
        if r.u8()? != KEY_SPEC_SYMMETRIC_DEFAULT || r.u8()? != KEY_USAGE_ENCRYPT_DECRYPT {
            return Err(Malformed);
        }
        let state = KeyState::from_code(r.u8()?).ok_or(Malformed)?;
        let creation_date = r.u64()?;
        let deletion_date = r.u64()?;
        let window = r.u16()?;
        let deletion = match (state, deletion_date, window) {
            (KeyState::PendingDeletion, 1.., 1..) => Some((deletion_date, window)),
            (KeyState::Enabled | KeyState::Disabled, 0, 0) => None,
            _ => return Err(Malformed),
        };
        let enabled = match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err(Malformed),
        };
        let rotation = Rotation { enabled, period_days: r.u16()?, next_date: r.u64()? };
        let desc_len = usize::from(r.u16()?);
        if desc_len > MAX_DESCRIPTION_LEN {
            return Err(Malformed);
        }
        let description = core::str::from_utf8(r.take(desc_len)?).map_err(|_| Malformed)?;
        let count = usize::from(r.u8()?);
        if count == 0 || count > MAX_VERSIONS {
            return Err(Malformed);
        }
        let versions = r.take(count.checked_mul(VERSION_LEN).ok_or(Malformed)?)?;
        r.finish()?;
        let mut previous = 0u32;
        for chunk in versions.chunks_exact(VERSION_LEN) {
            let v = decode_version(chunk)?;
            if v.number <= previous || (v.number == 1) != (v.rotation_type == RotationType::Original) {
                return Err(Malformed);
            }
            previous = v.number;
        }
        let description_range = DESCRIPTION_AT..DESCRIPTION_AT.checked_add(desc_len).ok_or(Malformed)?;
        Ok(Self { id, state, creation_date, deletion, rotation, description, description_range, versions })
    }

    pub(crate) fn id(&self) -> KeyId {
        self.id
    }

    pub(crate) fn state(&self) -> KeyState {
        self.state
    }

    pub(crate) fn creation_date(&self) -> Timestamp {
        self.creation_date
    }

    pub(crate) fn deletion(&self) -> Option<(Timestamp, u16)> {
        self.deletion
    }

    pub(crate) fn rotation(&self) -> Rotation {
        self.rotation
    }

    /// The oldest version held: format 1 retired versions by removing them.
    pub(crate) fn min_decryption_version(&self) -> u32 {
        self.versions().next().map_or(0, |v| v.number)
    }

    pub(crate) fn description(&self) -> &'a str {
        self.description
    }

    /// Where the description lies in the body.
    pub(crate) fn description_range(&self) -> Range<usize> {
        self.description_range.clone()
    }

    /// The versions held, oldest first.
    pub(crate) fn versions(&self) -> impl Iterator<Item = KeyVersion> + 'a {
        self.versions.chunks_exact(VERSION_LEN).filter_map(|c| decode_version(c).ok())
    }

    /// The version with this number, if it is held.
    pub(crate) fn version(&self, number: u32) -> Option<KeyVersion> {
        self.versions().find(|v| v.number == number)
    }

    /// The same key in the current layout. The minimum decryption version of a format-1 record is
    /// its oldest version held; the on-demand rotations counted are those of the versions still
    /// held (format 1 did not count the retired ones).
    pub(crate) fn fields(&self) -> Result<KeyFields, Malformed> {
        let current = self.versions().last().ok_or(Malformed)?;
        let min_decryption_version = self.versions().next().map_or(current.number, |v| v.number);
        let on_demand = self.versions().filter(|v| v.rotation_type == RotationType::OnDemand).count();
        Ok(KeyFields {
            id: self.id,
            state: self.state,
            creation_date: self.creation_date,
            deletion: self.deletion,
            rotation: self.rotation,
            on_demand_rotations: u32::try_from(on_demand).map_err(|_| Malformed)?,
            min_decryption_version,
            current,
            // Format 1 did not count seals.
            seals_reserved: SEALS_UNKNOWN,
        })
    }
}

#[cfg(feature = "legacy-records")]
fn decode_version(chunk: &[u8]) -> Result<KeyVersion, Malformed> {
    let mut r = Reader::new(chunk);
    let number = r.u32()?;
    let created = r.u64()?;
    let rotation_type = RotationType::from_code(r.u8()?).ok_or(Malformed)?;
    let material = WrappedKey(r.array()?);
    r.finish()?;
    Ok(KeyVersion { number, created, rotation_type, material })
}

/// A format-1 body, written as the code before per-version records wrote it: for tests of
/// reading and upgrading old stores.
#[cfg(test)]
#[cfg(feature = "legacy-records")]
pub(crate) fn encode_for_tests(
    fields: &KeyFields,
    description: &str,
    versions: &[KeyVersion],
    out: &mut [u8],
) -> Option<usize> {
    let mut w = crate::encoding::Writer::new(out);
    w.u8(BODY_FORMAT).ok()?;
    w.put(fields.id.as_bytes()).ok()?;
    w.u8(KEY_SPEC_SYMMETRIC_DEFAULT).ok()?;
    w.u8(KEY_USAGE_ENCRYPT_DECRYPT).ok()?;
    w.u8(fields.state.code()).ok()?;
    w.u64(fields.creation_date).ok()?;
    w.u64(fields.deletion.map_or(0, |d| d.0)).ok()?;
    w.u16(fields.deletion.map_or(0, |d| d.1)).ok()?;
    w.u8(u8::from(fields.rotation.enabled)).ok()?;
    w.u16(fields.rotation.period_days).ok()?;
    w.u64(fields.rotation.next_date).ok()?;
    w.u16_prefixed(description.as_bytes()).ok()?;
    w.u8(u8::try_from(versions.len()).ok()?).ok()?;
    for v in versions {
        w.u32(v.number).ok()?;
        w.u64(v.created).ok()?;
        w.u8(v.rotation_type.code()).ok()?;
        w.put(v.material.as_bytes()).ok()?;
    }
    Some(w.len())
}

#[cfg(test)]
#[cfg(feature = "legacy-records")]
mod tests {
    extern crate alloc;
    use super::*;

    fn versions(n: u32) -> impl Iterator<Item = KeyVersion> {
        (1..=n).map(|number| KeyVersion {
            number,
            created: u64::from(number) * 10,
            rotation_type: if number == 1 { RotationType::Original } else { RotationType::OnDemand },
            material: WrappedKey([u8::try_from(number).unwrap(); WRAPPED_KEY_LEN]),
        })
    }

    fn sample() -> (KeyFields, heapless::Vec<KeyVersion, MAX_VERSIONS>) {
        let held: heapless::Vec<KeyVersion, MAX_VERSIONS> = versions(3).skip(1).collect();
        let fields = KeyFields {
            id: KeyId::from_random([7; 16]),
            state: KeyState::PendingDeletion,
            creation_date: 5,
            deletion: Some((99, 7)),
            rotation: Rotation { enabled: true, period_days: 365, next_date: 1234 },
            on_demand_rotations: 2,
            min_decryption_version: 2,
            current: held[1].clone(),
            seals_reserved: SEALS_UNKNOWN,
        };
        (fields, held)
    }

    #[test]
    fn reads_in_place_and_converts() {
        let (fields, held) = sample();
        let mut buf = [0u8; MAX_BODY_LEN];
        let len = encode_for_tests(&fields, "payments \u{1f511}", &held, &mut buf).unwrap();
        let rec = LegacyKeyRecord::parse(&buf[..len]).unwrap();
        assert_eq!(rec.description(), "payments \u{1f511}");
        assert_eq!(&buf[rec.description_range()], "payments \u{1f511}".as_bytes());
        assert_eq!(rec.version(2), Some(held[0].clone()));
        assert_eq!(rec.version(1), None);
        assert_eq!(rec.fields(), Ok(fields));
    }

    #[test]
    fn the_largest_record_fits_max_body_len() {
        let (fields, _) = sample();
        let all: heapless::Vec<KeyVersion, MAX_VERSIONS> = versions(32).collect();
        let description = "x".repeat(MAX_DESCRIPTION_LEN);
        let mut buf = [0u8; MAX_BODY_LEN];
        assert_eq!(encode_for_tests(&fields, &description, &all, &mut buf), Some(MAX_BODY_LEN));
        assert!(LegacyKeyRecord::parse(&buf).is_ok());
    }

    #[test]
    fn every_truncation_and_trailing_byte_is_refused() {
        let (fields, held) = sample();
        let mut buf = [0u8; 512];
        let len = encode_for_tests(&fields, "d", &held, &mut buf).unwrap();
        for cut in 0..len {
            assert!(LegacyKeyRecord::parse(&buf[..cut]).is_err(), "cut at {cut}");
        }
        assert!(LegacyKeyRecord::parse(&buf[..=len]).is_err());
    }

    #[test]
    fn invariants_are_checked() {
        let (fields, held) = sample();
        let mut buf = [0u8; 512];
        let len = encode_for_tests(&fields, "", &[], &mut buf).unwrap();
        assert!(LegacyKeyRecord::parse(&buf[..len]).is_err(), "no versions");
        let swapped = [held[1].clone(), held[0].clone()];
        let len = encode_for_tests(&fields, "", &swapped, &mut buf).unwrap();
        assert!(LegacyKeyRecord::parse(&buf[..len]).is_err(), "decreasing numbers");
        let mut unscheduled = fields;
        unscheduled.deletion = None;
        let len = encode_for_tests(&unscheduled, "", &held, &mut buf).unwrap();
        assert!(LegacyKeyRecord::parse(&buf[..len]).is_err(), "pending without a date");
    }
}
