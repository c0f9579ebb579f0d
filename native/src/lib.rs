//! # hedgestore-native
//!
//! The server-side face of hedgestore. For now it re-exports the engine of
//! [`hedgestore_core`]; the async storage interfaces, the Redis backend and the fallback
//! between them build on it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use hedgestore_core as core;
pub use hedgestore_core::*;
