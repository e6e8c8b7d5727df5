//! `coffer serve`'s access keys: opaque sealed records by access key id, made once and
//! removed on revocation (never replaced), as in the directory store's `access-keys/`.

use tokio_postgres::Client;

use crate::error::{PgErrorKind, PgStoreError};
use crate::limits::{MAX_ACCESS_KEY_ID_LEN, MAX_ACCESS_KEY_LEN};
use crate::pg_store::PgStore;
use crate::records::check_name;

/// The most access key ids [`PgStore::access_key_ids`] returns.
pub const MAX_ACCESS_KEYS: usize = 10_000;

impl PgStore {
    /// Stores a new access key's sealed record.
    ///
    /// # Errors
    /// [`PgErrorKind::Conflict`] if the id exists (nothing is replaced);
    /// [`PgErrorKind::TooLarge`] for an id not of 1 to 128 bytes or a record over 4096;
    /// [`PgErrorKind::Unavailable`].
    pub fn put_access_key(&mut self, id: &str, sealed: &[u8]) -> Result<(), PgStoreError> {
        let what = format!("writing access key {id}");
        check_name(&what, id, MAX_ACCESS_KEY_ID_LEN)?;
        if sealed.len() > MAX_ACCESS_KEY_LEN {
            return Err(PgStoreError::new(
                PgErrorKind::TooLarge,
                format!("{what}: a record of {} bytes", sealed.len()),
            ));
        }
        let written = self.link.run(&what, async |c: &mut Client| {
            c.execute(
                "INSERT INTO coffer_access_keys (id, bytes) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
                &[&id, &sealed],
            )
            .await
        })?;
        if written == 0 {
            return Err(PgStoreError::new(PgErrorKind::Conflict, format!("{what}: that access key id exists")));
        }
        Ok(())
    }

    /// The sealed record of access key `id`, or `None`. At most 4097 bytes are read.
    ///
    /// # Errors
    /// [`PgErrorKind::TooLarge`] for a stored record over 4096 bytes (written outside Coffer)
    /// or an id not of 1 to 128 bytes; [`PgErrorKind::Unavailable`]; [`PgErrorKind::Corrupt`].
    pub fn get_access_key(&mut self, id: &str) -> Result<Option<Vec<u8>>, PgStoreError> {
        let what = format!("reading access key {id}");
        check_name(&what, id, MAX_ACCESS_KEY_ID_LEN)?;
        let want = i32::try_from(MAX_ACCESS_KEY_LEN + 1).unwrap_or(i32::MAX);
        let row = self.link.run(&what, async |c: &mut Client| {
            c.query_opt("SELECT substring(bytes FROM 1 FOR $2) FROM coffer_access_keys WHERE id = $1", &[&id, &want])
                .await
        })?;
        let Some(row) = row else { return Ok(None) };
        let bytes: Vec<u8> = row.try_get(0).map_err(|e| {
            PgStoreError::new(
                PgErrorKind::Corrupt,
                format!("{what}: the database returned a row of the wrong shape: {e}"),
            )
        })?;
        if bytes.len() > MAX_ACCESS_KEY_LEN {
            return Err(PgStoreError::new(
                PgErrorKind::TooLarge,
                format!("{what}: it holds more bytes than any record"),
            ));
        }
        Ok(Some(bytes))
    }

    /// Removes access key `id` (revocation); false if there was none.
    ///
    /// # Errors
    /// [`PgErrorKind::Unavailable`]; [`PgErrorKind::TooLarge`] for an id not of 1 to 128 bytes.
    pub fn remove_access_key(&mut self, id: &str) -> Result<bool, PgStoreError> {
        let what = format!("removing access key {id}");
        check_name(&what, id, MAX_ACCESS_KEY_ID_LEN)?;
        let n = self.link.run(&what, async |c: &mut Client| {
            c.execute("DELETE FROM coffer_access_keys WHERE id = $1", &[&id]).await
        })?;
        Ok(n > 0)
    }

    /// Every access key id, in bytewise order (at most [`MAX_ACCESS_KEYS`]).
    ///
    /// # Errors
    /// [`PgErrorKind::Unavailable`]; [`PgErrorKind::TooLarge`] if there are more;
    /// [`PgErrorKind::Corrupt`].
    pub fn access_key_ids(&mut self) -> Result<Vec<String>, PgStoreError> {
        let what = "listing access keys";
        let limit = i64::try_from(MAX_ACCESS_KEYS + 1).unwrap_or(i64::MAX);
        let rows = self.link.run(what, async |c: &mut Client| {
            c.query("SELECT id FROM coffer_access_keys ORDER BY id COLLATE \"C\" LIMIT $1", &[&limit]).await
        })?;
        if rows.len() > MAX_ACCESS_KEYS {
            return Err(PgStoreError::new(
                PgErrorKind::TooLarge,
                format!("{what}: more than {MAX_ACCESS_KEYS} access keys"),
            ));
        }
        rows.iter()
            .map(|row| {
                row.try_get::<_, String>(0).map_err(|e| {
                    PgStoreError::new(PgErrorKind::Corrupt, format!("{what}: a row of the wrong shape: {e}"))
                })
            })
            .collect()
    }
}
