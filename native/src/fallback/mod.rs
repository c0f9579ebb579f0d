//! `FallbackStorage`: Redis first, memory when Redis is down, and back with nothing lost.
//!
//! **Serving.** While Redis is healthy every call goes to Redis, and writes are mirrored into
//! memory (warm fallback, on by default). The mirror holds what *this instance* wrote (and
//! only what fits in memory's budget): after a failover, keys written by other clients are
//! missing or stale, and a key whose base value was never seen here (a counter created by
//! another process, say) shows only this instance's part. Counters are mirrored by value
//! (`INCR`'s reply is stored), so they do not drift.
//!
//! **Failover.** When a Redis call fails because Redis is unreachable (connection refused or
//! reset), or a health-check PING on its own connection goes unanswered for
//! `health_check_timeout` (2 s by default), the storage switches to memory, announces
//! `StorageEvent::BackendChanged`, logs a warning, and runs the call there: the caller sees
//! no error. A call that merely got no answer within the response timeout is *not* an
//! outage: it answers `StorageError::Timeout` (a read) or `StorageError::OutcomeUnknown` (a
//! write, which may have been applied) to its own caller, never retried, and makes the health
//! check run at once; if Redis is hung rather than slow, that check switches to memory.
//! Command errors (`WRONGTYPE` …) are answers, not failures.
//!
//! **Journal.** While on memory, every successful write is appended to a bounded outage
//! journal of core `Command`s, through one admission check for single writes and
//! transactions alike, with relative expiry times made absolute (`PXAT`, `PEXPIREAT`), so a
//! replay never extends a TTL nor revives an expired key. Its overflow policy is explicit ([`JournalOverflow`]): refuse
//! writes (default) or drop the journal and write memory's keys back on recovery; either way
//! a `StorageEvent::JournalFull` and a counter make it visible.
//!
//! **The decisions** (when to fail over, what a Redis outcome means for a call, which
//! recovery plan, when to switch back) are a sans-IO state machine in [`machine`], whose
//! module docs list its states, events and transitions; this module is the tokio driver
//! around it, and a deterministic simulation (`simulation`, tests only) drives the same
//! machine through thousands of seeded fault schedules against a model Redis.
//!
//! **Recovery.** A background task PINGs Redis with the configured backoff. When Redis
//! answers, the recovery runs in the background while memory keeps serving: new writes are
//! journaled behind the ones being replayed. Then:
//! * if Redis is the same server as before (same `run_id`: it was hung or unreachable), the
//!   journal is replayed in order, in batches that each apply exactly once (the instance's
//!   marker key holds the last journal sequence number applied, so a batch retried after a
//!   lost reply is a no-op);
//! * if Redis restarted (new `run_id`: empty, or back from a snapshot), what this instance
//!   knew before the outage is merged in first, then the whole journal is replayed the same
//!   way. The merge ([`scripts::BASE_MERGE`]) takes, per
//!   key, the value memory held just before the outage first wrote it (or now, for keys the
//!   outage did not write), once per key and restart, from whichever instance recovers
//!   first: a key Redis lacks gets it; a key that other instances' outage writes re-created
//!   gets it merged underneath (a counter adds it, a list gets its items in front, a hash
//!   the fields it lacks); a key Redis restored from its snapshot is left alone.
//! * then the switch: under the journal's lock (writes wait), what joined the journal since
//!   the last batch is replayed, and if Redis still answers with the run id the plan was
//!   made for, traffic switches back to Redis and `BackendChanged` is announced. Writes wait
//!   only for that last batch. If new writes outpace the background replay, it holds the
//!   journal for about a third of the response timeout (100 ms at most) at a time to catch
//!   up (checked between batches: the batch running when the hold ends finishes first, one
//!   Redis call bounded by the response timeout). (With
//!   `JournalOverflow::DropJournal` after an overflow, the write-back of memory runs at the
//!   switch and holds writes for its duration.) Replayed entries leave the journal
//!   only then: if Redis restarts during a recovery, the next one replays them into the
//!   restarted server (its snapshot's markers skip what it kept). Every recovery script
//!   first checks that it runs on the planned server (`WRONGSERVER` otherwise), because a
//!   connection can move to a restarted server without an error.
//!
//! What that guarantees, with any number of instances sharing the outage: every
//! acknowledged outage write reaches Redis exactly once and in order per instance, so
//! counters are the sum of every acknowledged increment on top of the known value, and
//! lists hold every pushed element. A `SET` key ends with the last value one of the
//! instances wrote (the one that recovers last). The limits: a pre-outage value is what one
//! instance last saw (its own writes are mirrored, others' are not), so increments made by
//! other instances just before the outage that Redis then lost are lost; and writes Redis
//! acknowledged before the outage are exactly as durable as Redis's own persistence (a
//! snapshot restart keeps the snapshot's value). One more limit, found by the simulation
//! and needing a Redis restart at an unlucky moment: outage writes replayed into a server
//! that restarts before the recovery finishes are replayed again (nothing is lost), so they
//! count twice where another instance saw them in the meantime and merges them as its
//! pre-outage value.
//!
//! **Writes in flight.** A write sent to Redis when the connection then failed may or may
//! not have been applied. It is never assumed applied: an idempotent one (`SET`, `HSET`,
//! `DEL`, `SADD`, absolute expiry …, the command table's `IDEMPOTENT` flag) is served from
//! memory and journaled, its replay harmless either way; any other (`INCR`, `RPUSH`,
//! transactions …) answers `StorageError::OutcomeUnknown` and is neither retried nor
//! journaled (counted in `FallbackHealth::in_flight_writes`). A connection Redis closed
//! while idle is noticed before the next write, which is then served from memory.
//!
//! Replay and merge markers
//! (`hedgestore:replay:*`, `hedgestore:base:*`, `hedgestore:fresh:*`) expire after 10 minutes.
//!
//! **Redis Cluster.** The same storage runs over a cluster, with the same guarantees; what
//! differs is where things live and what counts as an outage:
//! * the store fails over only when *no* master answers. One master down while its
//!   replica is promoted is not an outage: calls for its slots wait inside the operation
//!   timeout and then fail on their own (`Unavailable`, or `OutcomeUnknown` for a write that
//!   was sent), the other slots stay on Redis, nothing is journaled ([`shards`]);
//! * the server identity a recovery plans for is the cluster's: the sorted run ids of its
//!   masters. A master restarted or a replica promoted since the last switch makes it a
//!   "restarted" recovery (bases merged where Redis lacks the key), and every recovery
//!   script checks that the master running it is one of the planned masters;
//! * the journal is replayed per hash slot, one script per slot and batch, with one replay
//!   marker per instance *and slot*, and base and fresh-key markers hash-tagged into their
//!   key's slot ([`slots`]), so markers move with their slot when it is resharded;
//! * during an outage, writes whose keys span slots are refused with Redis's `CROSSSLOT`
//!   (except `DEL`/`UNLINK`/`TOUCH`/`MSET`, split per slot as the cluster client does), and
//!   keyless writes (`FLUSHDB`) need the cluster.
//!
//! **Pub/sub.** Handlers are registered on both backends and stay registered across
//! switches: during an outage, publishes reach local subscribers; after recovery the Redis
//! subscriptions are restored (or made, if Redis was down when they were created).
//!
//! **Locks.** A memory lock is not distributed, so by default `acquire_lock` fails with
//! `Unavailable` during an outage ([`LockFallback::FailClosed`]); [`LockFallback::Local`]
//! opts into local locks. Locks held in Redis before the outage stay valid for their holders
//! in Redis (they expire there at their TTL).

