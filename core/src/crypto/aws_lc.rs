//! `AwsLc`: the same operations through `aws-lc-rs` (AWS-LC's assembly: AES-NI, VAES, AVX-512,
//! SHA extensions). std targets only; the provider the official Rust Encryption SDK uses.

use aws_lc_rs::{aead, digest, hkdf, hmac};
use core::fmt;

use super::{
    AES256_KEY_LEN, AesGcmKey, AesGcmOutOfPlace, CryptoError, CryptoProvider, GCM_NONCE_LEN, GCM_TAG_LEN,
    HMAC_SHA256_LEN, HkdfSha512Prk, SHA384_LEN, Sha384Hash,
};
#[cfg(feature = "ecdsa-p384")]
use super::{P384_MAX_DER_LEN, P384_POINT_LEN, P384_SCALAR_LEN};

/// `aws-lc-rs`: AES-GCM, HKDF, HMAC and SHA-2 from AWS-LC. Feature `aws-lc`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AwsLc;

/// An expanded AES-GCM key. aws-lc-rs keeps it in an `EVP_AEAD_CTX` that is released with
/// `OPENSSL_free`, which cleanses the allocation before freeing it.
pub struct AwsLcAesGcm(aead::LessSafeKey);

impl fmt::Debug for AwsLcAesGcm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AwsLcAesGcm([REDACTED])")
    }
}

impl AesGcmKey for AwsLcAesGcm {
    fn seal_in_place(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; GCM_TAG_LEN], CryptoError> {
        // Coffer's callers never reuse a nonce under one key: a message key is derived per
        // message and its IVs are frame numbers; hsm-soft draws 96 random bits per seal.
        let nonce = aead::Nonce::assume_unique_for_key(*nonce);
        let tag =
            self.0.seal_in_place_separate_tag(nonce, aead::Aad::from(aad), buf).map_err(|_| CryptoError::Length)?;
        tag.as_ref().try_into().map_err(|_| CryptoError::Length)
    }

    fn open_in_place(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; GCM_TAG_LEN],
    ) -> Result<(), CryptoError> {
        let nonce = aead::Nonce::assume_unique_for_key(*nonce);
        self.0
            .open_in_place_separate_tag(nonce, aead::Aad::from(aad), tag, buf)
            .map(|_| ())
            .map_err(|_| CryptoError::Unauthentic)
    }
}

impl AesGcmOutOfPlace for AwsLcAesGcm {
    fn seal_to(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        input: &[u8],
        output: &mut [u8],
    ) -> Result<[u8; GCM_TAG_LEN], CryptoError> {
        let nonce = aead::Nonce::assume_unique_for_key(*nonce);
        let mut tag = [0u8; GCM_TAG_LEN];
        self.0
            .seal_out_of_place_scatter(nonce, aead::Aad::from(aad), input, output, &[], &mut tag)
            .map_err(|_| CryptoError::Length)?;
        Ok(tag)
    }

    fn open_to(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        input: &[u8],
        tag: &[u8; GCM_TAG_LEN],
        output: &mut [u8],
    ) -> Result<(), CryptoError> {
        if input.len() != output.len() {
            return Err(CryptoError::Length);
        }
        let nonce = aead::Nonce::assume_unique_for_key(*nonce);
        self.0
            .open_separate_gather(nonce, aead::Aad::from(aad), input, tag, output)
            .map_err(|_| CryptoError::Unauthentic)
    }
}

/// A running SHA-384 (`aws_lc_rs::digest`).
#[derive(Clone)]
pub struct AwsLcSha384(digest::Context);

impl fmt::Debug for AwsLcSha384 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AwsLcSha384")
    }
}

impl Sha384Hash for AwsLcSha384 {
    fn new() -> Self {
        Self(digest::Context::new(&digest::SHA384))
    }

    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    fn finalize(self) -> Result<[u8; SHA384_LEN], CryptoError> {
        self.0.finish().as_ref().try_into().map_err(|_| CryptoError::Length)
    }
}

/// HKDF-SHA-512 after extraction; aws-lc-rs zeroizes the pseudo-random key on drop.
pub struct AwsLcHkdfSha512(hkdf::Prk);

impl fmt::Debug for AwsLcHkdfSha512 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AwsLcHkdfSha512([REDACTED])")
    }
}

/// An output length for `hkdf::Prk::expand`, which asks for it through a trait.
struct OutLen(usize);

impl hkdf::KeyType for OutLen {
    fn len(&self) -> usize {
        self.0
    }
}

impl HkdfSha512Prk for AwsLcHkdfSha512 {
    fn extract(salt: &[u8], ikm: &[u8]) -> Self {
        Self(hkdf::Salt::new(hkdf::HKDF_SHA512, salt).extract(ikm))
    }

    fn expand(&self, info: &[u8], out: &mut [u8]) -> Result<(), CryptoError> {
        let info = [info];
        let okm = self.0.expand(&info, OutLen(out.len())).map_err(|_| CryptoError::Length)?;
        okm.fill(out).map_err(|_| CryptoError::Length)
    }
}

