//! How long the store waits for the database.

use core::time::Duration;

/// The store's deadlines. Every call of the store ends within about
/// `connect_timeout + call_timeout`, whatever the database does (stopped, unreachable, or
/// holding a lock): past that it fails with [`PgErrorKind::Unavailable`](crate::PgErrorKind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgSettings {
    /// How long making a connection may take (socket, TLS-less start-up, authentication).
    pub connect_timeout: Duration,
    /// How long one call may take once connected, enforced by the client (a timer that drops
    /// the connection) and by the server (`statement_timeout`, `lock_timeout`, so that it
    /// abandons the statement too).
    pub call_timeout: Duration,
}

impl PgSettings {
    /// 5 s to connect, 10 s per call.
    pub const DEFAULT: Self = Self { connect_timeout: Duration::from_secs(5), call_timeout: Duration::from_secs(10) };
}

impl Default for PgSettings {
    fn default() -> Self {
        Self::DEFAULT
    }
}
