//! `Storage`: the handle applications hold. Cheap to clone, any backend behind it, and
//! friendlier signatures than the traits: keys and values are anything byte-like
//! (`&str`, `String`, `&[u8]`, `Vec<u8>`, `Bytes`), results are `Bytes`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hedgestore_core::{Command, Reply, SetOptions};

use crate::config::{MemoryConfig, StorageConfig};
use crate::error::{Result, StorageError};
use crate::memory::MemoryStorage;
use crate::subscription::{Handler, MessageStream, Subscription};
use crate::traits::{CompleteStorage, Health, Lock, Ttl};
use crate::transaction::Transaction;

/// A shared handle to a storage backend.
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
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage").finish_non_exhaustive()
    }
}

fn refs<K: AsRef<[u8]>>(keys: &[K]) -> Vec<&[u8]> {
    keys.iter().map(AsRef::as_ref).collect()
}

impl Storage {
    /// Wraps any backend.
    pub fn new(backend: impl CompleteStorage + 'static) -> Self {
        Self {
            inner: Arc::new(backend),
        }
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
    pub async fn connect(config: StorageConfig) -> Result<Self> {
        let explicit = config.redis.explicit;
        let memory = config.memory.clone();
        let durability = config.durability.clone();
        if explicit && durability.data_dir.is_some() {
            tracing::warn!(
                "HEDGESTORE_DATA_DIR is set but Redis is configured: the log applies to \
                 memory-only storage; the fallback's outage journal stays in memory"
            );
        }
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
        self.inner.execute(command).await
    }

    /// The value at `key`.
    pub async fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        self.inner.get(key.as_ref()).await
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

    /// Sets `key`, expiring after `ttl` if given (a plain `SET` clears any previous TTL).
    pub async fn set(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
        ttl: Option<Duration>,
    ) -> Result<()> {
        self.inner.set(key.as_ref(), value.as_ref(), ttl).await
    }

    /// `SET` with options (`SetOptions::default().nx()`, `.xx()`, `.ex(…)`, `.keep_ttl()`);
    /// true when it wrote.
    pub async fn set_with(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
        options: SetOptions,
    ) -> Result<bool> {
        self.inner
            .set_with(key.as_ref(), value.as_ref(), options)
            .await
    }

    /// Deletes keys; returns how many existed.
    pub async fn delete<K: AsRef<[u8]>>(&self, keys: &[K]) -> Result<u64> {
        self.inner.delete(&refs(keys)).await
    }

    /// How many of `keys` exist.
    pub async fn exists<K: AsRef<[u8]>>(&self, keys: &[K]) -> Result<u64> {
        self.inner.exists(&refs(keys)).await
    }

    /// Expires `key` after `ttl`; false when it does not exist.
    pub async fn expire(&self, key: impl AsRef<[u8]>, ttl: Duration) -> Result<bool> {
        self.inner.expire(key.as_ref(), ttl).await
    }

    /// Removes the TTL of `key`; true when it had one.
    pub async fn persist(&self, key: impl AsRef<[u8]>) -> Result<bool> {
        self.inner.persist(key.as_ref()).await
    }

    /// Time to live of `key`.
    pub async fn ttl(&self, key: impl AsRef<[u8]>) -> Result<Ttl> {
        self.inner.ttl(key.as_ref()).await
    }

    /// Keys matching a glob pattern.
    pub async fn keys(&self, pattern: impl AsRef<[u8]>) -> Result<Vec<Bytes>> {
        self.inner.keys(pattern.as_ref()).await
    }

    /// One page of a cursor scan (start at 0; done when the returned cursor is 0).
    pub async fn scan(
        &self,
        cursor: u64,
        pattern: Option<&str>,
        count: Option<usize>,
    ) -> Result<(u64, Vec<Bytes>)> {
        self.inner
            .scan(cursor, pattern.map(str::as_bytes), count)
            .await
    }

    /// Adds `by` to the integer at `key`.
    pub async fn incr(&self, key: impl AsRef<[u8]>, by: i64) -> Result<i64> {
        self.inner.incr(key.as_ref(), by).await
    }

    /// Values of several keys.
    pub async fn mget<K: AsRef<[u8]>>(&self, keys: &[K]) -> Result<Vec<Option<Bytes>>> {
        self.inner.mget(&refs(keys)).await
    }

    /// Sets several keys.
    pub async fn mset<K: AsRef<[u8]>, V: AsRef<[u8]>>(&self, pairs: &[(K, V)]) -> Result<()> {
        let pairs: Vec<(&[u8], &[u8])> = pairs
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
            .collect();
        self.inner.mset(&pairs).await
    }

    /// Sets one hash field; true when it is new.
    pub async fn hset(
        &self,
        key: impl AsRef<[u8]>,
        field: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> Result<bool> {
        self.inner
            .hset(key.as_ref(), field.as_ref(), value.as_ref())
            .await
    }

    /// Sets several hash fields (a mapping); returns how many were new.
    pub async fn hset_many<F: AsRef<[u8]>, V: AsRef<[u8]>>(
        &self,
        key: impl AsRef<[u8]>,
        pairs: &[(F, V)],
    ) -> Result<u64> {
        let pairs: Vec<(&[u8], &[u8])> = pairs
            .iter()
            .map(|(f, v)| (f.as_ref(), v.as_ref()))
            .collect();
        self.inner.hset_many(key.as_ref(), &pairs).await
    }

    /// A hash field's value.
    pub async fn hget(
        &self,
        key: impl AsRef<[u8]>,
        field: impl AsRef<[u8]>,
    ) -> Result<Option<Bytes>> {
        self.inner.hget(key.as_ref(), field.as_ref()).await
    }

    /// Several hash fields' values.
    pub async fn hmget<F: AsRef<[u8]>>(
        &self,
        key: impl AsRef<[u8]>,
        fields: &[F],
    ) -> Result<Vec<Option<Bytes>>> {
        self.inner.hmget(key.as_ref(), &refs(fields)).await
    }

    /// Every field of a hash.
    pub async fn hgetall(&self, key: impl AsRef<[u8]>) -> Result<HashMap<Bytes, Bytes>> {
        self.inner.hgetall(key.as_ref()).await
    }

    /// Deletes hash fields; returns how many existed.
    pub async fn hdel<F: AsRef<[u8]>>(&self, key: impl AsRef<[u8]>, fields: &[F]) -> Result<u64> {
        self.inner.hdel(key.as_ref(), &refs(fields)).await
    }

    /// Whether a hash field exists.
    pub async fn hexists(&self, key: impl AsRef<[u8]>, field: impl AsRef<[u8]>) -> Result<bool> {
        self.inner.hexists(key.as_ref(), field.as_ref()).await
    }

    /// Number of fields in a hash.
    pub async fn hlen(&self, key: impl AsRef<[u8]>) -> Result<u64> {
        self.inner.hlen(key.as_ref()).await
    }

    /// Adds `by` to the integer in a hash field.
    pub async fn hincrby(
        &self,
        key: impl AsRef<[u8]>,
        field: impl AsRef<[u8]>,
        by: i64,
    ) -> Result<i64> {
        self.inner.hincrby(key.as_ref(), field.as_ref(), by).await
    }

    /// Pushes values at the head of a list; returns its new length.
    pub async fn lpush<V: AsRef<[u8]>>(&self, key: impl AsRef<[u8]>, values: &[V]) -> Result<u64> {
        self.inner.lpush(key.as_ref(), &refs(values)).await
    }

    /// Pushes values at the tail of a list; returns its new length.
    pub async fn rpush<V: AsRef<[u8]>>(&self, key: impl AsRef<[u8]>, values: &[V]) -> Result<u64> {
        self.inner.rpush(key.as_ref(), &refs(values)).await
    }

    /// Pops up to `count` elements from the head.
    pub async fn lpop(&self, key: impl AsRef<[u8]>, count: usize) -> Result<Vec<Bytes>> {
        self.inner.lpop(key.as_ref(), count).await
    }

    /// Pops up to `count` elements from the tail.
    pub async fn rpop(&self, key: impl AsRef<[u8]>, count: usize) -> Result<Vec<Bytes>> {
        self.inner.rpop(key.as_ref(), count).await
    }

    /// Elements `start..=stop` of a list.
    pub async fn lrange(&self, key: impl AsRef<[u8]>, start: i64, stop: i64) -> Result<Vec<Bytes>> {
        self.inner.lrange(key.as_ref(), start, stop).await
    }

    /// Length of a list.
    pub async fn llen(&self, key: impl AsRef<[u8]>) -> Result<u64> {
        self.inner.llen(key.as_ref()).await
    }

    /// Keeps only elements `start..=stop` of a list.
    pub async fn ltrim(&self, key: impl AsRef<[u8]>, start: i64, stop: i64) -> Result<()> {
        self.inner.ltrim(key.as_ref(), start, stop).await
    }

    /// Publishes a message; returns how many subscriptions received it.
    pub async fn publish(
        &self,
        channel: impl AsRef<[u8]>,
        message: impl AsRef<[u8]>,
    ) -> Result<u64> {
        self.inner.publish(channel.as_ref(), message.as_ref()).await
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
