//! The message targets' own checks: their genuine messages open, and the suite choice of
//! `signed_input` gives both suites in the share it promises, seeds included.

// Test code: helpers fail by panicking; std is what a test uses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::std_instead_of_core)]

use coffer_core::EncryptionContext;
use coffer_core::message::{Decryptor, Header, Limits};
use coffer_fuzz_bodies::corpus;
use coffer_fuzz_bodies::message::{cache, decrypt_stream, round_trip, signed_input};

/// The decrypt_stream target's genuine messages open with their keyring and context, to their
/// plaintext (so its intact seeds reach the success path, where it checks the plaintext).
#[test]
fn genuine_messages_open() {
    for (i, genuine) in decrypt_stream::all().iter().enumerate() {
        let mut ws = vec![0u8; 4096];
        let ctx = EncryptionContext::new(genuine.context).unwrap();
        let mut dec = Decryptor::new((genuine.keyring)(), ctx, Limits::default(), &mut ws);
        let mut out = vec![0u8; genuine.message.len()];
        let (taken, n) = dec.update(genuine.message, &mut out).unwrap_or_else(|e| panic!("message {i}: {e:?}"));
        dec.finish().unwrap_or_else(|e| panic!("message {i}: {e:?}"));
        assert_eq!(taken, genuine.message.len());
        assert_eq!(&out[..n], genuine.plaintext, "message {i}");
    }
}

/// About one input in eight is signed, over a fixed pseudo-random set.
#[test]
fn signed_share_is_one_in_eight() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut signed = 0;
    for len in 0..8000usize {
        let data: Vec<u8> = (0..len % 64)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect();
        signed += usize::from(signed_input(&data, 8));
    }
    assert!((800..1200).contains(&signed), "{signed} of 8000 signed");
}

/// The round-trip seeds named 0578 are signed inputs, the others not; the cache's signed seed is
/// a signed input, its others not; the header seeds hold both suites.
#[test]
fn seeds_have_the_suites_their_names_say() {
    for (name, bytes) in corpus::seeds("message_round_trip") {
        assert_eq!(signed_input(&bytes, round_trip::SIGNED_ONE_IN), name.starts_with("0578"), "{name}");
    }
    for (name, bytes) in corpus::seeds("message_cache") {
        assert_eq!(signed_input(&bytes, cache::SIGNED_ONE_IN), name == "signed", "{name}");
    }
    let suites: Vec<_> = corpus::seeds("message_header_parse")
        .iter()
        .map(|(_, bytes)| Header::parse(bytes, &Limits::default()).unwrap().0.suite)
        .collect();
    assert!(suites.contains(&coffer_core::message::AlgorithmSuite::AesGcm256HkdfSha512Commit));
    assert!(suites.contains(&coffer_core::message::AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384));
}
