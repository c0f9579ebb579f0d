//! The storage interfaces, one trait per capability (keys and strings, hashes, lists, pub/sub,
//! locks) and [`CompleteStorage`] for all of them, so code can ask for only what it uses.
//!
//! Every backend implements one required method, [`BaseStorage::execute`], which runs a core
//! [`Command`]; the typed methods are provided on top of it, so a backend speaks every
//! operation as soon as it speaks `Command`. Backends override a typed method only to do
//! better than the generic path. Pub/sub, locks and transactions need backend machinery and
//! have no default.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use hedgestore_core::{Command, ExpireCondition, Expiry, FencingToken, Reply, SetOptions, Stats};

use crate::clock::duration_millis as millis;
use crate::error::Result;
use crate::reply;
use crate::subscription::{Handler, MessageStream, Subscription};
use crate::transaction::Transaction;

fn owned(keys: &[&[u8]]) -> Vec<Vec<u8>> {
    keys.iter().map(|k| k.to_vec()).collect()
}

/// A key's remaining time to live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ttl {
    /// The key does not exist.
    Missing,
    /// The key exists and never expires.
    Persistent,
    /// The key expires after this long.
    Expires(Duration),
}

/// Strings and keyspace operations.
#[async_trait]
pub trait BaseStorage: Send + Sync {
    /// Runs any core [`Command`] and returns its [`Reply`].
    async fn execute(&self, command: Command) -> Result<Reply>;

    /// The value at `key`.
    async fn get(&self, key: &[u8]) -> Result<Option<Bytes>> {
        reply::optional_bytes(self.execute(Command::Get { key: key.to_vec() }).await?)
    }

    /// Sets `key` to `value`, expiring after `ttl` if given (and clearing any TTL if not).
    async fn set(&self, key: &[u8], value: &[u8], ttl: Option<Duration>) -> Result<()> {
        let options = match ttl {
            Some(ttl) => SetOptions::default().px(millis(ttl)),
            None => SetOptions::default(),
        };
        self.set_with(key, value, options).await.map(|_| ())
    }

    /// `SET` with every option (NX/XX, expiry forms, KEEPTTL); true when it wrote.
    async fn set_with(&self, key: &[u8], value: &[u8], options: SetOptions) -> Result<bool> {
        let options = SetOptions {
            get: false,
            ..options
        };
        let reply = self
            .execute(Command::Set {
                key: key.to_vec(),
                value: value.to_vec(),
                options,
            })
            .await?;
        reply::ok_or_nil(reply)
    }

    /// Deletes the keys; returns how many existed.
    async fn delete(&self, keys: &[&[u8]]) -> Result<u64> {
        reply::count(self.execute(Command::Del { keys: owned(keys) }).await?)
    }

    /// How many of the keys exist.
    async fn exists(&self, keys: &[&[u8]]) -> Result<u64> {
        reply::count(self.execute(Command::Exists { keys: owned(keys) }).await?)
    }

    /// Expires `key` after `ttl`; false when the key does not exist.
    async fn expire(&self, key: &[u8], ttl: Duration) -> Result<bool> {
        let command = Command::Expire {
            key: key.to_vec(),
            expiry: Expiry::Px(millis(ttl)),
            condition: ExpireCondition::Always,
        };
        reply::flag(self.execute(command).await?)
    }

    /// Removes the TTL of `key`; true when it had one.
    async fn persist(&self, key: &[u8]) -> Result<bool> {
        reply::flag(self.execute(Command::Persist { key: key.to_vec() }).await?)
    }

    /// The remaining time to live of `key`.
    async fn ttl(&self, key: &[u8]) -> Result<Ttl> {
        Ok(
            match reply::integer(self.execute(Command::PTtl { key: key.to_vec() }).await?)? {
                -2 => Ttl::Missing,
                ms if ms < 0 => Ttl::Persistent,
                ms => Ttl::Expires(Duration::from_millis(ms as u64)),
            },
        )
    }

