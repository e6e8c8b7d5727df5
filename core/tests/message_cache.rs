//! The data-key cache (caching CMM): its limits exactly at their edges, its isolation of
//! contexts, suites and partitions, LRU eviction, the decrypt cache, and the keyring calls it
//! saves, counted by a keyring wrapper independent of the cache's own counters. Every message
//! is decrypted by a plain keyring (no cache) as well.
#![cfg(all(feature = "ecdsa-p384", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

extern crate alloc;

use alloc::rc::Rc;
use core::cell::Cell;

use coffer_core::EncryptionContext;
use coffer_core::clock::ManualClock;
use coffer_core::message::{
    AlgorithmSuite, CacheError, CacheLimits, CachingCmm, DecryptError, DecryptionMaterials, EdkRef, EncryptError,
    EncryptionMaterials, Encryptor, Header, Keyring, KeyringError, Limits, LocalCache, MAX_HEADER_LEN, RawAesKeyring,
};
use common::*;
use rand_core::TryCryptoRng;

const SIGNED: AlgorithmSuite = AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384;
const UNSIGNED: AlgorithmSuite = AlgorithmSuite::AesGcm256HkdfSha512Commit;

/// Counts the calls that reach the real keyring (what an HSM or KMS would see).
#[derive(Clone, Default)]
struct Calls {
    encrypt: Rc<Cell<u64>>,
    decrypt: Rc<Cell<u64>>,
}

impl Calls {
    fn total(&self) -> u64 {
        self.encrypt.get() + self.decrypt.get()
    }
}

struct Counting {
    inner: RawAesKeyring<'static>,
    calls: Calls,
}

impl Keyring for Counting {
    fn on_encrypt<R: TryCryptoRng + ?Sized>(
        &mut self,
        materials: &mut EncryptionMaterials<'_>,
        rng: &mut R,
    ) -> Result<(), KeyringError> {
        self.calls.encrypt.set(self.calls.encrypt.get() + 1);
        self.inner.on_encrypt(materials, rng)
    }

    fn on_decrypt(&mut self, materials: &mut DecryptionMaterials<'_>, edks: &[EdkRef<'_>]) -> Result<(), KeyringError> {
        self.calls.decrypt.set(self.calls.decrypt.get() + 1);
        self.inner.on_decrypt(materials, edks)
    }
}

fn counting() -> (Counting, Calls) {
    let calls = Calls::default();
    (Counting { inner: keyring_a(), calls: calls.clone() }, calls)
}

type Cmm<'a, 'k, const E: usize, const D: usize> = CachingCmm<'a, Counting, &'k ManualClock, E, D>;

fn make<'a, 'k, const E: usize, const D: usize>(
    cache: &'a mut LocalCache<E, D>,
    clock: &'k ManualClock,
    limits: CacheLimits,
) -> (Cmm<'a, 'k, E, D>, Calls) {
    let (keyring, calls) = counting();
    (CachingCmm::with_partition_id(cache, keyring, clock, limits, "test").unwrap(), calls)
}

fn ctx(pairs: &[(&'static str, &'static str)]) -> EncryptionContext<'static> {
    EncryptionContext::new(pairs).unwrap()
}

/// Encrypts `pt` through the cache, declaring `declared` as its length.
fn seal<const E: usize, const D: usize>(
    cmm: &mut Cmm<'_, '_, E, D>,
    suite: AlgorithmSuite,
    context: &EncryptionContext<'static>,
    pt: &[u8],
    declared: Option<u64>,
    rng: &mut TestRng,
) -> Vec<u8> {
    let config = config(suite, 256);
    let mut ws = vec![0u8; Encryptor::workspace_len(256).max(MAX_HEADER_LEN)];
    let mut enc = cmm.encryptor(context, &config, declared, rng, &mut ws).unwrap();
    let mut msg = vec![0u8; pt.len() + 4096];
    let (consumed, mut len) = enc.update(pt, &mut msg).unwrap();
    assert_eq!(consumed, pt.len());
    let (w, done) = enc.finish(&mut msg[len..]).unwrap();
    assert!(done);
    len += w;
    msg.truncate(len);
    msg
}

/// Encrypts `pt` declaring its exact length.
fn seal_known<const E: usize, const D: usize>(
    cmm: &mut Cmm<'_, '_, E, D>,
    suite: AlgorithmSuite,
    context: &EncryptionContext<'static>,
    pt: &[u8],
    rng: &mut TestRng,
) -> Vec<u8> {
    seal(cmm, suite, context, pt, Some(pt.len() as u64), rng)
}

