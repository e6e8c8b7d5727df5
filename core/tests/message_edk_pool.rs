//! Encryption materials keep their EDKs in one byte pool: several EDKs of different sizes come
//! back byte for byte from the header, the pool's limit is met at its edge with a typed error,
//! and a refused EDK leaves the materials as they were.
// The tests cover both suites: they need the signed one (default feature), and std.
#![cfg(all(feature = "ecdsa-p384", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;

use coffer_core::EncryptionContext;
use coffer_core::message::{
    AlgorithmSuite, DataKey, DecryptionMaterials, EdkRef, EncryptedDataKey, EncryptionMaterials, Encryptor, Header,
    Keyring, KeyringError, Limits, MAX_EDK_CIPHERTEXT_LEN, MAX_EDK_POOL_LEN, MAX_EDKS, MAX_PROVIDER_ID_LEN,
    MAX_PROVIDER_INFO_LEN, MaterialsError,
};
use common::*;
use rand_core::TryCryptoRng;

const UNSIGNED: AlgorithmSuite = AlgorithmSuite::AesGcm256HkdfSha512Commit;

/// The EDK a [`Fixed`] keyring adds as number `i`: fields of lengths that differ per EDK.
fn fixed_edk(i: usize) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let b = u8::try_from(i).unwrap();
    (vec![b'p' ^ b; 1 + i * 7 % 40], vec![b'i' ^ b; i * 13 % 90], vec![b'c' ^ b; 1 + i * 31 % 200])
}

/// A wrap-only keyring that adds `n` made-up EDKs after the raw AES keyring's: half through
/// `add_encrypted_data_key_parts` (info in two parts), half as an [`EncryptedDataKey`].
struct Fixed(usize);

impl Keyring for Fixed {
    fn on_encrypt<R: TryCryptoRng + ?Sized>(
        &mut self,
        materials: &mut EncryptionMaterials<'_>,
        rng: &mut R,
    ) -> Result<(), KeyringError> {
        keyring_a().on_encrypt(materials, rng)?;
        for i in 0..self.0 {
            let (id, info, ct) = fixed_edk(i);
            if i % 2 == 0 {
                let (a, b) = info.split_at(info.len() / 2);
                materials.add_encrypted_data_key_parts(&id, &[a, b], &ct)?;
            } else {
                materials.add_encrypted_data_key(EncryptedDataKey::new(&id, &info, &ct)?)?;
            }
        }
        Ok(())
    }

    fn on_decrypt(&mut self, materials: &mut DecryptionMaterials<'_>, edks: &[EdkRef<'_>]) -> Result<(), KeyringError> {
        keyring_a().on_decrypt(materials, edks)
    }
}

fn fields(e: EdkRef<'_>) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    (e.provider_id.to_vec(), e.provider_info.to_vec(), e.ciphertext.to_vec())
}

#[test]
fn several_edks_round_trip_through_the_header() {
    let ctx = EncryptionContext::new(&[("purpose", "edk pool")]).unwrap();
    for suite in suites() {
        let mut keyring = Fixed(9);
        let mut materials = EncryptionMaterials::new(suite, ctx.clone(), Limits::default(), &mut TestRng(3)).unwrap();
        keyring.on_encrypt(&mut materials, &mut TestRng(4)).unwrap();
        let edks = materials.encrypted_data_keys();
        assert_eq!(edks.len(), 10);
        assert_eq!(edks.iter().count(), 10);
        for i in 0..9 {
            assert_eq!(fields(edks.get(i + 1).unwrap()), fixed_edk(i), "EDK {i} in the materials");
        }
        assert_eq!(edks.get(10), None);
        assert_eq!(fields(edks.last().unwrap()), fixed_edk(8));
        let in_materials: Vec<_> = edks.iter().map(fields).collect();

        let msg = encrypt_with(&mut Fixed(9), &ctx, &config(suite, 64), 7, b"several keys", 1 << 20, 1 << 20);
        let (header, _) = Header::parse(&msg, &Limits::default()).unwrap();
        let in_header: Vec<_> = header.edks.iter().copied().map(fields).collect();
        assert_eq!(in_header.len(), 10);
        // The raw AES EDK differs per message (its IV); the made-up ones are the same bytes.
        assert_eq!(in_header[1..], in_materials[1..]);
        assert_eq!(in_header[0].0, in_materials[0].0);
        assert_eq!(
            decrypt_with(Fixed(0), &ctx, Limits::default(), 8192, &msg, 1 << 20, 1 << 20).unwrap(),
            b"several keys"
        );
    }
}

