//! The message format's KMS keyring over a Coffer `Kms` with the software HSM: EDKs are
//! `aws-kms` / key ARN / Coffer blob, bound to the message's encryption context; two KMS keys
//! in a multi-keyring each decrypt alone; a raw AES keyring and a KMS keyring mix.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use coffer_core::audit::NoAudit;
use coffer_core::clock::ManualClock;
use coffer_core::data::BlobHeader;
use coffer_core::message::{
    AlgorithmSuite, DecryptError, Decryptor, EncryptConfig, Encryptor, Header, KMS_PROVIDER_ID, Keyring, KmsKeyring,
    Limits, MultiKeyring, RawAesKeyring,
};
use coffer_core::store::MemoryStore;
use coffer_core::{EncryptionContext, Kms, KmsConfig};
use coffer_hsm_soft::SoftHsm;
use getrandom::SysRng;
use rand_core::UnwrapErr;

type SoftKms<'s> = Kms<SoftHsm<UnwrapErr<SysRng>>, &'s mut MemoryStore<16>, ManualClock, NoAudit>;

fn kms(store: &mut MemoryStore<16>) -> SoftKms<'_> {
    let mut hsm: SoftHsm<_> = SoftHsm::new(UnwrapErr(SysRng));
    coffer_core::hsm::Hsm::create_root_keys(&mut hsm).unwrap();
    Kms::new(hsm, store, ManualClock::new(1_700_000_000), NoAudit, KmsConfig::default()).unwrap()
}

fn encrypt<K: Keyring>(keyring: &mut K, ctx: &EncryptionContext<'_>, suite: AlgorithmSuite, pt: &[u8]) -> Vec<u8> {
    let mut ws = vec![0u8; 8192];
    let config = EncryptConfig { suite, frame_length: 256, limits: Limits::default() };
    let mut enc = Encryptor::new(keyring, ctx.clone(), &config, &mut UnwrapErr(SysRng), &mut ws).unwrap();
    let mut out = vec![0u8; pt.len() + 4096];
    let (c, mut n) = enc.update(pt, &mut out).unwrap();
    assert_eq!(c, pt.len());
    let (w, done) = enc.finish(&mut out[n..]).unwrap();
    assert!(done);
    n += w;
    out.truncate(n);
    out
}

fn decrypt<K: Keyring>(keyring: K, ctx: &EncryptionContext<'_>, msg: &[u8]) -> Result<Vec<u8>, DecryptError> {
    let mut ws = vec![0u8; 8192];
    let mut dec = Decryptor::new(keyring, ctx.clone(), Limits::default(), &mut ws);
    let mut out = vec![0u8; msg.len()];
    let (c, n) = dec.update(msg, &mut out)?;
    assert_eq!(c, msg.len());
    dec.finish()?;
    out.truncate(n);
    Ok(out)
}

#[test]
fn kms_keyring_round_trip_and_edk_shape() {
    let mut store = MemoryStore::<16>::new();
    let mut kms = kms(&mut store);
    let key = kms.create_key("message keyring").unwrap();
    let id = key.key_id.to_string();
    let ctx = EncryptionContext::new(&[("purpose", "kms keyring")]).unwrap();
    let pt = vec![0x5a; 1000];
    for suite in [AlgorithmSuite::AesGcm256HkdfSha512Commit, AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384] {
        let msg = encrypt(&mut KmsKeyring::new(&mut kms, &id), &ctx, suite, &pt);
        let (header, _) = Header::parse(&msg, &Limits::default()).unwrap();
        assert_eq!(header.edks.len(), 1);
        let edk = header.edks[0];
        assert_eq!(edk.provider_id, KMS_PROVIDER_ID.as_bytes());
        assert_eq!(edk.provider_info, key.arn(&kms.config().arn).as_str().as_bytes());
        assert_eq!(BlobHeader::parse(edk.ciphertext).unwrap().key_id, key.key_id);
        // The blob is bound to the message's context: KMS Decrypt with another context refuses it.
        assert!(kms.decrypt(edk.ciphertext, &EncryptionContext::empty(), None).is_err());
        assert_eq!(kms.decrypt(edk.ciphertext, &header.context, None).unwrap().plaintext.len(), 32);
        assert_eq!(decrypt(KmsKeyring::new(&mut kms, &id), &ctx, &msg).unwrap(), pt);
        // Another key of the same KMS cannot decrypt it.
        let other = kms.create_key("other").unwrap().key_id.to_string();
        assert_eq!(decrypt(KmsKeyring::new(&mut kms, &other), &ctx, &msg), Err(DecryptError::Invalid));
    }
}

