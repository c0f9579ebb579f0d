//! `RemoteStore`: the same command methods as `MemoryStore`, answering Promises, over the
//! Upstash-compatible REST protocol (see [`crate::protocol`]) to `hedgestore-proxy` or any
//! compatible endpoint.
//!
//! * a command is `POST /` with its argument array; `pipeline()` batches to `POST /pipeline`
//!   (each command on its own) and `transaction()` to `POST /multi-exec` (all-or-nothing on
//!   `hedgestore-proxy`);
//! * `subscribe`/`psubscribe` stream Server-Sent Events from `POST /subscribe/<channel>`,
//!   resolving to an unsubscribe function once the server confirms (within `timeout`); a
//!   stream that fails later is reported to `onError` and reopened with backoff;
//! * the I/O itself (`fetch`, timeouts, retries, the event stream) is `js/remote.js`; this
//!   module writes the bodies and reads the answers;
//! * errors: a bad argument rejects with a `TypeError` before anything is sent; the server's
//!   `{"error"}` rejects with a `ReplyError` carrying its message; anything else that goes
//!   wrong on the way (no connection, timeout, a body that is not a reply) with a
//!   `NetworkError`. Reads are retried with backoff after network failures; writes never.
//!
//! * locks (`acquireLock`, `releaseLock` by token) go to `hedgestore-proxy`'s own lock routes
//!   (see [`locks`]): the Upstash protocol has no atomic compare-and-delete without
//!   server-side scripting, so they are not commands.

mod batch;
mod client;
mod locks;

use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::commands::{self, Built, Call};
use super::convert::{self, bytes, describe, Encoding, Options};
use super::errors::{reply_error, type_error};
use super::shape::to_js_value;
use crate::protocol::{self, ProtocolError};
use crate::retry::{self, RetryPolicy};

pub use batch::{Pipeline, RemoteTransaction};
pub(crate) use client::{Client, SubscriptionEvents};

/// A client of an Upstash-compatible Redis REST endpoint (`hedgestore-proxy`, or a hosted
/// one). Command methods answer Promises.
#[wasm_bindgen]
pub struct RemoteStore {
    client: Rc<Client>,
    /// The dialect of the command methods: 0 hedgestore, 1 `@upstash/redis`, 2 that
    /// without automatic deserialization (`Options::dialect`).
    upstash: u32,
}

fn retry_policy(o: &Options) -> Result<RetryPolicy, JsValue> {
    let Some(v) = o.get("retry") else {
        return Ok(RetryPolicy::default());
    };
    if v.as_bool() == Some(false) {
        return Ok(RetryPolicy::NEVER);
    }
    let r = Options::new("RemoteStore", &v, &["retries", "minDelay", "maxDelay"])?;
    let mut policy = RetryPolicy::default();
    if let Some(n) = r.count("retries")? {
        policy.retries = n.min(100) as u32;
    }
    if let Some(ms) = r.get("minDelay") {
        policy.min_delay_ms = convert::float("RemoteStore", "retry.minDelay", &ms)?.max(0.0);
    }
    if let Some(ms) = r.get("maxDelay") {
        policy.max_delay_ms = convert::float("RemoteStore", "retry.maxDelay", &ms)?.max(0.0);
    }
    Ok(policy)
}

/// The `headers` option, checked: names to string values.
fn headers(o: &Options) -> Result<Object, JsValue> {
    let out = Object::new();
    let Some(v) = o.get("headers") else {
        return Ok(out);
    };
    Options::any("RemoteStore", &v)?;
    for entry in Object::entries(v.unchecked_ref()).iter() {
        let pair = Array::from(&entry);
        match (pair.get(0).as_string(), pair.get(1).as_string()) {
            (Some(name), Some(value)) => {
                let _ = js_sys::Reflect::set(&out, &name.into(), &value.into());
            }
            _ => {
                return Err(type_error(
                    "RemoteStore",
                    "option headers must map names to strings",
                ))
            }
        }
    }
    Ok(out)
}

