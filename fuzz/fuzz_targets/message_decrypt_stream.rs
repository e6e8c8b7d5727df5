//! Streaming message decryption of arbitrary or mutated messages, fed in arbitrary chunk sizes
//! into arbitrary output sizes: an error, never a panic; only the genuine message decrypts, and
//! then to its plaintext.
//!
//! Input: byte 0 seeds the input chunk sizes, byte 1 the output sizes, byte 2 picks the mode:
//! even, the rest is the message (for the fuzz keyring); odd, the rest is XORed onto a genuine
//! message (from offset given by bytes 3..5) and byte 5 may truncate it. The genuine message is
//! picked by `mode >> 1`: a signed framed one (`05 78`), an unsigned framed one (`04 78`), and
//! the official Python SDK's non-framed messages of both suites
//! (`core/tests/data/esdk-nonframed/`).
#![no_main]

mod common;

use std::sync::OnceLock;

use coffer_core::EncryptionContext;
use coffer_core::message::{AlgorithmSuite, DecryptError, Decryptor, EncryptConfig, Encryptor, Limits, RawAesKeyring};
use libfuzzer_sys::fuzz_target;

const KEY: [u8; 32] = [7; 32];
const PLAINTEXT: &[u8] = b"fuzzing the streaming decryptor, one frame at a time....";
const FUZZ_CONTEXT: &[(&str, &str)] = &[("fuzz", "yes")];

/// The keyring and context of the Python SDK's non-framed vectors (`make.py` there).
const VECTOR_KEY: [u8; 32] = [0x11; 32];
const VECTOR_CONTEXT: &[(&str, &str)] = &[("purpose", "non-framed")];
const VECTOR_PLAINTEXT: &[u8] = include_bytes!("../../core/tests/data/esdk-nonframed/plaintext.bin");
const NON_FRAMED_0478: &[u8] = include_bytes!("../../core/tests/data/esdk-nonframed/0478.ct");
const NON_FRAMED_0578: &[u8] = include_bytes!("../../core/tests/data/esdk-nonframed/0578.ct");

/// A message to start mutating from, with what decrypts it.
struct Genuine {
    message: &'static [u8],
    keyring: fn() -> RawAesKeyring<'static>,
    context: &'static [(&'static str, &'static str)],
    plaintext: &'static [u8],
}

fn keyring() -> RawAesKeyring<'static> {
    RawAesKeyring::new("fuzz", "key", &KEY).expect("keyring")
}

fn vector_keyring() -> RawAesKeyring<'static> {
    RawAesKeyring::new("coffer-test", "key-a", &VECTOR_KEY).expect("keyring")
}

/// A genuine framed message of several 16-byte frames.
fn framed(suite: AlgorithmSuite) -> Vec<u8> {
    let mut rng = common::CountingRng(1);
    let mut ws = vec![0u8; 8192];
    let config = EncryptConfig { suite, frame_length: 16, limits: Limits::default() };
    let mut k = keyring();
    let ctx = EncryptionContext::new(FUZZ_CONTEXT).expect("context");
    let mut enc = Encryptor::new(&mut k, ctx, &config, &mut rng, &mut ws).expect("encryptor");
    let mut out = vec![0u8; 8192];
    let (_, mut n) = enc.update(PLAINTEXT, &mut out).expect("update");
    let (w, done) = enc.finish(&mut out[n..]).expect("finish");
    assert!(done);
    n += w;
    out.truncate(n);
    out
}

fn all() -> &'static [Genuine; 4] {
    static ALL: OnceLock<[Genuine; 4]> = OnceLock::new();
    ALL.get_or_init(|| {
        let own =
            |suite| Genuine { message: Vec::leak(framed(suite)), keyring, context: FUZZ_CONTEXT, plaintext: PLAINTEXT };
        let vector = |message| Genuine {
            message,
            keyring: vector_keyring,
            context: VECTOR_CONTEXT,
            plaintext: VECTOR_PLAINTEXT,
        };
        [
            own(AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384),
            own(AlgorithmSuite::AesGcm256HkdfSha512Commit),
            vector(NON_FRAMED_0478),
            vector(NON_FRAMED_0578),
        ]
    })
}

fn genuine(pick: u8) -> &'static Genuine {
    let all = all();
    &all[usize::from(pick) % all.len()]
}

fuzz_target!(|data: &[u8]| {
    let [in_seed, out_seed, mode, rest @ ..] = data else { return };
    // Arbitrary bytes are read with the fuzz keyring and context, as the first genuine message.
    let start = if mode % 2 == 0 { genuine(0) } else { genuine(mode >> 1) };
    let message: Vec<u8> = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        let mut m = start.message.to_vec();
        let (at, rest) = match rest {
            [a, b, rest @ ..] => (usize::from(u16::from_be_bytes([*a, *b])) % m.len(), rest),
            _ => (0, rest),
        };
        for (i, x) in rest.iter().enumerate() {
            if let Some(byte) = m.get_mut(at + i) {
                *byte ^= x;
            }
        }
        if let Some(cut) = rest.first().filter(|c| **c & 0x80 != 0) {
            m.truncate(m.len().saturating_sub(usize::from(*cut & 0x7f)));
        }
        m
    };
    let mut ws = vec![0u8; 2048];
    let ctx = EncryptionContext::new(start.context).expect("context");
    let mut dec = Decryptor::new((start.keyring)(), ctx, Limits::default(), &mut ws);
    let (mut a, mut b) = (u32::from(*in_seed) | 1, u32::from(*out_seed) | 1);
    let next = |s: &mut u32| {
        *s = s.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (*s >> 16) as usize % 97 + 1
    };
    let mut at = 0;
    let mut plaintext = Vec::new();
    let result = loop {
        let end = (at + next(&mut a)).min(message.len());
        let mut out = vec![0u8; next(&mut b)];
        match dec.update(&message[at..end], &mut out) {
            Ok((c, w)) => {
                plaintext.extend_from_slice(&out[..w]);
                at += c;
                if at == message.len() && w == 0 {
                    break dec.finish();
                }
            }
            Err(e) => break Err(e),
        }
    };
    match result {
        Ok(()) => {
            // Only a genuine message decrypts (arbitrary bytes may happen to be another genuine
            // message under the same key), and to its own plaintext.
            let known = all().iter().find(|g| g.message == message.as_slice()).expect("a forged message decrypted");
            assert_eq!(plaintext, known.plaintext);
        }
        Err(DecryptError::Invalid | DecryptError::Suite(_) | DecryptError::Limit(_)) => {}
        Err(other) => panic!("unexpected error {other:?}"),
    }
});