/// The message's first EDK ciphertext: the raw AES keyring wraps each data key under a fresh
/// IV, so two messages have the same EDK if and only if they share the data key.
fn edk(msg: &[u8]) -> Vec<u8> {
    let (header, _) = Header::parse(msg, &Limits::default()).unwrap();
    header.edks[0].ciphertext.to_vec()
}

fn message_id(msg: &[u8]) -> [u8; 32] {
    Header::parse(msg, &Limits::default()).unwrap().0.message_id
}

/// Decrypts with a plain keyring: no cache involved.
fn open_plain(msg: &[u8], context: &EncryptionContext<'_>) -> Vec<u8> {
    decrypt(msg, context).unwrap()
}

#[test]
fn max_messages_n_share_one_data_key_and_message_n_plus_one_gets_a_fresh_one() {
    for suite in [UNSIGNED, SIGNED] {
        let clock = ManualClock::new(1_000);
        let mut cache: LocalCache<4, 4> = LocalCache::new();
        let limits = CacheLimits { max_messages: 5, ..CacheLimits::new(3_600) };
        let (mut cmm, calls) = make(&mut cache, &clock, limits);
        let context = ctx(&[("tenant", "a")]);
        let mut rng = TestRng(1);
        let mut msgs = Vec::new();
        for i in 0..11u8 {
            let pt = vec![i; 10 + usize::from(i)];
            let msg = seal_known(&mut cmm, suite, &context, &pt, &mut rng);
            assert_eq!(open_plain(&msg, &context), pt, "message {} decrypts without the cache", i + 1);
            msgs.push(msg);
            // Messages 1..=5: one keyring call; 6..=10: a second; 11: a third.
            let expected_calls = u64::from(i) / 5 + 1;
            assert_eq!(calls.encrypt.get(), expected_calls, "keyring calls after message {}", i + 1);
            assert_eq!(cmm.stats().keyring_calls, expected_calls);
        }
        for m in &msgs[1..5] {
            assert_eq!(edk(m), edk(&msgs[0]));
        }
        assert_ne!(edk(&msgs[5]), edk(&msgs[4]), "message N+1 has a fresh data key");
        for m in &msgs[6..10] {
            assert_eq!(edk(m), edk(&msgs[5]));
        }
        assert_ne!(edk(&msgs[10]), edk(&msgs[9]));
        // Shared data key, but every message has its own id (and so its own content key and
        // key commitment).
        let mut ids: Vec<_> = msgs.iter().map(|m| message_id(m)).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), msgs.len());
        let stats = cmm.stats();
        assert_eq!((stats.encrypt_misses, stats.encrypt_hits, stats.encrypt_bypasses), (3, 8, 0));
        // The retired entries were removed; one live entry remains.
        assert_eq!(cmm.cache().encrypt_len(), 1);
        assert_eq!(cmm.cache().evictions(), 2);
    }
}

#[test]
fn max_bytes_allows_a_total_of_exactly_the_limit_and_refreshes_past_it() {
    let clock = ManualClock::new(0);
    let mut cache: LocalCache<2, 2> = LocalCache::new();
    let limits = CacheLimits { max_bytes: 100, ..CacheLimits::new(3_600) };
    let (mut cmm, calls) = make(&mut cache, &clock, limits);
    let context = ctx(&[("k", "v")]);
    let mut rng = TestRng(2);
    let m1 = seal_known(&mut cmm, UNSIGNED, &context, &[1; 40], &mut rng); // total 40
    let m2 = seal_known(&mut cmm, UNSIGNED, &context, &[2; 60], &mut rng); // total 100 = limit
    assert_eq!(edk(&m1), edk(&m2), "a message that brings the total exactly to max_bytes shares the key");
    assert_eq!(calls.encrypt.get(), 1);
    let m3 = seal_known(&mut cmm, UNSIGNED, &context, &[3; 1], &mut rng); // would be 101
    assert_ne!(edk(&m3), edk(&m2), "a message that would bring the total over max_bytes gets a fresh key");
    assert_eq!(calls.encrypt.get(), 2);
    // The fresh entry counts that message: 1 + 99 = 100 still fits, then 1 more does not.
    let m4 = seal_known(&mut cmm, UNSIGNED, &context, &[4; 99], &mut rng);
    assert_eq!(edk(&m4), edk(&m3));
    // An empty message adds nothing, but counts as a message: still fits.
    let m5 = seal_known(&mut cmm, UNSIGNED, &context, &[], &mut rng);
    assert_eq!(edk(&m5), edk(&m3));
    assert_eq!(calls.encrypt.get(), 2);
    let m6 = seal_known(&mut cmm, UNSIGNED, &context, &[6; 1], &mut rng);
    assert_ne!(edk(&m6), edk(&m3));
    assert_eq!(calls.encrypt.get(), 3);
    for (m, pt) in
        [(&m1, vec![1; 40]), (&m2, vec![2; 60]), (&m3, vec![3]), (&m4, vec![4; 99]), (&m5, vec![]), (&m6, vec![6])]
    {
        assert_eq!(open_plain(m, &context), pt);
    }
}