/// A request that cannot be encoded (a non-UTF-8 argument) is the caller's `TypeError`.
fn encode_error(method: &str, e: ProtocolError) -> JsValue {
    type_error(method, &e.to_string())
}

/// Sends one command and shapes its answer.
fn send(client: &Client, call: Call) -> Promise {
    let method = call.command.name();
    let body = match protocol::encode_command(&call.command.to_args()) {
        Ok(body) => body,
        Err(e) => return rejected(encode_error(method, e)),
    };
    let idempotent = retry::is_idempotent(&call.command);
    let shape = call.shape;
    client.send(
        "/",
        &body,
        idempotent,
        move |answer| match protocol::decode_outcome(&answer.body) {
            Ok(Ok(reply)) => to_js_value(reply, shape),
            Ok(Err(text)) => Err(reply_error(&text, Some(answer.status))),
            Err(e) => Err(client::unexpected_answer(&answer, &e.to_string())),
        },
    )
}

/// A promise already rejected with `error` (async methods report bad arguments this way,
/// never by throwing).
/// A subscription's `{ onError, onClose, reconnect = true }`.
fn subscription_events(method: &'static str, v: &JsValue) -> Result<SubscriptionEvents, JsValue> {
    let o = Options::new(method, v, &["onError", "onClose", "reconnect"])?;
    let function = |name| {
        o.function(name)
            .map(|f| f.map_or(JsValue::UNDEFINED, JsValue::from))
    };
    Ok(SubscriptionEvents {
        on_error: function("onError")?,
        on_close: function("onClose")?,
        reconnect: o.get("reconnect").is_none() || o.flag("reconnect")?,
    })
}

fn rejected(error: JsValue) -> Promise {
    Promise::reject(&error)
}

impl RemoteStore {
    /// A store around `client` (for taking the prototype at start-up).
    pub(crate) fn placeholder(client: Rc<Client>) -> RemoteStore {
        RemoteStore { client, upstash: 0 }
    }

    fn start_subscription(
        &self,
        method: &'static str,
        target: &JsValue,
        handler: &JsValue,
        options: &JsValue,
        pattern: bool,
        encoding: Encoding,
    ) -> Promise {
        let what = if pattern { "pattern" } else { "channel" };
        let name = match bytes(method, what, target).map(String::from_utf8) {
            Ok(Ok(name)) => name,
            Ok(Err(_)) => {
                return rejected(type_error(
                    method,
                    &format!("{what} must be valid UTF-8 to travel in a URL"),
                ))
            }
            Err(e) => return rejected(e),
        };
        let Some(handler) = handler.dyn_ref::<Function>() else {
            return rejected(type_error(
                method,
                &format!("handler must be a function, got {}", describe(handler)),
            ));
        };
        let events = match subscription_events(method, options) {
            Ok(events) => events,
            Err(e) => return rejected(e),
        };
        self.client.subscribe(
            &name,
            pattern,
            encoding == Encoding::Bytes,
            handler,
            &events,
        )
    }
}

