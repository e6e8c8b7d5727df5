//! The operations an input decodes into, and their byte encoding (for the corpus generator).
//!
//! Decoding is `arbitrary`'s derive; [`encode`] writes the bytes that decode back to given
//! operations (checked by a round-trip test), so seeds can be written as operation lists.

use arbitrary::Arbitrary;

/// Which key an operation names, and in which form.
///
/// `key` picks a key the model knows (every key ever created, deleted ones too) modulo their
/// count plus one; the extra value is a well-formed id that never existed. `form` picks how the
/// key is written: see [`KeyForm`].
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySel {
    /// Index into the keys created so far (modulo their count + 1), or into the alias table for
    /// the alias forms.
    pub key: u8,
    /// How the reference is written (modulo [`KeyForm::COUNT`]).
    pub form: u8,
}

/// The forms a key reference takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyForm {
    /// The key id, lower case.
    Id,
    /// The key id, upper case.
    IdUpper,
    /// The key ARN.
    KeyArn,
    /// An alias name from the alias table (valid, reserved or malformed).
    AliasName,
    /// The ARN of that alias name.
    AliasArn,
    /// The key ARN of another account: no such key here.
    ForeignArn,
    /// Text that names nothing.
    Garbage,
    /// The empty string.
    Empty,
}

impl KeyForm {
    /// Number of forms.
    pub const COUNT: u8 = 8;

    /// The form `form` selects.
    pub fn of(form: u8) -> Self {
        match form % Self::COUNT {
            0 => Self::Id,
            1 => Self::IdUpper,
            2 => Self::KeyArn,
            3 => Self::AliasName,
            4 => Self::AliasArn,
            5 => Self::ForeignArn,
            6 => Self::Garbage,
            _ => Self::Empty,
        }
    }

    /// The `form` byte that selects this form.
    pub fn code(self) -> u8 {
        match self {
            Self::Id => 0,
            Self::IdUpper => 1,
            Self::KeyArn => 2,
            Self::AliasName => 3,
            Self::AliasArn => 4,
            Self::ForeignArn => 5,
            Self::Garbage => 6,
            Self::Empty => 7,
        }
    }
}

/// How a stored blob is altered before it is handed back.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    /// Unchanged.
    Intact,
    /// One byte XORed.
    Flip {
        /// Offset (modulo the blob's length).
        at: u16,
        /// The XOR mask (0 changes nothing).
        xor: u8,
    },
    /// Shortened by `by` bytes (to empty at most).
    Truncate {
        /// Bytes cut off the end.
        by: u16,
    },
    /// Lengthened by `bytes` zero bytes.
    Append {
        /// Bytes added.
        bytes: u16,
    },
    /// Header rewritten to name another key and version (the tag then must not verify).
    Relabel {
        /// Key, as [`KeySel::key`].
        key: u8,
        /// Version.
        version: u8,
    },
}

/// A data key size.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKeySel {
    /// AES_128.
    Aes128,
    /// AES_256.
    Aes256,
    /// NumberOfBytes (valid 1..=1024).
    Bytes(u16),
}

/// One façade operation.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // each variant is the façade call of the same name; fields as documented there
pub enum Op {
    CreateKey {
        description: u8,
    },
    DescribeKey {
        key: KeySel,
    },
    EnableKey {
        key: KeySel,
    },
    DisableKey {
        key: KeySel,
    },
    ScheduleKeyDeletion {
        key: KeySel,
        window: Option<u16>,
    },
    CancelKeyDeletion {
        key: KeySel,
    },
    UpdateKeyDescription {
        key: KeySel,
        description: u8,
    },
    CreateAlias {
        alias: u8,
        target: KeySel,
    },
    UpdateAlias {
        alias: u8,
        target: KeySel,
    },
    DeleteAlias {
        alias: u8,
    },
    EnableKeyRotation {
        key: KeySel,
        period: Option<u16>,
    },
    DisableKeyRotation {
        key: KeySel,
    },
    GetKeyRotationStatus {
        key: KeySel,
    },
    RotateKeyOnDemand {
        key: KeySel,
    },
    ListKeyRotations {
        key: KeySel,
    },
    SetMinimumDecryptionVersion {
        key: KeySel,
        version: u8,
    },
    ListKeys {
        page: u8,
    },
    ListAliases {
        filter: Option<KeySel>,
        page: u8,
    },
    Encrypt {
        key: KeySel,
        plaintext: u8,
        context: u8,
    },
    /// `context`: `None` uses the blob's own context; `expected`: the caller's KeyId.
    Decrypt {
        blob: u8,
        context: Option<u8>,
        expected: Option<KeySel>,
        tamper: Tamper,
    },
    ReEncrypt {
        blob: u8,
        context: Option<u8>,
        source: Option<KeySel>,
        destination: KeySel,
        destination_context: u8,
        tamper: Tamper,
    },
    GenerateDataKey {
        key: KeySel,
        spec: DataKeySel,
        context: u8,
        with_plaintext: bool,
    },
    Maintenance,
    /// Moves the clock forward or back by `days` days and `seconds` seconds.
    Clock {
        forward: bool,
        days: u16,
        seconds: u16,
    },
    /// Edits the stored record of a key (byte `at` XORed with `xor`, at least 1) behind the
    /// façade's back, as an attacker with access to the store would.
    CorruptRecord {
        key: u8,
        at: u16,
        xor: u8,
    },
    /// Puts back the record as it was before it was corrupted.
    RestoreRecord {
        key: u8,
    },
}

