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
//! **Recovery.** A background task PINGs Redis with the configured backoff. When Redis
//! answers, writes are held for the duration of the recovery (so none is lost or
//! reordered), and then:
//! * if Redis is the same server as before (same `run_id`: it was hung or unreachable), the
//!   journal is replayed in order, in batches that each apply exactly once (a marker key
//!   makes a batch retried after a lost reply a no-op). A write that was *in flight* when
//!   Redis stopped answering is not replayed: Redis received it and applies it itself;
//! * if Redis restarted (new `run_id`: empty, or back from a snapshot), what this instance
//!   knew before the outage is merged in first, then the whole journal (in-flight writes
//!   included) is replayed the same way. The merge ([`scripts::BASE_MERGE`]) takes, per
//!   key, the value memory held just before the outage first wrote it (or now, for keys the
//!   outage did not write), once per key and restart, from whichever instance recovers
//!   first: a key Redis lacks gets it; a key that other instances' outage writes re-created
//!   gets it merged underneath (a counter adds it, a list gets its items in front, a hash
//!   the fields it lacks); a key Redis restored from its snapshot is left alone.
//! * then traffic switches back to Redis and `BackendChanged` is announced.
//!
//! What that guarantees, with any number of instances sharing the outage: every
//! acknowledged outage write reaches Redis exactly once and in order per instance, so
//! counters are the sum of every acknowledged increment on top of the known value, and
//! lists hold every pushed element. A `SET` key ends with the last value one of the
//! instances wrote (the one that recovers last). The limits: a pre-outage value is what one
//! instance last saw (its own writes are mirrored, others' are not), so increments made by
//! other instances just before the outage that Redis then lost are lost; and writes Redis
//! acknowledged before the outage are exactly as durable as Redis's own persistence (a
//! snapshot restart keeps the snapshot's value). Replay and merge markers
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

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use hedgestore_core::{Command, Expiry, GetExOption, Reply, SetOptions};
use redis::Value;
use tokio::sync::{broadcast, Notify};

use crate::config::{FallbackConfig, JournalOverflow, LockFallback, StorageConfig};
use crate::error::{Result, StorageError};
use crate::events::StorageEvent;
use crate::memory::MemoryStorage;
use crate::redis::{scripts, RedisStorage};
use crate::subscription::{Handler, Subscription, SubscriptionControl, Unsubscribed};
use crate::traits::{
    BackendKind, BaseStorage, CompleteStorage, HashStorage, Health, KeyVersion, ListStorage, Lock,
    LockStorage, PubSubStorage,
};

/// Journal batches replayed per script call.
const REPLAY_BATCH: usize = 200;
/// Payload elements per reseed call (Lua's `unpack` has a stack limit).
const RESEED_CHUNK: usize = 1000;

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

struct Entry {
    seq: u64,
    command: Command,
    bytes: usize,
    /// In flight when Redis stopped answering: Redis may apply it itself.
    in_flight: bool,
}

/// A key's value as memory held it, with its absolute expiry (Unix ms, 0: none).
struct Base {
    key: Vec<u8>,
    kind: &'static str,
    payload: Vec<Vec<u8>>,
    expires_at: i64,
}

impl Base {
    fn bytes(&self) -> usize {
        self.key.len() + self.payload.iter().map(|p| p.len() + 8).sum::<usize>()
    }
}

#[derive(Default)]
struct Journal {
    entries: VecDeque<Entry>,
    bytes: usize,
    next_seq: u64,
    /// Keys written during the outage.
    touched: HashSet<Vec<u8>>,
    /// What memory held for each key just before the outage first wrote it: merged into a
    /// Redis that restarted, under the replayed outage writes ([`scripts::BASE_MERGE`]).
    bases: Vec<Base>,
    /// The journal was dropped (overflow policy `DropJournal`).
    dropped: bool,
    /// `JournalFull` was announced for this outage.
    announced_full: bool,
}

