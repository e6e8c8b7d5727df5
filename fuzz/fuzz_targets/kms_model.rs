//! A stateful differential target: arbitrary operation sequences on the façade, each checked
//! against a reference model (`fuzz/bodies/src/kms_model/`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| coffer_fuzz_bodies::kms_model::run(data));
