//! Round trips through the streaming encryptor and decryptor, both suites, at the frame edges,
//! at several MiB, and with arbitrary chunk sizes on both sides.
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
use common::*;

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
