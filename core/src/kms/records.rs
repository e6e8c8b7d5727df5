//! Loading, checking and saving sealed records, and resolving key references.
//!
//! A key record is loaded into the façade's one record buffer, authenticated once, and read in
//! place ([`LoadedKey`]); a change is made in place in that buffer and the record re-sealed
//! ([`Kms::change_key`]). A format-1 record (an old store's) is read as it is, and rewritten in
//! the current layout before its first change ([`Kms::load_key_for_change`]).

use super::loaded_keys::{LoadedKeys, forget_record};
use super::{Kms, KmsError, hsm_err, malformed, store_err};
use crate::audit::AuditSink;
use crate::clock::{Clock, Timestamp};
use crate::error::{Error, Field, LimitKind};
use crate::hsm::Hsm;
use crate::key::description::{self, DESCRIPTION_PREFIX_LEN, Description};
use crate::key::legacy::{self, LegacyKeyRecord};
use crate::key::record::{self, KEY_BODY_LEN, KeyFields, KeyRecord, KeyRecordMut, Rotation};
use crate::key::version::{KeyVersion, version_name};
use crate::key::{AliasName, AliasRecord, Arn, KeyId, KeyRef, KeyRefError, KeyState};
use crate::root::{self, KEY_BODY_AT, KEY_SEALED_LEN, OpenError, VERSION_SEALED_LEN};
use crate::store::{KeyStore, MAX_NAME_LEN, RecordKind};

/// A record name as the store returns it (a key id's text or an alias name).
pub(super) type RecordName = heapless::String<MAX_NAME_LEN>;