/// Number of [`Op`] variants (for the discriminant encoding).
const OP_VARIANTS: u64 = 26;

/// Writes the bytes that `arbitrary` decodes into `ops` (in order).
pub fn encode(ops: &[Op]) -> Vec<u8> {
    let mut out = Vec::new();
    for op in ops {
        op.encode(&mut out);
    }
    out
}

/// The derive reads a `u32` and takes variant `(x * n) >> 32`; this is the smallest such `x`.
fn variant(out: &mut Vec<u8>, index: u64, count: u64) {
    let x = u32::try_from((index << 32).div_ceil(count)).expect("variant index below count");
    out.extend_from_slice(&x.to_le_bytes());
}

trait Encode {
    fn encode(&self, out: &mut Vec<u8>);
}

impl Encode for u8 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
}

impl Encode for u16 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl Encode for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        self.is_some().encode(out);
        if let Some(v) = self {
            v.encode(out);
        }
    }
}

impl Encode for KeySel {
    fn encode(&self, out: &mut Vec<u8>) {
        self.key.encode(out);
        self.form.encode(out);
    }
}

impl Encode for Tamper {
    fn encode(&self, out: &mut Vec<u8>) {
        match *self {
            Self::Intact => variant(out, 0, 5),
            Self::Flip { at, xor } => {
                variant(out, 1, 5);
                at.encode(out);
                xor.encode(out);
            }
            Self::Truncate { by } => {
                variant(out, 2, 5);
                by.encode(out);
            }
            Self::Append { bytes } => {
                variant(out, 3, 5);
                bytes.encode(out);
            }
            Self::Relabel { key, version } => {
                variant(out, 4, 5);
                key.encode(out);
                version.encode(out);
            }
        }
    }
}

impl Encode for DataKeySel {
    fn encode(&self, out: &mut Vec<u8>) {
        match *self {
            Self::Aes128 => variant(out, 0, 3),
            Self::Aes256 => variant(out, 1, 3),
            Self::Bytes(n) => {
                variant(out, 2, 3);
                n.encode(out);
            }
        }
    }
}

impl Encode for Op {
    fn encode(&self, out: &mut Vec<u8>) {
        let v = |out: &mut Vec<u8>, i| variant(out, i, OP_VARIANTS);
        match *self {
            Self::CreateKey { description } => {
                v(out, 0);
                description.encode(out);
            }
            Self::DescribeKey { key } => {
                v(out, 1);
                key.encode(out);
            }
            Self::EnableKey { key } => {
                v(out, 2);
                key.encode(out);
            }
            Self::DisableKey { key } => {
                v(out, 3);
                key.encode(out);
            }
            Self::ScheduleKeyDeletion { key, window } => {
                v(out, 4);
                key.encode(out);
                window.encode(out);
            }
            Self::CancelKeyDeletion { key } => {
                v(out, 5);
                key.encode(out);
            }
            Self::UpdateKeyDescription { key, description } => {
                v(out, 6);
                key.encode(out);
                description.encode(out);
            }
            Self::CreateAlias { alias, target } => {
                v(out, 7);
                alias.encode(out);
                target.encode(out);
            }
            Self::UpdateAlias { alias, target } => {
                v(out, 8);
                alias.encode(out);
                target.encode(out);
            }
            Self::DeleteAlias { alias } => {
                v(out, 9);
                alias.encode(out);
            }
            Self::EnableKeyRotation { key, period } => {
                v(out, 10);
                key.encode(out);
                period.encode(out);
            }
            Self::DisableKeyRotation { key } => {
                v(out, 11);
                key.encode(out);
            }
            Self::GetKeyRotationStatus { key } => {
                v(out, 12);
                key.encode(out);
            }
            Self::RotateKeyOnDemand { key } => {
                v(out, 13);
                key.encode(out);
            }
            Self::ListKeyRotations { key } => {
                v(out, 14);
                key.encode(out);
            }
            Self::SetMinimumDecryptionVersion { key, version } => {
                v(out, 15);
                key.encode(out);
                version.encode(out);
            }
            Self::ListKeys { page } => {
                v(out, 16);
                page.encode(out);
            }
            Self::ListAliases { filter, page } => {
                v(out, 17);
                filter.encode(out);
                page.encode(out);
            }
            Self::Encrypt { key, plaintext, context } => {
                v(out, 18);
                key.encode(out);
                plaintext.encode(out);
                context.encode(out);
            }
            Self::Decrypt { blob, context, expected, tamper } => {
                v(out, 19);
                blob.encode(out);
                context.encode(out);
                expected.encode(out);
                tamper.encode(out);
            }
            Self::ReEncrypt { blob, context, source, destination, destination_context, tamper } => {
                v(out, 20);
                blob.encode(out);
                context.encode(out);
                source.encode(out);
                destination.encode(out);
                destination_context.encode(out);
                tamper.encode(out);
            }
            Self::GenerateDataKey { key, spec, context, with_plaintext } => {
                v(out, 21);
                key.encode(out);
                spec.encode(out);
                context.encode(out);
                with_plaintext.encode(out);
            }
            Self::Maintenance => v(out, 22),
            Self::Clock { forward, days, seconds } => {
                v(out, 23);
                forward.encode(out);
                days.encode(out);
                seconds.encode(out);
            }
            Self::CorruptRecord { key, at, xor } => {
                v(out, 24);
                key.encode(out);
                at.encode(out);
                xor.encode(out);
            }
            Self::RestoreRecord { key } => {
                v(out, 25);
                key.encode(out);
            }
        }
    }
}