    /// Every key matching the glob `pattern` (prefer [`scan`](Self::scan) on large keyspaces).
    async fn keys(&self, pattern: &[u8]) -> Result<Vec<Bytes>> {
        reply::byte_list(
            self.execute(Command::Keys {
                pattern: pattern.to_vec(),
            })
            .await?,
        )
    }

    /// One page of a cursor scan: start at 0, continue with the returned cursor until it is 0.
    async fn scan(
        &self,
        cursor: u64,
        pattern: Option<&[u8]>,
        count: Option<usize>,
    ) -> Result<(u64, Vec<Bytes>)> {
        let command = Command::Scan {
            cursor,
            pattern: pattern.map(<[u8]>::to_vec),
            count,
            key_type: None,
        };
        reply::scan_page(self.execute(command).await?)
    }

    /// Adds `by` to the integer at `key` (missing counts as 0); returns the new value.
    async fn incr(&self, key: &[u8], by: i64) -> Result<i64> {
        reply::integer(
            self.execute(Command::IncrBy {
                key: key.to_vec(),
                delta: by,
            })
            .await?,
        )
    }

    /// The values of `keys` (`None` for missing keys and keys of other types).
    async fn mget(&self, keys: &[&[u8]]) -> Result<Vec<Option<Bytes>>> {
        reply::optional_byte_list(self.execute(Command::MGet { keys: owned(keys) }).await?)
    }

    /// Sets every pair.
    async fn mset(&self, pairs: &[(&[u8], &[u8])]) -> Result<()> {
        let pairs = pairs
            .iter()
            .map(|(k, v)| (k.to_vec(), v.to_vec()))
            .collect();
        reply::ok(self.execute(Command::MSet { pairs }).await?)
    }
}

/// Hash operations.
#[async_trait]
pub trait HashStorage: BaseStorage {
    /// Sets one field; true when the field is new.
    async fn hset(&self, key: &[u8], field: &[u8], value: &[u8]) -> Result<bool> {
        Ok(self.hset_many(key, &[(field, value)]).await? == 1)
    }

    /// Sets several fields; returns how many were new.
    async fn hset_many(&self, key: &[u8], pairs: &[(&[u8], &[u8])]) -> Result<u64> {
        let pairs = pairs
            .iter()
            .map(|(f, v)| (f.to_vec(), v.to_vec()))
            .collect();
        reply::count(
            self.execute(Command::HSet {
                key: key.to_vec(),
                pairs,
            })
            .await?,
        )
    }

    /// The value of `field`.
    async fn hget(&self, key: &[u8], field: &[u8]) -> Result<Option<Bytes>> {
        let command = Command::HGet {
            key: key.to_vec(),
            field: field.to_vec(),
        };
        reply::optional_bytes(self.execute(command).await?)
    }

    /// The values of `fields`.
    async fn hmget(&self, key: &[u8], fields: &[&[u8]]) -> Result<Vec<Option<Bytes>>> {
        let command = Command::HMGet {
            key: key.to_vec(),
            fields: owned(fields),
        };
        reply::optional_byte_list(self.execute(command).await?)
    }

    /// Every field and value.
    async fn hgetall(&self, key: &[u8]) -> Result<HashMap<Bytes, Bytes>> {
        let pairs = reply::pairs(self.execute(Command::HGetAll { key: key.to_vec() }).await?)?;
        Ok(pairs.into_iter().collect())
    }

    /// Deletes fields; returns how many existed.
    async fn hdel(&self, key: &[u8], fields: &[&[u8]]) -> Result<u64> {
        let command = Command::HDel {
            key: key.to_vec(),
            fields: owned(fields),
        };
        reply::count(self.execute(command).await?)
    }

    /// Whether `field` exists.
    async fn hexists(&self, key: &[u8], field: &[u8]) -> Result<bool> {
        let command = Command::HExists {
            key: key.to_vec(),
            field: field.to_vec(),
        };
        reply::flag(self.execute(command).await?)
    }

