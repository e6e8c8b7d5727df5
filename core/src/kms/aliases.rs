//! CreateAlias, UpdateAlias, DeleteAlias and ListAliases.
//!
//! An alias is its own sealed record (name → key id), so re-pointing one is a single atomic
//! store write; `docs/FORMAT.md` explains why aliases are not kept inside key records.

use super::lifecycle::{MAX_LIST_LIMIT, Page};
use super::records::{RecordName, check_not_pending};
use super::{Kms, KmsError, check_range, malformed};
use crate::audit::{AuditSink, Operation};
use crate::clock::Clock;
use crate::error::{Error, Field};
use crate::hsm::Hsm;
use crate::key::{AliasEntry, AliasName, AliasRecord, KeyId, KeyRef, KeyRefError};
use crate::store::{KeyStore, RecordKind};

impl<H: Hsm, S: KeyStore, C: Clock, A: AuditSink, const KEYS: usize> Kms<H, S, C, A, KEYS> {
    /// CreateAlias: `alias_name` (not under `alias/aws/`) pointing at `target_key` (a key id or
    /// key ARN, not another alias).
    ///
    /// # Errors
    /// InvalidAliasName, AlreadyExists, NotFound for the target, InvalidState if the target is
    /// pending deletion, LimitExceeded when the store is full.
    pub fn create_alias(&mut self, alias_name: &str, target_key: &str) -> Result<(), KmsError<H, S>> {
        self.audited(Operation::CreateAlias, |kms, audit_key| {
            let name = AliasName::parse_custom(alias_name).map_err(|_| Error::InvalidAliasName)?;
            let target = kms.alias_target(target_key, audit_key)?;
            if kms.load_alias(&name)?.is_some() {
                return Err(Error::AlreadyExists);
            }
            let now = kms.now()?;
            kms.save_alias(&name, &AliasRecord { target, creation_date: now, last_updated_date: now })
        })
    }

    /// UpdateAlias: points an existing alias at another key.
    ///
    /// # Errors
    /// InvalidAliasName, NotFound (alias or target), InvalidState if the target is pending deletion.
    pub fn update_alias(&mut self, alias_name: &str, target_key: &str) -> Result<(), KmsError<H, S>> {
        self.audited(Operation::UpdateAlias, |kms, audit_key| {
            let name = AliasName::parse_custom(alias_name).map_err(|_| Error::InvalidAliasName)?;
            let target = kms.alias_target(target_key, audit_key)?;
            let mut record = kms.load_alias(&name)?.ok_or(Error::NotFound)?;
            record.target = target;
            record.last_updated_date = kms.now()?;
            kms.save_alias(&name, &record)
        })
    }

    /// DeleteAlias. The key it pointed at is untouched.
    ///
    /// # Errors
    /// InvalidAliasName, NotFound.
    pub fn delete_alias(&mut self, alias_name: &str) -> Result<(), KmsError<H, S>> {
        self.audited(Operation::DeleteAlias, |kms, audit_key| {
            let name = AliasName::parse_custom(alias_name).map_err(|_| Error::InvalidAliasName)?;
            let record = kms.load_alias(&name)?.ok_or(Error::NotFound)?;
            *audit_key = Some(record.target);
            if kms.remove_record(RecordKind::Alias, name.as_str())? { Ok(()) } else { Err(Error::NotFound) }
        })
    }

    /// ListAliases: aliases in name order after `marker`, only those pointing at `key` if given,
    /// filling `out` (1 to 1000 entries: the page size). An alias record that fails
    /// authentication or does not decode is left out and counted in
    /// [`Page::corrupt_records`], as the maintenance call does: one damaged record does not
    /// hide the others.
    ///
    /// # Errors
    /// Validation for the page size or a malformed `key`; NotFound for a `key` naming no key;
    /// HSM and store failures.
    pub fn list_aliases(
        &mut self,
        key: Option<&str>,
        marker: Option<&AliasName>,
        out: &mut [AliasEntry],
    ) -> Result<Page<AliasName>, KmsError<H, S>> {
        self.audited(Operation::ListAliases, |kms, audit_key| {
            check_range(Field::Limit, out.len() as u64, 1, MAX_LIST_LIMIT as u64)?;
            let filter = match key {
                Some(text) => {
                    let id = kms.resolve(text, Field::KeyId)?;
                    // AWS answers NotFound for a filter naming no key; loading also checks it.
                    kms.load_key(&id)?;
                    Some(id)
                }
                None => None,
            };
            *audit_key = filter;
            // The walk goes by stored name; the marker handed out is the last alias name
            // passed (a stored name that is no alias name is counted and walked past). An alias
            // name always fits a record name (MAX_NAME_LEN is the alias maximum).
            let mut after: Option<RecordName> = match marker {
                Some(m) => Some(RecordName::try_from(m.as_str()).map_err(|_| Error::Internal)?),
                None => None,
            };
            let mut last = marker.cloned();
            let mut page = Page { count: 0, next_marker: None, corrupt_records: 0 };
            loop {
                let Some(text) = kms.next_record_name(RecordKind::Alias, after.as_deref())? else {
                    return Ok(page);
                };
                let parsed = AliasName::parse(&text);
                after = Some(text);
                let Ok(name) = parsed else {
                    page.corrupt_records = page.corrupt_records.saturating_add(1);
                    continue;
                };
                let record = match kms.load_alias(&name) {
                    Ok(Some(record)) => record,
                    // Listed but gone: not an alias any more.
                    Ok(None) => {
                        last = Some(name);
                        continue;
                    }
                    Err(Error::CorruptRecord) => {
                        page.corrupt_records = page.corrupt_records.saturating_add(1);
                        last = Some(name);
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                if filter.is_none_or(|id| id == record.target) {
                    if page.count == out.len() {
                        page.next_marker = last;
                        return Ok(page);
                    }
                    if let Some(slot) = out.get_mut(page.count) {
                        *slot = AliasEntry {
                            name: name.clone(),
                            target_key_id: record.target,
                            creation_date: record.creation_date,
                            last_updated_date: record.last_updated_date,
                        };
                    }
                    page.count = page.count.saturating_add(1);
                }
                last = Some(name);
            }
        })
    }

    /// An alias target: a key id or key ARN (not an alias) of an existing key not pending deletion.
    fn alias_target(&mut self, target_key: &str, audit_key: &mut Option<KeyId>) -> Result<KeyId, KmsError<H, S>> {
        let id = match KeyRef::parse(target_key, &self.config.arn) {
            Ok(KeyRef::Id(id)) => id,
            Ok(KeyRef::Alias(_)) | Err(KeyRefError::Malformed) => return Err(malformed(Field::TargetKeyId).into()),
            Err(KeyRefError::Foreign) => return Err(Error::NotFound),
        };
        *audit_key = Some(id);
        check_not_pending(self.load_key(&id)?.state())?;
        Ok(id)
    }
}
