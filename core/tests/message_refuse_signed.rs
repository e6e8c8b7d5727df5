//! The spec's option (client-apis/decrypt.md, "Behavior") to fail right after the header when
//! the suite is signed: no keyring call is made.
#![cfg(all(feature = "ecdsa-p384", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use coffer_core::EncryptionContext;
use coffer_core::message::{AlgorithmSuite, DecryptError, Decryptor, Limits, SuiteError};
use common::*;
use core::cell::Cell;

fn run(msg: &[u8], refuse: bool, calls: &Cell<usize>) -> Result<Vec<u8>, DecryptError> {
    let ctx = EncryptionContext::new(&[("purpose", "stream")]).unwrap();
    let mut ws = vec![0u8; 4096];
    let mut dec = Decryptor::new(Counting { inner: keyring_a(), calls }, ctx, Limits::default(), &mut ws);
    if refuse {
        dec = dec.refuse_signed();
    }
    let mut out = vec![0u8; 4096];
    let (_, w) = dec.update(msg, &mut out)?;
    dec.finish()?;
    Ok(out[..w].to_vec())
}

#[test]
fn refuse_signed_fails_after_the_header_without_a_keyring_call() {
    let ctx = EncryptionContext::new(&[("purpose", "stream")]).unwrap();
    let pt = plaintext(300);
    let signed = encrypt(AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384, 128, &ctx, &pt);
    let unsigned = encrypt(AlgorithmSuite::AesGcm256HkdfSha512Commit, 128, &ctx, &pt);

    let calls = Cell::new(0);
    assert_eq!(run(&signed, true, &calls), Err(DecryptError::Suite(SuiteError::Signed(0x0578))));
    assert_eq!(calls.get(), 0, "the keyring was called for a refused signed message");

    // The header alone is enough to refuse.
    let (_, header_len) = coffer_core::message::Header::parse(&signed, &Limits::default()).unwrap();
    assert_eq!(run(&signed[..header_len], true, &calls), Err(DecryptError::Suite(SuiteError::Signed(0x0578))));
    assert_eq!(calls.get(), 0);

    assert_eq!(run(&unsigned, true, &calls).unwrap(), pt);
    assert_eq!(calls.get(), 1);
    assert_eq!(run(&signed, false, &calls).unwrap(), pt);
    assert_eq!(calls.get(), 2);
}
