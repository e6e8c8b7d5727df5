//! `kms_model`: a stateful differential target. The input decodes (with `arbitrary`) into up to
//! [`MAX_OPS`] façade operations; each runs on the real façade (software HSM, memory store,
//! manual clock) and on a [reference model](model) of what it should do, and any disagreement
//! — another error variant, another version, state, date, listing or plaintext — panics.
//!
//! After every step the façade's own answers are also checked against invariants that hold
//! whatever the model says: a key's version only grows, a deleted key never comes back, every
//! alias points at one existing key, and every blob made earlier under a key that still exists,
//! is enabled and still holds the blob's version decrypts to its plaintext (checked for the keys a
//! step changed, after maintenance, and for all of them at the end).

pub mod model;
pub mod ops;

use std::collections::{BTreeMap, BTreeSet};

use arbitrary::{Arbitrary, Unstructured};
use coffer_core::clock::ManualClock;
use coffer_core::error::{Field, LimitKind, Problem};
use coffer_core::key::{AliasEntry, AliasName, KeyVersionInfo, RotationType};
use coffer_core::store::{KeyStore, MemoryStore, RecordKind};
use coffer_core::{DataKeySpec, EncryptionContext, Error, KeyId, KeyMetadata, KeyState};

use crate::common::{self, FuzzKmsN, START};
use model::{
    Alias, BLOB_OVERHEAD, Blob, DAY, Fail, Key, MAX_CIPHERTEXT_INPUT, MAX_DESCRIPTION, MAX_ON_DEMAND_ROTATIONS,
    MAX_PLAINTEXT, Model, Target, Version, alias_custom_ok, alias_syntax_ok,
};
pub use ops::{DataKeySel, KeyForm, KeySel, Op, Tamper, encode};

/// Most operations one input runs.
pub const MAX_OPS: usize = 48;
/// Records the store holds (key, version, description and alias records together): small, so
/// that "store full" is reached.
pub const STORE_RECORDS: usize = 24;
/// Blobs kept to hand back (older ones are overwritten).
pub const MAX_BLOBS: usize = 12;

type Kms<'a> = FuzzKmsN<'a, STORE_RECORDS>;

/// Descriptions an operation can pick (the last is one byte too long).
pub fn description(i: u8) -> String {
    match i % 5 {
        0 => String::new(),
        1 => "payments".into(),
        2 => "ünïcødé \u{1f511}".into(),
        3 => "d".repeat(MAX_DESCRIPTION),
        _ => "d".repeat(MAX_DESCRIPTION + 1),
    }
}

/// Alias names an operation can pick: valid ones, a reserved one, malformed ones, both length edges.
pub fn alias_name(i: u8) -> String {
    match i % 10 {
        0 => "alias/app".into(),
        1 => "alias/app/prod".into(),
        2 => "alias/Z_-9".into(),
        3 => "alias/aws/managed".into(),
        4 => "alias/".into(),
        5 => "alias/bad name".into(),
        6 => "app".into(),
        7 => format!("alias/{}", "a".repeat(250)),
        8 => format!("alias/{}", "b".repeat(251)),
        _ => "alias/aws".into(),
    }
}

/// Encryption contexts an operation can pick, as pairs. 2 and 3 are the same set in another order.
pub fn context_pairs(i: u8) -> &'static [(&'static str, &'static str)] {
    const TABLE: &[&[(&str, &str)]] = &[
        &[],
        &[("tenant", "acme")],
        &[("tenant", "acme"), ("purpose", "test")],
        &[("purpose", "test"), ("tenant", "acme")],
        &[("tenant", "other")],
        &[("", "")],
        &[("aws:cmk", "x"), ("k\u{e9}y", "\u{1f511}")],
    ];
    TABLE[usize::from(i) % TABLE.len()]
}

/// The index of the first table entry equal to context `i` as a set (the model's notion of "the
/// same context": order does not matter, every pair must match).
fn canonical_context(i: u8) -> BTreeMap<&'static str, &'static str> {
    context_pairs(i).iter().copied().collect()
}

/// Plaintext lengths an operation can pick (0 and 4097 are refused).
fn plaintext_len(i: u8) -> usize {
    [0, 1, 2, 16, 32, 100, MAX_PLAINTEXT, MAX_PLAINTEXT + 1][usize::from(i) % 8]
}

/// The plaintext of step `step`: a pattern that differs between steps.
fn plaintext(step: usize, len: usize) -> Vec<u8> {
    (0..len).map(|j| step.wrapping_mul(31).wrapping_add(j.wrapping_mul(7)).to_le_bytes()[0]).collect()
}

/// A well-formed key id that no key has (the deterministic generator never makes it).
pub fn unknown_id() -> KeyId {
    KeyId::from_random([0xee; 16])
}

const ARN_PREFIX: &str = "arn:aws:kms:us-east-1:000000000000:";
const FOREIGN_ARN_PREFIX: &str = "arn:aws:kms:us-east-1:111111111111:";

/// The text of a reference, and what the model says it resolves to. `field` names the request
/// field in a validation error.
fn reference(model: &Model, sel: KeySel, field: Field) -> (String, Result<Target, Fail>) {
    let target = match usize::from(sel.key) % (model.keys.len() + 1) {
        i if i == model.keys.len() => Target::Unknown(unknown_id()),
        i => Target::Known(i),
    };
    let id = model.id_of(target).to_string();
    let malformed = Err(Fail::Validation(field, Problem::Malformed));
    match KeyForm::of(sel.form) {
        KeyForm::Id => (id, Ok(target)),
        KeyForm::IdUpper => (id.to_ascii_uppercase(), Ok(target)),
        KeyForm::KeyArn => (format!("{ARN_PREFIX}key/{id}"), Ok(target)),
        form @ (KeyForm::AliasName | KeyForm::AliasArn) => {
            let name = alias_name(sel.key);
            let text = if form == KeyForm::AliasArn { format!("{ARN_PREFIX}{name}") } else { name.clone() };
            let resolved = if !alias_syntax_ok(&name) {
                malformed
            } else {
                model.aliases.get(&name).map(|a| Target::Known(a.target)).ok_or(Fail::NotFound)
            };
            (text, resolved)
        }
        KeyForm::ForeignArn => (format!("{FOREIGN_ARN_PREFIX}key/{id}"), Err(Fail::NotFound)),
        KeyForm::Garbage => ("not a key".into(), malformed),
        KeyForm::Empty => (String::new(), malformed),
    }
}

