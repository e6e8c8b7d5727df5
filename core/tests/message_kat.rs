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
             606b010b800510ffffffff0000000200000000000000000000000200000010431222f59d53dd7a6f9821ced9d842a115
             3404870c0874b902253874ddb8d43f"
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
             de3b55a4ffffffff0000000200000000000000000000000200000010937719ba026bd56ba327668b15df4dec5f3f8ebd
             9d575ca90a69f621ef5178cc0066306402300bf068adb2b20e426b7b21efbe48e1301fda87766be3fc62df4b6227688b
             805ed712b74989b2f628049c4697d72ba875023025f7b33765eed7be9744e67fb48a14a46e0d11111aa8b9bef352ed54
             4a37ed5a9b6c56162a36917db7726516c2e4f630"
        ),
    );
}
