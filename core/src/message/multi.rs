//! The multi-keyring (spec `framework/multi-keyring.md`): a generator and children. On encrypt
//! the generator makes the data key and every child wraps it too, so the message carries one
//! EDK per keyring; on decrypt any one of them suffices (say, either of two HSMs).

use rand_core::TryCryptoRng;

use super::edk::EdkRef;
use super::keyring::{Keyring, KeyringError};
use super::materials::{DecryptionMaterials, EncryptionMaterials, MaterialsError};

/// A fixed collection of keyrings, without heap: arrays (`[K; N]`, one keyring type) and tuples
/// of up to four (different types).
pub trait KeyringList {
    /// Calls `on_encrypt` on each, in order; stops at the first failure.
    ///
    /// # Errors
    /// The first keyring error.
    fn encrypt_all<R: TryCryptoRng + ?Sized>(
        &mut self,
        materials: &mut EncryptionMaterials<'_>,
        rng: &mut R,
    ) -> Result<(), KeyringError>;

    /// Calls `on_decrypt` on each, in order, until one sets the data key.
    ///
    /// # Errors
    /// [`KeyringError::UnableToDecrypt`] if none did.
    fn decrypt_any(&mut self, materials: &mut DecryptionMaterials<'_>, edks: &[EdkRef<'_>])
    -> Result<(), KeyringError>;
}

impl<K: Keyring, const N: usize> KeyringList for [K; N] {
    fn encrypt_all<R: TryCryptoRng + ?Sized>(
        &mut self,
        materials: &mut EncryptionMaterials<'_>,
        rng: &mut R,
    ) -> Result<(), KeyringError> {
        self.iter_mut().try_for_each(|k| k.on_encrypt(materials, rng))
    }

    fn decrypt_any(
        &mut self,
        materials: &mut DecryptionMaterials<'_>,
        edks: &[EdkRef<'_>],
    ) -> Result<(), KeyringError> {
        for k in self.iter_mut() {
            if k.on_decrypt(materials, edks).is_ok() && materials.data_key().is_some() {
                return Ok(());
            }
        }
        Err(KeyringError::UnableToDecrypt)
    }
}

macro_rules! tuple_list {
    ($($name:ident $idx:tt),+) => {
        impl<$($name: Keyring),+> KeyringList for ($($name,)+) {
            fn encrypt_all<R: TryCryptoRng + ?Sized>(
                &mut self,
                materials: &mut EncryptionMaterials<'_>,
                rng: &mut R,
            ) -> Result<(), KeyringError> {
                $(self.$idx.on_encrypt(materials, rng)?;)+
                Ok(())
            }

            fn decrypt_any(
                &mut self,
                materials: &mut DecryptionMaterials<'_>,
                edks: &[EdkRef<'_>],
            ) -> Result<(), KeyringError> {
                $(
                    if self.$idx.on_decrypt(materials, edks).is_ok() && materials.data_key().is_some() {
                        return Ok(());
                    }
                )+
                Err(KeyringError::UnableToDecrypt)
            }
        }
    };
}

tuple_list!(A 0);
tuple_list!(A 0, B 1);
tuple_list!(A 0, B 1, C 2);
tuple_list!(A 0, B 1, C 2, D 3);

/// A generator keyring and children.
///
/// With a generator, encrypt asks it first to make the data key (materials that already hold
/// one are refused, as the spec requires) and then every child to wrap the same key; without
/// one, the materials must already hold a data key. Decrypt tries the generator, then the children in order, and the first that
/// unwraps an EDK wins.
#[derive(Debug)]
pub struct MultiKeyring<G, C> {
    generator: Option<G>,
    children: C,
}

impl<G: Keyring, C: KeyringList> MultiKeyring<G, C> {
    /// A multi-keyring whose `generator` makes the data key and whose `children` also wrap it.
    pub fn new(generator: G, children: C) -> Self {
        Self { generator: Some(generator), children }
    }

    /// A multi-keyring without a generator: on encrypt, the data key must already be set.
    pub fn without_generator(children: C) -> Self {
        Self { generator: None, children }
    }
}

impl<G: Keyring, C: KeyringList> Keyring for MultiKeyring<G, C> {
    fn on_encrypt<R: TryCryptoRng + ?Sized>(
        &mut self,
        materials: &mut EncryptionMaterials<'_>,
        rng: &mut R,
    ) -> Result<(), KeyringError> {
        match &mut self.generator {
            Some(_) if materials.data_key().is_some() => {
                // The spec: a generator must generate, not wrap a key made elsewhere.
                return Err(KeyringError::Materials(MaterialsError::DataKeyAlreadySet));
            }
            Some(generator) => {
                generator.on_encrypt(materials, rng)?;
                if materials.data_key().is_none() {
                    return Err(KeyringError::NoDataKey);
                }
            }
            None if materials.data_key().is_none() => return Err(KeyringError::NoDataKey),
            None => {}
        }
        self.children.encrypt_all(materials, rng)
    }

    fn on_decrypt(&mut self, materials: &mut DecryptionMaterials<'_>, edks: &[EdkRef<'_>]) -> Result<(), KeyringError> {
        if materials.data_key().is_some() {
            return Err(KeyringError::Materials(MaterialsError::DataKeyAlreadySet));
        }
        if let Some(generator) = &mut self.generator
            && generator.on_decrypt(materials, edks).is_ok()
            && materials.data_key().is_some()
        {
            return Ok(());
        }
        self.children.decrypt_any(materials, edks)
    }
}
