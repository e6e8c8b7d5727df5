//! Seal and open under a loaded key: round trips, argument rules, tamper detection.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use coffer_core::hsm::{ErrorKind, Hsm, MAX_SEAL_LEN, Nonce, Tag};
use common::*;

const PT: &[u8] = b"the plaintext, a little over two AES blocks long";
const AAD: &[u8] = b"key id 1234 / version 2 / context";

#[test]
fn round_trip_for_many_lengths() {
    let mut hsm = fresh_hsm();
    let h = new_key(&mut hsm);
    for len in [0usize, 1, 15, 16, 17, 64, 1000, MAX_SEAL_LEN] {
        let pt: Vec<u8> = (0..len).map(|i| u8::try_from(i * 7 % 256).unwrap()).collect();
        let mut buf = pt.clone();
        let (nonce, tag) = hsm.seal(h, AAD, &mut buf).unwrap();
        if len >= 16 {
            assert_ne!(buf, pt, "len {len}: not encrypted");
        }
        hsm.open(h, &nonce, AAD, &mut buf, &tag).unwrap();
        assert_eq!(buf, pt, "len {len}");
    }
}

#[test]
fn every_seal_draws_a_new_nonce() {
    let mut hsm = fresh_hsm();
    let h = new_key(&mut hsm);
    let nonces: Vec<Nonce> = (0..64)
        .map(|_| {
            let mut buf = *b"same";
            hsm.seal(h, AAD, &mut buf).unwrap().0
        })
        .collect();
    for (i, n) in nonces.iter().enumerate() {
        assert!(nonces[..i].iter().all(|m| m != n), "nonce repeated");
    }
}

#[test]
fn two_keys_generated_are_different_keys() {
    let mut hsm = fresh_hsm();
    let a = new_key(&mut hsm);
    let b = new_key(&mut hsm);
    let mut buf = PT.to_vec();
    let (nonce, tag) = hsm.seal(a, AAD, &mut buf).unwrap();
    assert_eq!(kind(hsm.open(b, &nonce, AAD, &mut buf, &tag)), Some(ErrorKind::AuthenticationFailed));
}

#[test]
fn empty_aad_is_refused_by_seal_and_open() {
    let mut hsm = fresh_hsm();
    let h = new_key(&mut hsm);
    let mut buf = PT.to_vec();
    assert_eq!(kind(hsm.seal(h, b"", &mut buf)), Some(ErrorKind::InvalidInput));
    assert_eq!(buf, PT, "refused seal must not touch the buffer");
    let (nonce, tag) = hsm.seal(h, AAD, &mut buf).unwrap();
    assert_eq!(kind(hsm.open(h, &nonce, b"", &mut buf, &tag)), Some(ErrorKind::InvalidInput));
}

#[test]
fn max_seal_len_is_accepted_and_one_more_byte_refused() {
    let mut hsm = fresh_hsm();
    let h = new_key(&mut hsm);
    let mut buf = vec![0x5a; MAX_SEAL_LEN];
    let (nonce, tag) = hsm.seal(h, AAD, &mut buf).unwrap();
    hsm.open(h, &nonce, AAD, &mut buf, &tag).unwrap();
    assert!(buf.iter().all(|&b| b == 0x5a));

    let mut long = vec![0x5a; MAX_SEAL_LEN + 1];
    assert_eq!(kind(hsm.seal(h, AAD, &mut long)), Some(ErrorKind::InvalidInput));
    assert!(long.iter().all(|&b| b == 0x5a));
    assert_eq!(kind(hsm.open(h, &nonce, AAD, &mut long, &tag)), Some(ErrorKind::InvalidInput));
}

fn assert_refused<H: Hsm>(hsm: &mut H, h: H::Handle, nonce: &Nonce, aad: &[u8], ct: &[u8], tag: &Tag, what: &str) {
    let mut buf = ct.to_vec();
    let r = hsm.open(h, nonce, aad, &mut buf, tag);
    assert_eq!(kind(r), Some(ErrorKind::AuthenticationFailed), "{what}");
    assert!(buf.iter().all(|&b| b == 0), "{what}: buffer holds more than zeros");
}

#[test]
fn every_single_bit_flip_is_refused_and_leaves_no_plaintext() {
    let mut hsm = fresh_hsm();
    let h = new_key(&mut hsm);
    let mut ct = PT.to_vec();
    let (nonce, tag) = hsm.seal(h, AAD, &mut ct).unwrap();

    for bit in 0..ct.len() * 8 {
        let mut bad = ct.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        assert_refused(&mut hsm, h, &nonce, AAD, &bad, &tag, &format!("ciphertext bit {bit}"));
    }
    for bit in 0..128 {
        let mut bad = tag;
        bad.0[bit / 8] ^= 1 << (bit % 8);
        assert_refused(&mut hsm, h, &nonce, AAD, &ct, &bad, &format!("tag bit {bit}"));
    }
    for bit in 0..96 {
        let mut bad = nonce;
        bad.0[bit / 8] ^= 1 << (bit % 8);
        assert_refused(&mut hsm, h, &bad, AAD, &ct, &tag, &format!("nonce bit {bit}"));
    }
    for bit in 0..AAD.len() * 8 {
        let mut bad = AAD.to_vec();
        bad[bit / 8] ^= 1 << (bit % 8);
        assert_refused(&mut hsm, h, &nonce, &bad, &ct, &tag, &format!("aad bit {bit}"));
    }
    // Truncated and extended AAD and ciphertext.
    assert_refused(&mut hsm, h, &nonce, &AAD[..AAD.len() - 1], &ct, &tag, "aad truncated");
    assert_refused(&mut hsm, h, &nonce, &[AAD, b"x"].concat(), &ct, &tag, "aad extended");
    assert_refused(&mut hsm, h, &nonce, AAD, &ct[..ct.len() - 1], &tag, "ciphertext truncated");
    assert_refused(&mut hsm, h, &nonce, AAD, &[&ct[..], &[0]].concat(), &tag, "ciphertext extended");

    // And the untouched message still opens.
    hsm.open(h, &nonce, AAD, &mut ct, &tag).unwrap();
    assert_eq!(ct, PT);
}

#[test]
fn a_failed_generator_fails_the_seal_without_touching_the_buffer() {
    // 64 bytes of root keys, 32 of key material, then nothing.
    let mut hsm: coffer_hsm_soft::SoftHsm<_> = coffer_hsm_soft::SoftHsm::new(BudgetRng { budget: 96 });
    hsm.create_root_keys().unwrap();
    let h = new_key(&mut hsm);
    let mut buf = PT.to_vec();
    assert_eq!(kind(hsm.seal(h, AAD, &mut buf)), Some(ErrorKind::RandomFailure));
    assert_eq!(buf, PT);
    let mut dest = [0u8; 1];
    assert_eq!(kind(hsm.fill_random(&mut dest)), Some(ErrorKind::RandomFailure));
}
