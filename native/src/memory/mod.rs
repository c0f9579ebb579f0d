//! `MemoryStorage`: the core engine shared by many tokio tasks and threads.
//!
//! Layered like mini-redis's `Db`: a cheap handle around `Arc<Shared>` around the engines.
//!
//! **Shards of the engine, each behind its own `std::sync::Mutex`** ([`ShardedEngine`]):
//! keys are spread over [`MemoryConfig::shards`] engines by a hash of the key (keys that
//! share a `{hash tag}` share a shard, as in Redis Cluster), so commands on keys in different shards run in parallel on
//! different cores. A single-key command locks one shard; a multi-key command, a
//! transaction or a `WATCH` check locks every shard it touches in ascending order; keyless
//! commands over the keyspace (`KEYS`, `SCAN`, `DBSIZE`, `FLUSHDB`, …) lock them all. One
//! more engine, the bus, holds the pub/sub registry and the locks, so their semantics are
//! those of one engine. The memory budget is split evenly over the shards, each evicting
//! its own keys, as Redis Cluster's nodes do. With one shard the storage is the single
//! engine behind one mutex it used to be. See the `shards` module for the details (what a
//! command across shards costs, and why it is still atomic). Every lock is held for a few
//! hundred nanoseconds and never across an `.await`, so a blocking mutex is right (a tokio
//! mutex would only add cost).
//!
//! **Background work is sans-IO driven.** A driver task sleeps until the engines' earliest
//! `next_deadline()` (or until a call makes that deadline earlier), then runs one bounded
//! `handle_timeout` on each engine that is due. Pub/sub deliveries and lock releases are
//! handed from the bus to tokio right after the call that caused them: each subscription
//! has its own dispatcher task, so a slow handler delays only itself (its bounded queue
//! drops the oldest messages and counts them as lag), and lock waiters are woken by the
//! release or expiry event, never by polling.
//! The tasks hold only weak references: when the last handle is dropped (or `close()` is
//! called) they stop.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use hedgestore_core::{
    Clock, Command, CommandKind, Engine, Event, LockHolder, PubSub, Reply, Stats, SubscriberId,
};
use tokio::sync::Notify;

use crate::clock::SystemClock;
use crate::config::MemoryConfig;
use crate::durable::{Durability, Fsync, GroupSync, Log};

mod logged;
mod route;
mod shards;
use crate::error::{Result, StorageError};
use crate::methods::{Deferred, StorageFuture};
use crate::reply;
use crate::subscription::dispatch::{self, Inbox};
use crate::subscription::{Handler, Subscription};
use crate::telemetry::{self, Backend, EngineExport, Probe};
use crate::traits::{
    set_by_command, set_command, ttl_option, BaseStorage, CompleteStorage, Health, KeyVersion,
    Lock, LockStorage, PubSubStorage,
};
use logged::{sync_every_second, sync_on_request};
pub use route::hashed_part;
pub use shards::ShardedEngine;
use shards::{Engines, Locked};

/// The in-memory backend. Cheap to clone (clones share the same data).
#[derive(Clone)]
pub struct MemoryStorage {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for MemoryStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStorage")
            .field("stats", &self.stats())
            .finish()
    }
}

struct Shared {
    engine: ShardedEngine<SystemClock>,
    clock: SystemClock,
    /// Wakes the driver when a call made the next deadline earlier, or on close.
    wake_driver: Arc<Notify>,
    /// The deadline the driver currently sleeps toward (`u64::MAX`: none).
    scheduled: AtomicU64,
    dispatchers: Mutex<HashMap<u64, Arc<Notify>>>,
    lock_waiters: Mutex<HashMap<u64, Arc<Notify>>>,
    next_waiter: AtomicU64,
    /// Lock owner id of this storage instance.
    owner: Vec<u8>,
    closed: AtomicBool,
    /// The append-only log, when a data directory is set (see the `durable` module). Locked
    /// inside the engines' locks, never the other way round.
    log: Option<Mutex<Log>>,
    /// Shared syncs of the log under `Fsync::Always`.
    group_sync: Arc<GroupSync>,
    /// What this storage has exported of the engine's counters (see [`telemetry`]).
    exported: Mutex<EngineExport>,
    /// Commands and transactions are counted in the command metrics (see
    /// [`MemoryStorage::start_unrecorded`]).
    record: AtomicBool,
}