mod journal;
mod locks;
pub(crate) mod machine;
mod persist;
mod pubsub;
mod recovery;
mod shards;
#[cfg(test)]
mod simulation;
pub(crate) mod slots;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use hedgestore_core::{Command, Error, Reply, SetOptions};
use tokio::sync::{broadcast, Notify};

use crate::config::{FallbackConfig, StorageConfig};
use crate::error::{Result, StorageError};
use crate::events::StorageEvent;
use crate::memory::MemoryStorage;
use crate::methods::StorageFuture;
use crate::redis::RedisStorage;
use crate::reply;
use crate::subscription::{Handler, Subscription};
use crate::telemetry;
use crate::traits::{
    set_command, ttl_option, BackendKind, BaseStorage, CompleteStorage, FallbackHealth, Health,
    KeyVersion,
};

use hedgestore_core::forms::{for_each_mirror_form, journal_form};
use journal::{Admission, Journal};
use machine::{AfterRedis, Machine, RedisOutcome, Serving};

/// Redis with memory fallback. Cheap to clone.
#[derive(Clone)]
pub struct FallbackStorage {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for FallbackStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FallbackStorage")
            .field("serving", &self.serving())
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Counters {
    replay_errors: AtomicU64,
    journal_overflows: AtomicU64,
    in_flight_writes: AtomicU64,
}

struct PendingSub {
    pattern: bool,
    name: Vec<u8>,
    handler: Handler,
    /// The Redis side. A tokio mutex, held across the Redis call by the recovery that restores
    /// it and by `unsubscribe`, so an unsubscription can never miss a Redis subscription that
    /// recovery is making at the same moment.
    redis: tokio::sync::Mutex<Option<Subscription>>,
    active: AtomicBool,
}

struct Inner {
    redis: RedisStorage,
    memory: MemoryStorage,
    config: FallbackConfig,
    /// The failover decisions ([`machine`]). A std mutex, never held across an await.
    machine: Mutex<Machine>,
    since: Mutex<SystemTime>,
    /// The outage journal. Its lock also serializes memory-mode writes with recovery.
    journal: tokio::sync::Mutex<Journal>,
    /// The outage journal on disk, with a data directory ([`persist`]). Locked only while
    /// the journal is.
    journal_file: Option<Mutex<persist::JournalFile>>,
    /// Group commit of the journal file under `always` (its thread runs only then).
    journal_sync: crate::durable::GroupSync,
    /// Whether the machine serves Redis (the fast path's one atomic load; written only by
    /// [`Inner::machine_do`]).
    serving_redis: AtomicBool,
    /// Calls on the Redis path right now ([`Inner::enter_redis`]): a failover waits for
    /// them ([`Inner::drain_redis_calls`]), so no call that started on Redis (and mirrors
    /// into memory) overlaps outage writes, bases or the replay.
    redis_calls: AtomicUsize,
    /// Notified when `redis_calls` drops to zero.
    redis_calls_idle: Notify,
    counters: Counters,
    events: broadcast::Sender<StorageEvent>,
    subscriptions: Mutex<Vec<Arc<PendingSub>>>,
    wake_recovery: Arc<Notify>,
    /// Writes Redis acknowledged, waiting to be copied into memory ([`Inner::mirror`]).
    mirror_queue: MirrorQueue,
    closed: AtomicBool,
}

/// How many mirrored writes may wait to be copied into memory: a write that finds this many
/// waiting copies them all itself, waiting for the copy in progress, so the queue (and what
/// it holds of the callers' values) stays bounded. Documented on
/// `FallbackConfig::mirror_writes`.
pub(crate) const MIRROR_QUEUE_MAX: usize = 1024;

/// The queue of writes to mirror into memory, copied by combining: each caller appends its
/// copies under a short lock, then copies everything queued into memory itself unless
/// another caller is doing so already (that one looks at the queue again when it is done,
/// so nothing is left behind). Alone, a caller copies its own write at once (no wakeup, no
/// task hop); under contention one caller copies a batch for many, one engine lock per
/// batch, instead of every caller taking the engine's lock in turn and moving its hot state
/// between cores on every write (BENCHMARKS.md §6). No background task, no wakeups: on a
/// machine whose cores Redis shares, a copier on another core measured slower (§6).
struct MirrorQueue {
    pending: Mutex<Vec<Command>>,
    /// Copies queued or being copied (counted down once applied), readable without a lock.
    len: AtomicUsize,
    /// Held while queued copies are applied: one copier at a time, in queue order. Holds
    /// the copier's buffer, swapped with `pending` (no allocation per batch).
    applying: Mutex<Vec<Command>>,
}

impl MirrorQueue {
    fn new() -> Self {
        Self {
            pending: Mutex::new(Vec::new()),
            len: AtomicUsize::new(0),
            applying: Mutex::new(Vec::new()),
        }
    }
}

/// What a write whose outage-journal record did not reach the disk answers.
fn not_durable(e: String) -> StorageError {
    tracing::error!(error = %e, "outage journal file: a write is not durable");
    StorageError::OutcomeUnknown(format!(
        "applied in memory and journaled for redis, but not written to disk ({e}): it is \
         lost if the process dies before redis is back"
    ))
}

/// Syncs the outage journal for waiting writers (`always`, see [`persist`]) until the
/// storage is gone or closed.
fn sync_journal_on_request(weak: std::sync::Weak<Inner>) {
    loop {
        let Some(inner) = weak.upgrade() else { return };
        if inner.closed.load(Ordering::Acquire) {
            return;
        }
        if let Some(file) = &inner.journal_file {
            inner.journal_sync.serve(file);
        }
    }
}

/// A call on the Redis path (see [`Inner::enter_redis`]); dropping it ends the call.
struct RedisCall<'a>(&'a Inner);

