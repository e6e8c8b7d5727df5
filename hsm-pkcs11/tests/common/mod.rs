//! Test support: a private SoftHSMv2 token directory per test process and a fresh token per
//! test, following PKCS11.md's recipe: one module per process (initialized once, never
//! finalized), `SOFTHSM2_CONF` set before the module loads, and each test's token made in
//! process (init token, SO login, init PIN) under a lock held only for that step.
//!
//! `COFFER_TEST_PKCS11_MODULE` names another module (default: SoftHSMv2's).

#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

use coffer_core::hsm::{Hsm, RootKeyMaterial};
use coffer_hsm_pkcs11::cryptoki::context::Pkcs11;
use coffer_hsm_pkcs11::cryptoki::session::UserType;
use coffer_hsm_pkcs11::cryptoki::slot::Slot;
use coffer_hsm_pkcs11::cryptoki::types::AuthPin;
use coffer_hsm_pkcs11::{DEFAULT_MODULE, Pin, Pkcs11Config, Pkcs11Hsm};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

pub const USER_PIN: &str = "user-pin-1234";
pub const SO_PIN: &str = "so-pin-5678";

/// The module under test and this process's token directory.
pub struct Setup {
    pub module: PathBuf,
    pub dir: PathBuf,
    pub conf: PathBuf,
    pub pkcs11: Pkcs11,
}

static SETUP: OnceLock<Setup> = OnceLock::new();
static TOKEN_INIT: Mutex<()> = Mutex::new(());
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// This process's setup, made on first use.
pub fn setup() -> &'static Setup {
    SETUP.get_or_init(|| {
        let module = std::env::var_os("COFFER_TEST_PKCS11_MODULE").map_or(PathBuf::from(DEFAULT_MODULE), PathBuf::from);
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("softhsm");
        remove_dead_processes_dirs(&root);
        let dir = root.join(std::process::id().to_string());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("tokens")).unwrap();
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
                dir.join("tokens").display()
            ),
        )
        .unwrap();
        // SAFETY: this runs once, inside the OnceLock, before this process loads the PKCS#11
        // module (the only reader of SOFTHSM2_CONF). Every test reaches the module through
        // `setup()`, so any other test thread is blocked on this OnceLock, not reading the
        // environment; no test of these binaries reads the environment otherwise.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("SOFTHSM2_CONF", &conf);
        }
        let pkcs11 = coffer_hsm_pkcs11::module(&module).expect("the PKCS#11 module loads (is softhsm2 installed?)");
        Setup { module, dir, conf, pkcs11 }
    })
}

