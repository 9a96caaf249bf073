//! The simulator's virtual clock: the wall clock plus an offset that tests advance.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::macros::format_description;
use time::OffsetDateTime;

/// Maximum offset the clock accepts, in seconds (about 1,000 years), so that every
/// virtual time still formats as a four-digit year.
const MAX_OFFSET_SECS: i64 = 1_000 * 365 * 24 * 3600;

/// Wall-clock time shifted forward by the sum of all calls to [`VirtualClock::advance`].
#[derive(Debug, Default)]
pub(crate) struct VirtualClock {
    offset_secs: AtomicI64,
}

impl VirtualClock {
    /// Returns the virtual time as Unix seconds.
    pub(crate) fn now_unix(&self) -> i64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs() as i64)
            .unwrap_or(0);
        wall + self.offset_secs.load(Ordering::Relaxed)
    }

    /// Moves the virtual time forward, saturating at about 1,000 years.
    pub(crate) fn advance(&self, by: Duration) {
        let by_secs = i64::try_from(by.as_secs()).unwrap_or(MAX_OFFSET_SECS);
        let _ = self
            .offset_secs
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |offset| {
                Some(offset.saturating_add(by_secs).min(MAX_OFFSET_SECS))
            });
    }
}

/// Formats Unix seconds as ISO 8601 UTC to the second, such as `2017-07-05T17:20:52Z`.
pub(crate) fn format_timestamp(unix_secs: i64) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    OffsetDateTime::from_unix_timestamp(unix_secs)
        .ok()
        .and_then(|time| time.format(&format).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

/// Formats Unix seconds as the calendar date in UTC, such as `2017-07-05`.
pub(crate) fn format_date(unix_secs: i64) -> String {
    let format = format_description!("[year]-[month]-[day]");
    OffsetDateTime::from_unix_timestamp(unix_secs)
        .ok()
        .and_then(|time| time.format(&format).ok())
        .unwrap_or_else(|| "1970-01-01".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_format_matches_firehose() {
        assert_eq!(format_timestamp(1_499_275_252), "2017-07-05T17:20:52Z");
    }

    #[test]
    fn date_format_is_calendar_date() {
        assert_eq!(format_date(1_499_275_252), "2017-07-05");
    }

    #[test]
    fn advance_moves_clock_forward() {
        let clock = VirtualClock::default();
        let before = clock.now_unix();
        clock.advance(Duration::from_secs(72 * 3600));
        let after = clock.now_unix();
        assert!(
            after - before >= 72 * 3600,
            "clock moved by {}",
            after - before
        );
    }

    #[test]
    fn advance_saturates_on_huge_duration() {
        let clock = VirtualClock::default();
        clock.advance(Duration::MAX);
        clock.advance(Duration::MAX);
        assert_eq!(format_timestamp(clock.now_unix()).len(), 20);
    }
}
