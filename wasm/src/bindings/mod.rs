//! The JavaScript bindings (wasm32 only).
//!
//! * [`commands`] turns each command method's arguments into a `Command` and the shape of
//!   its answer, once for every class; [`shape`] turns replies into JavaScript values;
//!   [`convert`] reads JavaScript arguments; [`errors`] builds the error classes.
//! * [`memory`] is `MemoryStore` (and its transactions); [`remote`] is `RemoteStore` (and its
//!   pipelines and transactions).
//! * [`install`] puts the command methods on the classes at start-up; [`clock`] is
//!   `JsClock`; [`js`] declares the few host APIs used.

mod clock;
mod commands;
mod convert;
mod errors;
mod install;
mod js;
mod memory;
mod remote;
mod shape;

pub use install::install;
pub use memory::{MemoryStore, Transaction};
pub use remote::{Pipeline, RemoteStore, RemoteTransaction};
