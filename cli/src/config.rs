//! The store's `config.json`: which backend holds the root keys, and how to reach them.
//!
//! Written once by `coffer init` (atomically, under the store lock) and only read afterwards.
//! It holds nothing secret: the soft backend's root keys are sealed (AES-256-GCM) under a key
//! derived from the passphrase with Argon2id, whose parameters and salt are kept here so that
//! a store made with lowered test parameters says so. It does matter, though: it is read before
//! anything is authenticated, and a PKCS#11 store's names the library that is loaded, so it is
//! read only from a store no other user can write ([`crate::store::check_permissions`]), and
//! only absolute module paths are accepted.

use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use coffer_core::hsm::{ErrorKind, Hsm, HsmError as _, MAC_LEN, Mac};
use coffer_core::key::ArnPrefix;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Class, CliError};
use crate::store::CONFIG_FILE;

/// The format tag of `config.json`.
pub(crate) const FORMAT: &str = "coffer-store-1";
/// Default Argon2id memory cost: 64 MiB.
pub(crate) const DEFAULT_KDF_MEMORY_KIB: u32 = 64 * 1024;
/// Default Argon2id passes.
pub(crate) const DEFAULT_KDF_ITERATIONS: u32 = 3;
/// Default Argon2id lanes.
pub(crate) const DEFAULT_KDF_PARALLELISM: u32 = 1;
/// OWASP's minimum Argon2id memory cost: `init` refuses less without `--insecure-test-kdf`.
pub(crate) const MIN_KDF_MEMORY_KIB: u32 = 19 * 1024;
/// OWASP's minimum passes at that memory cost.
pub(crate) const MIN_KDF_ITERATIONS: u32 = 2;
/// The largest `config.json` read (one is under 1 KiB).
const MAX_CONFIG_LEN: usize = 64 * 1024;
/// The largest memory cost a store may ask for: 4 GiB.
pub(crate) const MAX_KDF_MEMORY_KIB: u32 = 4 * 1024 * 1024;
/// The most passes a store may ask for.
pub(crate) const MAX_KDF_ITERATIONS: u32 = 64;
/// The most lanes a store may ask for.
pub(crate) const MAX_KDF_PARALLELISM: u32 = 16;

/// `config.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoreConfig {
    /// Always [`FORMAT`].
    pub(crate) format: String,
    /// Partition, region and account of the ARNs.
    pub(crate) arn: ArnConfig,
    /// Where the root keys are.
    pub(crate) backend: Backend,
    /// Base64 of the HMAC-SHA-256, under the root sealing key, of [`CONFIG_MAC_DOMAIN`] and
    /// this file's JSON without this field: checked once the root keys are unlocked, so an
    /// edited ARN prefix, backend or KDF parameter is refused. Absent only while `init` writes
    /// it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) mac: Option<String>,
}

/// What the MAC of `config.json` covers before its JSON: separates it from every other input
/// the root sealing key MACs (sealed records begin `CFR1`).
const CONFIG_MAC_DOMAIN: &[u8] = b"CFC1 coffer config.json\0";

/// The ARN prefix, as text.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct ArnConfig {
    pub(crate) partition: String,
    pub(crate) region: String,
    pub(crate) account: String,
}

/// Where the root keys are.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub(crate) enum Backend {
    /// The software HSM, root keys sealed under a passphrase.
    Soft {
        /// How the key-encryption key is derived from the passphrase.
        kdf: KdfConfig,
        /// The root keys sealed under that key (base64 of 96 bytes, `SealedRootKeys`).
        sealed_root_keys: String,
    },
    /// A PKCS#11 token holding the root keys.
    Pkcs11 {
        /// The module (shared library) path.
        module: String,
        /// The token's label.
        token: String,
        /// The prefix of Coffer's object labels on the token.
        label_prefix: String,
    },
}

/// Argon2id parameters and salt.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct KdfConfig {
    /// Always `argon2id`.
    pub(crate) algorithm: String,
    /// Argon2 version (19 = 0x13).
    pub(crate) version: u32,
    pub(crate) memory_kib: u32,
    pub(crate) iterations: u32,
    pub(crate) parallelism: u32,
    /// Base64 of 16 random bytes.
    pub(crate) salt: String,
}

