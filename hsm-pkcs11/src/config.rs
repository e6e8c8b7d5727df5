//! Where the token is and how to log in: module path, token label, PIN, object labels.

use crate::Pkcs11Error;
use secrecy::SecretString;
use std::fmt;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// SoftHSMv2's module on Debian and Ubuntu (package `libsofthsm2`).
pub const DEFAULT_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// The prefix of the labels Coffer gives its objects when none is configured.
pub const DEFAULT_LABEL_PREFIX: &str = "coffer";
/// KMS key versions kept loaded in the token when none is configured.
pub const DEFAULT_KEY_CACHE: usize = 64;

/// The largest [`Pkcs11Config::key_cache_capacity`] accepted: the cache's entries are a
/// fixed array of this many (about 64 bytes each, on the heap).
pub const MAX_KEY_CACHE: usize = 1024;

/// Environment variable naming the module (default [`DEFAULT_MODULE`]).
pub const ENV_MODULE: &str = "COFFER_PKCS11_MODULE";
/// Environment variable naming the token by its label (required).
pub const ENV_TOKEN: &str = "COFFER_PKCS11_TOKEN";
/// Environment variable holding the user PIN.
pub const ENV_PIN: &str = "COFFER_PKCS11_PIN";
/// Environment variable naming a file whose content is the user PIN.
pub const ENV_PIN_FILE: &str = "COFFER_PKCS11_PIN_FILE";
/// Environment variable holding the object label prefix (default [`DEFAULT_LABEL_PREFIX`]).
pub const ENV_LABEL_PREFIX: &str = "COFFER_PKCS11_LABEL_PREFIX";

/// A user PIN. Kept in a zeroizing secret; `Debug` prints nothing of it.
///
/// Take it from an environment variable or a file readable only by the service, never from a
/// command-line argument (other users see those in the process list).
pub struct Pin(SecretString);

impl Pin {
    /// A PIN from a string the caller already holds.
    pub fn new(pin: &str) -> Self {
        Self(SecretString::from(pin))
    }

    /// The PIN in environment variable `var`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`](coffer_core::ErrorKind::InvalidInput) if the variable is
    /// unset, empty or not UTF-8.
    pub fn from_env(var: &str) -> Result<Self, Pkcs11Error> {
        Self::from_env_if_set(var)?.ok_or(Pkcs11Error::config("PIN variable unset", var))
    }

    /// The PIN in `var` if it is set, `None` if it is not. Every copy read is wiped.
    fn from_env_if_set(var: &str) -> Result<Option<Self>, Pkcs11Error> {
        match std::env::var(var) {
            Ok(value) => {
                let value = Zeroizing::new(value);
                if value.is_empty() {
                    return Err(Pkcs11Error::config("PIN variable is empty", var));
                }
                Ok(Some(Self::new(&value)))
            }
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(value)) => {
                Zeroizing::new(value.into_encoded_bytes());
                Err(Pkcs11Error::config("PIN variable is not UTF-8", var))
            }
        }
    }

    /// The PIN from [`ENV_PIN`], or else from the file named by [`ENV_PIN_FILE`].
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`](coffer_core::ErrorKind::InvalidInput) if neither is set, or
    /// as [`from_env`](Self::from_env) and [`from_file`](Self::from_file).
    pub fn from_env_or_file() -> Result<Self, Pkcs11Error> {
        if let Some(pin) = Self::from_env_if_set(ENV_PIN)? {
            return Ok(pin);
        }
        match std::env::var_os(ENV_PIN_FILE) {
            Some(path) => Self::from_file(Path::new(&path)),
            None => Err(Pkcs11Error::config("no PIN given", format!("{ENV_PIN} or {ENV_PIN_FILE}"))),
        }
    }

    /// The PIN in the file at `path`: its whole content, less one trailing line ending.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`](coffer_core::ErrorKind::InvalidInput) if the file cannot be
    /// read, is readable or writable by group or others (Unix; as ssh refuses such key files),
    /// is not UTF-8, or holds an empty PIN.
    pub fn from_file(path: &Path) -> Result<Self, Pkcs11Error> {
        let source = path.display().to_string();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path)
                .map_err(|_| Pkcs11Error::config("PIN file unreadable or not UTF-8", &source))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(Pkcs11Error::config("PIN file is accessible to other users (chmod 600 it)", source));
            }
        }
        let content = Zeroizing::new(
            std::fs::read_to_string(path)
                .map_err(|_| Pkcs11Error::config("PIN file unreadable or not UTF-8", &source))?,
        );
        let pin = content.strip_suffix('\n').map_or(content.as_str(), |s| s.strip_suffix('\r').unwrap_or(s));
        if pin.is_empty() {
            return Err(Pkcs11Error::config("PIN file is empty", source));
        }
        Ok(Self::new(pin))
    }

    pub(crate) const fn secret(&self) -> &SecretString {
        &self.0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(..)")
    }
}

