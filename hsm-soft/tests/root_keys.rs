//! Root keys: creation, absence, the wrapped-key boundary, MACs, and sealed export/import.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use coffer_core::hsm::{Capabilities, ErrorKind, Hsm, Mac, WrappedKey};
use coffer_hsm_soft::{RootKeyMaterial, SEALED_ROOT_KEYS_LEN, SoftError, SoftHsm};
use common::*;
use getrandom::SysRng;

#[test]
fn capabilities_are_the_required_set_plus_root_key_creation() {
    let hsm: SoftHsm<_> = SoftHsm::new(SysRng);
    let caps = hsm.capabilities();
    assert!(caps.contains(Capabilities::REQUIRED));
    assert!(caps.contains(Capabilities::CREATE_ROOT_KEYS));
    assert!(!caps.contains(Capabilities::NON_EXTRACTABLE_KEYS));
    assert!(!caps.contains(Capabilities::HMAC_KEYS));
    assert_eq!(caps, Capabilities::REQUIRED.union(Capabilities::CREATE_ROOT_KEYS));
}

#[test]
fn without_root_keys_everything_that_needs_them_says_so() {
    let mut hsm: SoftHsm<_> = SoftHsm::new(SysRng);
    let not_found = Some(ErrorKind::RootKeysNotFound);
    assert_eq!(kind(hsm.find_root_keys()), not_found);
    assert_eq!(kind(hsm.generate_key()), not_found);
    assert_eq!(kind(hsm.load_key(&WrappedKey([0; 40]))), not_found);
    assert_eq!(kind(hsm.mac(b"x")), not_found);
    assert_eq!(kind(hsm.verify_mac(b"x", &Mac([0; 32]))), not_found);
    assert_eq!(hsm.export_root_keys(&[0; 32]).err(), Some(SoftError::RootKeysNotFound));
    // Random bytes need no root keys.
    let mut a = [0u8; 32];
    let mut b = [0u8; 32];
    hsm.fill_random(&mut a).unwrap();
    hsm.fill_random(&mut b).unwrap();
    assert_ne!(a, b);

    hsm.create_root_keys().unwrap();
    hsm.find_root_keys().unwrap();
    hsm.generate_key().unwrap();
}

#[test]
fn root_keys_are_never_replaced() {
    let mut hsm = fresh_hsm();
    let mac = hsm.mac(b"record").unwrap();
    assert_eq!(kind(hsm.create_root_keys()), Some(ErrorKind::RootKeysExist));
    hsm.verify_mac(b"record", &mac).unwrap();

    let (mut given, _) = known_hsm();
    assert_eq!(kind(given.create_root_keys()), Some(ErrorKind::RootKeysExist));
}

#[test]
fn a_generator_failing_midway_leaves_no_root_keys() {
    let mut hsm: SoftHsm<_> = SoftHsm::new(BudgetRng { budget: 40 });
    assert_eq!(kind(hsm.create_root_keys()), Some(ErrorKind::RandomFailure));
    assert_eq!(kind(hsm.find_root_keys()), Some(ErrorKind::RootKeysNotFound));
}

#[test]
fn two_hsms_create_different_root_keys() {
    let mut a = fresh_hsm();
    let mut b = fresh_hsm();
    assert_ne!(a.mac(b"same").unwrap().0, b.mac(b"same").unwrap().0);
    let wrapped = a.generate_key().unwrap();
    assert_eq!(kind(b.load_key(&wrapped)), Some(ErrorKind::AuthenticationFailed));
}

#[test]
fn a_wrapped_key_with_any_bit_flipped_does_not_load() {
    let mut hsm: SoftHsm<_, 1> = SoftHsm::new(SysRng);
    hsm.create_root_keys().unwrap();
    let wrapped = hsm.generate_key().unwrap();
    for bit in 0..40 * 8 {
        let mut bad = wrapped.clone();
        bad.0[bit / 8] ^= 1 << (bit % 8);
        assert_eq!(kind(hsm.load_key(&bad)), Some(ErrorKind::AuthenticationFailed), "bit {bit}");
    }
    // No slot was consumed by the failures.
    hsm.load_key(&wrapped).unwrap();
}

#[test]
fn a_key_wrapped_under_another_root_does_not_load() {
    let (mut hsm, _) = known_hsm();
    let other_root = seq(0xc0);
    let wrapped = host_wrap_key(&other_root, &seq(0x80));
    assert_eq!(kind(hsm.load_key(&wrapped)), Some(ErrorKind::AuthenticationFailed));
    // The same key under the right root loads.
    hsm.load_key(&host_wrap_key(&ROOT_WRAPPING, &seq(0x80))).unwrap();
}

#[test]
fn validly_wrapped_material_of_another_length_is_invalid_input() {
    // 25 to 32 bytes all wrap to 40 bytes; only 32 is an AES-256 key.
    let (mut hsm, _) = known_hsm();
    for len in 25..32 {
        let wrapped = WrappedKey(host_wrap(&ROOT_WRAPPING, &seq(0x80)[..len]).try_into().unwrap());
        assert_eq!(kind(hsm.load_key(&wrapped)), Some(ErrorKind::InvalidInput), "len {len}");
    }
}