#[test]
fn a_message_longer_than_max_bytes_bypasses_the_cache_and_one_of_exactly_max_bytes_is_cached() {
    let clock = ManualClock::new(0);
    let mut cache: LocalCache<2, 2> = LocalCache::new();
    let limits = CacheLimits { max_bytes: 100, ..CacheLimits::new(3_600) };
    let (mut cmm, calls) = make(&mut cache, &clock, limits);
    let context = ctx(&[("k", "v")]);
    let mut rng = TestRng(3);
    let big = seal_known(&mut cmm, UNSIGNED, &context, &[9; 101], &mut rng);
    assert_eq!(cmm.stats().encrypt_bypasses, 1);
    assert_eq!(cmm.cache().encrypt_len(), 0, "not cached");
    let exact = seal_known(&mut cmm, UNSIGNED, &context, &[8; 100], &mut rng);
    assert_eq!(cmm.cache().encrypt_len(), 1, "a message of exactly max_bytes is cached");
    // ... and has used the whole budget: the next message, even of 1 byte, gets a fresh key.
    let next = seal_known(&mut cmm, UNSIGNED, &context, &[7; 1], &mut rng);
    assert_ne!(edk(&next), edk(&exact));
    assert_eq!(calls.encrypt.get(), 3);
    assert_eq!(open_plain(&big, &context), vec![9; 101]);
    assert_eq!(open_plain(&exact, &context), vec![8; 100]);
}

#[test]
fn unknown_plaintext_length_bypasses_the_cache() {
    let clock = ManualClock::new(0);
    let mut cache: LocalCache<2, 2> = LocalCache::new();
    let (mut cmm, calls) = make(&mut cache, &clock, CacheLimits::new(3_600));
    let context = ctx(&[("k", "v")]);
    let mut rng = TestRng(4);
    let a = seal(&mut cmm, SIGNED, &context, b"stream one", None, &mut rng);
    let b = seal(&mut cmm, SIGNED, &context, b"stream two", None, &mut rng);
    assert_ne!(edk(&a), edk(&b));
    assert_eq!(calls.encrypt.get(), 2);
    assert_eq!(cmm.stats().encrypt_bypasses, 2);
    assert_eq!(cmm.cache().encrypt_len(), 0);
    assert_eq!(open_plain(&a, &context), b"stream one");
    assert_eq!(open_plain(&b, &context), b"stream two");
}

#[test]
fn the_declared_length_is_enforced_by_the_encryptor() {
    let clock = ManualClock::new(0);
    let mut cache: LocalCache<2, 2> = LocalCache::new();
    let (mut cmm, _) = make(&mut cache, &clock, CacheLimits::new(3_600));
    let context = ctx(&[("k", "v")]);
    let mut rng = TestRng(5);
    let config = config(UNSIGNED, 4);
    let mut ws = vec![0u8; MAX_HEADER_LEN];
    let mut enc = cmm.encryptor(&context, &config, Some(10), &mut rng, &mut ws).unwrap();
    let mut out = vec![0u8; 4096];
    // Exactly the declared length passes, in pieces and across frames...
    enc.update(&[1; 6], &mut out).unwrap();
    enc.update(&[1; 4], &mut out).unwrap();
    // ... one byte more is refused and the encryptor is unusable.
    assert_eq!(enc.update(&[1], &mut out), Err(EncryptError::PlaintextTooLong));
    assert_eq!(enc.finish(&mut out), Err(EncryptError::State));
}

