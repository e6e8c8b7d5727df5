//! A façade error over the directory store as both front ends report it: its class by its kind,
//! and a record that failed authentication named as the store read it last.

use coffer_core::error::Error;
use coffer_core::hsm::HsmError;

use crate::error::{Class, CliError};
use crate::store::{DirStore, DirStoreError};

/// Converts a façade error by its kind (one mapping, [`Class::of_kind`]), naming the record the
/// store read last if it failed authentication.
pub(crate) fn convert<HE: HsmError>(e: &Error<HE, DirStoreError>, store: &DirStore) -> CliError {
    let class = Class::of_kind(e.kind());
    if class != Class::CorruptRecord {
        return CliError::new(class, e.to_string());
    }
    let what = store
        .last_read()
        .map_or_else(|| "a stored record".to_owned(), |(label, path)| format!("the {label} ({})", path.display()));
    CliError::new(
        class,
        format!(
            "{what} failed authentication under the root sealing key: it was edited, forged or damaged outside \
             Coffer and is refused (restore it from a backup)"
        ),
    )
}
