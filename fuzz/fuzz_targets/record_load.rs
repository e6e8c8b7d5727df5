//! Loading a sealed key record from arbitrary bytes: refused as CorruptRecord, never a panic.
#![no_main]

mod common;

use coffer_core::Error;
use coffer_core::clock::ManualClock;
use coffer_core::store::{KeyStore, MemoryStore, RecordKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let clock = ManualClock::new(1_700_000_000);
    let mut store = Box::new(MemoryStore::<4>::new());
    let mut ids = [coffer_core::KeyId::from_bytes([0; 16])];
    let name = {
        let mut kms = common::kms_with_key(&mut store, &clock);
        kms.list_keys(None, &mut ids).expect("list");
        ids[0].to_string()
    };
    if store.put(RecordKind::Key, &name, data).is_err() {
        return;
    }
    let mut kms = common::kms(&mut store, &clock);
    match kms.describe_key(&name) {
        Err(Error::CorruptRecord) => {}
        other => panic!("arbitrary record bytes gave {other:?}"),
    }
    let _ = kms.maintenance().expect("maintenance skips corrupt records");
});
