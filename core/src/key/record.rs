//! The key record (body format 3): a key's state, dates, rotation settings, its current version
//! and how many seals that version has reserved, in 118 bytes at fixed offsets. It is read in
//! place through [`KeyRecord`], a view over the bytes the façade loaded and authenticated once,
//! and changed in place through [`KeyRecordMut`] before the façade re-seals it.
//!
//! Format 2 is the same layout without the seal count (110 bytes). It is still read (its count
//! is [`SEALS_UNKNOWN`]) and rewritten as format 3 in place, [`upgrade_format2`], before its
//! first change.
//!
//! The description and the versions other than the current one are records of their own
//! ([`super::description`], [`super::version`]), so this record's size does not depend on them.
//!
//! Layout, integers big-endian (documented in `docs/FORMAT.md`):
//!
//! ```text
//! off  size
//!   0   1  body format (2)
//!   1  16  key id
//!  17   1  key spec (1 = SYMMETRIC_DEFAULT)
//!  18   1  key usage (1 = ENCRYPT_DECRYPT)
//!  19   1  state (1 Enabled, 2 Disabled, 3 PendingDeletion)
//!  20   8  creation date
//!  28   8  deletion date (0 = none)
//!  36   2  pending window days (0 = none)
//!  38   1  rotation enabled (0/1)
//!  39   2  rotation period days
//!  41   8  next rotation date (0 = none)
//!  49   4  on-demand rotations made (for the per-key cap)
//!  53   4  minimum decryption version (1..=current)
//!  57   4  current version: number
//!  61   8  current version: creation date
//!  69   1  current version: rotation type
//!  70  40  current version: wrapped material
//! 110   8  current version: seals reserved (format 3 only)
//! ```

use super::id::KeyId;
use super::metadata::RotationType;
use super::state::KeyState;
use super::version::KeyVersion;
use crate::clock::Timestamp;
use crate::encoding::Truncated;
use crate::hsm::{WRAPPED_KEY_LEN, WrappedKey};

/// The body format byte of this layout (format 1 is [`super::legacy`]).
pub(crate) const BODY_FORMAT: u8 = 3;
/// The body format byte of the same layout without the seal count.
pub(crate) const FORMAT_2: u8 = 2;
/// The seal count of a version whose seals were never counted (a format-1 or format-2 record's):
/// any number may have been made, so it counts as having used its whole budget, and the first
/// seal after the upgrade rotates the key ([`crate::kms`]'s seal budget).
pub(crate) const SEALS_UNKNOWN: u64 = u64::MAX;
const KEY_SPEC_SYMMETRIC_DEFAULT: u8 = 1;
const KEY_USAGE_ENCRYPT_DECRYPT: u8 = 1;

const FORMAT: usize = 0;
const ID: usize = 1;
const SPEC: usize = 17;
const USAGE: usize = 18;
const STATE: usize = 19;
const CREATED: usize = 20;
const DELETION: usize = 28;
const WINDOW: usize = 36;
const ROTATION_ON: usize = 38;
const PERIOD: usize = 39;
const NEXT_ROTATION: usize = 41;
const ON_DEMAND: usize = 49;
const MIN_VERSION: usize = 53;
const CURRENT: usize = 57;
const CURRENT_CREATED: usize = 61;
const CURRENT_TYPE: usize = 69;
const CURRENT_MATERIAL: usize = 70;
const SEALS: usize = 110;

/// Length of a format-2 key record body.
pub(crate) const FORMAT_2_BODY_LEN: usize = CURRENT_MATERIAL + WRAPPED_KEY_LEN;
/// Length of a key record body.
pub(crate) const KEY_BODY_LEN: usize = SEALS + 8;

/// Automatic rotation settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rotation {
    pub(crate) enabled: bool,
    pub(crate) period_days: u16,
    pub(crate) next_date: Timestamp,
}

/// Every field of a key record, to write a new one (CreateKey, or rewriting a format-1 record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyFields {
    pub(crate) id: KeyId,
    pub(crate) state: KeyState,
    pub(crate) creation_date: Timestamp,
    /// Deletion date and pending window, exactly when PendingDeletion.
    pub(crate) deletion: Option<(Timestamp, u16)>,
    pub(crate) rotation: Rotation,
    pub(crate) on_demand_rotations: u32,
    pub(crate) min_decryption_version: u32,
    pub(crate) current: KeyVersion,
    /// Seals reserved under `current` so far ([`SEALS_UNKNOWN`] when never counted).
    pub(crate) seals_reserved: u64,
}

