//! Every tamper case of the spec is refused with the one opaque error: header edits, frame
//! reorder, a frame from another message, truncation (including of the final frame and the
//! footer), trailing bytes, wrong context, wrong key, signature edits; and legacy suites are
//! refused with their own clear error.

// The tests cover both suites: they need the signed one (default feature), and std.
#![cfg(all(feature = "ecdsa-p384", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use coffer_core::EncryptionContext;
use coffer_core::message::{
    AlgorithmSuite, DecryptError, Limits, MultiKeyring, RawAesKeyring, SuiteError, decrypt_buffered,
};
use common::*;

const FRAME: u32 = 64;
const SIGNED: AlgorithmSuite = AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384;
const UNSIGNED: AlgorithmSuite = AlgorithmSuite::AesGcm256HkdfSha512Commit;

fn ctx() -> EncryptionContext<'static> {
    EncryptionContext::new(&[("purpose", "tamper"), ("tenant", "acme")]).unwrap()
}

/// A message of three regular frames and a final frame of 10 bytes, and its header length.
fn message(suite: AlgorithmSuite, seed: u64) -> (Vec<u8>, usize) {
    let pt = plaintext(3 * FRAME as usize + 10);
    let msg = encrypt_with(&mut keyring_a(), &ctx(), &config(suite, FRAME), seed, &pt, 4096, 4096);
    let header = header_len_guess(&msg);
    (msg, header)
}

/// The header length, found by parsing.
fn header_len_guess(msg: &[u8]) -> usize {
    coffer_core::message::Header::parse(msg, &Limits::default()).unwrap().1
}

fn refused(msg: &[u8]) {
    assert_eq!(decrypt(msg, &ctx()), Err(DecryptError::Invalid));
}

#[test]
fn every_single_bit_flip_in_the_header_is_refused() {
    for suite in suites() {
        let (msg, header) = message(suite, 1);
        assert!(decrypt(&msg, &ctx()).is_ok());
        for at in 0..header {
            let mut bad = msg.clone();
            bad[at] ^= 0x01;
            let r = decrypt(&bad, &ctx());
            assert!(r.is_err(), "{suite:?}: flip at header byte {at} accepted");
            // Public, pre-authentication facts may have their own errors (suite, limits);
            // nothing else may say which check failed.
            assert!(
                matches!(r, Err(DecryptError::Invalid | DecryptError::Suite(_) | DecryptError::Limit(_))),
                "{suite:?}: {at}: {r:?}"
            );
        }
    }
}

#[test]
fn every_bit_flip_in_body_and_footer_is_refused() {
    for suite in suites() {
        let (msg, header) = message(suite, 2);
        for at in header..msg.len() {
            let mut bad = msg.clone();
            bad[at] ^= 0x80;
            refused(&bad);
        }
    }
}

#[test]
fn frames_reordered_or_dropped_are_refused() {
    for suite in suites() {
        let (msg, h) = message(suite, 3);
        let f = 16 + FRAME as usize + 16;
        let (f1, f2) = (h..h + f, h + f..h + 2 * f);
        let mut swapped = msg.clone();
        swapped[f1.clone()].copy_from_slice(&msg[f2.clone()]);
        swapped[f2.clone()].copy_from_slice(&msg[f1.clone()]);
        refused(&swapped);
        let mut dropped = msg[..h + f].to_vec();
        dropped.extend_from_slice(&msg[h + 2 * f..]);
        refused(&dropped);
        let mut duplicated = msg[..h + 2 * f].to_vec();
        duplicated.extend_from_slice(&msg[h + f..]);
        refused(&duplicated);
    }
}

#[test]
fn a_frame_from_another_message_is_refused() {
    for suite in suites() {
        // Same key, same context, same frame position: only the message id differs.
        let (a, h) = message(suite, 4);
        let (b, hb) = message(suite, 5);
        assert_eq!(h, hb);
        let f = 16 + FRAME as usize + 16;
        let mut mixed = a.clone();
        mixed[h + f..h + 2 * f].copy_from_slice(&b[h + f..h + 2 * f]);
        refused(&mixed);
        // And the whole body of one under the header of the other.
        let mut spliced = a[..h].to_vec();
        spliced.extend_from_slice(&b[h..]);
        refused(&spliced);
    }
}

