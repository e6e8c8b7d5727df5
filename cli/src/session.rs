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

/// What runs once the store's HSM is unlocked as independent instances, one per thread of
/// `coffer serve` (each thread owns its instance: no lock around HSM calls).
pub(crate) trait WithHsms {
    /// What it gives.
    type Output;

    /// Runs with the unlocked instances (at least one; each has found the root keys).
    ///
    /// # Errors
    /// Whatever the work fails with.
    fn run<H: Hsm + Send + 'static>(self, hsms: Vec<H>, session: &Session) -> Result<Self::Output, CliError>;
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
        self.unlock_with(work)
    }

    /// [`unlock`](Self::unlock) for a long-running process (`coffer serve`), with up to
    /// `instances` independent HSM instances; a PKCS#11 token is opened again when it goes away
    /// and comes back, so the server needs no restart. The soft backend gives as many, each importing the sealed root keys with
    /// a key-encryption key derived once (and zeroized). A PKCS#11 token gives one: a
    /// reconnecting session finalizes the module when the token comes back, which closes every
    /// other session of the process, so several could not reconnect independently.
    ///
    /// # Errors
    /// As [`unlock`](Self::unlock).
    pub(crate) fn unlock_instances<W: WithHsms>(&self, instances: usize, work: W) -> Result<W::Output, CliError> {
        let unlock_failed = |e: CliError| self.unlock_failed(e);
        match &self.config.backend {
            Backend::Soft { kdf, sealed_root_keys } => {
                let hsms = backend::open_soft_instances(kdf, sealed_root_keys, instances).map_err(unlock_failed)?;
                self.all_authenticated(hsms, work)
            }
            Backend::Pkcs11 { module, token, label_prefix } => {
                let hsm = backend::open_pkcs11_reconnecting(module, token, label_prefix).map_err(unlock_failed)?;
                self.all_authenticated(vec![hsm], work)
            }
        }
    }

    /// Records a wrong passphrase or PIN in the audit log.
    fn unlock_failed(&self, e: CliError) -> CliError {
        if e.class == Class::AccessDenied {
            let now = coffer_core::Clock::now(&self.clock).unwrap_or(0);
            audit::record_unlock_failure(&self.root, now, e.class.name());
        }
        e
    }

    fn all_authenticated<H: Hsm + Send + 'static, W: WithHsms>(
        &self,
        mut hsms: Vec<H>,
        work: W,
    ) -> Result<W::Output, CliError> {
        for hsm in &mut hsms {
            hsm.find_root_keys().map_err(|e| CliError::new(Class::KeyUnavailable, format!("the root keys: {e}")))?;
            self.config.verify(&self.root, hsm)?;
        }
        work.run(hsms, self)
    }

    fn unlock_with<W: WithHsm>(&self, work: W) -> Result<W::Output, CliError> {
        let unlock_failed = |e: CliError| self.unlock_failed(e);
        match &self.config.backend {
            Backend::Soft { kdf, sealed_root_keys } => {
                let hsm = backend::open_soft(kdf, sealed_root_keys).map_err(unlock_failed)?;
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
