//! [`Reconnecting`]: a [`Pkcs11Hsm`] that opens the token again after it went away.
//!
//! A long-running process (`coffer serve`) must not need a restart because the token was
//! unplugged, its daemon restarted, or its files moved away and back. When a call fails in a
//! way that says the token is gone, the session is dropped; the next call finalizes the module,
//! initializes it again (SoftHSMv2 reads its token directory only then), finds the token by
//! label, logs in and finds the root keys. Attempts that fail are spaced by a back-off that
//! doubles up to [`MAX_BACKOFF`]; calls in between fail at once as unavailable.

use crate::key_cache::Pkcs11Handle;
use crate::{Pkcs11Config, Pkcs11Error, Pkcs11Hsm, RootProtection, module};
use coffer_core::hsm::{Capabilities, ErrorKind, Hsm, HsmError, Mac, Nonce, RootKeyMaterial, Tag, WrappedKey};
use std::fmt;
use std::time::{Duration, Instant};

/// The wait after the first failed attempt to reopen the token.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// The longest wait between two attempts to reopen the token.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Where the connection is.
enum State {
    Open(Pkcs11Hsm),
    /// The token is unreachable: the next attempt to reopen it is at `retry_at`.
    Down {
        config: Pkcs11Config,
        retry_at: Instant,
        backoff: Duration,
    },
}

/// A [`Pkcs11Hsm`] that reconnects: see the module documentation.
///
/// It finalizes and initializes the module again when it reconnects, which closes every other
/// session of the process on that module: use it only in a process where it is the module's
/// one user (one instance, as `coffer serve` has).
pub struct Reconnecting {
    state: Option<State>,
    reconnects: u64,
}

impl Reconnecting {
    /// Opens the token and finds its root keys (which must be there).
    ///
    /// # Errors
    /// As [`Pkcs11Hsm::open`]; [`ErrorKind::RootKeysNotFound`] if the token has no root keys.
    pub fn open(config: Pkcs11Config) -> Result<Self, Pkcs11Error> {
        let mut hsm = Pkcs11Hsm::open(config)?;
        hsm.find_root_keys()?;
        Ok(Self { state: Some(State::Open(hsm)), reconnects: 0 })
    }

    /// How many times the token was opened again.
    pub const fn reconnects(&self) -> u64 {
        self.reconnects
    }

    /// The root keys' protection, while the token is open.
    pub fn root_protection(&self) -> Option<RootProtection> {
        match &self.state {
            Some(State::Open(hsm)) => hsm.root_protection(),
            _ => None,
        }
    }

    /// Runs `op` on the open token, reopening it first if it is down and its back-off is over.
    fn call<T>(&mut self, op: impl FnOnce(&mut Pkcs11Hsm) -> Result<T, Pkcs11Error>) -> Result<T, Pkcs11Error> {
        let state = match self.state.take() {
            Some(State::Down { config, retry_at, backoff }) => {
                if Instant::now() < retry_at {
                    self.state = Some(State::Down { config, retry_at, backoff });
                    return Err(unreachable());
                }
                match reopen(config) {
                    Ok(hsm) => {
                        self.reconnects = self.reconnects.saturating_add(1);
                        State::Open(hsm)
                    }
                    Err(failed) => {
                        let (config, e) = *failed;
                        let backoff = backoff.saturating_mul(2).min(MAX_BACKOFF);
                        self.state = Some(State::Down { config, retry_at: Instant::now() + backoff, backoff });
                        return Err(e);
                    }
                }
            }
            Some(State::Open(hsm)) => State::Open(hsm),
            // Only while a call runs; a panic in `op` would leave it so: report it unreachable.
            None => return Err(unreachable()),
        };
        let State::Open(mut hsm) = state else { return Err(unreachable()) };
        let result = op(&mut hsm);
        match &result {
            Err(e) if token_gone(e) => {
                // The next call tries at once; later failures back off.
                let config = hsm.into_config();
                self.state = Some(State::Down { config, retry_at: Instant::now(), backoff: FIRST_BACKOFF / 2 });
            }
            _ => self.state = Some(State::Open(hsm)),
        }
        result
    }
}

