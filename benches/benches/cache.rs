//! The data-key cache: 10,000 small messages (100 B, suite 04 78) encrypted, then decrypted,
//! through a KMS keyring over hsm-soft, with the caching CMM (`LocalCache`, max-messages
//! 1,000) and without it. Criterion times each batch of 10,000; the HSM calls each made are
//! counted (a counting wrapper around the HSM), asserted and written to
//! `target/coffer-benches/cache.json` for `report.py`.
//!
//! 04 78 rather than 05 78: the signed suite's ECDSA signature per message would hide the
//! cost the cache saves. Ids: `cache-<encrypt|decrypt>-10000/<coffer-cached|coffer-uncached>`.
#![forbid(unsafe_code)]

use coffer_benches::counting::{CountingHsm, Counts};
use coffer_benches::{FRAME, coffer};
use coffer_core::audit::RingAudit;
use coffer_core::clock::SystemClock;
use coffer_core::hsm::Hsm;
use coffer_core::message::{
    AlgorithmSuite, CacheLimits, CachingCmm, Decryptor, EncryptConfig, Encryptor, Keyring, KmsKeyring, Limits,
    LocalCache, MAX_HEADER_LEN,
};
use coffer_core::store::MemoryStore;
use coffer_core::{Kms, KmsConfig};
use coffer_hsm_soft::SoftHsm;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;

const MESSAGES: usize = 10_000;
const MAX_MESSAGES: u64 = 1_000;
const SIZE: usize = 100;
const SUITE: AlgorithmSuite = AlgorithmSuite::AesGcm256HkdfSha512Commit;

fn limits() -> CacheLimits {
    CacheLimits { max_messages: MAX_MESSAGES, ..CacheLimits::new(600) }
}

/// Encrypts [`MESSAGES`] messages of `pt` through `keyring` or, if `cached`, through a caching
/// CMM over it with a cold cache; returns them if `keep`.
fn encrypt_all<K: Keyring>(mut keyring: K, cached: bool, pt: &[u8], keep: bool) -> Vec<Vec<u8>> {
    let mut rng = coffer_benches::rng();
    let mut workspace = vec![0u8; Encryptor::workspace_len(FRAME).max(MAX_HEADER_LEN)];
    let mut out = vec![0u8; SIZE + 2 * MAX_HEADER_LEN];
    let config = EncryptConfig { suite: SUITE, frame_length: FRAME, limits: Limits::default() };
    let context = coffer::context();
    let mut kept = Vec::new();
    let mut cache = LocalCache::<4, 4>::new();
    if cached {
        let mut cmm =
            CachingCmm::new(&mut cache, &mut keyring, SystemClock, limits(), &mut rng).expect("a caching CMM");
        for _ in 0..MESSAGES {
            let bound = Some(pt.len() as u64);
            let encryptor = cmm.encryptor(&context, &config, bound, &mut rng, &mut workspace).expect("encryptor");
            let len = drive(encryptor, pt, &mut out);
            if keep {
                kept.push(out[..len].to_vec());
            }
        }
        assert!(cmm.stats().keyring_calls <= MESSAGES as u64 / MAX_MESSAGES, "{:?}", cmm.stats());
    } else {
        for _ in 0..MESSAGES {
            let len = coffer::encrypt(&mut keyring, SUITE, pt, &mut workspace, &mut out, &mut rng);
            if keep {
                kept.push(out[..len].to_vec());
            }
        }
    }
    kept
}

/// The whole of `pt` through a started encryptor; the message length in `out`.
fn drive(mut encryptor: Encryptor<'_>, pt: &[u8], out: &mut [u8]) -> usize {
    let (consumed, mut len) = encryptor.update(pt, out).expect("update");
    assert_eq!(consumed, pt.len());
    let (written, done) = encryptor.finish(&mut out[len..]).expect("finish");
    assert!(done, "the output buffer is too small");
    len += written;
    len
}