#[test]
fn an_entry_is_used_below_max_age_and_never_at_or_after_it() {
    let clock = ManualClock::new(10_000);
    let mut cache: LocalCache<2, 2> = LocalCache::new();
    let (mut cmm, calls) = make(&mut cache, &clock, CacheLimits::new(60));
    let context = ctx(&[("k", "v")]);
    let mut rng = TestRng(6);
    let m0 = seal_known(&mut cmm, SIGNED, &context, b"t=0", &mut rng);
    clock.advance(59);
    let m59 = seal_known(&mut cmm, SIGNED, &context, b"t=59", &mut rng);
    assert_eq!(edk(&m59), edk(&m0), "age 59 < 60: used");
    assert_eq!(calls.encrypt.get(), 1);
    clock.advance(1);
    let m60 = seal_known(&mut cmm, SIGNED, &context, b"t=60", &mut rng);
    assert_ne!(edk(&m60), edk(&m0), "age 60 = max_age: expired, fresh key");
    assert_eq!(calls.encrypt.get(), 2);
    clock.advance(59);
    let m119 = seal_known(&mut cmm, SIGNED, &context, b"t=119", &mut rng);
    assert_eq!(edk(&m119), edk(&m60));
    clock.advance(1000);
    let later = seal_known(&mut cmm, SIGNED, &context, b"later", &mut rng);
    assert_ne!(edk(&later), edk(&m60));
    assert_eq!(calls.encrypt.get(), 3);
    // A clock that goes backwards expires the entry too.
    clock.set(10_000);
    let back = seal_known(&mut cmm, SIGNED, &context, b"back", &mut rng);
    assert_ne!(edk(&back), edk(&later));
    assert_eq!(calls.encrypt.get(), 4);
    for (m, pt) in [(&m0, &b"t=0"[..]), (&m59, b"t=59"), (&m60, b"t=60"), (&m119, b"t=119"), (&later, b"later")] {
        assert_eq!(open_plain(m, &context), pt);
    }
}

#[test]
fn entries_never_serve_another_context_suite_or_partition() {
    let clock = ManualClock::new(0);
    let mut cache: LocalCache<8, 8> = LocalCache::new();
    let limits = CacheLimits::new(3_600);
    let mut rng = TestRng(7);
    let ab = ctx(&[("a", "1"), ("b", "2")]);
    let ba = ctx(&[("b", "2"), ("a", "1")]);
    let ab3 = ctx(&[("a", "1"), ("b", "3")]);
    let a = ctx(&[("a", "1")]);
    let (first, first_calls) = {
        let (mut cmm1, calls1) = make(&mut cache, &clock, limits);
        let first = seal_known(&mut cmm1, UNSIGNED, &ab, b"x", &mut rng);
        // Same pairs in another order: the same context, a hit.
        let same = seal_known(&mut cmm1, UNSIGNED, &ba, b"x", &mut rng);
        assert_eq!(edk(&same), edk(&first));
        assert_eq!(calls1.encrypt.get(), 1);
        // Another value, a subset of the pairs, the empty context, another suite: all misses.
        let others = [
            seal_known(&mut cmm1, UNSIGNED, &ab3, b"x", &mut rng),
            seal_known(&mut cmm1, UNSIGNED, &a, b"x", &mut rng),
            seal_known(&mut cmm1, UNSIGNED, &EncryptionContext::empty(), b"x", &mut rng),
            seal_known(&mut cmm1, SIGNED, &ab, b"x", &mut rng),
        ];
        assert_eq!(calls1.encrypt.get(), 5);
        for o in &others {
            assert_ne!(edk(o), edk(&first));
        }
        assert_eq!(open_plain(&others[0], &ab3), b"x");
        assert_eq!(open_plain(&others[3], &ab), b"x");
        (first, calls1)
    };
    assert_eq!(first_calls.total(), 5);
    // Another CMM on the same cache, another partition: misses.
    {
        let (keyring, calls) = counting();
        let mut other = CachingCmm::with_partition_id(&mut cache, keyring, &clock, limits, "other").unwrap();
        let m = seal_known(&mut other, UNSIGNED, &ab, b"x", &mut rng);
        assert_ne!(edk(&m), edk(&first));
        assert_eq!(calls.encrypt.get(), 1);
    }
    // A CMM with a generated (random) partition id: misses too.
    {
        let (keyring, calls) = counting();
        let mut random = CachingCmm::new(&mut cache, keyring, &clock, limits, &mut rng).unwrap();
        assert_eq!(random.partition_id().len(), 32);
        let m = seal_known(&mut random, UNSIGNED, &ab, b"x", &mut rng);
        assert_ne!(edk(&m), edk(&first));
        assert_eq!(calls.encrypt.get(), 1);
    }
    // The same partition id again: it shares the first CMM's entries.
    {
        let (mut again, calls) = make(&mut cache, &clock, limits);
        let m = seal_known(&mut again, UNSIGNED, &ab, b"x", &mut rng);
        assert_eq!(edk(&m), edk(&first));
        assert_eq!(calls.encrypt.get(), 0);
    }
}