/// A reference that must name a key directly (an alias target): aliases are refused as malformed.
fn direct_reference(model: &Model, sel: KeySel, field: Field) -> (String, Result<Target, Fail>) {
    let (text, resolved) = reference(model, sel, field);
    match KeyForm::of(sel.form) {
        KeyForm::AliasName | KeyForm::AliasArn => (text, Err(Fail::Validation(field, Problem::Malformed))),
        _ => (text, resolved),
    }
}

fn fail_of<H: core::fmt::Debug, S: core::fmt::Debug>(e: &Error<H, S>) -> Fail {
    match e {
        Error::Validation(v) => Fail::Validation(v.field, v.problem),
        Error::NotFound => Fail::NotFound,
        Error::AlreadyExists => Fail::AlreadyExists,
        Error::InvalidAliasName => Fail::InvalidAliasName,
        Error::Disabled => Fail::Disabled,
        Error::InvalidState(s) => Fail::InvalidState(*s),
        Error::InvalidCiphertext => Fail::InvalidCiphertext,
        Error::IncorrectKey => Fail::IncorrectKey,
        Error::LimitExceeded(l) => Fail::Limit(*l),
        Error::CorruptRecord => Fail::CorruptRecord,
        other => Fail::Other(format!("{other:?}")),
    }
}

/// The runner: the façade, the model, and what the invariants remember.
struct Runner<'a> {
    kms: Kms<'a>,
    clock: &'a ManualClock,
    model: Model,
    /// Highest current version ever seen per key id (the façade's answers, not the model's).
    seen_versions: BTreeMap<KeyId, u32>,
    /// Ids of keys the façade reported destroyed.
    destroyed: BTreeSet<KeyId>,
    /// Genuine records of the keys whose records were edited, to put back.
    saved: BTreeMap<usize, Vec<u8>>,
    step: usize,
}

/// Panics with the step, the operation and both answers.
macro_rules! disagree {
    ($runner:expr, $op:expr, $($arg:tt)*) => {
        panic!("step {} {:?}: {}", $runner.step, $op, format_args!($($arg)*))
    };
}

/// Compares a façade result with the model's expectation (errors exactly, successes by `ok`).
fn compare<T, E: core::fmt::Debug, X: core::fmt::Debug>(
    step: usize,
    op: &Op,
    actual: &Result<T, E>,
    expected: &Result<X, Fail>,
    fail: impl Fn(&E) -> Fail,
) -> bool {
    match (actual, expected) {
        (Ok(_), Ok(_)) => true,
        (Err(a), Err(x)) if fail(a) == *x => false,
        (Ok(_), Err(x)) => panic!("step {step} {op:?}: façade succeeded, model expected {x:?}"),
        (Err(a), Ok(x)) => panic!("step {step} {op:?}: façade failed with {a:?}, model expected success {x:?}"),
        (Err(a), Err(x)) => panic!("step {step} {op:?}: façade failed with {a:?}, model expected {x:?}"),
    }
}

