//! The endpoint a `RemoteStore` talks to, and the hand-off to `js/remote.js`, which does the
//! I/O (`fetch`, timeouts, retries, Server-Sent Events): Rust writes every request body and
//! reads every answer through the shared codec; JavaScript only moves the bytes.

use js_sys::{Function, Object, Promise, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;

use crate::bindings::errors::{network_error, reply_error};
use crate::bindings::js;
use crate::protocol;
use crate::retry::RetryPolicy;

#[wasm_bindgen(module = "/js/remote.js")]
extern "C" {
    #[wasm_bindgen(js_name = send)]
    fn js_send(
        client: &JsValue,
        path: &str,
        body: &str,
        idempotent: bool,
        decode: &JsValue,
    ) -> Promise;

    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(js_name = subscribe)]
    fn js_subscribe(
        client: &JsValue,
        name: &str,
        pattern: bool,
        bytes: bool,
        handler: &Function,
        on_error: &JsValue,
        on_close: &JsValue,
        reconnect: bool,
    ) -> Promise;
}

/// A subscription's options: `{ onError, onClose, reconnect }`.
pub struct SubscriptionEvents {
    /// Hears every failure of the stream (a function, or `undefined`).
    pub on_error: JsValue,
    /// Called once when the subscription ends (a function, or `undefined`).
    pub on_close: JsValue,
    /// Reopen a failed stream with backoff (default) rather than end the subscription.
    pub reconnect: bool,
}

/// Where and how to send requests; shared by a store and its builders.
pub struct Client {
    /// The endpoint, without a trailing slash.
    pub url: String,
    /// The settings object `js/remote.js` reads.
    object: Object,
}

/// An answer that arrived: its HTTP status and body.
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body's bytes.
    pub body: Vec<u8>,
}

impl Client {
    /// A client of `url` (validated by the caller). Without `fetch`, the host's global one.
    pub fn new(
        url: &str,
        token: &str,
        fetch: Option<Function>,
        retry: RetryPolicy,
        timeout_ms: f64,
        headers: Object,
    ) -> Result<Client, &'static str> {
        let (fetch, fetch_this) = match fetch {
            Some(f) => (f.into(), JsValue::UNDEFINED),
            None => {
                let f = js::global("fetch")
                    .filter(JsValue::is_function)
                    .ok_or("this host has no global fetch; pass one as the fetch option")?;
                // The host's own fetch is called on globalThis: some hosts insist.
                (f, js_sys::global().into())
            }
        };
        let url = url.trim_end_matches('/').to_owned();
        let object = Object::new();
        js::set(&object, "url", &url.as_str().into());
        js::set(&object, "token", &token.into());
        js::set(&object, "fetch", &fetch);
        js::set(&object, "fetchThis", &fetch_this);
        js::set(&object, "retries", &JsValue::from(retry.retries));
        js::set(&object, "minDelay", &JsValue::from(retry.min_delay_ms));
        js::set(&object, "maxDelay", &JsValue::from(retry.max_delay_ms));
        js::set(&object, "timeout", &JsValue::from(timeout_ms));
        js::set(&object, "headers", &headers);
        Ok(Client { url, object })
    }

    /// A client that never sends anything (for taking a prototype at start-up).
    pub fn placeholder() -> Client {
        Client {
            url: String::new(),
            object: Object::new(),
        }
    }

    /// POSTs `body` to `path` and continues with `then` on the answer (a network failure
    /// rejects with a `NetworkError` before `then` runs). Reads (`idempotent`) are retried.
    pub fn send(
        &self,
        path: &str,
        body: &str,
        idempotent: bool,
        then: impl FnOnce(Answer) -> Result<JsValue, JsValue> + 'static,
    ) -> Promise {
        let decode = Closure::once_into_js(move |answer: JsValue| -> Result<JsValue, JsValue> {
            let status = js::get(&answer, "status").as_f64().unwrap_or(0.0) as u16;
            let body = Uint8Array::new(&js::get(&answer, "body")).to_vec();
            then(Answer { status, body })
        });
        js_send(&self.object, path, body, idempotent, &decode)
    }

    /// Subscribes over Server-Sent Events; resolves to the unsubscribe function once the
    /// server confirms (see `js/remote.js` for `on_error`, `on_close` and `reconnect`).
    pub fn subscribe(
        &self,
        name: &str,
        pattern: bool,
        bytes: bool,
        handler: &Function,
        events: &SubscriptionEvents,
    ) -> Promise {
        js_subscribe(
            &self.object,
            name,
            pattern,
            bytes,
            handler,
            &events.on_error,
            &events.on_close,
            events.reconnect,
        )
    }
}

/// The error for an answer that is not a reply: the server's `{"error"}` text if it sent
/// one, else a `NetworkError` naming the status.
pub fn unexpected_answer(answer: &Answer, problem: &str) -> JsValue {
    if let Some(text) = protocol::error_text(&answer.body) {
        return reply_error(&text, Some(answer.status));
    }
    let snippet: String = String::from_utf8_lossy(&answer.body)
        .chars()
        .take(200)
        .collect();
    network_error(
        &format!("HTTP {}: {problem}: {snippet}", answer.status),
        Some(answer.status),
        None,
    )
}