#[wasm_bindgen]
impl RemoteStore {
    /// `new RemoteStore({ url, token, fetch?, retry?, timeout?, headers? })`.
    ///
    /// `retry`: `false`, or `{ retries = 3, minDelay = 50, maxDelay = 2000 }` (ms) for
    /// idempotent reads; `timeout`: ms per attempt (default 10000); `headers`: extra request
    /// headers.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<RemoteStore, JsValue> {
        let o = Options::new(
            "RemoteStore",
            &options,
            &[
                "url",
                "token",
                "fetch",
                "retry",
                "timeout",
                "headers",
                "dialect",
                "automaticDeserialization",
            ],
        )?;
        let url = o
            .string("url")?
            .ok_or_else(|| type_error("RemoteStore", "option url is required"))?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(type_error(
                "RemoteStore",
                &format!("option url must be an http(s) URL, got '{url}'"),
            ));
        }
        let token = match o.get("token") {
            Some(t) => t.as_string().ok_or_else(|| {
                type_error(
                    "RemoteStore",
                    &format!("option token must be a string, got {}", describe(&t)),
                )
            })?,
            None => return Err(type_error("RemoteStore", "option token is required")),
        };
        let timeout = match o.get("timeout") {
            Some(v) => {
                let ms = convert::float("RemoteStore", "option timeout", &v)?;
                if ms.is_nan() || ms <= 0.0 {
                    return Err(type_error("RemoteStore", "option timeout must be positive"));
                }
                ms
            }
            None => 10_000.0,
        };
        let client = Client::new(
            &url,
            &token,
            o.function("fetch")?,
            retry_policy(&o)?,
            timeout,
            headers(&o)?,
        )
        .map_err(|e| type_error("RemoteStore", e))?;
        Ok(RemoteStore {
            client: Rc::new(client),
            upstash: o.dialect()?,
        })
    }

    /// The dialect of the command methods (`Options::dialect`); `js/methods.js` asks once.
    #[wasm_bindgen(js_name = __upstash, skip_typescript)]
    pub fn upstash(&self) -> u32 {
        self.upstash
    }

    fn dispatch(&self, built: Built) -> Promise {
        match built {
            Ok(call) => send(&self.client, call),
            Err(e) => rejected(e),
        }
    }

    /// A builder with the same command methods; `exec()` sends them in one request to
    /// `/pipeline`, each applied on its own.
    pub fn pipeline(&self) -> Pipeline {
        Pipeline::new(self.client.clone())
    }

    /// A builder with the same command methods; `exec()` sends them to `/multi-exec`,
    /// all-or-nothing on `hedgestore-proxy`.
    pub fn transaction(&self) -> RemoteTransaction {
        RemoteTransaction::new(self.client.clone())
    }

    /// The endpoint this store talks to.
    #[wasm_bindgen(getter)]
    pub fn url(&self) -> String {
        self.client.url.clone()
    }
}

commands::command_entry!(RemoteStore, Promise);

#[wasm_bindgen]
impl RemoteStore {
    /// `subscribe(channel, (message, channel) => …, { onError, onClose, reconnect })`:
    /// resolves to an unsubscribe function once the server has confirmed the subscription
    /// (within the `timeout` option). A stream that fails later is reported to `onError` and
    /// reopened with backoff (messages published meanwhile are lost, as in Redis pub/sub);
    /// with `reconnect: false` it ends, and `onClose(error)` is called.
    pub fn subscribe(&self, channel: JsValue, handler: JsValue, options: JsValue) -> Promise {
        self.start_subscription(
            "subscribe",
            &channel,
            &handler,
            &options,
            false,
            Encoding::Text,
        )
    }

    /// `subscribe`, handing message and channel over as `Uint8Array`s.
    #[wasm_bindgen(js_name = subscribeBytes)]
    pub fn subscribe_bytes(&self, channel: JsValue, handler: JsValue, options: JsValue) -> Promise {
        self.start_subscription(
            "subscribeBytes",
            &channel,
            &handler,
            &options,
            false,
            Encoding::Bytes,
        )
    }

    /// `psubscribe(pattern, (message, channel, pattern) => …)`: resolves to an unsubscribe
    /// function once confirmed.
    pub fn psubscribe(&self, pattern: JsValue, handler: JsValue, options: JsValue) -> Promise {
        self.start_subscription(
            "psubscribe",
            &pattern,
            &handler,
            &options,
            true,
            Encoding::Text,
        )
    }

    /// `psubscribe`, handing message, channel and pattern over as `Uint8Array`s.
    #[wasm_bindgen(js_name = psubscribeBytes)]
    pub fn psubscribe_bytes(
        &self,
        pattern: JsValue,
        handler: JsValue,
        options: JsValue,
    ) -> Promise {
        self.start_subscription(
            "psubscribeBytes",
            &pattern,
            &handler,
            &options,
            true,
            Encoding::Bytes,
        )
    }
}
