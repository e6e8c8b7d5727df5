//! The `05 78` footer: ECDSA P-384 over SHA-384 of the header and body.
//!
//! The signing key belongs to the encryption materials: fresh per message with
//! [`Encryptor::new`](super::Encryptor::new), but shared by every message made from the same
//! materials with [`Encryptor::with_shared_materials`](super::Encryptor::with_shared_materials)
//! or from one entry of the data-key cache (as the SDKs' caching CMM shares it). Its public key travels, base64 of the compressed SEC1
//! point, in the encryption context under `aws-crypto-public-key`, as the spec says.
//! Signatures are written low-`s`; high-`s` ones are accepted on read, as the SDKs accept them. Without the
//! `ecdsa-p384` feature the types here are uninhabited and the transcript is a no-op, so the
//! rest of the module needs no `cfg`.

use core::fmt;

/// The encryption-context key that carries the signature's public key.
pub(crate) const PUBLIC_KEY_CONTEXT_KEY: &str = "aws-crypto-public-key";
/// Longest DER encoding of a P-384 ECDSA signature: SEQUENCE of two INTEGERs of up to 49 bytes.
pub(crate) const MAX_SIGNATURE_LEN: usize = 104;

#[cfg(feature = "ecdsa-p384")]
mod imp {
    use base64ct::{Base64, Encoding};
    use heapless::{String, Vec};
    use rand_core::TryCryptoRng;
    use zeroize::Zeroizing;

    use super::MAX_SIGNATURE_LEN;
    use crate::crypto::{CryptoProvider, P384_MAX_DER_LEN, P384_POINT_LEN, P384_SCALAR_LEN, Sha384Hash};

    /// Base64 of a 49-byte compressed point: 68 characters.
    const PUBLIC_KEY_B64_LEN: usize = 68;

    /// The signing key of a set of encryption materials: one message, or every message made
    /// from shared materials. Held as its scalar (wiped on drop) and public key, so that any
    /// crypto provider can sign with it.
    pub(crate) struct SigningKey {
        scalar: Zeroizing<[u8; P384_SCALAR_LEN]>,
        public_b64: String<PUBLIC_KEY_B64_LEN>,
    }

    impl SigningKey {
        /// A fresh key from `rng`, its public point computed by `P` (a scalar out of range,
        /// chance about 2^-190, is drawn again).
        pub(crate) fn random<P: CryptoProvider, R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, ()> {
            let mut scalar = Zeroizing::new([0u8; P384_SCALAR_LEN]);
            for _ in 0..8 {
                rng.try_fill_bytes(scalar.as_mut_slice()).map_err(|_| ())?;
                if let Ok(point) = P::p384_public_key(&scalar) {
                    let mut buf = [0u8; PUBLIC_KEY_B64_LEN];
                    let b64 = Base64::encode(&point, &mut buf).map_err(|_| ())?;
                    let public_b64 = String::try_from(b64).map_err(|_| ())?;
                    return Ok(Self { scalar, public_b64 });
                }
            }
            Err(())
        }

        pub(crate) fn public_key_base64(&self) -> &str {
            &self.public_b64
        }

        /// Signs the transcript, returning the DER signature, with `s` normalized to the low
        /// half of the group order (`s <= n/2`, as the official SDKs write it), so that each
        /// message has one signature Coffer writes rather than the two equally valid ones.
        pub(crate) fn sign<P: CryptoProvider>(
            &self,
            transcript: Transcript<P>,
        ) -> Result<Vec<u8, MAX_SIGNATURE_LEN>, ()> {
            let hash = transcript.hash.ok_or(())?;
            let digest = hash.finalize().map_err(|_| ())?;
            let mut der = [0u8; P384_MAX_DER_LEN];
            let len = P::p384_sign_prehash(&self.scalar, &digest, &mut der).map_err(|_| ())?;
            Vec::from_slice(der.get(..len).ok_or(())?).map_err(|_| ())
        }
    }

