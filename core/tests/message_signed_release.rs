//! The signed suite releases the final frame (or non-framed content) only after the footer
//! signature verified (spec `client-apis/decrypt.md`, "Decrypt the message body").
#![cfg(all(feature = "ecdsa-p384", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use coffer_core::EncryptionContext;
use coffer_core::message::{AlgorithmSuite, DecryptError, DecryptingReader, Decryptor, Limits};
use common::*;
use std::io::Read;

const SIGNED: AlgorithmSuite = AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384;
const FRAME: u32 = 64;
/// Three regular frames and a final one of 8 bytes.
const PT_LEN: usize = 3 * 64 + 8;

/// Length of the footer (2-byte length and DER signature) at the end of a signed message.
fn footer_len(msg: &[u8]) -> usize {
    let n = msg.len();
    (8..=104)
        .rev()
        .find(|&k| msg[n - k] == 0x30 && usize::from(u16::from_be_bytes([msg[n - k - 2], msg[n - k - 1]])) == k)
        .map(|k| k + 2)
        .unwrap()
}

fn ctx() -> EncryptionContext<'static> {
    EncryptionContext::new(&[("purpose", "hold")]).unwrap()
}

/// Feeds `pieces` one after the other (each in `chunk`-byte steps into a `out_len` buffer),
/// returning what came out and the first error.
fn feed(pieces: &[&[u8]], chunk: usize, out_len: usize) -> (Vec<u8>, Result<(), DecryptError>) {
    let mut ws = vec![0u8; Decryptor::workspace_len(FRAME) + 512];
    let mut dec = Decryptor::new(keyring_a(), ctx(), Limits::default(), &mut ws);
    let mut got = Vec::new();
    let mut out = vec![0u8; out_len];
    for piece in pieces {
        for part in piece.chunks(chunk) {
            let mut at = 0;
            loop {
                match dec.update(&part[at..], &mut out) {
                    Ok((c, w)) => {
                        got.extend_from_slice(&out[..w]);
                        at += c;
                        if at == part.len() && w == 0 {
                            break;
                        }
                    }
                    Err(e) => return (got, Err(e)),
                }
            }
        }
    }
    loop {
        match dec.update(&[], &mut out) {
            Ok((_, 0)) => break,
            Ok((_, w)) => got.extend_from_slice(&out[..w]),
            Err(e) => return (got, Err(e)),
        }
    }
    let done = dec.finish();
    (got, done)
}

#[test]
fn final_frame_is_held_until_the_signature_verifies() {
    let pt = plaintext(PT_LEN);
    let msg = encrypt(SIGNED, FRAME, &ctx(), &pt);
    let split = msg.len() - footer_len(&msg);
    for (chunk, out_len) in [(1 << 20, 1 << 20), (1, 1), (7, 5)] {
        // Everything but the footer: only the regular frames come out.
        let (got, end) = feed(&[&msg[..split]], chunk, out_len);
        assert_eq!(got, &pt[..3 * 64], "the final frame came out before the signature");
        assert_eq!(end, Err(DecryptError::Invalid));
        // The valid footer releases the final frame.
        let (got, end) = feed(&[&msg[..split], &msg[split..]], chunk, out_len);
        assert_eq!(end, Ok(()));
        assert_eq!(got, pt);
        // A bad footer: nothing more.
        let mut bad = msg.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let (got, end) = feed(&[&bad[..split], &bad[split..]], chunk, out_len);
        assert_eq!(end, Err(DecryptError::Invalid));
        assert_eq!(got, &pt[..3 * 64], "plaintext of the final frame came out with a bad signature");
    }
}

#[test]
fn non_framed_content_is_held_until_the_signature_verifies() {
    // The official Python SDK's signed non-framed message (`data/esdk-nonframed/make.py`).
    let msg: &[u8] = include_bytes!("data/esdk-nonframed/0578.ct");
    let pt: &[u8] = include_bytes!("data/esdk-nonframed/plaintext.bin");
    let ctx = EncryptionContext::new(&[("purpose", "non-framed")]).unwrap();
    let split = msg.len() - footer_len(msg);
    for (chunk, out_len) in [(1 << 20, 1 << 20), (7, 5)] {
        let run = |pieces: &[&[u8]]| {
            let mut ws = vec![0u8; 4096];
            let mut dec = Decryptor::new(keyring_a(), ctx.clone(), Limits::default(), &mut ws);
            let mut got = Vec::new();
            let mut out = vec![0u8; out_len];
            for piece in pieces {
                for part in piece.chunks(chunk) {
                    let mut at = 0;
                    loop {
                        let Ok((c, w)) = dec.update(&part[at..], &mut out) else { return (got, false) };
                        got.extend_from_slice(&out[..w]);
                        at += c;
                        if at == part.len() && w == 0 {
                            break;
                        }
                    }
                }
            }
            (got, dec.finish().is_ok())
        };
        assert_eq!(run(&[&msg[..split]]), (Vec::new(), false), "non-framed content came out unsigned");
        assert_eq!(run(&[&msg[..split], &msg[split..]]), (pt.to_vec(), true));
        let mut bad = msg.to_vec();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(run(&[&bad[..split], &bad[split..]]), (Vec::new(), false));
    }
}

/// A reader handing out `step` bytes per read.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn read_all(msg: &[u8], step: usize, buf_len: usize) -> (Vec<u8>, bool) {
    let mut ws = vec![0u8; Decryptor::workspace_len(FRAME) + 512];
    let dec = Decryptor::new(keyring_a(), ctx(), Limits::default(), &mut ws);
    let mut reader = DecryptingReader::new(Trickle { data: msg, step }, dec);
    let mut got = Vec::new();
    let mut buf = vec![0u8; buf_len];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => return (got, false),
        }
    }
}

#[test]
fn reader_releases_the_final_frame_only_with_a_valid_signature() {
    let pt = plaintext(PT_LEN);
    let msg = encrypt(SIGNED, FRAME, &ctx(), &pt);
    let split = msg.len() - footer_len(&msg);
    for (step, buf_len) in [(1, 1), (7, 5), (100, 3)] {
        assert_eq!(read_all(&msg, step, buf_len), (pt.clone(), true));
        assert_eq!(read_all(&msg[..split], step, buf_len), (pt[..3 * 64].to_vec(), false));
        let mut bad = msg.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(read_all(&bad, step, buf_len), (pt[..3 * 64].to_vec(), false));
    }
}

#[test]
fn signed_messages_need_room_for_the_footer() {
    let pt = plaintext(3000);
    let msg = encrypt(SIGNED, 1024, &ctx(), &pt);
    let need = Decryptor::workspace_len(1024);
    assert_eq!(need, 24 + 1024 + 16 + 2 + 104);
    let header_len = coffer_core::message::Header::parse(&msg, &Limits::default()).unwrap().1;
    assert!(header_len < need);
    assert_eq!(decrypt_with(keyring_a(), &ctx(), Limits::default(), need, &msg, 9, 9).unwrap(), pt);
    assert_eq!(
        decrypt_with(keyring_a(), &ctx(), Limits::default(), need - 1, &msg, 9, 9),
        Err(DecryptError::Limit(coffer_core::message::HeaderLimit::FrameLength))
    );
    // An unsigned message needs no room for a footer.
    let unsigned = encrypt(AlgorithmSuite::AesGcm256HkdfSha512Commit, 1024, &ctx(), &pt);
    assert_eq!(decrypt_with(keyring_a(), &ctx(), Limits::default(), need - 106, &unsigned, 9, 9).unwrap(), pt);
}