/// A key record as loaded: a view over the façade's buffer, in the current layout or format 1.
#[derive(Debug, Clone)]
pub(super) enum LoadedKey<'a> {
    Current(KeyRecord<'a>),
    Legacy(LegacyKeyRecord<'a>),
}

impl LoadedKey<'_> {
    pub(super) fn id(&self) -> KeyId {
        match self {
            Self::Current(r) => r.id(),
            Self::Legacy(l) => l.id(),
        }
    }

    pub(super) fn state(&self) -> KeyState {
        match self {
            Self::Current(r) => r.state(),
            Self::Legacy(l) => l.state(),
        }
    }

    pub(super) fn creation_date(&self) -> Timestamp {
        match self {
            Self::Current(r) => r.creation_date(),
            Self::Legacy(l) => l.creation_date(),
        }
    }

    /// Deletion date and pending window, when deletion is scheduled.
    pub(super) fn deletion(&self) -> Option<(Timestamp, u16)> {
        match self {
            Self::Current(r) => r.deletion_date().zip(r.pending_window_days()),
            Self::Legacy(l) => l.deletion(),
        }
    }

    pub(super) fn rotation(&self) -> Rotation {
        match self {
            Self::Current(r) => r.rotation(),
            Self::Legacy(l) => l.rotation(),
        }
    }

    pub(super) fn min_decryption_version(&self) -> u32 {
        match self {
            Self::Current(r) => r.min_decryption_version(),
            Self::Legacy(l) => l.min_decryption_version(),
        }
    }

    pub(super) fn current_number(&self) -> u32 {
        match self {
            Self::Current(r) => r.current_number(),
            Self::Legacy(l) => l.versions().last().map_or(0, |v| v.number),
        }
    }

    /// The newest version, material included.
    pub(super) fn current(&self) -> Option<KeyVersion> {
        match self {
            Self::Current(r) => Some(r.current()),
            Self::Legacy(l) => l.versions().last(),
        }
    }

    pub(super) fn is_legacy(&self) -> bool {
        matches!(self, Self::Legacy(_))
    }
}

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink, const KEYS: usize> Kms<H, S, C, A, KEYS> {
    /// Resolves a key id, key ARN, alias name or alias ARN to a key id. An alias must exist;
    /// a key id is returned as given (loading it tells whether it exists).
    pub(super) fn resolve(&mut self, text: &str, field: Field) -> Result<KeyId, KmsError<H, S>> {
        match KeyRef::parse(text, &self.config.arn) {
            Ok(KeyRef::Id(id)) => Ok(id),
            Ok(KeyRef::Alias(name)) => self.load_alias(&name)?.map(|a| a.target).ok_or(Error::NotFound),
            Err(KeyRefError::Foreign) => Err(Error::NotFound),
            Err(KeyRefError::Malformed) => Err(malformed(field).into()),
        }
    }

    /// The ARN of the key `text` names (key id, key ARN, alias name or alias ARN), resolved
    /// without an operation or audit event: for the message format's KMS keyring to recognise
    /// its own EDKs before it asks Decrypt for anything. `None` if `text` names no key here
    /// (malformed, foreign, or an alias that does not exist); whether the key exists is left to
    /// the operation that uses it.
    pub(crate) fn resolve_key_arn(&mut self, text: &str) -> Option<Arn> {
        let id = self.resolve(text, Field::KeyId).ok()?;
        Some(self.config.arn.key_arn(&id))
    }

    /// Resolves `text` and loads the key's record, noting the key id for the audit event.
    pub(super) fn resolve_key(
        &mut self,
        text: &str,
        field: Field,
        audit_key: &mut Option<KeyId>,
    ) -> Result<LoadedKey<'_>, KmsError<H, S>> {
        let id = self.resolve(text, field)?;
        *audit_key = Some(id);
        self.load_key(&id)
    }

    /// Loads and authenticates a key record (once), and views it in place.
    pub(super) fn load_key(&mut self, id: &KeyId) -> Result<LoadedKey<'_>, KmsError<H, S>> {
        let name = id.to_text();
        let body = self.load_sealed(RecordKind::Key, name.as_str())?.ok_or(Error::NotFound)?;
        let loaded = match body.first() {
            Some(&(record::BODY_FORMAT | record::FORMAT_2)) => KeyRecord::parse(body).map(LoadedKey::Current),
            Some(&legacy::BODY_FORMAT) => LegacyKeyRecord::parse(body).map(LoadedKey::Legacy),
            _ => return Err(Error::CorruptRecord),
        }
        .map_err(|_| Error::CorruptRecord)?;
        if loaded.id() != *id {
            return Err(Error::CorruptRecord);
        }
        Ok(loaded)
    }

    /// Loads key `id` to change it: its record is authenticated and left in the record buffer in
    /// the current layout, a format-1 record being rewritten first (see [`Self::upgrade_key`]), a
    /// format-2 record given its seal count in the buffer (stored with the change).
    /// Then [`Self::loaded_key_mut`] changes it in place and [`Self::store_loaded_key`] re-seals
    /// and stores it.
    pub(super) fn load_key_for_change(&mut self, id: &KeyId) -> Result<(), KmsError<H, S>> {
        let (legacy, format2) = {
            let key = self.load_key(id)?;
            (key.is_legacy(), matches!(key, LoadedKey::Current(r) if r.is_format2()))
        };
        if legacy {
            self.upgrade_key(id)?;
        } else if format2 {
            // The seal count is appended in the buffer; the change re-seals the record.
            let body = self.scratch.as_mut().get_mut(KEY_BODY_AT..).ok_or(Error::CorruptRecord)?;
            record::upgrade_format2(body).map_err(|_| Error::CorruptRecord)?;
            self.loaded_len = KEY_SEALED_LEN;
        }
        Ok(())
    }

    /// The key record left in the buffer by [`Self::load_key_for_change`], to read.
    pub(super) fn loaded_key(&self) -> Result<KeyRecord<'_>, KmsError<H, S>> {
        self.check_key_in_buffer()?;
        let body = self.scratch.as_ref().get(KEY_BODY_AT..KEY_BODY_AT + KEY_BODY_LEN).ok_or(Error::CorruptRecord)?;
        KeyRecord::parse(body).map_err(|_| Error::CorruptRecord)
    }

    /// The key record left in the buffer by [`Self::load_key_for_change`], to change in place.
    pub(super) fn loaded_key_mut(&mut self) -> Result<KeyRecordMut<'_>, KmsError<H, S>> {
        self.check_key_in_buffer()?;
        let body =
            self.scratch.as_mut().get_mut(KEY_BODY_AT..KEY_BODY_AT + KEY_BODY_LEN).ok_or(Error::CorruptRecord)?;
        KeyRecordMut::parse(body).map_err(|_| Error::CorruptRecord)
    }

    /// The buffer holds a current-format sealed key record (what was last loaded or sealed
    /// there): a guard against reading another record's bytes as a key's, which only a bug in
    /// the façade's order of calls could cause.
    fn check_key_in_buffer(&self) -> Result<(), KmsError<H, S>> {
        let kind = self.scratch.as_ref().get(4).copied();
        if self.loaded_len == KEY_SEALED_LEN && kind == Some(RecordKind::Key.code()) {
            Ok(())
        } else {
            Err(Error::CorruptRecord)
        }
    }

    /// Re-seals the key record of `id` changed in the buffer and stores it.
    pub(super) fn store_loaded_key(&mut self, id: &KeyId) -> Result<(), KmsError<H, S>> {
        let edit = self.loaded_key_mut()?;
        // A change that broke an invariant, or another key's record, is a bug; it is refused,
        // never sealed.
        edit.check().map_err(|_| Error::CorruptRecord)?;
        if edit.view().id() != *id {
            return Err(Error::CorruptRecord);
        }
        let name = id.to_text();
        let sealed = self.scratch.as_mut().get_mut(..KEY_SEALED_LEN).ok_or(Error::CorruptRecord)?;
        root::reseal(&mut self.hsm, sealed).map_err(seal_err)?;
        let sealed = self.scratch.as_ref().get(..KEY_SEALED_LEN).ok_or(Error::CorruptRecord)?;
        store_put(&mut self.hsm, &mut self.store, &mut self.loaded, RecordKind::Key, name.as_str(), sealed)
    }

    /// Loads key `id` for a change, lets `change` edit it in place, and stores it re-sealed if
    /// `change` says it changed something (`Ok(true)`).
    pub(super) fn change_key(
        &mut self,
        id: &KeyId,
        change: impl FnOnce(&mut KeyRecordMut<'_>) -> Result<bool, KmsError<H, S>>,
    ) -> Result<(), KmsError<H, S>> {
        self.load_key_for_change(id)?;
        if change(&mut self.loaded_key_mut()?)? { self.store_loaded_key(id) } else { Ok(()) }
    }

    /// Seals and stores a new key record (CreateKey, or a format-1 record rewritten).
    pub(super) fn save_new_key(&mut self, fields: &KeyFields) -> Result<(), KmsError<H, S>> {
        let name = fields.id.to_text();
        self.save_sealed(RecordKind::Key, name.as_str(), |buf| fields.encode(buf).ok())
    }

    /// Seals and stores a version record. Version records are small: sealed on the stack, so the
    /// key record in the record buffer stays as it is.
    pub(super) fn save_version(&mut self, id: &KeyId, version: &KeyVersion) -> Result<(), KmsError<H, S>> {
        put_version(&mut self.hsm, &mut self.store, &mut self.loaded, id, version)
    }

    /// Loads and authenticates version `number` of key `id` (into the record buffer: a key record
    /// there is gone afterwards). A version the key record says exists but the store does not
    /// hold is a corrupt store.
    pub(super) fn load_version(&mut self, id: &KeyId, number: u32) -> Result<KeyVersion, KmsError<H, S>> {
        let name = version_name(id, number);
        let body = self.load_sealed(RecordKind::KeyVersion, name.as_str())?.ok_or(Error::CorruptRecord)?;
        KeyVersion::decode(body, id, number).ok_or(Error::CorruptRecord)
    }

    /// Removes version records `from..to` of key `id` (absent ones are skipped).
    pub(super) fn remove_versions(&mut self, id: &KeyId, from: u32, to: u32) -> Result<(), KmsError<H, S>> {
        for number in from..to {
            let name = version_name(id, number);
            self.remove_record(RecordKind::KeyVersion, name.as_str())?;
        }
        Ok(())
    }

    /// Stores key `id`'s description: a description record, or none for an empty one.
    ///
    /// The record is read first (not authenticated: it is replaced whatever it holds), as
    /// every record the façade replaces is: a compare-and-swap store then writes it against
    /// the version just read, instead of refusing a write of a record it never read.
    pub(super) fn save_description(&mut self, id: &KeyId, text: &str) -> Result<(), KmsError<H, S>> {
        let name = id.to_text();
        self.loaded_len = 0;
        self.store.get(RecordKind::Description, name.as_str(), self.scratch.as_mut()).map_err(store_err)?;
        if text.is_empty() {
            self.remove_record(RecordKind::Description, name.as_str())?;
            return Ok(());
        }
        self.save_sealed(RecordKind::Description, name.as_str(), |buf| description::encode(id, text, buf).ok())
    }

    /// Reads key `id`'s description into `out` (empty when it has no description record).
    pub(super) fn load_description(&mut self, id: &KeyId, out: &mut Description) -> Result<(), KmsError<H, S>> {
        out.clear();
        let name = id.to_text();
        let Some(body) = self.load_sealed(RecordKind::Description, name.as_str())? else {
            return Ok(());
        };
        let text = description::decode(body, id).ok_or(Error::CorruptRecord)?;
        out.push_str(text).map_err(|_| Error::CorruptRecord)
    }

    /// Rewrites the format-1 record of key `id` (just loaded into the buffer) in the current
    /// layout: every version to a version record, the description to a description record, and
    /// last the key record, so a crash before the end leaves the format-1 record in force (and
    /// version and description records that the retry rewrites). The new key record is left in
    /// the buffer, as [`Self::load_key_for_change`] promises.
    pub(super) fn upgrade_key(&mut self, id: &KeyId) -> Result<(), KmsError<H, S>> {
        let (fields, description_range) = {
            // Authenticated by load_key, which left it in the buffer; viewed again, not re-opened.
            let end = self.loaded_len.checked_sub(crate::hsm::MAC_LEN).ok_or(Error::CorruptRecord)?;
            let body = self.scratch.as_ref().get(KEY_BODY_AT..end).ok_or(Error::CorruptRecord)?;
            let legacy = LegacyKeyRecord::parse(body).map_err(|_| Error::CorruptRecord)?;
            if legacy.id() != *id {
                return Err(Error::CorruptRecord);
            }
            for version in legacy.versions() {
                put_version(&mut self.hsm, &mut self.store, &mut self.loaded, id, &version)?;
            }
            let fields = legacy.fields().map_err(|_| Error::CorruptRecord)?;
            (fields, legacy.description_range())
        };
        // The format-1 record is the truth: a description record left by an earlier attempt
        // goes first. The buffer holds the format-1 record, so the description record cannot
        // be read before it is replaced; removed then written anew, it needs no version on a
        // compare-and-swap store.
        let name = id.to_text();
        self.remove_record(RecordKind::Description, name.as_str())?;
        if !description_range.is_empty() {
            // Move the text to where a description record's text goes, then seal around it: the
            // 8 KiB text is never copied out of the buffer.
            let from = KEY_BODY_AT.checked_add(description_range.start).ok_or(Error::CorruptRecord)?;
            let to = from.checked_add(description_range.len()).ok_or(Error::CorruptRecord)?;
            let text_at = KEY_BODY_AT + DESCRIPTION_PREFIX_LEN;
            if to > self.scratch.as_ref().len() || from < text_at {
                return Err(Error::CorruptRecord);
            }
            self.scratch.as_mut().copy_within(from..to, text_at);
            let text_len = description_range.len();
            self.save_sealed(RecordKind::Description, name.as_str(), |body| {
                let prefix = description::encode_prefix(id, body).ok()?;
                prefix.checked_add(text_len).filter(|len| *len <= body.len())
            })?;
        }
        self.save_new_key(&fields)
    }

    /// True if a key record exists under this id (without authenticating it).
    pub(super) fn key_exists(&mut self, id: &KeyId) -> Result<bool, KmsError<H, S>> {
        let name = id.to_text();
        self.loaded_len = 0;
        Ok(self.store.get(RecordKind::Key, name.as_str(), self.scratch.as_mut()).map_err(store_err)?.is_some())
    }

    /// Loads and authenticates an alias record; `None` if there is no such alias.
    pub(super) fn load_alias(&mut self, name: &AliasName) -> Result<Option<AliasRecord>, KmsError<H, S>> {
        match self.load_sealed(RecordKind::Alias, name.as_str())? {
            None => Ok(None),
            Some(body) => AliasRecord::decode(body).map(Some).ok_or(Error::CorruptRecord),
        }
    }

    /// Seals and stores an alias record.
    pub(super) fn save_alias(&mut self, name: &AliasName, record: &AliasRecord) -> Result<(), KmsError<H, S>> {
        self.save_sealed(RecordKind::Alias, name.as_str(), |buf| record.encode(buf))
    }

    /// The next record name of `kind` after `after`, in store order; `None` at the end. Names
    /// are UTF-8 by the store's contract (it is given `&str`); one that is not means the store
    /// is broken, and walking on from it is impossible, so it is `CorruptRecord`.
    pub(super) fn next_record_name(
        &mut self,
        kind: RecordKind,
        after: Option<&str>,
    ) -> Result<Option<RecordName>, KmsError<H, S>> {
        let mut buf = [0u8; MAX_NAME_LEN];
        let Some(len) = self.store.next_name(kind, after, &mut buf).map_err(store_err)? else {
            return Ok(None);
        };
        let text = buf.get(..len).and_then(|n| core::str::from_utf8(n).ok()).ok_or(Error::CorruptRecord)?;
        RecordName::try_from(text).map(Some).map_err(|_| Error::CorruptRecord)
    }

    fn load_sealed(&mut self, kind: RecordKind, name: &str) -> Result<Option<&[u8]>, KmsError<H, S>> {
        // Until a record authenticates, the buffer holds none.
        self.loaded_len = 0;
        let Some(len) = self.store.get(kind, name, self.scratch.as_mut()).map_err(store_err)? else {
            return Ok(None);
        };
        // A store that claims more bytes than the buffer it was given broke its contract.
        let sealed = self.scratch.as_ref().get(..len).ok_or(Error::Internal)?;
        // A key record whose bytes are the ones that last authenticated is not MACed again
        // (why that is sound: `verified.rs`); its kind and name are still checked.
        let opened = if kind == RecordKind::Key && self.verified.holds(sealed) {
            root::open_authenticated(kind, name, sealed)
        } else {
            root::open(&mut self.hsm, kind, name, sealed)
        };
        match opened {
            Ok(body) => {
                if kind == RecordKind::Key {
                    self.verified.remember(sealed);
                }
                self.loaded_len = len;
                Ok(Some(body))
            }
            Err(OpenError::Corrupt) => Err(Error::CorruptRecord),
            Err(OpenError::Hsm(e)) => Err(hsm_err(e)),
        }
    }

    fn save_sealed(
        &mut self,
        kind: RecordKind,
        name: &str,
        body: impl FnOnce(&mut [u8]) -> Option<usize>,
    ) -> Result<(), KmsError<H, S>> {
        self.loaded_len = 0;
        let len = root::seal(&mut self.hsm, kind, name, self.scratch.as_mut(), body).map_err(|e| match e {
            // The record is longer than this store's record buffer: a limit of the build.
            root::SealError::TooLarge => Error::LimitExceeded(LimitKind::RecordSize),
            e => seal_err(e),
        })?;
        self.loaded_len = len;
        let sealed = self.scratch.as_ref().get(..len).ok_or(Error::Internal)?;
        store_put(&mut self.hsm, &mut self.store, &mut self.loaded, kind, name, sealed)
    }

    /// Removes a record (true if there was one), through [`store_remove`].
    pub(super) fn remove_record(&mut self, kind: RecordKind, name: &str) -> Result<bool, KmsError<H, S>> {
        store_remove(&mut self.hsm, &mut self.store, &mut self.loaded, kind, name)
    }
}