#[test]
fn verify_mac_refuses_any_changed_bit_of_mac_or_data() {
    let mut hsm = fresh_hsm();
    let data = b"key record: id, spec, state, versions";
    let mac = hsm.mac(data).unwrap();
    hsm.verify_mac(data, &mac).unwrap();
    for bit in 0..256 {
        let mut bad = mac;
        bad.0[bit / 8] ^= 1 << (bit % 8);
        assert_eq!(kind(hsm.verify_mac(data, &bad)), Some(ErrorKind::AuthenticationFailed), "mac bit {bit}");
    }
    for bit in 0..data.len() * 8 {
        let mut bad = data.to_vec();
        bad[bit / 8] ^= 1 << (bit % 8);
        assert_eq!(kind(hsm.verify_mac(&bad, &mac)), Some(ErrorKind::AuthenticationFailed), "data bit {bit}");
    }
    assert_eq!(kind(hsm.verify_mac(&data[1..], &mac)), Some(ErrorKind::AuthenticationFailed));
}

const KEK: [u8; 32] = [0x4b; 32];

#[test]
fn exported_root_keys_import_into_an_equivalent_hsm() {
    let mut first = fresh_hsm();
    let wrapped = first.generate_key().unwrap();
    let h = first.load_key(&wrapped).unwrap();
    let mut buf = *b"sealed before export";
    let (nonce, tag) = first.seal(h, b"aad", &mut buf).unwrap();
    let mac = first.mac(b"record").unwrap();

    let sealed = first.export_root_keys(&KEK).unwrap();
    assert_eq!(sealed.as_bytes().len(), SEALED_ROOT_KEYS_LEN);
    assert_eq!(&sealed.as_bytes()[..4], b"CSR1");
    // A fresh nonce each time.
    assert_ne!(first.export_root_keys(&KEK).unwrap(), sealed);

    let mut second: SoftHsm<_> = SoftHsm::import_root_keys(SysRng, sealed.as_bytes(), &KEK).unwrap();
    second.find_root_keys().unwrap();
    assert_eq!(kind(second.create_root_keys()), Some(ErrorKind::RootKeysExist));
    second.verify_mac(b"record", &mac).unwrap();
    let h2 = second.load_key(&wrapped).unwrap();
    second.open(h2, &nonce, b"aad", &mut buf, &tag).unwrap();
    assert_eq!(&buf, b"sealed before export");
    // And the other way round.
    let wrapped2 = second.generate_key().unwrap();
    first.load_key(&wrapped2).unwrap();
}

#[test]
fn known_root_keys_survive_export_and_import() {
    let (mut hsm, _) = known_hsm();
    let sealed = hsm.export_root_keys(&KEK).unwrap();
    let mut back: SoftHsm<_> = SoftHsm::import_root_keys(SysRng, sealed.as_bytes(), &KEK).unwrap();
    // The sealing key came back: the MAC equals the one under the known key.
    assert_eq!(back.mac(b"x").unwrap().0, known_hsm().0.mac(b"x").unwrap().0);
    // The wrapping key came back: a key wrapped under the known root loads.
    back.load_key(&host_wrap_key(&ROOT_WRAPPING, &seq(0x80))).unwrap();
}

fn import(bytes: &[u8], kek: &[u8; 32]) -> Option<ErrorKind> {
    kind(SoftHsm::<_>::import_root_keys(SysRng, bytes, kek))
}

#[test]
fn sealed_root_keys_refuse_wrong_kek_any_bit_flip_and_any_length() {
    let mut hsm = fresh_hsm();
    let sealed = hsm.export_root_keys(&KEK).unwrap();
    let bytes = sealed.as_bytes();

    let mut wrong = KEK;
    wrong[31] ^= 1;
    assert_eq!(import(bytes, &wrong), Some(ErrorKind::AuthenticationFailed));
    assert_eq!(import(bytes, &[0; 32]), Some(ErrorKind::AuthenticationFailed));

    for bit in 0..SEALED_ROOT_KEYS_LEN * 8 {
        let mut bad = *bytes;
        bad[bit / 8] ^= 1 << (bit % 8);
        let want = if bit < 32 { ErrorKind::InvalidInput } else { ErrorKind::AuthenticationFailed };
        assert_eq!(import(&bad, &KEK), Some(want), "bit {bit}");
    }
    for len in 0..SEALED_ROOT_KEYS_LEN {
        assert_eq!(import(&bytes[..len], &KEK), Some(ErrorKind::InvalidInput), "truncated to {len}");
    }
    let longer = [&bytes[..], &[0]].concat();
    assert_eq!(import(&longer, &KEK), Some(ErrorKind::InvalidInput));
    assert_eq!(import(&[0u8; SEALED_ROOT_KEYS_LEN], &KEK), Some(ErrorKind::InvalidInput));
    let mut only_magic = [0u8; SEALED_ROOT_KEYS_LEN];
    only_magic[..4].copy_from_slice(b"CSR1");
    assert_eq!(import(&only_magic, &KEK), Some(ErrorKind::AuthenticationFailed));

    // The original still imports.
    assert_eq!(import(bytes, &KEK), None);
}

#[test]
fn with_root_keys_takes_the_material_as_given() {
    let material = RootKeyMaterial::new(ROOT_WRAPPING, ROOT_SEALING);
    let mut hsm: SoftHsm<_> = SoftHsm::with_root_keys(SysRng, material);
    hsm.find_root_keys().unwrap();
    assert_eq!(hsm.mac(b"x").unwrap().0, known_hsm().0.mac(b"x").unwrap().0);
}
