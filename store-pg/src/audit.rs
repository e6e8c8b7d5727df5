//! Audit events: an append-only table, each event an opaque byte string (the caller's
//! serialisation) numbered by a sequence.
//!
//! The table refuses `UPDATE`, `DELETE` and `TRUNCATE` through triggers: a guard against
//! mistakes, not against the database's owner, who can drop a trigger. What detects a removed
//! or edited event is the hash chain and the HSM-MACed checkpoints the caller writes into the
//! events. Sequence numbers increase in commit order of their insertion, with gaps where an
//! insertion was rolled back.

use tokio_postgres::Client;

use crate::error::{PgErrorKind, PgStoreError};
use crate::limits::MAX_AUDIT_EVENT_LEN;
use crate::pg_store::PgStore;

/// The most events one [`PgStore::append_audit`] or [`PgStore::audit_events`] call takes or
/// returns.
pub const MAX_AUDIT_BATCH: usize = 4096;

/// One stored audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Its sequence number.
    pub seq: i64,
    /// The event as appended.
    pub event: Vec<u8>,
}

impl PgStore {
    /// Appends `events` in one transaction, so one commit (one flush of the database's log)
    /// makes them all durable: group commit. Returns their sequence numbers, in order. When
    /// this returns `Ok`, every event is committed; on an error, none or (for
    /// [`PgErrorKind::Unavailable`] during the commit) all of them may be.
    ///
    /// # Errors
    /// [`PgErrorKind::TooLarge`] for an event over 64 KiB or more than [`MAX_AUDIT_BATCH`]
    /// events (nothing is appended); [`PgErrorKind::Unavailable`].
    pub fn append_audit(&mut self, events: &[&[u8]]) -> Result<Vec<i64>, PgStoreError> {
        let what = "appending audit events";
        if events.len() > MAX_AUDIT_BATCH {
            return Err(PgStoreError::new(
                PgErrorKind::TooLarge,
                format!("{what}: {} events in one batch", events.len()),
            ));
        }
        if let Some(long) = events.iter().find(|e| e.len() > MAX_AUDIT_EVENT_LEN) {
            return Err(PgStoreError::new(PgErrorKind::TooLarge, format!("{what}: an event of {} bytes", long.len())));
        }
        if events.is_empty() {
            return Ok(Vec::new());
        }
        self.link.run(what, async |c: &mut Client| {
            let tx = c.transaction().await?;
            let insert = tx.prepare("INSERT INTO coffer_audit_events (event) VALUES ($1) RETURNING seq").await?;
            let mut seqs = Vec::with_capacity(events.len());
            for event in events {
                seqs.push(tx.query_one(&insert, &[event]).await?.try_get::<_, i64>(0)?);
            }
            tx.commit().await?;
            Ok(seqs)
        })
    }

    /// Up to `limit` events (at most [`MAX_AUDIT_BATCH`]) with a sequence number above `after`,
    /// in sequence order: pass the last one's `seq` to read on.
    ///
    /// # Errors
    /// [`PgErrorKind::Unavailable`]; [`PgErrorKind::Corrupt`].
    pub fn audit_events(&mut self, after: i64, limit: usize) -> Result<Vec<StoredEvent>, PgStoreError> {
        let what = "reading audit events";
        let limit = i64::try_from(limit.min(MAX_AUDIT_BATCH)).unwrap_or(0);
        let rows = self.link.run(what, async |c: &mut Client| {
            c.query(
                "SELECT seq, event FROM coffer_audit_events WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[&after, &limit],
            )
            .await
        })?;
        rows.iter()
            .map(|row| Ok(StoredEvent { seq: row.try_get(0)?, event: row.try_get(1)? }))
            .collect::<Result<_, tokio_postgres::Error>>()
            .map_err(|e| PgStoreError::new(PgErrorKind::Corrupt, format!("{what}: a row of the wrong shape: {e}")))
    }
}
