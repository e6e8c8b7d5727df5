//! What the backend allows concurrently, and its key cache, seen from the public API.
//!
//! A `Pkcs11Hsm` is one session: `Send`, not `Sync`. Several instances on one token run in
//! parallel threads; each loads keys into its own session, and what one seals another opens.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use coffer_core::hsm::{ErrorKind, Hsm, HsmError};
use coffer_hsm_pkcs11::Pkcs11Hsm;
use common::*;
use std::sync::mpsc;

const fn assert_send<T: Send>() {}
const _: () = assert_send::<Pkcs11Hsm>();

#[test]
fn instances_on_one_token_work_in_parallel_threads() {
    let token = fresh_token();
    token.open().create_root_keys().unwrap();
    const THREADS: usize = 4;
    const ROUNDS: usize = 50;
    let (to_checker, from_workers) = mpsc::channel();
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let token = token.clone();
            let to_checker = to_checker.clone();
            scope.spawn(move || {
                let mut hsm = token.open();
                for round in 0..ROUNDS {
                    let wrapped = hsm.generate_key().unwrap();
                    let handle = hsm.load_key(&wrapped).unwrap();
                    let plaintext = format!("thread {t} round {round}").into_bytes();
                    let mut buf = plaintext.clone();
                    let (nonce, tag) = hsm.seal(handle, b"parallel", &mut buf).unwrap();
                    let mac = hsm.mac(&buf).unwrap();
                    hsm.release_key(handle).unwrap();
                    to_checker.send((wrapped, nonce, tag, buf, mac, plaintext)).unwrap();
                }
            });
        }
        drop(to_checker);
        // Another instance, on this thread, opens everything the workers made, as they make it.
        let mut checker = token.open();
        let mut opened = 0;
        for (wrapped, nonce, tag, mut buf, mac, plaintext) in from_workers {
            checker.verify_mac(&buf, &mac).unwrap();
            let handle = checker.load_key(&wrapped).unwrap();
            checker.open(handle, &nonce, b"parallel", &mut buf, &tag).unwrap();
            assert_eq!(buf, plaintext);
            checker.release_key(handle).unwrap();
            opened += 1;
        }
        assert_eq!(opened, THREADS * ROUNDS);
    });
}

#[test]
fn handles_belong_to_their_instance() {
    let token = fresh_token();
    let mut a = token.open();
    a.create_root_keys().unwrap();
    let mut b = token.open();
    let wrapped = a.generate_key().unwrap();
    let in_a = a.load_key(&wrapped).unwrap();
    let in_b = b.load_key(&wrapped).unwrap();
    // Each instance refuses the other's handle, though both name the same key.
    assert_eq!(b.seal(in_a, b"aad", &mut [0u8; 4]).unwrap_err().kind(), ErrorKind::KeyHandleInvalid);
    assert_eq!(a.seal(in_b, b"aad", &mut [0u8; 4]).unwrap_err().kind(), ErrorKind::KeyHandleInvalid);
    assert_eq!(b.release_key(in_a).unwrap_err().kind(), ErrorKind::KeyHandleInvalid);
}

#[test]
fn repeated_loads_cost_no_unwrap_and_the_cache_is_bounded() {
    let token = fresh_token();
    let mut config = token.config();
    config.key_cache_capacity = 2;
    let mut hsm = Pkcs11Hsm::open(config).unwrap();
    hsm.create_root_keys().unwrap();
    let keys: Vec<_> = (0..3).map(|_| hsm.generate_key().unwrap()).collect();

    for _ in 0..10 {
        let handle = hsm.load_key(&keys[0]).unwrap();
        hsm.seal(handle, b"aad", &mut [0u8; 8]).unwrap();
        hsm.release_key(handle).unwrap();
        // A released handle is dead even though its key stays loaded.
        assert_eq!(hsm.seal(handle, b"aad", &mut [0u8; 8]).unwrap_err().kind(), ErrorKind::KeyHandleInvalid);
    }
    assert_eq!((hsm.unwrap_count(), hsm.loaded_keys()), (1, 1));

    let h1 = hsm.load_key(&keys[1]).unwrap();
    assert_eq!((hsm.unwrap_count(), hsm.loaded_keys()), (2, 2));
    // Full, with key 1 held: key 2 evicts key 0, the least recently used unheld key.
    let h2 = hsm.load_key(&keys[2]).unwrap();
    assert_eq!((hsm.unwrap_count(), hsm.loaded_keys()), (3, 2));
    // Both held now: no room for a third.
    assert_eq!(hsm.load_key(&keys[0]).unwrap_err().kind(), ErrorKind::NoFreeSlot);
    hsm.release_key(h1).unwrap();
    let h0 = hsm.load_key(&keys[0]).unwrap();
    assert_eq!((hsm.unwrap_count(), hsm.loaded_keys()), (4, 2));
    // The token holds exactly the two cached objects, under the loaded-key label.
    let session = token.session();
    let loaded = session
        .find_objects(&[coffer_hsm_pkcs11::cryptoki::object::Attribute::Label(b"coffer-loaded".to_vec())])
        .unwrap();
    assert_eq!(loaded.len(), 2);
    for h in [h0, h2] {
        hsm.seal(h, b"aad", &mut [0u8; 8]).unwrap();
    }
}

/// A cached object is checked before reuse (its CKA_ID is its wrapped bytes): one removed
/// behind the backend's back is unwrapped again, not used blindly.
#[test]
fn cached_object_is_checked_before_reuse() {
    let token = fresh_token();
    let mut hsm = token.open();
    hsm.create_root_keys().unwrap();
    let wrapped = hsm.generate_key().unwrap();
    let handle = hsm.load_key(&wrapped).unwrap();
    hsm.release_key(handle).unwrap();
    let session = token.session();
    let loaded = session
        .find_objects(&[coffer_hsm_pkcs11::cryptoki::object::Attribute::Id(wrapped.as_bytes().to_vec())])
        .unwrap();
    assert_eq!(loaded.len(), 1, "the loaded key carries its wrapped bytes as CKA_ID");
    session.destroy_object(loaded[0]).unwrap();
    let handle = hsm.load_key(&wrapped).unwrap();
    assert_eq!(hsm.unwrap_count(), 2);
    hsm.seal(handle, b"aad", &mut [0u8; 8]).unwrap();
}

/// A wrapped key that fails to load evicts nothing from a full cache.
#[test]
fn failed_load_keeps_the_cache() {
    let token = fresh_token();
    let mut config = token.config();
    config.key_cache_capacity = 1;
    let mut hsm = Pkcs11Hsm::open(config).unwrap();
    hsm.create_root_keys().unwrap();
    let wrapped = hsm.generate_key().unwrap();
    let handle = hsm.load_key(&wrapped).unwrap();
    hsm.release_key(handle).unwrap();
    let mut forged = wrapped.clone();
    forged.0[5] ^= 1;
    assert_eq!(hsm.load_key(&forged).unwrap_err().kind(), ErrorKind::AuthenticationFailed);
    assert_eq!(hsm.loaded_keys(), 1);
    hsm.load_key(&wrapped).unwrap();
    assert_eq!(hsm.unwrap_count(), 1);
}

#[test]
fn generated_key_versions_leave_no_object_behind() {
    let token = fresh_token();
    let mut hsm = token.open();
    hsm.create_root_keys().unwrap();
    let session = token.session();
    let before = session.find_objects(&[]).unwrap().len();
    for _ in 0..5 {
        hsm.generate_key().unwrap();
    }
    assert_eq!(session.find_objects(&[]).unwrap().len(), before);
}
