//! KMS Encrypt, Decrypt and GenerateDataKey on hsm-soft (the in-memory store, the system
//! clock, an in-memory audit ring), with an encryption context, beside the raw AES-256-GCM
//! seal (or open) of the same size: what the façade adds to the one AEAD call it makes
//! (resolving the key, unwrapping its version, the blob format, the audit event).
//!
//! hsm-soft draws its nonces from `coffer_benches::rng()`, the generator the `coffer` command
//! uses; the `coffer-soft-sysrng-into` rows draw them from the OS, one system call per seal.
//!
//! Once per crypto provider (hsm-soft's `P`, beside that provider's raw AES-GCM). Ids:
//! `kms-<op>-<provider>/<impl>/<size>`. GenerateDataKey takes at most 1024 bytes: its sizes
//! are 32 B (AES_256) and 1 KiB.
#![forbid(unsafe_code)]

use coffer_benches::floor::{self, Floor};
use coffer_core::audit::RingAudit;
use coffer_core::clock::SystemClock;
use coffer_core::crypto::CryptoProvider;
use coffer_core::hsm::Hsm;
use coffer_core::store::MemoryStore;
use coffer_core::{DataKeySpec, EncryptionContext, Kms, KmsConfig};
use coffer_hsm_soft::SoftHsm;
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const NONCE: [u8; 12] = [0x5A; 12];
const KEY: [u8; 32] = [0x33; 32];

fn kms(c: &mut Criterion) {
    kms_on::<coffer_core::crypto::RustCrypto, floor::RustCrypto>(c);
    kms_on::<coffer_core::crypto::AwsLc, floor::AwsLc>(c);
}

/// The groups for hsm-soft on provider `P`, beside `F`, the same provider's raw AES-GCM.
fn kms_on<P: CryptoProvider, F: Floor>(c: &mut Criterion) {
    let mut hsm: SoftHsm<_, 8, P> = SoftHsm::new(coffer_benches::rng());
    hsm.create_root_keys().expect("root keys");
    let mut store = Box::new(MemoryStore::<16>::new());
    let mut audit = RingAudit::<64>::new();
    let mut kms = Kms::new(hsm, &mut *store, SystemClock, &mut audit, KmsConfig::default()).expect("a façade");
    let key = kms.create_key("benchmark").expect("a key").key_id.to_string();
    // The same façade on the OS generator (a system call per nonce): the `-sysrng` rows.
    let mut sys_hsm: SoftHsm<_, 8, P> = SoftHsm::new(coffer_benches::sys_rng());
    sys_hsm.create_root_keys().expect("root keys");
    let mut sys_store = Box::new(MemoryStore::<16>::new());
    let mut sys_audit = RingAudit::<64>::new();
    let mut sys_kms =
        Kms::new(sys_hsm, &mut *sys_store, SystemClock, &mut sys_audit, KmsConfig::default()).expect("a façade");
    let sys_key = sys_kms.create_key("benchmark").expect("a key").key_id.to_string();
    let context = EncryptionContext::new(&[("purpose", "benchmark"), ("tenant", "acme")]).expect("a context");
    // The AAD the façade binds is the encoded context and the blob header: about this long.
    let aad = [0xA5u8; 96];
    let floor = F::new(&KEY);
    let raw = format!("raw-aes-gcm-{}", F::NAME);

    let mut group = c.benchmark_group(format!("kms-encrypt-{}", F::NAME));
    for size in [32, 4096] {
        let pt = coffer_benches::plaintext(size);
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(BenchmarkId::new("coffer-soft", label(size)), |b| {
            b.iter(|| kms.encrypt(&key, black_box(&pt), &context).expect("Encrypt"))
        });
        // The caller-buffer form: the blob written into a buffer of exactly its size.
        let mut blob = vec![0u8; coffer_core::data::blob_len(size)];
        group.bench_function(BenchmarkId::new("coffer-soft-into", label(size)), |b| {
            b.iter(|| kms.encrypt_into(&key, black_box(&pt), &context, &mut blob).expect("Encrypt"))
        });
        group.bench_function(BenchmarkId::new("coffer-soft-sysrng-into", label(size)), |b| {
            b.iter(|| sys_kms.encrypt_into(&sys_key, black_box(&pt), &context, &mut blob).expect("Encrypt"))
        });
        let mut buf = pt.clone();
        group.bench_function(BenchmarkId::new(&raw, label(size)), |b| {
            b.iter(|| floor.seal(&NONCE, &aad, black_box(&mut buf)))
        });
    }
    group.finish();

    let mut group = c.benchmark_group(format!("kms-decrypt-{}", F::NAME));
    for size in [32, 4096] {
        let pt = coffer_benches::plaintext(size);
        let blob = kms.encrypt(&key, &pt, &context).expect("Encrypt");
        let opened = kms.decrypt(blob.ciphertext_blob.as_bytes(), &context, Some(&key)).expect("Decrypt");
        assert_eq!(opened.plaintext.as_bytes(), &pt[..]);
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(BenchmarkId::new("coffer-soft", label(size)), |b| {
            b.iter(|| kms.decrypt(black_box(blob.ciphertext_blob.as_bytes()), &context, None).expect("Decrypt"))
        });
        let mut out = vec![0u8; size];
        group.bench_function(BenchmarkId::new("coffer-soft-into", label(size)), |b| {
            b.iter(|| {
                kms.decrypt_into(black_box(blob.ciphertext_blob.as_bytes()), &context, None, &mut out).expect("Decrypt")
            })
        });
        let mut sealed = pt.clone();
        let tag = floor.seal(&NONCE, &aad, &mut sealed);
        group.bench_function(BenchmarkId::new(&raw, label(size)), |b| {
            b.iter_batched_ref(|| sealed.clone(), |buf| floor.open(&NONCE, &aad, buf, &tag), BatchSize::SmallInput)
        });
    }
    group.finish();

    // DescribeKey: the key record read (authenticated once, then compared) and its metadata.
    let mut group = c.benchmark_group(format!("kms-describe-key-{}", F::NAME));
    group.bench_function("coffer-soft", |b| b.iter(|| kms.describe_key(black_box(&key)).expect("DescribeKey")));
    group.finish();

    let mut group = c.benchmark_group(format!("kms-generate-data-key-{}", F::NAME));
    for size in [32u16, 1024] {
        let spec = if size == 32 { DataKeySpec::Aes256 } else { DataKeySpec::NumberOfBytes(size) };
        let made = kms.generate_data_key(&key, spec, &context).expect("GenerateDataKey");
        let opened = kms.decrypt(made.ciphertext_blob.as_bytes(), &context, None).expect("Decrypt");
        assert_eq!(opened.plaintext.as_bytes(), made.plaintext.as_bytes());
        group.throughput(Throughput::Bytes(u64::from(size)));
        group.bench_function(BenchmarkId::new("coffer-soft", label(size.into())), |b| {
            b.iter(|| kms.generate_data_key(&key, spec, &context).expect("GenerateDataKey"))
        });
        let mut buf = vec![0u8; size.into()];
        group.bench_function(BenchmarkId::new(&raw, label(size.into())), |b| {
            b.iter(|| floor.seal(&NONCE, &aad, black_box(&mut buf)))
        });
    }
    group.finish();
}

fn label(size: usize) -> String {
    if size >= 1024 { format!("{}KiB", size / 1024) } else { format!("{size}B") }
}

criterion_group!(benches, kms);
criterion_main!(benches);