/// Locks a mutex, ignoring poisoning: every critical section leaves the data consistent
/// (the engine never panics on input), so a panic elsewhere must not wedge the storage.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What [`MemoryStorage::execute_now`] did with a command.
pub(crate) enum Now {
    /// Run, with this answer.
    Answered(Result<Reply>),
    /// Not run: a write that goes through the log (and waits for it).
    Logged(Command),
}

/// What to wake after an engine call, collected under the lock and fired after it.
#[derive(Default)]
struct Wakeups {
    subscribers: Vec<u64>,
    waiters: Vec<u64>,
    driver: bool,
}

impl Shared {
    /// Runs `f` on the bus (pub/sub and locks), then wakes what it made ready.
    fn call<R>(&self, f: impl FnOnce(&mut Engine<SystemClock>) -> R) -> Result<R> {
        self.call_one(self.engine.bus_index(), f)
    }

    /// Runs `command` on the engines it needs: one engine (nearly every command) on the
    /// path of [`call_one`](Self::call_one), several through [`call_locked`](Self::call_locked).
    ///
    /// Inlined into its callers, so that with one shard a command costs what it cost before
    /// the storage had shards (counted with callgrind: BENCHMARKS.md §11).
    #[inline(always)]
    fn call_command(&self, command: Command) -> Result<Reply> {
        // The most common write, a plain `SET` (every mirrored copy of one, too), through
        // the engine's typed call on its shard: the engine code `execute` reaches for it,
        // without the command's routing and dispatch.
        if let Command::Set {
            key,
            value,
            options,
        } = &command
        {
            if !options.get {
                let written =
                    self.call_one(self.engine.shard_of(key), |e| e.set(key, value, *options))??;
                return Ok(if written { Reply::Ok } else { Reply::Nil });
            }
        }
        if self.engine.shards() == 1 {
            // The unsharded storage's path, with no routing at all.
            return Ok(self.call_one(0, |e| e.execute(command))??);
        }
        self.call_command_sharded(command)
    }

    /// [`call_command`](Self::call_command) with more than one shard.
    fn call_command_sharded(&self, command: Command) -> Result<Reply> {
        match self.engine.engines_for(std::slice::from_ref(&command), &[]) {
            Engines::One(index) => Ok(self.call_one(index, |e| e.execute(command))??),
            Engines::Many(set) => Ok(self.call_locked(&set, |l| l.execute(command))??),
        }
    }

    /// Runs `f` on engine `index` alone under its lock, then wakes the subscribers, lock
    /// waiters and the driver that the call made ready: the fast path, and with one shard
    /// the whole storage (that engine is also the bus), exactly as the unsharded storage
    /// ran every call.
    #[inline(always)]
    fn call_one<R>(
        &self,
        index: usize,
        f: impl FnOnce(&mut Engine<SystemClock>) -> R,
    ) -> Result<R> {
        if self.closed.load(Ordering::Acquire) {
            return Err(StorageError::Closed);
        }
        let mut engine = self.engine.lock_engine(index);
        let result = f(&mut engine);
        let driver =
            engine.next_deadline().unwrap_or(u64::MAX) < self.scheduled.load(Ordering::Acquire);
        if index != self.engine.bus_index() {
            // A shard has no subscribers or lock waiters (those live on the bus): only
            // the driver may need waking, and no wakeup lists are built.
            drop(engine);
            if driver {
                self.wake_driver.notify_one();
            }
            return Ok(result);
        }
        let mut wake = Wakeups {
            driver,
            ..Wakeups::default()
        };
        wake.subscribers = dispatch::ready(engine.bus_mut());
        while let Some(event) = engine.poll_event() {
            let Event::LockFreed { waiters, .. } = event else {
                continue;
            };
            wake.waiters.extend(waiters);
        }
        drop(engine);
        self.fire(wake);
        Ok(result)
    }

