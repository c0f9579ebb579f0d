//! `RedisStorage`: every storage interface on a real Redis, through the `redis` crate.
//!
//! **Connections.** Commands share one multiplexed connection: many tasks pipeline over one
//! socket, which measures at the raw `redis` client's speed (BENCHMARKS.md §6), so there is
//! no pool. On a single server it is our own ([`single`]: made on demand, made again after
//! it broke; a call that finds it up needs no timer of its own), on Sentinel the crate's
//! `ConnectionManager` to the current master. Pub/sub uses a second, RESP3 connection
//! ([`pubsub`]). All reconnect with exponential backoff (base, factor, max delay and
//! attempts per cycle from [`RedisConfig`]); a health task PINGs every
//! `health_check_interval`, which both reports health ([`StorageEvent`]s, [`Health`]) and
//! starts a new reconnect cycle when a previous one gave up, so retrying never stops for
//! good and never spins.
//!
//! **Timeouts.** Every operation has one deadline, `response_timeout`, retries included: it
//! answers within it or fails with [`StorageError::Unavailable`]. Nothing waits forever.
//!
//! **What is retried, and why it is safe.** A failed attempt is retried (with a short
//! backoff, inside the deadline) when it cannot have been applied twice:
//! * any command whose failure proves it never reached the server (connection refused:
//!   the connection was not up, so nothing was sent) — this is what keeps the first command
//!   after a reconnect from failing;
//! * read-only commands after any connection error, because running a read twice changes
//!   nothing;
//! * on a Redis Cluster, a command a node refused without running it (`MOVED`, `ASK`,
//!   `TRYAGAIN`, `CLUSTERDOWN`, `MASTERDOWN`, `LOADING`, `READONLY`: [`link::Refusal`]),
//!   sent to the node a `MOVED` names, after `ASKING` to the one an `ASK` names, or again by
//!   slot after a pause. The `redis` crate's own cluster retries are off: they re-send a
//!   write whose connection broke after sending, which a promoted replica could apply a
//!   second time. A write split over several slots (`MSET`, `DEL` of keys in several slots)
//!   that meets a refusal for one part may have been applied in the others: not retried.
//!
//! A write that fails *after* it may have been sent (connection reset mid-request, response
//! timeout) is never retried: Redis may have applied it, and a replayed `INCR` or `RPUSH`
//! would apply twice. It fails with `Unavailable`; the caller decides. Transactions and
//! lock operations are writes and follow the same rule.
//!
//! **Semantics equal to the memory engine.** Commands travel as the core [`Command`]'s
//! argument form and replies come back as core [`Reply`]/[`Error`] values, so the
//! conformance suite runs unchanged. Glob patterns are validated as the engine does before
//! they are sent. Transactions and locks use Lua scripts ([`scripts`]) to keep the
//! all-or-nothing and fencing-token contracts (Redis's MULTI/EXEC does not roll back).
//! A transaction may not contain `FLUSHDB` on this backend (the script could not snapshot
//! every key cheaply); it fails with an error naming that command.
//!
//! **Topologies.** The same type runs on one server, a Redis Cluster or a Sentinel-watched
//! master ([`RedisTopology`]): every command, pipeline and script goes through one
//! [`link::Link`], so the rules above hold on all three. On a cluster, lock keys are
//! hash-tagged (see `lock_keys`), a transaction declares every key it uses (keys of several
//! slots: `CROSSSLOT`), `SCAN` is refused, and the health check passes while any master
//! answers; on Sentinel the master is looked up again on every health round, on refused
//! connections and on `READONLY`. See the README's "Redis Cluster and Redis Sentinel".
//!
//! Longer than 600 lines on purpose: it is the one `RedisStorage` type, its connection,
//! deadline and retry rules and its trait impls, which share one private state; pub/sub,
//! scripts and reply conversion already live in the submodules.

mod convert;
mod link;
mod pubsub;
pub(crate) mod scripts;
mod single;

/// A boxed future, for the rare paths kept out of every call's future.
type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use hedgestore_core::{
    BatchError, Command, CommandFlags, CommandKind, Error, Expiry, FencingToken, Pattern, Reply,
    SetOptions,
};
use redis::aio::ConnectionLike;
use redis::{RedisError, RedisResult, Value};
use tokio::sync::{broadcast, Notify};
use tokio::time::Instant;

use crate::config::RedisConfig;
use crate::error::{Result, StorageError};
use crate::events::StorageEvent;
use crate::methods::StorageFuture;
use crate::reply;
use crate::subscription::{Handler, Subscription};
use crate::telemetry::{self, Backend, Outcome, Probe};
use crate::topology::RedisTopology;
use crate::traits::{
    set_command, ttl_option, BackendKind, BaseStorage, CompleteStorage, Health, KeyVersion, Lock,
    LockStorage, PubSubStorage,
};
use convert::{server_error_text, to_cmd, to_reply, unavailable};
use link::Link;

/// The Redis backend. Cheap to clone.
#[derive(Clone)]
pub struct RedisStorage {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RedisStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("RedisStorage");
        match &self.inner.config.topology {
            RedisTopology::Single => d
                .field("host", &self.inner.config.host)
                .field("port", &self.inner.config.port),
            RedisTopology::Cluster { nodes } => d.field("cluster", nodes),
            RedisTopology::Sentinel { sentinels, master } => {
                d.field("sentinels", sentinels).field("master", master)
            }
        };
        d.finish_non_exhaustive()
    }
}

#[derive(Default)]
struct HealthState {
    /// `None` until the first health check or operation.
    healthy: Option<bool>,
    last_error: Option<String>,
    latency: Option<Duration>,
    reconnects: u64,
    checks: u64,
    /// The server's `run_id` and the health connection's `CLIENT ID` at the last check: a
    /// change means the connection was re-established (to a restarted server, or after a
    /// network blip), even when no check failed in between.
    identity: Option<(String, i64)>,
}

struct Inner {
    config: RedisConfig,
    connection: Link,
    pubsub: Arc<pubsub::PubSubHub>,
    owner: String,
    state: Mutex<HealthState>,
    /// `state.healthy == Some(true)`, readable without the lock: a success while healthy
    /// (every call, normally) only stores its latency and time below.
    healthy_now: AtomicBool,
    /// The last success's round trip, in nanoseconds (0: none yet).
    latency_ns: AtomicU64,
    /// When Redis last answered, in milliseconds since the storage started (0: never).
    last_ok_ms: AtomicU64,
    /// When the storage started (the origin of `last_ok_ms`).
    started: Instant,
    events: broadcast::Sender<StorageEvent>,
    closed: AtomicBool,
    stop: Notify,
    /// The health checks' own connection: a PING behind a large reply on the shared
    /// multiplexed connection would time out although Redis is fine, and one slow command
    /// must not look like an outage.
    health: Link,
    /// Asks the health checks to check now (a command timed out: slow command or hung Redis?).
    check_now: Notify,
    /// Redis's TCP address, to tell "refuses connections" from "slow" when a call times out.
    tcp_addr: Option<(String, u16)>,
    /// On a cluster: when a master last answered [`RedisStorage::cluster_answers`]'s PING, in
    /// milliseconds since `started` (0: never), so that a burst of failed calls during one
    /// master's promotion asks the cluster once per [`CLUSTER_VERDICT_FOR`], not per call.
    cluster_answered_ms: AtomicU64,
}

/// How long a cluster's "some master answers" verdict stands for the calls that fail after
/// it (see [`RedisStorage::cluster_answers`]). Short: were the whole cluster to go down just
/// after, calls in this window get their own error instead of failing over to memory.
const CLUSTER_VERDICT_FOR: Duration = Duration::from_millis(100);

