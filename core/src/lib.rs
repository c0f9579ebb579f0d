//! # hedgestore-core
//!
//! The heart of hedgestore: an in-memory keyspace with Redis 7 semantics that never performs
//! I/O and never reads a clock. It is `#![no_std]` + `alloc`, so the same engine runs inside a
//! tokio server, a browser tab (WebAssembly) and a bare-metal target.
//!
//! The design follows the sans-IO cores of `quinn-proto` and `smoltcp`: the host *tells* the
//! engine the time through a [`Clock`] and drives it; the engine only answers.
//!
//! * [`Command`] and [`Reply`] are the single instruction set. Every operation is a `Command`
//!   value: typed methods build them, the remote protocol parses into them, the Redis backend
//!   maps them to Redis commands. [`Command::parse`] reads the Redis argument-array form.
//! * [`Engine`] holds strings, hashes, lists, sets and sorted sets with per-key expiry (lazy
//!   on every access).
//!   [`Engine::execute`] runs any `Command`; the typed methods ([`Engine::get`],
//!   [`Engine::set`], [`Engine::hset`], …) are thin and allocate nothing beyond what they return.
//!
//! ```
//! use hedgestore_core::{Engine, ManualClock, Command, Reply, SetOptions};
//!
//! let clock = ManualClock::new(1_000);
//! let mut engine = Engine::new(clock.clone());
//! engine.set(b"greeting", b"hello", SetOptions::default().px(1_500)).unwrap();
//! assert_eq!(engine.get(b"greeting").unwrap().as_deref(), Some(&b"hello"[..]));
//!
//! clock.advance(1_500); // time moves only when the host says so
//! assert_eq!(engine.get(b"greeting").unwrap(), None);
//!
//! let reply = engine.execute(Command::parse(&["INCRBY", "counter", "5"]).unwrap()).unwrap();
//! assert_eq!(reply, Reply::Int(5));
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod clock;
pub mod codec;
mod command;
mod config;
mod decimal;
mod engine;
mod error;
pub mod forms;
mod geohash;
mod glob;
mod hll;
mod key;
mod keyspace;
pub mod log;
mod num;
mod value;

pub use clock::{Clock, ManualClock, Millis};
pub use command::{
    Aggregate, BitOp, BitRange, BitUnit, Command, CommandFlags, CommandKind, CommandMethod,
    CommandSpec, ExpireCondition, Expiry, FieldSetCondition, FieldSetTtl, GeoUnit, GetExOption,
    InsertPosition, KeyRange, KeyType, LexBound, Limit, ListEnd, MethodGroup, Reply, ScoreBound,
    SetCondition, SetOptions, ZAddComparison, ZAddCondition, ZAddOptions, ZRangeBy, COMMAND_COUNT,
    COMMAND_METHODS, COMMAND_TABLE,
};
pub use config::{EngineConfig, EvictionPolicy};
pub use engine::{
    BatchError, Engine, Event, FencingToken, FieldValue, KeyEntry, LockHolder, Message, Popped,
    PubSub, ScanPage, ScoredMember, SetOp, Stats, SubscriberId, TimeoutReport, ZAddOutcome, ZSetOp,
};
pub use error::Error;
pub use glob::Pattern;
