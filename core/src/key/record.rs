//! The key record: everything Coffer knows about one KMS key, and its byte layout.
//!
//! A record is stored sealed (see [`crate::root`]): the bytes here are the body that the root
//! sealing key authenticates. Layout, all integers big-endian (documented in `docs/FORMAT.md`):
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
//! u8   version count (1..=MAX_VERSIONS), then per version:
//!      u32 number, u64 creation date, u8 rotation type, [40] wrapped material
//! ```

use heapless::{String, Vec};

use super::MAX_DESCRIPTION_LEN;
use super::id::KeyId;
use super::metadata::{KeyVersionInfo, RotationType};
use super::state::KeyState;
use crate::clock::Timestamp;
use crate::encoding::{Reader, Truncated, Writer};
use crate::hsm::{WRAPPED_KEY_LEN, WrappedKey};

/// Versions one key can hold. Rotation past this is refused until older versions are retired
/// with a minimum decryption version, which removes their material from the record (the
/// minimum decryption version is therefore the oldest version held, not a separate field).
pub const MAX_VERSIONS: usize = 32;

const BODY_FORMAT: u8 = 1;
const KEY_SPEC_SYMMETRIC_DEFAULT: u8 = 1;
const KEY_USAGE_ENCRYPT_DECRYPT: u8 = 1;
const VERSION_LEN: usize = 4 + 8 + 1 + WRAPPED_KEY_LEN;
const FIXED_LEN: usize = 1 + 16 + 1 + 1 + 1 + 8 + 8 + 2 + 1 + 2 + 8 + 2 + 1;

/// Largest encoded body.
pub(crate) const MAX_BODY_LEN: usize = FIXED_LEN + MAX_DESCRIPTION_LEN + MAX_VERSIONS * VERSION_LEN;

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
}

/// Automatic rotation settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rotation {
    pub(crate) enabled: bool,
    pub(crate) period_days: u16,
    pub(crate) next_date: Timestamp,
}

/// Everything stored about one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyRecord {
    pub(crate) id: KeyId,
    pub(crate) state: KeyState,
    pub(crate) creation_date: Timestamp,
    pub(crate) deletion_date: Option<Timestamp>,
    pub(crate) pending_window_days: Option<u16>,
    pub(crate) rotation: Rotation,
    pub(crate) description: String<MAX_DESCRIPTION_LEN>,
    /// Oldest first; never empty; numbers strictly increasing.
    pub(crate) versions: Vec<KeyVersion, MAX_VERSIONS>,
}

/// The body did not decode: wrong format, bad field value or wrong length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed;

impl From<Truncated> for Malformed {
    fn from(_: Truncated) -> Self {
        Self
    }
}

impl KeyRecord {
    /// The newest version (the one new ciphertexts use).
    pub(crate) fn current(&self) -> Option<&KeyVersion> {
        self.versions.last()
    }

    /// The version with this number, if it is still held (not retired).
    pub(crate) fn version(&self, number: u32) -> Option<&KeyVersion> {
        self.versions.iter().find(|v| v.number == number)
    }

    /// The oldest version that still decrypts.
    pub(crate) fn min_decryption_version(&self) -> u32 {
        self.versions.first().map_or(0, |v| v.number)
    }

    /// Writes the body into `out`, returning its length.
    pub(crate) fn encode(&self, out: &mut [u8]) -> Result<usize, Truncated> {
        let mut w = Writer::new(out);
        w.u8(BODY_FORMAT)?;
        w.put(self.id.as_bytes())?;
        w.u8(KEY_SPEC_SYMMETRIC_DEFAULT)?;
        w.u8(KEY_USAGE_ENCRYPT_DECRYPT)?;
        w.u8(self.state.code())?;
        w.u64(self.creation_date)?;
        w.u64(self.deletion_date.unwrap_or(0))?;
        w.u16(self.pending_window_days.unwrap_or(0))?;
        w.u8(u8::from(self.rotation.enabled))?;
        w.u16(self.rotation.period_days)?;
        w.u64(self.rotation.next_date)?;
        w.u16_prefixed(self.description.as_bytes())?;
        w.u8(u8::try_from(self.versions.len()).map_err(|_| Truncated)?)?;
        for v in &self.versions {
            w.u32(v.number)?;
            w.u64(v.created)?;
            w.u8(v.rotation_type.code())?;
            w.put(v.material.as_bytes())?;
        }
        Ok(w.len())
    }

