//! Active expiry on a timer, the sans-IO way: the engine says when it next needs to run
//! ([`Engine::next_deadline`](hedgestore_core::Engine::next_deadline)); the store keeps one
//! `setTimeout` armed for that moment and calls `handle_timeout` when it fires.
//!
//! The timer is armed after writes (only a write can create a deadline) and re-armed after
//! each cycle, so a store with no TTLs has no timer at all. In Node and Deno the timer is
//! unreferenced: housekeeping never keeps a process alive. Lazy expiry (every read checks
//! the key's deadline) holds with or without the timer, so correctness never depends on it.

use std::cell::RefCell;
use std::rc::Weak;

use hedgestore_core::{Clock, Millis};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;

use super::State;
use crate::bindings::js;

/// The armed `setTimeout`, if any, and the callback it runs.
pub(crate) struct ExpiryTimer {
    callback: Closure<dyn FnMut()>,
    handle: Option<JsValue>,
    /// The deadline the armed timer is for.
    at: Option<Millis>,
}

impl ExpiryTimer {
    pub(crate) fn new(state: Weak<RefCell<State>>) -> Self {
        let callback = Closure::<dyn FnMut()>::new(move || {
            let Some(shared) = state.upgrade() else {
                return;
            };
            let Ok(mut state) = shared.try_borrow_mut() else {
                return;
            };
            if let Some(timer) = state.timer.as_mut() {
                timer.handle = None;
                timer.at = None;
            }
            let now = state.engine.clock().now();
            state.engine.handle_timeout(now);
            state.arm_timer();
            if state.engine.config().keyspace_events {
                state.queue_delivery();
            }
        });
        Self {
            callback,
            handle: None,
            at: None,
        }
    }
}

impl Drop for ExpiryTimer {
    fn drop(&mut self) {
        // The callback is freed with this struct: the host must never call it afterwards.
        if let Some(handle) = self.handle.take() {
            js::clear_timeout(&handle);
        }
    }
}

impl State {
    /// Makes sure a timer is armed no later than the engine's next deadline.
    pub(crate) fn arm_timer(&mut self) {
        let Some(timer) = self.timer.as_mut() else {
            return;
        };
        let Some(deadline) = self.engine.next_deadline() else {
            return;
        };
        if timer.at.is_some_and(|at| at <= deadline) {
            return;
        }
        if let Some(handle) = timer.handle.take() {
            js::clear_timeout(&handle);
        }
        let delay = deadline.saturating_sub(self.engine.clock().now());
        timer.handle = Some(js::set_timeout_unref(
            timer.callback.as_ref().unchecked_ref(),
            delay as f64,
        ));
        timer.at = Some(deadline);
    }
}