/// One `field:value` line of an `INFO` reply.
fn info_field(info: &Value, field: &str) -> Option<String> {
    let text = match info {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::VerbatimString { text, .. } => text.clone(),
        _ => return None,
    };
    text.lines().find_map(|l| {
        l.strip_prefix(field)?
            .strip_prefix(':')
            .map(|v| v.trim().to_string())
    })
}

/// How long a health-check PING may go unanswered before Redis is declared down
/// ([`RedisConfig::health_check_timeout`], 2 s by default, twice the response timeout): a
/// server busy for a moment (a large reply being built, a fork for a snapshot) is not an
/// outage, while a hung or partitioned one is found within that time (plus the check
/// interval, or at once after a call timed out).
fn health_timeout(config: &RedisConfig) -> Duration {
    config.health_check_timeout.max(Duration::from_millis(1))
}

/// What a call that got no answer in time reports: `Timeout` for a read (nothing changed,
/// safe to retry), `OutcomeUnknown` for a write (sent, so it may have been applied).
fn no_answer(idempotent: bool) -> StorageError {
    if idempotent {
        StorageError::Timeout("redis did not answer within the response timeout".into())
    } else {
        StorageError::OutcomeUnknown("redis did not answer within the response timeout".into())
    }
}

/// What a command that a cluster kept refusing (`MOVED`, `TRYAGAIN`, `CLUSTERDOWN`, …) until
/// the deadline answers: `Unavailable`, as it was never applied.
fn still_refused(err: &RedisError) -> StorageError {
    StorageError::Unavailable(format!(
        "redis cluster: the slot's node still answered {} at the deadline (not applied)",
        err.code().unwrap_or("a redirection")
    ))
}

const LOCK_PREFIX: &[u8] = b"hedgestore:lock:";
const FENCE_PREFIX: &[u8] = b"hedgestore:fence:";

/// The lock key and the fencing-counter key of lock `name`. On one server (or a
/// Sentinel-watched master) `hedgestore:lock:<name>` and `hedgestore:fence:<name>`, as they
/// always were. On a Redis Cluster the name is wrapped in a hash tag,
/// `hedgestore:lock:{<name>}` and `hedgestore:fence:{<name>}`, so that both keys live in
/// one slot and the acquire script updates them in one atomic step (a name that itself
/// contains `}` still puts both keys in one slot: the tag then ends inside the name, at the
/// same place in both keys).
fn lock_keys(cluster: bool, name: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let key = |prefix: &[u8]| {
        let mut k = prefix.to_vec();
        if cluster {
            k.push(b'{');
            k.extend_from_slice(name);
            k.push(b'}');
        } else {
            k.extend_from_slice(name);
        }
        k
    };
    (key(LOCK_PREFIX), key(FENCE_PREFIX))
}

fn ms(d: Duration) -> u64 {
    crate::clock::duration_millis(d).unsigned_abs()
}

impl Inner {
    /// A call sent at `sent` was answered now: [`mark`](Self::mark) with its latency, one
    /// clock read for both the latency and the time of the last answer.
    fn answered(&self, sent: Instant) {
        let now = Instant::now();
        if self.healthy_now.load(Ordering::Acquire) {
            let nanos = u64::try_from((now - sent).as_nanos()).unwrap_or(u64::MAX);
            self.latency_ns.store(nanos.max(1), Ordering::Relaxed);
            let since = u64::try_from((now - self.started).as_millis()).unwrap_or(u64::MAX);
            self.last_ok_ms.store(since.max(1), Ordering::Relaxed);
            return;
        }
        self.mark(Ok(now - sent));
    }

    fn mark(&self, result: std::result::Result<Duration, String>) {
        if let Ok(latency) = &result {
            let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX).max(1);
            self.latency_ns.store(nanos, Ordering::Relaxed);
            let since = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.last_ok_ms.store(since.max(1), Ordering::Relaxed);
            if self.healthy_now.load(Ordering::Acquire) {
                return;
            }
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let was = state.healthy;
        let event = match result {
            Ok(latency) => {
                state.latency = Some(latency);
                state.healthy = Some(true);
                self.healthy_now.store(true, Ordering::Release);
                if was == Some(false) {
                    state.reconnects += 1;
                    metrics::counter!(telemetry::REDIS_RECONNECTS).increment(1);
                }
                (was != Some(true)).then_some(StorageEvent::Up {
                    backend: BackendKind::Redis,
                })
            }
            Err(error) => {
                state.healthy = Some(false);
                self.healthy_now.store(false, Ordering::Release);
                state.last_error = Some(error.clone());
                (was != Some(false)).then_some(StorageEvent::Down {
                    backend: BackendKind::Redis,
                    error,
                })
            }
        };
        drop(state);
        if let Some(event) = event {
            let up = !matches!(event, StorageEvent::Down { .. });
            metrics::gauge!(telemetry::REDIS_UP).set(if up { 1.0 } else { 0.0 });
            match &event {
                StorageEvent::Down { error, .. } => tracing::warn!(%error, "redis is down"),
                _ => tracing::info!("redis is up"),
            }
            let _ = self.events.send(event);
        }
    }
}

impl RedisStorage {
    /// Connects to Redis and checks it answers within `connect_timeout`; fails with
    /// [`StorageError::Unavailable`] otherwise (and with [`StorageError::Config`] for a bad
    /// URL). Needs a tokio runtime.
    pub async fn connect(config: RedisConfig) -> Result<Self> {
        let storage = Self::connect_lazy(config)?;
        let timeout = storage.inner.config.connect_timeout;
        match tokio::time::timeout(timeout.max(Duration::from_millis(50)), storage.ping()).await {
            Ok(Ok(_)) => {
                // The first health round now: the server's identity is known from the start,
                // so a restart that comes before the periodic round is counted too.
                check_once(&storage.inner).await;
                Ok(storage)
            }
            Ok(Err(e)) if !matches!(e, StorageError::Timeout(_)) => Err(storage.diagnosed(e).await),
            _ => Err(storage
                .diagnosed(StorageError::Unavailable("redis: connect timed out".into()))
                .await),
        }
    }

    /// Why Redis cannot be used, when a plain connection attempt can tell more than
    /// `error` (the managed connection retries an authentication failure until it times
    /// out): a wrong password or user is reported as such, and recorded as the storage's last
    /// error (what `health()` and the proxy's `/health` show). Never includes the password.
    pub(crate) async fn diagnosed(&self, error: StorageError) -> StorageError {
        if self.inner.config.topology != RedisTopology::Single {
            return error;
        }
        let Ok(client) = redis::Client::open(self.inner.config.connection_url().expose()) else {
            return error;
        };
        let attempt = tokio::time::timeout(
            self.inner
                .config
                .connect_timeout
                .max(Duration::from_millis(50)),
            client.get_multiplexed_async_connection(),
        )
        .await;
        let auth_failed = match attempt {
            Ok(Err(e)) => {
                e.kind() == redis::ErrorKind::AuthenticationFailed
                    || server_error_text(&e)
                        .is_some_and(|t| t.starts_with("WRONGPASS") || t.starts_with("NOAUTH"))
            }
            _ => false,
        };
        if !auth_failed {
            return error;
        }
        let error = StorageError::Unavailable(
            "redis: authentication failed (check REDIS_PASSWORD, or the user in REDIS_URL)".into(),
        );
        self.inner.mark(Err(error.to_string()));
        error
    }

