//! Known-answer tests: RFC 5649 (KWP), the GCM specification's AES-256 vectors, and HMAC-SHA-256
//! under the root sealing key, through the `Hsm` trait where the trait can take them.
//! (RFC 4231 and GCM test cases 13-15, which need keys or empty AAD the trait does not take, run
//! against the internal primitives in `src/mac.rs` and `src/gcm.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use aes_kw::{KeyInit, KwpAes192, KwpAes256};
use coffer_core::hsm::{ErrorKind, Hsm, Mac, Nonce, Tag, WrappedKey};
use common::*;
use hex_literal::hex;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

/// RFC 5649 section 6: both examples, under its 192-bit KEK (aes-kw directly: the soft HSM only
/// wraps under 256-bit keys, and `src/kwp.rs` runs its own code over the Wycheproof set).
#[test]
fn rfc5649_section_6() {
    let kek = hex!("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8");
    let kwp = KwpAes192::new(&kek.into());
    let cases: [(&[u8], &[u8]); 2] = [
        (
            &hex!("c37b7e6492584340bed12207808941155068f738"),
            &hex!("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"),
        ),
        (&hex!("466f7250617369"), &hex!("afbeb0f07dfbf5419200f2ccb50bb24f")),
    ];
    for (key, wrapped) in cases {
        let mut out = [0u8; 32];
        assert_eq!(kwp.wrap_key(key, &mut out).unwrap(), wrapped);
        let mut back = [0u8; 32];
        assert_eq!(kwp.unwrap_key(wrapped, &mut back).unwrap(), key);
    }
}

/// `generate_key` is RFC 5649 of the generator's 32 bytes under the root wrapping key, and the
/// loaded key is that key: what the HSM seals opens on the host under it, and the reverse.
#[test]
fn generated_key_is_kwp_of_random_bytes_and_loads_as_that_key() {
    let (mut hsm, script) = known_hsm();
    let key = seq(0x80);
    script.push(&key);
    let wrapped = hsm.generate_key().unwrap();
    assert_eq!(script.remaining(), 0);

    let mut expected = [0u8; 40];
    KwpAes256::new(&ROOT_WRAPPING.into()).wrap_key(&key, &mut expected).unwrap();
    assert_eq!(wrapped, WrappedKey(expected));

    let handle = hsm.load_key(&wrapped).unwrap();
    let nonce = hex!("000102030405060708090a0b");
    script.push(&nonce);
    let mut buf = *b"sealed in the soft HSM";
    let (got_nonce, tag) = hsm.seal(handle, b"aad", &mut buf).unwrap();
    assert_eq!(got_nonce, Nonce(nonce));
    assert_eq!(host_open(&key, &nonce, b"aad", &buf, &tag.0).unwrap(), b"sealed in the soft HSM");

    let (mut ct, host_tag) = host_seal(&key, &nonce, b"aad", b"sealed on the host");
    hsm.open(handle, &Nonce(nonce), b"aad", &mut ct, &Tag(host_tag)).unwrap();
    assert_eq!(ct, b"sealed on the host");
}

const K16: [u8; 32] = hex!("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
const IV16: [u8; 12] = hex!("cafebabefacedbaddecaf888");
const AAD16: [u8; 20] = hex!("feedfacedeadbeeffeedfacedeadbeefabaddad2");
const P16: [u8; 60] = hex!(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
);
const C16: [u8; 60] = hex!(
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
);
const T16: [u8; 16] = hex!("76fc6ece0f4e1768cddf8853bb2d551b");

/// GCM specification (McGrew & Viega) test case 16, the AES-256 case with a 96-bit IV and
/// non-empty AAD: through `open`, and through `seal` with the generator scripted to yield the IV.
#[test]
fn gcm_test_case_16_through_the_trait() {
    let (mut hsm, script) = known_hsm();
    let handle = hsm.load_key(&host_wrap_key(&ROOT_WRAPPING, &K16)).unwrap();

    let mut buf = C16;
    hsm.open(handle, &Nonce(IV16), &AAD16, &mut buf, &Tag(T16)).unwrap();
    assert_eq!(buf, P16);

    script.push(&IV16);
    let (nonce, tag) = hsm.seal(handle, &AAD16, &mut buf).unwrap();
    assert_eq!((nonce, tag), (Nonce(IV16), Tag(T16)));
    assert_eq!(buf, C16);

    // A wrong tag: refused, buffer wiped.
    let mut bad = T16;
    bad[15] ^= 1;
    let mut buf = C16;
    assert_eq!(
        kind(hsm.open(handle, &Nonce(IV16), &AAD16, &mut buf, &Tag(bad))),
        Some(ErrorKind::AuthenticationFailed)
    );
    assert_eq!(buf, [0u8; 60]);
}

/// `mac` is HMAC-SHA-256 under the 32-byte root sealing key: fixed answers (computed
/// independently), and agreement with the hmac crate used directly.
#[test]
fn mac_is_hmac_sha256_under_the_sealing_key() {
    let (mut hsm, _) = known_hsm();
    let fixed: [(&[u8], [u8; 32]); 2] = [
        (b"Coffer key record v1", hex!("95095d065cbac0792c29e136e2519b66877dedf2e117b1d872dae6488e8bc4e8")),
        (b"", hex!("f49240b78aa90e53f46106c3481e377e19696e777328b1cd6ec6061a0bd868a9")),
    ];
    for (data, want) in fixed {
        assert_eq!(hsm.mac(data).unwrap().0, want);
        hsm.verify_mac(data, &Mac(want)).unwrap();
    }
    for len in [1usize, 63, 64, 65, 1000] {
        let data: Vec<u8> = (0..len).map(|i| u8::try_from(i % 251).unwrap()).collect();
        let mut direct = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&ROOT_SEALING).unwrap();
        direct.update(&data);
        let direct: [u8; 32] = direct.finalize().into_bytes().into();
        assert_eq!(hsm.mac(&data).unwrap().0, direct, "len {len}");
    }
}
