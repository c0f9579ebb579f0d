//! Turning failures into the JavaScript errors the package documents.
//!
//! The classes live in `js/errors.js` (JavaScript cannot subclass `Error` from Rust); this
//! module only constructs them:
//!
//! * a refused command ([`hedgestore_core::Error`], or a server's error text) becomes a
//!   `ReplyError` carrying Redis's message, so `err.message` reads `WRONGTYPE …` on every
//!   backend;
//! * an aborted batch becomes a `TransactionError` with the failing command's position;
//! * transport trouble becomes a `NetworkError`;
//! * a wrong argument from JavaScript (a missing key, an object where a string belongs) is
//!   a plain `TypeError`, as a JavaScript function would throw, and is thrown before
//!   anything is touched.

use hedgestore_core::BatchError;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/errors.js")]
extern "C" {
    #[wasm_bindgen(js_name = ReplyError)]
    type JsReplyError;
    #[wasm_bindgen(constructor, js_class = ReplyError)]
    fn new(message: &str, status: JsValue) -> JsReplyError;

    #[wasm_bindgen(js_name = TransactionError)]
    type JsTransactionError;
    #[wasm_bindgen(constructor, js_class = TransactionError)]
    fn new(message: &str, index: JsValue, command: JsValue, status: JsValue) -> JsTransactionError;

    #[wasm_bindgen(js_name = PipelineError)]
    type JsPipelineError;
    #[wasm_bindgen(constructor, js_class = PipelineError)]
    fn new(message: &str, results: JsValue) -> JsPipelineError;

    #[wasm_bindgen(js_name = NetworkError)]
    type JsNetworkError;
    #[wasm_bindgen(constructor, js_class = NetworkError)]
    fn new(message: &str, status: JsValue, cause: JsValue) -> JsNetworkError;

    #[wasm_bindgen(js_name = HedgestoreError)]
    type JsHedgestoreError;
    #[wasm_bindgen(constructor, js_class = HedgestoreError)]
    fn new(message: &str) -> JsHedgestoreError;
}

/// A `ReplyError` with Redis's message (`status`: the HTTP status, for remote errors).
pub fn reply_error(message: &str, status: Option<u16>) -> JsValue {
    JsReplyError::new(message, status.map_or(JsValue::UNDEFINED, JsValue::from)).into()
}

/// The engine refused a command.
pub fn engine_error(error: &hedgestore_core::Error) -> JsValue {
    reply_error(&error.to_string(), None)
}

/// A `TransactionError`: the batch applied nothing because command `index` failed.
pub fn transaction_error(
    message: &str,
    index: Option<usize>,
    command: Option<&str>,
    status: Option<u16>,
) -> JsValue {
    JsTransactionError::new(
        message,
        index.map_or(JsValue::UNDEFINED, |i| JsValue::from(i as u32)),
        command.map_or(JsValue::UNDEFINED, JsValue::from_str),
        status.map_or(JsValue::UNDEFINED, JsValue::from),
    )
    .into()
}

/// A local batch that applied nothing.
pub fn batch_error(error: &BatchError) -> JsValue {
    match error {
        BatchError::Command { index, command, .. } => {
            transaction_error(&error.to_string(), Some(*index), Some(command), None)
        }
        other => transaction_error(&other.to_string(), None, None, None),
    }
}

/// A `PipelineError` listing every result, failures in place.
pub fn pipeline_error(message: &str, results: JsValue) -> JsValue {
    JsPipelineError::new(message, results).into()
}

/// A `NetworkError` (`status` when a response arrived, `cause` the underlying error).
pub fn network_error(message: &str, status: Option<u16>, cause: Option<JsValue>) -> JsValue {
    JsNetworkError::new(
        message,
        status.map_or(JsValue::UNDEFINED, JsValue::from),
        cause.unwrap_or(JsValue::UNDEFINED),
    )
    .into()
}

/// A `HedgestoreError` for misuse that is not about an argument's type (a freed store).
pub fn hedgestore_error(message: &str) -> JsValue {
    JsHedgestoreError::new(message).into()
}

/// A `TypeError` about an argument of `method`.
pub fn type_error(method: &str, message: &str) -> JsValue {
    js_sys::TypeError::new(&format!("{method}: {message}")).into()
}
