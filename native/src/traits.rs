//! The storage interfaces, one trait per capability (keys and strings, hashes, lists, sets,
//! sorted sets, HyperLogLog, pub/sub, locks) and [`CompleteStorage`] for all of them, so code can ask for only what it uses.
//!
//! Every backend implements one required method, [`BaseStorage::execute`], which runs a core
//! [`Command`]; the typed command methods are provided on top of it, generated from core's
//! method list ([`hedgestore_core::for_each_command_method`]), so a backend speaks every
//! command as soon as it speaks `Command`. [`HashStorage`], [`ListStorage`], [`SetStorage`],
//! [`SortedSetStorage`] and [`HyperLogLogStorage`] hold nothing else and every `BaseStorage` has them. Pub/sub subscriptions, locks and transactions need
//! backend machinery: their methods are required.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use hedgestore_core::{
    Command, FencingToken, Limit, Reply, SetOptions, Stats, ZAddCondition, ZAddOptions, ZRangeBy,
};

use crate::clock::duration_millis as millis;
use crate::error::Result;
use crate::methods::{trait_methods, StorageFuture};
use crate::reply;
use crate::subscription::{Handler, MessageStream, Subscription};

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

/// Strings, keys and the server: the required [`execute`](Self::execute), `SET` (written by
/// hand for its options) and one method per command of core's method list (generated).
#[async_trait]
pub trait BaseStorage: Send + Sync {
    /// Runs any core [`Command`] and returns its [`Reply`].
    async fn execute(&self, command: Command) -> Result<Reply>;

    /// `SET key value [PX ttl]`: sets `key` to `value`, expiring after `ttl` if given (and
    /// clearing any TTL if not).
    fn set<'a>(
        &'a self,
        key: &'a [u8],
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> StorageFuture<'a, Result<()>> {
        set_by_command(self, key, value, ttl_option(ttl))
    }

    /// `SET` with every option (NX/XX, expiry forms, KEEPTTL); true when it wrote. The `GET`
    /// option is ignored (use [`execute`](Self::execute) for the previous value).
    async fn set_with(&self, key: &[u8], value: &[u8], options: SetOptions) -> Result<bool> {
        reply::ok_or_nil(self.execute(set_command(key, value, options)).await?)
    }

    hedgestore_core::for_each_command_method!(trait_methods, base);
}

/// [`BaseStorage::set`] through [`execute`](BaseStorage::execute): the command itself, not
/// through `set_with` (one boxed future fewer per call).
pub(crate) fn set_by_command<'a, S: BaseStorage + ?Sized>(
    storage: &'a S,
    key: &[u8],
    value: &[u8],
    options: SetOptions,
) -> StorageFuture<'a, Result<()>> {
    let reply = storage.execute(set_command(key, value, options));
    StorageFuture::boxed(async move { reply::ok_or_nil(reply.await?).map(|_| ()) })
}

/// The `SET` options of a plain `SET key value [PX ttl]` (`set`'s `ttl`).
pub(crate) fn ttl_option(ttl: Option<Duration>) -> SetOptions {
    match ttl {
        Some(ttl) => SetOptions::default().px(millis(ttl)),
        None => SetOptions::default(),
    }
}

/// The `SET` command of `set_with` (the `GET` option dropped: its reply is a bool).
pub(crate) fn set_command(key: &[u8], value: &[u8], options: SetOptions) -> Command {
    Command::Set {
        key: key.to_vec(),
        value: value.to_vec(),
        options: SetOptions {
            get: false,
            ..options
        },
    }
}

/// Hash commands, one method per command of core's method list. Every [`BaseStorage`] has
/// them.
pub trait HashStorage: BaseStorage {
    hedgestore_core::for_each_command_method!(trait_methods, hash);
}

impl<T: BaseStorage> HashStorage for T {}

/// List commands, one method per command of core's method list. Every [`BaseStorage`] has
/// them.
pub trait ListStorage: BaseStorage {
    hedgestore_core::for_each_command_method!(trait_methods, list);
}

impl<T: BaseStorage> ListStorage for T {}

/// Set commands, one method per command of core's method list. Every [`BaseStorage`] has
/// them.
pub trait SetStorage: BaseStorage {
    hedgestore_core::for_each_command_method!(trait_methods, set);
}

impl<T: BaseStorage> SetStorage for T {}

/// Sorted set commands: one method per command of core's method list, and `ZADD` and
/// `ZRANGE` with their options (written by hand). Every [`BaseStorage`] has them.
pub trait SortedSetStorage: BaseStorage {
    hedgestore_core::for_each_command_method!(trait_methods, zset);