impl Runner<'_> {
    fn metadata_matches(&self, op: &Op, i: usize, meta: &KeyMetadata) {
        let key = &self.model.keys[i];
        let want = (
            key.id,
            format!("{ARN_PREFIX}key/{}", key.id),
            key.created,
            key.state == KeyState::Enabled,
            key.state,
            key.deletion.map(|d| d.0),
            key.deletion.map(|d| d.1),
            key.current(),
            key.min_version(),
        );
        let got = (
            meta.key_id,
            meta.arn(&coffer_core::key::ArnPrefix::default()).as_str().to_owned(),
            meta.creation_date,
            meta.enabled,
            meta.key_state,
            meta.deletion_date,
            meta.pending_deletion_window_in_days,
            meta.current_version,
            meta.minimum_decryption_version,
        );
        if want != got {
            disagree!(self, op, "metadata {got:?}, model {want:?}");
        }
    }

    fn store_blob(&mut self, blob: Blob) {
        if self.model.blobs.len() < MAX_BLOBS {
            self.model.blobs.push(blob);
        } else {
            let slot = self.step % MAX_BLOBS;
            self.model.blobs[slot] = blob;
        }
    }

    /// The model's answer to opening `bytes` (made from `blob`) under context `context` with the
    /// expected key `expected`; on success the key index and version.
    fn expect_open(
        &self,
        bytes: &[u8],
        blob: &Blob,
        context: u8,
        expected: Option<Result<Target, Fail>>,
    ) -> Result<(usize, u32), Fail> {
        if bytes.is_empty() || bytes.len() > MAX_CIPHERTEXT_INPUT {
            return Err(Fail::Validation(Field::CiphertextBlob, Problem::Length { min: 1, max: MAX_CIPHERTEXT_INPUT }));
        }
        let expected = expected.transpose()?.map(|t| self.model.id_of(t));
        // docs/FORMAT.md: format 1, key id, version, nonce, 1..=4096 bytes, tag.
        if bytes[0] != 1 || bytes.len() < BLOB_OVERHEAD + 1 || bytes.len() > BLOB_OVERHEAD + MAX_PLAINTEXT {
            return Err(Fail::InvalidCiphertext);
        }
        let named = KeyId::from_bytes(bytes[1..17].try_into().unwrap());
        let version = u32::from_be_bytes(bytes[17..21].try_into().unwrap());
        if expected.is_some_and(|id| id != named) {
            return Err(Fail::IncorrectKey);
        }
        let i = self.model.load(Target::Known(self.model.live_index(&named).ok_or(Fail::NotFound)?))?;
        let key = &self.model.keys[i];
        key.usable()?;
        if !key.holds(version) || bytes != blob.bytes.as_slice() {
            return Err(Fail::InvalidCiphertext);
        }
        if canonical_context(context) != canonical_context(u8::try_from(blob.context).unwrap()) {
            return Err(Fail::InvalidCiphertext);
        }
        Ok((i, version))
    }

    fn tampered(&self, blob: &Blob, tamper: Tamper) -> Vec<u8> {
        let mut bytes = blob.bytes.clone();
        match tamper {
            Tamper::Intact => {}
            Tamper::Flip { at, xor } => {
                let at = usize::from(at) % bytes.len();
                bytes[at] ^= xor;
            }
            Tamper::Truncate { by } => bytes.truncate(bytes.len().saturating_sub(usize::from(by))),
            Tamper::Append { bytes: n } => bytes.resize(bytes.len() + usize::from(n), 0),
            Tamper::Relabel { key, version } => {
                let target = match usize::from(key) % (self.model.keys.len() + 1) {
                    i if i == self.model.keys.len() => Target::Unknown(unknown_id()),
                    i => Target::Known(i),
                };
                bytes[1..17].copy_from_slice(self.model.id_of(target).as_bytes());
                bytes[17..21].copy_from_slice(&u32::from(version).to_be_bytes());
            }
        }
        bytes
    }

    fn run_op(&mut self, op: &Op) {
        let now = self.model.now;
        match *op {
            Op::CreateKey { description: d } => {
                let text = description(d);
                let expected = if text.len() > MAX_DESCRIPTION {
                    Err(Fail::Validation(Field::Description, Problem::Length { min: 0, max: MAX_DESCRIPTION }))
                } else if self.model.full_for(2 + usize::from(!text.is_empty())) {
                    // The key, version 1's and the description's records.
                    Err(Fail::Limit(LimitKind::StoreFull))
                } else {
                    Ok(())
                };
                let actual = self.kms.create_key(&text);
                if compare(self.step, op, &actual, &expected, fail_of) {
                    let meta = actual.unwrap();
                    if self.model.keys.iter().any(|k| k.id == meta.key_id) || meta.key_id == unknown_id() {
                        disagree!(self, op, "key id {} reused", meta.key_id);
                    }
                    self.model.keys.push(Key {
                        id: meta.key_id,
                        state: KeyState::Enabled,
                        created: now,
                        description: text,
                        versions: vec![Version { number: 1, created: now, kind: RotationType::Original }],
                        rotation: None,
                        deletion: None,
                        deleted: false,
                        corrupt: false,
                        on_demand: 0,
                    });
                    self.metadata_matches(op, self.model.keys.len() - 1, &meta);
                }
            }
            Op::DescribeKey { key } => {
                let (text, resolved) = reference(&self.model, key, Field::KeyId);
                let expected = resolved.and_then(|t| self.model.load(t));
                let mut description = Box::new(coffer_core::key::Description::new());
                let actual = self.kms.describe_key_with_description(&text, &mut description);
                if compare(self.step, op, &actual, &expected, fail_of) {
                    let i = expected.unwrap();
                    self.metadata_matches(op, i, &actual.unwrap());
                    if description.as_str() != self.model.keys[i].description {
                        disagree!(self, op, "description {description:?}, model {:?}", self.model.keys[i].description);
                    }
                }
            }
            Op::EnableKey { key } | Op::DisableKey { key } => {
                let state = if matches!(op, Op::EnableKey { .. }) { KeyState::Enabled } else { KeyState::Disabled };
                let (text, resolved) = reference(&self.model, key, Field::KeyId);
                let expected = resolved.and_then(|t| self.model.load(t)).and_then(|i| {
                    self.model.keys[i].not_pending()?;
                    Ok(i)
                });
                let actual =
                    if state == KeyState::Enabled { self.kms.enable_key(&text) } else { self.kms.disable_key(&text) };
                if compare(self.step, op, &actual, &expected, fail_of) {
                    self.model.keys[expected.unwrap()].state = state;
                }
            }
            Op::ScheduleKeyDeletion { key, window } => {
                let (text, resolved) = reference(&self.model, key, Field::KeyId);
                let days = window.unwrap_or(30);
                let expected = if !(7..=30).contains(&days) {
                    Err(Fail::Validation(Field::PendingWindowInDays, Problem::OutOfRange { min: 7, max: 30 }))
                } else {
                    resolved.and_then(|t| self.model.load(t)).and_then(|i| {
                        self.model.keys[i].not_pending()?;
                        Ok(i)
                    })
                };
                let actual = self.kms.schedule_key_deletion(&text, window);
                if compare(self.step, op, &actual, &expected, fail_of) {
                    let i = expected.unwrap();
                    let date = now + u64::from(days) * DAY;
                    let got = actual.unwrap();
                    if (got.key_id, got.deletion_date, got.pending_window_in_days)
                        != (self.model.keys[i].id, date, days)
                    {
                        disagree!(self, op, "{got:?}, model deletion at {date} after {days} days");
                    }
                    let k = &mut self.model.keys[i];
                    k.state = KeyState::PendingDeletion;
                    k.deletion = Some((date, days));
                }
            }
            Op::CancelKeyDeletion { key } => {
                let (text, resolved) = reference(&self.model, key, Field::KeyId);
                let expected = resolved.and_then(|t| self.model.load(t)).and_then(|i| match self.model.keys[i].state {
                    KeyState::PendingDeletion => Ok(i),
                    other => Err(Fail::InvalidState(other)),
                });
                let actual = self.kms.cancel_key_deletion(&text);
                if compare(self.step, op, &actual, &expected, fail_of) {
                    let i = expected.unwrap();
                    if actual.unwrap() != self.model.keys[i].id {
                        disagree!(self, op, "cancelled another key");
                    }
                    let k = &mut self.model.keys[i];
                    k.state = KeyState::Disabled;
                    k.deletion = None;
                }
            }
            Op::UpdateKeyDescription { key, description: d } => {
                let new = description(d);
                let (text, resolved) = reference(&self.model, key, Field::KeyId);
                let expected = if new.len() > MAX_DESCRIPTION {
                    Err(Fail::Validation(Field::Description, Problem::Length { min: 0, max: MAX_DESCRIPTION }))
                } else {
                    resolved.and_then(|t| self.model.load(t)).and_then(|i| {
                        self.model.keys[i].not_pending()?;
                        // A description where there was none takes a record.
                        if self.model.keys[i].description.is_empty() && !new.is_empty() && self.model.full_for(1) {
                            return Err(Fail::Limit(LimitKind::StoreFull));
                        }
                        Ok(i)
                    })
                };
                let actual = self.kms.update_key_description(&text, &new);
                if compare(self.step, op, &actual, &expected, fail_of) {
                    self.model.keys[expected.unwrap()].description = new;
                }
            }
            Op::CreateAlias { alias, target } | Op::UpdateAlias { alias, target } => {
                let create = matches!(op, Op::CreateAlias { .. });
                let name = alias_name(alias);
                let (text, resolved) = direct_reference(&self.model, target, Field::TargetKeyId);
                let expected = if !alias_custom_ok(&name) {
                    Err(Fail::InvalidAliasName)
                } else {
                    resolved.and_then(|t| self.model.load(t)).and_then(|i| {
                        self.model.keys[i].not_pending()?;
                        let exists = self.model.aliases.contains_key(&name);
                        if create && exists {
                            Err(Fail::AlreadyExists)
                        } else if !create && !exists {
                            Err(Fail::NotFound)
                        } else if create && self.model.records() >= self.model.capacity {
                            Err(Fail::Limit(LimitKind::StoreFull))
                        } else {
                            Ok(i)
                        }
                    })
                };
                let actual =
                    if create { self.kms.create_alias(&name, &text) } else { self.kms.update_alias(&name, &text) };
                if compare(self.step, op, &actual, &expected, fail_of) {
                    let target = expected.unwrap();
                    if create {
                        self.model.aliases.insert(name, Alias { target, created: now, updated: now });
                    } else {
                        let a = self.model.aliases.get_mut(&name).unwrap();
                        a.target = target;
                        a.updated = now;
                    }
                }
            }
            Op::DeleteAlias { alias } => {
                let name = alias_name(alias);
                let expected = if !alias_custom_ok(&name) {
                    Err(Fail::InvalidAliasName)
                } else if self.model.aliases.contains_key(&name) {
                    Ok(())
                } else {
                    Err(Fail::NotFound)
                };
                let actual = self.kms.delete_alias(&name);
                if compare(self.step, op, &actual, &expected, fail_of) {
                    self.model.aliases.remove(&name);
                }
            }
            Op::EnableKeyRotation { key, period } => {
                let (text, resolved) = reference(&self.model, key, Field::KeyId);
                let days = period.unwrap_or(365);
                let expected = if !(90..=2560).contains(&days) {
                    Err(Fail::Validation(Field::RotationPeriodInDays, Problem::OutOfRange { min: 90, max: 2560 }))
                } else {
                    resolved.and_then(|t| self.model.load(t)).and_then(|i| {
                        self.model.keys[i].usable()?;
                        Ok(i)
                    })
                };
                let actual = self.kms.enable_key_rotation(&text, period);
                if compare(self.step, op, &actual, &expected, fail_of) {
                    self.model.keys[expected.unwrap()].rotation = Some((days, now + u64::from(days) * DAY));
                }
            }
            Op::DisableKeyRotation { key } => {
                let (text, resolved) = reference(&self.model, key, Field::KeyId);
                let expected = resolved.and_then(|t| self.model.load(t)).and_then(|i| {
                    self.model.keys[i].usable()?;
                    Ok(i)
                });
                let actual = self.kms.disable_key_rotation(&text);
                if compare(self.step, op, &actual, &expected, fail_of) {
                    self.model.keys[expected.unwrap()].rotation = None;
                }
            }
            Op::GetKeyRotationStatus { key } => {
                let (text, resolved) = reference(&self.model, key, Field::KeyId);
                let expected = resolved.and_then(|t| self.model.load(t));
                let actual = self.kms.get_key_rotation_status(&text);
                if compare(self.step, op, &actual, &expected, fail_of) {
                    let k = &self.model.keys[expected.unwrap()];
                    let s = actual.unwrap();
                    // AWS: a key pending deletion reports rotation off, its schedule kept.
                    let on = k.rotation.filter(|_| k.state != KeyState::PendingDeletion);
                    let want = (k.id, on.is_some(), on.map(|r| r.0), on.map(|r| r.1));
                    let got = (s.key_id, s.enabled, s.rotation_period_in_days, s.next_rotation_date);
                    if want != got {
                        disagree!(self, op, "status {got:?}, model {want:?}");
                    }
                }
            }
            Op::RotateKeyOnDemand { key } => {
                let (text, resolved) = reference(&self.model, key, Field::KeyId);
                let expected = resolved.and_then(|t| self.model.load(t)).and_then(|i| {
                    self.model.keys[i].usable()?;
                    if self.model.keys[i].on_demand >= MAX_ON_DEMAND_ROTATIONS {
                        return Err(Fail::Limit(LimitKind::OnDemandRotations));
                    }
                    // The new version's record.
                    if self.model.full_for(1) {
                        return Err(Fail::Limit(LimitKind::StoreFull));
                    }
                    Ok(i)
                });
                let actual = self.kms.rotate_key_on_demand(&text);
                if compare(self.step, op, &actual, &expected, fail_of) {
                    let i = expected.unwrap();
                    self.model.keys[i].on_demand += 1;
                    let number = self.model.add_version(i, RotationType::OnDemand);
                    let got = actual.unwrap();
                    if got != (self.model.keys[i].id, number) {
                        disagree!(self, op, "rotated to {got:?}, model version {number}");
                    }
                }
            }
            Op::ListKeyRotations { key } => {
                let (text, resolved) = reference(&self.model, key, Field::KeyId);
                let expected = resolved.and_then(|t| self.model.load(t));
                // The store bounds the versions a key holds.
                let mut out = [KeyVersionInfo { version: 0, rotation_date: 0, rotation_type: RotationType::Original };
                    STORE_RECORDS + 1];
                let actual = self.kms.list_key_rotations(&text, None, &mut out);
                if compare(self.step, op, &actual, &expected, fail_of) {
                    let page = actual.unwrap();
                    let got: Vec<_> =
                        out[..page.count].iter().map(|v| (v.version, v.rotation_date, v.rotation_type)).collect();
                    let want: Vec<_> = self.model.keys[expected.unwrap()]
                        .versions
                        .iter()
                        .filter(|v| v.kind != RotationType::Original)
                        .map(|v| (v.number, v.created, v.kind))
                        .collect();
                    if got != want || page.next_marker.is_some() {
                        disagree!(self, op, "rotations {got:?} (next {:?}), model {want:?}", page.next_marker);
                    }
                }
            }
            Op::SetMinimumDecryptionVersion { key, version } => {
                let (text, resolved) = reference(&self.model, key, Field::KeyId);
                let version = u32::from(version);
                let expected = resolved.and_then(|t| self.model.load(t)).and_then(|i| {
                    let k = &self.model.keys[i];
                    k.not_pending()?;
                    let (min, max) = (k.min_version(), k.current());
                    if (min..=max).contains(&version) {
                        Ok(i)
                    } else {
                        let range = Problem::OutOfRange { min: u64::from(min), max: u64::from(max) };
                        Err(Fail::Validation(Field::MinimumDecryptionVersion, range))
                    }
                });
                let actual = self.kms.set_minimum_decryption_version(&text, version);
                if compare(self.step, op, &actual, &expected, fail_of) {
                    self.model.keys[expected.unwrap()].versions.retain(|v| v.number >= version);
                }
            }
            Op::ListKeys { page } => self.check_list_keys(op, usize::from(page % 8)),
            Op::ListAliases { filter, page } => {
                let size = usize::from(page % 8);
                let (text, resolved) = match filter {
                    Some(sel) => {
                        let (text, resolved) = reference(&self.model, sel, Field::KeyId);
                        (Some(text), resolved.and_then(|t| self.model.load(t)).map(Some))
                    }
                    None => (None, Ok(None)),
                };
                let expected = if size == 0 {
                    Err(Fail::Validation(Field::Limit, Problem::OutOfRange { min: 1, max: 1000 }))
                } else {
                    resolved
                };
                let got = self.list_aliases(text.as_deref(), size);
                match (got, expected) {
                    (Ok(entries), Ok(filter)) => {
                        let want: Vec<_> = self
                            .model
                            .aliases
                            .iter()
                            .filter(|(_, a)| filter.is_none_or(|i| a.target == i))
                            .map(|(n, a)| (n.clone(), self.model.keys[a.target].id, a.created, a.updated))
                            .collect();
                        if entries != want {
                            disagree!(self, op, "aliases {entries:?}, model {want:?}");
                        }
                    }
                    (Err(a), Err(x)) if a == x => {}
                    (got, want) => disagree!(self, op, "ListAliases gave {got:?}, model {want:?}"),
                }
            }
            Op::Encrypt { key, plaintext: p, context } => {
                let len = plaintext_len(p);
                let data = plaintext(self.step, len);
                let (text, resolved) = reference(&self.model, key, Field::KeyId);
                let expected = if !(1..=MAX_PLAINTEXT).contains(&len) {
                    Err(Fail::Validation(Field::Plaintext, Problem::Length { min: 1, max: MAX_PLAINTEXT }))
                } else {
                    resolved.and_then(|t| self.model.load(t)).and_then(|i| {
                        self.model.keys[i].usable()?;
                        Ok(i)
                    })
                };
                let ctx = EncryptionContext::new(context_pairs(context)).unwrap();
                let actual = self.kms.encrypt(&text, &data, &ctx);
                if compare(self.step, op, &actual, &expected, fail_of) {
                    let i = expected.unwrap();
                    let got = actual.unwrap();
                    let k = &self.model.keys[i];
                    if (got.key_id, got.version) != (k.id, k.current()) {
                        disagree!(self, op, "encrypted under {} v{}, model v{}", got.key_id, got.version, k.current());
                    }
                    self.check_blob_header(op, got.ciphertext_blob.as_bytes(), i, len);
                    let blob = Blob {
                        bytes: got.ciphertext_blob.as_bytes().to_vec(),
                        key: i,
                        version: got.version,
                        context: usize::from(context),
                        plaintext: Some(data),
                        len,
                    };
                    self.check_opens(op, &blob);
                    self.store_blob(blob);
                }
            }
            Op::Decrypt { blob, context, expected: expected_key, tamper } => {
                if self.model.blobs.is_empty() {
                    return;
                }
                let stored = self.model.blobs[usize::from(blob) % self.model.blobs.len()].clone();
                let bytes = self.tampered(&stored, tamper);
                let context = context.unwrap_or(u8::try_from(stored.context).unwrap());
                let (expected_text, expected_target) = match expected_key {
                    Some(sel) => {
                        let (t, r) = reference(&self.model, sel, Field::KeyId);
                        (Some(t), Some(r))
                    }
                    None => (None, None),
                };
                let expected = self.expect_open(&bytes, &stored, context, expected_target);
                let ctx = EncryptionContext::new(context_pairs(context)).unwrap();
                let actual = self.kms.decrypt(&bytes, &ctx, expected_text.as_deref());
                if compare(self.step, op, &actual, &expected, fail_of) {
                    let (i, version) = expected.unwrap();
                    let got = actual.unwrap();
                    if (got.key_id, got.version) != (self.model.keys[i].id, version)
                        || stored.plaintext.as_deref().is_some_and(|p| p != got.plaintext.as_bytes())
                        || got.plaintext.as_bytes().len() != stored.len
                    {
                        disagree!(self, op, "decrypted {:?} v{}, not the blob's plaintext", got.key_id, got.version);
                    }
                }
            }
            Op::ReEncrypt { blob, context, source, destination, destination_context, tamper } => {
                if self.model.blobs.is_empty() {
                    return;
                }
                let stored = self.model.blobs[usize::from(blob) % self.model.blobs.len()].clone();
                let bytes = self.tampered(&stored, tamper);
                let context = context.unwrap_or(u8::try_from(stored.context).unwrap());
                let (source_text, source_target) = match source {
                    Some(sel) => {
                        let (t, r) = reference(&self.model, sel, Field::KeyId);
                        (Some(t), Some(r))
                    }
                    None => (None, None),
                };
                let (dest_text, dest_resolved) = reference(&self.model, destination, Field::DestinationKeyId);
                let expected = dest_resolved.and_then(|dest| {
                    let (src, src_version) = self.expect_open(&bytes, &stored, context, source_target)?;
                    let d = self.model.load(dest)?;
                    self.model.keys[d].usable()?;
                    Ok((src, src_version, d))
                });
                let src_ctx = EncryptionContext::new(context_pairs(context)).unwrap();
                let dst_ctx = EncryptionContext::new(context_pairs(destination_context)).unwrap();
                let actual = self.kms.re_encrypt(&bytes, &src_ctx, source_text.as_deref(), &dest_text, &dst_ctx);
                if compare(self.step, op, &actual, &expected, fail_of) {
                    let (src, src_version, d) = expected.unwrap();
                    let got = actual.unwrap();
                    let want =
                        (self.model.keys[src].id, src_version, self.model.keys[d].id, self.model.keys[d].current());
                    if (got.source_key_id, got.source_version, got.key_id, got.version) != want {
                        disagree!(self, op, "{got:?}, model {want:?}");
                    }
                    self.check_blob_header(op, got.ciphertext_blob.as_bytes(), d, stored.len);
                    let blob = Blob {
                        bytes: got.ciphertext_blob.as_bytes().to_vec(),
                        key: d,
                        version: got.version,
                        context: usize::from(destination_context),
                        plaintext: stored.plaintext.clone(),
                        len: stored.len,
                    };
                    self.check_opens(op, &blob);
                    self.store_blob(blob);
                }
            }
            Op::GenerateDataKey { key, spec, context, with_plaintext } => {
                let (spec, len) = match spec {
                    DataKeySel::Aes128 => (DataKeySpec::Aes128, 16),
                    DataKeySel::Aes256 => (DataKeySpec::Aes256, 32),
                    DataKeySel::Bytes(n) => (DataKeySpec::NumberOfBytes(n), usize::from(n)),
                };
                let (text, resolved) = reference(&self.model, key, Field::KeyId);
                let expected = if !(1..=1024).contains(&len) {
                    Err(Fail::Validation(Field::NumberOfBytes, Problem::OutOfRange { min: 1, max: 1024 }))
                } else {
                    resolved.and_then(|t| self.model.load(t)).and_then(|i| {
                        self.model.keys[i].usable()?;
                        Ok(i)
                    })
                };
                let ctx = EncryptionContext::new(context_pairs(context)).unwrap();
                let made = if with_plaintext {
                    let actual = self.kms.generate_data_key(&text, spec, &ctx);
                    compare(self.step, op, &actual, &expected, fail_of).then(|| {
                        let dk = actual.unwrap();
                        (dk.key_id, None, Some(dk.plaintext.as_bytes().to_vec()), dk.ciphertext_blob)
                    })
                } else {
                    let actual = self.kms.generate_data_key_without_plaintext(&text, spec, &ctx);
                    compare(self.step, op, &actual, &expected, fail_of).then(|| {
                        let e = actual.unwrap();
                        (e.key_id, Some(e.version), None, e.ciphertext_blob)
                    })
                };
                if let Some((key_id, version, data, ciphertext)) = made {
                    let i = expected.unwrap();
                    let k = &self.model.keys[i];
                    if key_id != k.id || version.is_some_and(|v| v != k.current()) {
                        disagree!(self, op, "data key under {key_id} {version:?}, model v{}", k.current());
                    }
                    if data.as_ref().is_some_and(|d| d.len() != len) {
                        disagree!(self, op, "data key of {} bytes, asked {len}", data.unwrap().len());
                    }
                    self.check_blob_header(op, ciphertext.as_bytes(), i, len);
                    let blob = Blob {
                        bytes: ciphertext.as_bytes().to_vec(),
                        key: i,
                        version: self.model.keys[i].current(),
                        context: usize::from(context),
                        plaintext: data,
                        len,
                    };
                    self.check_opens(op, &blob);
                    self.store_blob(blob);
                }
            }
            Op::Maintenance => {
                let mut want = coffer_core::kms::MaintenanceReport::default();
                let mut order: Vec<usize> = self.model.live().map(|(i, _)| i).collect();
                order.sort_by_key(|&i| self.model.keys[i].id);
                for i in order {
                    let k = &self.model.keys[i];
                    if k.corrupt {
                        want.corrupt_records += 1;
                        continue;
                    }
                    match (k.state, k.deletion, k.rotation) {
                        (KeyState::PendingDeletion, Some((date, _)), _) if date <= now => {
                            let before = self.model.aliases.len();
                            self.model.aliases.retain(|_, a| a.target != i);
                            want.aliases_deleted += u32::try_from(before - self.model.aliases.len()).unwrap();
                            self.model.keys[i].deleted = true;
                            want.deleted += 1;
                        }
                        (KeyState::Enabled, _, Some((period, next))) if next <= now => {
                            if self.model.full_for(1) {
                                want.rotation_failures += 1;
                            } else {
                                self.model.add_version(i, RotationType::Automatic);
                                self.model.keys[i].rotation = Some((period, now + u64::from(period) * DAY));
                                want.rotated += 1;
                            }
                        }
                        _ => {}
                    }
                }
                match self.kms.maintenance() {
                    Ok(got) if got == want => {}
                    got => disagree!(self, op, "maintenance {got:?}, model {want:?}"),
                }
                for k in self.model.keys.iter().filter(|k| k.deleted) {
                    self.destroyed.insert(k.id);
                }
            }
            Op::Clock { forward, days, seconds } => {
                let delta = u64::from(days) * DAY + u64::from(seconds);
                self.model.now = if forward { now + delta } else { now.saturating_sub(delta) };
                self.clock.set(self.model.now);
            }
            Op::CorruptRecord { key, at, xor } => {
                let Some(i) = self.pick_live(key) else { return };
                let name = self.model.keys[i].id.to_string();
                let record = self.kms.store_mut().raw_mut(RecordKind::Key, &name).expect("a live key has a record");
                let genuine = self.saved.entry(i).or_insert_with(|| record.to_vec());
                let at = usize::from(at) % record.len();
                record[at] ^= xor.max(1);
                // A second edit of the same byte with the same mask puts the genuine record back.
                let edited = *record != **genuine;
                if !edited {
                    self.saved.remove(&i);
                }
                self.model.keys[i].corrupt = edited;
            }
            Op::RestoreRecord { key } => {
                let Some(i) = self.pick_live(key) else { return };
                if let Some(genuine) = self.saved.remove(&i) {
                    let name = self.model.keys[i].id.to_string();
                    self.kms.store_mut().put(RecordKind::Key, &name, &genuine).expect("restore");
                    self.model.keys[i].corrupt = false;
                }
            }
        }
    }

    /// The live key `key` picks (as [`KeySel::key`]), if any.
    fn pick_live(&self, key: u8) -> Option<usize> {
        let i = usize::from(key) % (self.model.keys.len() + 1);
        (i < self.model.keys.len() && !self.model.keys[i].deleted).then_some(i)
    }

    /// A blob made under key `i` names the key and its current version in its header, and is
    /// as long as its plaintext plus the overhead.
    fn check_blob_header(&self, op: &Op, bytes: &[u8], i: usize, len: usize) {
        let k = &self.model.keys[i];
        let ok = bytes.len() == len + BLOB_OVERHEAD
            && bytes[0] == 1
            && bytes[1..17] == *k.id.as_bytes()
            && bytes[17..21] == k.current().to_be_bytes();
        if !ok {
            disagree!(
                self,
                op,
                "blob of {} bytes with header {:02x?} for {} v{}",
                bytes.len(),
                &bytes[..21.min(bytes.len())],
                k.id,
                k.current()
            );
        }
    }

    /// A blob that the model says opens does open, to its plaintext.
    fn check_opens(&mut self, op: &Op, blob: &Blob) {
        let ctx = EncryptionContext::new(context_pairs(u8::try_from(blob.context).unwrap())).unwrap();
        match self.kms.decrypt(&blob.bytes, &ctx, None) {
            Ok(d)
                if d.plaintext.as_bytes().len() == blob.len
                    && blob.plaintext.as_deref().is_none_or(|p| p == d.plaintext.as_bytes())
                    && d.version == blob.version => {}
            Ok(d) => disagree!(self, op, "blob opened to another plaintext or version (v{})", d.version),
            Err(e) => disagree!(self, op, "a blob the key can decrypt was refused: {e:?}"),
        }
    }

    /// Pages through ListKeys with pages of `size` and compares with the model's live keys.
    fn check_list_keys(&mut self, op: &Op, size: usize) {
        let mut out = vec![KeyId::from_bytes([0; 16]); size];
        let mut seen = Vec::new();
        let mut marker: Option<KeyId> = None;
        // A page holds at least one key, so there are at most as many pages as keys, plus one.
        for _ in 0..=self.model.keys.len() + 1 {
            match self.kms.list_keys(marker.as_ref(), &mut out) {
                Ok(_) if size == 0 => disagree!(self, op, "ListKeys took a page of 0"),
                Ok(page) => {
                    seen.extend_from_slice(&out[..page.count]);
                    match page.next_marker {
                        Some(m) if page.count == size && out.last() == Some(&m) => marker = Some(m),
                        Some(m) => disagree!(self, op, "marker {m} after a page of {} of {size}", page.count),
                        None => break,
                    }
                }
                Err(Error::Validation(v))
                    if size == 0
                        && v.field == Field::Limit
                        && v.problem == Problem::OutOfRange { min: 1, max: 1000 } =>
                {
                    return;
                }
                Err(e) => disagree!(self, op, "ListKeys failed: {e:?}"),
            }
        }
        let mut want: Vec<KeyId> = self.model.live().map(|(_, k)| k.id).collect();
        want.sort();
        if seen != want {
            disagree!(self, op, "ListKeys {seen:?}, model {want:?}");
        }
    }

    /// Pages through ListAliases; entries as (name, target, created, updated).
    #[allow(clippy::type_complexity)]
    fn list_aliases(&mut self, filter: Option<&str>, size: usize) -> Result<Vec<(String, KeyId, u64, u64)>, Fail> {
        let blank = AliasEntry {
            name: AliasName::parse("alias/x").unwrap(),
            target_key_id: KeyId::from_bytes([0; 16]),
            creation_date: 0,
            last_updated_date: 0,
        };
        let mut out = vec![blank; size];
        let mut seen = Vec::new();
        let mut marker: Option<AliasName> = None;
        for _ in 0..=STORE_RECORDS + 1 {
            let page = self.kms.list_aliases(filter, marker.as_ref(), &mut out).map_err(|e| fail_of(&e))?;
            seen.extend(
                out[..page.count]
                    .iter()
                    .map(|e| (e.name.as_str().to_owned(), e.target_key_id, e.creation_date, e.last_updated_date)),
            );
            match page.next_marker {
                Some(m) => {
                    assert_eq!(page.count, size, "a ListAliases page with a marker is full");
                    marker = Some(m);
                }
                None => return Ok(seen),
            }
        }
        panic!("ListAliases pagination does not end");
    }

    /// The invariants, from the façade's answers. Every step: the listed keys are exactly the
    /// model's live keys and no destroyed key is listed; the keys the step changed (in the model)
    /// and one more in turn describe as the model says and their versions did not go down; after
    /// an alias operation every alias names one listed key. `full` (after maintenance and at the
    /// end): every key, every destroyed key (NotFound), every alias, and every blob that should
    /// open.
    fn check_invariants(&mut self, op: &Op, changed: &[usize], full: bool) {
        let mut ids = [KeyId::from_bytes([0; 16]); STORE_RECORDS + 1];
        let page = self.kms.list_keys(None, &mut ids).expect("ListKeys");
        let listed = ids[..page.count].to_vec();
        if let Some(back) = listed.iter().find(|id| self.destroyed.contains(id)) {
            disagree!(self, op, "destroyed key {back} is listed again");
        }
        let live: Vec<usize> = self.model.live().map(|(i, _)| i).collect();
        let mut want: Vec<KeyId> = live.iter().map(|&i| self.model.keys[i].id).collect();
        want.sort();
        if listed != want {
            disagree!(self, op, "keys listed {listed:?}, model holds {want:?}");
        }
        if full {
            for id in self.destroyed.clone() {
                match self.kms.describe_key(&id.to_string()) {
                    Err(Error::NotFound) => {}
                    other => disagree!(self, op, "destroyed key {id} came back: {other:?}"),
                }
            }
        }
        let mut check: Vec<usize> = if full { live.clone() } else { changed.to_vec() };
        if !full && !live.is_empty() {
            check.push(live[self.step % live.len()]);
        }
        for i in check {
            if self.model.keys[i].deleted {
                continue;
            }
            let id = self.model.keys[i].id;
            let meta = match self.kms.describe_key(&id.to_string()) {
                Err(Error::CorruptRecord) if self.model.keys[i].corrupt => continue,
                Ok(_) if self.model.keys[i].corrupt => disagree!(self, op, "key {id}'s edited record was accepted"),
                Ok(meta) => meta,
                Err(e) => disagree!(self, op, "live key {id} does not describe: {e:?}"),
            };
            let seen = self.seen_versions.entry(id).or_insert(0);
            if meta.current_version < *seen {
                disagree!(self, op, "key {id} went from version {seen} back to {}", meta.current_version);
            }
            *seen = meta.current_version;
            self.metadata_matches(op, i, &meta);
        }
        let alias_op = matches!(op, Op::CreateAlias { .. } | Op::UpdateAlias { .. } | Op::DeleteAlias { .. });
        if full || alias_op {
            // Aliases: each names one key, which exists.
            let aliases = self.list_aliases(None, STORE_RECORDS + 1).expect("ListAliases");
            for (name, target, ..) in &aliases {
                if !listed.contains(target) {
                    disagree!(self, op, "alias {name} points at {target}, which is not a key");
                }
                let corrupt = self.model.live_index(target).is_some_and(|i| self.model.keys[i].corrupt);
                match self.kms.describe_key(name) {
                    Ok(m) if m.key_id == *target && !corrupt => {}
                    Err(Error::CorruptRecord) if corrupt => {}
                    other => disagree!(self, op, "alias {name} lists {target} but resolves to {other:?}"),
                }
            }
            let want: Vec<_> = self
                .model
                .aliases
                .iter()
                .map(|(n, a)| (n.clone(), self.model.keys[a.target].id, a.created, a.updated))
                .collect();
            if aliases != want {
                disagree!(self, op, "aliases {aliases:?}, model {want:?}");
            }
        }
        for blob in self.model.blobs.clone() {
            if full || changed.contains(&blob.key) {
                let key = &self.model.keys[blob.key];
                if !key.deleted && !key.corrupt && key.state == KeyState::Enabled && key.holds(blob.version) {
                    self.check_opens(op, &blob);
                }
            }
        }
    }
}

