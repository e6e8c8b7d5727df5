//! Ciphertext blob header parsing: any bytes either parse or give `InvalidBlob`, never a panic.
#![no_main]

use coffer_core::data::BlobHeader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = BlobHeader::parse(data) {
        // A blob that parses names its key in its bytes 1..17.
        assert_eq!(&data[1..17], header.key_id.as_bytes());
    }
});
