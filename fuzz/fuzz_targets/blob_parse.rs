//! Ciphertext blob header parsing: any bytes either parse or give `InvalidBlob`, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| coffer_fuzz_bodies::parsers::blob_parse(data));
