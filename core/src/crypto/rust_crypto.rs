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
    AES256_KEY_LEN, AesGcmKey, AesGcmOutOfPlace, CryptoError, CryptoProvider, GCM_NONCE_LEN, GCM_TAG_LEN,
    HMAC_SHA256_LEN, HkdfSha512Prk, SHA384_LEN, Sha384Hash,
};
#[cfg(feature = "ecdsa-p384")]
use super::{P384_MAX_DER_LEN, P384_POINT_LEN, P384_SCALAR_LEN};

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
    A256(RustCryptoAes256Gcm),
}

/// An expanded AES-256-GCM key, and nothing else: code that holds only these links only
/// AES-256. `aes-gcm`'s `zeroize` feature wipes the key schedule on drop.
pub struct RustCryptoAes256Gcm(Aes256Gcm);

impl fmt::Debug for RustCryptoAes256Gcm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RustCryptoAes256Gcm([REDACTED])")
    }
}

impl AesGcmKey for RustCryptoAes256Gcm {
    fn seal_in_place(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; GCM_TAG_LEN], CryptoError> {
        let tag = self.0.encrypt_inout_detached(nonce.into(), aad, buf.into());
        tag.map(Into::into).map_err(|_| CryptoError::Length)
    }

    fn open_in_place(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; GCM_TAG_LEN],
    ) -> Result<(), CryptoError> {
        self.0.decrypt_inout_detached(nonce.into(), aad, buf.into(), tag.into()).map_err(|_| CryptoError::Unauthentic)
    }
}

impl AesGcmOutOfPlace for RustCryptoAes256Gcm {
    fn seal_to(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        input: &[u8],
        output: &mut [u8],
    ) -> Result<[u8; GCM_TAG_LEN], CryptoError> {
        let tag = self.0.encrypt_inout_detached(nonce.into(), aad, in_out(input, output)?);
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
        let buf = in_out(input, output)?;
        self.0.decrypt_inout_detached(nonce.into(), aad, buf, tag.into()).map_err(|_| CryptoError::Unauthentic)
    }
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
            Self::A256(c) => return c.seal_in_place(nonce, aad, buf),
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
            Self::A256(c) => return c.open_in_place(nonce, aad, buf, tag),
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
        let tag = match self {
            Self::A128(c) => c.encrypt_inout_detached(nonce.into(), aad, in_out(input, output)?),
            Self::A192(c) => c.encrypt_inout_detached(nonce.into(), aad, in_out(input, output)?),
            Self::A256(c) => return c.seal_to(nonce, aad, input, output),
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
        let opened = match self {
            Self::A128(c) => c.decrypt_inout_detached(nonce.into(), aad, in_out(input, output)?, tag.into()),
            Self::A192(c) => c.decrypt_inout_detached(nonce.into(), aad, in_out(input, output)?, tag.into()),
            Self::A256(c) => return c.open_to(nonce, aad, input, tag, output),
        };
        opened.map_err(|_| CryptoError::Unauthentic)
    }
}

/// `input` and `output` as one in-out buffer, or [`CryptoError::Length`] if their lengths differ.
fn in_out<'i, 'o>(input: &'i [u8], output: &'o mut [u8]) -> Result<InOutBuf<'i, 'o, u8>, CryptoError> {
    InOutBuf::new(input, output).map_err(|_| CryptoError::Length)
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
    type Aes256Gcm = RustCryptoAes256Gcm;
    type Sha384 = RustCryptoSha384;
    type HkdfSha512 = RustCryptoHkdfSha512;

    fn aes_gcm(key: &[u8]) -> Result<Self::AesGcm, CryptoError> {
        let bad = |_| CryptoError::KeyLength;
        Ok(match key.len() {
            16 => RustCryptoAesGcm::A128(Aes128Gcm::new_from_slice(key).map_err(bad)?),
            24 => RustCryptoAesGcm::A192(Aes192Gcm::new_from_slice(key).map_err(bad)?),
            32 => RustCryptoAesGcm::A256(RustCryptoAes256Gcm(Aes256Gcm::new_from_slice(key).map_err(bad)?)),
            _ => return Err(CryptoError::KeyLength),
        })
    }

    fn aes256_gcm(key: &[u8; AES256_KEY_LEN]) -> Result<Self::Aes256Gcm, CryptoError> {
        Ok(RustCryptoAes256Gcm(Aes256Gcm::new(key.into())))
    }

    fn hmac_sha256(key: &[u8], data: &[u8]) -> Result<[u8; HMAC_SHA256_LEN], CryptoError> {
        // HMAC takes keys of every length; the error branch cannot be taken.
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key).map_err(|_| CryptoError::KeyLength)?;
        mac.update(data);
        Ok(mac.finalize().into_bytes().into())
    }

    #[cfg(feature = "ecdsa-p384")]
    fn p384_public_key(scalar: &[u8; P384_SCALAR_LEN]) -> Result<[u8; P384_POINT_LEN], CryptoError> {
        let secret = p384::SecretKey::from_slice(scalar).map_err(|_| CryptoError::KeyLength)?;
        use p384::elliptic_curve::sec1::ToSec1Point;
        let point = secret.public_key().to_sec1_point(true);
        point.as_bytes().try_into().map_err(|_| CryptoError::KeyLength)
    }

    #[cfg(feature = "ecdsa-p384")]
    fn p384_sign_prehash(
        scalar: &[u8; P384_SCALAR_LEN],
        digest: &[u8; SHA384_LEN],
        der: &mut [u8; P384_MAX_DER_LEN],
    ) -> Result<usize, CryptoError> {
        use ecdsa::DigestAlgorithm;
        let secret = p384::SecretKey::from_slice(scalar).map_err(|_| CryptoError::KeyLength)?;
        // What `p384::ecdsa::SigningKey::sign_prehash` does (RFC 6979, no extra input), without
        // the public point that constructing a `SigningKey` would compute.
        let (sig, _) = ecdsa::hazmat::sign_prehashed_rfc6979::<
            p384::NistP384,
            <p384::NistP384 as DigestAlgorithm>::Digest,
        >(&secret.to_nonzero_scalar(), digest, &[]);
        let encoded = sig.normalize_s().to_der();
        let bytes = encoded.as_bytes();
        der.get_mut(..bytes.len()).ok_or(CryptoError::Length)?.copy_from_slice(bytes);
        Ok(bytes.len())
    }

    #[cfg(feature = "ecdsa-p384")]
    fn p384_verify_prehash(
        public: &[u8; P384_POINT_LEN],
        digest: &[u8; SHA384_LEN],
        der: &[u8],
    ) -> Result<(), CryptoError> {
        use p384::ecdsa::signature::hazmat::PrehashVerifier;
        let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(public).map_err(|_| CryptoError::Unauthentic)?;
        let sig = p384::ecdsa::DerSignature::from_bytes(der).map_err(|_| CryptoError::Unauthentic)?;
        key.verify_prehash(digest, &sig).map_err(|_| CryptoError::Unauthentic)
    }
}
