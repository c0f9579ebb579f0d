//! `Storage`: the handle applications hold. Cheap to clone, any backend behind it, and
//! friendlier signatures than the traits: keys and values are anything byte-like
//! (`&str`, `String`, `&[u8]`, `Vec<u8>`, `Bytes`), results are `Bytes`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hedgestore_core::{Command, Limit, Reply, SetOptions, ZAddCondition, ZAddOptions, ZRangeBy};

use crate::config::{MemoryConfig, StorageConfig};
use crate::error::{Result, StorageError};
use crate::memory::{MemoryStorage, Now};
use crate::pipeline::Pipeline;
use crate::subscription::{Handler, MessageStream, Subscription};
use crate::traits::{
    geoadd_command, zadd_command, zrange_command, BaseStorage, CompleteStorage, Health, Lock,
};
use crate::transaction::Transaction;

/// A shared handle to a storage backend.
///
/// It has one method per Redis command, named as Redis names it (`get`, `del`, `incrby`,
/// `hset`, `lrange`, `pubsub_numsub`, …), generated from core's method list
/// ([`hedgestore_core::for_each_command_method`]); `SET` is [`set`](Self::set) and
/// [`set_with`](Self::set_with). Helpers such as [`get_string`](Self::get_string) and
/// `set_json` sit on top.
///
/// ```no_run
/// # async fn demo() -> hedgestore_native::Result<()> {
/// let storage = hedgestore_native::get_storage().await?;
/// storage.set("greeting", "hello", None).await?;
/// assert_eq!(storage.get_string("greeting").await?.as_deref(), Some("hello"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Storage {
    inner: Arc<dyn CompleteStorage>,
    /// The backend again when it is a [`MemoryStorage`]: its commands are answered in the
    /// call itself ([`MemoryStorage::execute_now`]), without the boxed future of a call
    /// through the trait.
    memory: Option<MemoryStorage>,
    /// Whether the backend's own `get` and `set` (the trait's) are typed calls, cheaper
    /// than building their commands: `RedisStorage`'s and `FallbackStorage`'s.
    #[cfg(feature = "redis")]
    typed: bool,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage").finish_non_exhaustive()
    }
}

impl Storage {
    /// Wraps any backend.
    pub fn new(backend: impl CompleteStorage + 'static) -> Self {
        let any = &backend as &dyn std::any::Any;
        let memory = any.downcast_ref::<MemoryStorage>().cloned();
        #[cfg(feature = "redis")]
        let typed =
            any.is::<crate::redis::RedisStorage>() || any.is::<crate::fallback::FallbackStorage>();
        Self {
            inner: Arc::new(backend),
            memory,
            #[cfg(feature = "redis")]
            typed,
        }
    }

    /// The default storage for `config`, in a build without the `redis` feature: memory
    /// only ([`MemoryStorage`](crate::MemoryStorage), durable when
    /// [`StorageConfig::durability`] names a data directory). A configured Redis is a
    /// [`StorageError::Config`] error rather than a silent memory-only start.
    #[cfg(not(feature = "redis"))]
    pub async fn connect(config: StorageConfig) -> Result<Self> {
        if config.redis.explicit {
            return Err(StorageError::Config(crate::ConfigError {
                variable: "REDIS_URL",
                problem: "Redis is configured but hedgestore-native was built without its \
                          `redis` feature: enable it, or unset the REDIS_* variables"
                    .into(),
            }));
        }
        Ok(Self::new(MemoryStorage::open(
            config.memory,
            &config.durability,
        )?))
    }

    /// The default storage for `config`. It never fails because Redis is down:
    ///
    /// * Redis configured ([`RedisConfig::explicit`](crate::RedisConfig::explicit): a
    ///   `REDIS_*` variable or a Redis setter): Redis with memory fallback
    ///   ([`FallbackStorage`](crate::FallbackStorage)), whether Redis is up or not; during an
    ///   outage locks follow [`LockFallback`](crate::LockFallback) (fail closed by default).
    /// * Nothing configured: the same when Redis answers on the default address
    ///   (`localhost:6379`); when nothing answers there, memory only
    ///   ([`MemoryStorage`](crate::MemoryStorage), local locks, no Redis ever), announced by
    ///   one log line. This is what `cargo run --example quickstart` gets on a bare machine.
    ///
    /// (A build without the `redis` feature serves from memory only.) Over a Redis Cluster
    /// ([`RedisTopology::Cluster`](crate::RedisTopology::Cluster)) the fallback serves memory
    /// only while no master answers (see [`FallbackStorage`](crate::FallbackStorage)).
    #[cfg(feature = "redis")]
    pub async fn connect(config: StorageConfig) -> Result<Self> {
        let explicit = config.redis.explicit;
        let memory = config.memory.clone();
        let durability = config.durability.clone();
        let fallback = crate::FallbackStorage::start(config).await?;
        if explicit || fallback.serving() == crate::BackendKind::Redis {
            return Ok(Self::new(fallback));
        }
        fallback.close().await?;
        tracing::info!(
            "no Redis configured (REDIS_URL, REDIS_HOST … unset) and none answers on \
             localhost:6379: serving from memory only, with local locks"
        );
        Ok(Self::new(MemoryStorage::open(memory, &durability)?))
    }

