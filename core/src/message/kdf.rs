//! Per-message keys: HKDF-SHA-512 from the data key, salted with the message id.
//!
//! As the spec's committing suites require: the content key is
//! `HKDF-SHA-512(salt = message id, ikm = data key, info = suite id || "DERIVEKEY", 32 bytes)`
//! and the commitment key is the same with `info = "COMMITKEY"`. Because the message id is
//! random per message, one data key can safely serve many messages.

use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use super::materials::DataKey;
use super::suite::AlgorithmSuite;
use super::{COMMITMENT_LEN, IV_LEN, MESSAGE_ID_LEN, TAG_LEN};
use crate::crypto::{AesGcmKey, AesGcmOutOfPlace, CryptoProvider, HkdfSha512Prk};

/// The content cipher of one message (AES-256-GCM under the derived key), from the provider
/// `P`, which wipes the key on drop.
pub(crate) struct ContentKey<P: CryptoProvider> {
    cipher: P::Aes256Gcm,
}

impl<P: CryptoProvider> ContentKey<P> {
    /// Encrypts `buf` in place, returning the tag.
    pub(crate) fn seal(&self, iv: &[u8; IV_LEN], aad: &[u8], buf: &mut [u8]) -> Result<[u8; TAG_LEN], ()> {
        self.cipher.seal_in_place(iv, aad, buf).map_err(|_| ())
    }

    /// Checks `tag` and decrypts `buf` in place; on failure `buf` is wiped, so nothing left in it
    /// can be taken for plaintext.
    pub(crate) fn open(&self, iv: &[u8; IV_LEN], aad: &[u8], buf: &mut [u8], tag: &[u8; TAG_LEN]) -> Result<(), ()> {
        self.cipher.open_in_place(iv, aad, buf, tag).map_err(|_| {
            buf.zeroize();
        })
    }

    /// Encrypts `input` into `output` (same length), returning the tag: a frame straight from
    /// the caller's plaintext to the caller's output.
    pub(crate) fn seal_to(
        &self,
        iv: &[u8; IV_LEN],
        aad: &[u8],
        input: &[u8],
        output: &mut [u8],
    ) -> Result<[u8; TAG_LEN], ()> {
        self.cipher.seal_to(iv, aad, input, output).map_err(|_| ())
    }

    /// Checks `tag` and decrypts `input` into `output` (same length); on failure `output` is
    /// wiped.
    pub(crate) fn open_to(
        &self,
        iv: &[u8; IV_LEN],
        aad: &[u8],
        input: &[u8],
        tag: &[u8; TAG_LEN],
        output: &mut [u8],
    ) -> Result<(), ()> {
        self.cipher.open_to(iv, aad, input, tag, output).map_err(|_| {
            output.zeroize();
        })
    }
}

impl<P: CryptoProvider> core::fmt::Debug for ContentKey<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ContentKey([REDACTED])")
    }
}

/// Derives the content key and the commitment value for a message.
///
/// Returns `None` only if HKDF refuses the output length, which cannot happen for 32 bytes from
/// SHA-512; the caller treats it as a failure rather than panicking.
pub(crate) fn derive<P: CryptoProvider>(
    suite: AlgorithmSuite,
    data_key: &DataKey,
    message_id: &[u8; MESSAGE_ID_LEN],
) -> Option<(ContentKey<P>, [u8; COMMITMENT_LEN])> {
    let hk = P::HkdfSha512::extract(message_id, data_key.as_bytes());
    let [hi, lo] = suite.id().to_be_bytes();
    let [d, e, r, i, v, e2, k, e3, y] = *b"DERIVEKEY";
    let info = [hi, lo, d, e, r, i, v, e2, k, e3, y];
    let mut key = [0u8; 32];
    let derived = hk.expand(&info, &mut key);
    let cipher = P::aes256_gcm(&key);
    key.zeroize();
    let mut commitment = [0u8; COMMITMENT_LEN];
    let committed = hk.expand(b"COMMITKEY", &mut commitment);
    match (derived, cipher, committed) {
        (Ok(()), Ok(cipher), Ok(())) => Some((ContentKey { cipher }, commitment)),
        _ => None,
    }
}

/// Compares commitment values in constant time.
pub(crate) fn commitment_matches(a: &[u8; COMMITMENT_LEN], b: &[u8]) -> bool {
    bool::from(a.as_slice().ct_eq(b))
}
