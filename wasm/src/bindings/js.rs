//! The few host APIs the bindings use, declared by hand.
//!
//! `web-sys` would bring these too, but it is large and browser-shaped; everything here is
//! looked up on `globalThis`, so one build runs in pages, workers, Node and Deno. (The HTTP
//! side, `fetch` and its streams, is JavaScript: `js/remote.js`.)

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// `performance` (High Resolution Time).
    pub type Performance;

    /// `performance.now()`: milliseconds since the time origin, monotonic.
    #[wasm_bindgen(method)]
    pub fn now(this: &Performance) -> f64;

    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout_raw(handler: &Function, ms: f64) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout_raw(id: &JsValue);

    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask_raw(callback: &Function);
}

/// A property of `globalThis`, if it exists and is not `undefined`/`null`.
pub fn global(name: &str) -> Option<JsValue> {
    Reflect::get(&js_sys::global(), &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// `globalThis.performance`, where the host has it.
pub fn performance() -> Option<Performance> {
    let p = global("performance")?;
    let now = Reflect::get(&p, &JsValue::from_str("now")).ok()?;
    now.is_function().then(|| p.unchecked_into())
}

/// Whether timers exist (they do in every host this package targets; a stripped-down
/// embedding may lack them, and then expiry stays lazy).
pub fn has_timers() -> bool {
    global("setTimeout").is_some_and(|f| f.is_function())
}

/// `setTimeout(handler, ms)`, not keeping a Node or Deno process alive for its sake:
/// expiry housekeeping must never stop a program from exiting.
pub fn set_timeout_unref(handler: &Function, ms: f64) -> JsValue {
    let id = set_timeout_raw(handler, ms);
    if let Ok(unref) = Reflect::get(&id, &JsValue::from_str("unref")) {
        if let Some(unref) = unref.dyn_ref::<Function>() {
            // Node: a Timeout object.
            let _ = unref.call0(&id);
            return id;
        }
    }
    if let Some(deno) = global("Deno") {
        if let Ok(unref) = Reflect::get(&deno, &JsValue::from_str("unrefTimer")) {
            if let Some(unref) = unref.dyn_ref::<Function>() {
                let _ = unref.call1(&deno, &id);
            }
        }
    }
    id
}

/// `clearTimeout(id)`.
pub fn clear_timeout(id: &JsValue) {
    clear_timeout_raw(id)
}

/// `queueMicrotask(callback)` (every targeted host has it).
pub fn queue_microtask(callback: &Function) {
    queue_microtask_raw(callback);
}

/// Reports an exception thrown by a user callback without interrupting the caller: with
/// `reportError` where the host has it (browsers, Deno, workers: it reaches the global
/// `error` event and the console), else on the console.
pub fn report_error(error: &JsValue) {
    if let Some(report) = global("reportError").and_then(|f| f.dyn_into::<Function>().ok()) {
        if report.call1(&JsValue::UNDEFINED, error).is_ok() {
            return;
        }
    }
    if let Some(console) = global("console") {
        if let Ok(log) = Reflect::get(&console, &JsValue::from_str("error")) {
            if let Some(log) = log.dyn_ref::<Function>() {
                let _ = log.call1(&console, error);
            }
        }
    }
}

/// `obj[name]`, with `undefined` for anything that cannot be read.
pub fn get(obj: &JsValue, name: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// Sets `obj[name] = value` on an object this crate created (cannot fail).
pub fn set(obj: &Object, name: &'static str, value: &JsValue) {
    let _ = Reflect::set(obj, &super::convert::name(name), value);
}

/// Calls method `name` of `obj` with no arguments.
pub fn call_method0(obj: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    let f = get(obj, name)
        .dyn_into::<Function>()
        .map_err(|_| js_sys::TypeError::new(&format!("{name} is not a function")))?;
    f.call0(obj)
}
