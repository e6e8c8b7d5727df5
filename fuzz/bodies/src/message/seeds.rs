//! The message targets' seeds (see [`crate::corpus`]): genuine messages of both suites, made
//! deterministically, and the inputs that lead each target to them.

use coffer_core::message::{AlgorithmSuite, Header, Limits, MultiKeyring, RawAesKeyring};

use super::decrypt_stream::{self, PLAINTEXT};
use super::{WORKSPACE, cache, encrypt, round_trip, signed_input};
use crate::corpus::Seed;

const SIGNED: AlgorithmSuite = AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384;
const UNSIGNED: AlgorithmSuite = AlgorithmSuite::AesGcm256HkdfSha512Commit;

fn header_of(message: &[u8]) -> Vec<u8> {
    let (_, len) = Header::parse(message, &Limits::default()).expect("a genuine header");
    message[..len].to_vec()
}

fn raw(name: &str) -> RawAesKeyring<'static> {
    RawAesKeyring::new("seed", if name == "a" { "a" } else { "b" }, &[0x5e; 32]).expect("keyring")
}

/// Headers of genuine messages: both suites, empty and larger contexts, two EDKs, the Python
/// SDK's non-framed headers; and one whole message (a header followed by frames).
pub fn header_parse() -> Vec<Seed> {
    let make = |suite, context: &[(&str, &str)]| encrypt(&mut raw("a"), context, suite, 64, 2, b"seed", || WORKSPACE);
    let two_edks = {
        let mut multi = MultiKeyring::new(raw("a"), [raw("b")]);
        encrypt(&mut multi, &[("edks", "2")], UNSIGNED, 64, 3, b"seed", || WORKSPACE)
    };
    let all = decrypt_stream::all();
    vec![
        ("0478-empty-context".into(), header_of(&make(UNSIGNED, &[]))),
        (
            "0478-three-pairs".into(),
            header_of(&make(UNSIGNED, &[("a", "1"), ("tenant", "acme"), ("\u{e9}", "\u{1f511}")])),
        ),
        ("0578-one-pair".into(), header_of(&make(SIGNED, &[("a", "1")]))),
        ("0478-two-edks".into(), header_of(&two_edks)),
        ("python-non-framed-0478".into(), header_of(all[2].message)),
        ("python-non-framed-0578".into(), header_of(all[3].message)),
        ("0478-whole-message".into(), all[1].message.to_vec()),
    ]
}

/// Mode-odd input: XOR `bytes` onto genuine message `pick` from offset `at` (a first byte with
/// the high bit set also cuts that many bytes, low 7 bits, off the end).
fn mutate(chunks: [u8; 2], pick: u8, at: usize, bytes: &[u8]) -> Vec<u8> {
    let at = u16::try_from(at).expect("offset");
    let mut v = vec![chunks[0], chunks[1], pick * 2 + 1];
    v.extend_from_slice(&at.to_be_bytes());
    v.extend_from_slice(bytes);
    v
}

/// The target's genuine messages as raw input (mode 0) and intact (mode odd, nothing XORed), in
/// various chunkings; and mutations of them: a flipped byte in the header, a frame, a non-framed
/// body, the signature; the signature cut short by 1 and 20 bytes (the byte XORed is cut too).
pub fn decrypt_stream() -> Vec<Seed> {
    let all = decrypt_stream::all();
    let names = [
        "0578-framed",
        "0478-framed",
        "python-0478-non-framed",
        "python-0578-non-framed",
        "0478-empty",
        "0478-full-final",
    ];
    assert_eq!(names.len(), all.len());
    let mut out: Vec<Seed> = Vec::new();
    for pick in [0, 1, 4] {
        let mut v = vec![3 + pick, 5 + pick, 0];
        v.extend_from_slice(all[usize::from(pick)].message);
        out.push((format!("raw-{}", names[usize::from(pick)]), v));
    }
    for (pick, name) in (0u8..).zip(names) {
        out.push((format!("intact-{name}"), mutate([pick * 40 + 1, 255 - pick * 30], pick, 0, &[])));
    }
    let signed_len = all[0].message.len();
    out.extend([
        ("flip-header-0478".into(), mutate([7, 9], 1, 20, &[0x01])),
        ("flip-frame-0478".into(), mutate([11, 2], 1, all[1].message.len() - 30, &[0x40])),
        ("flip-body-python-0478".into(), mutate([13, 17], 2, 600, &[0x10])),
        ("flip-signature-0578".into(), mutate([19, 23], 0, signed_len - 10, &[0x04])),
        ("cut-1-0578".into(), mutate([29, 31], 0, signed_len - 1, &[0x81])),
        ("cut-20-python-0578".into(), mutate([37, 41], 3, all[3].message.len() - 20, &[0x94])),
    ]);
    out
}

/// `input` with the byte at `spare` set so that [`signed_input`] says `signed` for it.
fn with_suite(mut input: Vec<u8>, spare: usize, signed: bool, one_in: u64) -> Vec<u8> {
    input[spare] = (0..=255u8)
        .find(|b| {
            input[spare] = *b;
            signed_input(&input, one_in) == signed
        })
        .expect("a spare byte value that picks the suite");
    input
}

