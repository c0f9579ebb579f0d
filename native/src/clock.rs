//! The clock native storage gives the engine.

use std::time::{SystemTime, UNIX_EPOCH};

use hedgestore_core::{Clock, Millis};
use tokio::time::Instant;

/// Unix-epoch milliseconds that never go backwards: the wall clock read once at creation,
/// advanced by tokio's monotonic [`Instant`].
///
/// Two properties follow. Expiry is immune to wall-clock steps (NTP corrections, a manual
/// change) while the storage runs; and tests that pause tokio's time
/// (`#[tokio::test(start_paused = true)]`, `tokio::time::advance`) move this clock too, so
/// TTL tests run in no real time.
#[derive(Debug, Clone)]
pub struct SystemClock {
    base_unix_ms: Millis,
    base: Instant,
}

impl SystemClock {
    /// A clock anchored at the current wall time.
    pub fn new() -> Self {
        let base_unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as Millis)
            .unwrap_or(0);
        Self {
            base_unix_ms,
            base: Instant::now(),
        }
    }

    /// The instant at which this clock will read `at` (for sleeping until a deadline).
    pub fn instant_at(&self, at: Millis) -> Instant {
        self.base + std::time::Duration::from_millis(at.saturating_sub(self.base_unix_ms))
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Millis {
        self.base_unix_ms + self.base.elapsed().as_millis() as Millis
    }
}

/// The one rule every backend uses to turn a TTL or timeout `Duration` into milliseconds:
/// rounded **up** to a whole millisecond, so any non-zero duration is at least 1 ms (500 µs
/// is 1 ms everywhere, never 0 on one backend and 1 on another), saturating at `i64::MAX`.
/// Zero stays 0, which every backend rejects as a TTL, as Redis does (`invalid expire time`).
pub(crate) fn duration_millis(d: std::time::Duration) -> i64 {
    let whole = d.as_millis() + u128::from(d.subsec_nanos() % 1_000_000 != 0);
    i64::try_from(whole).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod duration_tests {
    use super::duration_millis;
    use std::time::Duration;

    #[test]
    fn durations_round_up_to_at_least_one_millisecond() {
        assert_eq!(duration_millis(Duration::ZERO), 0);
        assert_eq!(duration_millis(Duration::from_micros(500)), 1);
        assert_eq!(duration_millis(Duration::from_millis(1)), 1);
        assert_eq!(duration_millis(Duration::from_micros(1_001)), 2);
        assert_eq!(duration_millis(Duration::from_secs(5)), 5_000);
        assert_eq!(duration_millis(Duration::MAX), i64::MAX);
    }
}
