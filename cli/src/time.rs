//! Dates as the AWS CLI prints them (ISO 8601, UTC), and the clock the commands use.

use coffer_core::clock::{Clock, ClockError, SystemClock, Timestamp};

/// Environment variable that sets the clock (seconds since the Unix epoch, or an ISO 8601 UTC
/// date) instead of the system time, in test builds only.
///
/// It is honoured only when the crate is built with the `test-clock` feature, which is off by
/// default and which only the crate's own tests turn on (through a dev-dependency of the crate
/// on itself, so `cargo test -p coffer-cli` builds the binary with it while `cargo build` and
/// `cargo install` never do). A normal build refuses to run with it set: a clock moved forward
/// would destroy keys whose pending deletion has not elapsed, and back-date the audit log.
pub(crate) const ENV_NOW: &str = "COFFER_NOW";

/// Whether this build honours [`ENV_NOW`].
const HONOUR_ENV_NOW: bool = cfg!(feature = "test-clock");

/// The commands' clock: the system clock, or [`ENV_NOW`] when set in a test build.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CliClock(Option<Timestamp>);

impl CliClock {
    /// The clock.
    ///
    /// # Errors
    /// The message to report when [`ENV_NOW`] is set but unreadable, or set in a build that
    /// does not honour it.
    pub(crate) fn from_env() -> Result<Self, String> {
        Self::from_value(std::env::var(ENV_NOW), HONOUR_ENV_NOW)
    }

    fn from_value(value: Result<String, std::env::VarError>, honour: bool) -> Result<Self, String> {
        match value {
            Err(std::env::VarError::NotPresent) => Ok(Self(None)),
            Ok(_) | Err(std::env::VarError::NotUnicode(_)) if !honour => Err(format!(
                "{ENV_NOW} is set, but only test builds (the `test-clock` feature) take the clock from it: unset it"
            )),
            Ok(text) => parse(&text).map(|t| Self(Some(t))).ok_or_else(|| format!("{ENV_NOW} is not a date")),
            Err(std::env::VarError::NotUnicode(_)) => Err(format!("{ENV_NOW} is not a date")),
        }
    }
}

impl Clock for CliClock {
    fn now(&self) -> Result<Timestamp, ClockError> {
        match self.0 {
            Some(t) => Ok(t),
            None => SystemClock.now(),
        }
    }
}

/// How far the clock may be behind the store's last change (file times are the system's;
/// clocks of machines that share a store differ a little).
const CLOCK_SLACK: Timestamp = 300;

/// Refuses a clock earlier than the store's last change (the newest modification time of
/// `keys/`, `aliases/` and `config.json`, less [`CLOCK_SLACK`]): a clock set back would
/// back-date audit events and key dates. A clock set forward cannot be caught this way.
///
/// # Errors
/// The message to report.
pub(crate) fn check_not_before_store(root: &std::path::Path, clock: &CliClock) -> Result<(), String> {
    let Ok(now) = clock.now() else { return Ok(()) }; // reported by the command that needs it
    let newest = ["keys", "aliases", crate::store::CONFIG_FILE]
        .iter()
        .filter_map(|name| std::fs::metadata(root.join(name)).ok())
        .filter_map(|m| m.modified().ok())
        .filter_map(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .max();
    match newest {
        Some(newest) if now.saturating_add(CLOCK_SLACK) < newest => Err(format!(
            "the clock ({}) is earlier than the store's last change ({}): refusing to run on a clock set back",
            iso(now),
            iso(newest)
        )),
        _ => Ok(()),
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `2026-11-23T18:24:08+00:00`, as the AWS CLI v2 prints dates.
pub(crate) fn iso(t: Timestamp) -> String {
    let t = i64::try_from(t).unwrap_or(i64::MAX);
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+00:00", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// Seconds since the epoch, or an ISO 8601 UTC date: `2026-11-23`, `2026-11-23T18:24:08Z`,
/// `2026-11-23T18:24:08+00:00`.
pub(crate) fn parse(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    let (date, time) = match text.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let mut parts = date.splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let secs = match time {
        None => 0,
        Some(time) => {
            let time = time.strip_suffix('Z').or_else(|| time.strip_suffix("+00:00")).unwrap_or(time);
            let mut parts = time.splitn(3, ':');
            let h: i64 = parts.next()?.parse().ok()?;
            let mi: i64 = parts.next()?.parse().ok()?;
            let s: i64 = parts.next().map_or(Some(0), |s| s.parse().ok())?;
            if !(0..24).contains(&h) || !(0..60).contains(&mi) || !(0..61).contains(&s) {
                return None;
            }
            h * 3600 + mi * 60 + s
        }
    };
    let days = days_from_civil(y, m, d);
    let (y2, m2, d2) = civil_from_days(days);
    if (y2, m2, d2) != (y, m, d) {
        return None; // 31 February and the like
    }
    Timestamp::try_from(days * 86_400 + secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_override_needs_a_test_build() {
        use std::env::VarError;
        let refused = CliClock::from_value(Ok("2000-01-01".into()), false).unwrap_err();
        assert!(refused.contains("only test builds"), "{refused}");
        assert!(CliClock::from_value(Ok("someday".into()), false).is_err());
        assert!(CliClock::from_value(Err(VarError::NotPresent), false).unwrap().0.is_none());
        assert_eq!(CliClock::from_value(Ok("2000-01-01".into()), true).unwrap().0, Some(946_684_800));
        assert!(CliClock::from_value(Ok("someday".into()), true).is_err());
        // The feature is never on by default.
        let manifest = include_str!("../Cargo.toml");
        let default = manifest.lines().find(|l| l.trim_start().starts_with("default")).unwrap_or("");
        assert!(!default.contains("test-clock"), "{default}");
        assert!(manifest.contains("test-clock = []"));
    }

    #[test]
    fn known_dates_both_ways() {
        assert_eq!(iso(0), "1970-01-01T00:00:00+00:00");
        assert_eq!(iso(951_782_400), "2000-02-29T00:00:00+00:00");
        assert_eq!(iso(1_795_458_248), "2026-11-23T18:24:08+00:00");
        assert_eq!(parse("2026-11-23T18:24:08Z"), Some(1_795_458_248));
        assert_eq!(parse("2026-11-23T18:24:08+00:00"), Some(1_795_458_248));
        assert_eq!(parse("1795458248"), Some(1_795_458_248));
        assert_eq!(parse("2000-02-29"), Some(951_782_400));
        assert_eq!(parse("2001-02-29"), None);
        assert_eq!(parse("2026-13-01"), None);
        assert_eq!(parse("yesterday"), None);
        for t in [0, 86_399, 86_400, 4_102_444_800, 253_402_300_799] {
            assert_eq!(parse(&iso(t)), Some(t));
        }
    }
}
