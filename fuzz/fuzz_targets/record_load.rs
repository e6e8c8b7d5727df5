//! Loading a sealed key record from arbitrary bytes: refused as CorruptRecord, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| coffer_fuzz_bodies::sealed::record_load(data));