/// The one place the façade writes a record to its store (and [`store_remove`] the one place
/// it removes one; `kms::tests` checks that no other code does either). A write of a key's
/// record or of one of its version records first releases that key's loaded versions, so no
/// path that changes a key — DisableKey, ScheduleKeyDeletion, a new minimum decryption
/// version, rotation, deletion, an upgrade — can leave a handle loaded from what it replaced.
fn store_put<H: Hsm, S: KeyStore, const KEYS: usize>(
    hsm: &mut H,
    store: &mut S,
    loaded: &mut LoadedKeys<H::Handle, KEYS>,
    kind: RecordKind,
    name: &str,
    sealed: &[u8],
) -> Result<(), KmsError<H, S>> {
    forget_record(hsm, loaded, kind, name);
    store.put(kind, name, sealed).map_err(store_err)
}

/// The one place the façade removes a record from its store; see [`store_put`].
fn store_remove<H: Hsm, S: KeyStore, const KEYS: usize>(
    hsm: &mut H,
    store: &mut S,
    loaded: &mut LoadedKeys<H::Handle, KEYS>,
    kind: RecordKind,
    name: &str,
) -> Result<bool, KmsError<H, S>> {
    forget_record(hsm, loaded, kind, name);
    store.remove(kind, name).map_err(store_err)
}

