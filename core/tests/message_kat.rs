//! Known-answer tests: fixed inputs (keys, "random" bytes in the order they are drawn, context,
//! frame length, plaintext) give a fixed message, checked byte for byte. The same vectors are
//! in `docs/FORMAT.md` for other implementations to check; the official Python SDK decrypts them.
// The tests cover both suites: they need the signed one (default feature), and std.
#![cfg(all(feature = "ecdsa-p384", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;
#[path = "common/kat.rs"]
mod kat;

use coffer_core::EncryptionContext;
use coffer_core::message::{AlgorithmSuite, Limits, RawAesKeyring};
use hex_literal::hex;
use kat::{PLAINTEXT, WRAPPING_KEY, kat};

/// The document that publishes these vectors.
const FORMAT_MD: &str = include_str!("../../docs/FORMAT.md");

fn check(suite: AlgorithmSuite, expected: &[u8]) {
    let msg = kat(suite);
    let hex: String = msg.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(msg, expected, "{suite:?} KAT differs; got {hex}");
    let documented: String = FORMAT_MD.split_whitespace().collect();
    assert!(documented.contains(&hex), "docs/FORMAT.md's {suite:?} test vector is stale");
    let keyring = RawAesKeyring::new("coffer-kat", "kat-key", &WRAPPING_KEY).unwrap();
    let ctx = EncryptionContext::new(&[("purpose", "kat")]).unwrap();
    let pt = common::decrypt_with(keyring, &ctx, Limits::default(), 4096, &msg, 1, 1).unwrap();
    assert_eq!(pt, PLAINTEXT);
}

#[test]
fn kat_0478() {
    check(
        AlgorithmSuite::AesGcm256HkdfSha512Commit,
        &hex!(
            "020478d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef001000010007707572706f7365
             00036b61740001000a636f666665722d6b6174001b6b61742d6b6579000000800000000cc0c1c2c3c4c5c6c7c8c9cacb
             0030a0e985c4d3dd30f9307057099e0146f9fcc2518c8857a90d927af1b18bc0c109c0457ed00e2db9a42f2366b066b9
             11a3020000001061b1d8407fa469b3da7589f393e4634f8e5f79b5d092541fe0bcd789d999dd7b3f244164a977bc5bb7
             7a0fbc25ab65cb00000001000000000000000000000001398a385d6201cc52a281ca621b1d60b19dc052be37680d4f68
             606b010b80051000000002000000000000000000000002431222f59d53dd7a6f9821ced9d842a1f48035cca85551bd82
             a2f04d1777398effffffff000000030000000000000000000000030000000002702fff675604bab098c371b58b51c6"
        ),
    );
}

#[test]
fn kat_0578() {
    check(
        AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384,
        &hex!(
            "020578d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef006d000200156177732d637279
             70746f2d7075626c69632d6b65790044416b506a72796f4e7551686e554a646f64325550516d306856365265454e356b
             622f6858475973696266445573695130434f41377078485a77307852797a524545773d3d0007707572706f736500036b
             61740001000a636f666665722d6b6174001b6b61742d6b6579000000800000000cc0c1c2c3c4c5c6c7c8c9cacb0030a0
             e985c4d3dd30f9307057099e0146f9fcc2518c8857a90d927af1b18bc0c109ce543e6b52ce50ba0f79b40c8e494eb102
             0000001061b1d8407fa469b3da7589f393e4634f8e5f79b5d092541fe0bcd789d999dd7bb431020531051786c5bfbd2e
             eca039fe000000010000000000000000000000017b27161eca3fd9cd6f2d55c9715124bf4de492dce08788d0aa235944
             de3b55a400000002000000000000000000000002937719ba026bd56ba327668b15df4decdee994f9be879512b018a19b
             fb90a577ffffffff00000003000000000000000000000003000000008e752c27e36f79b6244785ac7d1ee03c00663064
             02302f225db211469aa11f1774dc0b91d0c32cf6f85532c0b2f9294cc63e56ca755d1929a21337efe0c283672f078fad
             f97102305a569be13b8797a7c6576a9d60284f013ca382bccccd4a8b6a6f8dde57d2073082c29223b9913e896b064422
             bdd076a5"
        ),
    );
}
