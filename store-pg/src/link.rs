//! The one connection of a store: made on first use, made again after it is lost, and every
//! call on it bounded by a deadline.
//!
//! `tokio-postgres` is driven by a private current-thread runtime, as the synchronous `postgres`
//! crate drives it; doing it here rather than through `postgres` is what lets each call run
//! under a client-side timer ([`tokio::time::timeout`]). A server-side `statement_timeout`
//! alone cannot end a call whose server is stopped or unreachable, and `postgres` offers no
//! deadline of its own.

use core::time::Duration;

use tokio::runtime::Runtime;
use tokio_postgres::{Client, Config, NoTls};

use crate::error::{PgErrorKind, PgStoreError};
use crate::settings::PgSettings;

/// A connection string, settings, and the connection when there is one.
pub(crate) struct Link {
    runtime: Runtime,
    config: Config,
    settings: PgSettings,
    client: Option<Client>,
}

impl core::fmt::Debug for Link {
    // The configuration holds the password: never printed.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Link").field("settings", &self.settings).field("connected", &self.client.is_some()).finish()
    }
}

impl Link {
    /// Parses `url` (a `postgres://` URL or `key=value` pairs, as libpq takes them) and adds the
    /// server-side timeouts. Connects nothing.
    pub(crate) fn new(url: &str, settings: PgSettings) -> Result<Self, PgStoreError> {
        let mut config: Config = url
            .parse()
            .map_err(|e| PgStoreError::new(PgErrorKind::Config, format!("the database URL does not parse: {e}")))?;
        if config.get_hosts().is_empty() {
            return Err(PgStoreError::new(PgErrorKind::Config, "the database URL names no host (or socket directory)"));
        }
        let ms = millis(settings.call_timeout);
        // The server gives up on a statement, a lock wait or an abandoned transaction by itself
        // too, so that a client that timed out leaves nothing running or locked behind it.
        let ours =
            format!("-c statement_timeout={ms} -c lock_timeout={ms} -c idle_in_transaction_session_timeout={ms}");
        let options = match config.get_options() {
            Some(theirs) if !theirs.is_empty() => format!("{theirs} {ours}"),
            _ => ours,
        };
        config.options(options);
        config.connect_timeout(settings.connect_timeout);
        if config.get_application_name().is_none() {
            config.application_name("coffer");
        }
        let runtime = tokio::runtime::Builder::new_current_thread().enable_io().enable_time().build().map_err(|e| {
            PgStoreError::new(PgErrorKind::Unavailable, format!("cannot start the database client's runtime: {e}"))
        })?;
        Ok(Self { runtime, config, settings, client: None })
    }

    /// Runs `call` on the connection (made first if there is none) within the call deadline.
    /// A lost connection, or one that ran past the deadline, is dropped: the next call makes a
    /// new one. `what` names the operation in errors.
    pub(crate) fn run<T>(
        &mut self,
        what: &str,
        call: impl AsyncFnOnce(&mut Client) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, PgStoreError> {
        self.drop_if_closed();
        if self.client.is_none() {
            self.connect(what)?;
        }
        let Self { runtime, client, settings, .. } = self;
        let Some(live) = client.as_mut() else {
            return Err(PgStoreError::new(PgErrorKind::Unavailable, format!("{what}: not connected")));
        };
        let deadline = settings.call_timeout;
        match runtime.block_on(async { tokio::time::timeout(deadline, call(live)).await }) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => {
                let (error, lost) = PgStoreError::from_client(what, &e);
                if lost {
                    *client = None;
                }
                Err(error)
            }
            Err(_) => {
                // The statement may still be running or the server stopped: the connection is
                // in an unknown state, so it goes (the server's own timeouts end the statement).
                *client = None;
                Err(PgStoreError::new(
                    PgErrorKind::Unavailable,
                    format!("{what}: no answer from the database within {deadline:?}"),
                ))
            }
        }
    }

    /// Forgets the connection if its task has seen it close (the server restarted or went away
    /// while the store was idle), so that the next call reconnects instead of failing on it.
    fn drop_if_closed(&mut self) {
        if self.client.is_none() {
            return;
        }
        // Lets the connection's task read what arrived while idle (a shutdown notice, the end
        // of the stream): tokio wakes a yielded task only after polling for I/O.
        self.runtime.block_on(tokio::task::yield_now());
        if self.client.as_ref().is_some_and(Client::is_closed) {
            self.client = None;
        }
    }

    fn connect(&mut self, what: &str) -> Result<(), PgStoreError> {
        let deadline = self.settings.connect_timeout;
        let config = &self.config;
        match self.runtime.block_on(async { tokio::time::timeout(deadline, config.connect(NoTls)).await }) {
            Ok(Ok((client, connection))) => {
                // Driven whenever the runtime runs, that is during each call.
                drop(self.runtime.spawn(async move {
                    let _ = connection.await;
                }));
                self.client = Some(client);
                Ok(())
            }
            Ok(Err(e)) => {
                let (error, _) = PgStoreError::from_client(&format!("{what}: connecting"), &e);
                // A refused log-in is the operator's to fix; anything else here is the database
                // being out of reach.
                let kind = match error.pg_kind() {
                    PgErrorKind::Refused | PgErrorKind::Schema => PgErrorKind::Refused,
                    _ => PgErrorKind::Unavailable,
                };
                Err(PgStoreError::new(kind, error.to_string()))
            }
            Err(_) => Err(PgStoreError::new(
                PgErrorKind::Unavailable,
                format!("{what}: cannot connect to the database within {deadline:?}"),
            )),
        }
    }
}

/// A duration in whole milliseconds, at least 1 (0 would mean "no timeout" to the server).
fn millis(d: Duration) -> u128 {
    d.as_millis().max(1)
}
