//! Sealed records: [`KeyStore`] for [`PgStore`], and reads and writes with explicit versions.
//!
//! Every write is a compare-and-swap on the record's version. The store remembers the version
//! of each record it reads ([`crate::bases`]); [`KeyStore::put`] then writes
//!
//! - `UPDATE … WHERE kind = $1 AND name = $2 AND version = $n` for a record read at version `n`;
//! - `INSERT … ON CONFLICT DO NOTHING` for a record read as absent, or never read here,
//!
//! and fails with [`PgErrorKind::Conflict`] when no row was written: another writer changed the
//! record since, or got there first. Every kind is written so, descriptions included (the
//! façade reads a description record before it replaces it).

use coffer_core::store::{KeyStore, MAX_NAME_LEN as NAME_BUF_LEN, RecordKind};
use tokio_postgres::Client;
use tokio_postgres::types::ToSql;

use crate::bases::Base;
use crate::error::{PgErrorKind, PgStoreError};
use crate::limits::{MAX_NAME_LEN, MAX_RECORD_LEN};
use crate::pg_store::PgStore;
use crate::version::{Expect, RecordVersion};

/// The `kind` column's value for each kind.
const fn kind_code(kind: RecordKind) -> i16 {
    match kind {
        RecordKind::Key => 1,
        RecordKind::Alias => 2,
        RecordKind::KeyVersion => 3,
        RecordKind::Description => 4,
    }
}

/// The kind's name in messages.
const fn label(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Key => "key",
        RecordKind::Alias => "alias",
        RecordKind::KeyVersion => "version",
        RecordKind::Description => "description",
    }
}

/// A name the table can hold: 1 to [`MAX_NAME_LEN`] bytes, no NUL (PostgreSQL's text has none).
pub(crate) fn check_name(what: &str, name: &str, max: usize) -> Result<(), PgStoreError> {
    if name.is_empty() || name.len() > max {
        return Err(PgStoreError::new(PgErrorKind::TooLarge, format!("{what}: a name of {} bytes", name.len())));
    }
    if name.contains('\0') {
        return Err(PgStoreError::new(PgErrorKind::Refused, format!("{what}: a name with a NUL byte")));
    }
    Ok(())
}

fn check_record(what: &str, record: &[u8]) -> Result<(), PgStoreError> {
    if record.len() > MAX_RECORD_LEN {
        return Err(PgStoreError::new(
            PgErrorKind::TooLarge,
            format!("{what}: {} bytes, more than the {MAX_RECORD_LEN} a record may hold", record.len()),
        ));
    }
    Ok(())
}

fn conflict(kind: RecordKind, name: &str) -> PgStoreError {
    PgStoreError::new(
        PgErrorKind::Conflict,
        format!(
            "{} record {name} changed since this store read it (or exists and was not read here first): \
             nothing was written; read it again and retry",
            label(kind)
        ),
    )
}

fn corrupt(what: &str, e: &tokio_postgres::Error) -> PgStoreError {
    PgStoreError::new(PgErrorKind::Corrupt, format!("{what}: the database returned a row of the wrong shape: {e}"))
}

impl PgStore {
    /// Copies the record `kind`/`name` into `out`; its length and version, or `None` if there
    /// is none. The version is remembered as the base of the next [`KeyStore::put`].
    ///
    /// Reads at most `out.len()` bytes of the record from the database.
    ///
    /// # Errors
    /// [`PgErrorKind::TooLarge`] if the record is longer than `out` or the name is not 1 to
    /// 256 bytes; [`PgErrorKind::Unavailable`]; [`PgErrorKind::Corrupt`].
    pub fn get_versioned(
        &mut self,
        kind: RecordKind,
        name: &str,
        out: &mut [u8],
    ) -> Result<Option<(usize, RecordVersion)>, PgStoreError> {
        let what = format!("reading {} record {name}", label(kind));
        check_name(&what, name, MAX_NAME_LEN)?;
        let code = kind_code(kind);
        // One byte more than fits, so that a longer record is seen without being read whole.
        let want = i32::try_from(out.len().saturating_add(1)).unwrap_or(i32::MAX);
        let row = self.link.run(&what, async |c: &mut Client| {
            c.query_opt(
                "SELECT substring(bytes FROM 1 FOR $3), version FROM coffer_records WHERE kind = $1 AND name = $2",
                &[&code, &name, &want],
            )
            .await
        })?;
        let Some(row) = row else {
            self.bases.set(kind, name, Base::Absent);
            return Ok(None);
        };
        let bytes: &[u8] = row.try_get(0).map_err(|e| corrupt(&what, &e))?;
        let version = RecordVersion::new(row.try_get(1).map_err(|e| corrupt(&what, &e))?);
        self.bases.set(kind, name, Base::Version(version));
        let slot = out.get_mut(..bytes.len()).ok_or_else(|| {
            PgStoreError::new(PgErrorKind::TooLarge, format!("{what}: it holds more bytes than the read buffer"))
        })?;
        slot.copy_from_slice(bytes);
        Ok(Some((bytes.len(), version)))
    }