    /// Locks the engines of `set` (ascending), runs `f` with them, and then wakes the
    /// subscribers, lock waiters and the driver that the call made ready.
    fn call_locked<R>(
        &self,
        set: &[usize],
        f: impl FnOnce(&mut Locked<'_, SystemClock>) -> R,
    ) -> Result<R> {
        if self.closed.load(Ordering::Acquire) {
            return Err(StorageError::Closed);
        }
        let (result, wake) = self.engine.locked(set, |l| {
            let result = f(l);
            let mut wake = Wakeups::default();
            if let Some(bus) = l.bus() {
                wake.subscribers = dispatch::ready(bus.bus_mut());
                while let Some(event) = bus.poll_event() {
                    let Event::LockFreed { waiters, .. } = event else {
                        continue;
                    };
                    wake.waiters.extend(waiters);
                }
            }
            wake.driver =
                l.next_deadline().unwrap_or(u64::MAX) < self.scheduled.load(Ordering::Acquire);
            (result, wake)
        });
        self.fire(wake);
        Ok(result)
    }

    fn fire(&self, wake: Wakeups) {
        dispatch::wake(self, &wake.subscribers);
        if !wake.waiters.is_empty() {
            let waiters = lock(&self.lock_waiters);
            for id in wake.waiters {
                if let Some(n) = waiters.get(&id) {
                    n.notify_one();
                }
            }
        }
        if wake.driver {
            self.wake_driver.notify_one();
        }
    }

    /// Exports the engine's counters and gauges to the metrics recorder (what changed
    /// since the last export), and the process's command counts; nothing once closed.
    fn export_stats(&self) {
        let mut exported = lock(&self.exported);
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        let stats = self.engine.stats();
        exported.update(stats);
        drop(exported);
        telemetry::export_commands();
    }

    fn shut_down(&self) {
        {
            let mut exported = lock(&self.exported);
            self.closed.store(true, Ordering::Release);
            exported.retract();
        }
        self.wake_driver.notify_one();
        dispatch::wake_all(self);
        for n in lock(&self.lock_waiters).values() {
            n.notify_one();
        }
    }
}

impl Inbox for Shared {
    const BACKEND: Backend = Backend::Memory;

    fn with_bus<R>(&self, f: impl FnOnce(&mut PubSub) -> R) -> Option<R> {
        if self.closed.load(Ordering::Acquire) {
            return None;
        }
        Some(self.engine.with_bus(|e| f(e.bus_mut())))
    }

    fn dispatchers(&self) -> &Mutex<HashMap<u64, Arc<Notify>>> {
        &self.dispatchers
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.shut_down();
    }
}

impl MemoryStorage {
    /// Starts a memory storage with `config`. Must run inside a tokio runtime (it spawns the
    /// expiry driver); outside one it returns [`StorageError::Unavailable`].
    pub fn start(config: MemoryConfig) -> Result<Self> {
        Self::open(config, &Durability::default())
    }

