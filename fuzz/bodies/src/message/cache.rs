//! The data-key cache under arbitrary sequences of requests: encrypt (three contexts, both
//! suites, any length, declared or not), advance the clock, decrypt a made message (genuine or
//! with a byte flipped) through the cache. Never a panic, and the limits always hold: no data
//! key serves more than `max_messages` messages or `max_bytes` bytes, or is used `max_age`
//! seconds or more after it was made; every message decrypts without the cache; through the
//! cache, only genuine messages decrypt; the keyring calls are counted exactly.
//!
//! Input: bytes 0..3 choose the limits; then up to [`MAX_OPS`] 3-byte operations `[op, a, b]`:
//! `op % 3` 0 encrypts (`a % 3` the context; `a & 0x40` clear, the length is declared; `a & 0x30`
//! both set, `05 78` in a signed input, else `04 78`; `b % 80` bytes), 1 advances the clock by
//! `a % 4` seconds, 2 decrypts message `a` (modulo their number) through the cache, with byte
//! `b * 7` XORed with `b` unless `b` is 0. Bytes after the last whole operation mean nothing by
//! themselves.
//!
//! One input in [`SIGNED_ONE_IN`] is a signed input (by a hash of the input,
//! [`super::signed_input`]); in it, the first [`MAX_SIGNED`] requests for `05 78` get it, later
//! ones `04 78`. A signed message costs milliseconds of P-384 (a key, a signature, a verification
//! per decryption), the rest microseconds.

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use coffer_core::EncryptionContext;
use coffer_core::clock::{Clock, ManualClock};
use coffer_core::message::{
    AlgorithmSuite, CacheLimits, CachingCmm, DecryptionMaterials, Decryptor, EdkRef, EncryptConfig,
    EncryptionMaterials, Header, Keyring, KeyringError, Limits, LocalCache, RawAesKeyring,
};
use rand_core::TryCryptoRng;

use super::{WORKSPACE, signed_input};
use crate::common::CountingRng;

/// Operations read from one input; the rest is ignored.
pub const MAX_OPS: usize = 24;
/// Requests for `05 78` per signed input that get it.
pub const MAX_SIGNED: usize = 2;
/// One input in this many may encrypt with `05 78`.
pub const SIGNED_ONE_IN: u64 = 8;

const KEY: [u8; 32] = [9; 32];

/// The raw AES keyring, counting the calls made to it.
struct Counting(RawAesKeyring<'static>, Rc<Cell<u64>>);

impl Keyring for Counting {
    fn on_encrypt<R: TryCryptoRng + ?Sized>(
        &mut self,
        materials: &mut EncryptionMaterials<'_>,
        rng: &mut R,
    ) -> Result<(), KeyringError> {
        self.1.set(self.1.get() + 1);
        self.0.on_encrypt(materials, rng)
    }
    fn on_decrypt(&mut self, materials: &mut DecryptionMaterials<'_>, edks: &[EdkRef<'_>]) -> Result<(), KeyringError> {
        self.1.set(self.1.get() + 1);
        self.0.on_decrypt(materials, edks)
    }
}

fn keyring() -> RawAesKeyring<'static> {
    RawAesKeyring::new("fuzz", "cache", &KEY).expect("keyring")
}

fn decrypt<K: Keyring>(keyring: K, ctx: &EncryptionContext<'_>, msg: &[u8]) -> Option<Vec<u8>> {
    let mut ws = vec![0u8; WORKSPACE];
    let mut dec = Decryptor::new(keyring, ctx.clone(), Limits::default(), &mut ws);
    let mut out = vec![0u8; msg.len()];
    let (c, n) = dec.update(msg, &mut out).ok()?;
    dec.finish().ok()?;
    (c == msg.len()).then(|| out[..n].to_vec())
}

/// Per data key (its EDK): messages, bytes, first and last use.
#[derive(Default)]
struct Use {
    messages: u64,
    bytes: u64,
    first: u64,
    last: u64,
}