impl KdfConfig {
    /// New parameters with a fresh random salt.
    ///
    /// # Errors
    /// ValidationException for parameters Argon2 refuses, above the caps, or below OWASP's
    /// minimum without `insecure`; the OS generator failing.
    pub(crate) fn new(memory_kib: u32, iterations: u32, parallelism: u32, insecure: bool) -> Result<Self, CliError> {
        if !insecure && (memory_kib < MIN_KDF_MEMORY_KIB || iterations < MIN_KDF_ITERATIONS) {
            return Err(CliError::validation(format!(
                "Argon2id m={memory_kib} KiB t={iterations} is below the minimum (m={MIN_KDF_MEMORY_KIB} KiB, \
                 t={MIN_KDF_ITERATIONS}): give --insecure-test-kdf to make a store for tests with it"
            )));
        }
        Self::check_caps(memory_kib, iterations, parallelism).map_err(CliError::validation)?;
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| CliError::new(Class::Internal, format!("random generator: {e}")))?;
        let config = Self {
            algorithm: "argon2id".into(),
            version: 0x13,
            memory_kib,
            iterations,
            parallelism,
            salt: B64.encode(salt),
        };
        // The caller's values: a refusal is theirs (the same check on a stored file is not).
        config.params().map_err(|e| CliError::validation(e.message))?;
        if insecure && (memory_kib < MIN_KDF_MEMORY_KIB || iterations < MIN_KDF_ITERATIONS) {
            eprintln!(
                "warning: Argon2id m={memory_kib} KiB t={iterations} is below the minimum \
                 (m={MIN_KDF_MEMORY_KIB} KiB, t={MIN_KDF_ITERATIONS}): for tests only"
            );
        }
        Ok(config)
    }

    /// Refuses parameters that would hang the command or exhaust memory.
    fn check_caps(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<(), String> {
        if memory_kib > MAX_KDF_MEMORY_KIB || iterations > MAX_KDF_ITERATIONS || parallelism > MAX_KDF_PARALLELISM {
            return Err(format!(
                "Argon2id m={memory_kib} KiB t={iterations} p={parallelism} is above the limits \
                 (m={MAX_KDF_MEMORY_KIB} KiB, t={MAX_KDF_ITERATIONS}, p={MAX_KDF_PARALLELISM})"
            ));
        }
        Ok(())
    }

    fn params(&self) -> Result<Params, CliError> {
        if self.algorithm != "argon2id" || self.version != 0x13 {
            return Err(CliError::new(Class::Store, "config.json: unsupported KDF (only argon2id version 19)"));
        }
        Self::check_caps(self.memory_kib, self.iterations, self.parallelism)
            .map_err(|e| CliError::new(Class::Store, format!("config.json: {e}")))?;
        Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
            .map_err(|e| CliError::new(Class::Store, format!("config.json: Argon2id parameters refused: {e}")))
    }

    /// The 32-byte key-encryption key for `passphrase`.
    ///
    /// # Errors
    /// A malformed configuration; Argon2 failing (memory).
    pub(crate) fn derive(&self, passphrase: &[u8]) -> Result<Zeroizing<[u8; 32]>, CliError> {
        let params = self.params()?;
        let salt = Zeroizing::new(
            B64.decode(&self.salt)
                .map_err(|_| CliError::new(Class::Store, "config.json: the KDF salt is not base64"))?,
        );
        let mut kek = Zeroizing::new([0u8; 32]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(passphrase, &salt, kek.as_mut_slice())
            .map_err(|e| match e {
                // What the file says, not what the machine can do.
                argon2::Error::SaltTooShort | argon2::Error::SaltTooLong => {
                    CliError::new(Class::Store, format!("config.json: the KDF salt is refused: {e}"))
                }
                _ => CliError::new(Class::Internal, format!("Argon2id: {e}")),
            })?;
        Ok(kek)
    }
}

impl StoreConfig {
    /// The ARN prefix.
    ///
    /// # Errors
    /// StoreException for a malformed prefix.
    pub(crate) fn arn_prefix(&self) -> Result<ArnPrefix, CliError> {
        ArnPrefix::new(&self.arn.partition, &self.arn.region, &self.arn.account)
            .map_err(|e| CliError::new(Class::Store, format!("config.json: bad ARN prefix ({e:?})")))
    }

    /// Reads `config.json` of the store at `root`.
    ///
    /// # Errors
    /// StoreException if there is no store there or the file is malformed.
    pub(crate) fn load(root: &Path) -> Result<Self, CliError> {
        let path = root.join(CONFIG_FILE);
        if !root.exists() {
            return Err(CliError::new(
                Class::Store,
                format!("no key store at {} (run `coffer init`, or set --store / COFFER_HOME)", root.display()),
            ));
        }
        crate::store::check_permissions(root).map_err(|e| CliError::new(Class::Store, e))?;
        let text = match crate::store_file::read_bounded(&path, MAX_CONFIG_LEN) {
            Ok(Some(text)) => text,
            Ok(None) => {
                return Err(CliError::new(
                    Class::Store,
                    format!("no key store at {} (run `coffer init`, or set --store / COFFER_HOME)", root.display()),
                ));
            }
            Err(e) => return Err(CliError::new(Class::Store, e.describe(&path))),
        };
        let config: Self = serde_json::from_slice(&text)
            .map_err(|e| CliError::new(Class::Store, format!("{} is malformed: {e}", path.display())))?;
        if config.format != FORMAT {
            return Err(CliError::new(Class::Store, format!("{}: unknown format {:?}", path.display(), config.format)));
        }
        Ok(config)
    }

    fn signed_bytes(&self) -> Result<Vec<u8>, CliError> {
        let unsigned = Self { mac: None, ..self.clone() };
        let json =
            serde_json::to_vec(&unsigned).map_err(|e| CliError::new(Class::Internal, format!("config.json: {e}")))?;
        let mut bytes = CONFIG_MAC_DOMAIN.to_vec();
        bytes.extend_from_slice(&json);
        Ok(bytes)
    }

    /// Sets [`mac`](Self::mac) with the root sealing key of `hsm`.
    ///
    /// # Errors
    /// The HSM failing.
    pub(crate) fn seal<H: Hsm>(&mut self, hsm: &mut H) -> Result<(), CliError> {
        let mac = hsm
            .mac(&self.signed_bytes()?)
            .map_err(|e| CliError::new(Class::Internal, format!("cannot authenticate config.json: {e}")))?;
        self.mac = Some(B64.encode(mac.0));
        Ok(())
    }

    /// Checks [`mac`](Self::mac) with the root sealing key of `hsm`.
    ///
    /// # Errors
    /// CorruptRecordException naming `config.json` if the MAC is missing, malformed or wrong;
    /// the HSM failing.
    pub(crate) fn verify<H: Hsm>(&self, root: &Path, hsm: &mut H) -> Result<(), CliError> {
        let path = root.join(CONFIG_FILE);
        let corrupt = |why: &str| {
            CliError::new(
                Class::CorruptRecord,
                format!("{} {why}: the ARN prefix, backend or KDF parameters were edited", path.display()),
            )
        };
        let text = self.mac.as_deref().ok_or_else(|| corrupt("has no MAC"))?;
        let bytes = B64.decode(text).map_err(|_| corrupt("has a malformed MAC"))?;
        let mac = Mac(<[u8; MAC_LEN]>::try_from(bytes.as_slice()).map_err(|_| corrupt("has a malformed MAC"))?);
        match hsm.verify_mac(&self.signed_bytes()?, &mac) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::AuthenticationFailed => Err(corrupt("failed authentication")),
            Err(e) => Err(CliError::new(Class::Internal, format!("cannot authenticate config.json: {e}"))),
        }
    }

    /// The JSON text to write.
    ///
    /// # Errors
    /// Serialization failure (not expected).
    pub(crate) fn to_json(&self) -> Result<String, CliError> {
        serde_json::to_string_pretty(self)
            .map(|mut s| {
                s.push('\n');
                s
            })
            .map_err(|e| CliError::new(Class::Internal, format!("config.json: {e}")))
    }
}