impl Drop for RedisCall<'_> {
    fn drop(&mut self) {
        if self.0.redis_calls.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.redis_calls_idle.notify_waiters();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Puts what an earlier run's outage journal holds back into memory: the pre-outage values,
/// then the writes, so memory serves what that run acknowledged.
async fn restore_memory(memory: &MemoryStorage, loaded: &persist::Loaded) -> Result<()> {
    let now = unix_millis_now();
    for base in &loaded.bases {
        if base.expires_at != 0 && base.expires_at <= now {
            continue;
        }
        for command in recovery::base_commands(base) {
            memory.execute(command).await?;
        }
    }
    for (_, command) in &loaded.entries {
        // A write that failed when it was made fails again, as harmlessly.
        let _ = memory.execute(command.clone()).await;
    }
    Ok(())
}

/// Syncs the outage journal once a second while it has unsynced records (`everysec`).
async fn sync_every_second(weak: std::sync::Weak<Inner>) {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let Some(inner) = weak.upgrade() else { return };
        if inner.closed.load(Ordering::Acquire) {
            return;
        }
        inner.with_file(persist::JournalFile::sync_if_dirty);
    }
}

fn unix_millis_now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl FallbackStorage {
    /// Starts on Redis if it answers within the connect timeout, on memory otherwise (it
    /// never fails because Redis is down). Needs a tokio runtime.
    ///
    /// With a data directory ([`StorageConfig::durability`]) the outage journal is also
    /// written to disk (`hedgestore-outage.journal`); if an earlier run left outage writes there, it starts
    /// on memory with them and replays them into Redis before serving from it. An unreadable
    /// or foreign journal file is an error naming it.
    ///
    /// Over Sentinel it follows the master like [`RedisStorage`] does. Over a Redis Cluster
    /// it fails over only when no master answers, and replays the journal per hash slot
    /// (see the module docs' **Redis Cluster**).
    pub async fn start(config: StorageConfig) -> Result<Self> {
        let redis = RedisStorage::connect_lazy(config.redis.clone())?;
        // Its commands are counted here, as they serve callers, not the fallback's own
        // bookkeeping (mirrored writes, recovery snapshots).
        let memory = MemoryStorage::start_unrecorded(config.memory.clone())?;
        let (events, _) = broadcast::channel(64);
        let mut journal = Journal::default();
        let mut machine = Machine::new();
        let mut journal_file = None;
        let mut resumed = false;
        if let Some(dir) = &config.durability.data_dir {
            let (file, loaded) = persist::JournalFile::open(dir, config.durability.fsync)
                .map_err(StorageError::Unavailable)?;
            if let Some(owner) = loaded.owner.clone() {
                resumed = !loaded.entries.is_empty() || !loaded.bases.is_empty();
                if resumed {
                    tracing::warn!(
                        entries = loaded.entries.len(),
                        cut_bytes = loaded.truncated,
                        "outage journal of an earlier run found: serving from memory until \
                         it is replayed into redis"
                    );
                    restore_memory(&memory, &loaded).await?;
                    machine.resume(loaded.server.clone());
                    journal.restore(
                        owner,
                        loaded.entries,
                        loaded.bases,
                        loaded.replayed,
                        loaded.merged,
                        hedgestore_core::forms::command_bytes,
                    );
                }
            }
            journal_file = Some(Mutex::new(file));
        }
        let inner = Arc::new(Inner {
            redis,
            memory,
            config: config.fallback.clone(),
            machine: Mutex::new(machine),
            since: Mutex::new(SystemTime::now()),
            journal: tokio::sync::Mutex::new(journal),
            journal_file,
            journal_sync: crate::durable::GroupSync::default(),
            serving_redis: AtomicBool::new(false),
            redis_calls: AtomicUsize::new(0),
            redis_calls_idle: Notify::new(),
            counters: Counters::default(),
            events,
            subscriptions: Mutex::new(Vec::new()),
            wake_recovery: Arc::new(Notify::new()),
            mirror_queue: MirrorQueue::new(),
            closed: AtomicBool::new(false),
        });
        if resumed {
            // The earlier run's journal goes into Redis before Redis serves (the recovery
            // loop replays it as soon as Redis answers).
        } else if inner.journal_file.is_some() {
            // Nothing left to replay: an empty journal file (its recovery had finished).
            inner.with_file(|f| if f.begun() { f.clear() } else { Ok(()) });
        }
        let timeout = config.redis.connect_timeout.max(Duration::from_millis(50));
        if !resumed {
            match tokio::time::timeout(timeout, inner.redis.run_id()).await {
                Ok(Ok(id)) => {
                    inner.machine_do(|m| m.started(Some(id)));
                    tracing::info!("fallback storage serving from redis");
                }
                _ => {
                    let why = inner
                        .redis
                        .diagnosed(StorageError::Unavailable("no answer".into()))
                        .await;
                    tracing::warn!(%why, "redis unreachable at start: serving from memory until it answers");
                }
            }
        }
        if !inner.on_redis() {
            metrics::gauge!(telemetry::ON_MEMORY).increment(1.0);
        }
        tokio::spawn(recovery::recover_loop(
            Arc::downgrade(&inner),
            config.redis.health_check_interval,
        ));
        tokio::spawn(recovery::watch_health(
            Arc::downgrade(&inner),
            inner.redis.events(),
        ));
        if let Some(file) = &inner.journal_file {
            match config.durability.fsync {
                crate::durable::Fsync::EverySec => {
                    tokio::spawn(sync_every_second(Arc::downgrade(&inner)));
                }
                crate::durable::Fsync::Always => {
                    lock(file).group_syncs();
                    let weak = Arc::downgrade(&inner);
                    std::thread::Builder::new()
                        .name("hedgestore-journal-sync".into())
                        .spawn(move || sync_journal_on_request(weak))
                        .map_err(|e| {
                            StorageError::Unavailable(format!(
                                "could not start the outage journal's sync thread: {e}"
                            ))
                        })?;
                }
                crate::durable::Fsync::No => {}
            }
        }
        Ok(Self { inner })
    }

    /// Which backend serves right now.
    pub fn serving(&self) -> BackendKind {
        match lock(&self.inner.machine).serving() {
            Serving::Redis => BackendKind::Redis,
            Serving::Memory | Serving::Recovering => BackendKind::Memory,
        }
    }

    /// Backend changes, journal and connection events as they happen.
    pub fn events(&self) -> broadcast::Receiver<StorageEvent> {
        self.inner.events.subscribe()
    }

    /// The Redis backend behind this storage.
    pub fn redis(&self) -> &RedisStorage {
        &self.inner.redis
    }

    /// The memory backend behind this storage.
    pub fn memory(&self) -> &MemoryStorage {
        &self.inner.memory
    }
}