impl Journal {
    /// Records an applied write in its journal form ([`journal_form`]), after
    /// [`Inner::admit`] let its bytes in.
    fn append(&mut self, (command, bytes): (Command, usize), in_flight: bool) {
        for k in command.keys() {
            self.touched.insert(k.to_vec());
        }
        if self.dropped {
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.bytes += bytes;
        self.entries.push_back(Entry {
            seq,
            command,
            bytes,
            in_flight,
        });
    }

    fn clear(&mut self) {
        *self = Journal {
            next_seq: self.next_seq,
            ..Journal::default()
        };
    }
}

#[derive(Default)]
struct Counters {
    failovers: AtomicU64,
    replays: AtomicU64,
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
    on_redis: AtomicBool,
    since: Mutex<SystemTime>,
    /// The outage journal. Its lock also serializes memory-mode writes with recovery.
    journal: tokio::sync::Mutex<Journal>,
    /// Calls on the Redis path hold it shared; recovery holds it exclusively, so no call
    /// that started on Redis (and mirrors into memory) overlaps the write-back or replay.
    gate: tokio::sync::RwLock<()>,
    known_run_id: Mutex<Option<String>>,
    counters: Counters,
    events: broadcast::Sender<StorageEvent>,
    subscriptions: Mutex<Vec<Arc<PendingSub>>>,
    wake_recovery: Arc<Notify>,
    closed: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn command_bytes(command: &Command) -> usize {
    command.to_args().iter().map(|a| a.len() + 8).sum()
}

/// What memory holds at `key` (strings, hashes and lists; `None` for a missing key).
async fn snapshot(memory: &MemoryStorage, key: &[u8]) -> Result<Option<Base>> {
    let key = key.to_vec();
    let (kind, payload): (&'static str, Vec<Vec<u8>>) = match memory
        .execute(Command::Type { key: key.clone() })
        .await?
    {
        Reply::Status("string") => match memory.execute(Command::Get { key: key.clone() }).await? {
            Reply::Bulk(v) => ("string", vec![v]),
            _ => return Ok(None),
        },
        Reply::Status("hash") => (
            "hash",
            memory
                .hgetall(&key)
                .await?
                .into_iter()
                .flat_map(|(f, v)| [f.to_vec(), v.to_vec()])
                .collect(),
        ),
        Reply::Status("list") => (
            "list",
            memory
                .lrange(&key, 0, -1)
                .await?
                .into_iter()
                .map(|b| b.to_vec())
                .collect(),
        ),
        _ => return Ok(None),
    };
    let expires_at = match memory.execute(Command::PTtl { key: key.clone() }).await? {
        Reply::Int(ms) if ms > 0 => unix_millis_now().saturating_add(ms),
        _ => 0,
    };
    Ok(Some(Base {
        key,
        kind,
        payload,
        expires_at,
    }))
}

/// Prefix of the fresh-key markers for one restart of Redis (see [`scripts::REPLAY`]).
fn fresh_prefix(run_id: &str) -> String {
    format!("hedgestore:fresh:{run_id}:")
}

fn unix_millis_now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// What the journal stores for a write, and its size against the journal's bound. Relative
/// expiry times become absolute here, at the moment the write is applied to memory, so a
/// replay long after it never extends a TTL and never brings back a key that has expired
/// meanwhile.
fn journal_form(command: &Command) -> (Command, usize) {
    let command = absolute_expiry(command.clone(), unix_millis_now());
    let bytes = command_bytes(&command);
    (command, bytes)
}

/// `command` with every relative expiry (`EX`, `PX`, `EXPIRE`, `PEXPIRE`) turned into the
/// absolute Unix time in milliseconds it meant at `now` (`PXAT`, `PEXPIREAT`).
fn absolute_expiry(command: Command, now: i64) -> Command {
    fn at(expiry: Expiry, now: i64) -> Expiry {
        match expiry {
            Expiry::Ex(s) => Expiry::PxAt(now.saturating_add(s.saturating_mul(1000))),
            Expiry::Px(ms) => Expiry::PxAt(now.saturating_add(ms)),
            absolute @ (Expiry::ExAt(_) | Expiry::PxAt(_)) => absolute,
        }
    }
    match command {
        Command::Set {
            key,
            value,
            mut options,
        } => {
            options.expiry = options.expiry.map(|e| at(e, now));
            Command::Set {
                key,
                value,
                options,
            }
        }
        Command::GetEx {
            key,
            option: Some(GetExOption::Expiry(e)),
        } => Command::GetEx {
            key,
            option: Some(GetExOption::Expiry(at(e, now))),
        },
        Command::Expire {
            key,
            expiry,
            condition,
        } => Command::Expire {
            key,
            expiry: at(expiry, now),
            condition,
        },
        other => other,
    }
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
            on_redis: AtomicBool::new(false),
            since: Mutex::new(SystemTime::now()),
            journal: tokio::sync::Mutex::new(Journal::default()),
            gate: tokio::sync::RwLock::new(()),
            known_run_id: Mutex::new(None),
            counters: Counters::default(),
            events,
            subscriptions: Mutex::new(Vec::new()),
            wake_recovery: Arc::new(Notify::new()),
            closed: AtomicBool::new(false),
        });
        let timeout = config.redis.connect_timeout.max(Duration::from_millis(50));
        match tokio::time::timeout(timeout, inner.redis.run_id()).await {
            Ok(Ok(id)) => {
                *lock(&inner.known_run_id) = Some(id);
                inner.on_redis.store(true, Ordering::Release);
                tracing::info!("fallback storage serving from redis");
            }
            _ => tracing::warn!("redis unreachable at start: serving from memory until it answers"),
        }
        tokio::spawn(recover_loop(
            Arc::downgrade(&inner),
            config.redis.health_check_interval,
        ));
        tokio::spawn(watch_health(Arc::downgrade(&inner), inner.redis.events()));
        Ok(Self { inner })
    }

