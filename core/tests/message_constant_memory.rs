//! Decrypting a generated stream of 256 MiB through the `std::io::Read` adapter needs no more
//! heap than decrypting 16 MiB: a counting global allocator records the peak. Its own test
//! binary, with one test, so no other test's allocations interfere.
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
use coffer_core::message::{
    AlgorithmSuite, DecryptingReader, Decryptor, EncryptConfig, Encryptor, Limits, MAX_HEADER_LEN,
};
use common::{TestRng, keyring_a};
use peakmem_alloc::{INSTRUMENTED_SYSTEM, PeakMemAlloc, PeakMemAllocTrait};
use std::alloc::System;
use std::io::Read;

#[global_allocator]
static GLOBAL: &PeakMemAlloc<System> = &INSTRUMENTED_SYSTEM;

const FRAME: u32 = 4096;

/// Generated plaintext: byte `i` of the stream.
fn pt_byte(i: u64) -> u8 {
    (i.wrapping_mul(0x9E37_79B9) >> 13) as u8
}

/// A `Read` that produces an encrypted message of `len` plaintext bytes on the fly.
struct MessageSource<'w> {
    encryptor: Encryptor<'w>,
    produced: u64,
    len: u64,
    done: bool,
}

impl Read for MessageSource<'_> {
    /// Never returns `Ok(0)` before the message ended: plaintext is fed until output appears.
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while !self.done {
            if self.produced < self.len {
                let mut chunk = [0u8; 1000];
                let n = (self.len - self.produced).min(chunk.len() as u64) as usize;
                for (k, b) in chunk[..n].iter_mut().enumerate() {
                    *b = pt_byte(self.produced + k as u64);
                }
                let (c, w) = self.encryptor.update(&chunk[..n], buf).unwrap();
                self.produced += c as u64;
                if w > 0 {
                    return Ok(w);
                }
            } else {
                let (w, done) = self.encryptor.finish(buf).unwrap();
                self.done = done;
                if w > 0 {
                    return Ok(w);
                }
            }
        }
        Ok(0)
    }
}

/// Streams a `len`-byte message from the generator through the decrypting reader, checks every
/// plaintext byte, and returns the peak heap use during the run.
fn peak_heap_for(suite: AlgorithmSuite, len: u64) -> usize {
    let ctx = EncryptionContext::new(&[("test", "constant-memory")]).unwrap();
    let mut enc_ws = vec![0u8; Encryptor::workspace_len(FRAME).max(MAX_HEADER_LEN)];
    let mut dec_ws = vec![0u8; Decryptor::workspace_len(FRAME).max(2048)];
    let mut out = vec![0u8; 64 * 1024];
    let mut rng = TestRng(len);
    let config = EncryptConfig { suite, frame_length: FRAME, limits: Limits::default() };
    let mut keyring = keyring_a();
    GLOBAL.reset_peak_memory();
    let encryptor = Encryptor::new(&mut keyring, ctx.clone(), &config, &mut rng, &mut enc_ws).unwrap();
    let source = MessageSource { encryptor, produced: 0, len, done: false };
    let decryptor = Decryptor::new(keyring_a(), ctx, Limits::default(), &mut dec_ws);
    let mut reader = DecryptingReader::new(source, decryptor);
    let mut seen: u64 = 0;
    loop {
        let n = reader.read(&mut out).unwrap();
        if n == 0 {
            break;
        }
        for (k, &b) in out[..n].iter().enumerate() {
            assert_eq!(b, pt_byte(seen + k as u64), "plaintext differs at {}", seen + k as u64);
        }
        seen += n as u64;
    }
    assert_eq!(seen, len);
    GLOBAL.get_peak_memory()
}

#[test]
fn decrypting_256_mib_uses_no_more_heap_than_16_mib() {
    // The counter works: a 1 MiB allocation after a reset shows in the peak.
    GLOBAL.reset_peak_memory();
    let probe = vec![1u8; 1 << 20];
    assert!(GLOBAL.get_peak_memory() >= 1 << 20, "the counting allocator sees nothing");
    drop(probe);
    for suite in [AlgorithmSuite::AesGcm256HkdfSha512Commit, AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384] {
        let small = peak_heap_for(suite, 16 << 20);
        let large = peak_heap_for(suite, 256 << 20);
        eprintln!("{suite:?}: peak heap during the run: 16 MiB message {small} B, 256 MiB message {large} B");
        assert!(large <= small, "{suite:?}: peak heap grew with message size: {small} -> {large}");
        // The adapters allocate nothing of their own; workspaces were allocated before the run.
        assert!(large < 64 * 1024, "{suite:?}: {large} bytes of heap for a streaming decrypt");
    }
}
