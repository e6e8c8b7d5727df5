//! Round trips through the streaming encryptor and decryptor, both suites, at the frame edges,
//! at several MiB, and with arbitrary chunk sizes on both sides.
// The tests cover both suites: they need the signed one (default feature), and std.
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
use coffer_core::message::{AlgorithmSuite, Decryptor, Encryptor, Limits, MAX_HEADER_LEN};
use common::*;

const BIG: usize = 1 << 20;

const FRAME: u32 = 4096;

#[test]
fn round_trip_at_frame_edges_both_suites() {
    let ctx = EncryptionContext::new(&[("purpose", "test"), ("tenant", "acme")]).unwrap();
    for suite in suites() {
        for len in [0usize, 1, FRAME as usize - 1, FRAME as usize, FRAME as usize + 1, 3 * FRAME as usize] {
            let pt = plaintext(len);
            let msg = encrypt(suite, FRAME, &ctx, &pt);
            let out = decrypt(&msg, &ctx).unwrap_or_else(|e| panic!("{suite:?} {len}: {e:?}"));
            assert_eq!(out, pt, "{suite:?} {len}");
        }
    }
}

#[test]
fn several_mib_both_suites() {
    let ctx = EncryptionContext::new(&[("size", "large")]).unwrap();
    let pt = plaintext(3 * 1024 * 1024 + 17);
    for suite in suites() {
        let msg = encrypt_with(&mut keyring_a(), &ctx, &config(suite, FRAME), 21, &pt, 65_537, 70_001);
        let out = decrypt_with(keyring_a(), &ctx, Limits::default(), 8192, &msg, 100_003, 4096).unwrap();
        assert!(out == pt, "{suite:?}: 3 MiB round trip differs");
    }
}

#[test]
fn tiny_chunks_on_both_sides() {
    let ctx = EncryptionContext::new(&[("chunks", "tiny")]).unwrap();
    for suite in suites() {
        let pt = plaintext(700);
        for (inp, out) in [(1, 1), (1, 7), (3, 1), (5, 64), (64, 3), (65, 63)] {
            let msg = encrypt_with(&mut keyring_a(), &ctx, &config(suite, 64), 5, &pt, inp, out);
            let back = decrypt_with(keyring_a(), &ctx, Limits::default(), 4096, &msg, inp, out).unwrap();
            assert_eq!(back, pt, "{suite:?} chunks {inp}/{out}");
        }
    }
}

/// Chunk sizes vary from call to call (a fixed pseudo-random sequence), in and out.
#[test]
fn varying_chunk_sizes_give_the_same_message_and_plaintext() {
    let ctx = EncryptionContext::new(&[("chunks", "varying")]).unwrap();
    for suite in suites() {
        let pt = plaintext(50_000);
        let reference = encrypt_with(&mut keyring_a(), &ctx, &config(suite, 1000), 9, &pt, BIG, BIG);
        let mut sizes = TestRng(42);
        let mut next = |max: u64| {
            use rand_core::TryRng;
            (sizes.try_next_u64().unwrap() % max) as usize + 1
        };
        // Encrypt with varying sizes: the bytes must not depend on how the input was cut.
        let mut rng = TestRng(9);
        let mut ws = vec![0u8; Encryptor::workspace_len(1000).max(MAX_HEADER_LEN)];
        let mut enc = Encryptor::new(&mut keyring_a(), ctx.clone(), &config(suite, 1000), &mut rng, &mut ws).unwrap();
        let mut msg = Vec::new();
        let mut at = 0;
        while at < pt.len() {
            let end = (at + next(3000)).min(pt.len());
            let mut out = vec![0u8; next(2500)];
            let (c, w) = enc.update(&pt[at..end], &mut out).unwrap();
            msg.extend_from_slice(&out[..w]);
            at += c;
        }
        loop {
            let mut out = vec![0u8; next(300)];
            let (w, done) = enc.finish(&mut out).unwrap();
            msg.extend_from_slice(&out[..w]);
            if done {
                break;
            }
        }
        drop(enc);
        if suite == AlgorithmSuite::AesGcm256HkdfSha512Commit {
            assert!(msg == reference, "message bytes depend on chunking");
        } else {
            // ECDSA signatures here are deterministic (RFC 6979), so the same holds.
            assert!(msg == reference, "signed message bytes depend on chunking");
        }
        // Decrypt with varying sizes.
        let mut ws = vec![0u8; 4096];
        let mut dec = Decryptor::new(keyring_a(), ctx.clone(), Limits::default(), &mut ws);
        let mut back = Vec::new();
        let mut at = 0;
        loop {
            let end = (at + next(2000)).min(msg.len());
            let mut out = vec![0u8; next(1500)];
            let (c, w) = dec.update(&msg[at..end], &mut out).unwrap();
            back.extend_from_slice(&out[..w]);
            at += c;
            if at == msg.len() && w == 0 {
                break;
            }
        }
        dec.finish().unwrap();
        assert!(back == pt);
    }
}

/// A plaintext that is a non-zero multiple of the frame length ends with an empty final frame,
/// as the SDKs write it (the Python SDK 3.x refuses a final frame as long as the frame length),
/// whatever the input chunking (the fast path included); an empty plaintext is one empty final
/// frame.
#[test]
fn plaintext_multiple_of_frame_ends_with_an_empty_final_frame() {
    let ctx = EncryptionContext::empty();
    for suite in suites() {
        for (frame, len) in [(1u32, 5usize), (16, 32), (4096, 4096), (4096, 3 * 4096), (64, 0)] {
            let pt = plaintext(len);
            for chunk in [1, 7, 4096, 1 << 20] {
                let msg = encrypt_with(&mut keyring_a(), &ctx, &config(suite, frame), 3, &pt, chunk, 1 << 20);
                let header = coffer_core::message::Header::parse(&msg, &Limits::default()).unwrap().1;
                let frames = len / frame as usize;
                let regular = 16 + frame as usize + 16;
                let final_at = header + frames * regular;
                // The final frame: marker, sequence number frames + 1, and a content length of 0.
                assert_eq!(&msg[final_at..final_at + 4], &[0xff; 4], "{suite:?} {frame} {len} {chunk}");
                assert_eq!(msg[final_at + 4..final_at + 8], u32::try_from(frames + 1).unwrap().to_be_bytes());
                assert_eq!(msg[final_at + 20..final_at + 24], [0; 4], "{suite:?} {frame} {len} {chunk}");
                let footer = if suite.is_signed() { msg.len() - (final_at + 24 + 16) } else { 0 };
                assert_eq!(msg.len(), final_at + 24 + 16 + footer);
                assert_eq!(decrypt(&msg, &ctx).unwrap(), pt);
            }
        }
    }
}
