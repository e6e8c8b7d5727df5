//! Encrypt then decrypt arbitrary plaintext, both suites, arbitrary frame lengths and chunking:
//! the plaintext comes back, and the message bytes do not depend on the chunking.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| coffer_fuzz_bodies::message::round_trip::run(data));
