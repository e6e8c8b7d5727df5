//! Opening the HSM that holds a store's root keys (`coffer init` makes them: `crate::init`).
//!
//! Secrets (the passphrase, the PIN) come from the environment, a file (PIN) or a prompt on the
//! terminal, never from an argument (other users see arguments in the process list). They are
//! held in zeroizing buffers and never printed.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use coffer_core::hsm::{ErrorKind, Hsm, HsmError};
use coffer_host_rng::HostRng;
use coffer_hsm_pkcs11::{
    DEFAULT_MODULE, ENV_MODULE, ENV_PIN, ENV_PIN_FILE, ENV_TOKEN, Pin, Pkcs11Config, Pkcs11Error, Pkcs11Hsm,
    Reconnecting,
};
use coffer_hsm_soft::{SoftError, SoftHsm};
use zeroize::Zeroizing;

use crate::config::KdfConfig;
use crate::error::{Class, CliError};

/// Environment variable holding the soft backend's passphrase.
pub(crate) const ENV_PASSPHRASE: &str = "COFFER_PASSPHRASE";

/// The software HSM as the command uses it: its keys and nonces from [`HostRng`] (ChaCha20 with
/// fast key erasure, seeded by the OS, reseeded on fork), which spares a system call per seal.
/// Generator failures are reported, not unwrapped.
pub(crate) type CliSoftHsm = SoftHsm<HostRng>;

/// The passphrase: [`ENV_PASSPHRASE`], else a prompt on the terminal (twice when `confirm`).
pub(crate) fn passphrase(confirm: bool) -> Result<Zeroizing<String>, CliError> {
    if let Some(value) = std::env::var_os(ENV_PASSPHRASE) {
        let value = Zeroizing::new(
            value
                .into_string()
                .map_err(|_| CliError::new(Class::AccessDenied, format!("{ENV_PASSPHRASE} is not UTF-8")))?,
        );
        if value.is_empty() {
            return Err(CliError::new(Class::AccessDenied, format!("{ENV_PASSPHRASE} is empty")));
        }
        return Ok(value);
    }
    let no_tty = |e: std::io::Error| {
        CliError::new(Class::AccessDenied, format!("no passphrase: set {ENV_PASSPHRASE} or run on a terminal ({e})"))
    };
    require_terminal().map_err(|()| {
        CliError::new(Class::AccessDenied, format!("no passphrase: set {ENV_PASSPHRASE} or run on a terminal"))
    })?;
    let first = Zeroizing::new(rpassword::prompt_password("Coffer passphrase: ").map_err(no_tty)?);
    if first.is_empty() {
        return Err(CliError::new(Class::AccessDenied, "the passphrase is empty"));
    }
    if confirm {
        let second = Zeroizing::new(rpassword::prompt_password("Repeat the passphrase: ").map_err(no_tty)?);
        if *first != *second {
            return Err(CliError::new(Class::AccessDenied, "the two passphrases differ"));
        }
    }
    Ok(first)
}

/// The PIN: `COFFER_PKCS11_PIN`, else the file named by `COFFER_PKCS11_PIN_FILE`, else a prompt.
fn pin(token: &str) -> Result<Pin, CliError> {
    let from_env = if std::env::var_os(ENV_PIN).is_some() {
        Some(Pin::from_env(ENV_PIN))
    } else {
        std::env::var_os(ENV_PIN_FILE).map(|path| Pin::from_file(Path::new(&path)))
    };
    match from_env {
        Some(pin) => pin.map_err(|e| CliError::new(Class::AccessDenied, e.to_string())),
        None => {
            require_terminal().map_err(|()| {
                CliError::new(
                    Class::AccessDenied,
                    format!("no PIN: set {ENV_PIN} or {ENV_PIN_FILE}, or run on a terminal"),
                )
            })?;
            let typed =
                Zeroizing::new(rpassword::prompt_password(format!("User PIN of token {token:?}: ")).map_err(|e| {
                    CliError::new(
                        Class::AccessDenied,
                        format!("no PIN: set {ENV_PIN} or {ENV_PIN_FILE}, or run on a terminal ({e})"),
                    )
                })?);
            if typed.is_empty() {
                return Err(CliError::new(Class::AccessDenied, "the PIN is empty"));
            }
            Ok(Pin::new(&typed))
        }
    }
}

/// Prompts only when standard input is a terminal: a script or a service with its input
/// redirected gets an error instead of a prompt it cannot answer (rpassword would read
/// `/dev/tty` whatever standard input is).
fn require_terminal() -> Result<(), ()> {
    use std::io::IsTerminal as _;
    if std::io::stdin().is_terminal() { Ok(()) } else { Err(()) }
}

pub(crate) fn soft_error(e: SoftError) -> CliError {
    match e.kind() {
        ErrorKind::AuthenticationFailed => {
            CliError::new(Class::AccessDenied, "wrong passphrase (or the sealed root keys in config.json were altered)")
        }
        _ => CliError::new(Class::Internal, format!("soft HSM: {e}")),
    }
}

/// Maps a PKCS#11 failure to its class.
pub(crate) fn pkcs11_error(e: &Pkcs11Error) -> CliError {
    let class = match e.kind() {
        ErrorKind::PinIncorrect | ErrorKind::PinLocked | ErrorKind::NotLoggedIn => Class::AccessDenied,
        ErrorKind::Unavailable | ErrorKind::SessionClosed | ErrorKind::RootKeysNotFound => Class::KeyUnavailable,
        ErrorKind::InvalidInput => Class::Validation,
        ErrorKind::Unsupported => Class::Unsupported,
        _ => Class::Internal,
    };
    CliError::new(class, format!("PKCS#11: {e}"))
}

