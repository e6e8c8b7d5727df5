//! [`RustCrypto`]: the provider of the RustCrypto crates, `no_std` and heap-free.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aes::Aes192;
use aes_gcm::{AeadInOut, Aes128Gcm, Aes256Gcm, AesGcm, KeyInit};
use core::fmt;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::{
    AesGcmKey, AesGcmOutOfPlace, CryptoError, CryptoProvider, GCM_NONCE_LEN, GCM_TAG_LEN, HMAC_SHA256_LEN,
    HkdfSha512Prk, SHA384_LEN, Sha384Hash,
};

/// The RustCrypto crates: `aes-gcm`, `hkdf`, `hmac`, `sha2`. The default provider, and the only
/// one on targets without std.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RustCrypto;

type Aes192Gcm = AesGcm<Aes192, U12>;

/// An expanded AES-GCM key; `aes-gcm`'s `zeroize` feature wipes the key schedule on drop.
pub enum RustCryptoAesGcm {
    /// 128-bit key.
    A128(Aes128Gcm),
    /// 192-bit key.
    A192(Aes192Gcm),
    /// 256-bit key.
    A256(Aes256Gcm),
}

impl fmt::Debug for RustCryptoAesGcm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RustCryptoAesGcm([REDACTED])")
    }
}

impl AesGcmKey for RustCryptoAesGcm {
    fn seal_in_place(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; GCM_TAG_LEN], CryptoError> {
        let tag = match self {
            Self::A128(c) => c.encrypt_inout_detached(nonce.into(), aad, buf.into()),
            Self::A192(c) => c.encrypt_inout_detached(nonce.into(), aad, buf.into()),
            Self::A256(c) => c.encrypt_inout_detached(nonce.into(), aad, buf.into()),
        };
        tag.map(Into::into).map_err(|_| CryptoError::Length)
    }

    fn open_in_place(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; GCM_TAG_LEN],
    ) -> Result<(), CryptoError> {
        let opened = match self {
            Self::A128(c) => c.decrypt_inout_detached(nonce.into(), aad, buf.into(), tag.into()),
            Self::A192(c) => c.decrypt_inout_detached(nonce.into(), aad, buf.into(), tag.into()),
            Self::A256(c) => c.decrypt_inout_detached(nonce.into(), aad, buf.into(), tag.into()),
        };
        opened.map_err(|_| CryptoError::Unauthentic)
    }
}

impl AesGcmOutOfPlace for RustCryptoAesGcm {
    fn seal_to(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        input: &[u8],
        output: &mut [u8],
    ) -> Result<[u8; GCM_TAG_LEN], CryptoError> {
        let buf = InOutBuf::new(input, output).map_err(|_| CryptoError::Length)?;
        let tag = match self {
            Self::A128(c) => c.encrypt_inout_detached(nonce.into(), aad, buf),
            Self::A192(c) => c.encrypt_inout_detached(nonce.into(), aad, buf),
            Self::A256(c) => c.encrypt_inout_detached(nonce.into(), aad, buf),
        };
        tag.map(Into::into).map_err(|_| CryptoError::Length)
    }

    fn open_to(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        input: &[u8],
        tag: &[u8; GCM_TAG_LEN],
        output: &mut [u8],
    ) -> Result<(), CryptoError> {
        let buf = InOutBuf::new(input, output).map_err(|_| CryptoError::Length)?;
        let opened = match self {
            Self::A128(c) => c.decrypt_inout_detached(nonce.into(), aad, buf, tag.into()),
            Self::A192(c) => c.decrypt_inout_detached(nonce.into(), aad, buf, tag.into()),
            Self::A256(c) => c.decrypt_inout_detached(nonce.into(), aad, buf, tag.into()),
        };
        opened.map_err(|_| CryptoError::Unauthentic)
    }
}

/// A running SHA-384 (`sha2`).
#[derive(Debug, Clone, Default)]
pub struct RustCryptoSha384(Sha384);

impl Sha384Hash for RustCryptoSha384 {
    fn new() -> Self {
        Self(Sha384::new())
    }

    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    fn finalize(self) -> Result<[u8; SHA384_LEN], CryptoError> {
        Ok(self.0.finalize().into())
    }
}

/// HKDF-SHA-512 after extraction (`hkdf` over `hmac` with its `zeroize` feature).
pub struct RustCryptoHkdfSha512(Hkdf<Sha512>);

impl fmt::Debug for RustCryptoHkdfSha512 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RustCryptoHkdfSha512([REDACTED])")
    }
}

impl HkdfSha512Prk for RustCryptoHkdfSha512 {
    fn extract(salt: &[u8], ikm: &[u8]) -> Self {
        Self(Hkdf::<Sha512>::new(Some(salt), ikm))
    }

    fn expand(&self, info: &[u8], out: &mut [u8]) -> Result<(), CryptoError> {
        self.0.expand(info, out).map_err(|_| CryptoError::Length)
    }
}

impl CryptoProvider for RustCrypto {
    type AesGcm = RustCryptoAesGcm;
    type Sha384 = RustCryptoSha384;
    type HkdfSha512 = RustCryptoHkdfSha512;

    fn aes_gcm(key: &[u8]) -> Result<Self::AesGcm, CryptoError> {
        let bad = |_| CryptoError::KeyLength;
        Ok(match key.len() {
            16 => RustCryptoAesGcm::A128(Aes128Gcm::new_from_slice(key).map_err(bad)?),
            24 => RustCryptoAesGcm::A192(Aes192Gcm::new_from_slice(key).map_err(bad)?),
            32 => RustCryptoAesGcm::A256(Aes256Gcm::new_from_slice(key).map_err(bad)?),
            _ => return Err(CryptoError::KeyLength),
        })
    }

    fn hmac_sha256(key: &[u8], data: &[u8]) -> Result<[u8; HMAC_SHA256_LEN], CryptoError> {
        // HMAC takes keys of every length; the error branch cannot be taken.
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key).map_err(|_| CryptoError::KeyLength)?;
        mac.update(data);
        Ok(mac.finalize().into_bytes().into())
    }
}