#[test]
fn every_truncation_is_refused() {
    for suite in suites() {
        let (msg, _) = message(suite, 6);
        for len in 0..msg.len() {
            assert_eq!(decrypt(&msg[..len], &ctx()), Err(DecryptError::Invalid), "{suite:?}: prefix of {len} accepted");
        }
    }
}

#[test]
fn a_regular_frame_cannot_end_the_message() {
    // Cut right after a regular frame: the body lacks its final frame.
    for suite in suites() {
        let (msg, h) = message(suite, 7);
        let f = 16 + FRAME as usize + 16;
        refused(&msg[..h + 3 * f]);
    }
}

#[test]
fn trailing_bytes_are_refused() {
    for suite in suites() {
        let (msg, _) = message(suite, 8);
        for extra in [&[0u8][..], &[0xff; 7], &msg[..40]] {
            let mut bad = msg.clone();
            bad.extend_from_slice(extra);
            refused(&bad);
        }
    }
}

#[test]
fn wrong_context_is_refused() {
    for suite in suites() {
        let (msg, _) = message(suite, 9);
        for wrong in [
            EncryptionContext::new(&[("purpose", "other")]).unwrap(),
            EncryptionContext::new(&[("missing", "pair")]).unwrap(),
        ] {
            assert_eq!(decrypt(&msg, &wrong), Err(DecryptError::Invalid));
        }
        // A subset of the message's context is accepted (as the SDKs do).
        let subset = EncryptionContext::new(&[("tenant", "acme")]).unwrap();
        assert!(decrypt(&msg, &subset).is_ok());
    }
}

#[test]
fn wrong_key_is_refused() {
    for suite in suites() {
        let (msg, _) = message(suite, 10);
        let other_key = [0x11u8 ^ 1; 32];
        let same_name = RawAesKeyring::new("coffer-test", "key-a", &other_key).unwrap();
        let big = 1 << 20;
        assert_eq!(
            decrypt_with(same_name, &ctx(), Limits::default(), 70_000, &msg, big, big),
            Err(DecryptError::Invalid)
        );
        assert_eq!(
            decrypt_with(keyring_b(), &ctx(), Limits::default(), 70_000, &msg, big, big),
            Err(DecryptError::Invalid)
        );
        let other_ns = RawAesKeyring::new("other-ns", "key-a", &KEY_A).unwrap();
        assert_eq!(
            decrypt_with(other_ns, &ctx(), Limits::default(), 70_000, &msg, big, big),
            Err(DecryptError::Invalid)
        );
    }
}

#[test]
fn signature_edits_and_a_missing_footer_are_refused() {
    let (msg, _) = message(SIGNED, 11);
    // The footer is the last 2 + n bytes; find n from the end of the body.
    let body_end = header_len_guess(&msg) + 3 * (16 + FRAME as usize + 16) + 24 + 10 + 16;
    let n = usize::from(u16::from_be_bytes([msg[body_end], msg[body_end + 1]]));
    assert_eq!(msg.len(), body_end + 2 + n);
    refused(&msg[..body_end]);
    let mut zero_len = msg[..body_end].to_vec();
    zero_len.extend_from_slice(&[0, 0]);
    refused(&zero_len);
    for at in body_end..msg.len() {
        for bit in [0x01, 0x80] {
            let mut bad = msg.clone();
            bad[at] ^= bit;
            refused(&bad);
        }
    }
    // A valid signature of another message.
    let (other, _) = message(SIGNED, 12);
    let other_end = header_len_guess(&other) + 3 * (16 + FRAME as usize + 16) + 24 + 10 + 16;
    let mut swapped = msg[..body_end].to_vec();
    swapped.extend_from_slice(&other[other_end..]);
    refused(&swapped);
}