/// Opens the soft HSM of a store: asks for the passphrase and unseals the root keys.
///
/// # Errors
/// AccessDenied for a wrong passphrase; a malformed configuration.
pub(crate) fn open_soft(kdf: &KdfConfig, sealed_root_keys: &str) -> Result<CliSoftHsm, CliError> {
    let mut hsms = open_soft_instances(kdf, sealed_root_keys, 1)?;
    hsms.pop().ok_or_else(|| CliError::new(Class::Internal, "soft HSM: no instance"))
}

/// [`open_soft`] for `count` independent instances (at least one) over the same root keys, one
/// per thread of `coffer serve`: the passphrase is asked and stretched once, each instance
/// imports the sealed root keys with that key-encryption key, which is then zeroized.
///
/// # Errors
/// As [`open_soft`].
pub(crate) fn open_soft_instances(
    kdf: &KdfConfig,
    sealed_root_keys: &str,
    count: usize,
) -> Result<Vec<CliSoftHsm>, CliError> {
    let sealed = Zeroizing::new(
        B64.decode(sealed_root_keys)
            .map_err(|_| CliError::new(Class::Store, "config.json: sealed_root_keys is not base64"))?,
    );
    let passphrase = passphrase(false)?;
    let kek = kdf.derive(passphrase.as_bytes())?;
    drop(passphrase);
    (0..count.max(1))
        .map(|_| {
            SoftHsm::import_root_keys(HostRng::new(), &sealed, &kek).map_err(|e| match e.kind() {
                // Not even shaped as sealed root keys (length, magic): the file, not the passphrase.
                ErrorKind::InvalidInput => {
                    CliError::new(Class::Store, format!("config.json: sealed_root_keys is malformed ({e})"))
                }
                _ => soft_error(e),
            })
        })
        .collect()
}

/// The PKCS#11 configuration of a token (asking for the PIN).
///
/// # Errors
/// AccessDenied when no PIN can be had.
pub(crate) fn pkcs11_config(module: PathBuf, token: &str, label_prefix: &str) -> Result<Pkcs11Config, CliError> {
    check_module_path(&module)?;
    let mut config = Pkcs11Config::new(token, pin(token)?);
    config.module = module;
    label_prefix.clone_into(&mut config.label_prefix);
    Ok(config)
}

/// Refuses a module path that is not absolute: a relative one would be looked up from the
/// current directory (or the loader's search path), and loading a library runs its code.
///
/// # Errors
/// ValidationException for a relative path.
fn check_module_path(module: &Path) -> Result<(), CliError> {
    if module.is_absolute() {
        Ok(())
    } else {
        Err(CliError::validation(format!(
            "the PKCS#11 module path {} is not absolute: give the library's full path",
            module.display()
        )))
    }
}

/// Opens the PKCS#11 token of a store (asking for the PIN) and finds its root keys.
///
/// # Errors
/// As [`pkcs11_error`]; KeyUnavailableException if the root keys are not on the token.
pub(crate) fn open_pkcs11(module: &str, token: &str, label_prefix: &str) -> Result<Pkcs11Hsm, CliError> {
    // From config.json, not from the command line: a bad path is the store's fault.
    check_module_path(Path::new(module))
        .map_err(|e| CliError::new(Class::Store, format!("config.json: {}", e.message)))?;
    let config = pkcs11_config(PathBuf::from(module), token, label_prefix)?;
    let mut hsm = Pkcs11Hsm::open(config).map_err(|e| pkcs11_error(&e))?;
    // Found here, so that a token without them is named as such (not as a failed check of
    // config.json's MAC further on).
    hsm.find_root_keys().map_err(|e| open_error(&e, token, label_prefix))?;
    Ok(hsm)
}

/// [`open_pkcs11`] for a long-running process (`coffer serve`): the token is opened again when
/// it went away and came back.
///
/// # Errors
/// As [`open_pkcs11`].
pub(crate) fn open_pkcs11_reconnecting(
    module: &str,
    token: &str,
    label_prefix: &str,
) -> Result<Reconnecting, CliError> {
    let config = pkcs11_config(PathBuf::from(module), token, label_prefix)?;
    Reconnecting::open(config).map_err(|e| open_error(&e, token, label_prefix))
}

/// [`pkcs11_error`], naming the missing root keys and what to do.
fn open_error(e: &Pkcs11Error, token: &str, label_prefix: &str) -> CliError {
    let mut error = pkcs11_error(e);
    if e.kind() == ErrorKind::RootKeysNotFound {
        error.message = format!(
            "{}: the store's root keys (labels {label_prefix}-root-*) are not on token {token:?}; restore the \
             token from its backup",
            error.message
        );
    }
    error
}

/// The module and token for `init --pkcs11` and `token-check`: arguments, else the environment.
pub(crate) fn module_and_token(module: Option<&Path>, token: Option<&str>) -> Result<(PathBuf, String), CliError> {
    let module = module.map(Path::to_path_buf).or_else(|| std::env::var_os(ENV_MODULE).map(PathBuf::from));
    let token = token.map(str::to_owned).or_else(|| std::env::var(ENV_TOKEN).ok());
    let token =
        token.ok_or_else(|| CliError::validation(format!("no token label: give --token or set {ENV_TOKEN}")))?;
    Ok((module.unwrap_or_else(|| PathBuf::from(DEFAULT_MODULE)), token))
}