/// Finalizes and initializes the module, then opens the token and finds its root keys.
fn reopen(config: Pkcs11Config) -> Result<Pkcs11Hsm, Box<(Pkcs11Config, Pkcs11Error)>> {
    if let Err(e) = module::reinitialize(&config.module) {
        return Err(Box::new((config, e)));
    }
    let mut hsm = Pkcs11Hsm::open_or_give_back(config)?;
    match hsm.find_root_keys() {
        Ok(()) => Ok(hsm),
        Err(e) => Err(Box::new((hsm.into_config(), e))),
    }
}

/// True for the failures after which the session cannot be trusted to work again: the module,
/// token, session or login is gone, the token failed, or the root keys are not found (a
/// token whose directory went away lists no objects; if they are really gone, reopening costs
/// one attempt per back-off period).
fn token_gone(e: &Pkcs11Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Unavailable
            | ErrorKind::SessionClosed
            | ErrorKind::NotLoggedIn
            | ErrorKind::Device
            | ErrorKind::RootKeysNotFound
    )
}

const fn unreachable() -> Pkcs11Error {
    Pkcs11Error::text(ErrorKind::Unavailable, "the token is unreachable; Coffer is reopening it with a back-off")
}

impl Hsm for Reconnecting {
    type Handle = Pkcs11Handle;
    type Error = Pkcs11Error;

    fn capabilities(&self) -> Capabilities {
        match &self.state {
            Some(State::Open(hsm)) => hsm.capabilities(),
            // What an open instance reports: it is a constant of the backend.
            _ => Pkcs11Hsm::CAPABILITIES,
        }
    }
    fn fill_random(&mut self, dest: &mut [u8]) -> Result<(), Pkcs11Error> {
        self.call(|hsm| hsm.fill_random(dest))
    }
    fn find_root_keys(&mut self) -> Result<(), Pkcs11Error> {
        self.call(Hsm::find_root_keys)
    }
    fn create_root_keys(&mut self) -> Result<(), Pkcs11Error> {
        self.call(Hsm::create_root_keys)
    }
    fn generate_key(&mut self) -> Result<WrappedKey, Pkcs11Error> {
        self.call(Hsm::generate_key)
    }
    fn load_key(&mut self, wrapped: &WrappedKey) -> Result<Pkcs11Handle, Pkcs11Error> {
        self.call(|hsm| hsm.load_key(wrapped))
    }
    fn release_key(&mut self, key: Pkcs11Handle) -> Result<(), Pkcs11Error> {
        self.call(|hsm| hsm.release_key(key))
    }
    fn seal(&mut self, key: Pkcs11Handle, aad: &[u8], buf: &mut [u8]) -> Result<(Nonce, Tag), Pkcs11Error> {
        self.call(|hsm| hsm.seal(key, aad, buf))
    }
    fn open(
        &mut self,
        key: Pkcs11Handle,
        nonce: &Nonce,
        aad: &[u8],
        buf: &mut [u8],
        tag: &Tag,
    ) -> Result<(), Pkcs11Error> {
        self.call(|hsm| hsm.open(key, nonce, aad, buf, tag))
    }
    fn mac(&mut self, data: &[u8]) -> Result<Mac, Pkcs11Error> {
        self.call(|hsm| hsm.mac(data))
    }
    fn verify_mac(&mut self, data: &[u8], mac: &Mac) -> Result<(), Pkcs11Error> {
        self.call(|hsm| hsm.verify_mac(data, mac))
    }
}

impl Reconnecting {
    /// As [`Pkcs11Hsm::import_root_keys`].
    ///
    /// # Errors
    /// As [`Pkcs11Hsm::import_root_keys`].
    pub fn import_root_keys(&mut self, material: &RootKeyMaterial) -> Result<(), Pkcs11Error> {
        self.call(|hsm| hsm.import_root_keys(material))
    }
}

impl fmt::Debug for Reconnecting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            Some(State::Open(hsm)) => format!("{hsm:?}"),
            Some(State::Down { backoff, .. }) => format!("down (back-off {backoff:?})"),
            None => "in a call".into(),
        };
        f.debug_struct("Reconnecting").field("state", &state).field("reconnects", &self.reconnects).finish()
    }
}