    /// Creates the storage without waiting for Redis: the connection is made in the
    /// background and retried (what the fallback storage uses; it never fails because Redis
    /// is down).
    pub fn connect_lazy(config: RedisConfig) -> Result<Self> {
        tokio::runtime::Handle::try_current()
            .map_err(|_| StorageError::Unavailable("RedisStorage needs a tokio runtime".into()))?;
        let (connection, health) = Link::pair(&config, health_timeout(&config))?;
        let tcp_addr = match (&config.topology, &connection) {
            (RedisTopology::Single, Link::Single(_)) => {
                redis::Client::open(config.connection_url().expose())
                    .ok()
                    .and_then(|client| match client.get_connection_info().addr() {
                        redis::ConnectionAddr::Tcp(host, port) => Some((host.clone(), *port)),
                        redis::ConnectionAddr::TcpTls { host, port, .. } => {
                            Some((host.clone(), *port))
                        }
                        _ => None,
                    })
            }
            _ => None,
        };
        let (events, _) = broadcast::channel(64);
        let inner = Arc::new(Inner {
            pubsub: pubsub::PubSubHub::new(config.clone(), connection.sentinel().cloned())?,
            config,
            connection,
            owner: crate::instance_id(),
            state: Mutex::new(HealthState::default()),
            healthy_now: AtomicBool::new(false),
            latency_ns: AtomicU64::new(0),
            last_ok_ms: AtomicU64::new(0),
            started: Instant::now(),
            events,
            closed: AtomicBool::new(false),
            stop: Notify::new(),
            health,
            check_now: Notify::new(),
            tcp_addr,
            cluster_answered_ms: AtomicU64::new(0),
        });
        tokio::spawn(health_checks(Arc::downgrade(&inner)));
        Ok(Self { inner })
    }

    /// Connection events (up, down) as they happen.
    pub fn events(&self) -> broadcast::Receiver<StorageEvent> {
        self.inner.events.subscribe()
    }

    /// The lock owner id of this instance.
    pub fn owner_id(&self) -> &str {
        &self.inner.owner
    }