#[test]
fn two_kms_and_a_raw_key_each_decrypt_alone() {
    let mut store_a = MemoryStore::<16>::new();
    let mut store_b = MemoryStore::<16>::new();
    let mut hsm_a = kms(&mut store_a);
    let mut hsm_b = kms(&mut store_b);
    let key_a = hsm_a.create_key("hsm a").unwrap().key_id.to_string();
    let key_b = hsm_b.create_key("hsm b").unwrap().key_id.to_string();
    let ctx = EncryptionContext::new(&[("replicas", "2")]).unwrap();
    let pt = vec![7u8; 3000];
    let raw = || RawAesKeyring::new("coffer-backup", "offline", &[9u8; 32]).unwrap();
    let msg = {
        let mut multi =
            MultiKeyring::new(KmsKeyring::new(&mut hsm_a, &key_a), (KmsKeyring::new(&mut hsm_b, &key_b), raw()));
        encrypt(&mut multi, &ctx, AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384, &pt)
    };
    assert_eq!(Header::parse(&msg, &Limits::default()).unwrap().0.edks.len(), 3);
    assert_eq!(decrypt(KmsKeyring::new(&mut hsm_a, &key_a), &ctx, &msg).unwrap(), pt);
    assert_eq!(decrypt(KmsKeyring::new(&mut hsm_b, &key_b), &ctx, &msg).unwrap(), pt);
    assert_eq!(decrypt(raw(), &ctx, &msg).unwrap(), pt);
    // HSM B's KMS cannot use HSM A's key id.
    assert_eq!(decrypt(KmsKeyring::new(&mut hsm_b, &key_a), &ctx, &msg), Err(DecryptError::Invalid));
}

type AuditedKms<'s, 'a> =
    Kms<SoftHsm<UnwrapErr<SysRng>>, &'s mut MemoryStore<16>, ManualClock, &'a mut coffer_core::audit::RingAudit<64>>;

/// Encrypts to two keys of one KMS: a KMS keyring for each, in turn, over the same façade.
struct TwoKeys<'k, 's, 'a> {
    kms: &'k mut AuditedKms<'s, 'a>,
    keys: [&'k str; 2],
}

impl Keyring for TwoKeys<'_, '_, '_> {
    fn on_encrypt<R: rand_core::TryCryptoRng + ?Sized>(
        &mut self,
        materials: &mut coffer_core::message::EncryptionMaterials<'_>,
        rng: &mut R,
    ) -> Result<(), coffer_core::message::KeyringError> {
        for key in self.keys {
            KmsKeyring::new(&mut *self.kms, key).on_encrypt(materials, rng)?;
        }
        Ok(())
    }

    fn on_decrypt(
        &mut self,
        _materials: &mut coffer_core::message::DecryptionMaterials<'_>,
        _edks: &[coffer_core::message::EdkRef<'_>],
    ) -> Result<(), coffer_core::message::KeyringError> {
        Err(coffer_core::message::KeyringError::UnableToDecrypt)
    }
}

/// Counts the KMS Decrypt operations in an audit log.
fn decrypt_events(kms: &AuditedKms<'_, '_>) -> usize {
    kms.audit().events().filter(|e| e.operation == coffer_core::audit::Operation::Decrypt).count()
}

