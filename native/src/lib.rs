//! # hedgestore-native
//!
//! The server-side face of hedgestore: async storage interfaces with Redis semantics, over
//! the `no_std` engine of [`hedgestore_core`] (re-exported here).
//!
//! * Interfaces by capability, so code can ask for only what it uses: [`BaseStorage`]
//!   (strings, keys, expiry), [`HashStorage`], [`ListStorage`], [`SetStorage`],
//!   [`SortedSetStorage`], [`HyperLogLogStorage`], [`PubSubStorage`], [`LockStorage`], and [`CompleteStorage`] (all of them plus transactions, health and
//!   close).
//! * One typed method per Redis command, named as Redis names it (`get`, `del`, `incrby`,
//!   `hset`, `linsert`, `sadd`, `zrangebyscore`, `pubsub_numsub`, …), on the traits, on [`Storage`] and on
//!   [`Transaction`], generated from core's method list
//!   ([`for_each_command_method!`](hedgestore_core::for_each_command_method),
//!   [`COMMAND_METHODS`]).
//! * [`MemoryStorage`]: the engine shared by many tokio tasks, with background expiry,
//!   pub/sub handlers on tokio and locks that wake waiters on release.
//! * [`Storage`]: the cheap-to-clone handle applications hold, [`get_storage`] for the
//!   process-wide default, [`StorageConfig`] from the environment or built in code.
//! * Metrics through the [`metrics`](https://docs.rs/metrics) facade (commands, latency,
//!   engine counters, failovers, the outage journal, pub/sub, locks; all named
//!   `hedgestore_*`, listed in the README), recorded only when the application installs a
//!   recorder; [`describe_metrics`] adds their help texts. One `debug` event per command,
//!   keys redacted unless `HEDGESTORE_LOG_KEYS` is true ([`set_log_keys`]).
//!
//! ```no_run
//! use std::time::Duration;
//! # async fn demo() -> hedgestore_native::Result<()> {
//! let storage = hedgestore_native::get_storage().await?;
//! storage.set("session:1", "alice", Some(Duration::from_secs(30))).await?;
//! storage.hset("order:7", &[("qty", "100")]).await?;
//! let mut tx = storage.transaction();
//! tx.incr("orders").rpush("log", &["order 7"]);
//! tx.execute().await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod clock;
mod config;
mod durable;
mod error;
mod events;
mod factory;
#[cfg(feature = "redis")]
mod fallback;
mod memory;
mod methods;
mod pipeline;
#[cfg(feature = "redis")]
mod redis;
mod reply;
mod storage;
mod subscription;
mod telemetry;
mod topology;
mod traits;
mod transaction;

pub use hedgestore_core as core;
pub use hedgestore_core::*;

pub use bytes::Bytes;
pub use clock::SystemClock;
pub use config::{
    parse_bool, parse_size, ConfigError, FallbackConfig, JournalOverflow, LockFallback,
    MemoryConfig, RedisConfig, Secret, StorageConfig,
};
pub use durable::{Durability, Fsync, Recovered, LOG_FILE};
pub use error::{Result, StorageError};
pub use events::StorageEvent;
pub use factory::get_storage;
#[cfg(feature = "redis")]
pub use fallback::FallbackStorage;
pub use memory::{hashed_part, MemoryStorage, ShardedEngine};
pub use methods::StorageFuture;
pub use pipeline::Pipeline;
#[cfg(feature = "redis")]
pub use redis::RedisStorage;
pub use storage::Storage;
pub use subscription::{
    handler, message_handler, Handler, Message, MessageStream, Subscription, SubscriptionControl,
};
pub use telemetry::{describe_metrics, set_log_keys};
pub use topology::{NodeAddr, RedisTopology};
pub use traits::{
    BackendKind, BaseStorage, CompleteStorage, FallbackHealth, HashStorage, Health,
    HyperLogLogStorage, KeyVersion, ListStorage, Lock, LockStorage, PubSubStorage, SetStorage,
    SortedSetStorage, Ttl,
};
pub use transaction::Transaction;

/// A lock-owner id unique to one storage instance: process id, a per-process counter and the
/// creation time. "Release by name" releases only locks held under this id.
pub(crate) fn instance_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static INSTANCES: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "hedgestore:{}:{}:{nanos}",
        std::process::id(),
        INSTANCES.fetch_add(1, Ordering::Relaxed)
    )
}