/// The `message_cache` target.
pub fn run(data: &[u8]) {
    let [l0, l1, l2, ops @ ..] = data else { return };
    let limits = CacheLimits {
        max_age: 1 + u64::from(*l0 % 8),
        max_messages: 1 + u64::from(*l1 % 5),
        max_bytes: u64::from(*l2 % 64),
    };
    let contexts = [
        EncryptionContext::empty(),
        EncryptionContext::new(&[("a", "1")]).expect("context"),
        EncryptionContext::new(&[("a", "2")]).expect("context"),
    ];
    let clock = ManualClock::new(1_000);
    let calls = Rc::new(Cell::new(0));
    let mut cache: LocalCache<2, 2> = LocalCache::new();
    let mut cmm = CachingCmm::with_partition_id(&mut cache, Counting(keyring(), calls.clone()), &clock, limits, "fuzz")
        .expect("cmm");
    let mut rng = CountingRng(u64::from(*l0) << 16 | u64::from(*l1) << 8 | u64::from(*l2));
    let mut messages: Vec<(Vec<u8>, usize, Vec<u8>)> = Vec::new();
    let mut uses: HashMap<Vec<u8>, Use> = HashMap::new();
    let mut signed = 0;
    let signed_input = signed_input(data, SIGNED_ONE_IN);
    for op in ops.chunks_exact(3).take(MAX_OPS) {
        let [op, a, b] = [op[0], op[1], op[2]];
        match op % 3 {
            0 => {
                let ctx = usize::from(a % 3);
                let suite = if signed_input && a & 0x30 == 0x30 && signed < MAX_SIGNED {
                    signed += 1;
                    AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384
                } else {
                    AlgorithmSuite::AesGcm256HkdfSha512Commit
                };
                let len = usize::from(b % 80);
                let declared = (a & 0x40 == 0).then_some(len as u64);
                let pt: Vec<u8> = (0..b % 80).map(|i| i ^ b).collect();
                let config = EncryptConfig { suite, frame_length: 32, limits: Limits::default() };
                let mut ws = vec![0u8; WORKSPACE];
                let mut enc = cmm.encryptor(&contexts[ctx], &config, declared, &mut rng, &mut ws).expect("encryptor");
                let mut msg = vec![0u8; WORKSPACE];
                let (c, n) = enc.update(&pt, &mut msg).expect("update");
                assert_eq!(c, len);
                let (w, done) = enc.finish(&mut msg[n..]).expect("finish");
                assert!(done);
                msg.truncate(n + w);
                drop(enc);
                let edk = {
                    let (header, _) = Header::parse(&msg, &Limits::default()).expect("header");
                    assert_eq!(header.suite, suite);
                    header.edks[0].ciphertext.to_vec()
                };
                let t = clock.now().expect("manual clock");
                let u = uses.entry(edk).or_insert_with(|| Use { first: t, ..Use::default() });
                u.messages += 1;
                u.bytes += len as u64;
                u.last = t;
                if u.messages > 1 {
                    assert!(u.messages <= limits.max_messages, "a data key served too many messages");
                    assert!(u.bytes <= limits.max_bytes, "a data key served too many bytes");
                    assert!(u.last - u.first < limits.max_age, "an expired data key was used");
                    assert!(declared.is_some(), "a request of unknown length used a cached key");
                }
                messages.push((msg, ctx, pt));
            }
            1 => clock.advance(u64::from(a % 4)),
            _ => {
                let Some(i) = (!messages.is_empty()).then(|| usize::from(a) % messages.len()) else { continue };
                let (msg, ctx, pt) = &messages[i];
                let mut candidate = msg.clone();
                if b != 0 {
                    let at = usize::from(b) * 7 % candidate.len();
                    candidate[at] ^= b;
                }
                let before = calls.get();
                let got = decrypt(&mut cmm, &contexts[*ctx], &candidate);
                assert!(calls.get() - before <= 1);
                if candidate == *msg {
                    assert_eq!(got.as_ref(), Some(pt), "a genuine message failed through the cache");
                } else {
                    assert!(got.is_none(), "a modified message decrypted through the cache");
                }
            }
        }
    }
    let stats = cmm.stats();
    assert_eq!(stats.keyring_calls, calls.get());
    drop(cmm);
    for (msg, ctx, pt) in &messages {
        assert_eq!(decrypt(keyring(), &contexts[*ctx], msg).as_ref(), Some(pt), "a message failed without the cache");
    }
}
