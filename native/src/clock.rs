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