/// The body did not decode: wrong format, bad field value or wrong length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed;

impl From<Truncated> for Malformed {
    fn from(_: Truncated) -> Self {
        Self
    }
}

/// A checked key record body (format 3, or format 2), read in place.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyRecord<'a>(&'a [u8]);

/// A checked key record body, changed in place; the façade re-seals it afterwards.
#[derive(Debug)]
pub(crate) struct KeyRecordMut<'a>(&'a mut [u8; KEY_BODY_LEN]);

fn get<const N: usize>(body: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    // Every offset above is inside the body; a miss would read zeros, never panic.
    if let Some(src) = at.checked_add(N).and_then(|end| body.get(at..end)) {
        out.copy_from_slice(src);
    }
    out
}

fn set(body: &mut [u8; KEY_BODY_LEN], at: usize, bytes: &[u8]) {
    if let Some(dst) = at.checked_add(bytes.len()).and_then(|end| body.get_mut(at..end)) {
        dst.copy_from_slice(bytes);
    }
}

fn u8_at(body: &[u8], at: usize) -> u8 {
    u8::from_be_bytes(get(body, at))
}

fn u16_at(body: &[u8], at: usize) -> u16 {
    u16::from_be_bytes(get(body, at))
}

fn u32_at(body: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(get(body, at))
}

fn u64_at(body: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(get(body, at))
}

/// Checks every field and invariant of a body, and its exact length for its format.
fn check(b: &[u8]) -> Result<(), Malformed> {
    let length_ok = match b.first() {
        Some(&BODY_FORMAT) => b.len() == KEY_BODY_LEN,
        Some(&FORMAT_2) => b.len() == FORMAT_2_BODY_LEN,
        _ => false,
    };
    // Every seal count is valid: it only ever grows, and SEALS_UNKNOWN is its largest value.
    let ok = length_ok
        && u8_at(b, SPEC) == KEY_SPEC_SYMMETRIC_DEFAULT
        && u8_at(b, USAGE) == KEY_USAGE_ENCRYPT_DECRYPT
        && u8_at(b, ROTATION_ON) <= 1;
    let state = KeyState::from_code(u8_at(b, STATE)).ok_or(Malformed)?;
    let pending = u64_at(b, DELETION) != 0 && u16_at(b, WINDOW) != 0;
    let unscheduled = u64_at(b, DELETION) == 0 && u16_at(b, WINDOW) == 0;
    let deletion_ok = if state == KeyState::PendingDeletion { pending } else { unscheduled };
    let current = u32_at(b, CURRENT);
    let min = u32_at(b, MIN_VERSION);
    let rotation_type = RotationType::from_code(u8_at(b, CURRENT_TYPE)).ok_or(Malformed)?;
    let versions_ok = current >= 1
        && (1..=current).contains(&min)
        && (current == 1) == (rotation_type == RotationType::Original)
        && u32_at(b, ON_DEMAND) < current;
    if ok && deletion_ok && versions_ok { Ok(()) } else { Err(Malformed) }
}

impl<'a> KeyRecord<'a> {
    /// Checks a body of format 3 or 2 (every field range-checked, exact length) and views it.
    pub(crate) fn parse(body: &'a [u8]) -> Result<Self, Malformed> {
        check(body)?;
        Ok(Self(body))
    }

    /// True for a format-2 body, which has no seal count and is rewritten before a change.
    pub(crate) fn is_format2(&self) -> bool {
        self.0.first() == Some(&FORMAT_2)
    }

    /// Seals reserved under the current version: every seal made under it, and the unused rest
    /// of the batches reserved by façades that have stopped. [`SEALS_UNKNOWN`] for format 2.
    pub(crate) fn seals_reserved(&self) -> u64 {
        if self.is_format2() { SEALS_UNKNOWN } else { u64_at(self.0, SEALS) }
    }

    pub(crate) fn id(&self) -> KeyId {
        KeyId::from_bytes(get(self.0, ID))
    }

    pub(crate) fn state(&self) -> KeyState {
        // Checked by parse.
        KeyState::from_code(u8_at(self.0, STATE)).unwrap_or(KeyState::Disabled)
    }

    pub(crate) fn creation_date(&self) -> Timestamp {
        u64_at(self.0, CREATED)
    }