    /// An in-memory storage that logs its writes to `durability.data_dir` (when set) and
    /// starts from what the log holds (see the `durable` module for what survives a crash).
    /// Fails only when the log cannot be opened or is not a hedgestore log; a torn or corrupt
    /// tail is cut off with a warning.
    pub fn open(config: MemoryConfig, durability: &Durability) -> Result<Self> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| StorageError::Unavailable("MemoryStorage needs a tokio runtime".into()))?;
        let clock = SystemClock::new();
        let engine = ShardedEngine::new(clock.clone(), config.engine_config(), config.shards);
        let log = match &durability.data_dir {
            None => None,
            Some(dir) => {
                let started = std::time::Instant::now();
                let mut apply = |command| {
                    // Each logged write succeeded when it was first applied, in this order,
                    // so it succeeds again; a refusal (memory over a lowered budget) only
                    // skips it.
                    let _ = engine.execute(command);
                };
                let (log, recovered) = Log::open(durability, dir, &mut apply)
                    .map_err(|e| StorageError::Unavailable(format!("append-only log: {e}")))?;
                tracing::info!(
                    dir = %dir.display(),
                    records = recovered.records,
                    keys = engine.stats().keys,
                    truncated_bytes = recovered.truncated_bytes,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "memory storage loaded from its append-only log"
                );
                Some(Mutex::new(log))
            }
        };
        let fsync = log.as_ref().map(|l| lock(l).fsync);
        let shared = Arc::new(Shared {
            engine,
            clock,
            wake_driver: Arc::new(Notify::new()),
            scheduled: AtomicU64::new(u64::MAX),
            dispatchers: Mutex::new(HashMap::new()),
            lock_waiters: Mutex::new(HashMap::new()),
            next_waiter: AtomicU64::new(0),
            owner: crate::instance_id().into_bytes(),
            closed: AtomicBool::new(false),
            log,
            group_sync: Arc::default(),
            exported: Mutex::default(),
            record: AtomicBool::new(true),
        });
        shared.export_stats();
        runtime.spawn(drive(Arc::downgrade(&shared), shared.wake_driver.clone()));
        runtime.spawn(export_stats_every_second(Arc::downgrade(&shared)));
        let syncer = match fsync {
            Some(Fsync::EverySec) => Some(sync_every_second as fn(Weak<Shared>)),
            Some(Fsync::Always) => Some(sync_on_request as fn(Weak<Shared>)),
            Some(Fsync::No) | None => None,
        };
        if let Some(syncer) = syncer {
            let weak = Arc::downgrade(&shared);
            std::thread::Builder::new()
                .name("hedgestore-fsync".into())
                .spawn(move || syncer(weak))
                .map_err(|e| StorageError::Unavailable(format!("append-only log: {e}")))?;
        }
        Ok(Self { shared })
    }

    /// The engine's counters, summed over its shards.
    pub fn stats(&self) -> Stats {
        self.shared.engine.stats()
    }

    /// The number of shards the keyspace is spread over ([`MemoryConfig::shards`]).
    pub fn shards(&self) -> usize {
        self.shared.engine.shards()
    }

    /// A memory storage whose commands and transactions are not counted in the command
    /// metrics: the fallback storage's memory side, which counts the calls it serves itself
    /// (its own bookkeeping is not traffic). Engine, pub/sub and lock metrics are recorded.
    #[cfg(feature = "redis")]
    pub(crate) fn start_unrecorded(config: MemoryConfig) -> Result<Self> {
        let storage = Self::start(config)?;
        storage.shared.record.store(false, Ordering::Relaxed);
        Ok(storage)
    }

    /// A write on a storage with a data directory: run and appended to the log, answered
    /// when the log's sync policy is satisfied ([`execute_now`](Self::execute_now) answers
    /// every other command).
    async fn run_logged(&self, log: &Mutex<Log>, command: Command) -> Result<Reply> {
        let mut replies = self
            .shared
            .call_logged(log, vec![command], &[], |l, mut c| {
                let command = c.pop().expect("one command");
                Ok(vec![l.execute(command)?])
            })
            .await?;
        Ok(replies.pop().expect("one reply"))
    }

    /// Runs `commands` at once, in order (no boxed future; each command's own error is
    /// dropped): for the fallback's mirror, whose memory side never has a data directory.
    /// With one shard they all run under one lock of the engine; with more, each under the
    /// locks of its own shards (the writes to each key stay in order). A storage that logs
    /// refuses (its writes must go through the log, as [`BaseStorage::execute`] does).
    #[cfg(feature = "redis")]
    pub(crate) fn apply_all(&self, commands: impl IntoIterator<Item = Command>) -> Result<()> {
        if self.shared.log.is_some() {
            return Err(StorageError::Unavailable(
                "MemoryStorage::apply_all is for storages without a data directory".into(),
            ));
        }
        if self.shared.engine.shards() == 1 {
            return self.shared.call_one(0, |e| {
                for command in commands {
                    let _ = e.execute(command);
                }
            });
        }
        for command in commands {
            // Each command's own error is dropped, as documented; only a closed storage is
            // an error of the whole call.
            if let Err(StorageError::Closed) = self.shared.call_command(command) {
                return Err(StorageError::Closed);
            }
        }
        Ok(())
    }

    /// [`apply_all`](Self::apply_all) of one plain `SET`, from borrowed arguments (the
    /// fallback's mirror copy of a typed `SET`): on the key's shard by the engine's typed
    /// call, as the command would run; its own error dropped, as `apply_all` drops them.
    #[cfg(feature = "redis")]
    pub(crate) fn apply_set(
        &self,
        key: &[u8],
        value: &[u8],
        options: hedgestore_core::SetOptions,
    ) -> Result<()> {
        if self.shared.log.is_some() {
            return Err(StorageError::Unavailable(
                "MemoryStorage::apply_set is for storages without a data directory".into(),
            ));
        }
        let shared = &self.shared;
        shared.call_one(shared.engine.shard_of(key), |e| {
            let _ = e.set(key, value, options);
        })
    }

    /// Runs `command` in this call when nothing needs waiting for (every command, except a
    /// write on a storage with a data directory: it waits for its log), counted as
    /// [`BaseStorage::execute`] counts it; hands a logged write back.
    /// [`Storage`](crate::Storage) calls this first, so that its calls on memory need no
    /// boxed future.
    pub(crate) fn execute_now(&self, command: Command) -> Now {
        if self.shared.log.is_some() && command.is_write() {
            return Now::Logged(command);
        }
        let probe = self.probe(&command);
        let result = self.shared.call_command(command);
        if let Some(probe) = probe {
            probe.done(&result);
        }
        Now::Answered(result)
    }

    /// The metrics probe of `command`, unless this storage's commands are not counted (the
    /// fallback's own memory: its copies are not traffic).
    fn probe(&self, command: &Command) -> Option<Probe> {
        self.recorded()
            .then(|| Probe::command(Backend::Memory, command))
    }

    /// Whether this storage's commands are counted.
    fn recorded(&self) -> bool {
        self.shared.record.load(Ordering::Relaxed)
    }

    /// `GET` now: the typed call, or the command when the debug event wants its keys.
    fn get_now(&self, key: &[u8]) -> Result<Option<Bytes>> {
        match self.typed_call(CommandKind::Get, key, |e| e.get(key)) {
            Some(got) => got.map(|value| value.map(Bytes::from)),
            None => reply::value(self.command_now(Command::Get { key: key.to_vec() })?),
        }
    }

    /// `SET` now, on a storage without a data directory (see [`get_now`](Self::get_now)).
    fn set_now(&self, key: &[u8], value: &[u8], ttl: Option<Duration>) -> Result<()> {
        let options = ttl_option(ttl);
        match self.typed_call(CommandKind::Set, key, |e| e.set(key, value, options)) {
            Some(written) => written.map(|_| ()),
            None => {
                let reply = self.command_now(set_command(key, value, options))?;
                reply::ok_or_nil(reply).map(|_| ())
            }
        }
    }

    /// `command` now, through [`execute_now`](Self::execute_now): for commands that never
    /// wait for the log (reads, and writes on a storage without a data directory).
    fn command_now(&self, command: Command) -> Result<Reply> {
        match self.execute_now(command) {
            Now::Answered(answer) => answer,
            Now::Logged(_) => unreachable!("only storages without a data directory run this"),
        }
    }

    /// Runs `call` (the engine's typed call for the command of row `kind`) on the shard of
    /// `key`, under its lock and with the wakeups and metrics `execute` gives that command,
    /// without building a [`Command`]. `None` when the per-command debug event is on: it
    /// lists the command's keys, so the caller then goes through [`BaseStorage::execute`].
    fn typed_call<R>(
        &self,
        kind: CommandKind,
        key: &[u8],
        call: impl FnOnce(&mut Engine<SystemClock>) -> std::result::Result<R, hedgestore_core::Error>,
    ) -> Option<Result<R>> {
        let shared = &self.shared;
        let run = || match shared.call_one(shared.engine.shard_of(key), call) {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => Err(e.into()),
            Err(e) => Err(e),
        };
        if self.recorded() {
            Probe::typed_memory(kind, run)
        } else {
            Some(run())
        }
    }

    /// The fencing-token owner id this instance uses for locks.
    pub fn owner_id(&self) -> &[u8] {
        &self.shared.owner
    }

    fn subscribe_with(
        &self,
        pattern: bool,
        handler: Handler,
        setup: impl FnOnce(&mut Engine<SystemClock>, SubscriberId) -> Result<()>,
    ) -> Result<Subscription> {
        let id = self.shared.call(|e| {
            let id = e.create_subscriber();
            match setup(e, id) {
                Ok(()) => Ok(id),
                Err(err) => {
                    e.drop_subscriber(id);
                    Err(err)
                }
            }
        })??;
        Ok(dispatch::start(&self.shared, id, handler, pattern))
    }
}

