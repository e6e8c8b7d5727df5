//! Time. `no_std` has no source of time, so the caller supplies one.
//!
//! Time drives rotation due dates and deletion windows only; nothing cryptographic depends on it.

use core::cell::Cell;
use core::fmt;

/// Seconds since the Unix epoch (UTC), the unit of AWS KMS dates.
pub type Timestamp = u64;

/// Seconds in a day, the unit of deletion windows and rotation periods.
pub const SECONDS_PER_DAY: u64 = 86_400;

/// The clock could not tell the time (for instance, an RTC that was never set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockError;

impl fmt::Display for ClockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the clock could not tell the time")
    }
}

impl core::error::Error for ClockError {}

/// A source of wall-clock time.
pub trait Clock {
    /// The current time.
    ///
    /// # Errors
    /// [`ClockError`] if the time is unknown.
    fn now(&self) -> Result<Timestamp, ClockError>;
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Result<Timestamp, ClockError> {
        (**self).now()
    }
}

/// A clock set by hand: for devices that learn the time from elsewhere, and for tests.
#[derive(Debug, Default)]
pub struct ManualClock {
    now: Cell<Timestamp>,
}

impl ManualClock {
    /// A clock showing `now`.
    pub const fn new(now: Timestamp) -> Self {
        Self { now: Cell::new(now) }
    }

    /// Sets the time (it may go backwards: the caller decides).
    pub fn set(&self, now: Timestamp) {
        self.now.set(now);
    }

    /// Moves the time forward by `seconds`, saturating.
    pub fn advance(&self, seconds: u64) {
        self.now.set(self.now.get().saturating_add(seconds));
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Result<Timestamp, ClockError> {
        Ok(self.now.get())
    }
}

/// The operating system's clock.
#[cfg(feature = "std")]
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

#[cfg(feature = "std")]
impl Clock for SystemClock {
    fn now(&self) -> Result<Timestamp, ClockError> {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).map_err(|_| ClockError)
    }
}