/// How to reach the token and name Coffer's objects on it.
#[derive(Debug)]
pub struct Pkcs11Config {
    /// Path of the PKCS#11 module (a shared library).
    pub module: PathBuf,
    /// The token's label. Tokens are chosen by label, never by slot number: slot numbers change
    /// when tokens are added (SoftHSMv2 derives them from the serial).
    pub token_label: String,
    /// The user PIN.
    pub pin: Pin,
    /// Prefix of every object label Coffer writes (`<prefix>-root-wrapping`, ...), so that
    /// several Coffer instances can share a token under different prefixes.
    pub label_prefix: String,
    /// How many KMS key versions stay loaded in the token between uses (1 to [`MAX_KEY_CACHE`]).
    pub key_cache_capacity: usize,
    /// Accept root keys placed on the token by
    /// [`import_root_keys`](crate::Pkcs11Hsm::import_root_keys) (CKA_LOCAL,
    /// CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE false) when opening. Off by default: a
    /// root that was ever outside the token is accepted only on purpose.
    pub accept_imported_root_keys: bool,
}

impl Pkcs11Config {
    /// The default module and label prefix for the token labelled `token_label`.
    pub fn new(token_label: &str, pin: Pin) -> Self {
        Self {
            module: PathBuf::from(DEFAULT_MODULE),
            token_label: token_label.into(),
            pin,
            label_prefix: DEFAULT_LABEL_PREFIX.into(),
            key_cache_capacity: DEFAULT_KEY_CACHE,
            accept_imported_root_keys: false,
        }
    }

    /// A configuration from the environment: [`ENV_MODULE`] (optional), [`ENV_TOKEN`],
    /// [`ENV_PIN`] or else [`ENV_PIN_FILE`], and [`ENV_LABEL_PREFIX`] (optional).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`](coffer_core::ErrorKind::InvalidInput) naming the variable
    /// that is missing or unusable.
    pub fn from_env() -> Result<Self, Pkcs11Error> {
        let token = std::env::var(ENV_TOKEN).map_err(|_| Pkcs11Error::config("token label unset", ENV_TOKEN))?;
        let pin = Pin::from_env_or_file()?;
        let mut config = Self::new(&token, pin);
        if let Some(module) = std::env::var_os(ENV_MODULE) {
            config.module = PathBuf::from(module);
        }
        if let Ok(prefix) = std::env::var(ENV_LABEL_PREFIX) {
            config.label_prefix = prefix;
        }
        Ok(config)
    }

    /// The label of the root wrapping key.
    pub fn wrapping_key_label(&self) -> String {
        format!("{}-root-wrapping", self.label_prefix)
    }

    /// The label of the root sealing key.
    pub fn sealing_key_label(&self) -> String {
        format!("{}-root-sealing", self.label_prefix)
    }

    /// The label of the session objects KMS key versions are loaded as.
    pub fn loaded_key_label(&self) -> String {
        format!("{}-loaded", self.label_prefix)
    }

    /// The label of the short-lived session object a new key version is generated as.
    pub fn generated_key_label(&self) -> String {
        format!("{}-generating", self.label_prefix)
    }

    pub(crate) fn check(&self) -> Result<(), Pkcs11Error> {
        if self.label_prefix.is_empty() {
            return Err(Pkcs11Error::config("the object label prefix is empty", "label_prefix"));
        }
        if self.key_cache_capacity == 0 {
            return Err(Pkcs11Error::config("the key cache must hold at least one key", "key_cache_capacity"));
        }
        if self.key_cache_capacity > MAX_KEY_CACHE {
            return Err(Pkcs11Error::config("the key cache holds at most 1024 keys", "key_cache_capacity"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[cfg(unix)]
    #[test]
    fn pin_file_drops_one_line_ending_and_refuses_empty() {
        let dir = std::env::temp_dir().join(format!("coffer-pin-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("pin");
        for (content, expected) in
            [("1234\n", Some("1234")), ("1234\r\n", Some("1234")), ("12 34", Some("12 34")), ("\n", None)]
        {
            std::fs::write(&path, content).unwrap();
            set_mode(&path, 0o600);
            let pin = Pin::from_file(&path);
            assert_eq!(pin.as_ref().ok().map(|p| p.secret().expose_secret().to_owned()).as_deref(), expected);
        }
        std::fs::write(&path, "1234").unwrap();
        for mode in [0o640, 0o604, 0o644, 0o620] {
            set_mode(&path, mode);
            let e = Pin::from_file(&path).unwrap_err();
            assert!(e.to_string().contains("accessible to other users"), "{mode:o}: {e}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
        let missing = Pin::from_file(&path).unwrap_err();
        assert!(missing.to_string().contains("PIN file unreadable"), "{missing}");
    }

    #[cfg(unix)]
    fn set_mode(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn debug_never_shows_the_pin() {
        let config = Pkcs11Config::new("token", Pin::new("s3cr3t-pin"));
        assert!(!format!("{config:?}").contains("s3cr3t"));
    }
}