    /// How long ago Redis last answered a call or a health check (`None`: never).
    pub fn since_last_success(&self) -> Option<Duration> {
        match self.inner.last_ok_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(
                self.inner
                    .started
                    .elapsed()
                    .saturating_sub(Duration::from_millis(ms)),
            ),
        }
    }

    /// The settings this storage runs with.
    pub fn config(&self) -> &RedisConfig {
        &self.inner.config
    }

    /// One PING; returns the round trip.
    pub async fn ping(&self) -> Result<Duration> {
        let start = Instant::now();
        self.run(&redis::cmd("PING"), true).await?;
        Ok(start.elapsed())
    }

    /// Whether Redis refuses connections right now (down, not merely slow): a TCP connect
    /// to its address fails at once. A connect that succeeds (a hung process still accepts)
    /// or hangs (a partition) is no such proof.
    async fn refuses_connections(&self) -> bool {
        let Some((host, port)) = &self.inner.tcp_addr else {
            return false;
        };
        let connect = tokio::net::TcpStream::connect((host.as_str(), *port));
        matches!(
            tokio::time::timeout(Duration::from_millis(200), connect).await,
            Ok(Err(_))
        )
    }

    /// What a call that got no answer in time reports: Redis refusing connections is an
    /// outage (`Unavailable`, marked down at once); otherwise it is slow or hung, which the
    /// health check decides, and the caller gets `Timeout` or `OutcomeUnknown`. Boxed, as
    /// [`follow_master`](Self::follow_master): a rare path whose future (a TCP connect)
    /// would otherwise make every call's future larger.
    fn timed_out(&self, idempotent: bool) -> BoxFuture<'_, Failure> {
        Box::pin(self.timed_out_now(idempotent))
    }

    async fn timed_out_now(&self, idempotent: bool) -> Failure {
        if self.refuses_connections().await {
            let error = StorageError::Unavailable("redis: connection refused".into());
            self.inner.mark(Err(error.to_string()));
            return Failure {
                error,
                maybe_applied: !idempotent,
            };
        }
        self.inner.check_now.notify_one();
        Failure {
            error: no_answer(idempotent),
            maybe_applied: true,
        }
    }

    fn check_open(&self) -> Result<()> {
        if self.inner.closed.load(Ordering::Acquire) {
            Err(StorageError::Closed)
        } else {
            Ok(())
        }
    }

    /// Sends `cmd` under the operation deadline, retrying as the module docs describe.
    /// A write that was sent before the connection failed answers `OutcomeUnknown`, not
    /// `Unavailable` (which promises nothing was applied).
    async fn run(&self, cmd: &redis::Cmd, idempotent: bool) -> Result<Value> {
        self.run_classified(cmd, idempotent)
            .await
            .map_err(caller_error)
    }

    /// Runs `command`, telling a failure that proves the command was never sent apart from
    /// one after which Redis may have applied it (what the fallback storage needs to journal
    /// writes exactly once).
    pub(crate) async fn execute_classified(
        &self,
        command: &Command,
    ) -> std::result::Result<Reply, Failure> {
        let probe = Probe::command(Backend::Redis, command);
        let result = self.classified(command).await;
        probe.finish(
            result
                .as_ref()
                .map_or_else(|f| Outcome::of_error(&f.error), |_| Outcome::Ok),
        );
        result
    }

    /// `GET key` as [`execute_classified`](Self::execute_classified) runs it, by the typed
    /// call (the `redis::Cmd` encoded from `key`, no core `Command`); `None`, with nothing
    /// sent, when the per-command debug event is on (it lists the command's keys: run the
    /// command instead).
    pub(crate) async fn get_classified(
        &self,
        key: &[u8],
    ) -> Option<std::result::Result<Reply, Failure>> {
        self.typed_classified(CommandKind::Get, get_cmd(key)).await
    }

    /// A plain `SET key value [PX ms]` (`options` from [`ttl_option`]) as
    /// [`get_classified`](Self::get_classified) runs `GET`.
    pub(crate) async fn set_classified(
        &self,
        key: &[u8],
        value: &[u8],
        options: SetOptions,
    ) -> Option<std::result::Result<Reply, Failure>> {
        self.typed_classified(CommandKind::Set, set_cmd(key, value, options))
            .await
    }

    /// The typed call `cmd`, the command of row `kind` (one key, nothing to validate), run
    /// and counted as [`execute_classified`](Self::execute_classified) runs a command;
    /// `None`, with nothing sent, when the per-command debug event is on.
    async fn typed_classified(
        &self,
        kind: CommandKind,
        cmd: redis::Cmd,
    ) -> Option<std::result::Result<Reply, Failure>> {
        let probe = Probe::typed(Backend::Redis, kind)?;
        let result = self.typed_reply(kind, &cmd).await;
        probe.finish(
            result
                .as_ref()
                .map_or_else(|f| Outcome::of_error(&f.error), |_| Outcome::Ok),
        );
        Some(result)
    }

    async fn classified(&self, command: &Command) -> std::result::Result<Reply, Failure> {
        validate(command)
            .and_then(|()| self.fits_topology(command))
            .map_err(|error| Failure {
                error,
                maybe_applied: false,
            })?;
        let idempotent = command.retry_safe();
        let value = self.run_classified(&to_cmd(command), idempotent).await?;
        to_reply(value).map_err(|e| Failure {
            error: e.into(),
            maybe_applied: false,
        })
    }

    /// Sends again every `UNSUBSCRIBE` Redis could not confirm earlier (see
    /// [`pubsub::PubSubHub::confirm_unsubscribes`]).
    pub(crate) async fn confirm_unsubscribes(&self) -> Result<()> {
        self.inner.pubsub.confirm_unsubscribes().await
    }

    /// The server's `run_id` (changes when the server restarts, which tells the fallback
    /// storage that Redis lost what it held, without persistence).
    ///
    /// On a Redis Cluster it is the cluster's identity instead: the run ids of its masters,
    /// sorted and joined by `,` (it changes when a master restarts or a replica is
    /// promoted; every master must answer).
    pub(crate) async fn run_id(&self) -> Result<String> {
        if let Link::Cluster(c) = &self.inner.connection {
            return self.cluster_id(c.clone()).await;
        }
        let info = self.run(redis::cmd("INFO").arg("server"), true).await?;
        info_field(&info, "run_id").ok_or_else(|| StorageError::UnexpectedReply {
            backend: "redis",
            detail: "INFO server has no run_id".into(),
        })
    }

    /// The cluster's identity (see [`RedisStorage::run_id`]), under the operation deadline.
    async fn cluster_id(&self, mut c: redis::cluster_async::ClusterConnection) -> Result<String> {
        self.check_open()?;
        let infos = tokio::time::timeout(
            self.inner.config.response_timeout,
            link::all_masters_info(&mut c),
        )
        .await
        .map_err(|_| {
            StorageError::Timeout("redis cluster: not every master answered INFO in time".into())
        })?
        .map_err(|e| unavailable(&e))?;
        let mut ids = Vec::with_capacity(infos.len());
        for info in &infos {
            if let Value::ServerError(e) = info {
                return Err(StorageError::Unavailable(format!(
                    "redis cluster: a master answered INFO with {}",
                    e.code()
                )));
            }
            ids.push(
                info_field(info, "run_id").ok_or_else(|| StorageError::UnexpectedReply {
                    backend: "redis",
                    detail: "a cluster master's INFO server has no run_id".into(),
                })?,
            );
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids.join(","))
    }

    /// On a Redis Cluster: whether any master answers a PING now (within the response and
    /// health-check timeouts): a call that failed as unreachable while this holds met one
    /// shard down (its replica being promoted), not an outage of the cluster. `false` on
    /// the other topologies.
    ///
    /// A verdict of "answers" stands for [`CLUSTER_VERDICT_FOR`] (one PING to every master
    /// per window, however many calls fail meanwhile); "none answers" is never reused.
    pub(crate) async fn cluster_answers(&self) -> bool {
        let Link::Cluster(c) = &self.inner.connection else {
            return false;
        };
        let since_start = |at: Instant| at.duration_since(self.inner.started).as_millis() as u64;
        let last = self.inner.cluster_answered_ms.load(Ordering::Acquire);
        if last != 0 && since_start(Instant::now()) < last + CLUSTER_VERDICT_FOR.as_millis() as u64
        {
            return true;
        }
        let mut c = c.clone();
        let within = self
            .inner
            .config
            .response_timeout
            .min(health_timeout(&self.inner.config));
        let answers = matches!(
            tokio::time::timeout(within, link::any_master_ping(&mut c)).await,
            Ok(Ok(_))
        );
        if answers {
            // At least 1: 0 means never.
            let now = since_start(Instant::now()).max(1);
            self.inner
                .cluster_answered_ms
                .fetch_max(now, Ordering::AcqRel);
        }
        answers
    }

    /// Runs a script (for the fallback's replay), under the operation deadline.
    pub(crate) async fn invoke(&self, invocation: &redis::ScriptInvocation<'_>) -> Result<Value> {
        self.script(invocation, false).await
    }

    /// Runs `commands` as one non-atomic pipeline, in one round trip: each command's own
    /// outcome, in order (a command error, `WRONGTYPE` say, is that command's answer and the
    /// others still apply). Invalid commands are answered without being sent. When the
    /// pipeline fails as a whole, each sent command gets that failure, classified as a single
    /// command's would be (a read: `Timeout`/`Unavailable`; a write: may have been applied).
    /// Not retried, except on a cluster one never sent, and one a node refused when it holds
    /// reads only (see `send_pipeline`).
    pub(crate) async fn pipeline_classified(
        &self,
        commands: &[Command],
    ) -> Vec<std::result::Result<Reply, Failure>> {
        let mut pipe = redis::Pipeline::with_capacity(commands.len());
        pipe.ignore_errors();
        // Commands answered without being sent (invalid here: rare), by position.
        let mut refused: Vec<(usize, StorageError)> = Vec::new();
        let mut retry_safe = true;
        for (i, command) in commands.iter().enumerate() {
            match validate(command).and_then(|()| self.fits_topology(command)) {
                Ok(()) => {
                    pipe.add_command(to_cmd(command));
                    retry_safe &= command.retry_safe();
                }
                Err(error) => refused.push((i, error)),
            }
        }
        let sent = commands.len() - refused.len();
        let mut answers = if sent == 0 {
            Ok(Vec::new().into_iter())
        } else {
            match self.check_open() {
                Err(error) => Err((
                    Failure {
                        error,
                        maybe_applied: false,
                    },
                    false,
                )),
                Ok(()) => self
                    .send_pipeline(&pipe, sent, retry_safe)
                    .await
                    .map(Vec::into_iter),
            }
        };
        let mut refused = refused.into_iter().peekable();
        let mut out = Vec::with_capacity(commands.len());
        for (i, command) in commands.iter().enumerate() {
            let result = match refused.next_if(|(at, _)| *at == i) {
                Some((_, error)) => Err(Failure {
                    error,
                    maybe_applied: false,
                }),
                None => match &mut answers {
                    Ok(values) => match values.next().expect("one reply per command sent") {
                        Value::ServerError(e) => Err(Failure {
                            error: StorageError::Command(Error::from_reply(
                                &server_error_text(&RedisError::from(e)).unwrap_or_default(),
                            )),
                            maybe_applied: false,
                        }),
                        value => to_reply(value).map_err(|e| Failure {
                            error: e.into(),
                            maybe_applied: false,
                        }),
                    },
                    Err((failure, timed_out)) => {
                        let read = command.retry_safe();
                        Err(Failure {
                            error: if *timed_out {
                                no_answer(read)
                            } else {
                                failure.error.clone()
                            },
                            maybe_applied: failure.maybe_applied && !read,
                        })
                    }
                },
            };
            // Counted command by command, as single calls are (without a latency each).
            let outcome = result
                .as_ref()
                .map_or_else(|f| Outcome::of_error(&f.error), |_| Outcome::Ok);
            telemetry::count_command(Backend::Redis, command, outcome);
            out.push(result);
        }
        out
    }

    /// Sends a pipeline of `count` commands under the operation deadline: their replies, or
    /// the failure and whether it was a timeout. On a cluster (where a pipeline is for one
    /// slot), one never sent is sent again after a pause within the deadline, and so is one
    /// a node refused (`MOVED`, `TRYAGAIN`, …) when every command in it is `retry_safe`;
    /// with a write in it, such a refusal may have come after earlier commands ran (a
    /// failover between two of them), so the writes may have been applied.
    async fn send_pipeline(
        &self,
        pipe: &redis::Pipeline,
        count: usize,
        retry_safe: bool,
    ) -> std::result::Result<Vec<Value>, (Failure, bool)> {
        let deadline = Instant::now() + self.inner.config.response_timeout;
        let mut delay = Duration::from_millis(10);
        loop {
            let mut conn = self.inner.connection.clone();
            let started = Instant::now();
            let e =
                match tokio::time::timeout_at(deadline, pipe.query_async::<Vec<Value>>(&mut conn))
                    .await
                {
                    Ok(Ok(values)) if values.len() == count => {
                        self.inner.mark(Ok(started.elapsed()));
                        return Ok(values);
                    }
                    Ok(Ok(values)) => {
                        return Err((
                            Failure {
                                error: StorageError::UnexpectedReply {
                                    backend: "redis",
                                    detail: format!(
                                        "{} replies to a pipeline of {count}",
                                        values.len()
                                    ),
                                },
                                maybe_applied: true,
                            },
                            false,
                        ))
                    }
                    Ok(Err(e)) if !e.is_timeout() => e,
                    Ok(Err(_)) | Err(_) => {
                        let failure = self.timed_out(false).await;
                        let timed_out = matches!(failure.error, StorageError::OutcomeUnknown(_));
                        return Err((failure, timed_out));
                    }
                };
            let refusal = self.cluster_refusal(&e);
            let again =
                (refusal.is_some() && retry_safe) || (self.is_cluster() && link::not_sent(&e));
            if again && Instant::now() + delay < deadline {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_millis(200));
                continue;
            }
            if refusal.is_some() {
                let error = if retry_safe {
                    still_refused(&e)
                } else {
                    StorageError::Unavailable(format!(
                        "redis cluster: a node answered {} within the pipeline (a failover or \
                         a resharding)",
                        e.code().unwrap_or("a redirection")
                    ))
                };
                return Err((
                    Failure {
                        error,
                        maybe_applied: !retry_safe,
                    },
                    false,
                ));
            }
            if let Some(text) = server_error_text(&e) {
                self.inner.mark(Ok(started.elapsed()));
                return Err((
                    Failure {
                        error: StorageError::Command(Error::from_reply(&text)),
                        maybe_applied: false,
                    },
                    false,
                ));
            }
            let error = unavailable(&e);
            self.inner.mark(Err(error.to_string()));
            let not_sent = link::not_sent(&e);
            self.follow_master(deadline).await;
            return Err((
                Failure {
                    error,
                    maybe_applied: !not_sent,
                },
                false,
            ));
        }
    }

    /// [`RedisStorage::pipeline_classified`] for callers: a write that may have been applied
    /// answers `OutcomeUnknown`, as in [`RedisStorage::run`].
    async fn pipeline(&self, commands: Vec<Command>) -> Vec<Result<Reply>> {
        self.pipeline_classified(&commands)
            .await
            .into_iter()
            .map(|r| {
                r.map_err(|f| match f.error {
                    StorageError::Unavailable(why) if f.maybe_applied => {
                        StorageError::OutcomeUnknown(format!(
                            "{why}; the connection failed after the pipeline was sent: this \
                             write may have been applied (not retried)"
                        ))
                    }
                    other => other,
                })
            })
            .collect()
    }

    async fn run_classified(
        &self,
        cmd: &redis::Cmd,
        idempotent: bool,
    ) -> std::result::Result<Value, Failure> {
        self.check_open().map_err(|error| Failure {
            error,
            maybe_applied: false,
        })?;
        let started = Instant::now();
        // The usual case: a single server's connection is up. The call is bounded by that
        // connection's response timeout (which is the deadline: no timer of our own), and
        // an answer returns at once; anything else goes on in `attempts`, boxed so that
        // its timers and retries do not weigh on every call's future.
        let first = match self.inner.connection.ready() {
            Some((single, mut ready)) => {
                let result = ready.conn.req_packed_command(cmd).await;
                single.settle(&ready, &result);
                if let Ok(value) = result {
                    self.inner.answered(started);
                    return Ok(value);
                }
                Some(result)
            }
            // On a cluster the client bounds every request by the operation timeout itself
            // (its overall response timeout, retries and redirections included: see
            // `link::cluster_builder`), so the first attempt needs no timer of its own either.
            None if self.is_cluster() => {
                let mut conn = self.inner.connection.clone();
                let result = conn.req_packed_command(cmd).await;
                if let Ok(value) = result {
                    self.inner.answered(started);
                    return Ok(value);
                }
                Some(result)
            }
            None => None,
        };
        Box::pin(self.attempts(cmd, idempotent, started, first)).await
    }

    /// [`run_classified`](Self::run_classified) from the first attempt's `first` result
    /// (`None`: not made yet), sent at `started`: the retries and the deadline.
    async fn attempts(
        &self,
        cmd: &redis::Cmd,
        idempotent: bool,
        mut started: Instant,
        mut first: Option<RedisResult<Value>>,
    ) -> std::result::Result<Value, Failure> {
        let deadline = started + self.inner.config.response_timeout;
        let mut delay = Duration::from_millis(10);
        // A connection failure seen by an earlier attempt: when the deadline then passes,
        // that failure (Redis unreachable) is the answer, not a timeout.
        let mut unreachable: Option<StorageError> = None;
        // Whether an earlier attempt may have reached Redis (sent, then failed in a way
        // that does not prove it unsent).
        let mut maybe_sent = false;
        loop {
            let attempt = match first.take() {
                Some(result) => Ok(result),
                None => {
                    started = Instant::now();
                    self.attempt(cmd, deadline).await
                }
            };
            match attempt {
                // The deadline passed while connecting: this attempt sent nothing, and no
                // earlier one may have either. Redis is unreachable, and the write was not
                // applied (the fallback storage journals it).
                Err(Phase::Connecting) if !maybe_sent => {
                    let error = unreachable.take().unwrap_or_else(|| {
                        StorageError::Unavailable(
                            "redis: not connected within the operation timeout (connecting; \
                             nothing sent)"
                                .into(),
                        )
                    });
                    self.inner.mark(Err(error.to_string()));
                    self.inner.check_now.notify_one();
                    return Err(Failure {
                        error,
                        maybe_applied: false,
                    });
                }
                // A read retried after connection failures: Redis is unreachable, not slow.
                Err(_) if idempotent && unreachable.is_some() => {
                    return Err(Failure {
                        error: unreachable.unwrap_or_else(|| no_answer(idempotent)),
                        maybe_applied: false,
                    });
                }
                // No answer is not an outage by itself (see `timed_out`).
                Err(_) => return Err(self.timed_out(idempotent).await),
                Ok(Err(e)) if e.is_timeout() && !(idempotent && unreachable.is_some()) => {
                    return Err(self.timed_out(idempotent).await);
                }
                Ok(Ok(value)) => {
                    self.inner.answered(started);
                    return Ok(value);
                }
                Ok(Err(e)) => {
                    // A cluster node refused it without running it: send it where it
                    // points, or again after a pause, within the deadline.
                    if let Some(refusal) = self.cluster_refusal(&e) {
                        // Split over several nodes: the refusal answers one part.
                        let split = link::fans_out(cmd);
                        if split && !idempotent {
                            return Err(Failure {
                                error: StorageError::Unavailable(format!(
                                    "redis cluster: a node answered {} for part of a \
                                     multi-slot write (a failover or a resharding)",
                                    e.code().unwrap_or("a redirection")
                                )),
                                maybe_applied: true,
                            });
                        }
                        if Instant::now() + delay >= deadline {
                            return Err(Failure {
                                error: still_refused(&e),
                                maybe_applied: false,
                            });
                        }
                        let redirected = if split {
                            None
                        } else {
                            self.inner.connection.redirect(cmd, &refusal).await
                        };
                        if let Some(result) = redirected {
                            first = Some(result);
                        } else {
                            tokio::time::sleep(delay).await;
                            delay = (delay * 2).min(Duration::from_millis(200));
                        }
                        continue;
                    }
                    if let Some(text) = server_error_text(&e) {
                        // A demoted Sentinel master refuses writes: not applied, so follow
                        // the Sentinels to the new master and send it there.
                        if text.starts_with("READONLY")
                            && self.follow_master(deadline).await
                            && Instant::now() + delay < deadline
                        {
                            tokio::time::sleep(delay).await;
                            delay = (delay * 2).min(Duration::from_millis(200));
                            continue;
                        }
                        self.inner.mark(Ok(started.elapsed()));
                        return Err(Failure {
                            error: StorageError::Command(Error::from_reply(&text)),
                            maybe_applied: false,
                        });
                    }
                    let error = unavailable(&e);
                    self.inner.mark(Err(error.to_string()));
                    let not_sent = link::not_sent(&e);
                    maybe_sent |= !not_sent;
                    self.follow_master(deadline).await;
                    let retry = idempotent || not_sent;
                    if !retry || Instant::now() + delay >= deadline {
                        return Err(Failure {
                            error,
                            maybe_applied: !not_sent,
                        });
                    }
                    unreachable = Some(error);
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_millis(200));
                }
            }
        }
    }

    /// One attempt of [`attempts`](Self::attempts), within `deadline`. On a single server
    /// whose connection is down, connecting is a step of its own, so that a deadline that
    /// passes during it is known to have sent nothing ([`Phase::Connecting`]).
    async fn attempt(
        &self,
        cmd: &redis::Cmd,
        deadline: Instant,
    ) -> std::result::Result<RedisResult<Value>, Phase> {
        if let Some(single) = self.inner.connection.single_down() {
            match tokio::time::timeout_at(deadline, single.connect_with(false)).await {
                Err(_) => return Err(Phase::Connecting),
                Ok(Err(e)) => return Ok(Err(single::mark_never_sent(e))),
                Ok(Ok(_)) => {}
            }
        }
        let mut conn = self.inner.connection.clone();
        tokio::time::timeout_at(deadline, conn.req_packed_command(cmd))
            .await
            .map_err(|_| Phase::Sending)
    }

    /// How a cluster node refused a command without running it, if `err` is such a refusal
    /// (`None` on the other topologies, where these replies are ordinary errors).
    fn cluster_refusal(&self, err: &RedisError) -> Option<link::Refusal> {
        if self.is_cluster() {
            link::Refusal::of(err)
        } else {
            None
        }
    }

    /// On a Sentinel-watched master: asks the Sentinels (before `deadline`) whether another
    /// node is the master now and switches to it (pub/sub included). `true` when a master is
    /// known after the call; always `false` on the other topologies. Boxed (a Sentinel
    /// lookup is a large future, and rare): see [`timed_out`](Self::timed_out).
    fn follow_master(&self, deadline: Instant) -> BoxFuture<'_, bool> {
        Box::pin(self.follow_master_now(deadline))
    }

    async fn follow_master_now(&self, deadline: Instant) -> bool {
        let Some(sentinel) = self.inner.connection.sentinel() else {
            return false;
        };
        match tokio::time::timeout_at(deadline, sentinel.refresh()).await {
            Ok(Ok(changed)) => {
                if changed {
                    self.inner.pubsub.retarget().await;
                }
                true
            }
            _ => false,
        }
    }

    /// Refuses what has no meaning on this topology: `SCAN` on a cluster (a cursor belongs
    /// to one node; the `redis` crate would send it to a random one and the iteration would
    /// silently miss keys).
    fn fits_topology(&self, command: &Command) -> Result<()> {
        if self.is_cluster() && matches!(command, Command::Scan { .. }) {
            return Err(StorageError::Unsupported(
                "SCAN on a Redis Cluster (cursors are per node); use KEYS, which hedgestore \
                 sends to every master and merges, or scan each node yourself"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Whether this storage talks to a Redis Cluster.
    pub(crate) fn is_cluster(&self) -> bool {
        self.inner.connection.is_cluster()
    }

    /// Runs a script under the operation deadline, never retried. A script that writes
    /// (`idempotent` false: transactions, locks, the fallback's replay) answers
    /// `OutcomeUnknown` when the connection fails after sending or no answer comes in time;
    /// a read-only one (`KEY_VERSIONS`) `Unavailable` or `Timeout`, as any read.
    async fn script(
        &self,
        invocation: &redis::ScriptInvocation<'_>,
        idempotent: bool,
    ) -> Result<Value> {
        self.check_open()?;
        let deadline = Instant::now() + self.inner.config.response_timeout;
        let mut delay = Duration::from_millis(10);
        loop {
            let mut conn = self.inner.connection.clone();
            let started = Instant::now();
            let e = match tokio::time::timeout_at(
                deadline,
                invocation.invoke_async::<Value>(&mut conn),
            )
            .await
            {
                Err(_) => return Err(self.timed_out(idempotent).await.error),
                Ok(Err(e)) if e.is_timeout() => return Err(self.timed_out(idempotent).await.error),
                Ok(Ok(v)) => {
                    self.inner.mark(Ok(started.elapsed()));
                    return Ok(v);
                }
                Ok(Err(e)) => e,
            };
            // On a cluster, a script a node refused without running it (`MOVED`, `ASK`,
            // `TRYAGAIN`, …), or one never sent (no connection to its slot's node yet), is
            // sent again by slot after a pause, within the deadline.
            let refusal = self.cluster_refusal(&e);
            if (refusal.is_some() || (self.is_cluster() && link::not_sent(&e)))
                && Instant::now() + delay < deadline
            {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_millis(200));
                continue;
            }
            if refusal.is_some() {
                return Err(still_refused(&e));
            }
            return match server_error_text(&e) {
                Some(text) => Err(StorageError::Command(Error::from_reply(&text))),
                None => {
                    let error = unavailable(&e);
                    self.inner.mark(Err(error.to_string()));
                    if idempotent || link::not_sent(&e) {
                        Err(error)
                    } else {
                        // Sent, for all this client knows, and then the connection failed:
                        // the script (a transaction, a lock) may have run.
                        Err(StorageError::OutcomeUnknown(format!(
                            "{error}; the connection failed after the script was sent: it \
                             may have been applied (not retried)"
                        )))
                    }
                }
            };
        }
    }
}

/// A failed Redis call, and whether Redis may nevertheless have applied it.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) error: StorageError,
    pub(crate) maybe_applied: bool,
}

/// One health-check round: `CLIENT ID` and `INFO server` on the health connection (the
/// verdict, and the server's identity: a new client id or run id means the connection was
/// re-established, counted as a reconnect even when no check failed in between), with a
/// PING on the command connection alongside (its answer ignored) so that one broken by a
/// restart is noticed and re-established before the next command needs it.
async fn check_once(inner: &Inner) {
    if let Some(sentinel) = inner.connection.sentinel() {
        // Follow a failover even while no command runs (and resubscribe pub/sub there).
        let lookup = tokio::time::timeout(health_timeout(&inner.config), sentinel.refresh());
        if let Ok(Ok(true)) = lookup.await {
            inner.pubsub.retarget().await;
        }
    }
    let mut conn = inner.health.clone();
    let mut main = inner.connection.clone();
    let started = Instant::now();
    let (ping, _) = tokio::join!(
        tokio::time::timeout(health_timeout(&inner.config), conn.probe()),
        tokio::time::timeout(inner.config.response_timeout, main.keepalive()),
    );
    if let Ok(Ok(Value::Array(replies))) = &ping {
        if let [Value::Int(id), info] = replies.as_slice() {
            let identity = Some((info_field(info, "run_id").unwrap_or_default(), *id));
            let mut state = inner.state.lock().unwrap_or_else(PoisonError::into_inner);
            // A reconnect after a failed check is counted when the check succeeds again
            // (`mark`); this one happened between two successful checks.
            if state.identity.is_some() && state.identity != identity && state.healthy == Some(true)
            {
                state.reconnects += 1;
                metrics::counter!(telemetry::REDIS_RECONNECTS).increment(1);
            }
            state.identity = identity;
        }
    }
    inner.mark(match ping {
        Ok(Ok(_)) => Ok(started.elapsed()),
        // An error reply is an answer (a user whose ACL denies CLIENT): alive.
        Ok(Err(e)) if server_error_text(&e).is_some() => Ok(started.elapsed()),
        Ok(Err(e)) => Err(unavailable(&e).to_string()),
        Err(_) => Err("health check timed out".into()),
    });
    inner
        .state
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .checks += 1;
    telemetry::export_commands();
}

async fn health_checks(inner: std::sync::Weak<Inner>) {
    loop {
        let (interval, hub) = {
            let Some(inner) = inner.upgrade() else { return };
            if inner.closed.load(Ordering::Acquire) {
                return;
            }
            check_once(&inner).await;
            (inner.config.health_check_interval, inner.pubsub.clone())
        };
        hub.ping().await;
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let stop = async { strong.stop.notified().await };
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = strong.check_now.notified() => {}
            _ = stop => return,
        }
    }
}

