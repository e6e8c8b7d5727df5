//! The one way a command that uses the root keys starts: read `config.json` (from a store no
//! other user can write), check the clock, unlock the HSM, find the root keys and check
//! `config.json`'s MAC under them. The key commands, `coffer serve` and `coffer access-key
//! create` all go through [`Session::unlock`], so none can act on an edited configuration.
//!
//! The HSM's type depends on the store's backend, so what runs with it is a [`WithHsm`], whose
//! method is generic over the HSM (a closure cannot be).

use std::path::{Path, PathBuf};

use coffer_core::hsm::Hsm;

use crate::audit;
use crate::backend;
use crate::config::{Backend, StoreConfig};
use crate::error::{Class, CliError};
use crate::time::{self, CliClock};

/// What runs once the store's HSM is unlocked and `config.json` is authenticated.
pub(crate) trait WithHsm {
    /// What it gives.
    type Output;

    /// Runs with the unlocked HSM.
    ///
    /// # Errors
    /// Whatever the work fails with.
    fn run<H: Hsm>(self, hsm: H, session: &Session) -> Result<Self::Output, CliError>;
}

/// A store about to be used: its configuration read (not yet authenticated) and its clock.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// The store directory.
    pub(crate) root: PathBuf,
    /// `config.json`, authenticated only inside [`unlock`](Self::unlock).
    pub(crate) config: StoreConfig,
    /// The commands' clock, checked not to be behind the store.
    pub(crate) clock: CliClock,
}

impl Session {
    /// Reads the store's configuration and checks the clock.
    ///
    /// # Errors
    /// StoreException for no store or a store others can write; ValidationException for an
    /// unreadable `COFFER_NOW`; KMSInternalException for a clock behind the store.
    pub(crate) fn open(root: &Path) -> Result<Self, CliError> {
        let config = StoreConfig::load(root)?;
        let clock = CliClock::from_env().map_err(CliError::validation)?;
        time::check_not_before_store(root, &clock).map_err(|e| CliError::new(Class::Internal, e))?;
        Ok(Self { root: root.to_path_buf(), config, clock })
    }

    /// Unlocks the HSM (asking for the passphrase or the PIN), finds the root keys, checks the
    /// MAC of `config.json` under them, then runs `work`. A wrong passphrase or PIN is
    /// recorded in the audit log.
    ///
    /// # Errors
    /// AccessDeniedException for a wrong secret; KeyUnavailableException without root keys;
    /// CorruptRecordException for an edited `config.json`; what `work` fails with.
    pub(crate) fn unlock<W: WithHsm>(&self, work: W) -> Result<W::Output, CliError> {
        self.unlock_with(work, false)
    }

    /// [`unlock`](Self::unlock) for a long-running process (`coffer serve`): a PKCS#11 token is
    /// opened again when it goes away and comes back, so the server needs no restart.
    ///
    /// # Errors
    /// As [`unlock`](Self::unlock).
    pub(crate) fn unlock_reconnecting<W: WithHsm>(&self, work: W) -> Result<W::Output, CliError> {
        self.unlock_with(work, true)
    }

    fn unlock_with<W: WithHsm>(&self, work: W, reconnect: bool) -> Result<W::Output, CliError> {
        let unlock_failed = |e: CliError| {
            if e.class == Class::AccessDenied {
                let now = coffer_core::Clock::now(&self.clock).unwrap_or(0);
                audit::record_unlock_failure(&self.root, now, e.class.name());
            }
            e
        };
        match &self.config.backend {
            Backend::Soft { kdf, sealed_root_keys } => {
                let hsm = backend::open_soft(kdf, sealed_root_keys).map_err(unlock_failed)?;
                self.authenticated(hsm, work)
            }
            Backend::Pkcs11 { module, token, label_prefix } if reconnect => {
                let hsm = backend::open_pkcs11_reconnecting(module, token, label_prefix).map_err(unlock_failed)?;
                self.authenticated(hsm, work)
            }
            Backend::Pkcs11 { module, token, label_prefix } => {
                let hsm = backend::open_pkcs11(module, token, label_prefix).map_err(unlock_failed)?;
                self.authenticated(hsm, work)
            }
        }
    }

    fn authenticated<H: Hsm, W: WithHsm>(&self, mut hsm: H, work: W) -> Result<W::Output, CliError> {
        hsm.find_root_keys().map_err(|e| CliError::new(Class::KeyUnavailable, format!("the root keys: {e}")))?;
        self.config.verify(&self.root, &mut hsm)?;
        work.run(hsm, self)
    }
}