    /// The public key a reader takes from the context: a compressed point, checked as a point
    /// of the curve when the signature is verified.
    pub(crate) struct VerifyingKey([u8; P384_POINT_LEN]);

    impl VerifyingKey {
        pub(crate) fn from_base64(b64: &str) -> Result<Self, ()> {
            let mut buf = [0u8; P384_POINT_LEN];
            let bytes = Base64::decode(b64, &mut buf).map_err(|_| ())?;
            // Only the compressed form the spec writes: one encoding per key.
            let point: [u8; P384_POINT_LEN] = bytes.try_into().map_err(|_| ())?;
            match point.first() {
                Some(0x02 | 0x03) => Ok(Self(point)),
                _ => Err(()),
            }
        }

        /// Verifies a DER signature over the transcript. A high-`s` signature (the other of the
        /// two valid signatures of the same message, `n - s`) is accepted, as the official SDKs
        /// accept it: this malleability lets anyone re-encode a valid footer, but not sign
        /// anything new, so it changes nothing about what is authentic.
        pub(crate) fn verify<P: CryptoProvider>(&self, transcript: Transcript<P>, der: &[u8]) -> Result<(), ()> {
            let hash = transcript.hash.ok_or(())?;
            let digest = hash.finalize().map_err(|_| ())?;
            P::p384_verify_prehash(&self.0, &digest, der).map_err(|_| ())
        }
    }

    /// SHA-384 of every byte of the header and body, for a signed suite; nothing otherwise.
    pub(crate) struct Transcript<P: CryptoProvider> {
        hash: Option<P::Sha384>,
    }

    impl<P: CryptoProvider> Transcript<P> {
        pub(crate) fn new(signed: bool) -> Self {
            Self { hash: signed.then(P::Sha384::new) }
        }

        pub(crate) fn update(&mut self, bytes: &[u8]) {
            if let Some(hash) = &mut self.hash {
                hash.update(bytes);
            }
        }
    }
}

#[cfg(not(feature = "ecdsa-p384"))]
mod imp {
    use core::marker::PhantomData;
    use heapless::Vec;
    use rand_core::TryCryptoRng;

    use super::MAX_SIGNATURE_LEN;
    use crate::crypto::CryptoProvider;

    /// No signed suite in this build: cannot exist.
    pub(crate) enum SigningKey {}

    impl SigningKey {
        pub(crate) fn random<P: CryptoProvider, R: TryCryptoRng + ?Sized>(_rng: &mut R) -> Result<Self, ()> {
            Err(())
        }

        pub(crate) fn public_key_base64(&self) -> &str {
            match *self {}
        }

        pub(crate) fn sign<P: CryptoProvider>(
            &self,
            _transcript: Transcript<P>,
        ) -> Result<Vec<u8, MAX_SIGNATURE_LEN>, ()> {
            match *self {}
        }
    }

    /// No signed suite in this build: cannot exist.
    pub(crate) enum VerifyingKey {}

    impl VerifyingKey {
        pub(crate) fn from_base64(_b64: &str) -> Result<Self, ()> {
            Err(())
        }

        pub(crate) fn verify<P: CryptoProvider>(&self, _transcript: Transcript<P>, _der: &[u8]) -> Result<(), ()> {
            match *self {}
        }
    }

    /// Nothing to hash without signed suites.
    pub(crate) struct Transcript<P>(PhantomData<P>);

    impl<P: CryptoProvider> Transcript<P> {
        pub(crate) fn new(_signed: bool) -> Self {
            Self(PhantomData)
        }

        pub(crate) fn update(&mut self, _bytes: &[u8]) {}
    }
}

pub(crate) use imp::{SigningKey, Transcript, VerifyingKey};

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey([REDACTED])")
    }
}

impl<P: crate::crypto::CryptoProvider> fmt::Debug for Transcript<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Transcript")
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerifyingKey")
    }
}
