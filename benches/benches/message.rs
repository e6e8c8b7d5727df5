//! Message encrypt and decrypt (suites 04 78 and 05 78; 1 KiB, 64 KiB, 1 MiB, 16 MiB): Coffer
//! with each crypto provider, beside that provider's raw AES-256-GCM over the same plaintext
//! (the floor), the same raw AES-256-GCM one frame (4096 bytes) per call (the floor of any
//! framed format: what the frames themselves cost), and `aws-esdk` with a raw AES keyring, same
//! frame length and context (feature `esdk`, on by default).
//!
//! Ids: `message-<encrypt|decrypt>-<suite>/<impl>/<size>`, throughput in plaintext bytes.
#![forbid(unsafe_code)]

use coffer_benches::coffer::{Buffers, CofferRustCrypto, Provider, SUITES};
#[cfg(feature = "esdk")]
use coffer_benches::esdk::Esdk;
use coffer_benches::floor::{self, AwsLc, Floor, RustCrypto};
use coffer_benches::{plaintext, size_label};
use coffer_core::message::AlgorithmSuite;
use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const SIZES: [usize; 4] = [1 << 10, 64 << 10, 1 << 20, 16 << 20];
/// About the size of a frame's AAD (message id, content string, sequence number, length).
const AAD: [u8; 64] = [0xA5; 64];
const NONCE: [u8; 12] = [0x5A; 12];
const FLOOR_KEY: [u8; 32] = [0x33; 32];

/// Calls `f::<P>(args)` for Coffer on each crypto provider: one line per provider.
macro_rules! with_providers {
    ($f:ident($($arg:expr),*)) => {
        $f::<CofferRustCrypto>($($arg),*);
        $f::<coffer_benches::coffer::CofferAwsLc>($($arg),*);
    };
}

/// The peer implementation: aws-esdk, or nothing when built without it (CI).
#[cfg(feature = "esdk")]
type Peer = Esdk;
#[cfg(not(feature = "esdk"))]
type Peer = ();

fn messages(c: &mut Criterion) {
    floor::check_floors();
    #[cfg(feature = "esdk")]
    let esdk = Esdk::new();
    #[cfg(not(feature = "esdk"))]
    let esdk = ();
    for (suite, suite_name) in SUITES {
        with_providers!(check_round_trips(&esdk, suite));
        let mut encrypt = c.benchmark_group(format!("message-encrypt-{suite_name}"));
        for size in SIZES {
            configure(&mut encrypt, size);
            let pt = plaintext(size);
            with_providers!(coffer_encrypt(&mut encrypt, suite, &pt));
            floor_seal::<RustCrypto>(&mut encrypt, &pt);
            floor_seal::<AwsLc>(&mut encrypt, &pt);
            floor_seal_framed::<RustCrypto>(&mut encrypt, &pt);
            floor_seal_framed::<AwsLc>(&mut encrypt, &pt);
            #[cfg(feature = "esdk")]
            encrypt.bench_function(BenchmarkId::new("aws-esdk", size_label(size)), |b| {
                b.iter(|| esdk.encrypt(suite, black_box(&pt)))
            });
        }
        encrypt.finish();

        let mut decrypt = c.benchmark_group(format!("message-decrypt-{suite_name}"));
        for size in SIZES {
            configure(&mut decrypt, size);
            let pt = plaintext(size);
            with_providers!(coffer_decrypt(&mut decrypt, suite, &pt));
            floor_open::<RustCrypto>(&mut decrypt, &pt);
            floor_open::<AwsLc>(&mut decrypt, &pt);
            #[cfg(feature = "esdk")]
            {
                let message = esdk.encrypt(suite, &pt);
                decrypt.bench_function(BenchmarkId::new("aws-esdk", size_label(size)), |b| {
                    b.iter(|| esdk.decrypt(black_box(&message)))
                });
            }
        }
        decrypt.finish();
    }
}

/// Throughput in plaintext bytes; fewer samples for the large sizes, so that a short run stays
/// short (criterion's minimum is 10).
fn configure(group: &mut BenchmarkGroup<'_, WallTime>, size: usize) {
    group.throughput(Throughput::Bytes(size as u64));
    group.sample_size(if size >= 1 << 20 { 10 } else { 50 });
}

