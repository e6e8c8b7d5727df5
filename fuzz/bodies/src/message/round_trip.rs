//! Encrypt then decrypt arbitrary plaintext, both suites, with arbitrary frame lengths and
//! arbitrary input and output chunk sizes on both sides: the plaintext always comes back, and
//! the message bytes do not depend on how the input was cut.
//!
//! Input: byte 0 means nothing by itself, byte 1 picks the frame length (1 to 64), bytes 2 and 3
//! seed the chunk sizes; the rest, up to [`MAX_PLAINTEXT`] bytes, is the plaintext. The suite is
//! `05 78` for one input in [`SIGNED_ONE_IN`] (by a hash of the input, [`super::signed_input`]),
//! `04 78` otherwise.

use coffer_core::EncryptionContext;
use coffer_core::message::{Decryptor, Limits, RawAesKeyring};

use super::{WORKSPACE, encrypt, sizes, suite};

/// Plaintext bytes used; the rest of a longer input is ignored. With frames of at most 64
/// bytes that is 16 frames or more, and a chunk of up to 80 bytes spans two frames: longer
/// plaintext only repeats the same frame steps, at the cost of executions.
pub const MAX_PLAINTEXT: usize = 1024;

/// One input in this many is encrypted with `05 78`: 6.4 ms a round trip, against 0.1 ms.
pub const SIGNED_ONE_IN: u64 = 8;

const CONTEXT: &[(&str, &str)] = &[("fuzz", "round trip")];

fn keyring() -> RawAesKeyring<'static> {
    RawAesKeyring::new("fuzz", "key", &[3; 32]).expect("keyring")
}

/// The `message_round_trip` target.
pub fn run(data: &[u8]) {
    let [_, frame, seed_a, seed_b, pt @ ..] = data else { return };
    let pt = &pt[..pt.len().min(MAX_PLAINTEXT)];
    let suite = suite(data, SIGNED_ONE_IN);
    let frame = u32::from(*frame % 64) + 1;
    let msg = encrypt(&mut keyring(), CONTEXT, suite, frame, 9, pt, sizes(*seed_a, 80));
    let again = encrypt(&mut keyring(), CONTEXT, suite, frame, 9, pt, sizes(*seed_b, 7));
    assert_eq!(msg, again, "message bytes depend on chunking");
    let mut ws = vec![0u8; WORKSPACE];
    let ctx = EncryptionContext::new(CONTEXT).expect("context");
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
}
