//! A SoftHSMv2 token of the test's own, for the `coffer` processes it runs: a private token
//! directory and configuration (`SOFTHSM2_CONF`), the token made with `softhsm2-util`.
//! `COFFER_TEST_PKCS11_MODULE` names another module (default: SoftHSMv2's).

use std::process::Command;

use super::Store;

/// The token's user PIN.
pub const PIN: &str = "user-pin-1234";
/// The token's security officer PIN.
pub const SO_PIN: &str = "so-pin-5678";

/// The PKCS#11 module the tests load.
pub fn module() -> String {
    std::env::var("COFFER_TEST_PKCS11_MODULE").unwrap_or_else(|_| "/usr/lib/softhsm/libsofthsm2.so".into())
}

/// A store whose commands see a private SoftHSMv2 configuration with one fresh token `label`
/// (the store itself not yet initialized).
pub fn pkcs11_store(label: &str) -> Store {
    let mut store = Store::empty();
    let tokens = store.dir.path().join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = store.dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!("directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n", tokens.display()),
    )
    .unwrap();
    let made = Command::new("softhsm2-util")
        .args(["--init-token", "--free", "--label", label, "--so-pin", SO_PIN, "--pin", PIN])
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .expect("softhsm2-util runs (is softhsm2 installed?)");
    assert!(made.status.success(), "{made:?}");
    store.env.retain(|(k, _)| k != "COFFER_PASSPHRASE");
    store.env.push(("SOFTHSM2_CONF".into(), conf.display().to_string()));
    store.env.push(("COFFER_PKCS11_PIN".into(), PIN.into()));
    store
}