#[test]
fn capacity_evicts_the_least_recently_used_entry() {
    let clock = ManualClock::new(0);
    let mut cache: LocalCache<2, 2> = LocalCache::new();
    let (mut cmm, calls) = make(&mut cache, &clock, CacheLimits::new(3_600));
    let mut rng = TestRng(8);
    let (a, b, c) = (ctx(&[("n", "a")]), ctx(&[("n", "b")]), ctx(&[("n", "c")]));
    let ma = seal_known(&mut cmm, UNSIGNED, &a, b"a", &mut rng);
    let mb = seal_known(&mut cmm, UNSIGNED, &b, b"b", &mut rng);
    assert_eq!(edk(&seal_known(&mut cmm, UNSIGNED, &a, b"a", &mut rng)), edk(&ma)); // a used last
    assert_eq!(calls.encrypt.get(), 2);
    let mc = seal_known(&mut cmm, UNSIGNED, &c, b"c", &mut rng); // evicts b
    assert_eq!((cmm.cache().encrypt_len(), cmm.cache().evictions()), (2, 1));
    assert_eq!(calls.encrypt.get(), 3);
    assert_eq!(edk(&seal_known(&mut cmm, UNSIGNED, &a, b"a", &mut rng)), edk(&ma), "a is still cached");
    assert_eq!(edk(&seal_known(&mut cmm, UNSIGNED, &c, b"c", &mut rng)), edk(&mc), "c is cached");
    assert_eq!(calls.encrypt.get(), 3);
    // b was evicted (and its key zeroized with it): a new keyring call, a new data key.
    let mb2 = seal_known(&mut cmm, UNSIGNED, &b, b"b", &mut rng);
    assert_ne!(edk(&mb2), edk(&mb));
    assert_eq!(calls.encrypt.get(), 4);
    assert_eq!(cmm.cache().evictions(), 2, "b's return evicted the least recently used, a");
    let ma2 = seal_known(&mut cmm, UNSIGNED, &a, b"a", &mut rng);
    assert_ne!(edk(&ma2), edk(&ma));
    assert_eq!(calls.encrypt.get(), 5);
    for (m, context, pt) in [(&ma, &a, b"a"), (&mb, &b, b"b"), (&mc, &c, b"c"), (&mb2, &b, b"b"), (&ma2, &a, b"a")] {
        assert_eq!(open_plain(m, context), pt);
    }
}

#[test]
fn a_cache_of_capacity_zero_caches_nothing_and_still_works() {
    let clock = ManualClock::new(0);
    let mut cache: LocalCache<0, 0> = LocalCache::new();
    let (mut cmm, calls) = make(&mut cache, &clock, CacheLimits::new(3_600));
    let context = ctx(&[("k", "v")]);
    let mut rng = TestRng(9);
    let m1 = seal_known(&mut cmm, UNSIGNED, &context, b"one", &mut rng);
    let m2 = seal_known(&mut cmm, UNSIGNED, &context, b"two", &mut rng);
    assert_ne!(edk(&m1), edk(&m2));
    assert_eq!(calls.encrypt.get(), 2);
    assert_eq!(decrypt_with(&mut cmm, &context, Limits::default(), 70_000, &m1, 1 << 20, 1 << 20).unwrap(), b"one");
    assert_eq!(decrypt_with(&mut cmm, &context, Limits::default(), 70_000, &m1, 1 << 20, 1 << 20).unwrap(), b"one");
    assert_eq!(calls.decrypt.get(), 2);
}