#[test]
fn kms_keyring_decrypts_only_its_own_edks() {
    let mut store = MemoryStore::<16>::new();
    let mut hsm: SoftHsm<_> = SoftHsm::new(UnwrapErr(SysRng));
    coffer_core::hsm::Hsm::create_root_keys(&mut hsm).unwrap();
    let mut audit = coffer_core::audit::RingAudit::<64>::new();
    let mut kms: AuditedKms<'_, '_> =
        Kms::new(hsm, &mut store, ManualClock::new(1_700_000_000), &mut audit, KmsConfig::default()).unwrap();
    let first = kms.create_key("first").unwrap();
    let second = kms.create_key("second").unwrap();
    let (first_id, second_id) = (first.key_id.to_string(), second.key_id.to_string());
    kms.create_alias("alias/second", &second_id).unwrap();
    let ctx = EncryptionContext::new(&[("purpose", "two keys")]).unwrap();
    let pt = vec![3u8; 700];
    let both = encrypt(
        &mut TwoKeys { kms: &mut kms, keys: [&first_id, &second_id] },
        &ctx,
        AlgorithmSuite::AesGcm256HkdfSha512Commit,
        &pt,
    );
    let (header, _) = Header::parse(&both, &Limits::default()).unwrap();
    assert_eq!(header.edks.len(), 2);
    let prefix = kms.config().arn.clone();
    let second_arn = second.arn(&prefix);
    assert_eq!(header.edks[0].provider_info, first.arn(&prefix).as_str().as_bytes());
    assert_eq!(header.edks[1].provider_info, second_arn.as_str().as_bytes());
    // The second key, named by id, ARN or alias: one KMS Decrypt, for its own EDK only (the first
    // key's EDK, which comes first, is not sent to KMS).
    for name in [second_id.as_str(), second_arn.as_str(), "alias/second"] {
        let before = decrypt_events(&kms);
        assert_eq!(decrypt(KmsKeyring::new(&mut kms, name), &ctx, &both).unwrap(), pt);
        assert_eq!(decrypt_events(&kms) - before, 1, "KMS Decrypt was asked for another key's EDK ({name})");
    }
    let before = decrypt_events(&kms);
    assert_eq!(decrypt(KmsKeyring::new(&mut kms, &first_id), &ctx, &both).unwrap(), pt);
    assert_eq!(decrypt_events(&kms) - before, 1);
    // A key with no EDK in the message makes no KMS Decrypt at all.
    let third = kms.create_key("third").unwrap().key_id.to_string();
    let before = decrypt_events(&kms);
    assert_eq!(decrypt(KmsKeyring::new(&mut kms, &third), &ctx, &both), Err(DecryptError::Invalid));
    assert_eq!(decrypt_events(&kms), before);
}

/// The KMS keyring keeps the façade's answer: on encrypt whatever GenerateDataKey or Encrypt
/// said (NotFound, Disabled), as `KeyringError::Backend(kind)` inside the `EncryptError`; on
/// decrypt the key's state (Disabled, InvalidState) as `DecryptError::Key(kind)`, as KMS
/// Decrypt reports it, while an EDK whose bytes were edited stays the opaque `Invalid`.
#[test]
fn kms_keyring_keeps_the_facades_error_kind() {
    use coffer_core::error::ErrorKind as Kind;
    use coffer_core::message::{EncryptError, KeyringError};
    let mut store = MemoryStore::<16>::new();
    let mut kms = kms(&mut store);
    let key = kms.create_key("kinds").unwrap().key_id.to_string();
    let ctx = EncryptionContext::new(&[("purpose", "kinds")]).unwrap();
    let msg = encrypt(&mut KmsKeyring::new(&mut kms, &key), &ctx, AlgorithmSuite::AesGcm256HkdfSha512Commit, b"k");

    let start = |kms: &mut SoftKms<'_>, key: &str| {
        let mut ws = vec![0u8; 8192];
        let config = EncryptConfig {
            suite: AlgorithmSuite::AesGcm256HkdfSha512Commit,
            frame_length: 256,
            limits: Limits::default(),
        };
        Encryptor::new(&mut KmsKeyring::new(kms, key), ctx.clone(), &config, &mut UnwrapErr(SysRng), &mut ws)
            .map(|_| ())
    };
    assert_eq!(
        start(&mut kms, "00000000-0000-4000-8000-000000000000"),
        Err(EncryptError::Keyring(KeyringError::Backend(Kind::NotFound)))
    );
    kms.disable_key(&key).unwrap();
    assert_eq!(start(&mut kms, &key), Err(EncryptError::Keyring(KeyringError::Backend(Kind::Disabled))));
    assert_eq!(decrypt(KmsKeyring::new(&mut kms, &key), &ctx, &msg), Err(DecryptError::Key(Kind::Disabled)));
    kms.enable_key(&key).unwrap();
    kms.schedule_key_deletion(&key, None).unwrap();
    assert_eq!(decrypt(KmsKeyring::new(&mut kms, &key), &ctx, &msg), Err(DecryptError::Key(Kind::InvalidState)));
    kms.cancel_key_deletion(&key).unwrap();
    kms.enable_key(&key).unwrap();
    assert_eq!(decrypt(KmsKeyring::new(&mut kms, &key), &ctx, &msg).unwrap(), b"k");

    // One byte of the EDK's blob edited (its last byte, in the GCM tag): the opaque error.
    let (header, _) = Header::parse(&msg, &Limits::default()).unwrap();
    let blob = header.edks[0].ciphertext;
    let at = msg.windows(blob.len()).position(|w| w == blob).unwrap() + blob.len() - 1;
    let mut edited = msg.clone();
    edited[at] ^= 1;
    assert_eq!(decrypt(KmsKeyring::new(&mut kms, &key), &ctx, &edited), Err(DecryptError::Invalid));
}
