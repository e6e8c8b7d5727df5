//! coffer serve's requests: any body decoded into its operation's request type, run on a façade.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| coffer_fuzz_bodies::api_request::run(data));