/// Decrypts every message through `keyring` or a caching CMM over it (cold), checking each.
fn decrypt_all<K: Keyring>(mut keyring: K, cached: bool, messages: &[Vec<u8>], pt: &[u8]) {
    let mut rng = coffer_benches::rng();
    let mut workspace = vec![0u8; Decryptor::workspace_len(FRAME).max(MAX_HEADER_LEN)];
    let mut out = vec![0u8; SIZE];
    let mut cache = LocalCache::<4, 4>::new();
    if cached {
        let mut cmm =
            CachingCmm::new(&mut cache, &mut keyring, SystemClock, limits(), &mut rng).expect("a caching CMM");
        for message in messages {
            let len = coffer::decrypt(&mut cmm, message, &mut workspace, &mut out);
            assert_eq!(&out[..len], pt);
        }
    } else {
        for message in messages {
            let len = coffer::decrypt(&mut keyring, message, &mut workspace, &mut out);
            assert_eq!(&out[..len], pt);
        }
    }
}

fn cache(c: &mut Criterion) {
    let mut hsm: SoftHsm<_> = SoftHsm::new(coffer_benches::rng());
    hsm.create_root_keys().expect("root keys");
    let (hsm, counts) = CountingHsm::new(hsm);
    let mut store = Box::new(MemoryStore::<16>::new());
    let mut kms =
        Kms::new(hsm, &mut *store, SystemClock, RingAudit::<64>::new(), KmsConfig::default()).expect("a façade");
    let key = kms.create_key("cache benchmark").expect("a key").key_id.to_string();
    let pt = coffer_benches::plaintext(SIZE);

    // The counts, once each, outside the timing.
    let mut figures = serde_json::Map::new();
    let mut messages = Vec::new();
    for cached in [true, false] {
        let name = if cached { "cached" } else { "uncached" };
        counts.reset();
        messages = encrypt_all(KmsKeyring::new(&mut kms, &key), cached, &pt, true);
        let encrypt = snapshot(&counts);
        counts.reset();
        decrypt_all(KmsKeyring::new(&mut kms, &key), cached, &messages, &pt);
        let decrypt = snapshot(&counts);
        println!(
            "{name}: {MESSAGES} messages, HSM seals/opens: encrypt {}, decrypt {}",
            encrypt["aead"], decrypt["aead"]
        );
        // With the cache: one GenerateDataKey (one Decrypt) per 1,000 messages at most.
        // Without: exactly one per message.
        let (encrypt_calls, decrypt_calls) = (encrypt["aead"].as_u64(), decrypt["aead"].as_u64());
        if cached {
            let limit = Some(MESSAGES as u64 / MAX_MESSAGES);
            assert!(encrypt_calls <= limit && decrypt_calls <= limit, "{name}: too many HSM calls");
        } else {
            let each = Some(MESSAGES as u64);
            assert!(encrypt_calls == each && decrypt_calls == each, "{name}: not one HSM call per message");
        }
        figures.insert(name.into(), json!({ "encrypt": encrypt, "decrypt": decrypt }));
    }
    figures.insert("messages".into(), json!(MESSAGES));
    figures.insert("max_messages".into(), json!(MAX_MESSAGES));
    figures.insert("plaintext_bytes".into(), json!(SIZE));
    coffer_benches::figures::write("cache", &serde_json::Value::Object(figures));

    let mut group = c.benchmark_group(format!("cache-encrypt-{MESSAGES}"));
    group.throughput(Throughput::Elements(MESSAGES as u64));
    group.sample_size(10);
    for cached in [true, false] {
        let id = if cached { "coffer-cached" } else { "coffer-uncached" };
        group.bench_function(id, |b| b.iter(|| encrypt_all(KmsKeyring::new(&mut kms, &key), cached, &pt, false)));
    }
    group.finish();

    let mut group = c.benchmark_group(format!("cache-decrypt-{MESSAGES}"));
    group.throughput(Throughput::Elements(MESSAGES as u64));
    group.sample_size(10);
    for cached in [true, false] {
        let id = if cached { "coffer-cached" } else { "coffer-uncached" };
        group.bench_function(id, |b| b.iter(|| decrypt_all(KmsKeyring::new(&mut kms, &key), cached, &messages, &pt)));
    }
    group.finish();
}

fn snapshot(counts: &Counts) -> serde_json::Value {
    json!({ "aead": counts.aead.get(), "calls": counts.calls.get() })
}

criterion_group!(benches, cache);
criterion_main!(benches);
