//! Locks with fencing tokens through `hedgestore-proxy` (`POST /lock/acquire` and
//! `/lock/release`, see the proxy's `locks` module): the storage behind the proxy takes and
//! releases them atomically, with the same tokens a Rust application on the same storage
//! gets. Every client of a proxy shares its lock owner, so releasing needs the token (there
//! is no release by name, and no `extendLock`: acquire with the TTL the work needs). Other
//! Upstash-compatible endpoints have no such routes; their refusal says so.

use hedgestore_core::Reply;
use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::{client, encode_error, rejected, RemoteStore};
use crate::bindings::convert::bytes;
use crate::bindings::errors::{reply_error, type_error};
use crate::bindings::memory::locks::{token, ttl};
use crate::protocol;

impl RemoteStore {
    /// POSTs `args` to `/lock/<action>` and answers the reply through `shape`.
    fn lock_request(
        &self,
        method: &'static str,
        action: &str,
        args: Vec<Vec<u8>>,
        shape: fn(Reply) -> Option<JsValue>,
    ) -> Promise {
        let body = match protocol::encode_command(&args) {
            Ok(body) => body,
            Err(e) => return rejected(encode_error(method, e)),
        };
        self.client
            .send(&format!("/lock/{action}"), &body, false, move |answer| {
                match protocol::decode_outcome(&answer.body) {
                    Ok(Ok(reply)) => shape(reply)
                        .ok_or_else(|| client::unexpected_answer(&answer, "not a lock's answer")),
                    Ok(Err(text)) if answer.status == 404 => Err(reply_error(
                        &format!(
                        "ERR {method}: this endpoint has no locks (they need hedgestore-proxy): \
                         {text}"
                    ),
                        Some(answer.status),
                    )),
                    Ok(Err(text)) => Err(reply_error(&text, Some(answer.status))),
                    Err(e) => Err(client::unexpected_answer(&answer, &e.to_string())),
                }
            })
    }
}

#[wasm_bindgen]
impl RemoteStore {
    /// `acquireLock(name, { ttl })`: resolves to the fencing token, or `null` while the lock
    /// is held.
    #[wasm_bindgen(js_name = acquireLock)]
    pub fn acquire_lock(&self, name: JsValue, options: JsValue) -> Promise {
        let args = (|| {
            let name = bytes("acquireLock", "name", &name)?;
            let ttl = ttl("acquireLock", &options, &["ttl"])?;
            Ok::<_, JsValue>(vec![name, ttl.to_string().into_bytes()])
        })();
        match args {
            Ok(args) => self.lock_request("acquireLock", "acquire", args, |reply| match reply {
                Reply::Int(token) => Some(JsValue::from_f64(token as f64)),
                Reply::Nil => Some(JsValue::NULL),
                _ => None,
            }),
            Err(e) => rejected(e),
        }
    }

    /// `releaseLock(name, token)`: resolves to true if `token` held the lock and it is now
    /// released, false if it no longer held it.
    #[wasm_bindgen(js_name = releaseLock)]
    pub fn release_lock(&self, name: JsValue, token: JsValue) -> Promise {
        let args = (|| {
            let name = bytes("releaseLock", "name", &name)?;
            let token = self::token("releaseLock", &token)?.ok_or_else(|| {
                type_error(
                    "releaseLock",
                    "RemoteStore needs the lock's token (every client of a proxy shares one \
                     lock owner, so there is no release by name)",
                )
            })?;
            Ok::<_, JsValue>(vec![name, token.0.to_string().into_bytes()])
        })();
        match args {
            Ok(args) => self.lock_request("releaseLock", "release", args, |reply| match reply {
                Reply::Int(n) => Some(JsValue::from_bool(n == 1)),
                _ => None,
            }),
            Err(e) => rejected(e),
        }
    }
}
