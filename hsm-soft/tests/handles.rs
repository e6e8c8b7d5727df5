//! Key slots and handles: capacity, release, stale handles.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use coffer_core::hsm::{ErrorKind, Hsm, Nonce, Tag};
use coffer_hsm_soft::{SoftHandle, SoftHsm};
use common::*;

fn seal_ok<H: Hsm>(hsm: &mut H, key: H::Handle) -> bool {
    let mut buf = [1u8; 8];
    hsm.seal(key, b"aad", &mut buf).is_ok()
}

#[test]
fn default_capacity_is_eight_then_no_free_slot() {
    let mut hsm = fresh_hsm();
    let wrapped = hsm.generate_key().unwrap();
    let handles: Vec<SoftHandle> = (0..8).map(|_| hsm.load_key(&wrapped).unwrap()).collect();
    assert_eq!(kind(hsm.load_key(&wrapped)), Some(ErrorKind::NoFreeSlot));
    // Distinct handles, all usable.
    for (i, h) in handles.iter().enumerate() {
        assert!(handles[..i].iter().all(|other| other != h));
        assert!(seal_ok(&mut hsm, *h));
    }
}

#[test]
fn capacity_follows_the_const_parameter() {
    let mut hsm: SoftHsm<_, 2> = SoftHsm::new(getrandom::SysRng);
    hsm.create_root_keys().unwrap();
    let wrapped = hsm.generate_key().unwrap();
    let a = hsm.load_key(&wrapped).unwrap();
    hsm.load_key(&wrapped).unwrap();
    assert_eq!(kind(hsm.load_key(&wrapped)), Some(ErrorKind::NoFreeSlot));

    // Releasing frees exactly one slot.
    hsm.release_key(a).unwrap();
    hsm.load_key(&wrapped).unwrap();
    assert_eq!(kind(hsm.load_key(&wrapped)), Some(ErrorKind::NoFreeSlot));

    let mut none: SoftHsm<_, 0> = SoftHsm::new(getrandom::SysRng);
    none.create_root_keys().unwrap();
    let wrapped = none.generate_key().unwrap();
    assert_eq!(kind(none.load_key(&wrapped)), Some(ErrorKind::NoFreeSlot));
}

#[test]
fn a_released_handle_is_invalid_everywhere() {
    let mut hsm = fresh_hsm();
    let wrapped = hsm.generate_key().unwrap();
    let h = hsm.load_key(&wrapped).unwrap();
    let mut buf = [0u8; 16];
    let (nonce, tag) = hsm.seal(h, b"aad", &mut buf).unwrap();
    hsm.release_key(h).unwrap();

    let mut again = buf;
    assert_eq!(kind(hsm.seal(h, b"aad", &mut again)), Some(ErrorKind::KeyHandleInvalid));
    assert_eq!(kind(hsm.open(h, &nonce, b"aad", &mut again, &tag)), Some(ErrorKind::KeyHandleInvalid));
    assert_eq!(kind(hsm.release_key(h)), Some(ErrorKind::KeyHandleInvalid));
}

#[test]
fn a_stale_handle_does_not_reach_the_key_that_reused_its_slot() {
    let mut hsm: SoftHsm<_, 1> = SoftHsm::new(getrandom::SysRng);
    hsm.create_root_keys().unwrap();
    let first = new_key(&mut hsm);
    hsm.release_key(first).unwrap();
    let second = new_key(&mut hsm);
    assert_ne!(first, second);

    let mut buf = [0u8; 4];
    assert_eq!(kind(hsm.seal(first, b"aad", &mut buf)), Some(ErrorKind::KeyHandleInvalid));
    assert_eq!(
        kind(hsm.open(first, &Nonce([0; 12]), b"aad", &mut buf, &Tag([0; 16]))),
        Some(ErrorKind::KeyHandleInvalid)
    );
    assert_eq!(kind(hsm.release_key(first)), Some(ErrorKind::KeyHandleInvalid));
    // The new key is untouched by all that.
    assert!(seal_ok(&mut hsm, second));
    hsm.release_key(second).unwrap();
}

#[test]
fn a_handle_from_a_larger_hsm_is_refused() {
    let mut big: SoftHsm<_, 4> = SoftHsm::new(getrandom::SysRng);
    big.create_root_keys().unwrap();
    let wrapped = big.generate_key().unwrap();
    let handles: Vec<_> = (0..4).map(|_| big.load_key(&wrapped).unwrap()).collect();

    let mut small: SoftHsm<_, 1> = SoftHsm::new(getrandom::SysRng);
    small.create_root_keys().unwrap();
    // Slot 3 does not exist in a one-slot HSM; slot 0 is empty.
    for h in handles {
        let mut buf = [0u8; 4];
        assert_eq!(kind(small.seal(h, b"aad", &mut buf)), Some(ErrorKind::KeyHandleInvalid));
    }
}

#[test]
fn loading_never_leaves_a_slot_taken_on_failure() {
    let mut hsm: SoftHsm<_, 1> = SoftHsm::new(getrandom::SysRng);
    hsm.create_root_keys().unwrap();
    let mut wrapped = hsm.generate_key().unwrap();
    wrapped.0[0] ^= 1;
    for _ in 0..3 {
        assert_eq!(kind(hsm.load_key(&wrapped)), Some(ErrorKind::AuthenticationFailed));
    }
    wrapped.0[0] ^= 1;
    hsm.load_key(&wrapped).unwrap();
}
