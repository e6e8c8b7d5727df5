//! The PKCS#11 backend on SoftHSMv2 beside raw `cryptoki` making the same PKCS#11 calls on the
//! same token: the backend's own overhead. Each op is what the façade asks per KMS call:
//! `load_key`, `seal` or `open`, `release_key`.
//!
//! - `*-reuse`: the key version stays loaded (the backend's key cache). The backend checks the
//!   cached object's CKA_ID, draws the IV with C_GenerateRandom, then C_EncryptInit/C_Encrypt
//!   (C_DecryptInit/C_Decrypt); `raw-cryptoki` makes those calls.
//! - `*-no-reuse`: a cache of capacity 1 and two key versions used in turn, so every call
//!   unwraps. The backend's load is C_UnwrapKey (CKM_AES_KEY_WRAP_PAD), C_CopyObject (to clear
//!   CKA_MODIFIABLE), C_DestroyObject, C_GetAttributeValue (CKA_VALUE_LEN), and it destroys the
//!   evicted version; `raw-cryptoki` makes the same calls, `raw-cryptoki-minimal` only
//!   C_UnwrapKey, the operation and C_DestroyObject.
//!
//! The token is made by this bench in a temporary directory (`SOFTHSM2_CONF`), as the
//! backend's tests make theirs. Ids: `pkcs11-<op>-<reuse|no-reuse>/<impl>/<size>`.
// One unsafe call: setting SOFTHSM2_CONF (see `softhsm_conf`).
#![deny(unsafe_code)]

use coffer_core::hsm::{Hsm, Nonce, Tag, WrappedKey};
use coffer_hsm_pkcs11::cryptoki::context::Pkcs11;
use coffer_hsm_pkcs11::cryptoki::mechanism::Mechanism;
use coffer_hsm_pkcs11::cryptoki::mechanism::aead::GcmParams;
use coffer_hsm_pkcs11::cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use coffer_hsm_pkcs11::cryptoki::session::{Session, UserType};
use coffer_hsm_pkcs11::cryptoki::types::AuthPin;
use coffer_hsm_pkcs11::{DEFAULT_MODULE, Pin, Pkcs11Config, Pkcs11Handle, Pkcs11Hsm};
use criterion::{BatchSize, BenchmarkId, Criterion};
use std::hint::black_box;
use std::path::{Path, PathBuf};

const USER_PIN: &str = "bench-user-pin";
const SO_PIN: &str = "bench-so-pin";
const TOKEN: &str = "coffer-bench";
const AAD: [u8; 96] = [0xA5; 96];
const SIZES: [usize; 2] = [32, 4096];

/// Makes the token directory and points SoftHSMv2 at it. Must run before any other thread
/// exists and before the module loads.
fn softhsm_conf(dir: &Path) {
    std::fs::create_dir_all(dir.join("tokens")).expect("token directory");
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
            dir.join("tokens").display()
        ),
    )
    .expect("softhsm2.conf");
    // SAFETY: called first thing in `main`, while this process has one thread (criterion and
    // the module start none before it) and before the module, the only reader, is loaded.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var("SOFTHSM2_CONF", &conf);
    }
}

/// Initializes a token labelled [`TOKEN`] with the user PIN, as the backend's tests do.
fn init_token(pkcs11: &Pkcs11) {
    let slot = pkcs11
        .get_slots_with_token()
        .expect("slots")
        .into_iter()
        .find(|s| pkcs11.get_token_info(*s).is_ok_and(|info| !info.token_initialized()))
        .expect("SoftHSMv2 offers an uninitialized token");
    let so_pin = AuthPin::from(SO_PIN);
    pkcs11.init_token(slot, &so_pin, TOKEN).expect("C_InitToken");
    let slot = coffer_hsm_pkcs11::find_token(pkcs11, TOKEN).expect("the new token");
    let session = pkcs11.open_rw_session(slot).expect("a session");
    session.login(UserType::So, Some(&so_pin)).expect("SO login");
    session.init_pin(&AuthPin::from(USER_PIN)).expect("C_InitPIN");
    session.logout().expect("logout");
}