/// Seals a version record on the stack and stores it.
fn put_version<H: Hsm, S: KeyStore, const KEYS: usize>(
    hsm: &mut H,
    store: &mut S,
    loaded: &mut LoadedKeys<H::Handle, KEYS>,
    id: &KeyId,
    version: &KeyVersion,
) -> Result<(), KmsError<H, S>> {
    let name = version_name(id, version.number);
    let mut buf = [0u8; VERSION_SEALED_LEN];
    let len = root::seal(hsm, RecordKind::KeyVersion, name.as_str(), &mut buf, |body| version.encode(id, body).ok())
        .map_err(seal_err)?;
    let sealed = buf.get(..len).ok_or(Error::CorruptRecord)?;
    store_put(hsm, store, loaded, RecordKind::KeyVersion, name.as_str(), sealed)
}

/// Every record Coffer builds fits its buffer; reaching `TooLarge` is a bug, reported as a
/// corrupt record rather than a panic.
fn seal_err<H, S>(e: root::SealError<H>) -> Error<H, S> {
    match e {
        // Every record Coffer builds fits MAX_RECORD_LEN; reaching this is a bug, reported as
        // one rather than a panic (nothing stored is wrong).
        root::SealError::TooLarge => Error::Internal,
        root::SealError::Hsm(e) => Error::Hsm(e),
    }
}

/// Refuses cryptographic use of a key that is not Enabled.
pub(super) fn check_usable<H, S>(state: KeyState) -> Result<(), Error<H, S>> {
    match state {
        KeyState::Enabled => Ok(()),
        KeyState::Disabled => Err(Error::Disabled),
        KeyState::PendingDeletion => Err(Error::InvalidState(KeyState::PendingDeletion)),
    }
}

/// Refuses management of a key pending deletion.
pub(super) fn check_not_pending<H, S>(state: KeyState) -> Result<(), Error<H, S>> {
    match state {
        KeyState::PendingDeletion => Err(Error::InvalidState(KeyState::PendingDeletion)),
        KeyState::Enabled | KeyState::Disabled => Ok(()),
    }
}
