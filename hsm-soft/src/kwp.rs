//! AES key wrap with padding (RFC 5649, NIST SP 800-38F KWP): the one key-wrap code path.
//!
//! Generic over the AES variant only so that the tests can run every Wycheproof vector through
//! the same checks; the crate itself always wraps under the 256-bit root wrapping key.

use crate::SoftError;
use aes_kw::{AesKwp, IV_LEN, KeyInit, cipher::BlockCipherDecrypt, cipher::BlockCipherEncrypt, cipher::consts::U16};
use zeroize::Zeroize;

/// Wraps `key` under `kek` into `out` and returns the wrapped length
/// (`key.len()` rounded up to a multiple of 8, plus 8).
pub(crate) fn wrap<C>(kek: &[u8], key: &[u8], out: &mut [u8]) -> Result<usize, SoftError>
where
    C: KeyInit + BlockCipherEncrypt<BlockSize = U16>,
{
    if key.is_empty() {
        return Err(SoftError::InvalidInput("key to wrap is empty"));
    }
    let kwp = AesKwp::<C>::new_from_slice(kek).map_err(|_| SoftError::InvalidInput("wrapping key length"))?;
    kwp.wrap_key(key, out).map(<[u8]>::len).map_err(|_| SoftError::InvalidInput("key wrap output buffer too short"))
}

/// Unwraps `wrapped` under `kek` into `out` and returns the unwrapped length.
///
/// Lengths are checked first (a multiple of 8, at least two semiblocks, room in `out`):
/// [`SoftError::InvalidInput`]. Any integrity failure (AIV, length indicator, padding) is
/// [`SoftError::AuthenticationFailed`] and leaves `out` zeroed.
pub(crate) fn unwrap<C>(kek: &[u8], wrapped: &[u8], out: &mut [u8]) -> Result<usize, SoftError>
where
    C: KeyInit + BlockCipherDecrypt<BlockSize = U16>,
{
    if !wrapped.len().is_multiple_of(IV_LEN) || wrapped.len() < 2 * IV_LEN {
        return Err(SoftError::InvalidInput("wrapped key length"));
    }
    if out.len() < wrapped.len().saturating_sub(IV_LEN) {
        return Err(SoftError::InvalidInput("key unwrap output buffer too short"));
    }
    let kwp = AesKwp::<C>::new_from_slice(kek).map_err(|_| SoftError::InvalidInput("wrapping key length"))?;
    match kwp.unwrap_key(wrapped, out) {
        Ok(key) => Ok(key.len()),
        Err(_) => {
            out.zeroize();
            Err(SoftError::AuthenticationFailed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes::{Aes128, Aes192, Aes256};
    use alloc::vec;
    use wycheproof::keywrap::{TestName, TestSet};

    fn unwrap_any(kek: &[u8], wrapped: &[u8], out: &mut [u8]) -> Result<usize, SoftError> {
        match kek.len() {
            16 => unwrap::<Aes128>(kek, wrapped, out),
            24 => unwrap::<Aes192>(kek, wrapped, out),
            32 => unwrap::<Aes256>(kek, wrapped, out),
            n => panic!("no AES-{} in Wycheproof KWP", n * 8),
        }
    }

    fn wrap_any(kek: &[u8], key: &[u8], out: &mut [u8]) -> Result<usize, SoftError> {
        match kek.len() {
            16 => wrap::<Aes128>(kek, key, out),
            24 => wrap::<Aes192>(kek, key, out),
            32 => wrap::<Aes256>(kek, key, out),
            n => panic!("no AES-{} in Wycheproof KWP", n * 8),
        }
    }

    /// The whole Wycheproof AES-KWP set (128-, 192- and 256-bit KEKs) through this module.
    #[test]
    fn wycheproof_aes_kwp_primitive() {
        let set = TestSet::load(TestName::AesKeyWrapWithPadding).unwrap();
        let (mut valid, mut invalid) = (0, 0);
        for t in set.test_groups.iter().flat_map(|g| &g.tests) {
            // Garbage-filled, so that a missing wipe shows.
            let mut out = vec![0xa5u8; t.ct.len().max(8)];
            let got = unwrap_any(&t.key, &t.ct, &mut out);
            if t.result.must_fail() {
                invalid += 1;
                assert!(got.is_err(), "tc {}", t.tc_id);
                if got == Err(SoftError::AuthenticationFailed) {
                    assert!(out.iter().all(|&b| b == 0), "tc {}: output not wiped", t.tc_id);
                }
            } else {
                valid += 1;
                let n = got.unwrap_or_else(|e| panic!("tc {}: {e}", t.tc_id));
                assert_eq!(out[..n], *t.pt, "tc {}", t.tc_id);
                let mut wrapped = vec![0u8; t.ct.len()];
                let m = wrap_any(&t.key, &t.pt, &mut wrapped).unwrap();
                assert_eq!(wrapped[..m], *t.ct, "tc {}", t.tc_id);
            }
        }
        assert_eq!((valid, invalid), (77, 177));
    }

    #[test]
    fn refuses_bad_lengths_before_touching_the_cipher() {
        let kek = [7u8; 32];
        let mut out = [0u8; 64];
        for len in [0, 8, 15, 17, 39, 41] {
            let wrapped = vec![0u8; len];
            assert!(matches!(unwrap::<Aes256>(&kek, &wrapped, &mut out), Err(SoftError::InvalidInput(_))), "len {len}");
        }
        assert!(matches!(unwrap::<Aes256>(&kek, &[0u8; 40], &mut out[..31]), Err(SoftError::InvalidInput(_))));
        assert!(matches!(wrap::<Aes256>(&kek, &[], &mut out), Err(SoftError::InvalidInput(_))));
        assert!(matches!(wrap::<Aes256>(&kek, &[1u8; 32], &mut out[..39]), Err(SoftError::InvalidInput(_))));
        assert!(matches!(unwrap::<Aes256>(&kek[..31], &[0u8; 40], &mut out), Err(SoftError::InvalidInput(_))));
    }
}