#[test]
fn signature_failure_in_buffered_mode_releases_nothing() {
    let pt = plaintext(3 * FRAME as usize + 10);
    let (mut msg, _) = message(SIGNED, 13);
    let mut ws = vec![0u8; 4096];
    let mut out = vec![0u8; pt.len()];
    let n = decrypt_buffered(keyring_a(), ctx(), Limits::default(), &msg, &mut ws, &mut out).unwrap();
    assert_eq!(&out[..n], &pt[..]);
    let last = msg.len() - 1;
    msg[last] ^= 1;
    let mut out = vec![0xAAu8; pt.len()];
    assert_eq!(
        decrypt_buffered(keyring_a(), ctx(), Limits::default(), &msg, &mut ws, &mut out),
        Err(DecryptError::Invalid)
    );
    assert!(out.iter().all(|&b| b == 0), "plaintext released before the signature verified");
    // Too small an output: refused, and nothing left in it.
    let mut small = vec![0u8; pt.len() - 1];
    msg[last] ^= 1;
    assert_eq!(
        decrypt_buffered(keyring_a(), ctx(), Limits::default(), &msg, &mut ws, &mut small),
        Err(DecryptError::OutputTooSmall)
    );
    assert!(small.iter().all(|&b| b == 0));
}

#[test]
fn legacy_non_committing_suites_are_refused_with_a_clear_error() {
    let (msg, _) = message(UNSIGNED, 14);
    for legacy in [0x0178u16, 0x0378, 0x0014] {
        let mut bad = msg.clone();
        bad[1..3].copy_from_slice(&legacy.to_be_bytes());
        assert_eq!(decrypt(&bad, &ctx()), Err(DecryptError::Suite(SuiteError::NonCommitting(legacy))));
    }
    // A format-1 header (version 01, type 80, suite 0378).
    let v1 = [0x01, 0x80, 0x03, 0x78, 0, 0, 0, 0];
    assert_eq!(decrypt(&v1, &ctx()), Err(DecryptError::Suite(SuiteError::NonCommitting(0x0378))));
}

#[test]
fn multi_keyring_any_one_key_decrypts() {
    for suite in suites() {
        let pt = plaintext(1000);
        let mut multi = MultiKeyring::new(keyring_a(), [keyring_b()]);
        let msg = encrypt_with(&mut multi, &ctx(), &config(suite, FRAME), 15, &pt, 100, 100);
        let big = 1 << 20;
        for k in [keyring_a(), keyring_b()] {
            assert_eq!(decrypt_with(k, &ctx(), Limits::default(), 4096, &msg, big, big).unwrap(), pt);
        }
        let mut multi_dec = MultiKeyring::new(keyring_b(), [keyring_a()]);
        assert_eq!(decrypt_with(&mut multi_dec, &ctx(), Limits::default(), 4096, &msg, big, big).unwrap(), pt);
        let other = RawAesKeyring::new("coffer-test", "key-c", &[0x33; 32]).unwrap();
        assert_eq!(decrypt_with(other, &ctx(), Limits::default(), 4096, &msg, big, big), Err(DecryptError::Invalid));
    }
}

/// Plaintext comes out a whole verified frame at a time: nothing of a frame before its last
/// tag byte arrived, and nothing of a frame whose tag fails.
#[test]
fn no_frame_plaintext_before_its_tag_verifies() {
    for suite in suites() {
        let pt = plaintext(3 * FRAME as usize + 10);
        let (msg, h) = message(suite, 16);
        let f = 16 + FRAME as usize + 16;
        let mut ws = vec![0u8; 4096];
        let mut dec = coffer_core::message::Decryptor::new(keyring_a(), ctx(), Limits::default(), &mut ws);
        let mut out = vec![0u8; 4096];
        // Everything up to the last byte of frame 2's tag: only frame 1 comes out.
        let (c, w) = dec.update(&msg[..h + 2 * f - 1], &mut out).unwrap();
        assert_eq!(c, h + 2 * f - 1);
        assert_eq!(&out[..w], &pt[..FRAME as usize]);
        // That last byte, altered: the frame fails and none of it comes out.
        let bad = msg[h + 2 * f - 1] ^ 1;
        assert_eq!(dec.update(&[bad], &mut out), Err(DecryptError::Invalid));
        // And the decryptor stays failed.
        assert_eq!(dec.update(&msg[h + 2 * f..], &mut out), Err(DecryptError::State));
        assert_eq!(dec.finish(), Err(DecryptError::Invalid));
    }
}