fn coffer_encrypt<P: Provider>(group: &mut BenchmarkGroup<'_, WallTime>, suite: AlgorithmSuite, pt: &[u8]) {
    let mut buffers = Buffers::new(P::keyring(), pt.len());
    let id = BenchmarkId::new(format!("coffer-{}", P::NAME), size_label(pt.len()));
    group.bench_function(id, |b| b.iter(|| P::encrypt(&mut buffers, suite, black_box(pt))));
}

fn coffer_decrypt<P: Provider>(group: &mut BenchmarkGroup<'_, WallTime>, suite: AlgorithmSuite, pt: &[u8]) {
    let mut buffers = Buffers::new(P::keyring(), pt.len());
    let len = P::encrypt(&mut buffers, suite, pt);
    let message = buffers.out[..len].to_vec();
    let id = BenchmarkId::new(format!("coffer-{}", P::NAME), size_label(pt.len()));
    group.bench_function(id, |b| b.iter(|| P::decrypt(&mut buffers, black_box(&message))));
}

fn floor_seal<F: Floor>(group: &mut BenchmarkGroup<'_, WallTime>, pt: &[u8]) {
    let cipher = F::new(&FLOOR_KEY);
    let mut buf = pt.to_vec();
    let id = BenchmarkId::new(format!("raw-aes-gcm-{}", F::NAME), size_label(pt.len()));
    // Sealing again what the last iteration sealed costs the same as sealing the plaintext.
    group.bench_function(id, |b| b.iter(|| cipher.seal(&NONCE, &AAD, black_box(&mut buf))));
}

/// The same seal one frame per call, nonce and AAD per frame as a framed format has them.
fn floor_seal_framed<F: Floor>(group: &mut BenchmarkGroup<'_, WallTime>, pt: &[u8]) {
    let cipher = F::new(&FLOOR_KEY);
    let mut buf = pt.to_vec();
    let id = BenchmarkId::new(format!("raw-aes-gcm-framed-{}", F::NAME), size_label(pt.len()));
    group.bench_function(id, |b| {
        b.iter(|| {
            for frame in black_box(&mut buf).chunks_mut(coffer_benches::FRAME as usize) {
                black_box(cipher.seal(&NONCE, &AAD, frame));
            }
        })
    });
}

fn floor_open<F: Floor>(group: &mut BenchmarkGroup<'_, WallTime>, pt: &[u8]) {
    let cipher = F::new(&FLOOR_KEY);
    let mut sealed = pt.to_vec();
    let tag = cipher.seal(&NONCE, &AAD, &mut sealed);
    let batch = if pt.len() >= 1 << 20 { BatchSize::LargeInput } else { BatchSize::SmallInput };
    let id = BenchmarkId::new(format!("raw-aes-gcm-{}", F::NAME), size_label(pt.len()));
    // Each iteration opens a fresh copy of the ciphertext (opening is in place); the copy is
    // made outside the timing.
    group.bench_function(id, |b| {
        b.iter_batched_ref(|| sealed.clone(), |buf| cipher.open(&NONCE, &AAD, buf, &tag), batch)
    });
}

/// Outside any timing: Coffer on provider `P` and aws-esdk each decrypt their own message and
/// the other's (same format, same keyring names), multi-frame, in `suite`. Without the `esdk`
/// feature, Coffer's own round trip only.
fn check_round_trips<P: Provider>(esdk: &Peer, suite: AlgorithmSuite) {
    let pt = plaintext(3 * coffer_benches::FRAME as usize + 100);
    let mut buffers = Buffers::new(P::keyring(), pt.len());
    let len = P::encrypt(&mut buffers, suite, &pt);
    let by_coffer = buffers.out[..len].to_vec();
    let n = P::decrypt(&mut buffers, &by_coffer);
    assert_eq!(buffers.out[..n], pt, "Coffer decrypts its own");
    #[cfg(feature = "esdk")]
    {
        let by_esdk = esdk.encrypt(suite, &pt);
        assert_eq!(by_coffer[..3], by_esdk[..3], "format version and suite id");
        for message in [&by_coffer, &by_esdk] {
            assert_eq!(esdk.decrypt(message), pt, "aws-esdk decrypts");
            let n = P::decrypt(&mut buffers, message);
            assert_eq!(buffers.out[..n], pt, "Coffer decrypts");
        }
    }
    #[cfg(not(feature = "esdk"))]
    let () = *esdk;
}

criterion_group!(benches, messages);
criterion_main!(benches);
