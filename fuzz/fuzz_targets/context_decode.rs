//! Encryption-context decoding: only canonical encodings are accepted, and they re-encode to
//! the same bytes.
#![no_main]

use coffer_core::EncryptionContext;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ctx) = EncryptionContext::decode(data) {
        let mut out = [0u8; coffer_core::data::MAX_CONTEXT_ENCODED_LEN];
        let n = ctx.encode(&mut out).expect("a decoded context encodes");
        assert_eq!(&out[..n], data, "decode accepted a non-canonical encoding");
    }
});
