//! Decrypt and ReEncrypt of arbitrary bytes: an error, never a panic; and nothing forged opens.
#![no_main]

mod common;

use coffer_core::clock::ManualClock;
use coffer_core::store::MemoryStore;
use coffer_core::{EncryptionContext, Error};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let clock = ManualClock::new(1_700_000_000);
    let mut store = Box::new(MemoryStore::<4>::new());
    let mut kms = common::kms_with_key(&mut store, &clock);
    let ctx = EncryptionContext::empty();
    match kms.decrypt(data, &ctx, None) {
        Ok(_) => panic!("forged ciphertext was accepted"),
        Err(Error::InvalidCiphertext | Error::NotFound | Error::Validation(_)) => {}
        Err(other) => panic!("unexpected error {other:?}"),
    }
    let mut ids = [coffer_core::KeyId::from_bytes([0; 16])];
    kms.list_keys(None, &mut ids).expect("list");
    let target = ids[0].to_string();
    assert!(kms.re_encrypt(data, &ctx, None, &target, &ctx).is_err());
});
