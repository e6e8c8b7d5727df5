//! The bodies of Coffer's fuzz targets, as plain functions.
//!
//! Each target in `fuzz/fuzz_targets/` is one line that hands libFuzzer's input to a function
//! here. The same functions are what `tests/replay.rs` calls for every committed corpus entry
//! (`fuzz/corpus/<target>/`) and every crash kept as a regression (`fuzz/regressions/<target>/`),
//! so a regression shows in `cargo test` on stable, without nightly or libFuzzer.
//!
//! A body panics when it finds something wrong: that is how libFuzzer learns of a crash, and how
//! the replay test fails.

// Fuzzing support, never shipped (`publish = false`): a failed check panics, which is how a fuzz
// target reports a finding; indexing a slice whose length was checked is how the bodies read.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::missing_panics_doc)]
// A std-only test crate: std collections, and the model's `Result`s are its predictions, not
// errors a caller handles.
#![allow(
    clippy::std_instead_of_alloc,
    clippy::std_instead_of_core,
    clippy::missing_errors_doc,
    clippy::type_complexity
)]
#![forbid(unsafe_code)]

// The coffer command is a binary crate: its `--query` and output modules (`cli_query`) and its
// operation table (`api_request`) are compiled here from their files, with the two modules of
// it they use, at the same place.
#[path = "../../../cli/src/error.rs"]
#[allow(dead_code)]
mod error;
#[path = "../../../cli/src/exact.rs"]
#[allow(dead_code)]
mod exact;

pub mod api_request;
pub mod cli_query;
pub mod common;
pub mod corpus;
pub mod kms_model;
pub mod message;
pub mod parsers;
pub mod sealed;

/// Every target: its name (the `[[bin]]` in `fuzz/Cargo.toml`, the folder under `fuzz/corpus/`
/// and `fuzz/regressions/`) and its body.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("blob_parse", parsers::blob_parse),
    ("context_decode", parsers::context_decode),
    ("key_ref_parse", parsers::key_ref_parse),
    ("decrypt", sealed::decrypt),
    ("record_load", sealed::record_load),
    ("message_header_parse", message::header_parse::run),
    ("message_decrypt_stream", message::decrypt_stream::run),
    ("message_round_trip", message::round_trip::run),
    ("message_cache", message::cache::run),
    ("kms_model", kms_model::run),
    ("cli_query", cli_query::run),
    ("api_request", api_request::run),
];

/// The body of the target called `name`.
pub fn body(name: &str) -> Option<fn(&[u8])> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}
