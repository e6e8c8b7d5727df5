//! Decrypt and ReEncrypt of arbitrary bytes: an error, never a panic; and nothing forged opens.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| coffer_fuzz_bodies::sealed::decrypt(data));
