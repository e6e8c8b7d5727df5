//! No Debug or Display output, and no error text, of any public type that holds or handles a
//! secret shows it: known root keys, data keys and plaintexts are fed through the façade and the
//! message layer, every value and error met on the way is formatted (`{}`, `{:?}`, `{:#?}`), and
//! the output is searched for the secrets in every form `Debug` could print them (decimal and hex
//! byte runs, the text itself).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use coffer_core::audit::RingAudit;
use coffer_core::clock::ManualClock;
use coffer_core::message::{
    AlgorithmSuite, CacheError, CacheLimits, CachingCmm, DataKey, DecryptionMaterials, Decryptor, EncryptConfig,
    EncryptionMaterials, Encryptor, Header, Keyring, KmsKeyring, Limits, LocalCache, RawAesKeyring,
};
use coffer_core::store::MemoryStore;
use coffer_core::{DataKeySpec, EncryptionContext, Kms, KmsConfig, SecretBytes};
use coffer_hsm_soft::{RootKeyMaterial, SoftHsm};
use getrandom::SysRng;
use rand_core::UnwrapErr;

/// Root keys, a raw wrapping key and a plaintext that are easy to spot in any output.
const WRAPPING: [u8; 32] = [0xa7; 32];
const SEALING: [u8; 32] = [0xb3; 32];
const RAW_KEY: [u8; 32] = [0xc9; 32];
const PLAINTEXT: &[u8] = b"PLAINTEXT-7f3e9a1c: the launch code is 0000";

/// Every way `Debug`/`Display` could show `secret`: runs of three bytes in decimal (`1, 2, 3`),
/// in hex as `{:x?}` prints them, as a hex string, and for text, any 8-character run of it.
fn forms(secret: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for w in secret.windows(3) {
        out.push(format!("{}, {}, {}", w[0], w[1], w[2]));
        out.push(format!("{:02x}{:02x}{:02x}", w[0], w[1], w[2]));
        out.push(format!("{:02X}{:02X}{:02X}", w[0], w[1], w[2]));
        out.push(format!("{:#04x}, {:#04x}", w[0], w[1]));
        out.push(format!("{:x}, {:x}, {:x}", w[0], w[1], w[2]));
        out.push(format!("{:X}, {:X}, {:X}", w[0], w[1], w[2]));
    }
    if let Ok(text) = core::str::from_utf8(secret) {
        let chars: Vec<char> = text.chars().collect();
        for w in chars.windows(8) {
            out.push(w.iter().collect());
        }
    }
    out
}

/// Collects formatted values and checks them against every secret at the end.
#[derive(Default)]
struct Outputs {
    texts: Vec<(String, String)>,
    secrets: Vec<(String, Vec<u8>)>,
}

impl Outputs {
    fn debug<T: core::fmt::Debug>(&mut self, what: &str, value: &T) {
        self.texts.push((what.into(), format!("{value:?} {value:#?}")));
    }

    fn both<T: core::fmt::Debug + core::fmt::Display>(&mut self, what: &str, value: &T) {
        self.texts.push((what.into(), format!("{value} {value:?} {value:#?}")));
    }

    fn secret(&mut self, what: &str, bytes: &[u8]) {
        self.secrets.push((what.into(), bytes.to_vec()));
    }

    fn check(self) {
        assert!(self.texts.len() >= 20, "the test formats every value it meets: {}", self.texts.len());
        for (name, secret) in &self.secrets {
            let forms = forms(secret);
            for (what, text) in &self.texts {
                for form in &forms {
                    assert!(!text.contains(form.as_str()), "{name} shows in {what} as {form:?}: {text}");
                }
            }
        }
    }
}