    /// Number of fields.
    async fn hlen(&self, key: &[u8]) -> Result<u64> {
        reply::count(self.execute(Command::HLen { key: key.to_vec() }).await?)
    }

    /// Adds `by` to the integer in `field`; returns the new value.
    async fn hincrby(&self, key: &[u8], field: &[u8], by: i64) -> Result<i64> {
        let command = Command::HIncrBy {
            key: key.to_vec(),
            field: field.to_vec(),
            delta: by,
        };
        reply::integer(self.execute(command).await?)
    }
}

/// List operations.
#[async_trait]
pub trait ListStorage: BaseStorage {
    /// Pushes values at the head, one after the other; returns the new length.
    async fn lpush(&self, key: &[u8], values: &[&[u8]]) -> Result<u64> {
        let command = Command::LPush {
            key: key.to_vec(),
            values: owned(values),
        };
        reply::count(self.execute(command).await?)
    }

    /// Pushes values at the tail; returns the new length.
    async fn rpush(&self, key: &[u8], values: &[&[u8]]) -> Result<u64> {
        let command = Command::RPush {
            key: key.to_vec(),
            values: owned(values),
        };
        reply::count(self.execute(command).await?)
    }

    /// Removes and returns up to `count` elements from the head.
    async fn lpop(&self, key: &[u8], count: usize) -> Result<Vec<Bytes>> {
        let command = Command::LPop {
            key: key.to_vec(),
            count: Some(count),
        };
        reply::byte_list(self.execute(command).await?)
    }

    /// Removes and returns up to `count` elements from the tail.
    async fn rpop(&self, key: &[u8], count: usize) -> Result<Vec<Bytes>> {
        let command = Command::RPop {
            key: key.to_vec(),
            count: Some(count),
        };
        reply::byte_list(self.execute(command).await?)
    }

    /// Elements `start..=stop` (negative indices count from the end).
    async fn lrange(&self, key: &[u8], start: i64, stop: i64) -> Result<Vec<Bytes>> {
        let command = Command::LRange {
            key: key.to_vec(),
            start,
            stop,
        };
        reply::byte_list(self.execute(command).await?)
    }

    /// Length of the list.
    async fn llen(&self, key: &[u8]) -> Result<u64> {
        reply::count(self.execute(Command::LLen { key: key.to_vec() }).await?)
    }

    /// Keeps only elements `start..=stop`.
    async fn ltrim(&self, key: &[u8], start: i64, stop: i64) -> Result<()> {
        let command = Command::LTrim {
            key: key.to_vec(),
            start,
            stop,
        };
        reply::ok(self.execute(command).await?)
    }
}

/// Publish/subscribe.
#[async_trait]
pub trait PubSubStorage: BaseStorage {
    /// Publishes `message` on `channel`; returns how many subscriptions received it.
    async fn publish(&self, channel: &[u8], message: &[u8]) -> Result<u64> {
        let command = Command::Publish {
            channel: channel.to_vec(),
            message: message.to_vec(),
        };
        reply::count(self.execute(command).await?)
    }

    /// Runs `handler` for every message on `channel` until the returned [`Subscription`] is
    /// dropped or unsubscribed.
    async fn subscribe(&self, channel: &[u8], handler: Handler) -> Result<Subscription>;

    /// Runs `handler` for every message on channels matching the glob `pattern`.
    async fn psubscribe(&self, pattern: &[u8], handler: Handler) -> Result<Subscription>;

    /// The messages of `channel` as a `Stream`.
    async fn subscribe_stream(&self, channel: &[u8]) -> Result<MessageStream> {
        let (handler, stream) = MessageStream::channel();
        let subscription = self.subscribe(channel, handler).await?;
        Ok(stream.attach(subscription))
    }

    /// The messages of channels matching `pattern` as a `Stream`.
    async fn psubscribe_stream(&self, pattern: &[u8]) -> Result<MessageStream> {
        let (handler, stream) = MessageStream::channel();
        let subscription = self.psubscribe(pattern, handler).await?;
        Ok(stream.attach(subscription))
    }
}

