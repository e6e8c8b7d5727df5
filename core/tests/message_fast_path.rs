//! The direct path (a whole regular frame encrypted from the caller's input straight into the
//! caller's output, or decrypted likewise) against the buffered one: the same bytes out, the
//! same checks, on both crypto providers.
#![cfg(all(feature = "ecdsa-p384", feature = "std"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    missing_docs
)]

mod common;

use coffer_core::EncryptionContext;
use coffer_core::crypto::{AwsLc, CryptoProvider, RustCrypto};
use coffer_core::message::{
    DecryptError, Decryptor, EncryptError, Encryptor, Header, Limits, MAX_HEADER_LEN, RawAesKeyring,
};
use common::*;

const FRAME: u32 = 256;
const F: usize = FRAME as usize;
/// One regular frame on the wire: sequence number, IV, body, tag.
const UNIT: usize = 4 + 12 + F + 16;

fn ctx() -> EncryptionContext<'static> {
    EncryptionContext::new(&[("path", "fast")]).unwrap()
}

fn keyring<P: CryptoProvider>(p: P) -> RawAesKeyring<'static, P> {
    RawAesKeyring::new_in("coffer-test", "key-a", &KEY_A, p).unwrap()
}

/// Whole input and ample output (every regular frame takes the direct path) against one byte
/// at a time (none does): the same message, and each decrypts either way.
fn same_bytes_either_path<P: CryptoProvider>(p: P) {
    for suite in suites() {
        for len in [F + 1, 2 * F, 2 * F + 1, 7 * F - 1, 7 * F, 7 * F + 1] {
            let pt = plaintext(len);
            let config = config(suite, FRAME);
            let direct = encrypt_with_in(&mut keyring(p), &ctx(), &config, 9, &pt, 1 << 20, 1 << 20, p);
            let buffered = encrypt_with_in(&mut keyring(p), &ctx(), &config, 9, &pt, 1, 1, p);
            // aws-lc-rs signs with a random nonce: the footers may differ, nothing else.
            assert!(
                without_footer(suite, &direct) == without_footer(suite, &buffered),
                "{suite:?} {len}: the direct path wrote other bytes"
            );
            let back = decrypt_with_in(keyring(p), &ctx(), Limits::default(), 4096, &buffered, 1 << 20, 1 << 20, p);
            assert!(back.unwrap() == pt, "{suite:?} {len}: the buffered message");
            let ws = Decryptor::workspace_len(FRAME);
            for (chunk, out) in [(1 << 20, 1 << 20), (1, 1), (UNIT, F), (UNIT, F - 1), (UNIT - 1, F), (UNIT + 1, F + 1)]
            {
                let back = decrypt_with_in(keyring(p), &ctx(), Limits::default(), ws, &direct, chunk, out, p).unwrap();
                assert!(back == pt, "{suite:?} {len} chunks {chunk}/{out}");
            }
        }
    }
}

/// Every byte of a message of several regular frames flipped, decrypted in one call with ample
/// output (the direct path): refused, and a failing call leaves nothing in the output.
fn direct_path_refuses_every_flip<P: CryptoProvider>(p: P) {
    for suite in suites() {
        let msg =
            encrypt_with_in(&mut keyring(p), &ctx(), &config(suite, FRAME), 3, &plaintext(4 * F + 9), 4096, 4096, p);
        let (_, header_len) = Header::parse(&msg, &Limits::default()).unwrap();
        for at in header_len..msg.len() {
            let mut bad = msg.clone();
            bad[at] ^= 0x10;
            let mut ws = vec![0u8; Decryptor::workspace_len(FRAME)];
            let mut dec = Decryptor::new_in(keyring(p), ctx(), Limits::default(), &mut ws, p);
            let mut out = vec![0u8; 1 << 16];
            match dec.update(&bad, &mut out) {
                // A failing call leaves nothing of what it wrote.
                Err(e) => {
                    assert_eq!(e, DecryptError::Invalid, "{suite:?}: byte {at}");
                    assert!(out.iter().all(|&b| b == 0), "{suite:?}: byte {at}: plaintext left in the output");
                }
                // A flip that makes the message look longer (a length field) stops short of the
                // end: the frames before it verified and were released, and `finish` refuses.
                Ok(_) => assert_eq!(dec.finish(), Err(DecryptError::Invalid), "{suite:?}: flipped byte {at} accepted"),
            }
        }
    }
}

/// Whole frames moved: two regular frames swapped, or one dropped, are refused on the direct
/// path (their sequence numbers and IVs no longer follow).
fn direct_path_refuses_reordered_frames<P: CryptoProvider>(p: P) {
    for suite in suites() {
        let msg =
            encrypt_with_in(&mut keyring(p), &ctx(), &config(suite, FRAME), 4, &plaintext(4 * F + 9), 4096, 4096, p);
        let (_, h) = Header::parse(&msg, &Limits::default()).unwrap();
        let mut swapped = msg.clone();
        swapped[h..h + UNIT].copy_from_slice(&msg[h + UNIT..h + 2 * UNIT]);
        swapped[h + UNIT..h + 2 * UNIT].copy_from_slice(&msg[h..h + UNIT]);
        let mut dropped = msg[..h + UNIT].to_vec();
        dropped.extend_from_slice(&msg[h + 2 * UNIT..]);
        for bad in [swapped, dropped] {
            let got = decrypt_with_in(keyring(p), &ctx(), Limits::default(), 4096, &bad, 1 << 20, 1 << 20, p);
            assert_eq!(got, Err(DecryptError::Invalid), "{suite:?}");
        }
    }
}

/// The declared plaintext bound holds on the direct path too: more than declared, in one call,
/// is refused and the encryptor is unusable.
fn direct_path_keeps_the_plaintext_bound<P: CryptoProvider>(p: P) {
    let mut rng = TestRng(5);
    let mut ws = vec![0u8; Encryptor::workspace_len(FRAME).max(MAX_HEADER_LEN)];
    let config = config(suites()[0], FRAME);
    let mut enc = Encryptor::new_in(&mut keyring(p), ctx(), &config, &mut rng, &mut ws, p).unwrap();
    enc.set_plaintext_bound(2 * F as u64).unwrap();
    let mut out = vec![0u8; 1 << 16];
    assert_eq!(enc.update(&plaintext(5 * F), &mut out), Err(EncryptError::PlaintextTooLong));
    assert_eq!(enc.update(&[1], &mut out), Err(EncryptError::State));
}

macro_rules! per_provider {
    ($($check:ident),* $(,)?) => {
        mod rust_crypto {
            $(#[test] fn $check() { super::$check(super::RustCrypto) })*
        }
        mod aws_lc {
            $(#[test] fn $check() { super::$check(super::AwsLc) })*
        }
    };
}

per_provider!(
    same_bytes_either_path,
    direct_path_refuses_every_flip,
    direct_path_refuses_reordered_frames,
    direct_path_keeps_the_plaintext_bound,
);