    /// Which backend serves right now.
    pub fn serving(&self) -> BackendKind {
        if self.inner.on_redis.load(Ordering::Acquire) {
            BackendKind::Redis
        } else {
            BackendKind::Memory
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

    fn fail_over(&self, error: &StorageError) {
        if self.on_redis.swap(false, Ordering::AcqRel) {
            *lock(&self.since) = SystemTime::now();
            self.counters.failovers.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%error, "redis failed: serving from memory");
            let _ = self.events.send(StorageEvent::BackendChanged {
                from: BackendKind::Redis,
                to: BackendKind::Memory,
            });
            self.wake_recovery.notify_one();
        }
    }

    /// Best-effort copy of a write that succeeded on Redis into memory.
    async fn mirror(&self, command: &Command, reply: &Reply) {
        if !self.config.mirror_writes || !command.is_write() {
            return;
        }
        let by_value = match (command, reply) {
            (
                Command::Incr { key }
                | Command::Decr { key }
                | Command::IncrBy { key, .. }
                | Command::DecrBy { key, .. },
                Reply::Int(v),
            ) => Some(Command::Set {
                key: key.clone(),
                value: v.to_string().into_bytes(),
                options: SetOptions::default().keep_ttl(),
            }),
            (Command::IncrByFloat { key, .. }, Reply::Bulk(v)) => Some(Command::Set {
                key: key.clone(),
                value: v.clone(),
                options: SetOptions::default().keep_ttl(),
            }),
            (Command::HIncrBy { key, field, .. }, Reply::Int(v)) => Some(Command::HSet {
                key: key.clone(),
                pairs: vec![(field.clone(), v.to_string().into_bytes())],
            }),
            (Command::HIncrByFloat { key, field, .. }, Reply::Bulk(v)) => Some(Command::HSet {
                key: key.clone(),
                pairs: vec![(field.clone(), v.clone())],
            }),
            _ => None,
        };
        let _ = self
            .memory
            .execute(by_value.unwrap_or_else(|| command.clone()))
            .await;
    }

    /// Makes room for `bytes` more in the journal, or refuses the write(s): the one bound
    /// check every journaled write passes (single commands, transactions, pipelines), before
    /// anything is applied to memory.
    fn admit(&self, journal: &mut Journal, bytes: usize) -> Result<()> {
        if journal.dropped || journal.bytes.saturating_add(bytes) <= self.config.journal_max_bytes {
            return Ok(());
        }
        self.counters
            .journal_overflows
            .fetch_add(1, Ordering::Relaxed);
        if !journal.announced_full {
            journal.announced_full = true;
            tracing::warn!("outage journal full ({} bytes)", journal.bytes);
            let _ = self.events.send(StorageEvent::JournalFull {
                bytes: journal.bytes,
            });
        }
        match self.config.journal_overflow {
            JournalOverflow::RejectWrites => Err(StorageError::Unavailable(
                "redis is down and the outage journal is full".into(),
            )),
            JournalOverflow::DropJournal => {
                journal.entries.clear();
                journal.bytes = 0;
                journal.dropped = true;
                Ok(())
            }
        }
    }

    /// Records, for every key these writes touch for the first time in this outage, what
    /// memory holds for it now (nothing when memory has no such key). Counted in the
    /// journal's bytes.
    async fn capture_bases(&self, journal: &mut Journal, commands: &[Command]) -> Result<()> {
        if journal.dropped {
            return Ok(());
        }
        let mut seen = HashSet::new();
        for command in commands.iter().filter(|c| c.is_write()) {
            for key in command.keys() {
                if journal.touched.contains(key) || !seen.insert(key.to_vec()) {
                    continue;
                }
                if let Some(base) = snapshot(&self.memory, key).await? {
                    journal.bytes += base.bytes();
                    journal.bases.push(base);
                }
            }
        }
        Ok(())
    }

    /// Runs `command` on memory, journaling it if it writes.
    async fn on_memory(&self, command: Command, in_flight: bool) -> Result<Reply> {
        if !command.is_write() {
            return self.memory.execute(command).await;
        }
        let mut journal = self.journal.lock().await;
        if self.on_redis.load(Ordering::Acquire) {
            // A recovery finished while this write waited for the journal: Redis serves
            // again, so the write goes there (memory-only, it would never reach Redis).
            drop(journal);
            return Box::pin(self.execute(command)).await;
        }
        let journaled = journal_form(&command);
        self.admit(&mut journal, journaled.1)?;
        self.capture_bases(&mut journal, std::slice::from_ref(&command))
            .await?;
        let reply = self.memory.execute(command).await?;
        journal.append(journaled, in_flight);
        Ok(reply)
    }

    async fn execute(&self, command: Command) -> Result<Reply> {
        self.check_open()?;
        if self.on_redis.load(Ordering::Acquire) {
            let gate = self.gate.read().await;
            if !self.on_redis.load(Ordering::Acquire) {
                drop(gate);
                return self.on_memory(command, false).await;
            }
            match self.redis.execute_classified(&command).await {
                Ok(reply) => {
                    self.mirror(&command, &reply).await;
                    return Ok(reply);
                }
                Err(f) if !matches!(f.error, StorageError::Unavailable(_)) => return Err(f.error),
                Err(f) => {
                    drop(gate);
                    self.fail_over(&f.error);
                    let in_flight = f.maybe_applied && command.is_write();
                    if in_flight {
                        self.counters
                            .in_flight_writes
                            .fetch_add(1, Ordering::Relaxed);
                    }
                    return self.on_memory(command, in_flight).await;
                }
            }
        }
        self.on_memory(command, false).await
    }

    /// Replays the journal (same Redis) or writes memory back (restarted Redis), then
    /// switches to Redis. Holds the journal lock throughout, so memory-mode writes wait.
    async fn recover(&self) -> Result<()> {
        let _exclusive = self.gate.write().await;
        let mut journal = self.journal.lock().await;
        let run_id = self.redis.run_id().await?;
        let known = lock(&self.known_run_id).clone();
        let restarted = known.as_ref().is_some_and(|k| *k != run_id);
        if journal.dropped {
            // No journal to replay: memory's values are the best knowledge left.
            self.write_back(&journal.touched).await?;
        } else if restarted {
            // Redis lost some or all of what it held. What this instance knew from before the
            // outage goes back only where Redis lacks it (or under keys that outage writes
            // re-created); then every outage write is replayed on top, including the ones in
            // flight at the failover, which a restarted Redis cannot have applied.
            self.restore_untouched(&journal.touched, &run_id).await?;
            self.merge_bases(&journal.bases, &run_id).await?;
            self.replay(&mut journal, Some(&run_id)).await?;
        } else {
            self.replay(&mut journal, None).await?;
        }
        self.redis.confirm_unsubscribes().await?;
        let subscriptions = lock(&self.subscriptions).clone();
        for sub in subscriptions {
            let mut redis = sub.redis.lock().await;
            if sub.active.load(Ordering::Acquire) && redis.is_none() {
                let made = if sub.pattern {
                    self.redis.psubscribe(&sub.name, sub.handler.clone()).await
                } else {
                    self.redis.subscribe(&sub.name, sub.handler.clone()).await
                };
                *redis = made.ok();
            }
        }
        journal.clear();
        *lock(&self.known_run_id) = Some(run_id);
        *lock(&self.since) = SystemTime::now();
        self.counters.replays.fetch_add(1, Ordering::Relaxed);
        self.on_redis.store(true, Ordering::Release);
        drop(journal);
        tracing::info!(restarted, "redis is back: serving from redis");
        let _ = self.events.send(StorageEvent::BackendChanged {
            from: BackendKind::Memory,
            to: BackendKind::Redis,
        });
        Ok(())
    }

    /// Replays the journal in batches, each applied at most once (see [`scripts::REPLAY`]).
    /// `restarted`: the run id of a Redis that restarted; then writes that were in flight
    /// at the failover are replayed too, and keys the replay creates are marked fresh for
    /// [`Inner::merge_bases`]. Otherwise (same server) Redis applied those itself.
    async fn replay(&self, journal: &mut Journal, restarted: Option<&str>) -> Result<()> {
        let fresh_prefix = restarted.map_or_else(String::new, fresh_prefix);
        while !journal.entries.is_empty() {
            let n = journal.entries.len().min(REPLAY_BATCH);
            let first = journal.entries[0].seq;
            let marker = format!("hedgestore:replay:{}:{first}", self.redis.owner_id());
            let mut invocation = scripts::REPLAY.prepare_invoke();
            invocation.key(marker);
            let batch: Vec<&Entry> = journal
                .entries
                .iter()
                .take(n)
                .filter(|e| restarted.is_some() || !e.in_flight)
                .collect();
            let mut keys = HashSet::new();
            for entry in &batch {
                for key in entry.command.keys() {
                    if keys.insert(key) {
                        invocation.key(key);
                    }
                }
            }
            invocation.arg(fresh_prefix.as_str());
            invocation.arg(batch.len());
            for entry in &batch {
                let args = entry.command.to_args();
                invocation.arg(args.len());
                for a in &args {
                    invocation.arg(a.as_slice());
                }
            }
            if let Value::Int(errors) = self.redis.invoke(invocation).await? {
                if errors > 0 {
                    self.counters
                        .replay_errors
                        .fetch_add(errors as u64, Ordering::Relaxed);
                    tracing::warn!(errors, "journal commands failed on redis during replay");
                }
            }
            for _ in 0..n {
                if let Some(e) = journal.entries.pop_front() {
                    journal.bytes -= e.bytes;
                }
            }
        }
        Ok(())
    }

    /// Restores the keys memory holds that this instance's outage writes did not touch
    /// (what it knew before the outage, as far as memory mirrored it), by the same merge
    /// rule as the captured bases: where Redis lacks them, or under keys that other
    /// instances' outage writes re-created.
    async fn restore_untouched(&self, touched: &HashSet<Vec<u8>>, run_id: &str) -> Result<()> {
        let mut bases = Vec::new();
        for key in self.memory.keys(b"*").await? {
            if touched.contains(&key[..]) {
                continue;
            }
            if let Some(base) = snapshot(&self.memory, &key).await? {
                bases.push(base);
            }
        }
        self.merge_bases(&bases, run_id).await
    }

    /// Merges every captured pre-outage value into a restarted Redis
    /// ([`scripts::BASE_MERGE`]: once per key and restart, whichever instance comes first).
    async fn merge_bases(&self, bases: &[Base], run_id: &str) -> Result<()> {
        let fresh = fresh_prefix(run_id);
        for base in bases {
            if base.expires_at != 0 && base.expires_at <= unix_millis_now() {
                continue;
            }
            let mut marker = format!("hedgestore:base:{run_id}:").into_bytes();
            marker.extend_from_slice(&base.key);
            let mut fresh_marker = fresh.clone().into_bytes();
            fresh_marker.extend_from_slice(&base.key);
            let mut invocation = scripts::BASE_MERGE.prepare_invoke();
            invocation
                .key(base.key.as_slice())
                .key(marker)
                .key(fresh_marker)
                .arg(base.kind)
                .arg(base.expires_at);
            for p in &base.payload {
                invocation.arg(p.as_slice());
            }
            self.redis.invoke(invocation).await?;
        }
        Ok(())
    }

    /// Writes one key into Redis: replacing it (`overwrite`) or only where it is missing.
    async fn reseed(&self, base: &Base, overwrite: bool) -> Result<()> {
        let pttl = if base.expires_at == 0 {
            0
        } else {
            let left = base.expires_at - unix_millis_now();
            if left <= 0 {
                return Ok(());
            }
            left
        };
        let chunk = if base.kind == "hash" {
            RESEED_CHUNK * 2
        } else {
            RESEED_CHUNK
        };
        let mut chunks = base.payload.chunks(chunk.max(1));
        let mut invocation = scripts::RESEED.prepare_invoke();
        invocation
            .key(base.key.as_slice())
            .arg(if overwrite { "1" } else { "0" })
            .arg(base.kind)
            .arg(pttl);
        for a in chunks.next().unwrap_or(&[]) {
            invocation.arg(a.as_slice());
        }
        if matches!(self.redis.invoke(invocation).await?, Value::Int(1)) {
            for rest in chunks {
                let command = if base.kind == "hash" {
                    Command::HSet {
                        key: base.key.clone(),
                        pairs: rest
                            .chunks(2)
                            .map(|p| (p[0].clone(), p[1].clone()))
                            .collect(),
                    }
                } else {
                    Command::RPush {
                        key: base.key.clone(),
                        values: rest.to_vec(),
                    }
                };
                self.redis.execute(command).await?;
            }
        }
        Ok(())
    }

    /// Writes every key memory holds back into a Redis, when the journal was dropped
    /// (`JournalOverflow::DropJournal`): keys written during the outage are overwritten,
    /// others written only where missing, and keys deleted during the outage are deleted.
    async fn write_back(&self, touched: &HashSet<Vec<u8>>) -> Result<()> {
        let keys = self.memory.keys(b"*").await?;
        let present: HashSet<Vec<u8>> = keys.iter().map(|k| k.to_vec()).collect();
        for key in keys {
            if let Some(base) = snapshot(&self.memory, &key).await? {
                self.reseed(&base, touched.contains(&key[..])).await?;
            }
        }
        for key in touched.iter().filter(|k| !present.contains(*k)) {
            self.redis
                .execute(Command::Del {
                    keys: vec![key.clone()],
                })
                .await?;
        }
        Ok(())
    }
}

/// Follows the Redis health checks: a failed PING switches to memory even when no call has
/// failed yet (detection within the health-check interval), a successful one wakes recovery.
async fn watch_health(weak: Weak<Inner>, mut events: broadcast::Receiver<StorageEvent>) {
    loop {
        let event = match events.recv().await {
            Ok(e) => e,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let Some(inner) = weak.upgrade() else { return };
        if inner.closed.load(Ordering::Acquire) {
            return;
        }
        match event {
            StorageEvent::Down { error, .. } => inner.fail_over(&StorageError::Unavailable(error)),
            StorageEvent::Up { .. } => inner.wake_recovery.notify_one(),
            _ => {}
        }
    }
}

/// While serving memory, tries Redis with backoff and recovers when it answers.
async fn recover_loop(weak: Weak<Inner>, interval: Duration) {
    let base = interval.clamp(Duration::from_millis(10), Duration::from_secs(1));
    let mut delay = base;
    loop {
        let wake = {
            let Some(inner) = weak.upgrade() else { return };
            if inner.closed.load(Ordering::Acquire) {
                return;
            }
            if inner.on_redis.load(Ordering::Acquire) {
                delay = base;
                None
            } else {
                let ok = inner.redis.ping().await.is_ok();
                if ok {
                    match inner.recover().await {
                        Ok(()) => {
                            delay = base;
                            continue;
                        }
                        Err(e) => tracing::warn!(error = %e, "recovery to redis failed; retrying"),
                    }
                }
                Some(delay)
            }
        };
        match wake {
            None => {
                // Sleep until a failover wakes us (or poll now and then in case of a missed wake).
                let Some(inner) = weak.upgrade() else { return };
                let wake = inner.wake_recovery.clone();
                drop(inner);
                let _ = tokio::time::timeout(Duration::from_secs(1), wake.notified()).await;
            }
            Some(d) => {
                tokio::time::sleep(d).await;
                delay = (delay * 2).min(Duration::from_secs(2));
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

impl HashStorage for FallbackStorage {}
impl ListStorage for FallbackStorage {}

struct FallbackSubscription {
    sub: Arc<PendingSub>,
    memory: Mutex<Option<Subscription>>,
    hub: Weak<Inner>,
}

impl SubscriptionControl for FallbackSubscription {
    /// The memory side ends before this returns, and recovery will not restore the Redis side
    /// any more; the future resolves once Redis confirmed the end of the Redis side (at once
    /// when there is none, as during an outage).
    fn unsubscribe(&self) -> Unsubscribed {
        self.sub.active.store(false, Ordering::Release);
        drop(lock(&self.memory).take());
        if let Some(inner) = self.hub.upgrade() {
            lock(&inner.subscriptions).retain(|s| !Arc::ptr_eq(s, &self.sub));
        }
        let sub = self.sub.clone();
        let hub = self.hub.clone();
        Box::pin(async move {
            let redis = sub.redis.lock().await.take();
            let Some(redis) = redis else { return Ok(()) };
            match redis.unsubscribe().await {
                // During an outage the Redis side cannot be confirmed now; recovery confirms
                // it before Redis serves again, so no later PUBLISH through Redis counts it.
                Err(_)
                    if hub
                        .upgrade()
                        .is_some_and(|i| !i.on_redis.load(Ordering::Acquire)) =>
                {
                    Ok(())
                }
                other => other,
            }
        })
    }

    fn lag(&self) -> u64 {
        let memory = lock(&self.memory).as_ref().map_or(0, Subscription::lag);
        let redis = self
            .sub
            .redis
            .try_lock()
            .map_or(0, |r| r.as_ref().map_or(0, Subscription::lag));
        memory + redis
    }
}

impl FallbackStorage {
    async fn subscribe_both(
        &self,
        pattern: bool,
        name: &[u8],
        handler: Handler,
    ) -> Result<Subscription> {
        self.inner.check_open()?;
        let memory = if pattern {
            self.inner.memory.psubscribe(name, handler.clone()).await?
        } else {
            self.inner.memory.subscribe(name, handler.clone()).await?
        };
        let redis = if self.inner.on_redis.load(Ordering::Acquire) {
            let made = if pattern {
                self.inner.redis.psubscribe(name, handler.clone()).await
            } else {
                self.inner.redis.subscribe(name, handler.clone()).await
            };
            made.ok()
        } else {
            None
        };
        let sub = Arc::new(PendingSub {
            pattern,
            name: name.to_vec(),
            handler,
            redis: tokio::sync::Mutex::new(redis),
            active: AtomicBool::new(true),
        });
        lock(&self.inner.subscriptions).push(sub.clone());
        Ok(Subscription::new(Box::new(FallbackSubscription {
            sub,
            memory: Mutex::new(Some(memory)),
            hub: Arc::downgrade(&self.inner),
        })))
    }
}

#[async_trait]
impl PubSubStorage for FallbackStorage {
    async fn subscribe(&self, channel: &[u8], handler: Handler) -> Result<Subscription> {
        self.subscribe_both(false, channel, handler).await
    }

    async fn psubscribe(&self, pattern: &[u8], handler: Handler) -> Result<Subscription> {
        hedgestore_core::Pattern::new(pattern)?;
        self.subscribe_both(true, pattern, handler).await
    }
}

#[async_trait]
impl LockStorage for FallbackStorage {
    async fn acquire_lock(
        &self,
        name: &[u8],
        ttl: Duration,
        wait: Option<Duration>,
    ) -> Result<Option<Lock>> {
        self.inner.check_open()?;
        let local = self.inner.config.lock_fallback == LockFallback::Local;
        if self.inner.on_redis.load(Ordering::Acquire) {
            match self.inner.redis.acquire_lock(name, ttl, wait).await {
                Err(StorageError::Unavailable(e)) => {
                    self.inner.fail_over(&StorageError::Unavailable(e.clone()));
                    if !local {
                        return Err(StorageError::Unavailable(e));
                    }
                }
                other => return other,
            }
        }
        if local {
            self.inner.memory.acquire_lock(name, ttl, wait).await
        } else {
            Err(StorageError::Unavailable(
                "redis is down and locks fail closed (LockFallback::FailClosed)".into(),
            ))
        }
    }

    async fn release_lock(&self, name: &[u8]) -> Result<bool> {
        match self.inner.redis.release_lock(name).await {
            Ok(true) => Ok(true),
            Ok(false) | Err(StorageError::Unavailable(_))
                if self.inner.config.lock_fallback == LockFallback::Local =>
            {
                self.inner.memory.release_lock(name).await
            }
            other => other,
        }
    }

    async fn release(&self, lock: &Lock) -> Result<bool> {
        match self.inner.redis.release(lock).await {
            Ok(true) => Ok(true),
            Ok(false) | Err(StorageError::Unavailable(_))
                if self.inner.config.lock_fallback == LockFallback::Local =>
            {
                self.inner.memory.release(lock).await
            }
            other => other,
        }
    }

    async fn extend_lock(&self, name: &[u8], ttl: Duration) -> Result<bool> {
        match self.inner.redis.extend_lock(name, ttl).await {
            Ok(true) => Ok(true),
            Ok(false) | Err(StorageError::Unavailable(_))
                if self.inner.config.lock_fallback == LockFallback::Local =>
            {
                self.inner.memory.extend_lock(name, ttl).await
            }
            other => other,
        }
    }
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
    /// Writes that were in flight when Redis stopped answering (left for Redis to apply).
    pub in_flight_writes: u64,
}

#[async_trait]
impl CompleteStorage for FallbackStorage {
    async fn key_versions(&self, keys: &[Vec<u8>]) -> Result<Vec<KeyVersion>> {
        if self.inner.on_redis.load(Ordering::Acquire) {
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
        if self.inner.on_redis.load(Ordering::Acquire) {
            let _gate = self.inner.gate.read().await;
            if self.inner.on_redis.load(Ordering::Acquire) {
                match self
                    .inner
                    .redis
                    .execute_transaction(watched.clone(), commands.clone())
                    .await
                {
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
        // write of the batch journaled (through the same path as single commands).
        let mut journal = self.inner.journal.lock().await;
        if self.inner.on_redis.load(Ordering::Acquire) {
            drop(journal);
            return Box::pin(self.execute_transaction(watched, commands)).await;
        }
        let journaled: Vec<_> = commands
            .iter()
            .filter(|c| c.is_write())
            .map(journal_form)
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
            recoveries: c.replays.load(Ordering::Relaxed),
            failovers: c.failovers.load(Ordering::Relaxed),
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
