//! Time, as the host tells it.
//!
//! The engine never reads a real clock: every operation asks the [`Clock`] it was built with.
//! That is what makes expiry testable to the millisecond ([`ManualClock`]) and what lets the
//! same engine run on a server (`SystemClock` in `hedgestore-native`), in a browser (`JsClock`
//! in `hedgestore-wasm`) or on a microcontroller.

use alloc::sync::Arc;

/// Milliseconds on the Unix-epoch scale.
///
/// Absolute expiry commands (`EXPIREAT`, `SET … PXAT`) are Unix timestamps, so clocks report
/// time on that scale. Hosts must never let it go backwards (clamp a wall clock that steps back).
pub type Millis = u64;

/// A source of monotonic milliseconds on the Unix-epoch scale.
pub trait Clock {
    /// The current time. Successive calls never decrease.
    fn now(&self) -> Millis;
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Millis {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Millis {
        (**self).now()
    }
}

/// A clock that moves only when told to; clones share the same time.
///
/// Tests hand one clone to the engine and keep another to [`advance`](ManualClock::advance)
/// it, so TTL tests never sleep.
#[derive(Clone, Debug, Default)]
pub struct ManualClock {
    // A spin mutex rather than an `AtomicU64`: 64-bit atomics are missing on some of the
    // 32-bit targets this crate builds for (thumbv7em), and contention here is test-only.
    now: Arc<spin::Mutex<Millis>>,
}

impl ManualClock {
    /// A clock that reads `start` until moved.
    pub fn new(start: Millis) -> Self {
        Self {
            now: Arc::new(spin::Mutex::new(start)),
        }
    }

    /// Moves time forward by `ms` (saturating).
    pub fn advance(&self, ms: Millis) {
        let mut now = self.now.lock();
        *now = now.saturating_add(ms);
    }

    /// Sets the time to `to`. Panics if that would move time backwards, which a monotonic
    /// clock must never do.
    pub fn set(&self, to: Millis) {
        let mut now = self.now.lock();
        assert!(
            to >= *now,
            "ManualClock cannot go backwards ({} -> {to})",
            *now
        );
        *now = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Millis {
        *self.now.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_time() {
        let a = ManualClock::new(5);
        let b = a.clone();
        b.advance(10);
        assert_eq!(a.now(), 15);
        a.set(20);
        assert_eq!(b.now(), 20);
    }

    #[test]
    #[should_panic(expected = "cannot go backwards")]
    fn manual_clock_refuses_to_go_backwards() {
        ManualClock::new(10).set(9);
    }
}
