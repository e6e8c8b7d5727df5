//! Key id, alias name and ARN parsing.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| coffer_fuzz_bodies::parsers::key_ref_parse(data));