/// Removes token directories of test processes that are gone (Linux: no /proc/<pid>).
fn remove_dead_processes_dirs(root: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let alive = name.to_str().is_some_and(|pid| std::path::Path::new("/proc").join(pid).exists());
        if !alive {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Held by every test of a binary that runs another process on the token directory
/// (`pkcs11-tool`, `coffer-token-check`): SoftHSMv2's file store is safe between the threads of
/// one process, not between processes that write and read the same token files at once (a
/// login writes the token's flags), so such tests run one at a time in their binary.
pub fn one_process_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A token made for one test.
#[derive(Debug, Clone)]
pub struct TestToken {
    pub label: String,
    pub slot: Slot,
}

impl TestToken {
    /// A configuration for this token with the test PIN.
    pub fn config(&self) -> Pkcs11Config {
        self.config_with_prefix("coffer")
    }

    pub fn config_with_prefix(&self, prefix: &str) -> Pkcs11Config {
        let mut config = Pkcs11Config::new(&self.label, Pin::new(USER_PIN));
        config.module = setup().module.clone();
        config.label_prefix = prefix.into();
        config
    }

    /// A new instance (session) on this token.
    pub fn open(&self) -> Pkcs11Hsm {
        Pkcs11Hsm::open(self.config()).unwrap_or_else(|e| panic!("open {}: {e}", self.label))
    }

    /// This token's directory (SoftHSMv2 names it by a UUID; the label is in its token.object).
    pub fn dir(&self) -> PathBuf {
        std::fs::read_dir(setup().dir.join("tokens"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|d| {
                let object = std::fs::read(d.join("token.object")).unwrap_or_default();
                object.windows(self.label.len()).any(|w| w == self.label.as_bytes())
            })
            .expect("the token's directory")
    }

    /// Removes a root key (`wrapping` true: the root wrapping key, else the sealing key) as a
    /// token that lost it would: its file goes (root keys are not destroyable through PKCS#11),
    /// which this process's module notices when the key is next used. The files of private
    /// objects are encrypted; the wrapping key's is the larger (it holds two templates).
    pub fn lose_root_key(&self, wrapping: bool) {
        use coffer_hsm_pkcs11::cryptoki::object::{Attribute, ObjectClass};
        let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(self.dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "object") && !p.ends_with("token.object"))
            .map(|p| (std::fs::metadata(&p).unwrap().len(), p))
            .collect();
        files.sort();
        let present = |session: &coffer_hsm_pkcs11::cryptoki::session::Session, label: &str| {
            let template = [Attribute::Class(ObjectClass::SECRET_KEY), Attribute::Label(label.as_bytes().to_vec())];
            session.find_objects(&template).unwrap().len()
        };
        let session = self.session();
        let label = if wrapping { "coffer-root-wrapping" } else { "coffer-root-sealing" };
        assert_eq!(present(&session, label), 1, "{label} is on the token");
        let file = if wrapping { files.last() } else { files.first() };
        std::fs::remove_file(&file.expect("a root key file").1).unwrap();
    }

    /// A session of the test's own, logged in, to look at or disturb the token.
    pub fn session(&self) -> coffer_hsm_pkcs11::cryptoki::session::Session {
        coffer_hsm_pkcs11::open_session(&setup().pkcs11, self.slot, &Pin::new(USER_PIN)).unwrap()
    }
}

/// A freshly initialized token with a unique label, user PIN [`USER_PIN`].
pub fn fresh_token() -> TestToken {
    let setup = setup();
    let label = format!("t{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
    let _guard = TOKEN_INIT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let pkcs11 = &setup.pkcs11;
    let slot = pkcs11
        .get_slots_with_token()
        .unwrap()
        .into_iter()
        .find(|s| !pkcs11.get_token_info(*s).unwrap().token_initialized())
        .expect("SoftHSMv2 always offers one uninitialized token");
    let so_pin = AuthPin::from(SO_PIN);
    pkcs11.init_token(slot, &so_pin, &label).unwrap();
    // Slot ids follow the serial after init: look the token up again by label.
    let slot = coffer_hsm_pkcs11::find_token(pkcs11, &label).unwrap();
    let session = pkcs11.open_rw_session(slot).unwrap();
    session.login(UserType::So, Some(&so_pin)).unwrap();
    session.init_pin(&AuthPin::from(USER_PIN)).unwrap();
    session.logout().unwrap();
    drop(session);
    TestToken { label, slot }
}

/// A fresh token and an instance on it with new root keys.
pub fn fresh_hsm() -> Pkcs11Hsm {
    let token = fresh_token();
    let mut hsm = token.open();
    hsm.create_root_keys().unwrap_or_else(|e| panic!("create_root_keys: {e}"));
    hsm
}

/// A fresh token, an instance on it that accepts imported roots, and the root keys imported
/// from `material`.
pub fn hsm_with_root(material: &RootKeyMaterial) -> (TestToken, Pkcs11Hsm) {
    let token = fresh_token();
    let mut config = token.config();
    config.accept_imported_root_keys = true;
    let mut hsm = Pkcs11Hsm::open(config).unwrap();
    hsm.import_root_keys(material).unwrap_or_else(|e| panic!("import_root_keys: {e}"));
    (token, hsm)
}

/// A fixed root: wrapping key 0x00..0x1f, sealing key 0x20..0x3f (as in hsm-soft's tests).
pub fn known_root() -> RootKeyMaterial {
    RootKeyMaterial::new(seq(0x00), seq(0x20))
}

pub const fn seq(start: u8) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut i = 0;
    let mut byte = start;
    while i < 32 {
        out[i] = byte;
        byte = byte.wrapping_add(1);
        i += 1;
    }
    out
}
