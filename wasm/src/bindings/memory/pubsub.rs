//! Pub/sub to JavaScript callbacks.
//!
//! Each `subscribe`/`psubscribe` call is one engine subscriber with one channel or pattern,
//! and answers its own unsubscribe function, so two parts of a program never undo each
//! other's subscriptions. `publish` only enqueues (the engine's bounded per-subscriber
//! queues: a subscriber that falls more than `subscriberQueueCapacity` messages behind loses
//! the oldest); delivery runs in a microtask after the publishing code finishes, never
//! re-entrantly inside `publish`. A handler that throws does not stop delivery to the others;
//! its exception is reported (`reportError`, or the console).

use std::cell::Cell;
use std::rc::Rc;

use hedgestore_core::SubscriberId;
use js_sys::Function;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{borrow, MemoryStore, State};
use crate::bindings::convert::{bytes, describe, to_js, Encoding};
use crate::bindings::errors::{engine_error, type_error};
use crate::bindings::js;

/// One subscribe call's handler.
pub(crate) struct Subscription {
    handler: Function,
    encoding: Encoding,
    /// False once unsubscribed: a message already collected for delivery is then dropped.
    active: Rc<Cell<bool>>,
}

struct Delivery {
    handler: Function,
    active: Rc<Cell<bool>>,
    message: JsValue,
    channel: JsValue,
    pattern: Option<JsValue>,
}

impl State {
    /// Queues a microtask that delivers pending messages, unless one is queued already.
    pub(crate) fn queue_delivery(&mut self) {
        if self.delivery_queued || self.subscriptions.is_empty() {
            return;
        }
        self.delivery_queued = true;
        let state = self.this.clone();
        let task = Closure::once_into_js(move || {
            let Some(shared) = state.upgrade() else {
                return;
            };
            let deliveries = match shared.try_borrow_mut() {
                Ok(mut state) => state.take_deliveries(),
                Err(_) => return,
            };
            // The state is released: handlers may call the store (publish, unsubscribe...).
            for d in deliveries {
                if !d.active.get() {
                    continue;
                }
                let result = match &d.pattern {
                    None => d.handler.call2(&JsValue::UNDEFINED, &d.message, &d.channel),
                    Some(p) => d
                        .handler
                        .call3(&JsValue::UNDEFINED, &d.message, &d.channel, p),
                };
                if let Err(error) = result {
                    js::report_error(&error);
                }
            }
        });
        js::queue_microtask(task.unchecked_ref());
    }

    /// The subscription of engine subscriber `id`.
    fn subscription(&self, id: u64) -> Option<&Subscription> {
        let i = self
            .subscriptions
            .binary_search_by_key(&id, |(k, _)| *k)
            .ok()?;
        Some(&self.subscriptions[i].1)
    }

    /// Drains every subscriber's queue, in the order subscribers became ready.
    fn take_deliveries(&mut self) -> Vec<Delivery> {
        self.delivery_queued = false;
        let mut out = Vec::new();
        while let Some(id) = self.engine.next_ready_subscriber() {
            while let Some(m) = self.engine.next_message(id) {
                let Some(sub) = self.subscription(id.0) else {
                    continue;
                };
                out.push(Delivery {
                    handler: sub.handler.clone(),
                    active: sub.active.clone(),
                    message: to_js(&m.payload, sub.encoding),
                    channel: to_js(&m.channel, sub.encoding),
                    pattern: m.pattern.as_deref().map(|p| to_js(p, sub.encoding)),
                });
            }
        }
        out
    }
}

impl MemoryStore {
    fn add_subscription(
        &self,
        method: &str,
        target: &JsValue,
        handler: &JsValue,
        pattern: bool,
        encoding: Encoding,
    ) -> Result<JsValue, JsValue> {
        let what = if pattern { "pattern" } else { "channel" };
        let name = bytes(method, what, target)?;
        let Some(handler) = handler.dyn_ref::<Function>().cloned() else {
            return Err(type_error(
                method,
                &format!("handler must be a function, got {}", describe(handler)),
            ));
        };
        let mut state = borrow(&self.shared)?;
        let id = state.engine.create_subscriber();
        if pattern {
            if let Err(e) = state.engine.psubscribe(id, &name) {
                state.engine.drop_subscriber(id);
                return Err(engine_error(&e));
            }
        } else {
            state.engine.subscribe(id, &name);
        }
        let active = Rc::new(Cell::new(true));
        // Subscriber ids only grow, so pushing keeps the list sorted.
        state.subscriptions.push((
            id.0,
            Subscription {
                handler,
                encoding,
                active: active.clone(),
            },
        ));
        let shared = std::rc::Rc::downgrade(&self.shared);
        let unsubscribe = Closure::<dyn FnMut()>::new(move || {
            if !active.replace(false) {
                return;
            }
            if let Some(shared) = shared.upgrade() {
                if let Ok(mut state) = shared.try_borrow_mut() {
                    if let Ok(i) = state.subscriptions.binary_search_by_key(&id.0, |(k, _)| *k) {
                        state.subscriptions.remove(i);
                    }
                    state.engine.drop_subscriber(SubscriberId(id.0));
                }
            }
        });
        Ok(unsubscribe.into_js_value())
    }
}

#[wasm_bindgen]
impl MemoryStore {
    /// `subscribe(channel, (message, channel) => …)`: calls the handler for every message
    /// published to `channel`, in a microtask after the publish. Answers a function that
    /// unsubscribes (calling it again does nothing).
    pub fn subscribe(&self, channel: JsValue, handler: JsValue) -> Result<JsValue, JsValue> {
        self.add_subscription("subscribe", &channel, &handler, false, Encoding::Text)
    }

    /// `subscribe`, handing the message and channel over as `Uint8Array`s.
    #[wasm_bindgen(js_name = subscribeBytes)]
    pub fn subscribe_bytes(&self, channel: JsValue, handler: JsValue) -> Result<JsValue, JsValue> {
        self.add_subscription("subscribeBytes", &channel, &handler, false, Encoding::Bytes)
    }

    /// `psubscribe(pattern, (message, channel, pattern) => …)`: every channel matching the
    /// glob `pattern`. Answers the unsubscribe function.
    pub fn psubscribe(&self, pattern: JsValue, handler: JsValue) -> Result<JsValue, JsValue> {
        self.add_subscription("psubscribe", &pattern, &handler, true, Encoding::Text)
    }

    /// `psubscribe`, handing message, channel and pattern over as `Uint8Array`s.
    #[wasm_bindgen(js_name = psubscribeBytes)]
    pub fn psubscribe_bytes(&self, pattern: JsValue, handler: JsValue) -> Result<JsValue, JsValue> {
        self.add_subscription("psubscribeBytes", &pattern, &handler, true, Encoding::Bytes)
    }
}