    pub(crate) fn deletion_date(&self) -> Option<Timestamp> {
        Some(u64_at(self.0, DELETION)).filter(|d| *d != 0)
    }

    pub(crate) fn pending_window_days(&self) -> Option<u16> {
        Some(u16_at(self.0, WINDOW)).filter(|d| *d != 0)
    }

    pub(crate) fn rotation(&self) -> Rotation {
        Rotation {
            enabled: u8_at(self.0, ROTATION_ON) == 1,
            period_days: u16_at(self.0, PERIOD),
            next_date: u64_at(self.0, NEXT_ROTATION),
        }
    }

    pub(crate) fn on_demand_rotations(&self) -> u32 {
        u32_at(self.0, ON_DEMAND)
    }

    pub(crate) fn min_decryption_version(&self) -> u32 {
        u32_at(self.0, MIN_VERSION)
    }

    /// The newest version's number (the one new ciphertexts use).
    pub(crate) fn current_number(&self) -> u32 {
        u32_at(self.0, CURRENT)
    }

    /// The newest version, material included (40 bytes copied).
    pub(crate) fn current(&self) -> KeyVersion {
        KeyVersion {
            number: self.current_number(),
            created: u64_at(self.0, CURRENT_CREATED),
            rotation_type: RotationType::from_code(u8_at(self.0, CURRENT_TYPE)).unwrap_or(RotationType::Automatic),
            material: WrappedKey(get(self.0, CURRENT_MATERIAL)),
        }
    }
}

impl<'a> KeyRecordMut<'a> {
    /// Checks a body (format 3 only: changes are written in the current format) and views it
    /// for changes.
    pub(crate) fn parse(body: &'a mut [u8]) -> Result<Self, Malformed> {
        let body: &mut [u8; KEY_BODY_LEN] = body.try_into().map_err(|_| Malformed)?;
        check(body)?;
        Ok(Self(body))
    }

    /// The record as it now reads.
    pub(crate) fn view(&self) -> KeyRecord<'_> {
        KeyRecord(self.0)
    }

    pub(crate) fn set_state(&mut self, state: KeyState) {
        set(self.0, STATE, &[state.code()]);
    }

    /// Schedules (`Some((date, window))`) or clears a deletion; the caller sets the state to match.
    pub(crate) fn set_deletion(&mut self, deletion: Option<(Timestamp, u16)>) {
        let (date, window) = deletion.unwrap_or((0, 0));
        set(self.0, DELETION, &date.to_be_bytes());
        set(self.0, WINDOW, &window.to_be_bytes());
    }

    pub(crate) fn set_rotation(&mut self, rotation: Rotation) {
        set(self.0, ROTATION_ON, &[u8::from(rotation.enabled)]);
        set(self.0, PERIOD, &rotation.period_days.to_be_bytes());
        set(self.0, NEXT_ROTATION, &rotation.next_date.to_be_bytes());
    }

    pub(crate) fn set_on_demand_rotations(&mut self, count: u32) {
        set(self.0, ON_DEMAND, &count.to_be_bytes());
    }

    pub(crate) fn set_min_decryption_version(&mut self, version: u32) {
        set(self.0, MIN_VERSION, &version.to_be_bytes());
    }

    /// Makes `version` current. Its seal count starts at 0: the count is the current version's.
    pub(crate) fn set_current(&mut self, version: &KeyVersion) {
        set(self.0, CURRENT, &version.number.to_be_bytes());
        set(self.0, CURRENT_CREATED, &version.created.to_be_bytes());
        set(self.0, CURRENT_TYPE, &[version.rotation_type.code()]);
        set(self.0, CURRENT_MATERIAL, version.material.as_bytes());
        self.set_seals_reserved(0);
    }

    /// Sets the current version's count of seals reserved.
    pub(crate) fn set_seals_reserved(&mut self, seals: u64) {
        set(self.0, SEALS, &seals.to_be_bytes());
    }

    /// Whether the body still satisfies every invariant (checked before it is re-sealed).
    pub(crate) fn check(&self) -> Result<(), Malformed> {
        check(self.0)
    }
}