impl RedisStorage {
    /// A typed call's `cmd` (the command of row `kind`, one key, no pattern to validate)
    /// sent as [`classified`](Self::classified) sends a command: its reply, or the failure.
    async fn typed_reply(
        &self,
        kind: CommandKind,
        cmd: &redis::Cmd,
    ) -> std::result::Result<Reply, Failure> {
        let value = self.run_classified(cmd, retry_safe(kind)).await?;
        to_reply(value).map_err(|e| Failure {
            error: e.into(),
            maybe_applied: false,
        })
    }

    async fn run_command(&self, command: &Command) -> Result<Reply> {
        validate(command)?;
        self.fits_topology(command)?;
        let idempotent = command.retry_safe();
        let value = self.run(&to_cmd(command), idempotent).await?;
        Ok(to_reply(value)?)
    }
}

/// What a failure tells the caller: a write that was sent before the connection failed
/// answers `OutcomeUnknown`, not `Unavailable` (which promises nothing was applied).
fn caller_error(f: Failure) -> StorageError {
    match f.error {
        StorageError::Unavailable(why) if f.maybe_applied => StorageError::OutcomeUnknown(format!(
            "{why}; the connection failed after the write was sent: it may have been applied \
             (not retried)"
        )),
        other => other,
    }
}

/// `GET key` for the typed calls.
fn get_cmd(key: &[u8]) -> redis::Cmd {
    let mut cmd = redis::Cmd::with_capacity(2, 3 + key.len());
    cmd.arg("GET").arg(key);
    cmd
}