    /// Redis only ([`RedisStorage`](crate::RedisStorage)): fails with `Unavailable` when
    /// Redis does not answer within the connect timeout.
    #[cfg(feature = "redis")]
    pub async fn redis(config: StorageConfig) -> Result<Self> {
        Ok(Self::new(crate::RedisStorage::connect(config.redis).await?))
    }

    /// An in-memory storage (needs a tokio runtime).
    pub fn memory(config: MemoryConfig) -> Result<Self> {
        Ok(Self::new(MemoryStorage::start(config)?))
    }

    /// The backend, for calls through the traits.
    pub fn backend(&self) -> &dyn CompleteStorage {
        &*self.inner
    }

    /// Runs any core command.
    pub async fn execute(&self, command: Command) -> Result<Reply> {
        let command = match &self.memory {
            Some(memory) => match memory.execute_now(command) {
                Now::Answered(answered) => return answered,
                Now::Logged(command) => command,
            },
            None => command,
        };
        self.inner.execute(command).await
    }

    /// The value at `key` as UTF-8 text.
    pub async fn get_string(&self, key: impl AsRef<[u8]>) -> Result<Option<String>> {
        match self.get(key).await? {
            None => Ok(None),
            Some(b) => String::from_utf8(b.to_vec())
                .map(Some)
                .map_err(|e| StorageError::Decode(format!("value is not UTF-8: {e}"))),
        }
    }

    /// `SET key value [PX ttl]`: sets `key`, expiring after `ttl` if given (a plain `SET`
    /// clears any previous TTL). Written by hand (`SET` has options); in core's method list.
    pub async fn set(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
        ttl: Option<Duration>,
    ) -> Result<()> {
        if let Some(memory) = self.memory_backend() {
            // The memory storage's typed call (see `methods::handle_shortcut`).
            return BaseStorage::set(memory, key.as_ref(), value.as_ref(), ttl).await;
        }
        #[cfg(feature = "redis")]
        if self.typed {
            return BaseStorage::set(&*self.inner, key.as_ref(), value.as_ref(), ttl).await;
        }
        let options = crate::traits::ttl_option(ttl);
        self.set_with(key, value, options).await.map(|_| ())
    }

    /// The backend when it is a [`MemoryStorage`], for the calls that take its typed path.
    pub(crate) fn memory_backend(&self) -> Option<&MemoryStorage> {
        self.memory.as_ref()
    }

    /// The backend, when its own `get` and `set` are typed calls (Redis, fallback).
    #[cfg(feature = "redis")]
    pub(crate) fn typed_backend(&self) -> Option<&dyn CompleteStorage> {
        self.typed.then_some(&*self.inner)
    }

    /// `SET` with options (`SetOptions::default().nx()`, `.xx()`, `.ex(…)`, `.keep_ttl()`);
    /// true when it wrote.
    pub async fn set_with(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
        options: SetOptions,
    ) -> Result<bool> {
        // The command itself through `execute`, as every other method of `Storage` (the
        // trait's `set_with` would add a boxed future of its own).
        let command = crate::traits::set_command(key.as_ref(), value.as_ref(), options);
        crate::reply::ok_or_nil(self.execute(command).await?)
    }

    /// `ZADD key [NX|XX] [GT|LT] [CH] score member …` (`ZAddOptions`; `INCR` is ignored):
    /// how many members were added (with `CH`, added or updated).
    pub async fn zadd_with(
        &self,
        key: impl AsRef<[u8]>,
        options: ZAddOptions,
        pairs: &[(f64, impl AsRef<[u8]>)],
    ) -> Result<u64> {
        crate::reply::count(self.execute(zadd_command(key, options, pairs)).await?)
    }

    /// `GEOADD key [NX|XX] [CH] longitude latitude member …`: how many members were added
    /// (with `changed`, added or moved). `condition` is `Always`, `Nx` or `Xx`.
    pub async fn geoadd_with(
        &self,
        key: impl AsRef<[u8]>,
        condition: ZAddCondition,
        changed: bool,
        points: &[(f64, f64, impl AsRef<[u8]>)],
    ) -> Result<u64> {
        crate::reply::count(
            self.execute(geoadd_command(key, condition, changed, points))
                .await?,
        )
    }

