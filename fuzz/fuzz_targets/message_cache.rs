//! The data-key cache under arbitrary request sequences: its limits hold, only genuine messages
//! decrypt through it, every message decrypts without it, keyring calls are counted exactly.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| coffer_fuzz_bodies::message::cache::run(data));
