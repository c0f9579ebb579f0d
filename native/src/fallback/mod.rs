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
//! answers, writes are held for the duration of the recovery (so none is lost or
//! reordered), and then:
//! * if Redis is the same server as before (same `run_id`: it was hung or unreachable), the
//!   journal is replayed in order, in batches that each apply exactly once (the instance's
//!   marker key holds the last journal sequence number applied, so a batch retried after a
//!   lost reply is a no-op). A write that was *in flight* when Redis stopped answering is not
//!   replayed: Redis received it and applies it itself;
//! * if Redis restarted (new `run_id`: empty, or back from a snapshot), what this instance
//!   knew before the outage is merged in first, then the whole journal (in-flight writes
//!   included) is replayed the same way. The merge ([`scripts::BASE_MERGE`]) takes, per
//!   key, the value memory held just before the outage first wrote it (or now, for keys the
//!   outage did not write), once per key and restart, from whichever instance recovers
//!   first: a key Redis lacks gets it; a key that other instances' outage writes re-created
//!   gets it merged underneath (a counter adds it, a list gets its items in front, a hash
//!   the fields it lacks); a key Redis restored from its snapshot is left alone.
//! * then, if Redis still answers with the run id the plan was made for, traffic switches
//!   back to Redis and `BackendChanged` is announced. Replayed entries leave the journal
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
//! snapshot restart keeps the snapshot's value). Two more limits, both found by the
//! simulation and both needing a Redis restart at an unlucky moment: a write in flight at
//! the failover, replayed into a restarted Redis, applies twice if the restarted server
//! kept it after all (a snapshot taken after it) or another instance's pre-outage value
//! includes it; and outage writes replayed into a server that restarts before the recovery
//! finishes are replayed again (nothing is lost), so they count twice where another
//! instance saw them in the meantime and merges them as its pre-outage value. Replay and
//! merge markers
//! (`hedgestore:replay:*`, `hedgestore:base:*`, `hedgestore:fresh:*`) expire after 10 minutes.
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
mod pubsub;
mod recovery;
#[cfg(test)]
mod simulation;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use hedgestore_core::{Command, Error, Reply};
use tokio::sync::{broadcast, Notify};

use crate::config::{FallbackConfig, StorageConfig};
use crate::error::{Result, StorageError};
use crate::events::StorageEvent;
use crate::memory::MemoryStorage;
use crate::redis::RedisStorage;
use crate::subscription::{Handler, Subscription};
use crate::traits::{
    BackendKind, BaseStorage, CompleteStorage, FallbackHealth, Health, KeyVersion,
};

