//! Encryption-context decoding: only canonical encodings are accepted, and they re-encode to
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| coffer_fuzz_bodies::parsers::context_decode(data));
