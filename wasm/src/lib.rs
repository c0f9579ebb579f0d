//! # hedgestore-wasm
//!
//! hedgestore for JavaScript hosts (browsers, Node, Deno, edge workers), shipped as the npm
//! package `hedgestore`:
//!
//! * `MemoryStore`: the `no_std` engine of [`hedgestore_core`] running inside the page or
//!   worker, with synchronous methods, a clock read from `performance.now()`/`Date.now()`,
//!   expiry driven by the engine's own deadline, pub/sub delivered to JS callbacks in a
//!   microtask, locks and all-or-nothing transactions.
//! * `RemoteStore`: the same method names returning Promises, over `fetch` to any endpoint
//!   that speaks the Upstash-compatible REST protocol (`hedgestore-proxy`, or a hosted one).
//!
//! The JavaScript bindings exist only when compiling for `wasm32`; on other targets this
//! crate holds just the platform-independent parts (the wire [`protocol`] and the
//! [`retry`] policy), so the workspace's host build stays light and those parts are unit
//! tested natively.
//!
//! The JavaScript API is documented in `wasm/npm/README.md` (the npm package's README) and
//! typed in `wasm/npm/hedgestore.d.ts` (the command methods in `wasm/npm/commands.d.ts`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod protocol;
pub mod retry;

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(target_arch = "wasm32")]
pub use bindings::{install, MemoryStore, Pipeline, RemoteStore, RemoteTransaction, Transaction};