/// A plain `SET key value [PX ms]` for the typed calls: `options` is [`ttl_option`]'s
/// (no condition, at most a `PX`), which is all a typed `SET` sends.
fn set_cmd(key: &[u8], value: &[u8], options: SetOptions) -> redis::Cmd {
    let mut cmd = redis::Cmd::with_capacity(5, 3 + key.len() + value.len() + 22);
    cmd.arg("SET").arg(key).arg(value);
    if let Some(Expiry::Px(ms)) = options.expiry {
        cmd.arg("PX").arg(ms);
    }
    cmd
}

/// Whether the command of row `kind` may be sent again after a failure (the table's
/// `RETRY_SAFE`, as [`Command::retry_safe`] reads it).
fn retry_safe(kind: CommandKind) -> bool {
    kind.spec().flags.contains(CommandFlags::RETRY_SAFE)
}

/// Where an attempt was when the operation deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Connecting to a single server: nothing was sent.
    Connecting,
    /// Sending, or waiting for the answer: the command may have been applied.
    Sending,
}

/// Patterns are validated as the engine does, so both backends reject the same input.
fn validate(command: &Command) -> Result<()> {
    match command {
        Command::Keys { pattern }
        | Command::Scan {
            pattern: Some(pattern),
            ..
        }
        | Command::PubSubChannels {
            pattern: Some(pattern),
        } => {
            Pattern::new(pattern)?;
        }
        _ => {}
    }
    Ok(())
}