fn config(module: &Path, key_cache_capacity: usize) -> Pkcs11Config {
    let mut config = Pkcs11Config::new(TOKEN, Pin::new(USER_PIN));
    config.module = module.to_path_buf();
    config.key_cache_capacity = key_cache_capacity;
    config
}

/// The raw peer: a session of its own on the same token, making the backend's calls.
struct Raw {
    session: Session,
    wrapping: ObjectHandle,
    loaded_label: Vec<u8>,
}

impl Raw {
    fn connect(pkcs11: &Pkcs11, config: &Pkcs11Config) -> Self {
        let slot = coffer_hsm_pkcs11::find_token(pkcs11, TOKEN).expect("the token");
        let session = coffer_hsm_pkcs11::open_session(pkcs11, slot, &Pin::new(USER_PIN)).expect("a session");
        let found = session
            .find_objects(&[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::Token(true),
                Attribute::Label(config.wrapping_key_label().into_bytes()),
            ])
            .expect("C_FindObjects");
        let [wrapping] = found[..] else { panic!("one root wrapping key") };
        Self { session, wrapping, loaded_label: config.loaded_key_label().into_bytes() }
    }

    /// The backend's load template (the root's unwrap template requires these attributes).
    fn template(&self, wrapped: &WrappedKey) -> Vec<Attribute> {
        vec![
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Token(false),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Wrap(false),
            Attribute::Unwrap(false),
            Attribute::Sign(false),
            Attribute::Verify(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::Derive(false),
            Attribute::Label(self.loaded_label.clone()),
            Attribute::Id(wrapped.as_bytes().to_vec()),
        ]
    }

    /// C_UnwrapKey only.
    fn unwrap_minimal(&self, wrapped: &WrappedKey) -> ObjectHandle {
        self.session
            .unwrap_key(&Mechanism::AesKeyWrapPad, self.wrapping, wrapped.as_bytes(), &self.template(wrapped))
            .expect("C_UnwrapKey")
    }

    /// The backend's unwrap: C_UnwrapKey, C_CopyObject, C_DestroyObject, C_GetAttributeValue.
    fn unwrap(&self, wrapped: &WrappedKey) -> ObjectHandle {
        let unwrapped = self.unwrap_minimal(wrapped);
        let object = self.session.copy_object(unwrapped, &[Attribute::Modifiable(false)]).expect("C_CopyObject");
        self.session.destroy_object(unwrapped).expect("C_DestroyObject");
        self.session.get_attributes(object, &[AttributeType::ValueLen]).expect("C_GetAttributeValue");
        object
    }

    /// The backend's check of a cached object: C_GetAttributeValue(CKA_ID).
    fn check(&self, object: ObjectHandle) {
        self.session.get_attributes(object, &[AttributeType::Id]).expect("C_GetAttributeValue");
    }

    /// C_GenerateRandom for the IV, C_EncryptInit, C_Encrypt (twice: length, then data).
    fn seal(&self, key: ObjectHandle, buf: &[u8]) -> Vec<u8> {
        let mut iv = [0u8; 12];
        self.session.generate_random_slice(&mut iv).expect("C_GenerateRandom");
        let params = GcmParams::new(&mut iv, &AAD, 128.into()).expect("GCM parameters");
        self.session.encrypt(&Mechanism::AesGcm(params), key, buf).expect("C_Encrypt")
    }

    /// C_DecryptInit, C_Decrypt (twice) over ciphertext || tag.
    fn open(&self, key: ObjectHandle, nonce: &Nonce, input: &[u8]) -> Vec<u8> {
        let mut iv = nonce.0;
        let params = GcmParams::new(&mut iv, &AAD, 128.into()).expect("GCM parameters");
        self.session.decrypt(&Mechanism::AesGcm(params), key, input).expect("C_Decrypt")
    }
}

/// A sealed buffer: nonce, ciphertext, tag, and ciphertext || tag for the raw calls.
struct Sealed {
    nonce: Nonce,
    ciphertext: Vec<u8>,
    tag: Tag,
    joined: Vec<u8>,
}

fn seal_with(hsm: &mut Pkcs11Hsm, wrapped: &WrappedKey, pt: &[u8]) -> Sealed {
    let handle = hsm.load_key(wrapped).expect("load_key");
    let mut ciphertext = pt.to_vec();
    let (nonce, tag) = hsm.seal(handle, &AAD, &mut ciphertext).expect("seal");
    hsm.release_key(handle).expect("release_key");
    let joined = [&ciphertext[..], &tag.0[..]].concat();
    Sealed { nonce, ciphertext, tag, joined }
}

/// The backend as the façade drives it for one Encrypt.
fn backend_seal(hsm: &mut Pkcs11Hsm, wrapped: &WrappedKey, buf: &mut [u8]) -> (Nonce, Tag) {
    let handle: Pkcs11Handle = hsm.load_key(wrapped).expect("load_key");
    let sealed = hsm.seal(handle, &AAD, buf).expect("seal");
    hsm.release_key(handle).expect("release_key");
    sealed
}

/// The backend as the façade drives it for one Decrypt.
fn backend_open(hsm: &mut Pkcs11Hsm, wrapped: &WrappedKey, sealed: &Sealed, buf: &mut [u8]) {
    let handle = hsm.load_key(wrapped).expect("load_key");
    hsm.open(handle, &sealed.nonce, &AAD, buf, &sealed.tag).expect("open");
    hsm.release_key(handle).expect("release_key");
}

fn label(size: usize) -> String {
    if size >= 1024 { format!("{}KiB", size / 1024) } else { format!("{size}B") }
}

fn benches(c: &mut Criterion, module: &Path, pkcs11: &Pkcs11) {
    let mut reuse = Pkcs11Hsm::open(config(module, coffer_hsm_pkcs11::DEFAULT_KEY_CACHE)).expect("backend");
    reuse.create_root_keys().expect("root keys");
    let mut no_reuse = Pkcs11Hsm::open(config(module, 1)).expect("backend");
    let versions = [reuse.generate_key().expect("a key version"), reuse.generate_key().expect("a key version")];
    let raw = Raw::connect(pkcs11, &config(module, 1));
    let raw_loaded = raw.unwrap(&versions[0]);

    let mut group = c.benchmark_group("pkcs11-seal-reuse");
    for size in SIZES {
        let pt = coffer_benches::plaintext(size);
        // Both sides seal what the other opens: same key, same calls.
        let sealed = seal_with(&mut reuse, &versions[0], &pt);
        assert_eq!(raw.open(raw_loaded, &sealed.nonce, &sealed.joined), pt);
        let mut buf = pt.clone();
        group.bench_function(BenchmarkId::new("backend", label(size)), |b| {
            b.iter(|| backend_seal(&mut reuse, &versions[0], black_box(&mut buf)))
        });
        group.bench_function(BenchmarkId::new("raw-cryptoki", label(size)), |b| {
            b.iter(|| {
                raw.check(raw_loaded);
                raw.seal(raw_loaded, black_box(&pt))
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("pkcs11-open-reuse");
    for size in SIZES {
        let pt = coffer_benches::plaintext(size);
        let sealed = seal_with(&mut reuse, &versions[0], &pt);
        group.bench_function(BenchmarkId::new("backend", label(size)), |b| {
            b.iter_batched_ref(
                || sealed.ciphertext.clone(),
                |buf| backend_open(&mut reuse, &versions[0], &sealed, buf),
                BatchSize::SmallInput,
            )
        });
        group.bench_function(BenchmarkId::new("raw-cryptoki", label(size)), |b| {
            b.iter(|| {
                raw.check(raw_loaded);
                raw.open(raw_loaded, &sealed.nonce, black_box(&sealed.joined))
            })
        });
    }
    group.finish();

    // Every load unwraps: the two versions in turn through a cache of one.
    // The backend's turn carries over between benches, so that its every load is of the
    // version it did not load last.
    let mut backend_turn = 0;
    let mut group = c.benchmark_group("pkcs11-seal-no-reuse");
    for size in SIZES {
        let pt = coffer_benches::plaintext(size);
        let mut buf = pt.clone();
        let mut turn = 0;
        let unwraps = no_reuse.unwrap_count();
        group.bench_function(BenchmarkId::new("backend", label(size)), |b| {
            b.iter(|| {
                backend_turn ^= 1;
                backend_seal(&mut no_reuse, &versions[backend_turn], black_box(&mut buf))
            })
        });
        assert_eq!(no_reuse.loaded_keys(), 1);
        assert!(no_reuse.unwrap_count() > unwraps, "the backend reused a key");
        group.bench_function(BenchmarkId::new("raw-cryptoki", label(size)), |b| {
            b.iter(|| {
                turn ^= 1;
                let key = raw.unwrap(&versions[turn]);
                let out = raw.seal(key, black_box(&pt));
                raw.session.destroy_object(key).expect("C_DestroyObject");
                out
            })
        });
        group.bench_function(BenchmarkId::new("raw-cryptoki-minimal", label(size)), |b| {
            b.iter(|| {
                turn ^= 1;
                let key = raw.unwrap_minimal(&versions[turn]);
                let out = raw.seal(key, black_box(&pt));
                raw.session.destroy_object(key).expect("C_DestroyObject");
                out
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("pkcs11-open-no-reuse");
    for size in SIZES {
        let pt = coffer_benches::plaintext(size);
        let sealed = [seal_with(&mut reuse, &versions[0], &pt), seal_with(&mut reuse, &versions[1], &pt)];
        let mut turn = 0;
        let unwraps = no_reuse.unwrap_count();
        group.bench_function(BenchmarkId::new("backend", label(size)), |b| {
            b.iter_batched_ref(
                || {
                    backend_turn ^= 1;
                    (backend_turn, sealed[backend_turn].ciphertext.clone())
                },
                |(t, buf)| backend_open(&mut no_reuse, &versions[*t], &sealed[*t], buf),
                BatchSize::SmallInput,
            )
        });
        assert!(no_reuse.unwrap_count() > unwraps, "the backend reused a key");
        group.bench_function(BenchmarkId::new("raw-cryptoki", label(size)), |b| {
            b.iter(|| {
                turn ^= 1;
                let key = raw.unwrap(&versions[turn]);
                let out = raw.open(key, &sealed[turn].nonce, black_box(&sealed[turn].joined));
                raw.session.destroy_object(key).expect("C_DestroyObject");
                out
            })
        });
        group.bench_function(BenchmarkId::new("raw-cryptoki-minimal", label(size)), |b| {
            b.iter(|| {
                turn ^= 1;
                let key = raw.unwrap_minimal(&versions[turn]);
                let out = raw.open(key, &sealed[turn].nonce, black_box(&sealed[turn].joined));
                raw.session.destroy_object(key).expect("C_DestroyObject");
                out
            })
        });
    }
    group.finish();
}

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    softhsm_conf(dir.path());
    let module = std::env::var_os("COFFER_BENCH_PKCS11_MODULE").map_or(PathBuf::from(DEFAULT_MODULE), PathBuf::from);
    let pkcs11 = coffer_hsm_pkcs11::module(&module).expect("the PKCS#11 module loads (is softhsm2 installed?)");
    init_token(&pkcs11);
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion, &module, &pkcs11);
    criterion.final_summary();
}