/// Exports the engine's counters every [`telemetry::ENGINE_EXPORT_EVERY`] until the storage
/// is closed or dropped.
async fn export_stats_every_second(weak: Weak<Shared>) {
    loop {
        tokio::time::sleep(telemetry::ENGINE_EXPORT_EVERY).await;
        let Some(shared) = weak.upgrade() else { return };
        if shared.closed.load(Ordering::Acquire) {
            return;
        }
        shared.export_stats();
    }
}

/// Sleeps until the engine's next deadline (or an earlier one a call announces), then runs
/// one bounded expiry step. Exits when the storage is closed or dropped.
async fn drive(weak: Weak<Shared>, wake: Arc<Notify>) {
    loop {
        let (deadline, clock) = {
            let Some(shared) = weak.upgrade() else { return };
            if shared.closed.load(Ordering::Acquire) {
                return;
            }
            let deadline = shared.engine.next_deadline();
            shared
                .scheduled
                .store(deadline.unwrap_or(u64::MAX), Ordering::Release);
            (deadline, shared.clock.clone())
        };
        match deadline {
            Some(at) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(clock.instant_at(at)) => {}
                    _ = wake.notified() => {}
                }
            }
            None => wake.notified().await,
        }
        let Some(shared) = weak.upgrade() else { return };
        let now = shared.clock.now();
        for i in 0..shared.engine.engines() {
            let _ = shared.call_one(i, |e| {
                if e.next_deadline().is_some_and(|d| d <= now) {
                    e.handle_timeout(now);
                }
            });
        }
        drop(shared);
        // A backlog makes the next deadline immediate: let other tasks run between steps.
        tokio::task::yield_now().await;
    }
}