    /// Parses a body, checking every field and the invariants (versions present and increasing,
    /// minimum decryption version within them, no trailing bytes).
    pub(crate) fn decode(body: &[u8]) -> Result<Self, Malformed> {
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
        let deletion_date = nonzero(r.u64()?);
        let pending_window_days = nonzero(r.u16()?);
        if (state == KeyState::PendingDeletion) != (deletion_date.is_some() && pending_window_days.is_some()) {
            return Err(Malformed);
        }
        let enabled = match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err(Malformed),
        };
        let rotation = Rotation { enabled, period_days: r.u16()?, next_date: r.u64()? };
        let desc_len = usize::from(r.u16()?);
        let description = core::str::from_utf8(r.take(desc_len)?).map_err(|_| Malformed)?;
        let description = String::try_from(description).map_err(|_| Malformed)?;
        let count = usize::from(r.u8()?);
        if count == 0 || count > MAX_VERSIONS {
            return Err(Malformed);
        }
        let mut versions = Vec::new();
        let mut previous = 0u32;
        for _ in 0..count {
            let number = r.u32()?;
            if number <= previous {
                return Err(Malformed);
            }
            previous = number;
            let created = r.u64()?;
            let rotation_type = RotationType::from_code(r.u8()?).ok_or(Malformed)?;
            let material = WrappedKey(r.array()?);
            versions.push(KeyVersion { number, created, rotation_type, material }).map_err(|_| Malformed)?;
        }
        r.finish()?;
        Ok(Self { id, state, creation_date, deletion_date, pending_window_days, rotation, description, versions })
    }
}

fn nonzero<T: PartialEq + Default>(v: T) -> Option<T> {
    (v != T::default()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> KeyRecord {
        let mut versions = Vec::new();
        for n in 1..=3u32 {
            let rotation_type = if n == 1 { RotationType::Original } else { RotationType::OnDemand };
            let material = WrappedKey([u8::try_from(n).unwrap(); WRAPPED_KEY_LEN]);
            versions.push(KeyVersion { number: n, created: u64::from(n) * 10, rotation_type, material }).unwrap();
        }
        KeyRecord {
            id: KeyId::from_random([7; 16]),
            state: KeyState::PendingDeletion,
            creation_date: 5,
            deletion_date: Some(99),
            pending_window_days: Some(7),
            rotation: Rotation { enabled: true, period_days: 365, next_date: 1234 },
            description: String::try_from("payments \u{1f511}").unwrap(),
            versions,
        }
    }

    #[test]
    fn round_trip() {
        let rec = sample();
        let mut buf = [0u8; MAX_BODY_LEN];
        let len = rec.encode(&mut buf).unwrap();
        assert_eq!(KeyRecord::decode(&buf[..len]), Ok(rec));
    }

    #[test]
    fn the_largest_record_fits_max_body_len() {
        let mut rec = sample();
        rec.description = String::new();
        for _ in 0..MAX_DESCRIPTION_LEN {
            rec.description.push('x').unwrap();
        }
        rec.versions.clear();
        for n in 1..=u32::try_from(MAX_VERSIONS).unwrap() {
            let material = WrappedKey([1; WRAPPED_KEY_LEN]);
            rec.versions
                .push(KeyVersion { number: n, created: 0, rotation_type: RotationType::Automatic, material })
                .unwrap();
        }
        let mut buf = [0u8; MAX_BODY_LEN];
        assert_eq!(rec.encode(&mut buf), Ok(MAX_BODY_LEN));
        assert_eq!(rec.encode(&mut buf[..MAX_BODY_LEN - 1]), Err(Truncated));
    }

    #[test]
    fn every_truncation_and_trailing_byte_is_refused() {
        let mut buf = [0u8; MAX_BODY_LEN + 1];
        let len = sample().encode(&mut buf).unwrap();
        for cut in 0..len {
            assert_eq!(KeyRecord::decode(&buf[..cut]), Err(Malformed), "cut at {cut}");
        }
        assert_eq!(KeyRecord::decode(&buf[..=len]), Err(Malformed));
    }

    #[test]
    fn invariants_are_checked() {
        let mut buf = [0u8; MAX_BODY_LEN];
        let mut rec = sample();
        rec.versions.clear();
        let len = rec.encode(&mut buf).unwrap();
        assert_eq!(KeyRecord::decode(&buf[..len]), Err(Malformed));

        let mut rec = sample();
        rec.versions.swap(1, 2);
        let len = rec.encode(&mut buf).unwrap();
        assert_eq!(KeyRecord::decode(&buf[..len]), Err(Malformed));

        let mut rec = sample();
        rec.deletion_date = None;
        let len = rec.encode(&mut buf).unwrap();
        assert_eq!(KeyRecord::decode(&buf[..len]), Err(Malformed));
    }
}