    /// `ZADD key [NX|XX] [GT|LT] [CH] score member …`: how many members were added (with
    /// `CH`, added or updated). The `INCR` option is ignored (use `zincrby`, or
    /// [`execute`](BaseStorage::execute) for the score `ZADD … INCR` answers).
    fn zadd_with<'a>(
        &'a self,
        key: &[u8],
        options: ZAddOptions,
        pairs: &[(f64, &[u8])],
    ) -> StorageFuture<'a, Result<u64>> {
        let reply = self.execute(zadd_command(key, options, pairs));
        StorageFuture::boxed(async move { reply::count(reply.await?) })
    }

    /// `GEOADD key [NX|XX] [CH] longitude latitude member …`: how many members were added
    /// (with `changed`, added or moved). `condition` is `Always`, `Nx` or `Xx`.
    fn geoadd_with<'a>(
        &'a self,
        key: &[u8],
        condition: ZAddCondition,
        changed: bool,
        points: &[(f64, f64, &[u8])],
    ) -> StorageFuture<'a, Result<u64>> {
        let reply = self.execute(geoadd_command(key, condition, changed, points));
        StorageFuture::boxed(async move { reply::count(reply.await?) })
    }

    /// `ZRANGE key min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]`: the members of the
    /// range `by` selects, ascending (descending with `rev`, where a score or lex range is
    /// given as `max, min`). `LIMIT` goes with a score or lex range only.
    fn zrange_with<'a>(
        &'a self,
        key: &[u8],
        by: ZRangeBy,
        rev: bool,
        limit: Limit,
    ) -> StorageFuture<'a, Result<Vec<Bytes>>> {
        let reply = self.execute(zrange_command(key, by, rev, limit, false));
        StorageFuture::boxed(async move { reply::list(reply.await?) })
    }

    /// [`zrange_with`](Self::zrange_with) with `WITHSCORES`: the members with their scores.
    fn zrange_withscores<'a>(
        &'a self,
        key: &[u8],
        by: ZRangeBy,
        rev: bool,
        limit: Limit,
    ) -> StorageFuture<'a, Result<Vec<(Bytes, f64)>>> {
        let reply = self.execute(zrange_command(key, by, rev, limit, true));
        StorageFuture::boxed(async move { reply::scored(reply.await?) })
    }
}

impl<T: BaseStorage> SortedSetStorage for T {}

/// HyperLogLog commands (`PFADD`, `PFCOUNT`, `PFMERGE`): one method per command of core's
/// method list. Every [`BaseStorage`] has them.
pub trait HyperLogLogStorage: BaseStorage {
    hedgestore_core::for_each_command_method!(trait_methods, hll);
}

impl<T: BaseStorage> HyperLogLogStorage for T {}

/// `GEOADD` with its options, as every surface builds it.
pub(crate) fn geoadd_command(
    key: impl AsRef<[u8]>,
    condition: ZAddCondition,
    changed: bool,
    points: &[(f64, f64, impl AsRef<[u8]>)],
) -> Command {
    Command::GeoAdd {
        key: key.as_ref().to_vec(),
        condition,
        changed,
        points: points
            .iter()
            .map(|(x, y, member)| (*x, *y, member.as_ref().to_vec()))
            .collect(),
    }
}

/// `ZADD` with `options` (without `INCR`), as every surface builds it.
pub(crate) fn zadd_command(
    key: impl AsRef<[u8]>,
    options: ZAddOptions,
    pairs: &[(f64, impl AsRef<[u8]>)],
) -> Command {
    Command::ZAdd {
        key: key.as_ref().to_vec(),
        options: ZAddOptions {
            incr: false,
            ..options
        },
        pairs: pairs
            .iter()
            .map(|(score, member)| (*score, member.as_ref().to_vec()))
            .collect(),
    }
}

/// `ZRANGE` in its full form, as every surface builds it.
pub(crate) fn zrange_command(
    key: impl AsRef<[u8]>,
    by: ZRangeBy,
    rev: bool,
    limit: Limit,
    with_scores: bool,
) -> Command {
    Command::ZRange {
        key: key.as_ref().to_vec(),
        by,
        rev,
        limit,
        with_scores,
    }
}

/// Publish/subscribe: subscribing (required: it needs backend machinery), and the pub/sub
/// commands of core's method list.
#[async_trait]
pub trait PubSubStorage: BaseStorage {
    hedgestore_core::for_each_command_method!(trait_methods, pubsub);

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
    pub fallback: Option<FallbackHealth>,
}

/// Extra health of a fallback storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FallbackHealth {
    /// Since when the current backend serves.
    pub serving_since: SystemTime,
    /// Writes in the outage journal.
    pub journal_entries: usize,
    /// Bytes in the outage journal.
    pub journal_bytes: usize,
    /// Recoveries to Redis so far.
    pub recoveries: u64,
    /// Failovers to memory so far.
    pub failovers: u64,
    /// Journal commands that failed when replayed on Redis.
    pub replay_errors: u64,
    /// Writes refused or journals dropped because the journal was full.
    pub journal_overflows: u64,
    /// Writes that were sent to Redis when it became unreachable: their callers got
    /// `StorageError::OutcomeUnknown` (they may or may not have been applied; never retried).
    pub in_flight_writes: u64,
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
pub trait CompleteStorage:
    HashStorage
    + ListStorage
    + SetStorage
    + SortedSetStorage
    + HyperLogLogStorage
    + PubSubStorage
    + LockStorage
{
    /// Reads the current version of each key, for [`Transaction::watch`](crate::Transaction::watch).
    async fn key_versions(&self, keys: &[Vec<u8>]) -> Result<Vec<KeyVersion>>;

    /// Runs `commands` atomically, after checking that every watched key still has its
    /// version: all replies, or an error and no change at all.
    async fn execute_transaction(
        &self,
        watched: Vec<(Vec<u8>, KeyVersion)>,
        commands: Vec<Command>,
    ) -> Result<Vec<Reply>>;

    /// Runs `commands` in order, without atomicity, in one round trip where the backend
    /// allows (a Redis pipeline): each command's own result. A command error is that
    /// command's answer; the others still apply. See [`Pipeline`](crate::Pipeline).
    async fn execute_pipeline(&self, commands: Vec<Command>) -> Vec<Result<Reply>> {
        let mut results = Vec::with_capacity(commands.len());
        for command in commands {
            results.push(self.execute(command).await);
        }
        results
    }

    /// The storage's health.
    async fn health(&self) -> Health;

    /// Stops background work and refuses further calls with
    /// [`StorageError::Closed`](crate::StorageError::Closed).
    async fn close(&self) -> Result<()>;
}
