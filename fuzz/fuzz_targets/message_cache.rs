//! The data-key cache under arbitrary sequences of requests: encrypt (three contexts, both
//! suites, any length, declared or not), advance the clock, decrypt a made message (genuine or
//! with a byte flipped) through the cache. Never a panic, and the limits always hold: no data
//! key serves more than `max_messages` messages or `max_bytes` bytes, or is used `max_age`
//! seconds or more after it was made; every message decrypts without the cache; through the
//! cache, only genuine messages decrypt; the keyring calls are counted exactly.
//!
//! Input: bytes 0..3 choose the limits; then 3-byte operations `[op, a, b]`.
#![no_main]

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use coffer_core::EncryptionContext;
use coffer_core::clock::ManualClock;
use coffer_core::message::{
    AlgorithmSuite, CacheLimits, CachingCmm, DecryptionMaterials, Decryptor, EdkRef, EncryptConfig,
    EncryptionMaterials, Header, Keyring, KeyringError, Limits, LocalCache, RawAesKeyring,
};
use libfuzzer_sys::fuzz_target;
use rand_core::{TryCryptoRng, TryRng};

/// splitmix64: deterministic (fuzzing only), and without short cycles, so IVs and message ids
/// do not repeat within a run.
struct Rng(u64);

impl TryRng for Rng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.try_next_u64()? as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Ok(z ^ (z >> 31))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(8) {
            let v = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}
impl TryCryptoRng for Rng {}

const KEY: [u8; 32] = [9; 32];

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
    let mut ws = vec![0u8; 4096];
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

fuzz_target!(|data: &[u8]| {
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
    let mut rng = Rng(u64::from(*l0) << 16 | u64::from(*l1) << 8 | u64::from(*l2));
    let mut messages: Vec<(Vec<u8>, usize, Vec<u8>)> = Vec::new();
    let mut uses: HashMap<Vec<u8>, Use> = HashMap::new();
    for op in ops.chunks_exact(3).take(64) {
        let [op, a, b] = [op[0], op[1], op[2]];
        match op % 3 {
            0 => {
                let ctx = usize::from(a % 3);
                let suite = if a & 0x80 != 0 {
                    AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384
                } else {
                    AlgorithmSuite::AesGcm256HkdfSha512Commit
                };
                let len = usize::from(b % 80);
                let declared = (a & 0x40 == 0).then_some(len as u64);
                let pt: Vec<u8> = (0..len).map(|i| i as u8 ^ b).collect();
                let config = EncryptConfig { suite, frame_length: 32, limits: Limits::default() };
                let mut ws = vec![0u8; 4096];
                let mut enc = cmm.encryptor(&contexts[ctx], &config, declared, &mut rng, &mut ws).expect("encryptor");
                let mut msg = vec![0u8; 4096];
                let (c, n) = enc.update(&pt, &mut msg).expect("update");
                assert_eq!(c, len);
                let (w, done) = enc.finish(&mut msg[n..]).expect("finish");
                assert!(done);
                msg.truncate(n + w);
                drop(enc);
                let edk = Header::parse(&msg, &Limits::default()).expect("header").0.edks[0].ciphertext.to_vec();
                let t = clock_now(&clock);
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
});

fn clock_now(clock: &ManualClock) -> u64 {
    use coffer_core::clock::Clock;
    clock.now().expect("manual clock")
}
