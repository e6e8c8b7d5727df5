//! Legacy non-framed content (type 01), as the official Python SDK writes with frame length 0
//! (`tests/data/esdk-nonframed/make.py`): read when the single block fits in the workspace,
//! refused with a limit error when it does not; never written by Coffer.
// The tests cover both suites: they need the signed one (default feature), and std.
#![cfg(all(feature = "ecdsa-p384", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use coffer_core::EncryptionContext;
use coffer_core::message::{DecryptError, Header, HeaderLimit, Limits};
use common::*;

const PLAINTEXT: &[u8] = include_bytes!("data/esdk-nonframed/plaintext.bin");
const MESSAGES: [&[u8]; 2] =
    [include_bytes!("data/esdk-nonframed/0478.ct"), include_bytes!("data/esdk-nonframed/0578.ct")];

fn ctx() -> EncryptionContext<'static> {
    EncryptionContext::new(&[("purpose", "non-framed")]).unwrap()
}

#[test]
fn python_non_framed_messages_decrypt_in_any_chunking() {
    for msg in MESSAGES {
        let (header, _) = Header::parse(msg, &Limits::default()).unwrap();
        assert!(!header.framed);
        for (inp, out) in [(1 << 20, 1 << 20), (1, 1), (7, 100), (333, 5)] {
            let pt = decrypt_with(keyring_a(), &ctx(), Limits::default(), 4096, msg, inp, out).unwrap();
            assert_eq!(pt, PLAINTEXT);
        }
    }
}

#[test]
fn non_framed_block_must_fit_the_workspace() {
    for msg in MESSAGES {
        let (_, header_len) = Header::parse(msg, &Limits::default()).unwrap();
        // A signed message's footer is gathered after the block (held until it verifies).
        let footer = if msg[1] == 0x05 { 2 + 104 } else { 0 };
        let block = 20 + PLAINTEXT.len() + 16 + footer;
        let fits = block.max(header_len);
        assert_eq!(decrypt_with(keyring_a(), &ctx(), Limits::default(), fits, msg, 64, 64).unwrap(), PLAINTEXT);
        assert_eq!(
            decrypt_with(keyring_a(), &ctx(), Limits::default(), block - 1, msg, 64, 64),
            Err(DecryptError::Limit(HeaderLimit::FrameLength))
        );
    }
}

#[test]
fn non_framed_tamper_and_truncation_are_refused() {
    for msg in MESSAGES {
        let (_, h) = Header::parse(msg, &Limits::default()).unwrap();
        for at in (h..msg.len()).step_by(7) {
            let mut bad = msg.to_vec();
            bad[at] ^= 1;
            assert!(
                decrypt_with(keyring_a(), &ctx(), Limits::default(), 4096, &bad, 100, 100).is_err(),
                "flip at {at}"
            );
        }
        for len in (0..msg.len()).step_by(5) {
            assert!(decrypt_with(keyring_a(), &ctx(), Limits::default(), 4096, &msg[..len], 100, 100).is_err());
        }
        let mut long = msg.to_vec();
        long.push(0);
        assert_eq!(
            decrypt_with(keyring_a(), &ctx(), Limits::default(), 4096, &long, 100, 100),
            Err(DecryptError::Invalid)
        );
    }
}
