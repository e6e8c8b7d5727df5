//! The root keys sealed under a device key-encryption key (KEK), for storage at rest.
//!
//! Layout, [`SEALED_ROOT_KEYS_LEN`] = 96 bytes:
//!
//! ```text
//! "CSR1" (4) | nonce (12, random) | AES-256-GCM(KEK, wrapping || sealing) (64) | tag (16)
//! ```
//!
//! The AAD is the magic `"CSR1"`, so a blob of another format or version never opens, even
//! under the right KEK.

use crate::{SoftError, gcm, root_keys::RootKeys};
use coffer_core::crypto::CryptoProvider;
use coffer_core::hsm::{KEY_LEN, NONCE_LEN, TAG_LEN};
use core::fmt;
use zeroize::Zeroizing;

/// Format tag and version of a sealed root-key blob; also its AAD.
const MAGIC: [u8; 4] = *b"CSR1";
const BODY_LEN: usize = 2 * KEY_LEN;
const NONCE_AT: usize = MAGIC.len();
const BODY_AT: usize = NONCE_AT + NONCE_LEN;
const TAG_AT: usize = BODY_AT + BODY_LEN;

/// Length in bytes of [`SealedRootKeys`].
pub const SEALED_ROOT_KEYS_LEN: usize = TAG_AT + TAG_LEN;

/// The root keys encrypted and authenticated under a device KEK, from
/// [`SoftHsm::export_root_keys`](crate::SoftHsm::export_root_keys).
///
/// Safe to store in ordinary flash or on disk: without the KEK it reveals nothing and cannot be
/// altered undetected. It is as strong as the KEK and no stronger; see the crate documentation.
/// Printed as its length only.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedRootKeys([u8; SEALED_ROOT_KEYS_LEN]);

impl SealedRootKeys {
    /// The bytes to store; give them back to
    /// [`SoftHsm::import_root_keys`](crate::SoftHsm::import_root_keys).
    pub const fn as_bytes(&self) -> &[u8; SEALED_ROOT_KEYS_LEN] {
        &self.0
    }
}

impl AsRef<[u8]> for SealedRootKeys {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SealedRootKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealedRootKeys([{SEALED_ROOT_KEYS_LEN} bytes])")
    }
}

/// Seals `root` under `kek` with `nonce`, which must be fresh and random.
pub(crate) fn seal<P: CryptoProvider>(
    root: &RootKeys,
    kek: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
) -> Result<SealedRootKeys, SoftError> {
    // The plaintext lives only in this zeroizing buffer, and is encrypted where it lies.
    let mut body = Zeroizing::new([0u8; BODY_LEN]);
    root.write_concat(&mut body);
    let tag = gcm::seal_in_place::<P>(kek, nonce, &MAGIC, body.as_mut_slice())?;

    let mut out = [0u8; SEALED_ROOT_KEYS_LEN];
    let (magic, rest) = out.split_at_mut(NONCE_AT);
    let (nonce_out, rest) = rest.split_at_mut(NONCE_LEN);
    let (body_out, tag_out) = rest.split_at_mut(BODY_LEN);
    magic.copy_from_slice(&MAGIC);
    nonce_out.copy_from_slice(nonce);
    body_out.copy_from_slice(body.as_slice());
    tag_out.copy_from_slice(&tag);
    Ok(SealedRootKeys(out))
}

/// Opens `sealed` under `kek` into `root`.
///
/// Wrong length or magic: [`SoftError::InvalidInput`]; anything else that does not authenticate
/// (wrong KEK, any altered byte): [`SoftError::AuthenticationFailed`]. `root` is untouched on error.
pub(crate) fn open<P: CryptoProvider>(
    sealed: &[u8],
    kek: &[u8; KEY_LEN],
    root: &mut RootKeys,
) -> Result<(), SoftError> {
    let sealed: &[u8; SEALED_ROOT_KEYS_LEN] =
        sealed.try_into().map_err(|_| SoftError::InvalidInput("sealed root keys have the wrong length"))?;
    let (magic, rest) = sealed.split_at(NONCE_AT);
    let (nonce, rest) = rest.split_at(NONCE_LEN);
    let (body, tag) = rest.split_at(BODY_LEN);
    if magic != MAGIC {
        return Err(SoftError::InvalidInput("not a sealed root-key blob (magic)"));
    }
    let nonce: &[u8; NONCE_LEN] = nonce.try_into().map_err(|_| SoftError::InvalidInput("nonce"))?;
    let tag: &[u8; TAG_LEN] = tag.try_into().map_err(|_| SoftError::InvalidInput("tag"))?;

    let mut plain = Zeroizing::new([0u8; BODY_LEN]);
    plain.copy_from_slice(body);
    gcm::open_in_place::<P>(kek, nonce, &MAGIC, plain.as_mut_slice(), tag)?;
    root.copy_from_concat(&plain);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RootKeyMaterial;
    use coffer_core::crypto::RustCrypto;

    #[test]
    fn layout_is_magic_nonce_body_tag() {
        let mut root = RootKeys::zeroed();
        root.copy_from(&RootKeyMaterial::new([1; 32], [2; 32]));
        let nonce = [9u8; NONCE_LEN];
        let sealed = seal::<RustCrypto>(&root, &[3; 32], &nonce).unwrap();
        let bytes = sealed.as_bytes();
        assert_eq!(SEALED_ROOT_KEYS_LEN, 96);
        assert_eq!(bytes[..4], *b"CSR1");
        assert_eq!(bytes[4..16], nonce);
        assert!(!bytes[16..80].windows(4).any(|w| w == [1; 4] || w == [2; 4]));

        let mut back = RootKeys::zeroed();
        open::<RustCrypto>(bytes, &[3; 32], &mut back).unwrap();
        assert_eq!(back.wrapping(), &[1; 32]);
        assert_eq!(back.sealing(), &[2; 32]);
    }

    #[test]
    fn the_magic_is_bound_as_aad() {
        let mut root = RootKeys::zeroed();
        root.copy_from(&RootKeyMaterial::new([1; 32], [2; 32]));
        let kek = [3; 32];
        let nonce = [0; NONCE_LEN];
        let mut back = RootKeys::zeroed();

        // Another version's blob re-labelled "CSR2": refused as malformed.
        let mut bytes = *seal::<RustCrypto>(&root, &kek, &nonce).unwrap().as_bytes();
        bytes[3] = b'2';
        assert!(matches!(open::<RustCrypto>(&bytes, &kek, &mut back), Err(SoftError::InvalidInput(_))));

        // A body sealed under AAD "CSR2" but labelled "CSR1": the tag does not verify.
        let mut body = [0u8; BODY_LEN];
        root.write_concat(&mut body);
        let tag = gcm::seal_in_place::<RustCrypto>(&kek, &nonce, b"CSR2", &mut body).unwrap();
        let mut forged = [0u8; SEALED_ROOT_KEYS_LEN];
        forged[..4].copy_from_slice(b"CSR1");
        forged[BODY_AT..TAG_AT].copy_from_slice(&body);
        forged[TAG_AT..].copy_from_slice(&tag);
        assert_eq!(open::<RustCrypto>(&forged, &kek, &mut back), Err(SoftError::AuthenticationFailed));
        assert_eq!(back.wrapping(), &[0; 32]);
    }
}