#[test]
fn decrypt_cache_hits_for_the_same_edks_and_context_and_misses_otherwise() {
    for suite in [UNSIGNED, SIGNED] {
        let clock = ManualClock::new(0);
        let mut enc_cache: LocalCache<2, 0> = LocalCache::new();
        let (mut enc, _) = make(&mut enc_cache, &clock, CacheLimits { max_messages: 3, ..CacheLimits::new(3_600) });
        let context = ctx(&[("k", "v")]);
        let mut rng = TestRng(10);
        // Messages 0..3 share a data key (and EDKs, and for 05 78 the signing key, so the same
        // context); messages 3..6 share another.
        let msgs: Vec<Vec<u8>> = (0..6u8).map(|i| seal_known(&mut enc, suite, &context, &[i; 300], &mut rng)).collect();
        drop(enc);

        let mut dec_cache: LocalCache<0, 4> = LocalCache::new();
        let (mut dec, calls) = make(&mut dec_cache, &clock, CacheLimits::new(60));
        let open = |dec: &mut Cmm<'_, '_, 0, 4>, m: &[u8], c: &EncryptionContext<'_>| {
            decrypt_with(dec, c, Limits::default(), 70_000, m, 100, 64)
        };
        for (i, m) in msgs.iter().enumerate() {
            assert_eq!(open(&mut dec, m, &context).unwrap(), vec![u8::try_from(i).unwrap(); 300]);
        }
        assert_eq!(calls.decrypt.get(), 2, "one keyring call per data key");
        assert_eq!((dec.stats().decrypt_misses, dec.stats().decrypt_hits), (2, 4));
        // A cached key does not make a wrong expected context, or a tampered message, pass.
        assert_eq!(open(&mut dec, &msgs[0], &ctx(&[("k", "w")])), Err(DecryptError::Invalid));
        let mut tampered = msgs[1].clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(open(&mut dec, &tampered, &context).is_err());
        // Entries expire as encryption entries do: at max_age, the keyring is called again.
        clock.advance(59);
        open(&mut dec, &msgs[2], &context).unwrap();
        assert_eq!(calls.decrypt.get(), 2);
        clock.advance(1);
        open(&mut dec, &msgs[2], &context).unwrap();
        assert_eq!(calls.decrypt.get(), 3);
        // A message from another keyring's data key (other EDKs) misses, and a message this
        // keyring cannot open is refused and caches nothing.
        let foreign = encrypt_with(&mut keyring_b(), &context, &config(suite, 256), 11, b"b", 64, 64);
        assert_eq!(open(&mut dec, &foreign, &context), Err(DecryptError::Invalid));
        assert_eq!(open(&mut dec, &foreign, &context), Err(DecryptError::Invalid));
        assert_eq!(calls.decrypt.get(), 5);
        assert_eq!(dec.cache().decrypt_len(), 1);
    }
}

#[test]
fn ten_thousand_messages_with_max_messages_1000_make_ten_keyring_calls_and_all_decrypt() {
    let clock = ManualClock::new(0);
    let mut cache: LocalCache<1, 0> = LocalCache::new();
    let limits = CacheLimits { max_messages: 1_000, ..CacheLimits::new(3_600) };
    let (mut cmm, calls) = make(&mut cache, &clock, limits);
    let context = ctx(&[("purpose", "bulk")]);
    let mut rng = TestRng(12);
    let msgs: Vec<Vec<u8>> =
        (0..10_000u32).map(|i| seal_known(&mut cmm, UNSIGNED, &context, &i.to_be_bytes(), &mut rng)).collect();
    assert_eq!(calls.encrypt.get(), 10, "10,000 messages, 1,000 per data key");
    assert_eq!(cmm.stats().keyring_calls, 10);
    assert_eq!((cmm.stats().encrypt_misses, cmm.stats().encrypt_hits), (10, 9_990));
    drop(cmm);
    let mut keys: Vec<Vec<u8>> = msgs.iter().map(|m| edk(m)).collect();
    keys.dedup();
    assert_eq!(keys.len(), 10);
    // All decrypt without a cache, and with a decrypt cache in 10 keyring calls.
    let mut dec_cache: LocalCache<0, 2> = LocalCache::new();
    let (mut dec, dec_calls) = make(&mut dec_cache, &clock, limits);
    for (i, m) in msgs.iter().enumerate() {
        let expected = u32::try_from(i).unwrap().to_be_bytes();
        assert_eq!(open_plain(m, &context), expected);
        assert_eq!(decrypt_with(&mut dec, &context, Limits::default(), 4096, m, 1 << 20, 64).unwrap(), expected);
    }
    assert_eq!(dec_calls.decrypt.get(), 10);
    assert_eq!(dec.stats().keyring_calls, 10);
}