#[test]
fn no_public_type_prints_a_secret() {
    let mut out = Outputs::default();
    out.secret("root wrapping key", &WRAPPING);
    out.secret("root sealing key", &SEALING);
    out.secret("raw AES key", &RAW_KEY);
    out.secret("plaintext", PLAINTEXT);

    let material = RootKeyMaterial::new(WRAPPING, SEALING);
    out.debug("RootKeyMaterial", &material);
    let mut store = MemoryStore::<8>::new();
    let clock = ManualClock::new(1_700_000_000);
    let mut audit = RingAudit::<64>::new();
    let hsm: SoftHsm<_> = SoftHsm::with_root_keys(UnwrapErr(SysRng), material);
    let mut kms = Kms::new(hsm, &mut store, &clock, &mut audit, KmsConfig::default()).unwrap();
    let ctx = EncryptionContext::new(&[("purpose", "redaction")]).unwrap();
    let other = EncryptionContext::new(&[("purpose", "other")]).unwrap();

    let key = kms.create_key("redaction test").unwrap();
    out.debug("KeyMetadata", &key);
    let id = key.key_id.to_string();
    let encrypted = kms.encrypt(&id, PLAINTEXT, &ctx).unwrap();
    out.debug("Encrypted", &encrypted);
    let decrypted = kms.decrypt(encrypted.ciphertext_blob.as_bytes(), &ctx, None).unwrap();
    assert_eq!(decrypted.plaintext.as_bytes(), PLAINTEXT);
    out.debug("Decrypted", &decrypted);
    out.debug("SecretBytes", &decrypted.plaintext);
    let data_key = kms.generate_data_key(&id, DataKeySpec::Aes256, &ctx).unwrap();
    out.secret("data key from GenerateDataKey", data_key.plaintext.as_bytes());
    out.debug("DataKey (GenerateDataKey)", &data_key);
    let random = kms.generate_random(32).unwrap();
    out.secret("GenerateRandom bytes", random.as_bytes());
    out.debug("GenerateRandom SecretBytes", &random);
    let re = kms.re_encrypt(encrypted.ciphertext_blob.as_bytes(), &ctx, None, &id, &other).unwrap();
    out.debug("ReEncrypted", &re);

    // Every error the decrypt path can give, with its text.
    let wrong_context = kms.decrypt(encrypted.ciphertext_blob.as_bytes(), &other, None).unwrap_err();
    out.both("Error (wrong context)", &wrong_context);
    let mut tampered = encrypted.ciphertext_blob.as_bytes().to_vec();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    out.both("Error (tampered blob)", &kms.decrypt(&tampered, &ctx, None).unwrap_err());
    out.both("Error (too long)", &kms.encrypt(&id, &[0x41; 4097], &ctx).unwrap_err());
    out.debug("Kms", &kms);
    let mut secret_plain = SecretBytes::<64>::zeroed(PLAINTEXT.len()).unwrap();
    secret_plain.as_mut_bytes().copy_from_slice(PLAINTEXT);
    out.debug("SecretBytes (filled)", &secret_plain);

    // The message layer: raw AES and KMS keyrings, materials, an encryptor and a decryptor in
    // the middle of their work (their workspaces hold keys and plaintext).
    let mut raw = RawAesKeyring::new("redaction", "raw", &RAW_KEY).unwrap();
    out.debug("RawAesKeyring", &raw);
    let config = EncryptConfig {
        suite: AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384,
        frame_length: 64,
        limits: Limits::default(),
    };
    let mut message = vec![0u8; 4096];
    let mut written;
    {
        let mut ws = vec![0u8; 1024];
        let mut enc = Encryptor::new(&mut raw, ctx.clone(), &config, &mut UnwrapErr(SysRng), &mut ws).unwrap();
        let (_, n) = enc.update(PLAINTEXT, &mut message).unwrap();
        written = n;
        out.debug("Encryptor (mid-message)", &enc);
        let (n, done) = enc.finish(&mut message[written..]).unwrap();
        assert!(done);
        written += n;
    }
    message.truncate(written);
    {
        let mut ws = vec![0u8; 8192];
        let mut dec = Decryptor::new(&mut raw, ctx.clone(), Limits::default(), &mut ws);
        let mut plain = vec![0u8; 4096];
        let (_, n) = dec.update(&message, &mut plain).unwrap();
        assert!(n > 0, "plaintext released");
        out.debug("Decryptor (after releasing plaintext)", &dec);
        drop(dec);
        let mut bad = message.clone();
        bad[written - 1] ^= 1;
        let mut ws2 = vec![0u8; 8192];
        let mut dec2 = Decryptor::new(&mut raw, ctx.clone(), Limits::default(), &mut ws2);
        let mut plain2 = vec![0u8; 4096];
        let err = dec2.update(&bad, &mut plain2).and_then(|_| dec2.finish()).unwrap_err();
        out.both("DecryptError", &err);
    }
    // The data-key cache while it holds a data key and a signing key (encrypt) and a data key
    // (decrypt); then the cached data key, recovered from the message's EDK, is a secret too.
    let mut cached_message = vec![0u8; 4096];
    {
        let cache_clock = ManualClock::new(0);
        let mut cache: LocalCache<1, 1> = LocalCache::new();
        let mut cmm =
            CachingCmm::with_partition_id(&mut cache, &mut raw, &cache_clock, CacheLimits::new(60), "redaction")
                .unwrap();
        let mut ws = vec![0u8; 1024];
        let len = Some(PLAINTEXT.len() as u64);
        let mut enc = cmm.encryptor(&ctx, &config, len, &mut UnwrapErr(SysRng), &mut ws).unwrap();
        let (_, n) = enc.update(PLAINTEXT, &mut cached_message).unwrap();
        out.debug("Encryptor (cached materials, mid-message)", &enc);
        let (m, done) = enc.finish(&mut cached_message[n..]).unwrap();
        assert!(done);
        drop(enc);
        cached_message.truncate(n + m);
        let mut ws = vec![0u8; 8192];
        let mut dec = Decryptor::new(&mut cmm, ctx.clone(), Limits::default(), &mut ws);
        let mut plain = vec![0u8; 4096];
        dec.update(&cached_message, &mut plain).unwrap();
        dec.finish().unwrap();
        drop(dec);
        assert_eq!(cmm.cache().encrypt_len() + cmm.cache().decrypt_len(), 2);
        out.debug("CachingCmm (holding keys)", &cmm);
        out.debug("LocalCache (holding keys)", cmm.cache());
        out.debug("CacheStats", &cmm.stats());
        out.both("CacheError", &CacheError::InvalidPartitionId);
    }
    let (header, _) = Header::parse(&cached_message, &Limits::default()).unwrap();
    let mut recovered = DecryptionMaterials::new(header.suite, header.context.clone(), header.encoded_context);
    raw.on_decrypt(&mut recovered, &header.edks).unwrap();
    out.secret("cached data key", recovered.data_key().unwrap().as_bytes());

    let mut materials = EncryptionMaterials::new(
        AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384,
        ctx.clone(),
        Limits::default(),
        &mut UnwrapErr(SysRng),
    )
    .unwrap();
    let message_key = DataKey::random(&mut UnwrapErr(SysRng)).unwrap();
    out.secret("message data key", message_key.as_bytes());
    out.debug("DataKey (message)", &message_key);
    materials.set_data_key(message_key).unwrap();
    out.debug("EncryptionMaterials (with data key and signing key)", &materials);
    let mut dmaterials = DecryptionMaterials::new(AlgorithmSuite::AesGcm256HkdfSha512Commit, ctx.clone(), b"");
    dmaterials.set_data_key(DataKey::from_slice(&RAW_KEY).unwrap()).unwrap();
    out.debug("DecryptionMaterials (with data key)", &dmaterials);
    out.debug("KmsKeyring", &KmsKeyring::new(&mut kms, &id));
    out.debug("RingAudit", kms.audit());

    out.check();
}

/// The search itself finds secrets printed the ways Debug prints them: it would catch a leak.
#[test]
fn the_search_finds_printed_secrets() {
    for leaked in [
        format!("{:?}", &WRAPPING[..]),
        format!("{:x?}", &RAW_KEY[..]),
        format!("{:02x?}", &SEALING[..4]),
        String::from_utf8_lossy(PLAINTEXT).into_owned(),
        format!("{:?}", &PLAINTEXT[5..20]),
    ] {
        let mut out = Outputs::default();
        for (name, secret) in [("w", &WRAPPING[..]), ("s", &SEALING[..]), ("r", &RAW_KEY[..]), ("p", PLAINTEXT)] {
            out.secret(name, secret);
        }
        for _ in 0..20 {
            out.debug("filler", &"nothing secret");
        }
        out.texts.push(("leak".into(), leaked.clone()));
        assert!(std::panic::catch_unwind(move || out.check()).is_err(), "not caught: {leaked}");
    }
}
