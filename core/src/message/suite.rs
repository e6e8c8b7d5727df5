//! The algorithm suites Coffer reads and writes: the committing ones of message format 2.

use core::fmt;

/// An algorithm suite of the AWS Encryption SDK message format, version 2.
///
/// Both use AES-256-GCM (12-byte IV, 16-byte tag) under a per-message key derived with
/// HKDF-SHA-512 from the data key and the message id, and carry a 32-byte key commitment in the
/// header, so a message decrypts to one plaintext only, whichever of its data keys is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AlgorithmSuite {
    /// `04 78`: AES-256-GCM, HKDF-SHA-512, key commitment; no signature.
    ///
    /// Anyone who can decrypt a data key can also forge messages under it: use it when writers
    /// and readers are equally trusted.
    AesGcm256HkdfSha512Commit,
    /// `05 78`: as `04 78`, plus an ECDSA P-384 (SHA-384) signature in the footer, whose public
    /// key travels in the encryption context (`aws-crypto-public-key`). The official SDKs'
    /// default: a reader that can decrypt still cannot forge a message.
    #[cfg(feature = "ecdsa-p384")]
    AesGcm256HkdfSha512CommitEcdsaP384,
}

/// Why a suite id was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuiteError {
    /// A legacy suite without key commitment. The SDKs' default commitment policy
    /// (`REQUIRE_ENCRYPT_REQUIRE_DECRYPT`) refuses these, and so does Coffer.
    NonCommitting(u16),
    /// A committing suite this build does not handle (`05 78` without the `ecdsa-p384` feature).
    NotEnabled(u16),
    /// Not an algorithm suite id of the message format.
    Unknown(u16),
    /// A signed suite, refused by a decryptor set to refuse them
    /// ([`Decryptor::refuse_signed`](super::Decryptor::refuse_signed)), right after the header
    /// was parsed and before any key was tried.
    Signed(u16),
}

impl fmt::Display for SuiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NonCommitting(id) => write!(
                f,
                "algorithm suite {id:04x} does not commit to its key and is refused (commitment policy: require commitment)"
            ),
            Self::NotEnabled(id) => {
                write!(f, "algorithm suite {id:04x} is not enabled in this build (feature ecdsa-p384)")
            }
            Self::Unknown(id) => write!(f, "unknown algorithm suite {id:04x}"),
            Self::Signed(id) => {
                write!(f, "algorithm suite {id:04x} is signed, and this decryptor refuses signed suites")
            }
        }
    }
}

impl core::error::Error for SuiteError {}

impl AlgorithmSuite {
    /// The two-byte id written in the header.
    pub const fn id(self) -> u16 {
        match self {
            Self::AesGcm256HkdfSha512Commit => 0x0478,
            #[cfg(feature = "ecdsa-p384")]
            Self::AesGcm256HkdfSha512CommitEcdsaP384 => 0x0578,
        }
    }

    /// The suite with the given id.
    ///
    /// # Errors
    /// [`SuiteError::NonCommitting`] for a legacy suite, [`SuiteError::NotEnabled`] for `05 78`
    /// without the `ecdsa-p384` feature, [`SuiteError::Unknown`] otherwise.
    pub const fn from_id(id: u16) -> Result<Self, SuiteError> {
        match id {
            0x0478 => Ok(Self::AesGcm256HkdfSha512Commit),
            #[cfg(feature = "ecdsa-p384")]
            0x0578 => Ok(Self::AesGcm256HkdfSha512CommitEcdsaP384),
            #[cfg(not(feature = "ecdsa-p384"))]
            0x0578 => Err(SuiteError::NotEnabled(id)),
            // The legacy suites of format 1 (no KDF, HKDF-SHA-256, HKDF-SHA-384 with ECDSA).
            0x0014 | 0x0046 | 0x0078 | 0x0114 | 0x0146 | 0x0178 | 0x0214 | 0x0346 | 0x0378 => {
                Err(SuiteError::NonCommitting(id))
            }
            _ => Err(SuiteError::Unknown(id)),
        }
    }

    /// True if the message ends with a signature footer.
    pub const fn is_signed(self) -> bool {
        match self {
            Self::AesGcm256HkdfSha512Commit => false,
            #[cfg(feature = "ecdsa-p384")]
            Self::AesGcm256HkdfSha512CommitEcdsaP384 => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_legacy_suites_are_refused() {
        assert_eq!(AlgorithmSuite::from_id(0x0478), Ok(AlgorithmSuite::AesGcm256HkdfSha512Commit));
        assert_eq!(AlgorithmSuite::AesGcm256HkdfSha512Commit.id(), 0x0478);
        #[cfg(feature = "ecdsa-p384")]
        assert_eq!(AlgorithmSuite::from_id(0x0578).map(AlgorithmSuite::id), Ok(0x0578));
        for id in [0x0014, 0x0078, 0x0178, 0x0378, 0x0346, 0x0214] {
            assert_eq!(AlgorithmSuite::from_id(id), Err(SuiteError::NonCommitting(id)));
        }
        assert_eq!(AlgorithmSuite::from_id(0x0479), Err(SuiteError::Unknown(0x0479)));
    }
}
