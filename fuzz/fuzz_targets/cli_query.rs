//! The coffer command's `--query`: JMESPath compiled, searched over an answer, printed.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| coffer_fuzz_bodies::cli_query::run(data));
