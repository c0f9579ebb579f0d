//! # hedgestore-wasm
//!
//! hedgestore for JavaScript hosts (browsers, Node, edge runtimes), built on the `no_std`
//! engine of [`hedgestore_core`]. The JavaScript bindings build on this crate; for now it
//! re-exports the engine so the crate builds for `wasm32-unknown-unknown` in CI.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use hedgestore_core::*;