/// Round trips of both suites: no plaintext, 1-byte frames, plaintext a multiple of the frame
/// length, frames longer than the plaintext.
pub fn round_trip() -> Vec<Seed> {
    let input = |signed: bool, frame: u8, seeds: [u8; 2], plaintext: &[u8]| {
        let mut v = vec![0, frame - 1, seeds[0], seeds[1]];
        v.extend_from_slice(plaintext);
        with_suite(v, 0, signed, round_trip::SIGNED_ONE_IN)
    };
    let (unsigned, signed) = (false, true);
    vec![
        ("0478-empty".into(), input(unsigned, 16, [1, 2], b"")),
        ("0478-frame1".into(), input(unsigned, 1, [3, 4], b"nine byte")),
        ("0478-frame16".into(), input(unsigned, 16, [5, 6], &PLAINTEXT[..40])),
        ("0478-frame64-two-full".into(), input(unsigned, 64, [7, 8], &[0xa5; 128])),
        ("0478-frame64-short".into(), input(unsigned, 64, [9, 10], b"less than a frame")),
        ("0578-empty".into(), input(signed, 1, [11, 12], b"")),
        ("0578-frame16".into(), input(signed, 16, [13, 14], PLAINTEXT)),
        ("0578-frame7-exact".into(), input(signed, 7, [15, 16], &PLAINTEXT[..49])),
    ]
}

/// A message_cache encryption: context `ctx`, `05 78` or not, length declared or not.
fn enc(ctx: u8, signed: bool, declared: bool, len: u8) -> [u8; 3] {
    let a = (0..=255u8)
        .find(|a| a % 3 == ctx && (a & 0x30 == 0x30) == signed && (a & 0x40 == 0) == declared)
        .expect("an operand byte");
    [0, a, len]
}

fn clock(seconds: u8) -> [u8; 3] {
    [1, seconds, 0]
}

/// Decrypts message `i` through the cache, with byte `flip * 7` XORed with `flip` (0: intact).
fn dec(i: u8, flip: u8) -> [u8; 3] {
    [2, i, flip]
}

/// Limits (max age `age` s, `messages` messages, `bytes` bytes) and operations; a signed input
/// if any encryption asks for `05 78` (the spare byte after the operations makes it so).
fn requests(age: u8, messages: u8, bytes: u8, ops: &[[u8; 3]]) -> Vec<u8> {
    let mut v = vec![age - 1, messages - 1, bytes];
    v.extend(ops.iter().flatten());
    let signed = ops.iter().any(|[op, a, _]| op % 3 == 0 && a & 0x30 == 0x30);
    v.push(0);
    let spare = v.len() - 1;
    with_suite(v, spare, signed, cache::SIGNED_ONE_IN)
}

/// Request sequences that reach each of the cache's outcomes: hits within the limits, the
/// message, byte and age limits reached, undeclared lengths bypassing it, signed messages
/// sharing a signing key, modified messages refused, eviction of both caches' two slots.
pub fn cache() -> Vec<Seed> {
    vec![
        (
            "hits".into(),
            requests(
                8,
                5,
                63,
                &[
                    enc(1, false, true, 10),
                    enc(1, false, true, 10),
                    enc(1, false, true, 10),
                    dec(0, 0),
                    dec(1, 0),
                    dec(2, 0),
                    dec(0, 0),
                ],
            ),
        ),
        (
            "message-limit".into(),
            requests(8, 2, 63, &[enc(0, false, true, 5), enc(0, false, true, 5), enc(0, false, true, 5), dec(2, 0)]),
        ),
        (
            "byte-limit".into(),
            requests(
                8,
                5,
                30,
                &[
                    enc(2, false, true, 20),
                    enc(2, false, true, 10),
                    enc(2, false, true, 1),
                    enc(2, false, true, 40),
                    dec(3, 0),
                ],
            ),
        ),
        (
            "expiry".into(),
            requests(
                2,
                5,
                63,
                &[
                    enc(0, false, true, 1),
                    clock(1),
                    enc(0, false, true, 1),
                    clock(1),
                    enc(0, false, true, 1),
                    dec(0, 0),
                    clock(3),
                    dec(0, 0),
                ],
            ),
        ),
        (
            "undeclared".into(),
            requests(
                8,
                5,
                63,
                &[enc(1, false, false, 7), enc(1, false, false, 7), enc(1, false, true, 7), dec(0, 0), dec(2, 0)],
            ),
        ),
        (
            "signed".into(),
            requests(
                8,
                5,
                63,
                &[
                    enc(2, true, true, 33),
                    enc(2, true, true, 2),
                    enc(2, false, true, 2),
                    dec(0, 0),
                    dec(1, 0),
                    dec(1, 3),
                ],
            ),
        ),
        (
            "tampered".into(),
            requests(8, 5, 63, &[enc(0, false, true, 70), dec(0, 1), dec(0, 5), dec(0, 40), dec(0, 0)]),
        ),
        (
            "eviction".into(),
            requests(
                8,
                5,
                63,
                &[
                    enc(0, false, true, 1),
                    enc(1, false, true, 1),
                    enc(2, false, true, 1),
                    enc(0, false, true, 1),
                    dec(0, 0),
                    dec(1, 0),
                    dec(2, 0),
                    dec(0, 0),
                ],
            ),
        ),
    ]
}