    /// Writes the record `kind`/`name` if it is as `expect` says: inserts it for
    /// [`Expect::Absent`], replaces it for [`Expect::Version`]. Returns the new version (also
    /// remembered as the next write's base).
    ///
    /// # Errors
    /// [`PgErrorKind::Conflict`] if the record is not as expected (nothing is written);
    /// [`PgErrorKind::TooLarge`] for a record over [`MAX_RECORD_LEN`] bytes or a name not of 1
    /// to 256; [`PgErrorKind::Unavailable`] (the write may or may not have happened).
    pub fn put_if(
        &mut self,
        kind: RecordKind,
        name: &str,
        record: &[u8],
        expect: Expect,
    ) -> Result<RecordVersion, PgStoreError> {
        let what = format!("writing {} record {name}", label(kind));
        check_name(&what, name, MAX_NAME_LEN)?;
        check_record(&what, record)?;
        let code = kind_code(kind);
        let (sql, expected): (&str, Option<i64>) = match expect {
            Expect::Absent => (
                "INSERT INTO coffer_records (kind, name, bytes) VALUES ($1, $2, $3) \
                 ON CONFLICT (kind, name) DO NOTHING RETURNING version",
                None,
            ),
            Expect::Version(v) => (
                "UPDATE coffer_records SET bytes = $3, version = nextval('coffer_record_version') \
                 WHERE kind = $1 AND name = $2 AND version = $4 RETURNING version",
                Some(v.get()),
            ),
        };
        let written = self.write(&what, kind, name, sql, &[&code, &name, &record], expected)?;
        written.ok_or_else(|| conflict(kind, name))
    }

    /// Removes the record `kind`/`name` if it is still at `version`.
    ///
    /// # Errors
    /// [`PgErrorKind::Conflict`] if it changed or went since (nothing is removed);
    /// [`PgErrorKind::Unavailable`] (the removal may or may not have happened).
    pub fn remove_if(&mut self, kind: RecordKind, name: &str, version: RecordVersion) -> Result<(), PgStoreError> {
        let what = format!("removing {} record {name}", label(kind));
        check_name(&what, name, MAX_NAME_LEN)?;
        let code = kind_code(kind);
        let sql = "DELETE FROM coffer_records WHERE kind = $1 AND name = $2 AND version = $3 RETURNING version";
        match self.write(&what, kind, name, sql, &[&code, &name], Some(version.get()))? {
            Some(_) => {
                self.bases.set(kind, name, Base::Absent);
                Ok(())
            }
            None => Err(conflict(kind, name)),
        }
    }

    /// Runs one write statement returning the row's version; the base is the returned version,
    /// or forgotten when nothing was written or the outcome is unknown.
    fn write(
        &mut self,
        what: &str,
        kind: RecordKind,
        name: &str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        expected: Option<i64>,
    ) -> Result<Option<RecordVersion>, PgStoreError> {
        let mut all: Vec<&(dyn ToSql + Sync)> = params.to_vec();
        if let Some(expected) = expected.as_ref() {
            all.push(expected);
        }
        let outcome =
            self.link.run(what, async |c: &mut Client| c.query_opt(sql, &all).await).and_then(|row| match row {
                None => Ok(None),
                Some(row) => {
                    row.try_get::<_, i64>(0).map(|v| Some(RecordVersion::new(v))).map_err(|e| corrupt(what, &e))
                }
            });
        match outcome {
            Ok(Some(version)) => self.bases.set(kind, name, Base::Version(version)),
            Ok(None) | Err(_) => self.bases.forget(kind, name),
        }
        outcome
    }

    /// Removes whatever is there; true if there was a record.
    fn remove_any(&mut self, kind: RecordKind, name: &str) -> Result<bool, PgStoreError> {
        let what = format!("removing {} record {name}", label(kind));
        check_name(&what, name, MAX_NAME_LEN)?;
        let code = kind_code(kind);
        let removed = self.link.run(&what, async |c: &mut Client| {
            c.execute("DELETE FROM coffer_records WHERE kind = $1 AND name = $2", &[&code, &name]).await
        });
        match removed {
            Ok(n) => {
                self.bases.set(kind, name, Base::Absent);
                Ok(n > 0)
            }
            Err(e) => {
                self.bases.forget(kind, name);
                Err(e)
            }
        }
    }