impl KeyFields {
    /// Writes the body into `out`, returning its length; refuses fields that break an invariant.
    pub(crate) fn encode(&self, out: &mut [u8]) -> Result<usize, Malformed> {
        let body: &mut [u8; KEY_BODY_LEN] =
            out.get_mut(..KEY_BODY_LEN).ok_or(Malformed)?.try_into().map_err(|_| Malformed)?;
        set(body, FORMAT, &[BODY_FORMAT]);
        set(body, ID, self.id.as_bytes());
        set(body, SPEC, &[KEY_SPEC_SYMMETRIC_DEFAULT]);
        set(body, USAGE, &[KEY_USAGE_ENCRYPT_DECRYPT]);
        set(body, CREATED, &self.creation_date.to_be_bytes());
        let mut edit = KeyRecordMut(body);
        edit.set_state(self.state);
        edit.set_deletion(self.deletion);
        edit.set_rotation(self.rotation);
        edit.set_on_demand_rotations(self.on_demand_rotations);
        edit.set_min_decryption_version(self.min_decryption_version);
        edit.set_current(&self.current);
        edit.set_seals_reserved(self.seals_reserved);
        edit.check()?;
        Ok(KEY_BODY_LEN)
    }
}

/// Rewrites a format-2 body at the start of `buf` as format 3, in place: the format byte, and
/// the seal count [`SEALS_UNKNOWN`] appended (over what followed the body, the record's old MAC,
/// which the façade recomputes when it re-seals). `buf` must hold [`KEY_BODY_LEN`] bytes.
pub(crate) fn upgrade_format2(buf: &mut [u8]) -> Result<(), Malformed> {
    check(buf.get(..FORMAT_2_BODY_LEN).ok_or(Malformed)?)?;
    let body: &mut [u8; KEY_BODY_LEN] =
        buf.get_mut(..KEY_BODY_LEN).ok_or(Malformed)?.try_into().map_err(|_| Malformed)?;
    if body.first() != Some(&FORMAT_2) {
        return Err(Malformed);
    }
    set(body, FORMAT, &[BODY_FORMAT]);
    set(body, SEALS, &SEALS_UNKNOWN.to_be_bytes());
    check(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> KeyFields {
        KeyFields {
            id: KeyId::from_random([7; 16]),
            state: KeyState::PendingDeletion,
            creation_date: 5,
            deletion: Some((99, 7)),
            rotation: Rotation { enabled: true, period_days: 365, next_date: 1234 },
            on_demand_rotations: 2,
            min_decryption_version: 2,
            current: KeyVersion {
                number: 3,
                created: 30,
                rotation_type: RotationType::OnDemand,
                material: WrappedKey([3; WRAPPED_KEY_LEN]),
            },
            seals_reserved: 70_000,
        }
    }

    fn read(r: KeyRecord<'_>) -> KeyFields {
        KeyFields {
            id: r.id(),
            state: r.state(),
            creation_date: r.creation_date(),
            deletion: r.deletion_date().zip(r.pending_window_days()),
            rotation: r.rotation(),
            on_demand_rotations: r.on_demand_rotations(),
            min_decryption_version: r.min_decryption_version(),
            current: r.current(),
            seals_reserved: r.seals_reserved(),
        }
    }

    #[test]
    fn round_trip_through_the_view() {
        let mut buf = [0u8; KEY_BODY_LEN + 1];
        assert_eq!(sample().encode(&mut buf), Ok(KEY_BODY_LEN));
        assert_eq!(read(KeyRecord::parse(&buf[..KEY_BODY_LEN]).unwrap()), sample());
        assert_eq!(KeyRecord::parse(&buf).map(|_| ()), Err(Malformed), "trailing byte");
        assert_eq!(KeyRecord::parse(&buf[..KEY_BODY_LEN - 1]).map(|_| ()), Err(Malformed));
    }

    #[test]
    fn changes_in_place_read_back() {
        let mut buf = [0u8; KEY_BODY_LEN];
        sample().encode(&mut buf).unwrap();
        let mut edit = KeyRecordMut::parse(&mut buf).unwrap();
        edit.set_state(KeyState::Disabled);
        edit.set_deletion(None);
        let next = KeyVersion {
            number: 4,
            created: 40,
            rotation_type: RotationType::Automatic,
            material: WrappedKey([4; 40]),
        };
        assert_eq!(edit.view().seals_reserved(), 70_000);
        edit.set_current(&next);
        edit.set_min_decryption_version(4);
        assert_eq!(edit.check(), Ok(()));
        let r = KeyRecord::parse(&buf).unwrap();
        assert_eq!(
            (r.state(), r.deletion_date(), r.current(), r.min_decryption_version(), r.seals_reserved()),
            (KeyState::Disabled, None, next, 4, 0),
            "a new current version has counted no seal"
        );
        KeyRecordMut::parse(&mut buf).unwrap().set_seals_reserved(u64::MAX - 1);
        assert_eq!(KeyRecord::parse(&buf).unwrap().seals_reserved(), u64::MAX - 1);
    }

    /// A format-2 body (format 3 without the count) as the code before the seal count wrote it.
    fn format2(fields: &KeyFields) -> [u8; FORMAT_2_BODY_LEN] {
        let mut buf = [0u8; KEY_BODY_LEN];
        fields.encode(&mut buf).unwrap();
        buf[FORMAT] = FORMAT_2;
        buf[..FORMAT_2_BODY_LEN].try_into().unwrap()
    }

    #[test]
    fn format2_reads_with_an_unknown_count_and_upgrades_in_place() {
        let old = format2(&sample());
        let r = KeyRecord::parse(&old).unwrap();
        assert!(r.is_format2());
        assert_eq!(r.seals_reserved(), SEALS_UNKNOWN);
        assert_eq!(read(r), KeyFields { seals_reserved: SEALS_UNKNOWN, ..sample() });
        let mut long = [0u8; KEY_BODY_LEN];
        long[..FORMAT_2_BODY_LEN].copy_from_slice(&old);
        assert_eq!(KeyRecord::parse(&long).map(|_| ()), Err(Malformed), "format 2 with trailing bytes");
        assert!(KeyRecordMut::parse(&mut long).is_err(), "format 2 is never changed as it is");
        // The upgrade writes over what follows the body (the old MAC, in the façade's buffer).
        long[FORMAT_2_BODY_LEN..].fill(0xee);
        assert_eq!(upgrade_format2(&mut long), Ok(()));
        let r = KeyRecord::parse(&long).unwrap();
        assert!(!r.is_format2());
        assert_eq!(read(r), KeyFields { seals_reserved: SEALS_UNKNOWN, ..sample() });
        assert_eq!(upgrade_format2(&mut long), Err(Malformed), "already format 3");
        assert_eq!(upgrade_format2(&mut long[..KEY_BODY_LEN - 1]), Err(Malformed), "no room for the count");
        let mut bad = [0u8; KEY_BODY_LEN];
        bad[..FORMAT_2_BODY_LEN].copy_from_slice(&old);
        bad[STATE] = 9;
        assert_eq!(upgrade_format2(&mut bad), Err(Malformed), "a bad format-2 body is not upgraded");
    }

    #[test]
    fn broken_invariants_are_refused() {
        // The checks are what keeps a record the HSM sealed by mistake (a bug) from being used
        // half-valid; each broken invariant is refused.
        let mut fields = sample();
        let mut buf = [0u8; KEY_BODY_LEN];
        fields.min_decryption_version = 4;
        assert_eq!(fields.encode(&mut buf), Err(Malformed), "minimum above current");
        fields.min_decryption_version = 0;
        assert_eq!(fields.encode(&mut buf), Err(Malformed), "minimum zero");
        let mut fields = sample();
        fields.deletion = None;
        assert_eq!(fields.encode(&mut buf), Err(Malformed), "pending without a date");
        let mut fields = sample();
        fields.state = KeyState::Enabled;
        assert_eq!(fields.encode(&mut buf), Err(Malformed), "a date without pending");
        let mut fields = sample();
        fields.current.rotation_type = RotationType::Original;
        assert_eq!(fields.encode(&mut buf), Err(Malformed), "only version 1 is original");
        let mut fields = sample();
        fields.on_demand_rotations = 3;
        assert_eq!(fields.encode(&mut buf), Err(Malformed), "more on-demand rotations than versions");
        sample().encode(&mut buf).unwrap();
        for (at, bad) in [
            (FORMAT, 1),
            (FORMAT, 2),
            (FORMAT, 4),
            (SPEC, 2),
            (USAGE, 0),
            (STATE, 4),
            (ROTATION_ON, 2),
            (CURRENT_TYPE, 3),
        ] {
            let mut copy = buf;
            copy[at] = bad;
            assert_eq!(KeyRecord::parse(&copy).map(|_| ()), Err(Malformed), "byte {at} = {bad}");
        }
    }
}
