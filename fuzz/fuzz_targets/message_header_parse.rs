//! Message header parsing of arbitrary bytes: a typed error or a header, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| coffer_fuzz_bodies::message::header_parse::run(data));