#[test]
fn signed_messages_from_cached_materials_share_the_signing_key_and_verify() {
    let clock = ManualClock::new(0);
    let mut cache: LocalCache<1, 1> = LocalCache::new();
    let (mut cmm, calls) = make(&mut cache, &clock, CacheLimits::new(3_600));
    let context = ctx(&[("k", "v")]);
    let mut rng = TestRng(13);
    let sizes = [0usize, 1, 255, 256, 257, 3 * 256];
    let msgs: Vec<Vec<u8>> =
        sizes.iter().map(|&n| seal_known(&mut cmm, SIGNED, &context, &plaintext(n), &mut rng)).collect();
    assert_eq!(calls.encrypt.get(), 1);
    let public_key = |m: &[u8]| {
        let (h, _) = Header::parse(m, &Limits::default()).unwrap();
        h.context.get("aws-crypto-public-key").unwrap().to_owned()
    };
    for (m, &n) in msgs.iter().zip(&sizes) {
        assert_eq!(public_key(m), public_key(&msgs[0]));
        assert_eq!(open_plain(m, &context), plaintext(n));
    }
    // A bit flipped in a signature is caught, cached key or not.
    let mut bad = msgs[2].clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert_eq!(decrypt(&bad, &context), Err(DecryptError::Invalid));
}

#[test]
fn contexts_need_not_outlive_the_cache_and_nothing_secret_is_printed() {
    let clock = ManualClock::new(0);
    let mut cache: LocalCache<1, 1> = LocalCache::new();
    let (mut cmm, calls) = make(&mut cache, &clock, CacheLimits::new(3_600));
    let mut rng = TestRng(14);
    let mut first = None;
    for i in 0..3 {
        // A context built per request from a short-lived string, as a server would.
        let tenant = String::from("tenant-7");
        let context = EncryptionContext::new(&[("tenant", tenant.as_str())]).unwrap();
        let config = config(UNSIGNED, 256);
        let mut ws = vec![0u8; MAX_HEADER_LEN];
        let mut enc = cmm.encryptor(&context, &config, Some(1), &mut rng, &mut ws).unwrap();
        let mut msg = vec![0u8; 1024];
        let (_, n) = enc.update(&[i], &mut msg).unwrap();
        let (w, _) = enc.finish(&mut msg[n..]).unwrap();
        msg.truncate(n + w);
        drop(enc);
        assert_eq!(open_plain(&msg, &context), [i]);
        let key = edk(&msg);
        assert_eq!(first.get_or_insert_with(|| key.clone()), &key);
    }
    assert_eq!(calls.encrypt.get(), 1);
    let debug = format!("{cmm:?}");
    assert!(debug.contains("\"test\"") && debug.contains("keyring_calls: 1"), "{debug}");
    assert!(!debug.contains("DataKey(["), "{debug}");
}

#[test]
fn construction_refuses_bad_limits_and_partition_ids() {
    let clock = ManualClock::new(0);
    let mut cache: LocalCache<1, 1> = LocalCache::new();
    let try_make = |cache: &mut LocalCache<1, 1>, limits: CacheLimits, partition: &str| {
        CachingCmm::with_partition_id(cache, counting().0, &clock, limits, partition).map(|_| ())
    };
    assert_eq!(try_make(&mut cache, CacheLimits::new(0), "p"), Err(CacheError::ZeroMaxAge));
    assert_eq!(
        try_make(&mut cache, CacheLimits { max_messages: 0, ..CacheLimits::new(1) }, "p"),
        Err(CacheError::ZeroMaxMessages)
    );
    assert_eq!(try_make(&mut cache, CacheLimits::new(1), ""), Err(CacheError::InvalidPartitionId));
    assert_eq!(try_make(&mut cache, CacheLimits::new(1), "a\0b"), Err(CacheError::InvalidPartitionId));
    assert_eq!(try_make(&mut cache, CacheLimits::new(1), &"x".repeat(129)), Err(CacheError::InvalidPartitionId));
    assert_eq!(try_make(&mut cache, CacheLimits::new(1), &"x".repeat(128)), Ok(()));
    let limits = CacheLimits::new(1);
    assert_eq!((limits.max_messages, limits.max_bytes), (1 << 32, (1 << 63) - 1));
}