/// A held lock: its name and fencing token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    /// The lock's name.
    pub name: Bytes,
    /// Grows with every acquisition of this name: hand it to the guarded resource so it can
    /// reject a holder whose lock expired.
    pub token: FencingToken,
}

/// Distributed (Redis) or local (memory) locks with fencing tokens.
#[async_trait]
pub trait LockStorage: BaseStorage {
    /// Acquires `name` for `ttl`. Without `wait`, one attempt; with it, waits up to that long
    /// for the holder to release it or for it to expire. `None` when not acquired.
    async fn acquire_lock(
        &self,
        name: &[u8],
        ttl: Duration,
        wait: Option<Duration>,
    ) -> Result<Option<Lock>>;

    /// Releases `name` by name alone, but only if this storage instance holds it (another
    /// instance's lock of the same name is left alone); true when it did.
    async fn release_lock(&self, name: &[u8]) -> Result<bool>;

    /// Releases exactly `lock` (by its token); false when it is no longer held by it.
    async fn release(&self, lock: &Lock) -> Result<bool>;

    /// Resets the TTL of `name` to `ttl` if this instance holds it; true when it did.
    async fn extend_lock(&self, name: &[u8], ttl: Duration) -> Result<bool>;
}

/// An opaque reading of a key's version, for optimistic transactions (`watch`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyVersion(pub(crate) Bytes);

/// Which backend serves a storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BackendKind {
    /// The in-memory engine.
    Memory,
    /// A Redis server.
    Redis,
}

impl BackendKind {
    /// `"memory"` or `"redis"`.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Memory => "memory",
            BackendKind::Redis => "redis",
        }
    }
}

/// A storage's view of its own health.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Health {
    /// The backend serving requests.
    pub backend: BackendKind,
    /// Whether it can serve requests now.
    pub healthy: bool,
    /// The last error seen, if any (never contains a secret).
    pub last_error: Option<String>,
    /// Round-trip time of the last health check, for remote backends.
    pub latency: Option<Duration>,
    /// Reconnections so far, for remote backends.
    pub reconnects: u64,
    /// Health-check rounds completed so far, for remote backends (each one also pings the
    /// command connection, so a connection broken by a server restart is re-established).
    pub health_checks: u64,
    /// Engine counters, for the memory backend (and the fallback's memory side).
    pub memory: Option<Stats>,
    /// Fallback state: which backend serves since when, journal, recoveries.
    pub fallback: Option<crate::fallback::FallbackHealth>,
}

impl Health {
    /// A healthy memory backend with these counters.
    pub fn memory(stats: Stats) -> Self {
        Self {
            backend: BackendKind::Memory,
            healthy: true,
            last_error: None,
            latency: None,
            reconnects: 0,
            health_checks: 0,
            memory: Some(stats),
            fallback: None,
        }
    }
}

/// Everything: all the interfaces above plus transactions, health and shutdown.
#[async_trait]
pub trait CompleteStorage: HashStorage + ListStorage + PubSubStorage + LockStorage {
    /// Reads the current version of each key, for [`Transaction::watch`].
    async fn key_versions(&self, keys: &[Vec<u8>]) -> Result<Vec<KeyVersion>>;

    /// Runs `commands` atomically, after checking that every watched key still has its
    /// version: all replies, or an error and no change at all.
    async fn execute_transaction(
        &self,
        watched: Vec<(Vec<u8>, KeyVersion)>,
        commands: Vec<Command>,
    ) -> Result<Vec<Reply>>;

    /// A transaction builder over this storage.
    fn transaction(&self) -> Transaction<'_>
    where
        Self: Sized,
    {
        Transaction::new(self)
    }

    /// The storage's health.
    async fn health(&self) -> Health;

    /// Stops background work and refuses further calls with
    /// [`StorageError::Closed`](crate::StorageError::Closed).
    async fn close(&self) -> Result<()>;
}
