//! `coffer init`: a new store, its root keys sealed under a passphrase or made on a PKCS#11
//! token, its configuration authenticated under them.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use coffer_core::hsm::{ErrorKind, Hsm, HsmError as _};
use coffer_host_rng::HostRng;
use coffer_hsm_pkcs11::Pkcs11Hsm;
use coffer_hsm_soft::SoftHsm;

use crate::backend::{CliSoftHsm, module_and_token, passphrase, pkcs11_config, pkcs11_error, soft_error};
use crate::cli::InitArgs;
use crate::config::{
    ArnConfig, Backend, DEFAULT_KDF_ITERATIONS, DEFAULT_KDF_MEMORY_KIB, DEFAULT_KDF_PARALLELISM, FORMAT, KdfConfig,
    StoreConfig,
};
use crate::error::{Class, CliError};
use crate::output::Obj;
use crate::store::CONFIG_FILE;

/// `coffer init`.
///
/// # Errors
/// StoreException if the store exists; backend failures.
pub(crate) fn init(root: &Path, args: &InitArgs) -> Result<Obj, CliError> {
    let arn =
        ArnConfig { partition: args.partition.clone(), region: args.region.clone(), account: args.account.clone() };
    let mut config = StoreConfig {
        format: FORMAT.into(),
        arn,
        backend: Backend::Pkcs11 { module: String::new(), token: String::new(), label_prefix: String::new() },
        mac: None,
    };
    config.arn_prefix().map_err(|e| CliError::validation(e.message))?;
    if root.join(CONFIG_FILE).exists() {
        return Err(crate::store_init::already(root));
    }
    // Everything that can be refused is checked before the store directory is made.
    let kdf = if args.pkcs11 {
        None
    } else {
        Some(KdfConfig::new(
            args.kdf_memory_kib.unwrap_or(DEFAULT_KDF_MEMORY_KIB),
            args.kdf_iterations.unwrap_or(DEFAULT_KDF_ITERATIONS),
            args.kdf_parallelism.unwrap_or(DEFAULT_KDF_PARALLELISM),
            args.insecure_test_kdf,
        )?)
    };
    let mut summary = Obj::new().str("Store", root.display().to_string());
    if let Some(kdf) = kdf {
        let passphrase = passphrase(true)?;
        let kek = kdf.derive(passphrase.as_bytes())?;
        let mut hsm: CliSoftHsm = SoftHsm::new(HostRng::new());
        hsm.create_root_keys().map_err(soft_error)?;
        let sealed = hsm.export_root_keys(&kek).map_err(soft_error)?;
        summary = summary
            .str("Backend", "soft")
            .str("Kdf", format!("argon2id m={} KiB t={} p={}", kdf.memory_kib, kdf.iterations, kdf.parallelism));
        config.backend = Backend::Soft { kdf, sealed_root_keys: B64.encode(sealed.as_bytes()) };
        config.seal(&mut hsm)?;
    } else {
        let (module, token) = module_and_token(args.module.as_deref(), args.token.as_deref())?;
        let pkcs11 = pkcs11_config(module.clone(), &token, &args.label_prefix)?;
        let mut hsm = Pkcs11Hsm::open(pkcs11).map_err(|e| pkcs11_error(&e))?;
        if args.use_existing_root_keys {
            hsm.find_root_keys().map_err(|e| pkcs11_error(&e))?;
        } else {
            hsm.create_root_keys().map_err(|e| match e.kind() {
                ErrorKind::RootKeysExist => CliError::new(
                    Class::Store,
                    format!(
                        "token {token:?} already holds root keys labelled {:?}: give --use-existing-root-keys to \
                         use them, or another --label-prefix",
                        args.label_prefix
                    ),
                ),
                _ => pkcs11_error(&e),
            })?;
        }
        summary = summary.str("Backend", "pkcs11").str("Token", token.clone());
        config.backend =
            Backend::Pkcs11 { module: module.display().to_string(), token, label_prefix: args.label_prefix.clone() };
        config.seal(&mut hsm)?;
    }
    // Built aside and renamed into place: two concurrent inits make one store, and a killed
    // one leaves none.
    crate::store_init::create(root, config.to_json()?.as_bytes())?;
    Ok(summary)
}
