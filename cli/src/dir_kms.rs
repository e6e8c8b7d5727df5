//! The façade over the directory store: its type as the commands use it, and its errors as both
//! front ends report them (the class by the error's kind; a record that failed authentication
//! named as the store read it last).

use coffer_core::Kms;
use coffer_core::error::Error;
use coffer_core::hsm::{Hsm, HsmError};

use crate::api;
use crate::audit::EventLog;
use crate::error::{Class, CliError};
use crate::store::{DirStore, DirStoreError};
use crate::time::CliClock;

/// The façade as the commands use it.
pub(crate) type CliKms<'a, H> = Kms<H, &'a mut DirStore, CliClock, &'a mut EventLog>;

/// A command's failure: from the façade (converted once the store can name the record), or
/// from the request.
pub(crate) type Failure<H> = api::Failure<<H as Hsm>::Error, DirStoreError>;

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