impl CryptoProvider for AwsLc {
    type AesGcm = AwsLcAesGcm;
    // One key type serves every length here: aws-lc-rs links its AES code whatever the length.
    type Aes256Gcm = AwsLcAesGcm;
    type Sha384 = AwsLcSha384;
    type HkdfSha512 = AwsLcHkdfSha512;

    fn aes_gcm(key: &[u8]) -> Result<Self::AesGcm, CryptoError> {
        let algorithm = match key.len() {
            16 => &aead::AES_128_GCM,
            24 => &aead::AES_192_GCM,
            32 => &aead::AES_256_GCM,
            _ => return Err(CryptoError::KeyLength),
        };
        let key = aead::UnboundKey::new(algorithm, key).map_err(|_| CryptoError::KeyLength)?;
        Ok(AwsLcAesGcm(aead::LessSafeKey::new(key)))
    }

    fn aes256_gcm(key: &[u8; AES256_KEY_LEN]) -> Result<Self::Aes256Gcm, CryptoError> {
        Self::aes_gcm(key)
    }

    fn hmac_sha256(key: &[u8], data: &[u8]) -> Result<[u8; HMAC_SHA256_LEN], CryptoError> {
        let key = hmac::Key::new(hmac::HMAC_SHA256, key);
        let tag = hmac::sign(&key, data);
        tag.as_ref().try_into().map_err(|_| CryptoError::Length)
    }

    #[cfg(feature = "ecdsa-p384")]
    fn p384_public_key(scalar: &[u8; P384_SCALAR_LEN]) -> Result<[u8; P384_POINT_LEN], CryptoError> {
        use aws_lc_rs::encoding::{AsBigEndian, EcPublicKeyCompressedBin};
        use aws_lc_rs::signature::KeyPair;
        let pair = p384_key_pair(scalar)?;
        let point: EcPublicKeyCompressedBin<'_> =
            pair.public_key().as_be_bytes().map_err(|_| CryptoError::KeyLength)?;
        point.as_ref().try_into().map_err(|_| CryptoError::KeyLength)
    }

    #[cfg(feature = "ecdsa-p384")]
    fn p384_sign_prehash(
        scalar: &[u8; P384_SCALAR_LEN],
        digest: &[u8; SHA384_LEN],
        der: &mut [u8; P384_MAX_DER_LEN],
    ) -> Result<usize, CryptoError> {
        let pair = p384_key_pair(scalar)?;
        let digest = digest::Digest::import_less_safe(digest, &digest::SHA384).map_err(|_| CryptoError::Length)?;
        let sig = pair.sign_digest(&digest).map_err(|_| CryptoError::Length)?;
        // AWS-LC draws its nonce at random and leaves `s` as it comes; Coffer writes the low
        // one, as the SDKs do (the RustCrypto types only re-encode: no secret is involved).
        let parsed = p384::ecdsa::Signature::from_der(sig.as_ref()).map_err(|_| CryptoError::Length)?;
        let encoded = parsed.normalize_s().to_der();
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
        use aws_lc_rs::signature::{ECDSA_P384_SHA384_ASN1, UnparsedPublicKey};
        let digest = digest::Digest::import_less_safe(digest, &digest::SHA384).map_err(|_| CryptoError::Unauthentic)?;
        UnparsedPublicKey::new(&ECDSA_P384_SHA384_ASN1, public)
            .verify_digest(&digest, der)
            .map_err(|_| CryptoError::Unauthentic)
    }
}

/// The key pair of a P-384 scalar, through an RFC 5915 `ECPrivateKey` (AWS-LC computes the
/// public point). The encoding holds the scalar, so it is wiped after use.
#[cfg(feature = "ecdsa-p384")]
fn p384_key_pair(scalar: &[u8; P384_SCALAR_LEN]) -> Result<aws_lc_rs::signature::EcdsaKeyPair, CryptoError> {
    use aws_lc_rs::signature::{ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair};
    // SEQUENCE { INTEGER 1, OCTET STRING scalar, [0] { OID secp384r1 } }
    const HEAD: [u8; 7] = [0x30, 0x3e, 0x02, 0x01, 0x01, 0x04, 0x30];
    const TAIL: [u8; 9] = [0xa0, 0x07, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
    let mut der = zeroize::Zeroizing::new([0u8; HEAD.len() + P384_SCALAR_LEN + TAIL.len()]);
    let (head, rest) = der.split_at_mut(HEAD.len());
    let (body, tail) = rest.split_at_mut(P384_SCALAR_LEN);
    head.copy_from_slice(&HEAD);
    body.copy_from_slice(scalar);
    tail.copy_from_slice(&TAIL);
    EcdsaKeyPair::from_private_key_der(&ECDSA_P384_SHA384_ASN1_SIGNING, der.as_slice())
        .map_err(|_| CryptoError::KeyLength)
}