    /// True if the record `kind`/`name` exists (without reading it or remembering a base).
    fn exists(&mut self, kind: RecordKind, name: &str) -> Result<bool, PgStoreError> {
        let what = format!("looking for {} record {name}", label(kind));
        let code = kind_code(kind);
        let row = self.link.run(&what, async |c: &mut Client| {
            c.query_opt("SELECT 1 FROM coffer_records WHERE kind = $1 AND name = $2", &[&code, &name]).await
        })?;
        Ok(row.is_some())
    }
}

impl KeyStore for PgStore {
    type Error = PgStoreError;
    type RecordBuf = [u8; MAX_RECORD_LEN];

    fn get(&mut self, kind: RecordKind, name: &str, out: &mut [u8]) -> Result<Option<usize>, PgStoreError> {
        Ok(self.get_versioned(kind, name, out)?.map(|(len, _)| len))
    }

    /// A compare-and-swap on the version this store read (see the module documentation).
    fn put(&mut self, kind: RecordKind, name: &str, record: &[u8]) -> Result<(), PgStoreError> {
        let expect = match self.bases.get(kind, name) {
            Some(Base::Version(v)) => Expect::Version(v),
            Some(Base::Absent) | None => Expect::Absent,
        };
        self.put_if(kind, name, record, expect).map(|_| ())
    }

    /// Removes a record read at version `n` only if it is still at `n`, a record read as absent
    /// only if it still is (`Ok(false)`), and a record not read here whatever it holds (the
    /// façade removes version records of a key by number, without reading them).
    fn remove(&mut self, kind: RecordKind, name: &str) -> Result<bool, PgStoreError> {
        match self.bases.get(kind, name) {
            Some(Base::Version(v)) => self.remove_if(kind, name, v).map(|()| true),
            Some(Base::Absent) => {
                if self.exists(kind, name)? {
                    self.bases.forget(kind, name);
                    Err(conflict(kind, name))
                } else {
                    Ok(false)
                }
            }
            None => self.remove_any(kind, name),
        }
    }

    fn next_name(
        &mut self,
        kind: RecordKind,
        after: Option<&str>,
        out: &mut [u8; NAME_BUF_LEN],
    ) -> Result<Option<usize>, PgStoreError> {
        let what = format!("listing {} records", label(kind));
        if let Some(after) = after {
            // A longer `after` still has a place in the order; only a NUL cannot be sent.
            if after.contains('\0') {
                return Err(PgStoreError::new(PgErrorKind::Refused, format!("{what}: a name with a NUL byte")));
            }
        }
        let code = kind_code(kind);
        // Bytewise order: the column's collation is "C", named again so no session setting
        // can change it.
        let row = self.link.run(&what, async |c: &mut Client| {
            c.query_opt(
                "SELECT name FROM coffer_records WHERE kind = $1 AND ($2::text IS NULL OR name > $2 COLLATE \"C\") \
                 ORDER BY name COLLATE \"C\" LIMIT 1",
                &[&code, &after],
            )
            .await
        })?;
        let Some(row) = row else { return Ok(None) };
        let name: &str = row.try_get(0).map_err(|e| corrupt(&what, &e))?;
        let slot = out.get_mut(..name.len()).ok_or_else(|| {
            PgStoreError::new(PgErrorKind::Corrupt, format!("{what}: a name of {} bytes, longer than any", name.len()))
        })?;
        slot.copy_from_slice(name.as_bytes());
        Ok(Some(name.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_before_anything_is_sent() {
        assert_eq!(check_name("w", "", 256).unwrap_err().pg_kind(), PgErrorKind::TooLarge);
        assert_eq!(check_name("w", &"a".repeat(257), 256).unwrap_err().pg_kind(), PgErrorKind::TooLarge);
        assert!(check_name("w", &"a".repeat(256), 256).is_ok());
        assert_eq!(check_name("w", "a\0b", 256).unwrap_err().pg_kind(), PgErrorKind::Refused);
        assert_eq!(check_record("w", &vec![0; MAX_RECORD_LEN + 1]).unwrap_err().pg_kind(), PgErrorKind::TooLarge);
        assert!(check_record("w", &vec![0; MAX_RECORD_LEN]).is_ok());
    }

    #[test]
    fn kinds_have_distinct_codes() {
        let codes: std::collections::BTreeSet<i16> = RecordKind::ALL.iter().map(|k| kind_code(*k)).collect();
        assert_eq!(codes.len(), RecordKind::ALL.len());
        assert!(codes.iter().all(|c| (1..=4).contains(c)), "the schema's CHECK");
    }
}