impl Inner {
    fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            Err(StorageError::Closed)
        } else {
            Ok(())
        }
    }

    /// Runs `f` on the journal file, if there is one; a failure is logged (progress records
    /// and syncs: the replay markers in Redis cover for them).
    fn with_file(
        &self,
        f: impl FnOnce(&mut persist::JournalFile) -> std::result::Result<(), String>,
    ) {
        if let Some(file) = &self.journal_file {
            if let Err(e) = f(&mut lock(file)) {
                tracing::error!(error = %e, "outage journal file");
            }
        }
    }

    /// Writes journal records to the file (with a data directory), after the `outage` record
    /// when this is the outage's first: before the write's reply. A write whose records
    /// cannot be written answers `OutcomeUnknown`: it is applied in memory and will be
    /// replayed, unless the process dies first.
    ///
    /// Under `always` the records are synced by the group sync: the position returned is
    /// what the writer waits for ([`Inner::synced`]) after leaving the journal's lock.
    fn persist(
        &self,
        journal: &Journal,
        f: impl FnOnce(&mut persist::JournalFile) -> std::result::Result<(), String>,
    ) -> Result<Option<u64>> {
        let Some(file) = &self.journal_file else {
            return Ok(None);
        };
        if journal.dropped {
            return Ok(None);
        }
        let mut file = lock(file);
        let result = (|| {
            if !file.begun() {
                let owner = journal.owner.as_deref().unwrap_or(self.redis.owner_id());
                let server = lock(&self.machine).known_run_id().map(str::to_string);
                file.begin(owner, server.as_deref())?;
            }
            f(&mut file)
        })();
        result.map(|()| file.wait_for()).map_err(not_durable)
    }

    /// Waits (outside the journal's lock) until the outage journal is synced up to
    /// `position` ([`persist`](Self::persist)'s answer; `None`: nothing to wait for).
    async fn synced(&self, position: Option<u64>) -> Result<()> {
        match position {
            Some(position) => self.journal_sync.wait(position).await.map_err(not_durable),
            None => Ok(()),
        }
    }

    /// Calls go to Redis (the machine serves `Redis`): one atomic load, kept in step with
    /// the machine by [`Inner::machine_do`].
    fn on_redis(&self) -> bool {
        self.serving_redis.load(Ordering::SeqCst)
    }

    /// Runs `f` on the machine, then publishes whether it serves Redis (every transition
    /// goes through here).
    fn machine_do<R>(&self, f: impl FnOnce(&mut Machine) -> R) -> R {
        let mut machine = lock(&self.machine);
        let result = f(&mut machine);
        self.serving_redis
            .store(machine.on_redis(), Ordering::SeqCst);
        result
    }

    /// Enters the Redis path: `None` when the machine does not serve Redis (then the call
    /// goes to memory). While the returned guard lives, a failover's
    /// [`Inner::drain_redis_calls`] waits for it.
    fn enter_redis(&self) -> Option<RedisCall<'_>> {
        self.redis_calls.fetch_add(1, Ordering::SeqCst);
        let call = RedisCall(self);
        // Checked after counting the call: a failover that switched before this load is seen
        // here (the call backs out); one after it sees the count and waits.
        self.on_redis().then_some(call)
    }

    /// Redis is unreachable: tells the machine, and announces the switch if it made one.
    fn fail_over(&self, error: &StorageError) {
        let switched = self.machine_do(Machine::fail_over);
        if switched {
            self.announce_failover(error);
        }
    }

    fn announce_failover(&self, error: &StorageError) {
        let now = SystemTime::now();
        let on_redis = now
            .duration_since(std::mem::replace(&mut *lock(&self.since), now))
            .unwrap_or_default();
        metrics::counter!(telemetry::FAILOVERS).increment(1);
        metrics::gauge!(telemetry::ON_MEMORY).increment(1.0);
        let last_success_ms = self
            .redis
            .since_last_success()
            .map_or(-1, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        tracing::warn!(
            %error,
            served_from_redis_for_s = on_redis.as_secs(),
            last_success_ms_ago = last_success_ms,
            "redis unreachable: serving from memory, journaling writes for the recovery"
        );
        let _ = self.events.send(StorageEvent::BackendChanged {
            from: BackendKind::Redis,
            to: BackendKind::Memory,
        });
        self.wake_recovery.notify_one();
    }

    /// Best-effort copy of a write that succeeded on Redis into memory. Takes the command:
    /// most writes are copied as they are, moved rather than cloned, through the mirror
    /// queue ([`MirrorQueue`]): copied before this returns, unless another caller is
    /// copying the queue (which then copies it too). Whatever reads memory for the
    /// fallback's sake (a failover's drain, reads served from memory, the recovery) waits
    /// for the queue to be copied first ([`flush_mirror`](Self::flush_mirror)).
    fn mirror(&self, command: Command, reply: &Reply) {
        if self.config.mirror_writes {
            self.enqueue_mirror(|push| for_each_mirror_form(command, reply, push));
        }
    }

    /// Appends what `fill` pushes to the mirror queue (under one lock of it), then copies
    /// the queue into memory unless another caller is copying it.
    fn enqueue_mirror(&self, fill: impl FnOnce(&mut dyn FnMut(Command))) {
        // The usual case, no copier busy and nothing queued: copied straight from the
        // copier's own buffer, without going through the queue.
        let mut fill = Some(fill);
        if self.copy_alone(|buffer| {
            (fill.take().expect("run once"))(&mut |copy| buffer.push(copy));
            let _ = self.memory.apply_all(buffer.drain(..));
        }) {
            return;
        }
        let fill = fill.expect("not run: a copier is busy or copies wait");
        let (added, queued) = {
            let mut pending = lock(&self.mirror_queue.pending);
            let before = pending.len();
            fill(&mut |copy| pending.push(copy));
            let added = pending.len() - before;
            self.mirror_queue.len.fetch_add(added, Ordering::SeqCst);
            (added, pending.len())
        };
        if queued >= MIRROR_QUEUE_MAX {
            self.flush_mirror();
        } else if added > 0 {
            // Pairs with the copier's fence after it lets go of `applying`: either it sees
            // this append, or this `try_lock` sees it gone (no copy left behind).
            std::sync::atomic::fence(Ordering::SeqCst);
            self.copy_mirror_unless_busy();
        }
    }

    /// The mirror's usual case, no copier busy and nothing queued: runs `copy` as the
    /// copier (given the copier's empty buffer, it copies into memory straight, without the
    /// queue), counted in the queue's length while it runs as queued copies are (see
    /// `apply_queued`), then copies what other callers queued meanwhile. `false`, with
    /// `copy` not run, when a copier is busy or copies wait.
    fn copy_alone(&self, copy: impl FnOnce(&mut Vec<Command>)) -> bool {
        let Ok(mut applying) = self.mirror_queue.applying.try_lock() else {
            return false;
        };
        if self.mirror_queue.len.load(Ordering::SeqCst) != 0 {
            return false;
        }
        self.mirror_queue.len.fetch_add(1, Ordering::SeqCst);
        copy(&mut applying);
        self.mirror_queue.len.fetch_sub(1, Ordering::SeqCst);
        drop(applying);
        // Pairs with the fence of a caller that queued meanwhile and found the copier's
        // lock taken: its copies are copied here.
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.mirror_queue.len.load(Ordering::SeqCst) > 0 {
            self.copy_mirror_unless_busy();
        }
        true
    }

    /// Copies the queue into memory unless another caller holds the copier's lock; after
    /// copying, looks again (a caller that appended meanwhile found the lock taken and left
    /// its copies to this one).
    fn copy_mirror_unless_busy(&self) {
        loop {
            let mut applying = match self.mirror_queue.applying.try_lock() {
                Ok(guard) => guard,
                Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => return,
            };
            self.apply_queued(&mut applying);
            drop(applying);
            std::sync::atomic::fence(Ordering::SeqCst);
            if self.mirror_queue.len.load(Ordering::SeqCst) == 0 {
                return;
            }
        }
    }

    /// Copies every queued mirror write into memory now, waiting for a copy in progress.
    fn flush_mirror(&self) {
        let mut applying = lock(&self.mirror_queue.applying);
        self.apply_queued(&mut applying);
    }

    /// Takes the queue (swapping it with the copier's empty `buffer`) and applies it to
    /// memory, leaving `buffer` empty with its capacity.
    fn apply_queued(&self, buffer: &mut Vec<Command>) {
        std::mem::swap(&mut *lock(&self.mirror_queue.pending), buffer);
        let taken = buffer.len();
        if taken > 0 {
            let _ = self.memory.apply_all(buffer.drain(..));
            // Counted down only once applied: `len` counts copies queued *or being copied*,
            // so a reader that finds it 0 knows memory holds every acknowledged write.
            self.mirror_queue.len.fetch_sub(taken, Ordering::SeqCst);
        }
    }

    /// [`flush_mirror`](Self::flush_mirror) when anything is queued (one atomic load
    /// otherwise).
    fn flush_mirror_if_pending(&self) {
        if self.mirror_queue.len.load(Ordering::SeqCst) > 0 {
            self.flush_mirror();
        }
    }

    /// Asks the journal's bound about `bytes` more ([`Journal::admit`]), counting and
    /// announcing an overflow: the one check every journaled write passes (single commands,
    /// transactions, pipelines), before anything is applied to memory.
    fn admit(&self, journal: &mut Journal, bytes: usize) -> Result<()> {
        let held = journal.bytes;
        let admission = journal.admit(
            bytes,
            self.config.journal_max_bytes,
            self.config.journal_overflow,
        );
        let announce = match admission {
            Admission::Admitted => return Ok(()),
            Admission::Refused { announce } | Admission::Dropped { announce } => announce,
        };
        self.counters
            .journal_overflows
            .fetch_add(1, Ordering::Relaxed);
        metrics::counter!(telemetry::JOURNAL_OVERFLOWS).increment(1);
        telemetry::journal(journal.entries.len(), journal.bytes);
        if announce {
            tracing::warn!("outage journal full ({held} bytes)");
            let _ = self.events.send(StorageEvent::JournalFull { bytes: held });
        }
        match admission {
            Admission::Refused { .. } => Err(StorageError::Unavailable(
                "redis is down and the outage journal is full".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Records, for every key these writes touch for the first time in this outage, what
    /// memory holds for it now (nothing when memory has no such key). Counted in the
    /// journal's bytes.
    async fn capture_bases(&self, journal: &mut Journal, commands: &[Command]) -> Result<()> {
        for key in journal.keys_needing_base(commands) {
            if let Some(base) = recovery::snapshot(&self.memory, &key).await? {
                self.persist(journal, |f| f.base(&base))?;
                journal.add_base(base);
            }
        }
        Ok(())
    }

    /// Waits until every call that started on Redis before the failover has finished,
    /// mirror included (each holds the gate shared for its whole run). A write Redis
    /// acknowledged is therefore in memory before any outage write is applied or any base
    /// captured: without this, a mirror landing after the failover would be in neither the
    /// base nor the journal, and lost on a Redis that restarted empty. Taken before the
    /// journal lock, in the same order as recovery takes them.
    async fn drain_redis_calls(&self) {
        loop {
            let idle = self.redis_calls_idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.redis_calls.load(Ordering::SeqCst) == 0 {
                // Their mirror writes may still be queued: in memory before anything else.
                self.flush_mirror_if_pending();
                return;
            }
            idle.await;
        }
    }

    /// Removes the keys a script declared from the memory mirror. A script's effects are
    /// its own (Redis runs it, and its reply does not say what it wrote), so they can be
    /// neither mirrored nor journaled: rather than keep values the script may have changed,
    /// memory forgets those keys, and a failover then finds them missing, never stale.
    /// Called whenever a script was sent to Redis, whatever came back (a script that fails
    /// halfway keeps the writes it made). A script that writes keys it did not declare
    /// leaves those stale in the mirror, as Redis's rules for scripts forbid.
    async fn forget_script_keys(&self, command: &Command) {
        if !command.is_script() || command.keys().is_empty() {
            return;
        }
        let keys = command.keys().into_iter().map(<[u8]>::to_vec).collect();
        // After the copies queued before it, which it must override.
        self.flush_mirror_if_pending();
        let _ = self.memory.execute(Command::Del { keys }).await;
    }

    /// Runs a caller's `command` on memory, counted in the command metrics.
    async fn memory_execute(&self, command: Command) -> Result<Reply> {
        let probe = telemetry::Probe::command(telemetry::Backend::Memory, &command);
        let result = self.memory.execute(command).await;
        probe.done(&result);
        result
    }

    /// Runs `command` on memory, journaling it if it writes. Scripts are refused: only
    /// Redis runs them, and it is unreachable.
    async fn on_memory(&self, command: Command) -> Result<Reply> {
        if command.is_script() {
            return Err(StorageError::Command(Error::ScriptsNeedReachableRedis));
        }
        if !command.is_write() {
            // A read right after a failover sees what Redis acknowledged before it.
            self.flush_mirror_if_pending();
            return self.memory_execute(command).await;
        }
        if let Some(refused) = self.refused_on_cluster(&command) {
            return Err(refused);
        }
        self.drain_redis_calls().await;
        let mut journal = self.journal.lock().await;
        if self.on_redis() {
            // A recovery finished while this write waited for the journal: Redis serves
            // again, so the write goes there (memory-only, it would never reach Redis).
            drop(journal);
            return Box::pin(self.execute(command)).await;
        }
        let journaled = journal_form(&command, unix_millis_now());
        self.admit(&mut journal, journaled.1)?;
        self.capture_bases(&mut journal, std::slice::from_ref(&command))
            .await?;
        let reply = self.memory_execute(command).await?;
        let seq = journal.next_seq();
        let persisted = self.persist(&journal, |f| f.entries(seq, &[&journaled.0]));
        journal.append(journaled);
        telemetry::journal(journal.entries.len(), journal.bytes);
        drop(journal);
        self.synced(persisted?).await.map(|()| reply)
    }

    async fn execute(&self, command: Command) -> Result<Reply> {
        self.check_open()?;
        // The memory path is boxed: its future (journal lock, bases, the write) would
        // otherwise make every healthy call's future larger.
        if !self.on_redis() {
            return Box::pin(self.on_memory(command)).await;
        }
        let Some(gate) = self.enter_redis() else {
            return Box::pin(self.on_memory(command)).await;
        };
        let result = self.redis.execute_classified(&command).await;
        self.after_redis(command, gate, result).await
    }

    /// `GET`: on Redis by its typed call (no core `Command` built unless the answer is a
    /// failure, which then takes [`execute`](Self::execute)'s handling as it is); else the
    /// command through `execute`.
    async fn get(&self, key: &[u8]) -> Result<Option<Bytes>> {
        self.check_open()?;
        if self.on_redis() {
            if let Some(gate) = self.enter_redis() {
                if let Some(result) = self.redis.get_classified(key).await {
                    // A read answered needs nothing more (no mirror): `decide`'s first step.
                    if let Ok(reply) = result {
                        return reply::value(reply);
                    }
                    let command = Command::Get { key: key.to_vec() };
                    return reply::value(Box::pin(self.after_redis(command, gate, result)).await?);
                }
            }
        }
        reply::value(self.execute(Command::Get { key: key.to_vec() }).await?)
    }

    /// A plain `SET` (the trait's `set`): on Redis by its typed call, mirrored into memory
    /// from the borrowed arguments (no core `Command` built unless the answer is a failure,
    /// which then takes [`execute`](Self::execute)'s handling as it is, or the mirror copy
    /// has to wait in the queue); else the command through `execute`.
    async fn set(&self, key: &[u8], value: &[u8], ttl: Option<Duration>) -> Result<()> {
        self.check_open()?;
        let options = ttl_option(ttl);
        if self.on_redis() {
            if let Some(gate) = self.enter_redis() {
                if let Some(result) = self.redis.set_classified(key, value, options).await {
                    let reply = match result {
                        // `decide`'s first step for a write answered: copy it into memory
                        // (under the gate, as `execute` does).
                        Ok(reply) => {
                            if self.config.mirror_writes {
                                self.mirror_set(key, value, options);
                            }
                            drop(gate);
                            reply
                        }
                        Err(_) => {
                            let command = set_command(key, value, options);
                            Box::pin(self.after_redis(command, gate, result)).await?
                        }
                    };
                    return reply::ok_or_nil(reply).map(|_| ());
                }
            }
        }
        let reply = self.execute(set_command(key, value, options)).await?;
        reply::ok_or_nil(reply).map(|_| ())
    }

    /// The mirror copy of a plain `SET` Redis acknowledged: straight from the borrowed
    /// arguments when no copier is busy ([`copy_alone`](Self::copy_alone)), else the
    /// command queued as [`mirror`](Self::mirror) queues it.
    fn mirror_set(&self, key: &[u8], value: &[u8], options: SetOptions) {
        if !self.copy_alone(|_| {
            let _ = self.memory.apply_set(key, value, options);
        }) {
            self.enqueue_mirror(|push| push(set_command(key, value, options)));
        }
    }

    /// What follows Redis's `result` for `command` (sent under `gate`): the answer, the
    /// mirror copy, or the memory path or `OutcomeUnknown` that a failure calls for.
    async fn after_redis(
        &self,
        command: Command,
        gate: RedisCall<'_>,
        result: std::result::Result<Reply, crate::redis::Failure>,
    ) -> Result<Reply> {
        if command.is_script() {
            Box::pin(self.forget_script_keys(&command)).await;
        }
        // Boxed, as the other rare paths: only a failure asks whether one shard is down.
        if result.is_err() {
            if let Some(error) = Box::pin(self.shard_failure(&result)).await {
                return Err(error);
            }
        }
        match (self.decide(&command, &result), result) {
            (AfterRedis::Answer { mirror }, Ok(reply)) => {
                if mirror {
                    self.mirror(command, &reply);
                }
                Ok(reply)
            }
            (AfterRedis::Answer { .. }, Err(f)) => Err(f.error),
            (AfterRedis::ServeFromMemory { .. }, _) => {
                drop(gate);
                Box::pin(self.on_memory(command)).await
            }
            (AfterRedis::OutcomeUnknown { .. }, _) => Err(outcome_unknown()),
        }
    }

    /// What Redis's `result` for `command` means ([`Machine::on_redis_outcome`]): a switch
    /// to memory is announced, a write of unknown outcome counted.
    fn decide(
        &self,
        command: &Command,
        result: &std::result::Result<Reply, crate::redis::Failure>,
    ) -> AfterRedis {
        let outcome = match result {
            Ok(_) => RedisOutcome::Ok,
            Err(f) => match f.error {
                StorageError::Unavailable(_) => RedisOutcome::Unreachable {
                    maybe_applied: f.maybe_applied,
                },
                StorageError::Timeout(_) | StorageError::OutcomeUnknown(_) => {
                    RedisOutcome::NoAnswer
                }
                _ => RedisOutcome::CommandError,
            },
        };
        if let Ok(after) = Machine::answered(outcome, command.is_write()) {
            return after;
        }
        let idempotent = matches!(
            outcome,
            RedisOutcome::Unreachable {
                maybe_applied: true
            }
        ) && journal_form(command, unix_millis_now()).0.is_idempotent();
        let after =
            self.machine_do(|m| m.on_redis_outcome(outcome, command.is_write(), idempotent));
        if let (
            AfterRedis::ServeFromMemory { switched: true }
            | AfterRedis::OutcomeUnknown { switched: true },
            Err(f),
        ) = (after, result)
        {
            self.announce_failover(&f.error);
        }
        if let AfterRedis::OutcomeUnknown { .. } = after {
            self.counters
                .in_flight_writes
                .fetch_add(1, Ordering::Relaxed);
        }
        after
    }

    /// Runs a pipeline: on Redis in one round trip (successful writes mirrored), each command
    /// then settled as a single call would be; on memory command by command, journaled.
    async fn pipeline(&self, commands: Vec<Command>) -> Vec<Result<Reply>> {
        if let Err(e) = self.check_open() {
            return commands.iter().map(|_| Err(e.clone())).collect();
        }
        if !self.on_redis() {
            return self.pipeline_on_memory(commands).await;
        }
        let Some(gate) = self.enter_redis() else {
            return self.pipeline_on_memory(commands).await;
        };
        let results = self.redis.pipeline_classified(&commands).await;
        let mut out: Vec<Option<Result<Reply>>> = Vec::with_capacity(commands.len());
        let mut to_memory = Vec::new();
        // The pipeline's mirror copies, queued together (one lock of the queue).
        let mut copies = Vec::new();
        for (i, (command, result)) in commands.into_iter().zip(results).enumerate() {
            if command.is_script() {
                // Its keys are forgotten after the copies queued before it.
                self.enqueue_mirror(|push| copies.drain(..).for_each(push));
                self.forget_script_keys(&command).await;
            }
            if result.is_err() {
                if let Some(error) = Box::pin(self.shard_failure(&result)).await {
                    out.push(Some(Err(error)));
                    continue;
                }
            }
            match (self.decide(&command, &result), result) {
                (AfterRedis::Answer { mirror }, Ok(reply)) => {
                    if mirror && self.config.mirror_writes {
                        for_each_mirror_form(command, &reply, |c| copies.push(c));
                    }
                    out.push(Some(Ok(reply)));
                }
                (AfterRedis::Answer { .. }, Err(f)) => out.push(Some(Err(f.error))),
                (AfterRedis::ServeFromMemory { .. }, _) => {
                    out.push(None);
                    to_memory.push((i, command));
                }
                (AfterRedis::OutcomeUnknown { .. }, _) => out.push(Some(Err(outcome_unknown()))),
            }
        }
        self.enqueue_mirror(|push| copies.into_iter().for_each(push));
        drop(gate);
        for (i, command) in to_memory {
            out[i] = Some(self.on_memory(command).await);
        }
        out.into_iter()
            .map(|r| r.expect("every command settled"))
            .collect()
    }

    /// A pipeline while memory serves: command by command, each journaled (or sent to Redis,
    /// should a recovery finish meanwhile).
    async fn pipeline_on_memory(&self, commands: Vec<Command>) -> Vec<Result<Reply>> {
        let mut out = Vec::with_capacity(commands.len());
        for command in commands {
            out.push(Box::pin(self.execute(command)).await);
        }
        out
    }
}

/// The answer to a write that was sent when Redis became unreachable (see the module docs).
fn outcome_unknown() -> StorageError {
    StorageError::OutcomeUnknown(
        "redis became unreachable after this write was sent: it may or may not have been \
         applied (not retried, not journaled)"
            .into(),
    )
}

#[async_trait]
impl BaseStorage for FallbackStorage {
    async fn execute(&self, command: Command) -> Result<Reply> {
        self.inner.execute(command).await
    }

    fn get<'a>(&'a self, key: &'a [u8]) -> StorageFuture<'a, Result<Option<Bytes>>> {
        StorageFuture::boxed(self.inner.get(key))
    }

    fn set<'a>(
        &'a self,
        key: &'a [u8],
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> StorageFuture<'a, Result<()>> {
        StorageFuture::boxed(self.inner.set(key, value, ttl))
    }
}

#[async_trait]
impl CompleteStorage for FallbackStorage {
    async fn execute_pipeline(&self, commands: Vec<Command>) -> Vec<Result<Reply>> {
        self.inner.pipeline(commands).await
    }

    async fn key_versions(&self, keys: &[Vec<u8>]) -> Result<Vec<KeyVersion>> {
        if self.inner.on_redis() {
            match self.inner.redis.key_versions(keys).await {
                Err(StorageError::Unavailable(e)) => {
                    if self.inner.only_a_shard_is_down().await {
                        return Err(StorageError::Unavailable(e));
                    }
                    self.inner.fail_over(&StorageError::Unavailable(e))
                }
                other => return other,
            }
        }
        // Served from memory: every write copied there before is applied first, as for reads.
        self.inner.flush_mirror_if_pending();
        self.inner.memory.key_versions(keys).await
    }

    async fn execute_transaction(
        &self,
        watched: Vec<(Vec<u8>, KeyVersion)>,
        commands: Vec<Command>,
    ) -> Result<Vec<Reply>> {
        self.inner.check_open()?;
        if self.inner.on_redis() {
            if let Some(_gate) = self.inner.enter_redis() {
                let result = self
                    .inner
                    .redis
                    .execute_transaction(watched.clone(), commands.clone())
                    .await;
                for command in &commands {
                    self.inner.forget_script_keys(command).await;
                }
                match result {
                    Err(StorageError::Unavailable(e)) => {
                        if self.inner.only_a_shard_is_down().await {
                            return Err(StorageError::Unavailable(e));
                        }
                        self.inner.fail_over(&StorageError::Unavailable(e))
                    }
                    Ok(replies) => {
                        for (c, r) in commands.into_iter().zip(&replies) {
                            self.inner.mirror(c, r);
                        }
                        return Ok(replies);
                    }
                    other => return other,
                }
            }
        }
        // On memory: admitted by the journal as a whole, run atomically there, then every
        // write of the batch journaled (through the same path as single commands). Scripts
        // need Redis.
        if commands.iter().any(Command::is_script) {
            return Err(StorageError::Command(Error::ScriptsNeedReachableRedis));
        }
        if let Some(refused) = self
            .inner
            .transaction_refused_on_cluster(&watched, &commands)
        {
            return Err(refused);
        }
        self.inner.drain_redis_calls().await;
        let mut journal = self.inner.journal.lock().await;
        if self.inner.on_redis() {
            drop(journal);
            return Box::pin(self.execute_transaction(watched, commands)).await;
        }
        let now = unix_millis_now();
        let journaled: Vec<_> = commands
            .iter()
            .filter(|c| c.is_write())
            .map(|c| journal_form(c, now))
            .collect();
        self.inner
            .admit(&mut journal, journaled.iter().map(|(_, bytes)| bytes).sum())?;
        self.inner.capture_bases(&mut journal, &commands).await?;
        let probe = telemetry::Probe::transaction(telemetry::Backend::Memory, &commands);
        let result = self
            .inner
            .memory
            .execute_transaction(watched, commands.clone())
            .await;
        probe.done(&result);
        let replies = match result {
            Err(StorageError::Decode(_)) => {
                return Err(StorageError::Transaction(
                    hedgestore_core::BatchError::Conflict {
                        key: b"(watched on another backend)".to_vec(),
                    },
                ))
            }
            other => other?,
        };
        let seq = journal.next_seq();
        let writes: Vec<&Command> = journaled.iter().map(|(c, _)| c).collect();
        let persisted = if writes.is_empty() {
            Ok(None)
        } else {
            self.inner.persist(&journal, |f| f.entries(seq, &writes))
        };
        for entry in journaled {
            journal.append(entry);
        }
        telemetry::journal(journal.entries.len(), journal.bytes);
        drop(journal);
        self.inner.synced(persisted?).await?;
        Ok(replies)
    }

    async fn health(&self) -> Health {
        let redis = self.inner.redis.health().await;
        let journal = self.inner.journal.lock().await;
        let c = &self.inner.counters;
        let (recoveries, failovers) = {
            let machine = lock(&self.inner.machine);
            (machine.recoveries(), machine.failovers())
        };
        let mut health = Health::memory(self.inner.memory.stats());
        health.backend = self.serving();
        health.healthy = !self.inner.closed.load(Ordering::Acquire);
        health.last_error = redis.last_error;
        health.latency = redis.latency;
        health.reconnects = redis.reconnects;
        health.health_checks = redis.health_checks;
        health.fallback = Some(FallbackHealth {
            serving_since: *lock(&self.inner.since),
            journal_entries: journal.entries.len(),
            journal_bytes: journal.bytes,
            recoveries,
            failovers,
            replay_errors: c.replay_errors.load(Ordering::Relaxed),
            journal_overflows: c.journal_overflows.load(Ordering::Relaxed),
            in_flight_writes: c.in_flight_writes.load(Ordering::Relaxed),
        });
        health
    }

    async fn close(&self) -> Result<()> {
        let first = !self.inner.closed.swap(true, Ordering::AcqRel);
        if first && !self.inner.on_redis() {
            metrics::gauge!(telemetry::ON_MEMORY).decrement(1.0);
        }
        self.inner.wake_recovery.notify_one();
        if let Some(file) = &self.inner.journal_file {
            // Writers waiting for the journal's group sync get their answer (its thread
            // stops with the storage).
            self.inner.journal_sync.close(file);
        }
        let _ = self.inner.redis.close().await;
        self.inner.memory.close().await
    }
}
