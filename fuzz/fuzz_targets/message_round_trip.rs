//! Encrypt then decrypt arbitrary plaintext, both suites, with arbitrary frame lengths and
//! arbitrary input and output chunk sizes on both sides: the plaintext always comes back, and
//! the message bytes do not depend on how the input was cut.
#![no_main]

mod common;

use coffer_core::EncryptionContext;
use coffer_core::message::{AlgorithmSuite, Decryptor, EncryptConfig, Encryptor, Limits, RawAesKeyring};
use libfuzzer_sys::fuzz_target;

fn keyring() -> RawAesKeyring<'static> {
    RawAesKeyring::new("fuzz", "key", &[3; 32]).expect("keyring")
}

/// Sizes 1..=max from a small generator seeded by the input.
fn sizes(seed: u8, max: usize) -> impl FnMut() -> usize {
    let mut s = u32::from(seed) | 1;
    move || {
        s = s.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (s >> 16) as usize % max + 1
    }
}

fn encrypt(suite: AlgorithmSuite, frame: u32, pt: &[u8], mut next: impl FnMut() -> usize) -> Vec<u8> {
    let config = EncryptConfig { suite, frame_length: frame, limits: Limits::default() };
    let mut ws = vec![0u8; 4096];
    let ctx = EncryptionContext::new(&[("fuzz", "round trip")]).expect("context");
    let mut enc =
        Encryptor::new(&mut keyring(), ctx, &config, &mut common::CountingRng(9), &mut ws).expect("encryptor");
    let mut msg = Vec::new();
    let mut at = 0;
    while at < pt.len() {
        let end = (at + next()).min(pt.len());
        let mut out = vec![0u8; next()];
        let (c, w) = enc.update(&pt[at..end], &mut out).expect("update");
        msg.extend_from_slice(&out[..w]);
        at += c;
    }
    loop {
        let mut out = vec![0u8; next()];
        let (w, done) = enc.finish(&mut out).expect("finish");
        msg.extend_from_slice(&out[..w]);
        if done {
            return msg;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [flags, frame, seed_a, seed_b, pt @ ..] = data else { return };
    let suite = if flags & 1 == 0 {
        AlgorithmSuite::AesGcm256HkdfSha512Commit
    } else {
        AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384
    };
    let frame = u32::from(*frame % 64) + 1;
    let msg = encrypt(suite, frame, pt, sizes(*seed_a, 80));
    let again = encrypt(suite, frame, pt, sizes(*seed_b, 7));
    assert_eq!(msg, again, "message bytes depend on chunking");
    let mut ws = vec![0u8; 4096];
    let ctx = EncryptionContext::new(&[("fuzz", "round trip")]).expect("context");
    let mut dec = Decryptor::new(keyring(), ctx, Limits::default(), &mut ws);
    let mut next = sizes(*seed_b, 50);
    let mut back = Vec::new();
    let mut at = 0;
    loop {
        let end = (at + next()).min(msg.len());
        let mut out = vec![0u8; next()];
        let (c, w) = dec.update(&msg[at..end], &mut out).expect("genuine message refused");
        back.extend_from_slice(&out[..w]);
        at += c;
        if at == msg.len() && w == 0 {
            break;
        }
    }
    dec.finish().expect("genuine message incomplete");
    assert_eq!(back, pt);
});
