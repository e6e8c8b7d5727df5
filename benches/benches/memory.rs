//! Streaming memory: peak heap while encrypting, then decrypting, a message through the std
//! `io` adapters (`EncryptingWriter`, `DecryptingReader`), for both suites, at two sizes. The
//! plaintext is generated on the fly by a `Read`, the message goes to a temporary file and is
//! read back from it: nothing holds the message in memory. A counting global allocator
//! (peakmem-alloc, as core's own memory test) records the peak from just before the
//! workspaces are allocated to the end of each phase. Asserts that the peak is the same at
//! both sizes and that the decrypted plaintext's SHA-256 is the generated one's.
//!
//! `cargo bench --bench memory`: 16 MiB and 1 GiB, figures to
//! `target/coffer-benches/memory.json`. Without `--bench` (as `cargo test --benches` runs
//! it): 1 MiB and 16 MiB, nothing written.
#![forbid(unsafe_code)]

use coffer_benches::FRAME;
use coffer_benches::coffer::{self, SUITES};
use coffer_core::message::{
    DecryptingReader, Decryptor, EncryptConfig, EncryptingWriter, Encryptor, Limits, MAX_HEADER_LEN,
};
use peakmem_alloc::{INSTRUMENTED_SYSTEM, PeakMemAlloc, PeakMemAllocTrait};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::alloc::System;
use std::io::{self, Read, Seek, Write};
use std::time::Instant;

#[global_allocator]
static GLOBAL: &PeakMemAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The plaintext source: a fixed pattern, position-dependent, hashed as it is produced.
struct Generator<'p> {
    pattern: &'p [u8],
    produced: u64,
    len: u64,
    hasher: Sha256,
}

impl Read for Generator<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let period = self.pattern.len() as u64;
        let at = (self.produced % period) as usize;
        let n = (self.len - self.produced).min(buf.len() as u64).min(period - at as u64) as usize;
        buf[..n].copy_from_slice(&self.pattern[at..at + n]);
        self.hasher.update(&buf[..n]);
        self.produced += n as u64;
        Ok(n)
    }
}

/// Where the decrypted plaintext goes: only its hash and length are kept.
struct HashSink {
    hasher: Sha256,
    len: u64,
}

impl Write for HashSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.hasher.update(buf);
        self.len += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One message of `len` bytes through both adapters; returns the figures of each phase.
fn run(suite: coffer_core::message::AlgorithmSuite, len: u64, pattern: &[u8]) -> serde_json::Value {
    let dir = coffer_benches::figures::dir();
    std::fs::create_dir_all(&dir).expect("figures directory");
    let mut file = tempfile::tempfile_in(&dir).expect("a temporary file");
    let config = EncryptConfig { suite, frame_length: FRAME, limits: Limits::default() };
    let mut generator = Generator { pattern, produced: 0, len, hasher: Sha256::new() };

    GLOBAL.reset_peak_memory();
    let start = Instant::now();
    {
        let mut workspace = vec![0u8; Encryptor::workspace_len(FRAME).max(MAX_HEADER_LEN)];
        let mut keyring = coffer::keyring();
        let encryptor =
            Encryptor::new(&mut keyring, coffer::context(), &config, &mut coffer_benches::rng(), &mut workspace)
                .expect("Encryptor::new");
        let mut writer = EncryptingWriter::new(&mut file, encryptor);
        io::copy(&mut generator, &mut writer).expect("encrypt");
        writer.finish().expect("finish");
    }
    let encrypt_secs = start.elapsed().as_secs_f64();
    let encrypt_peak = GLOBAL.get_peak_memory();
    let message_len = file.stream_position().expect("file position");
    file.rewind().expect("rewind");
    let mut sink = HashSink { hasher: Sha256::new(), len: 0 };

    GLOBAL.reset_peak_memory();
    let start = Instant::now();
    {
        let mut workspace = vec![0u8; Decryptor::workspace_len(FRAME).max(MAX_HEADER_LEN)];
        let decryptor = Decryptor::new(coffer::keyring(), coffer::context(), Limits::default(), &mut workspace);
        let mut reader = DecryptingReader::new(&mut file, decryptor);
        io::copy(&mut reader, &mut sink).expect("decrypt");
    }
    let decrypt_secs = start.elapsed().as_secs_f64();
    let decrypt_peak = GLOBAL.get_peak_memory();

    assert_eq!(sink.len, len);
    assert_eq!(sink.hasher.finalize(), generator.hasher.finalize(), "the decrypted plaintext differs");
    let mib = len as f64 / f64::from(1 << 20);
    json!({
        "plaintext_bytes": len,
        "message_bytes": message_len,
        "encrypt_peak_heap_bytes": encrypt_peak,
        "decrypt_peak_heap_bytes": decrypt_peak,
        "encrypt_mib_per_s": mib / encrypt_secs,
        "decrypt_mib_per_s": mib / decrypt_secs,
    })
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let sizes: [u64; 2] = if full { [16 << 20, 1 << 30] } else { [1 << 20, 16 << 20] };
    // A pattern whose period is not a multiple of the frame length, made before any counting.
    let pattern = coffer_benches::plaintext(65_521);
    // The counter works: an allocation after a reset shows in the peak.
    GLOBAL.reset_peak_memory();
    let probe = vec![1u8; 1 << 20];
    assert!(GLOBAL.get_peak_memory() >= 1 << 20, "the counting allocator sees nothing");
    drop(probe);

    let mut results = Vec::new();
    for (suite, name) in SUITES {
        let runs: Vec<serde_json::Value> = sizes.iter().map(|&len| run(suite, len, &pattern)).collect();
        for r in &runs {
            println!(
                "memory {name} {:>10} B: peak heap encrypt {} B, decrypt {} B ({:.0} / {:.0} MiB/s)",
                r["plaintext_bytes"],
                r["encrypt_peak_heap_bytes"],
                r["decrypt_peak_heap_bytes"],
                r["encrypt_mib_per_s"].as_f64().unwrap_or_default(),
                r["decrypt_mib_per_s"].as_f64().unwrap_or_default(),
            );
        }
        for key in ["encrypt_peak_heap_bytes", "decrypt_peak_heap_bytes"] {
            assert_eq!(runs[0][key], runs[1][key], "{name}: {key} depends on the message size");
        }
        results.push(json!({ "suite": name, "runs": runs }));
    }
    if full {
        coffer_benches::figures::write("memory", &json!(results));
    }
    println!("memory: 2 passed, 0 failed");
}
