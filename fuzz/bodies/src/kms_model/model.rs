//! The reference model: what the façade should hold and answer, written from the operations'
//! documentation (DESIGN.md, the AWS KMS guides, the façade's doc comments and docs/FORMAT.md),
//! in plain Rust with std collections. Nothing here calls coffer-core's logic; it uses core's
//! types only to name things (key ids, states, error fields).

// The fields mirror the façade's (KeyMetadata, AliasEntry), documented there.
#![allow(missing_docs)]

use std::collections::BTreeMap;

use coffer_core::error::{Field, LimitKind, Problem};
use coffer_core::key::RotationType;
use coffer_core::{KeyId, KeyState};

/// Seconds in a day.
pub const DAY: u64 = 86_400;
/// On-demand rotations a key may have (KmsConfig's default, as AWS KMS).
pub const MAX_ON_DEMAND_ROTATIONS: u32 = 25;
/// Bytes a blob adds to its plaintext: format (1), key id (16), version (4), nonce (12), tag (16).
pub const BLOB_OVERHEAD: usize = 49;
/// Largest plaintext Encrypt takes.
pub const MAX_PLAINTEXT: usize = 4096;
/// Largest ciphertext Decrypt reads at all.
pub const MAX_CIPHERTEXT_INPUT: usize = 6144;
/// Largest description.
pub const MAX_DESCRIPTION: usize = 8192;

/// A failure as the model predicts it: the error variant with the detail a caller can see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fail {
    Validation(Field, Problem),
    NotFound,
    AlreadyExists,
    InvalidAliasName,
    Disabled,
    InvalidState(KeyState),
    InvalidCiphertext,
    IncorrectKey,
    Limit(LimitKind),
    CorruptRecord,
    /// Anything the model never predicts (a corrupt record, an HSM or store failure).
    Other(String),
}

/// One version of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub number: u32,
    pub created: u64,
    pub kind: RotationType,
}

/// A key as the model holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub id: KeyId,
    pub state: KeyState,
    pub created: u64,
    pub description: String,
    /// Held versions, oldest first.
    pub versions: Vec<Version>,
    /// (period in days, next date).
    pub rotation: Option<(u16, u64)>,
    /// (deletion date, window in days).
    pub deletion: Option<(u64, u16)>,
    /// Destroyed by maintenance.
    pub deleted: bool,
    /// Its stored record was edited outside the façade (and not yet put back).
    pub corrupt: bool,
    /// RotateKeyOnDemand calls that succeeded (retired versions included).
    pub on_demand: u32,
}

impl Key {
    pub fn current(&self) -> u32 {
        self.versions.last().map_or(0, |v| v.number)
    }
    pub fn min_version(&self) -> u32 {
        self.versions.first().map_or(0, |v| v.number)
    }
    pub fn holds(&self, version: u32) -> bool {
        self.versions.iter().any(|v| v.number == version)
    }
    /// Cryptographic use: only Enabled keys.
    pub fn usable(&self) -> Result<(), Fail> {
        match self.state {
            KeyState::Enabled => Ok(()),
            KeyState::Disabled => Err(Fail::Disabled),
            KeyState::PendingDeletion => Err(Fail::InvalidState(KeyState::PendingDeletion)),
        }
    }
    /// Management: anything but a key pending deletion.
    pub fn not_pending(&self) -> Result<(), Fail> {
        if self.state == KeyState::PendingDeletion {
            Err(Fail::InvalidState(KeyState::PendingDeletion))
        } else {
            Ok(())
        }
    }
}

/// An alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// Index into [`Model::keys`].
    pub target: usize,
    pub created: u64,
    pub updated: u64,
}

/// A blob the façade returned, kept to be handed back later.
#[derive(Debug, Clone)]
pub struct Blob {
    pub bytes: Vec<u8>,
    /// Index into [`Model::keys`].
    pub key: usize,
    pub version: u32,
    /// Index into the context table.
    pub context: usize,
    /// `None` for GenerateDataKeyWithoutPlaintext (only the length is known).
    pub plaintext: Option<Vec<u8>>,
    pub len: usize,
}

/// What a key reference resolves to, before the key is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A key the model knows (maybe deleted).
    Known(usize),
    /// A well-formed id that never existed.
    Unknown(KeyId),
}

/// The whole model.
#[derive(Debug, Clone)]
pub struct Model {
    pub now: u64,
    /// Every key ever created, in creation order (deleted ones stay, marked).
    pub keys: Vec<Key>,
    pub aliases: BTreeMap<String, Alias>,
    pub blobs: Vec<Blob>,
    /// Records the store can hold (key, version, description and alias records together).
    pub capacity: usize,
}

impl Model {
    pub fn new(now: u64, capacity: usize) -> Self {
        Self { now, keys: Vec::new(), aliases: BTreeMap::new(), blobs: Vec::new(), capacity }
    }

    /// Records in the store: per live key its key record, a record per held version and one
    /// for a description that is not empty (docs/FORMAT.md); and the aliases.
    pub fn records(&self) -> usize {
        let keys: usize = self
            .keys
            .iter()
            .filter(|k| !k.deleted)
            .map(|k| 1 + k.versions.len() + usize::from(!k.description.is_empty()))
            .sum();
        keys + self.aliases.len()
    }

    /// True if `n` more records do not fit.
    pub fn full_for(&self, n: usize) -> bool {
        self.records() + n > self.capacity
    }

    pub fn live(&self) -> impl Iterator<Item = (usize, &Key)> {
        self.keys.iter().enumerate().filter(|(_, k)| !k.deleted)
    }

    /// The index of the live key with this id.
    pub fn live_index(&self, id: &KeyId) -> Option<usize> {
        self.live().find(|(_, k)| k.id == *id).map(|(i, _)| i)
    }

    /// Loads a resolved target: NotFound unless it is a live key, CorruptRecord if its record
    /// was edited.
    pub fn load(&self, target: Target) -> Result<usize, Fail> {
        match target {
            Target::Known(i) if !self.keys[i].deleted => {
                if self.keys[i].corrupt {
                    Err(Fail::CorruptRecord)
                } else {
                    Ok(i)
                }
            }
            _ => Err(Fail::NotFound),
        }
    }

    /// The id a target names.
    pub fn id_of(&self, target: Target) -> KeyId {
        match target {
            Target::Known(i) => self.keys[i].id,
            Target::Unknown(id) => id,
        }
    }

    /// Adds a version to key `i` (the caller checked the limit).
    pub fn add_version(&mut self, i: usize, kind: RotationType) -> u32 {
        let now = self.now;
        let key = &mut self.keys[i];
        let number = key.current() + 1;
        key.versions.push(Version { number, created: now, kind });
        number
    }
}

/// Alias syntax: `alias/` then 1 to 250 of `[A-Za-z0-9/_-]`.
pub fn alias_syntax_ok(name: &str) -> bool {
    match name.strip_prefix("alias/") {
        Some(rest) => {
            (1..=250).contains(&rest.len())
                && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-')
        }
        None => false,
    }
}

/// A name a caller may create, re-point or delete: well-formed and not under `alias/aws/`.
pub fn alias_custom_ok(name: &str) -> bool {
    alias_syntax_ok(name) && !name.starts_with("alias/aws/")
}