#[async_trait]
impl BaseStorage for RedisStorage {
    async fn execute(&self, command: Command) -> Result<Reply> {
        let probe = Probe::command(Backend::Redis, &command);
        let result = self.run_command(&command).await;
        probe.done(&result);
        result
    }

    // `GET` and `SET`, the commonest calls, encode their `redis::Cmd` straight from the
    // borrowed arguments: no core `Command` is built, encoded and freed for them (about 600
    // instructions of `execute`'s path, BENCHMARKS.md §6). The same deadline, retries,
    // errors and metrics as `execute`; with the per-command debug event on (it lists the
    // command's keys) they take `execute`'s path.

    fn get<'a>(&'a self, key: &'a [u8]) -> StorageFuture<'a, Result<Option<Bytes>>> {
        StorageFuture::boxed(async move {
            let Some(probe) = Probe::typed(Backend::Redis, CommandKind::Get) else {
                let command = Command::Get { key: key.to_vec() };
                return reply::value(self.execute(command).await?);
            };
            let result = self
                .typed_reply(CommandKind::Get, &get_cmd(key))
                .await
                .map_err(caller_error)
                .and_then(reply::value);
            probe.done(&result);
            result
        })
    }

    fn set<'a>(
        &'a self,
        key: &'a [u8],
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> StorageFuture<'a, Result<()>> {
        StorageFuture::boxed(async move {
            let options = ttl_option(ttl);
            let Some(probe) = Probe::typed(Backend::Redis, CommandKind::Set) else {
                let reply = self.execute(set_command(key, value, options)).await?;
                return reply::ok_or_nil(reply).map(|_| ());
            };
            let result = self
                .typed_reply(CommandKind::Set, &set_cmd(key, value, options))
                .await
                .map_err(caller_error)
                .and_then(|reply| reply::ok_or_nil(reply).map(|_| ()));
            probe.done(&result);
            result
        })
    }
}

#[async_trait]
impl PubSubStorage for RedisStorage {
    async fn subscribe(&self, channel: &[u8], handler: Handler) -> Result<Subscription> {
        self.check_open()?;
        self.inner.pubsub.subscribe(false, channel, handler).await
    }

    async fn psubscribe(&self, pattern: &[u8], handler: Handler) -> Result<Subscription> {
        self.check_open()?;
        Pattern::new(pattern)?;
        self.inner.pubsub.subscribe(true, pattern, handler).await
    }
}

#[async_trait]
impl LockStorage for RedisStorage {
    async fn acquire_lock(
        &self,
        name: &[u8],
        ttl: Duration,
        wait: Option<Duration>,
    ) -> Result<Option<Lock>> {
        if ttl.is_zero() {
            return Err(Error::InvalidLockTtl.into());
        }
        let give_up = wait.map(|w| Instant::now() + w);
        let mut delay = Duration::from_millis(10);
        let mut waited = false;
        loop {
            let (lock_key, fence_key) = lock_keys(self.is_cluster(), name);
            let mut invocation = scripts::LOCK_ACQUIRE.prepare_invoke();
            invocation
                .key(lock_key)
                .key(fence_key)
                .arg(&self.inner.owner)
                .arg(ms(ttl));
            match self.script(&invocation, false).await? {
                Value::Int(token) => {
                    telemetry::lock_acquire(Backend::Redis, true, waited);
                    return Ok(Some(Lock {
                        name: Bytes::copy_from_slice(name),
                        token: FencingToken(token as u64),
                    }));
                }
                _ => {
                    waited = true;
                    let now = Instant::now();
                    if give_up.is_none_or(|deadline| now >= deadline) {
                        telemetry::lock_acquire(Backend::Redis, false, waited);
                        return Ok(None);
                    }
                    let deadline = give_up.expect("checked above");
                    tokio::time::sleep(delay.min(deadline - now)).await;
                    delay = (delay * 2).min(Duration::from_millis(250));
                }
            }
        }
    }