    /// `ZRANGE key min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]`: the members of the
    /// range `by` selects, ascending (descending with `rev`, where a score or lex range is
    /// given as `max, min`).
    pub async fn zrange_with(
        &self,
        key: impl AsRef<[u8]>,
        by: ZRangeBy,
        rev: bool,
        limit: Limit,
    ) -> Result<Vec<Bytes>> {
        crate::reply::list(
            self.execute(zrange_command(key, by, rev, limit, false))
                .await?,
        )
    }

    /// [`zrange_with`](Self::zrange_with) with `WITHSCORES`: the members with their scores.
    pub async fn zrange_withscores(
        &self,
        key: impl AsRef<[u8]>,
        by: ZRangeBy,
        rev: bool,
        limit: Limit,
    ) -> Result<Vec<(Bytes, f64)>> {
        crate::reply::scored(
            self.execute(zrange_command(key, by, rev, limit, true))
                .await?,
        )
    }

    /// Runs `handler` for each message on `channel` (see [`crate::handler`]).
    pub async fn subscribe(
        &self,
        channel: impl AsRef<[u8]>,
        handler: Handler,
    ) -> Result<Subscription> {
        self.inner.subscribe(channel.as_ref(), handler).await
    }

    /// Runs `handler` for each message on channels matching `pattern`.
    pub async fn psubscribe(
        &self,
        pattern: impl AsRef<[u8]>,
        handler: Handler,
    ) -> Result<Subscription> {
        self.inner.psubscribe(pattern.as_ref(), handler).await
    }

    /// The messages of `channel` as a stream.
    pub async fn subscribe_stream(&self, channel: impl AsRef<[u8]>) -> Result<MessageStream> {
        self.inner.subscribe_stream(channel.as_ref()).await
    }

    /// The messages of channels matching `pattern` as a stream.
    pub async fn psubscribe_stream(&self, pattern: impl AsRef<[u8]>) -> Result<MessageStream> {
        self.inner.psubscribe_stream(pattern.as_ref()).await
    }

    /// Acquires a lock for `ttl`, waiting up to `wait` for it if given.
    pub async fn acquire_lock(
        &self,
        name: impl AsRef<[u8]>,
        ttl: Duration,
        wait: Option<Duration>,
    ) -> Result<Option<Lock>> {
        self.inner.acquire_lock(name.as_ref(), ttl, wait).await
    }

    /// Releases `name` if this storage instance holds it.
    pub async fn release_lock(&self, name: impl AsRef<[u8]>) -> Result<bool> {
        self.inner.release_lock(name.as_ref()).await
    }

    /// Releases exactly `lock` (by its fencing token).
    pub async fn release(&self, lock: &Lock) -> Result<bool> {
        self.inner.release(lock).await
    }

    /// Resets the TTL of a lock this instance holds.
    pub async fn extend_lock(&self, name: impl AsRef<[u8]>, ttl: Duration) -> Result<bool> {
        self.inner.extend_lock(name.as_ref(), ttl).await
    }

    /// A transaction (atomic batch) builder.
    pub fn transaction(&self) -> Transaction<'_> {
        Transaction::new(&*self.inner)
    }

    /// A pipeline builder: many commands in one round trip, each with its own result, not
    /// atomic (see [`Pipeline`]).
    pub fn pipeline(&self) -> Pipeline<'_> {
        Pipeline::new(&*self.inner)
    }

    /// The backend's health.
    pub async fn health(&self) -> Health {
        self.inner.health().await
    }

    /// Stops background work; later calls fail with [`StorageError::Closed`].
    pub async fn close(&self) -> Result<()> {
        self.inner.close().await
    }

    /// Stores `value` as JSON.
    #[cfg(feature = "serde")]
    pub async fn set_json<T: serde::Serialize + ?Sized>(
        &self,
        key: impl AsRef<[u8]>,
        value: &T,
        ttl: Option<Duration>,
    ) -> Result<()> {
        let json = serde_json::to_vec(value)
            .map_err(|e| StorageError::Decode(format!("cannot encode JSON: {e}")))?;
        self.set(key, json, ttl).await
    }

    /// Reads a JSON value stored with [`set_json`](Self::set_json).
    #[cfg(feature = "serde")]
    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        key: impl AsRef<[u8]>,
    ) -> Result<Option<T>> {
        match self.get(key).await? {
            None => Ok(None),
            Some(b) => serde_json::from_slice(&b).map(Some).map_err(|e| {
                StorageError::Decode(format!("stored value is not the expected JSON: {e}"))
            }),
        }
    }
}
