//! A frame's IV must be its sequence number, padded to 12 bytes (spec `client-apis/decrypt.md`):
//! a frame sealed under another IV is refused even though its tag is valid.
#![cfg(feature = "std")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use coffer_core::EncryptionContext;
use coffer_core::message::{
    AlgorithmSuite, DataKey, DecryptError, DecryptionMaterials, EdkRef, EncryptedDataKey, EncryptionMaterials, Header,
    Keyring, KeyringError, Limits,
};
use common::*;
use hkdf::Hkdf;
use rand_core::TryCryptoRng;
use sha2::Sha512;

const DATA_KEY: [u8; 32] = [0x5a; 32];
const FRAME: usize = 64;
const FRAME_U32: u32 = 64;

/// A keyring with one fixed data key, so the test can derive the content key.
struct Fixed;

impl Keyring for Fixed {
    fn on_encrypt<R: TryCryptoRng + ?Sized>(
        &mut self,
        materials: &mut EncryptionMaterials<'_>,
        _rng: &mut R,
    ) -> Result<(), KeyringError> {
        materials.set_data_key(DataKey::from_slice(&DATA_KEY).unwrap())?;
        materials.add_encrypted_data_key(EncryptedDataKey::new(b"fixed", b"fixed", b"fixed").unwrap())?;
        Ok(())
    }

    fn on_decrypt(
        &mut self,
        materials: &mut DecryptionMaterials<'_>,
        _edks: &[EdkRef<'_>],
    ) -> Result<(), KeyringError> {
        materials.set_data_key(DataKey::from_slice(&DATA_KEY).unwrap())?;
        Ok(())
    }
}

fn content_cipher(message_id: &[u8]) -> Aes256Gcm {
    let hk = Hkdf::<Sha512>::new(Some(message_id), &DATA_KEY);
    let mut info = vec![0x04, 0x78];
    info.extend_from_slice(b"DERIVEKEY");
    let mut key = [0u8; 32];
    hk.expand(&info, &mut key).unwrap();
    Aes256Gcm::new_from_slice(&key).unwrap()
}

/// Opens regular frame `sequence` (at `at`) and seals it again under `iv`.
fn reseal(msg: &mut [u8], message_id: &[u8], at: usize, sequence: u32, iv: [u8; 12]) {
    let cipher = content_cipher(message_id);
    let mut aad = message_id.to_vec();
    aad.extend_from_slice(b"AWSKMSEncryptionClient Frame");
    aad.extend_from_slice(&sequence.to_be_bytes());
    aad.extend_from_slice(&(FRAME as u64).to_be_bytes());
    let old_iv: [u8; 12] = msg[at + 4..at + 16].try_into().unwrap();
    let tag: [u8; 16] = msg[at + 16 + FRAME..at + 32 + FRAME].try_into().unwrap();
    let body = &mut msg[at + 16..at + 16 + FRAME];
    cipher.decrypt_inout_detached((&old_iv).into(), &aad, body.into(), (&tag).into()).unwrap();
    let tag = cipher.encrypt_inout_detached((&iv).into(), &aad, body.into()).unwrap();
    msg[at + 4..at + 16].copy_from_slice(&iv);
    msg[at + 16 + FRAME..at + 32 + FRAME].copy_from_slice(&tag);
}

#[test]
fn a_frame_sealed_under_another_iv_is_refused() {
    let ctx = EncryptionContext::new(&[("purpose", "iv")]).unwrap();
    let pt = plaintext(3 * FRAME + 5);
    let config = config(AlgorithmSuite::AesGcm256HkdfSha512Commit, FRAME_U32);
    let msg = encrypt_with(&mut Fixed, &ctx, &config, 5, &pt, 1 << 20, 1 << 20);
    let (header, header_len) = Header::parse(&msg, &Limits::default()).unwrap();
    let message_id = header.message_id;
    assert_eq!(decrypt_with(Fixed, &ctx, Limits::default(), 4096, &msg, 1 << 20, 1 << 20).unwrap(), pt);

    // Resealing frame 2 under its own IV gives the same bytes (the helper is right)...
    let second = header_len + 4 + 12 + FRAME + 16;
    let mut same = msg.clone();
    reseal(&mut same, &message_id, second, 2, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    assert_eq!(same, msg);
    // ...and under another IV, a frame whose tag verifies but whose IV is not the sequence's.
    for iv in [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3], [9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], [0x77; 12]] {
        let mut bad = msg.clone();
        reseal(&mut bad, &message_id, second, 2, iv);
        assert_eq!(
            decrypt_with(Fixed, &ctx, Limits::default(), 4096, &bad, 1 << 20, 1 << 20),
            Err(DecryptError::Invalid),
            "a frame with IV {iv:02x?} was accepted"
        );
    }
}
