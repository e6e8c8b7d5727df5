//! The keyring interface (spec `framework/keyring-interface.md`): `on_encrypt` makes or wraps
//! the data key, `on_decrypt` unwraps one of a message's encrypted data keys.

use core::fmt;
use rand_core::TryCryptoRng;

use super::edk::{EdkRef, EdkTooLong};
use super::materials::{DecryptionMaterials, EncryptionMaterials, MaterialsError};
use crate::error::ErrorKind;

/// Why a keyring failed.
///
/// On decrypt the message layer turns every keyring failure into its one opaque decrypt error;
/// the detail here is for the keyring's own callers and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyringError {
    /// The materials refused the change (too many EDKs, a data key already set, ...).
    Materials(MaterialsError),
    /// On encrypt: this keyring only wraps, and no data key was generated before it.
    NoDataKey,
    /// On decrypt: no encrypted data key was this keyring's, or none of its own unwrapped.
    UnableToDecrypt,
    /// An encrypted data key would exceed the fixed field caps.
    EdkTooLong,
    /// The random generator failed.
    Rng,
    /// Wrapping the data key failed (the cipher refused the input).
    WrapFailed,
    /// The KMS façade behind the keyring refused or failed; its [`ErrorKind`] says how (the
    /// AWS error a client of the façade would get). On decrypt a keyring reports only kinds
    /// that say nothing about the ciphertext ([`ErrorKind::concerns_the_input`] false).
    Backend(ErrorKind),
}

impl fmt::Display for KeyringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Materials(e) => fmt::Display::fmt(e, f),
            Self::NoDataKey => f.write_str("no data key to wrap: the first keyring must generate one"),
            Self::UnableToDecrypt => f.write_str("no encrypted data key could be decrypted by this keyring"),
            Self::EdkTooLong => fmt::Display::fmt(&EdkTooLong, f),
            Self::Rng => f.write_str("the random generator failed"),
            Self::WrapFailed => f.write_str("wrapping the data key failed"),
            Self::Backend(kind) => write!(f, "the key backend failed: {kind}"),
        }
    }
}

impl core::error::Error for KeyringError {}

impl From<MaterialsError> for KeyringError {
    fn from(e: MaterialsError) -> Self {
        Self::Materials(e)
    }
}

impl From<EdkTooLong> for KeyringError {
    fn from(_: EdkTooLong) -> Self {
        Self::EdkTooLong
    }
}

/// A keyring: generates, wraps and unwraps data keys.
///
/// Methods take `&mut self` so a keyring may own a backend that needs it (a KMS façade, an HSM
/// session). `&mut K` is a keyring too, so a keyring can be lent to a multi-keyring.
pub trait Keyring {
    /// On encrypt: if `materials` has no data key, generate one (if this keyring can) and add
    /// its encrypted form; otherwise wrap the existing data key and add an EDK.
    ///
    /// # Errors
    /// [`KeyringError::NoDataKey`] for a wrap-only keyring with no data key yet; the materials'
    /// refusals (too many EDKs); generator and backend failures.
    fn on_encrypt<R: TryCryptoRng + ?Sized>(
        &mut self,
        materials: &mut EncryptionMaterials<'_>,
        rng: &mut R,
    ) -> Result<(), KeyringError>;

    /// On decrypt: if `materials` has no data key, try the EDKs that are this keyring's, in
    /// order, and set the first that unwraps. Must not change materials that already hold one.
    ///
    /// # Errors
    /// [`KeyringError::UnableToDecrypt`] if none unwrapped (or a key was already set:
    /// [`KeyringError::Materials`]).
    fn on_decrypt(&mut self, materials: &mut DecryptionMaterials<'_>, edks: &[EdkRef<'_>]) -> Result<(), KeyringError>;
}

impl<K: Keyring + ?Sized> Keyring for &mut K {
    fn on_encrypt<R: TryCryptoRng + ?Sized>(
        &mut self,
        materials: &mut EncryptionMaterials<'_>,
        rng: &mut R,
    ) -> Result<(), KeyringError> {
        (**self).on_encrypt(materials, rng)
    }

    fn on_decrypt(&mut self, materials: &mut DecryptionMaterials<'_>, edks: &[EdkRef<'_>]) -> Result<(), KeyringError> {
        (**self).on_decrypt(materials, edks)
    }
}
