//! Known-answer tests: fixed inputs (keys, "random" bytes in the order they are drawn, context,
//! frame length, plaintext) give a fixed message, checked byte for byte. The same vectors are
//! in `docs/FORMAT.md` for other implementations to check; the official Python SDK decrypts them.
// The tests cover both suites: they need the signed one (default feature), and std.
#![cfg(all(feature = "ecdsa-p384", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use coffer_core::EncryptionContext;
use coffer_core::message::{AlgorithmSuite, Limits, RawAesKeyring};
use core::convert::Infallible;
use hex_literal::hex;
use rand_core::{TryCryptoRng, TryRng};

/// Serves a fixed script of bytes: the KAT's "random" inputs, in the order they are drawn.
struct Script(Vec<u8>);

impl TryRng for Script {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        unreachable!()
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        unreachable!()
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        assert!(dst.len() <= self.0.len(), "script exhausted");
        let rest = self.0.split_off(dst.len());
        dst.copy_from_slice(&self.0);
        self.0 = rest;
        Ok(())
    }
}
impl TryCryptoRng for Script {}

const WRAPPING_KEY: [u8; 32] = hex!("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
/// The P-384 signing key's scalar (big-endian): 48 bytes of 0x01.
const SIGNING_SCALAR: [u8; 48] = [0x01; 48];
const DATA_KEY: [u8; 32] = hex!("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf");
const WRAP_IV: [u8; 12] = hex!("c0c1c2c3c4c5c6c7c8c9cacb");
const MESSAGE_ID: [u8; 32] = hex!("d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef");
const PLAINTEXT: &[u8] = b"Coffer known-answer test vector!";

fn kat(suite: AlgorithmSuite) -> Vec<u8> {
    let mut script = Vec::new();
    if suite.is_signed() {
        script.extend_from_slice(&SIGNING_SCALAR);
    }
    script.extend_from_slice(&DATA_KEY);
    script.extend_from_slice(&WRAP_IV);
    script.extend_from_slice(&MESSAGE_ID);
    let ctx = EncryptionContext::new(&[("purpose", "kat")]).unwrap();
    let mut keyring = RawAesKeyring::new("coffer-kat", "kat-key", &WRAPPING_KEY).unwrap();
    let mut rng = Script(script);
    let config = common::config(suite, 16);
    let mut ws = vec![0u8; 4096];
    let mut enc = coffer_core::message::Encryptor::new(&mut keyring, ctx, &config, &mut rng, &mut ws).unwrap();
    let mut out = vec![0u8; 4096];
    let (c, mut n) = enc.update(PLAINTEXT, &mut out).unwrap();
    assert_eq!(c, PLAINTEXT.len());
    let (w, done) = enc.finish(&mut out[n..]).unwrap();
    assert!(done);
    n += w;
    assert!(rng.0.is_empty(), "not every scripted byte was drawn");
    out.truncate(n);
    out
}

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
