//! `JsClock`: the engine's time in a JavaScript host.
//!
//! Anchored once to the wall clock (`Date.now()`, so absolute expiries such as `EXPIREAT`
//! mean what they say) and advanced by the monotonic `performance.now()`, so a wall clock
//! that steps backwards (NTP, the user changing the time) cannot resurrect expired keys or
//! make TTLs jump. Where `performance` is missing it reads `Date.now()` and clamps it so it
//! never goes backwards.
//!
//! A store can instead be given a clock function (`new MemoryStore({ clock })`): tests and
//! simulations (replaying a trading day, say) then move time themselves and expiry follows
//! without sleeping. Its readings are clamped to be monotonic too; a reading that is not a
//! finite number (or a clock that throws) keeps the previous time.

use std::cell::Cell;
use std::rc::Rc;

use hedgestore_core::{Clock, Millis};
use js_sys::Function;
use wasm_bindgen::JsValue;

use super::js::{self, Performance};

enum Source {
    /// `anchor + performance.now()`, where `anchor = Date.now() - performance.now()` at start.
    Monotonic {
        performance: Performance,
        anchor: f64,
    },
    /// `Date.now()`.
    Wall,
    /// A function supplied by the user.
    Custom(Function),
}

/// The clock of a `MemoryStore`; clones share the same source and reading.
#[derive(Clone)]
pub struct JsClock {
    source: Rc<Source>,
    last: Rc<Cell<Millis>>,
    /// Inside [`JsClock::one_reading`]: `Some(None)` until the first reading, then that
    /// reading.
    held: Rc<Cell<Option<Option<Millis>>>>,
}

impl JsClock {
    /// The host's clock: `Date.now()`-anchored, `performance.now()`-advanced.
    pub fn system() -> Self {
        let source = match js::performance() {
            Some(performance) => {
                let anchor = js_sys::Date::now() - performance.now();
                Source::Monotonic {
                    performance,
                    anchor,
                }
            }
            None => Source::Wall,
        };
        Self::with_source(source)
    }

    /// A clock that calls `f()` for milliseconds since the Unix epoch.
    pub fn custom(f: Function) -> Self {
        Self::with_source(Source::Custom(f))
    }

    /// Whether this clock was supplied by the user (then timers, which run on real time,
    /// are off by default).
    pub fn is_custom(&self) -> bool {
        matches!(*self.source, Source::Custom(_))
    }

    fn with_source(source: Source) -> Self {
        let clock = Self {
            source: Rc::new(source),
            last: Rc::new(Cell::new(0)),
            held: Rc::new(Cell::new(None)),
        };
        clock.now();
        clock
    }

    /// Runs `f` with at most one reading of the host's clock, however often the engine asks
    /// for the time meanwhile (a `SET … PX` of a key with a TTL asks twice): Redis too takes
    /// one time per command. A reading costs about 50 ns in Node, a fifth of a `set`. Custom
    /// clocks are read every time, as before (a simulation may count on it).
    pub fn one_reading<R>(&self, f: impl FnOnce() -> R) -> R {
        if self.is_custom() {
            return f();
        }
        self.held.set(Some(None));
        let r = f();
        self.held.set(None);
        r
    }

    fn read(&self) -> Option<f64> {
        let ms = match &*self.source {
            Source::Monotonic {
                performance,
                anchor,
            } => anchor + performance.now(),
            Source::Wall => js_sys::Date::now(),
            Source::Custom(f) => f.call0(&JsValue::UNDEFINED).ok()?.as_f64()?,
        };
        (ms.is_finite() && ms >= 0.0).then_some(ms)
    }
}

impl Clock for JsClock {
    fn now(&self) -> Millis {
        if let Some(Some(now)) = self.held.get() {
            return now;
        }
        let last = self.last.get();
        let now = match self.read() {
            Some(ms) => (ms.floor() as Millis).max(last),
            None => last,
        };
        self.last.set(now);
        if self.held.get().is_some() {
            self.held.set(Some(Some(now)));
        }
        now
    }
}
