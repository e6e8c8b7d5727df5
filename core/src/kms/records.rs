//! Loading, checking and saving sealed records, and resolving key references.

use super::{Kms, KmsError, hsm_err, malformed, store_err};
use crate::audit::AuditSink;
use crate::clock::Clock;
use crate::error::{Error, Field};
use crate::hsm::Hsm;
use crate::key::record::KeyRecord;
use crate::key::{AliasName, AliasRecord, Arn, KeyId, KeyRef, KeyRefError, KeyState};
use crate::root::{self, OpenError};
use crate::store::{KeyStore, MAX_NAME_LEN, RecordKind};

/// A record name as the store returns it (a key id's text or an alias name).
pub(super) type RecordName = heapless::String<MAX_NAME_LEN>;

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink> Kms<H, S, C, A> {
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
    pub(super) fn resolve_record(
        &mut self,
        text: &str,
        field: Field,
        audit_key: &mut Option<KeyId>,
    ) -> Result<KeyRecord, KmsError<H, S>> {
        let id = self.resolve(text, field)?;
        *audit_key = Some(id);
        self.load_key(&id)
    }

    /// Loads and authenticates a key record.
    pub(super) fn load_key(&mut self, id: &KeyId) -> Result<KeyRecord, KmsError<H, S>> {
        let name = id.to_text();
        let body = self.load_sealed(RecordKind::Key, name.as_str())?.ok_or(Error::NotFound)?;
        let record = KeyRecord::decode(body).map_err(|_| Error::CorruptRecord)?;
        if record.id != *id {
            return Err(Error::CorruptRecord);
        }
        Ok(record)
    }

    /// Seals and stores a key record (insert or replace).
    pub(super) fn save_key(&mut self, record: &KeyRecord) -> Result<(), KmsError<H, S>> {
        let name = record.id.to_text();
        self.save_sealed(RecordKind::Key, name.as_str(), |buf| record.encode(buf).ok())
    }

    /// True if a key record exists under this id (without authenticating it).
    pub(super) fn key_exists(&mut self, id: &KeyId) -> Result<bool, KmsError<H, S>> {
        let name = id.to_text();
        Ok(self.store.get(RecordKind::Key, name.as_str(), &mut self.scratch).map_err(store_err)?.is_some())
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
        let Some(len) = self.store.get(kind, name, &mut self.scratch).map_err(store_err)? else {
            return Ok(None);
        };
        // A store that claims more bytes than the buffer it was given broke its contract.
        let sealed = self.scratch.get(..len).ok_or(Error::Internal)?;
        match root::open(&mut self.hsm, kind, name, sealed) {
            Ok(body) => Ok(Some(body)),
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
        let len = match root::seal(&mut self.hsm, kind, name, &mut self.scratch, body) {
            Ok(len) => len,
            // Every record Coffer builds fits MAX_RECORD_LEN; reaching this is a bug, reported
            // as one rather than a panic (nothing stored is wrong).
            Err(root::SealError::TooLarge) => return Err(Error::Internal),
            Err(root::SealError::Hsm(e)) => return Err(hsm_err(e)),
        };
        let sealed = self.scratch.get(..len).ok_or(Error::Internal)?;
        self.store.put(kind, name, sealed).map_err(store_err)
    }
}

/// Refuses cryptographic use of a key that is not Enabled.
pub(super) fn check_usable<H, S>(record: &KeyRecord) -> Result<(), Error<H, S>> {
    match record.state {
        KeyState::Enabled => Ok(()),
        KeyState::Disabled => Err(Error::Disabled),
        KeyState::PendingDeletion => Err(Error::InvalidState(KeyState::PendingDeletion)),
    }
}

/// Refuses management of a key pending deletion.
pub(super) fn check_not_pending<H, S>(record: &KeyRecord) -> Result<(), Error<H, S>> {
    match record.state {
        KeyState::PendingDeletion => Err(Error::InvalidState(KeyState::PendingDeletion)),
        KeyState::Enabled | KeyState::Disabled => Ok(()),
    }
}