#[async_trait]
impl BaseStorage for MemoryStorage {
    async fn execute(&self, command: Command) -> Result<Reply> {
        let command = match self.execute_now(command) {
            Now::Answered(answered) => return answered,
            Now::Logged(command) => command,
        };
        let log = self.shared.log.as_ref().expect("only logged writes wait");
        let probe = self.probe(&command);
        let result = self.run_logged(log, command).await;
        if let Some(probe) = probe {
            probe.done(&result);
        }
        result
    }

    // `GET` and `SET`, the two hottest calls, run straight on the key's shard with the
    // engine's typed calls when their future is first polled: no `Command` built, no boxed
    // future, no `Reply` to convert back, no argument copied (the future borrows them).
    // They are the engine calls `execute` makes for these
    // commands, under the same lock, with the same wakeups and the same metrics. `SET` on a
    // storage with a data directory (its writes go through the log) takes `execute`'s path.

    fn get<'a>(&'a self, key: &'a [u8]) -> StorageFuture<'a, Result<Option<Bytes>>> {
        StorageFuture::deferred(Deferred {
            storage: self,
            key,
            value: &[],
            ttl: None,
            run: |storage, key, _, _| storage.get_now(key),
        })
    }

    fn set<'a>(
        &'a self,
        key: &'a [u8],
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> StorageFuture<'a, Result<()>> {
        if self.shared.log.is_some() {
            return set_by_command(self, key, value, ttl_option(ttl));
        }
        StorageFuture::deferred(Deferred {
            storage: self,
            key,
            value,
            ttl,
            run: |storage, key, value, ttl| storage.set_now(key, value, ttl),
        })
    }
}

#[async_trait]
impl PubSubStorage for MemoryStorage {
    async fn subscribe(&self, channel: &[u8], handler: Handler) -> Result<Subscription> {
        self.subscribe_with(false, handler, |e, id| {
            e.subscribe(id, channel);
            Ok(())
        })
    }

    async fn psubscribe(&self, pattern: &[u8], handler: Handler) -> Result<Subscription> {
        self.subscribe_with(true, handler, |e, id| {
            e.psubscribe(id, pattern)?;
            Ok(())
        })
    }
}

fn ttl_ms(ttl: Duration) -> u64 {
    crate::clock::duration_millis(ttl).unsigned_abs()
}

#[async_trait]
impl LockStorage for MemoryStorage {
    async fn acquire_lock(
        &self,
        name: &[u8],
        ttl: Duration,
        wait: Option<Duration>,
    ) -> Result<Option<Lock>> {
        let shared = &self.shared;
        let ttl = ttl_ms(ttl);
        let give_up = wait.map(|w| tokio::time::Instant::now() + w);
        let mut waited = false;
        loop {
            let waiter = shared.next_waiter.fetch_add(1, Ordering::Relaxed);
            let notify = Arc::new(Notify::new());
            // Try, and register as a waiter, in one critical section: a release between the
            // two cannot be missed.
            let acquired = shared.call(|e| {
                let token = e.acquire_lock(name, &shared.owner, ttl)?;
                if token.is_none() && give_up.is_some() {
                    e.wait_for_lock(name, waiter);
                    lock(&shared.lock_waiters).insert(waiter, notify.clone());
                }
                Ok::<_, hedgestore_core::Error>(token)
            })??;
            if let Some(token) = acquired {
                telemetry::lock_acquire(Backend::Memory, true, waited);
                return Ok(Some(Lock {
                    name: Bytes::copy_from_slice(name),
                    token,
                }));
            }
            waited = true;
            let Some(deadline) = give_up else {
                telemetry::lock_acquire(Backend::Memory, false, waited);
                return Ok(None);
            };
            // The lock's expiry may now be the earliest deadline: make sure the driver knows.
            shared.wake_driver.notify_one();
            let woken = tokio::time::timeout_at(deadline, notify.notified())
                .await
                .is_ok();
            lock(&shared.lock_waiters).remove(&waiter);
            let _ = shared.call(|e| e.cancel_lock_wait(name, waiter));
            if shared.closed.load(Ordering::Acquire) {
                return Err(StorageError::Closed);
            }
            if !woken {
                // One last attempt at the deadline, then give up.
                let token = shared.call(|e| e.acquire_lock(name, &shared.owner, ttl))??;
                telemetry::lock_acquire(Backend::Memory, token.is_some(), waited);
                return Ok(token.map(|token| Lock {
                    name: Bytes::copy_from_slice(name),
                    token,
                }));
            }
        }
    }

