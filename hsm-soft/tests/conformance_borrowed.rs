//! The conformance suite through a borrowed HSM: every check runs on `&mut SoftHsm`, which is an
//! `Hsm` by core's `impl<H: Hsm + ?Sized> Hsm for &mut H`, so each trait method is shown to
//! forward (a method that forwarded to the wrong one, or not at all, fails a check here). A
//! façade that borrows its HSM leaves it with its owner, who uses it again.

// Test support: a broken HSM constructor fails the test by panicking.
#![allow(clippy::panic, clippy::unwrap_used)]

use coffer_core::audit::NoAudit;
use coffer_core::clock::ManualClock;
use coffer_core::hsm::Hsm;
use coffer_core::{EncryptionContext, Kms, KmsConfig, MemoryStore};
use coffer_hsm_soft::SoftHsm;
use getrandom::SysRng;
use rand_core::UnwrapErr;

/// A fresh software HSM with new root keys, borrowed for the whole test (the suite takes an
/// `Hsm` by value; a leaked box gives the `&'static mut` it then owns).
fn borrowed() -> &'static mut SoftHsm<UnwrapErr<SysRng>> {
    let mut hsm: SoftHsm<_> = SoftHsm::new(UnwrapErr(SysRng));
    if let Err(e) = hsm.create_root_keys() {
        panic!("create_root_keys on a new SoftHsm: {e}");
    }
    Box::leak(Box::new(hsm))
}

coffer_conformance::suite!(borrowed());

#[test]
fn a_facade_over_a_borrowed_hsm_leaves_it_with_its_owner() {
    let mut hsm: SoftHsm<_> = SoftHsm::new(UnwrapErr(SysRng));
    hsm.create_root_keys().unwrap();
    let mut store = Box::new(MemoryStore::<8>::new());
    let ctx = EncryptionContext::empty();
    let (key, blob) = {
        let mut kms = Kms::new(&mut hsm, &mut *store, ManualClock::new(1), NoAudit, KmsConfig::default()).unwrap();
        let key = kms.create_key("").unwrap().key_id.to_string();
        let blob = kms.encrypt(&key, b"borrowed", &ctx).unwrap().ciphertext_blob;
        (key, blob)
    };
    let mut random = [0u8; 16];
    hsm.fill_random(&mut random).unwrap();
    let mut kms = Kms::new(&mut hsm, &mut *store, ManualClock::new(1), NoAudit, KmsConfig::default()).unwrap();
    let opened = kms.decrypt(blob.as_bytes(), &ctx, Some(&key)).unwrap();
    assert_eq!(opened.plaintext.as_bytes(), b"borrowed");
}
