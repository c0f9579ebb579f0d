//! # hedgestore
//!
//! Storage with Redis semantics that runs everywhere. This facade re-exports
//! [`hedgestore_native`], which re-exports the `no_std` engine of `hedgestore-core`:
//! depend on `hedgestore` and everything is one `use` away.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use hedgestore_native::*;
