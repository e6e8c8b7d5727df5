//! The store value: a connection and what it remembers of the records it read.

use crate::bases::Bases;
use crate::error::PgStoreError;
use crate::link::Link;
use crate::schema;
use crate::settings::PgSettings;

/// A Coffer key store in PostgreSQL (see the crate documentation). One value holds one
/// connection; give each thread or node its own.
#[derive(Debug)]
pub struct PgStore {
    pub(crate) link: Link,
    pub(crate) bases: Bases,
}

impl PgStore {
    /// Connects to the database at `url` and checks that its schema is this build's.
    ///
    /// `url` is a `postgres://user:password@host:port/dbname` URL or libpq's `key=value`
    /// pairs (`host` may be a socket directory).
    ///
    /// # Errors
    /// [`Config`](crate::PgErrorKind::Config) for a URL that does not parse;
    /// [`Unavailable`](crate::PgErrorKind::Unavailable) if the database cannot be reached in
    /// time; [`Schema`](crate::PgErrorKind::Schema) if it has no Coffer schema (see
    /// [`init`](Self::init)) or one of another version; [`Refused`](crate::PgErrorKind::Refused)
    /// for a refused log-in.
    pub fn open(url: &str, settings: PgSettings) -> Result<Self, PgStoreError> {
        let mut link = Link::new(url, settings)?;
        schema::check(&mut link)?;
        Ok(Self { link, bases: Bases::default() })
    }

    /// Connects to the database at `url` and creates the schema, or upgrades it to this build's;
    /// a database already at this version is left as it is, so every node may call this at
    /// start.
    ///
    /// # Errors
    /// As [`open`](Self::open); [`Refused`](crate::PgErrorKind::Refused) if the user may not
    /// create tables.
    pub fn init(url: &str, settings: PgSettings) -> Result<Self, PgStoreError> {
        let mut link = Link::new(url, settings)?;
        schema::migrate(&mut link)?;
        Ok(Self { link, bases: Bases::default() })
    }

    /// Forgets the versions this store read. A write of a record that is not read again first
    /// is then an insert, refused if the record exists: for a caller that wants each request to
    /// start from what the database holds rather than from what an earlier one read.
    pub fn forget_reads(&mut self) {
        self.bases.clear();
    }
}
