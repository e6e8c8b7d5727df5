//! Streaming message decryption of arbitrary or mutated messages, fed in arbitrary chunk sizes
//! into arbitrary output sizes: an error, never a panic; only a genuine message decrypts, and
//! then to its plaintext.
//!
//! Input: byte 0 seeds the input chunk sizes, byte 1 the output sizes, byte 2 picks the mode:
//! even, the rest is the message (for the fuzz keyring and context); odd, the rest is XORed
//! onto a genuine message (from the offset given by bytes 3..5) and byte 5 may truncate it. The
//! genuine message is [`genuine`]`(mode >> 1)`: framed messages of the fuzz keyring (`05 78`
//! and `04 78` in 16-byte frames, `04 78` of no plaintext in 1-byte frames, `04 78` whose last
//! frame is full), and the official Python SDK's non-framed messages of both suites
//! (`core/tests/data/esdk-nonframed/`).

use std::sync::OnceLock;

use coffer_core::EncryptionContext;
use coffer_core::message::{AlgorithmSuite, DecryptError, Decryptor, Limits, RawAesKeyring};

use super::{WORKSPACE, encrypt, sizes};

const KEY: [u8; 32] = [7; 32];
/// The plaintext of the fuzz keyring's genuine messages (56 bytes).
pub const PLAINTEXT: &[u8] = b"fuzzing the streaming decryptor, one frame at a time....";
/// The context of the fuzz keyring's genuine messages, and what the decryptor expects in the
/// even mode.
pub const CONTEXT: &[(&str, &str)] = &[("fuzz", "yes")];

/// The keyring and context of the Python SDK's non-framed vectors (`make.py` there).
const VECTOR_KEY: [u8; 32] = [0x11; 32];
const VECTOR_CONTEXT: &[(&str, &str)] = &[("purpose", "non-framed")];
const VECTOR_PLAINTEXT: &[u8] = include_bytes!("../../../../core/tests/data/esdk-nonframed/plaintext.bin");
const NON_FRAMED_0478: &[u8] = include_bytes!("../../../../core/tests/data/esdk-nonframed/0478.ct");
const NON_FRAMED_0578: &[u8] = include_bytes!("../../../../core/tests/data/esdk-nonframed/0578.ct");

/// A message to start mutating from, with what decrypts it.
#[derive(Debug)]
pub struct Genuine {
    /// The message.
    pub message: &'static [u8],
    /// The keyring that opens it.
    pub keyring: fn() -> RawAesKeyring<'static>,
    /// The context it was made with (and the decryptor expects).
    pub context: &'static [(&'static str, &'static str)],
    /// What it decrypts to.
    pub plaintext: &'static [u8],
}

/// The fuzz keyring: what decrypts the even mode's bytes.
pub fn keyring() -> RawAesKeyring<'static> {
    RawAesKeyring::new("fuzz", "key", &KEY).expect("keyring")
}

fn vector_keyring() -> RawAesKeyring<'static> {
    RawAesKeyring::new("coffer-test", "key-a", &VECTOR_KEY).expect("keyring")
}

/// A genuine message of the fuzz keyring (generator seed 1, one call for all the plaintext).
pub fn own_message(suite: AlgorithmSuite, frame_length: u32, plaintext: &[u8]) -> Vec<u8> {
    encrypt(&mut keyring(), CONTEXT, suite, frame_length, 1, plaintext, || WORKSPACE)
}

/// Every genuine message, in the order the odd mode picks them.
pub fn all() -> &'static [Genuine] {
    static ALL: OnceLock<Vec<Genuine>> = OnceLock::new();
    ALL.get_or_init(|| {
        let own = |suite, frame, plaintext: &'static [u8]| Genuine {
            message: Vec::leak(own_message(suite, frame, plaintext)),
            keyring,
            context: CONTEXT,
            plaintext,
        };
        let vector = |message| Genuine {
            message,
            keyring: vector_keyring,
            context: VECTOR_CONTEXT,
            plaintext: VECTOR_PLAINTEXT,
        };
        vec![
            own(AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384, 16, PLAINTEXT),
            own(AlgorithmSuite::AesGcm256HkdfSha512Commit, 16, PLAINTEXT),
            vector(NON_FRAMED_0478),
            vector(NON_FRAMED_0578),
            own(AlgorithmSuite::AesGcm256HkdfSha512Commit, 1, b""),
            own(AlgorithmSuite::AesGcm256HkdfSha512Commit, 56, PLAINTEXT),
        ]
    })
}

/// The genuine message the odd mode starts from for `pick` (`mode >> 1`).
pub fn genuine(pick: u8) -> &'static Genuine {
    let all = all();
    &all[usize::from(pick) % all.len()]
}

/// The `message_decrypt_stream` target.
pub fn run(data: &[u8]) {
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
    let (mut next_in, mut next_out) = (sizes(*in_seed, 97), sizes(*out_seed, 97));
    let mut at = 0;
    let mut plaintext = Vec::new();
    let result = loop {
        let end = (at + next_in()).min(message.len());
        let mut out = vec![0u8; next_out()];
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
}
