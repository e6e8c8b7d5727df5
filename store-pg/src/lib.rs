#![forbid(unsafe_code)]
#![doc = include_str!("../README.md")]
// A std crate (a database client): std paths are the plain ones here; the workspace lints
// that prefer core/alloc paths exist for the no_std crates.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod access_keys;
mod audit;
mod bases;
mod error;
pub mod limits;
mod link;
mod pg_store;
mod records;
mod schema;
mod settings;
mod version;

pub use access_keys::MAX_ACCESS_KEYS;
pub use audit::{MAX_AUDIT_BATCH, StoredEvent};
pub use bases::MAX_BASES;
pub use error::{PgErrorKind, PgStoreError};
pub use pg_store::PgStore;
pub use schema::SCHEMA_VERSION;
pub use settings::PgSettings;
pub use version::{Expect, RecordVersion};