    async fn release_lock(&self, name: &[u8]) -> Result<bool> {
        let mut invocation = scripts::LOCK_RELEASE.prepare_invoke();
        invocation
            .key(lock_keys(self.is_cluster(), name).0)
            .arg("owner")
            .arg(&self.inner.owner);
        Ok(matches!(
            self.script(&invocation, false).await?,
            Value::Int(1)
        ))
    }

    async fn release(&self, lock: &Lock) -> Result<bool> {
        let mut invocation = scripts::LOCK_RELEASE.prepare_invoke();
        invocation
            .key(lock_keys(self.is_cluster(), &lock.name).0)
            .arg("token")
            .arg(lock.token.0.to_string());
        Ok(matches!(
            self.script(&invocation, false).await?,
            Value::Int(1)
        ))
    }

    async fn extend_lock(&self, name: &[u8], ttl: Duration) -> Result<bool> {
        if ttl.is_zero() {
            return Err(Error::InvalidLockTtl.into());
        }
        let mut invocation = scripts::LOCK_EXTEND.prepare_invoke();
        invocation
            .key(lock_keys(self.is_cluster(), name).0)
            .arg(&self.inner.owner)
            .arg(ms(ttl));
        Ok(matches!(
            self.script(&invocation, false).await?,
            Value::Int(1)
        ))
    }
}

#[async_trait]
impl CompleteStorage for RedisStorage {
    async fn key_versions(&self, keys: &[Vec<u8>]) -> Result<Vec<KeyVersion>> {
        let mut invocation = scripts::KEY_VERSIONS.prepare_invoke();
        for k in keys {
            invocation.key(k.as_slice());
        }
        match self.script(&invocation, true).await? {
            Value::Array(items) => items
                .into_iter()
                .map(|v| match v {
                    Value::BulkString(b) => Ok(KeyVersion(Bytes::from(b))),
                    other => Err(StorageError::UnexpectedReply {
                        backend: "redis",
                        detail: format!("key version {other:?}"),
                    }),
                })
                .collect(),
            other => Err(StorageError::UnexpectedReply {
                backend: "redis",
                detail: format!("key versions {other:?}"),
            }),
        }
    }

    async fn execute_pipeline(&self, commands: Vec<Command>) -> Vec<Result<Reply>> {
        self.pipeline(commands).await
    }

    async fn execute_transaction(
        &self,
        watched: Vec<(Vec<u8>, KeyVersion)>,
        commands: Vec<Command>,
    ) -> Result<Vec<Reply>> {
        let probe = Probe::transaction(Backend::Redis, &commands);
        let result = self.transaction(watched, commands).await;
        probe.done(&result);
        result
    }

    /// Also hands the process's command counts to the metrics recorder.
    async fn health(&self) -> Health {
        telemetry::export_commands();
        let state = self
            .inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Health {
            backend: BackendKind::Redis,
            healthy: state.healthy == Some(true) && !self.inner.closed.load(Ordering::Acquire),
            last_error: state.last_error.clone(),
            latency: match self.inner.latency_ns.load(Ordering::Relaxed) {
                0 => state.latency,
                ns => Some(Duration::from_nanos(ns)),
            },
            reconnects: state.reconnects,
            health_checks: state.checks,
            memory: None,
            fallback: None,
        }
    }

    async fn close(&self) -> Result<()> {
        self.inner.closed.store(true, Ordering::Release);
        self.inner.stop.notify_waiters();
        self.inner.pubsub.close().await;
        Ok(())
    }
}

/// Reads the transaction script's `EXECABORT <index> <error>` / `CONFLICT <n>` answers.
fn transaction_error(
    text: &str,
    watched: &[(Vec<u8>, KeyVersion)],
    commands: &[Command],
) -> StorageError {
    if let Some(rest) = text.strip_prefix("EXECABORT ") {
        if let Some((index, error)) = rest.split_once(' ') {
            if let Some(index) = index.parse::<usize>().ok().filter(|i| *i < commands.len()) {
                return BatchError::Command {
                    index,
                    command: commands[index].name(),
                    error: Error::from_reply(error),
                }
                .into();
            }
        }
    }
    if let Some(n) = text
        .strip_prefix("CONFLICT ")
        .and_then(|n| n.parse::<usize>().ok())
    {
        if let Some((key, _)) = n.checked_sub(1).and_then(|i| watched.get(i)) {
            return BatchError::Conflict { key: key.clone() }.into();
        }
    }
    StorageError::Command(Error::Server(text.to_string()))
}

impl RedisStorage {
    /// A transaction as one script (what `execute_transaction` runs and counts).
    async fn transaction(
        &self,
        watched: Vec<(Vec<u8>, KeyVersion)>,
        commands: Vec<Command>,
    ) -> Result<Vec<Reply>> {
        let cluster = self.is_cluster();
        let mut touched: Vec<Vec<u8>> = Vec::new();
        for (index, command) in commands.iter().enumerate() {
            if command.touches_all_keys() {
                return Err(BatchError::Command {
                    index,
                    command: command.name(),
                    error: Error::Server(
                        "ERR FLUSHDB cannot run inside a transaction on the Redis backend".into(),
                    ),
                }
                .into());
            }
            if let Err(StorageError::Command(error)) = validate(command) {
                return Err(BatchError::Command {
                    index,
                    command: command.name(),
                    error,
                }
                .into());
            }
            // On a cluster every key the batch uses is declared, so the script is routed
            // to the slot's master and keys in different slots fail with CROSSSLOT (instead
            // of a script touching a key of another node).
            if command.is_write() || cluster {
                for k in command.keys() {
                    if !touched.iter().any(|t| t == k) {
                        touched.push(k.to_vec());
                    }
                }
            }
        }
        let mut invocation = scripts::TRANSACTION.prepare_invoke();
        for (k, _) in &watched {
            invocation.key(k.as_slice());
        }
        for k in &touched {
            invocation.key(k.as_slice());
        }
        invocation.arg(watched.len());
        for (_, v) in &watched {
            invocation.arg(v.0.as_ref());
        }
        invocation.arg(commands.len());
        for command in &commands {
            let args = command.to_args();
            invocation.arg(args.len());
            for a in &args {
                invocation.arg(a.as_slice());
            }
        }
        match self.script(&invocation, false).await {
            Ok(Value::Array(replies)) => Ok(replies
                .into_iter()
                .map(to_reply)
                .collect::<std::result::Result<_, _>>()?),
            Ok(other) => Err(StorageError::UnexpectedReply {
                backend: "redis",
                detail: format!("transaction reply {other:?}"),
            }),
            Err(StorageError::Command(Error::Server(text))) => {
                Err(transaction_error(&text, &watched, &commands))
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::lock_keys;

    #[test]
    fn lock_keys_keep_their_names_on_one_server_and_share_a_slot_on_a_cluster() {
        assert_eq!(
            lock_keys(false, b"order:1"),
            (
                b"hedgestore:lock:order:1".to_vec(),
                b"hedgestore:fence:order:1".to_vec()
            )
        );
        let (lock, fence) = lock_keys(true, b"order:1");
        assert_eq!(lock, b"hedgestore:lock:{order:1}".to_vec());
        assert_eq!(fence, b"hedgestore:fence:{order:1}".to_vec());
        // A name with a `}` ends the tag inside the name, at the same place in both keys.
        let (lock, fence) = lock_keys(true, b"a}b");
        let tag = |k: &[u8]| {
            let open = k.iter().position(|&c| c == b'{').unwrap();
            let close = open + k[open..].iter().position(|&c| c == b'}').unwrap();
            k[open + 1..close].to_vec()
        };
        assert_eq!(tag(&lock), tag(&fence));
    }
}