/// With `std` the pool is room for the build's most EDKs at their longest fields: the count and
/// field caps bind first, as they did before the pool.
#[test]
fn hosts_keep_sixteen_edks_at_their_longest() {
    assert_eq!(MAX_EDK_POOL_LEN, MAX_EDKS * (MAX_PROVIDER_ID_LEN + MAX_PROVIDER_INFO_LEN + MAX_EDK_CIPHERTEXT_LEN));
    let limits = Limits { max_encrypted_data_keys: MAX_EDKS };
    let mut m = EncryptionMaterials::new(UNSIGNED, EncryptionContext::empty(), limits, &mut TestRng(1)).unwrap();
    m.set_data_key(DataKey::from_slice(&[5; 32]).unwrap()).unwrap();
    for i in 0..MAX_EDKS {
        let b = u8::try_from(i).unwrap();
        m.add_encrypted_data_key_parts(
            &[b; MAX_PROVIDER_ID_LEN],
            &[&[b; MAX_PROVIDER_INFO_LEN]],
            &[b; MAX_EDK_CIPHERTEXT_LEN],
        )
        .unwrap();
    }
    assert_eq!(m.encrypted_data_keys().bytes_used(), MAX_EDK_POOL_LEN);
    assert_eq!(m.add_encrypted_data_key_parts(b"", &[], b"x"), Err(MaterialsError::TooManyEncryptedDataKeys));
    let mut ws = vec![0u8; Encryptor::workspace_len_for(&m, 64)];
    let mut enc = Encryptor::with_materials(m, 64, &mut TestRng(2), &mut ws).unwrap();
    let mut msg = vec![0u8; 1 << 16];
    let (n, done) = enc.finish(&mut msg).unwrap();
    assert!(done);
    let (header, _) = Header::parse(&msg[..n], &limits).unwrap();
    assert_eq!(header.edks.len(), MAX_EDKS);
    for (i, edk) in header.edks.iter().enumerate() {
        let b = u8::try_from(i).unwrap();
        assert_eq!(edk.provider_id, &[b; MAX_PROVIDER_ID_LEN][..]);
        assert_eq!(edk.provider_info, &[b; MAX_PROVIDER_INFO_LEN][..]);
        assert_eq!(edk.ciphertext, &[b; MAX_EDK_CIPHERTEXT_LEN][..]);
    }
}

#[test]
fn a_refused_edk_leaves_the_materials_as_they_were() {
    let mut m =
        EncryptionMaterials::new(UNSIGNED, EncryptionContext::empty(), Limits::default(), &mut TestRng(1)).unwrap();
    m.add_encrypted_data_key_parts(b"ns", &[b"a", b"b"], b"ct").unwrap();
    let half = [0u8; MAX_PROVIDER_INFO_LEN / 2 + 1];
    assert_eq!(m.add_encrypted_data_key_parts(b"ns", &[&half, &half], b""), Err(MaterialsError::EdkFieldTooLong));
    assert_eq!(
        m.add_encrypted_data_key_parts(&[0; MAX_PROVIDER_ID_LEN + 1], &[], b""),
        Err(MaterialsError::EdkFieldTooLong)
    );
    assert_eq!(
        m.add_encrypted_data_key_parts(b"", &[], &[0; MAX_EDK_CIPHERTEXT_LEN + 1]),
        Err(MaterialsError::EdkFieldTooLong)
    );
    assert_eq!(m.encrypted_data_keys().len(), 1);
    assert_eq!(m.encrypted_data_keys().bytes_used(), 6);
    assert_eq!(fields(m.encrypted_data_keys().get(0).unwrap()), (b"ns".to_vec(), b"ab".to_vec(), b"ct".to_vec()));
    // At the count limit: refused before anything is copied.
    let one = Limits { max_encrypted_data_keys: 1 };
    let mut m = EncryptionMaterials::new(UNSIGNED, EncryptionContext::empty(), one, &mut TestRng(1)).unwrap();
    keyring_a().on_encrypt(&mut m, &mut TestRng(2)).unwrap();
    let before = m.encrypted_data_keys().clone();
    assert_eq!(
        keyring_b().on_encrypt(&mut m, &mut TestRng(3)),
        Err(KeyringError::Materials(MaterialsError::TooManyEncryptedDataKeys))
    );
    assert_eq!(m.encrypted_data_keys(), &before);
}

/// A generator whose EDK the materials refuse leaves them without a data key, so that no key
/// without an EDK is ever used.
#[test]
fn a_generator_whose_edk_is_refused_sets_no_data_key() {
    let none = Limits { max_encrypted_data_keys: 0 };
    let mut m = EncryptionMaterials::new(UNSIGNED, EncryptionContext::empty(), none, &mut TestRng(1)).unwrap();
    assert_eq!(
        keyring_a().on_encrypt(&mut m, &mut TestRng(2)),
        Err(KeyringError::Materials(MaterialsError::TooManyEncryptedDataKeys))
    );
    assert!(m.data_key().is_none());
    assert!(m.encrypted_data_keys().is_empty());
}