use hedgestore_core::forms::{journal_form, mirror_form};
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
    /// Calls on the Redis path hold it shared; recovery holds it exclusively, so no call
    /// that started on Redis (and mirrors into memory) overlaps the write-back or replay.
    gate: tokio::sync::RwLock<()>,
    counters: Counters,
    events: broadcast::Sender<StorageEvent>,
    subscriptions: Mutex<Vec<Arc<PendingSub>>>,
    wake_recovery: Arc<Notify>,
    closed: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn unix_millis_now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl FallbackStorage {
    /// Starts on Redis if it answers within the connect timeout, on memory otherwise (it
    /// never fails because Redis is down). Needs a tokio runtime.
    pub async fn start(config: StorageConfig) -> Result<Self> {
        let redis = RedisStorage::connect_lazy(config.redis.clone())?;
        let memory = MemoryStorage::start(config.memory.clone())?;
        let (events, _) = broadcast::channel(64);
        let inner = Arc::new(Inner {
            redis,
            memory,
            config: config.fallback.clone(),
            machine: Mutex::new(Machine::new()),
            since: Mutex::new(SystemTime::now()),
            journal: tokio::sync::Mutex::new(Journal::default()),
            gate: tokio::sync::RwLock::new(()),
            counters: Counters::default(),
            events,
            subscriptions: Mutex::new(Vec::new()),
            wake_recovery: Arc::new(Notify::new()),
            closed: AtomicBool::new(false),
        });
        let timeout = config.redis.connect_timeout.max(Duration::from_millis(50));
        match tokio::time::timeout(timeout, inner.redis.run_id()).await {
            Ok(Ok(id)) => {
                lock(&inner.machine).started(Some(id));
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
        tokio::spawn(recovery::recover_loop(
            Arc::downgrade(&inner),
            config.redis.health_check_interval,
        ));
        tokio::spawn(recovery::watch_health(
            Arc::downgrade(&inner),
            inner.redis.events(),
        ));
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

    /// Calls go to Redis (the machine serves `Redis`).
    fn on_redis(&self) -> bool {
        lock(&self.machine).on_redis()
    }

    /// Redis is unreachable: tells the machine, and announces the switch if it made one.
    fn fail_over(&self, error: &StorageError) {
        let switched = lock(&self.machine).fail_over();
        if switched {
            self.announce_failover(error);
        }
    }

    fn announce_failover(&self, error: &StorageError) {
        let now = SystemTime::now();
        let on_redis = now
            .duration_since(std::mem::replace(&mut *lock(&self.since), now))
            .unwrap_or_default();
        tracing::warn!(
            %error,
            served_from_redis_for_s = on_redis.as_secs(),
            "redis unreachable: serving from memory, journaling writes for the recovery"
        );
        let _ = self.events.send(StorageEvent::BackendChanged {
            from: BackendKind::Redis,
            to: BackendKind::Memory,
        });
        self.wake_recovery.notify_one();
    }

    /// Best-effort copy of a write that succeeded on Redis into memory.
    async fn mirror(&self, command: &Command, reply: &Reply) {
        if !self.config.mirror_writes {
            return;
        }
        for copy in mirror_form(command, reply) {
            let _ = self.memory.execute(copy).await;
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
        drop(self.gate.write().await);
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
        let _ = self.memory.execute(Command::Del { keys }).await;
    }

    /// Runs `command` on memory, journaling it if it writes. Scripts are refused: only
    /// Redis runs them, and it is unreachable.
    async fn on_memory(&self, command: Command, in_flight: bool) -> Result<Reply> {
        if command.is_script() {
            return Err(StorageError::Command(Error::ScriptsNeedReachableRedis));
        }
        if !command.is_write() {
            return self.memory.execute(command).await;
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
        let reply = self.memory.execute(command).await?;
        journal.append(journaled, in_flight);
        Ok(reply)
    }

    async fn execute(&self, command: Command) -> Result<Reply> {
        self.check_open()?;
        if !self.on_redis() {
            return self.on_memory(command, false).await;
        }
        let gate = self.gate.read().await;
        if !self.on_redis() {
            drop(gate);
            return self.on_memory(command, false).await;
        }
        let result = self.redis.execute_classified(&command).await;
        self.forget_script_keys(&command).await;
        let outcome = match &result {
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
        let after = lock(&self.machine).on_redis_outcome(outcome, command.is_write());
        match (after, result) {
            (AfterRedis::Answer { mirror }, Ok(reply)) => {
                if mirror {
                    self.mirror(&command, &reply).await;
                }
                Ok(reply)
            }
            (AfterRedis::Answer { .. }, Err(f)) => Err(f.error),
            (
                AfterRedis::ServeFromMemory {
                    switched,
                    in_flight,
                },
                result,
            ) => {
                drop(gate);
                if let (true, Err(f)) = (switched, &result) {
                    self.announce_failover(&f.error);
                }
                if in_flight {
                    self.counters
                        .in_flight_writes
                        .fetch_add(1, Ordering::Relaxed);
                }
                self.on_memory(command, in_flight).await
            }
        }
    }
}

#[async_trait]
impl BaseStorage for FallbackStorage {
    async fn execute(&self, command: Command) -> Result<Reply> {
        self.inner.execute(command).await
    }
}

#[async_trait]
impl CompleteStorage for FallbackStorage {
    async fn key_versions(&self, keys: &[Vec<u8>]) -> Result<Vec<KeyVersion>> {
        if self.inner.on_redis() {
            match self.inner.redis.key_versions(keys).await {
                Err(StorageError::Unavailable(e)) => {
                    self.inner.fail_over(&StorageError::Unavailable(e))
                }
                other => return other,
            }
        }
        self.inner.memory.key_versions(keys).await
    }

    async fn execute_transaction(
        &self,
        watched: Vec<(Vec<u8>, KeyVersion)>,
        commands: Vec<Command>,
    ) -> Result<Vec<Reply>> {
        self.inner.check_open()?;
        if self.inner.on_redis() {
            let _gate = self.inner.gate.read().await;
            if self.inner.on_redis() {
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
                        self.inner.fail_over(&StorageError::Unavailable(e))
                    }
                    Ok(replies) => {
                        for (c, r) in commands.iter().zip(&replies) {
                            self.inner.mirror(c, r).await;
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
        let replies = match self
            .inner
            .memory
            .execute_transaction(watched, commands.clone())
            .await
        {
            Err(StorageError::Decode(_)) => {
                return Err(StorageError::Transaction(
                    hedgestore_core::BatchError::Conflict {
                        key: b"(watched on another backend)".to_vec(),
                    },
                ))
            }
            other => other?,
        };
        for entry in journaled {
            journal.append(entry, false);
        }
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
        self.inner.closed.store(true, Ordering::Release);
        self.inner.wake_recovery.notify_one();
        let _ = self.inner.redis.close().await;
        self.inner.memory.close().await
    }
}