    async fn release_lock(&self, name: &[u8]) -> Result<bool> {
        let owner = self.shared.owner.clone();
        self.shared
            .call(|e| e.release_lock(name, LockHolder::Owner(&owner)))
    }

    async fn release(&self, lock: &Lock) -> Result<bool> {
        self.shared
            .call(|e| e.release_lock(&lock.name, LockHolder::Token(lock.token)))
    }

    async fn extend_lock(&self, name: &[u8], ttl: Duration) -> Result<bool> {
        let owner = self.shared.owner.clone();
        Ok(self
            .shared
            .call(|e| e.extend_lock(name, LockHolder::Owner(&owner), ttl_ms(ttl)))??)
    }
}

#[async_trait]
impl CompleteStorage for MemoryStorage {
    async fn key_versions(&self, keys: &[Vec<u8>]) -> Result<Vec<KeyVersion>> {
        if self.shared.closed.load(Ordering::Acquire) {
            return Err(StorageError::Closed);
        }
        // Read together, under the locks of every shard involved, as one engine reads them.
        let keys: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
        let set = self.shared.engine.engines_for(&[], &keys);
        Ok(self.shared.engine.locked(set.as_slice(), |l| {
            keys.iter()
                .map(|k| KeyVersion(Bytes::copy_from_slice(&l.key_version(k).to_le_bytes())))
                .collect()
        }))
    }

    async fn execute_transaction(
        &self,
        watched: Vec<(Vec<u8>, KeyVersion)>,
        commands: Vec<Command>,
    ) -> Result<Vec<Reply>> {
        let watched = watched
            .into_iter()
            .map(|(k, v)| {
                let raw: [u8; 8] = v.0.as_ref().try_into().map_err(|_| {
                    StorageError::Decode("a key version read from another storage backend".into())
                })?;
                Ok((k, u64::from_le_bytes(raw)))
            })
            .collect::<Result<Vec<_>>>()?;
        let watched_keys: Vec<&[u8]> = watched.iter().map(|(k, _)| k.as_slice()).collect();
        let probe = self
            .recorded()
            .then(|| Probe::transaction(Backend::Memory, &commands));
        let result = match &self.shared.log {
            Some(log) if commands.iter().any(Command::is_write) => {
                self.shared
                    .call_logged(log, commands, &watched_keys, |l, commands| {
                        Ok(l.execute_batch_watched(&watched, commands)?)
                    })
                    .await
            }
            _ => {
                let set = self.shared.engine.engines_for(&commands, &watched_keys);
                Ok(self.shared.call_locked(set.as_slice(), |l| {
                    l.execute_batch_watched(&watched, commands)
                })??)
            }
        };
        if let Some(probe) = probe {
            probe.done(&result);
        }
        result
    }

    /// Also exports the engine's counters to the metrics recorder.
    async fn health(&self) -> Health {
        self.shared.export_stats();
        let mut health = Health::memory(self.stats());
        health.healthy = !self.shared.closed.load(Ordering::Acquire);
        health
    }

    async fn close(&self) -> Result<()> {
        self.shared.shut_down();
        match &self.shared.log {
            // A last sync of everything appended; writers waiting for one beyond it get an
            // error rather than waiting for the sync thread, which stops now.
            Some(log) => self.shared.group_sync.close(log),
            None => self.shared.sync_log(),
        }
        Ok(())
    }
}