/// The target's body.
pub fn run(data: &[u8]) {
    let clock = ManualClock::new(START);
    let mut store = Box::new(MemoryStore::<STORE_RECORDS>::new());
    let kms = common::kms(&mut store, &clock);
    let mut runner = Runner {
        kms,
        clock: &clock,
        model: Model::new(START, STORE_RECORDS),
        seen_versions: BTreeMap::new(),
        destroyed: BTreeSet::new(),
        saved: BTreeMap::new(),
        step: 0,
    };
    let mut u = Unstructured::new(data);
    let mut last = Op::Maintenance;
    while runner.step < MAX_OPS && !u.is_empty() {
        let Ok(op) = Op::arbitrary(&mut u) else { break };
        let before = runner.model.keys.clone();
        runner.run_op(&op);
        let changed: Vec<usize> =
            (0..runner.model.keys.len()).filter(|&i| before.get(i) != Some(&runner.model.keys[i])).collect();
        runner.check_invariants(&op, &changed, matches!(op, Op::Maintenance));
        runner.step += 1;
        last = op;
    }
    runner.check_invariants(&last, &[], true);
}

/// Decodes `data` as the body does (for tests and the corpus generator).
pub fn decode(data: &[u8]) -> Vec<Op> {
    let mut u = Unstructured::new(data);
    let mut ops = Vec::new();
    while ops.len() < MAX_OPS && !u.is_empty() {
        let Ok(op) = Op::arbitrary(&mut u) else { break };
        ops.push(op);
    }
    ops
}
