//! Streaming decryption of arbitrary or mutated messages in arbitrary chunk sizes: an error,
//! never a panic; only a genuine message decrypts, to its plaintext.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| coffer_fuzz_bodies::message::decrypt_stream::run(data));
