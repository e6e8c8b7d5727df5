//! The tables, made and upgraded by [`migrate`]; their layout is in `docs/POSTGRES.md`.
//!
//! A migration runs in one transaction under a transaction-scoped advisory lock, so nodes that
//! start together make the schema once, and a failure leaves the schema as it was. The
//! version is a single row of `coffer_schema`; a database whose version is newer than
//! [`SCHEMA_VERSION`] is refused rather than written with an older layout's assumptions.

use tokio_postgres::Client;

use crate::error::{PgErrorKind, PgStoreError};
use crate::limits::{MAX_ACCESS_KEY_ID_LEN, MAX_ACCESS_KEY_LEN, MAX_AUDIT_EVENT_LEN, MAX_NAME_LEN, MAX_RECORD_LEN};
use crate::link::Link;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i32 = 1;

/// The advisory lock key of migrations (`coffer` in ASCII).
const MIGRATION_LOCK: i64 = 0x636f_6666_6572;

/// Every step, the first making version 1, with the sizes of [`crate::limits`] in its checks.
fn steps() -> [String; 1] {
    [format!(
        r#"
CREATE SEQUENCE coffer_record_version AS bigint;

CREATE TABLE coffer_records (
    kind smallint NOT NULL CHECK (kind BETWEEN 1 AND 4),
    name text COLLATE "C" NOT NULL CHECK (octet_length(name) BETWEEN 1 AND {MAX_NAME_LEN}),
    bytes bytea NOT NULL CHECK (octet_length(bytes) <= {MAX_RECORD_LEN}),
    version bigint NOT NULL DEFAULT nextval('coffer_record_version'),
    PRIMARY KEY (kind, name)
);

CREATE TABLE coffer_access_keys (
    id text COLLATE "C" PRIMARY KEY CHECK (octet_length(id) BETWEEN 1 AND {MAX_ACCESS_KEY_ID_LEN}),
    bytes bytea NOT NULL CHECK (octet_length(bytes) <= {MAX_ACCESS_KEY_LEN})
);

CREATE TABLE coffer_audit_events (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    event bytea NOT NULL CHECK (octet_length(event) <= {MAX_AUDIT_EVENT_LEN})
);

CREATE FUNCTION coffer_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'coffer_audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER coffer_audit_no_change BEFORE UPDATE OR DELETE ON coffer_audit_events
    FOR EACH ROW EXECUTE FUNCTION coffer_audit_append_only();
CREATE TRIGGER coffer_audit_no_truncate BEFORE TRUNCATE ON coffer_audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION coffer_audit_append_only();
"#
    )]
}

/// Creates or upgrades the schema to [`SCHEMA_VERSION`]; nothing if it is there already.
pub(crate) fn migrate(link: &mut Link) -> Result<i32, PgStoreError> {
    let found = link.run("making the schema", async |client: &mut Client| {
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS coffer_schema (
                 one boolean PRIMARY KEY DEFAULT true CHECK (one),
                 version integer NOT NULL
             )",
        )
        .await?;
        let found: i32 = match tx.query_opt("SELECT version FROM coffer_schema", &[]).await? {
            Some(row) => row.try_get(0)?,
            None => 0,
        };
        let from = usize::try_from(found).unwrap_or(usize::MAX);
        for step in steps().iter().skip(from) {
            tx.batch_execute(step).await?;
        }
        if found < SCHEMA_VERSION {
            tx.execute(
                "INSERT INTO coffer_schema (version) VALUES ($1) ON CONFLICT (one) DO UPDATE SET version = $1",
                &[&SCHEMA_VERSION],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(found)
    })?;
    check_version(found.max(SCHEMA_VERSION))
}

/// The schema's version; an error unless it is [`SCHEMA_VERSION`].
pub(crate) fn check(link: &mut Link) -> Result<i32, PgStoreError> {
    let found = link.run("reading the schema version", async |client: &mut Client| {
        let exists: bool =
            client.query_one("SELECT to_regclass('coffer_schema') IS NOT NULL", &[]).await?.try_get(0)?;
        if !exists {
            return Ok(None);
        }
        let row = client.query_opt("SELECT version FROM coffer_schema", &[]).await?;
        row.map(|r| r.try_get::<_, i32>(0)).transpose()
    })?;
    match found {
        None => Err(PgStoreError::new(
            PgErrorKind::Schema,
            "the database has no Coffer schema: initialise it first (PgStore::init)",
        )),
        Some(version) if version < SCHEMA_VERSION => Err(PgStoreError::new(
            PgErrorKind::Schema,
            format!(
                "the database's schema is version {version}, older than {SCHEMA_VERSION}: upgrade it (PgStore::init)"
            ),
        )),
        Some(version) => check_version(version),
    }
}

fn check_version(version: i32) -> Result<i32, PgStoreError> {
    if version > SCHEMA_VERSION {
        return Err(PgStoreError::new(
            PgErrorKind::Schema,
            format!("the database's schema is version {version}, newer than this build's {SCHEMA_VERSION}"),
        ));
    }
    Ok(version)
}
