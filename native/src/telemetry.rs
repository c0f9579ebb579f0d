//! Metrics and per-command debug events.
//!
//! **Metrics** go through the [`metrics`] facade: this crate records, the application picks
//! the exporter (Prometheus, StatsD, …) by installing a recorder. Without one every call
//! below ends in the facade's no-op recorder. Every name starts with `hedgestore_`; every
//! label value is a fixed word (`memory`, `redis`, a command's id from core's command table,
//! an outcome), never a key, a value or a channel name. The README's metrics table lists
//! them all; [`describe_metrics`] registers their help texts and units.
//!
//! **The hot path** builds no metric key and takes no lock: each thread counts its commands
//! in a table of its own (indexed by backend, command and outcome; written with a plain
//! relaxed load and store), and [`export_commands`] hands the sums to the recorder every
//! second and at each `health()` call. Latency is sampled: every Redis command, one memory
//! command in [`TIME_MEMORY_EVERY`], recorded through histogram handles each thread
//! registers once per recorder.
//!
//! **Debug events.** Each command ends with one `debug` event (target `hedgestore::command`):
//! backend, command, outcome, duration and the number of keys. The keys themselves are
//! shown only when `HEDGESTORE_LOG_KEYS` is true (read once, at the first event; or set in
//! code with [`set_log_keys`]): keys can be personal data or secrets of the application.
//! Values are never logged.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use hedgestore_core::{Command, CommandKind, Stats, COMMAND_COUNT, COMMAND_TABLE};
use metrics::{Counter, Histogram, Key, Label, Level, Metadata, Recorder, Unit};

use crate::error::StorageError;

/// Commands run, by `backend`, `command` and `outcome` (counter).
pub(crate) const COMMANDS: &str = "hedgestore_commands_total";
/// Command latency in seconds, by `backend` (histogram).
pub(crate) const COMMAND_SECONDS: &str = "hedgestore_command_duration_seconds";
/// Engine gauges and counters of memory storages (no labels).
pub(crate) const MEMORY_KEYS: &str = "hedgestore_memory_keys";
pub(crate) const MEMORY_KEYS_WITH_TTL: &str = "hedgestore_memory_keys_with_ttl";
pub(crate) const MEMORY_USED: &str = "hedgestore_memory_used_bytes";
pub(crate) const MEMORY_MAX: &str = "hedgestore_memory_max_bytes";
pub(crate) const MEMORY_HITS: &str = "hedgestore_memory_hits_total";
pub(crate) const MEMORY_MISSES: &str = "hedgestore_memory_misses_total";
pub(crate) const MEMORY_EXPIRED: &str = "hedgestore_memory_expired_keys_total";
pub(crate) const MEMORY_EVICTED: &str = "hedgestore_memory_evicted_keys_total";
/// Pub/sub, by `backend` and `kind` (`channel`, `pattern`).
pub(crate) const PUBSUB_DELIVERED: &str = "hedgestore_pubsub_delivered_total";
pub(crate) const PUBSUB_DROPPED: &str = "hedgestore_pubsub_dropped_total";
/// Lock acquisitions, by `backend` and `outcome`.
pub(crate) const LOCK_ACQUIRE: &str = "hedgestore_lock_acquire_total";
/// Redis connection state.
pub(crate) const REDIS_RECONNECTS: &str = "hedgestore_redis_reconnects_total";
pub(crate) const REDIS_UP: &str = "hedgestore_redis_up";
/// Fallback storage.
pub(crate) const FAILOVERS: &str = "hedgestore_fallback_failovers_total";
pub(crate) const RECOVERIES: &str = "hedgestore_fallback_recoveries_total";
pub(crate) const ON_MEMORY: &str = "hedgestore_fallback_on_memory";
pub(crate) const OUTAGE_SECONDS: &str = "hedgestore_fallback_outage_duration_seconds";
pub(crate) const RECOVERY_SECONDS: &str = "hedgestore_fallback_recovery_duration_seconds";
pub(crate) const JOURNAL_ENTRIES: &str = "hedgestore_fallback_journal_entries";
pub(crate) const JOURNAL_BYTES: &str = "hedgestore_fallback_journal_bytes";
pub(crate) const JOURNAL_OVERFLOWS: &str = "hedgestore_fallback_journal_overflows_total";
pub(crate) const REPLAYED: &str = "hedgestore_fallback_replayed_entries_total";
pub(crate) const REPLAY_REMAINING: &str = "hedgestore_fallback_replay_remaining_entries";
pub(crate) const REPLAY_ERRORS: &str = "hedgestore_fallback_replay_errors_total";

/// Registers the help text and unit of every hedgestore metric with the recorder in force
/// (exporters such as Prometheus print them as `# HELP` lines). Call it once after
/// installing a recorder; recording works without it.
pub fn describe_metrics() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        COMMANDS,
        "Commands run, by backend (memory, redis), command (its id in the command table; exec \
         for a transaction) and outcome (ok, command_error, timeout, unavailable, \
         outcome_unknown, error)"
    );
    describe_histogram!(
        COMMAND_SECONDS,
        Unit::Seconds,
        "Time from a command's call to its answer, by backend (every Redis command, one \
         memory command in 64 per thread)"
    );
    describe_gauge!(MEMORY_KEYS, "Keys held by memory storages");
    describe_gauge!(
        MEMORY_KEYS_WITH_TTL,
        "Keys with a TTL held by memory storages"
    );
    describe_gauge!(MEMORY_USED, Unit::Bytes, "Bytes held by memory storages");
    describe_gauge!(MEMORY_MAX, Unit::Bytes, "Memory budget of memory storages");
    describe_counter!(MEMORY_HITS, "Reads of memory storages that found their key");
    describe_counter!(MEMORY_MISSES, "Reads of memory storages that did not");
    describe_counter!(MEMORY_EXPIRED, "Keys removed because their TTL passed");
    describe_counter!(
        MEMORY_EVICTED,
        "Keys removed to stay under the memory budget"
    );
    describe_counter!(
        PUBSUB_DELIVERED,
        "Messages handed to subscribers, by backend and kind (channel, pattern)"
    );
    describe_counter!(
        PUBSUB_DROPPED,
        "Messages dropped because a subscriber fell behind its queue, by backend and kind"
    );
    describe_counter!(
        LOCK_ACQUIRE,
        "Lock acquisition calls, by backend and outcome (acquired, acquired_after_wait, \
         not_acquired)"
    );
    describe_counter!(REDIS_RECONNECTS, "Connections to Redis re-established");
    describe_gauge!(
        REDIS_UP,
        "1 while Redis answers health checks, 0 while it does not"
    );
    describe_counter!(
        FAILOVERS,
        "Switches of fallback storages from Redis to memory"
    );
    describe_counter!(RECOVERIES, "Switches of fallback storages back to Redis");
    describe_gauge!(ON_MEMORY, "Fallback storages serving from memory now");
    describe_histogram!(
        OUTAGE_SECONDS,
        Unit::Seconds,
        "Time fallback storages served from memory, one sample per recovery"
    );
    describe_histogram!(
        RECOVERY_SECONDS,
        Unit::Seconds,
        "Time a recovery took (merge, replay, switch back)"
    );
    describe_gauge!(JOURNAL_ENTRIES, "Writes in outage journals");
    describe_gauge!(JOURNAL_BYTES, Unit::Bytes, "Bytes in outage journals");
    describe_counter!(
        JOURNAL_OVERFLOWS,
        "Writes refused or journals dropped because the journal was full"
    );
    describe_counter!(REPLAYED, "Journal entries replayed into Redis");
    describe_gauge!(
        REPLAY_REMAINING,
        "Journal entries the running replay has still to send (0 when none runs)"
    );
    describe_counter!(
        REPLAY_ERRORS,
        "Journal commands that failed on Redis during replay"
    );
}

/// Which backend ran a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Memory = 0,
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    Redis = 1,
}

impl Backend {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Backend::Memory => "memory",
            Backend::Redis => "redis",
        }
    }
}

/// How a command ended (the `outcome` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Ok = 0,
    CommandError = 1,
    Timeout = 2,
    Unavailable = 3,
    /// `outcome_unknown`: a write sent without an answer.
    Unknown = 4,
    Error = 5,
}

const OUTCOMES: usize = 6;

/// The `outcome` labels, by [`Outcome`] value.
const OUTCOME_LABELS: [&str; OUTCOMES] = [
    "ok",
    "command_error",
    "timeout",
    "unavailable",
    "outcome_unknown",
    "error",
];

impl Outcome {
    pub(crate) fn of<T>(result: &Result<T, StorageError>) -> Self {
        result.as_ref().map_or_else(Self::of_error, |_| Outcome::Ok)
    }

    pub(crate) fn of_error(error: &StorageError) -> Self {
        match error {
            StorageError::Command(_) | StorageError::Transaction(_) => Outcome::CommandError,
            StorageError::Timeout(_) => Outcome::Timeout,
            StorageError::Unavailable(_) | StorageError::Closed => Outcome::Unavailable,
            StorageError::OutcomeUnknown(_) => Outcome::Unknown,
            _ => Outcome::Error,
        }
    }

    fn as_str(self) -> &'static str {
        OUTCOME_LABELS[self as usize]
    }
}

/// Rows of the handle table per backend: every command of the table, then `exec`.
const ROWS: usize = COMMAND_COUNT + 1;

const METADATA: Metadata<'static> = Metadata::new("hedgestore", Level::INFO, Some(module_path!()));

/// Command counts, one slot per (backend, command row, outcome), written only by the thread
/// that owns them: a relaxed load and store, no read-modify-write, so counting a command
/// costs about as much as an ordinary increment. [`export_commands`] sums every thread's
/// slots.
struct ThreadCounts {
    slots: Box<[AtomicU64]>,
}

impl ThreadCounts {
    fn new() -> Self {
        Self {
            slots: (0..2 * ROWS * OUTCOMES)
                .map(|_| AtomicU64::new(0))
                .collect(),
        }
    }
}

/// Every live thread's counts, and what threads that ended had counted.
struct AllCounts {
    live: Vec<Arc<ThreadCounts>>,
    ended: Vec<u64>,
}

static ALL_COUNTS: Mutex<AllCounts> = Mutex::new(AllCounts {
    live: Vec::new(),
    ended: Vec::new(),
});

fn all_counts() -> MutexGuard<'static, AllCounts> {
    ALL_COUNTS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// This thread's counts, registered in [`ALL_COUNTS`] while the thread lives.
struct Local {
    counts: Arc<ThreadCounts>,
    /// Memory commands this thread started, for [`TIME_MEMORY_EVERY`] (here rather than in
    /// [`Handles`], so that a typed call's probe reads one thread-local, not two).
    memory_commands: Cell<u32>,
}

impl Local {
    fn new() -> Self {
        let counts = Arc::new(ThreadCounts::new());
        all_counts().live.push(counts.clone());
        Self {
            counts,
            memory_commands: Cell::new(0),
        }
    }

    /// Counts `slot` (see [`slot`]).
    fn count(&self, slot: usize) {
        if let Some(n) = self.counts.slots.get(slot) {
            n.store(n.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        }
    }

    /// Whether this memory command is one of the timed ones ([`TIME_MEMORY_EVERY`]).
    fn time_memory_command(&self) -> bool {
        let n = self.memory_commands.get();
        self.memory_commands
            .set(n.wrapping_add(1) % TIME_MEMORY_EVERY);
        n == 0
    }
}

impl Drop for Local {
    /// The thread ends: its counts move to `ended`, so none is lost.
    fn drop(&mut self) {
        let mut all = all_counts();
        all.live.retain(|c| !Arc::ptr_eq(c, &self.counts));
        if all.ended.is_empty() {
            all.ended = vec![0; self.counts.slots.len()];
        }
        for (sum, slot) in all.ended.iter_mut().zip(self.counts.slots.iter()) {
            *sum += slot.load(Ordering::Relaxed);
        }
    }
}

/// The latency histograms one thread registered with one recorder.
struct Handles {
    /// The recorder's address (its identity while it lives).
    recorder: usize,
    latency: [Option<Histogram>; 2],
}

thread_local! {
    static COUNTS: Local = Local::new();
    static HANDLES: RefCell<Handles> = const {
        RefCell::new(Handles {
            recorder: 0,
            latency: [None, None],
        })
    };
}

/// One memory command in this many is timed, per thread (the first one included). A memory
/// command takes about a microsecond, and reading the clock twice (a system call on some
/// virtual machines) plus a histogram sample would cost more than all its other metrics
/// together; a sample of one in 64 describes the latency as well. Redis commands (tens of
/// microseconds) are all timed.
pub(crate) const TIME_MEMORY_EVERY: u32 = 64;

/// Whether this memory command is one of the timed ones (not timed on a thread whose
/// counts are being destroyed).
fn time_this_memory_command() -> bool {
    COUNTS.try_with(Local::time_memory_command).unwrap_or(false)
}

fn recorder_id(recorder: &dyn Recorder) -> usize {
    recorder as *const dyn Recorder as *const () as usize
}

/// Counts one `command` run on `backend` with `outcome`, without a latency (a command of a
/// pipeline: the round trip is the pipeline's, not its own).
#[cfg(feature = "redis")]
pub(crate) fn count_command(backend: Backend, command: &Command, outcome: Outcome) {
    count(backend, command.kind() as usize, outcome, None);
}

/// Counts one command (`row`: its command-table index, or the last row for `exec`) and, if
/// it was timed, records its latency.
fn count(backend: Backend, row: usize, outcome: Outcome, seconds: Option<f64>) {
    // `try_with`: a command run by a thread-local destructor is not counted.
    let _ = COUNTS.try_with(|local| local.count(slot(backend, row, outcome)));
    if let Some(seconds) = seconds {
        record_latency(backend, seconds);
    }
}

/// The index of (`backend`, command `row`, `outcome`) in a thread's counts.
fn slot(backend: Backend, row: usize, outcome: Outcome) -> usize {
    (backend as usize * ROWS + row) * OUTCOMES + outcome as usize
}

/// Records one latency sample of `backend` in the recorder in force.
fn record_latency(backend: Backend, seconds: f64) {
    metrics::with_recorder(|recorder| {
        let me = recorder_id(recorder);
        let _ = HANDLES.try_with(|cell| {
            let Ok(mut handles) = cell.try_borrow_mut() else {
                return; // re-entered from inside a recorder: skip rather than panic
            };
            if handles.recorder != me {
                handles.recorder = me;
                handles.latency = [None, None];
            }
            handles.latency[backend as usize]
                .get_or_insert_with(|| {
                    let labels = vec![Label::from_static_parts("backend", backend.as_str())];
                    recorder
                        .register_histogram(&Key::from_parts(COMMAND_SECONDS, labels), &METADATA)
                })
                .record(seconds);
        });
    });
}

/// Hands the process's command counts to the recorder in force
/// (`hedgestore_commands_total`, as absolute values: they only grow). Memory storages call
/// it every second, Redis storages at each health check, and every storage's `health()`;
/// so a scrape that follows a `health()` call (as the proxy's `/metrics` does) is exact.
pub(crate) fn export_commands() {
    let totals = {
        let all = all_counts();
        let mut totals = all.ended.clone();
        totals.resize(2 * ROWS * OUTCOMES, 0);
        for thread in &all.live {
            for (sum, slot) in totals.iter_mut().zip(thread.slots.iter()) {
                *sum += slot.load(Ordering::Relaxed);
            }
        }
        totals
    };
    for (slot, &total) in totals.iter().enumerate() {
        if total == 0 {
            continue;
        }
        let outcome = OUTCOME_LABELS[slot % OUTCOMES];
        let row = (slot / OUTCOMES) % ROWS;
        let backend = if slot / OUTCOMES / ROWS == 0 {
            "memory"
        } else {
            "redis"
        };
        let command = COMMAND_TABLE.get(row).map_or("exec", |spec| spec.id);
        metrics::counter!(COMMANDS, "backend" => backend, "command" => command, "outcome" => outcome)
            .absolute(total);
    }
}

/// One command (or transaction) being timed: started before the backend runs it, finished
/// with its result. Captures what the debug event needs before the command is moved into
/// the backend (and only when that event is enabled).
pub(crate) struct Probe {
    backend: Backend,
    row: usize,
    /// When the command started, if it is timed (see [`TIME_MEMORY_EVERY`]) or the debug
    /// event is enabled.
    started: Option<Instant>,
    /// What the debug event says beyond the counter, only when that event is enabled:
    /// boxed, so that the usual probe is three words to move and nothing to drop.
    debug: Option<Box<DebugEvent>>,
}

/// The fields of a command's debug event that the counter does not need.
struct DebugEvent {
    id: &'static str,
    /// Commands in a transaction (1 for a single command).
    commands: usize,
    key_count: usize,
    keys: String,
}

impl Probe {
    fn debug_enabled() -> bool {
        tracing::enabled!(target: "hedgestore::command", tracing::Level::DEBUG)
    }

    fn start(backend: Backend, row: usize, id: &'static str, commands: &[Command]) -> Self {
        let debug = Self::debug_enabled().then(|| {
            Box::new(DebugEvent {
                id,
                commands: commands.len(),
                key_count: commands.iter().map(|c| c.keys().len()).sum(),
                keys: KeyList(commands).to_string(),
            })
        });
        Self::new(backend, row, debug)
    }

    /// A probe of the command of `row`: timed when the debug event is on, on Redis, and for
    /// one memory command in [`TIME_MEMORY_EVERY`].
    #[inline]
    fn new(backend: Backend, row: usize, debug: Option<Box<DebugEvent>>) -> Self {
        let timed = debug.is_some() || backend == Backend::Redis || time_this_memory_command();
        Self {
            backend,
            row,
            started: timed.then(Instant::now),
            debug,
        }
    }

    /// Starts counting `command`, run on `backend`.
    pub(crate) fn command(backend: Backend, command: &Command) -> Self {
        let kind = command.kind();
        Self::start(
            backend,
            kind as usize,
            kind.spec().id,
            std::slice::from_ref(command),
        )
    }

    /// Starts counting a command of row `kind` that runs without a [`Command`] (the Redis
    /// storage's typed `GET`/`SET`), or `None` when the debug event is enabled: that event
    /// lists the command's keys, so the caller then takes its [`Command`] path.
    #[cfg(feature = "redis")]
    pub(crate) fn typed(backend: Backend, kind: CommandKind) -> Option<Self> {
        (!Self::debug_enabled()).then(|| Self::new(backend, kind as usize, None))
    }

    /// Runs `call`, a memory command of row `kind` that runs without a [`Command`] (the
    /// memory storage's typed `GET`/`SET`), counted and sampled as [`Probe`] counts a
    /// command, with one access to this thread's counts for both (the usual probe takes
    /// two: the sample's turn when it starts, the counter when it ends). `None`, with `call`
    /// not run, when the per-command debug event is enabled: that event lists the
    /// command's keys, so the caller then takes its [`Command`] path.
    #[inline]
    pub(crate) fn typed_memory<R>(
        kind: CommandKind,
        call: impl FnOnce() -> Result<R, StorageError>,
    ) -> Option<Result<R, StorageError>> {
        if Self::debug_enabled() {
            return None;
        }
        let row = kind as usize;
        let mut call = Some(call);
        let counted = COUNTS.try_with(|local| {
            let started = local.time_memory_command().then(Instant::now);
            let result = (call.take().expect("run once"))();
            local.count(slot(Backend::Memory, row, Outcome::of(&result)));
            if let Some(started) = started {
                record_latency(Backend::Memory, started.elapsed().as_secs_f64());
            }
            result
        });
        // A thread whose counts are being destroyed runs the call uncounted.
        Some(counted.unwrap_or_else(|_| (call.take().expect("not run"))()))
    }

    /// Starts counting a transaction of `commands` (the `exec` command label).
    pub(crate) fn transaction(backend: Backend, commands: &[Command]) -> Self {
        Self::start(backend, ROWS - 1, "exec", commands)
    }

    /// Records the command's end: the counter, the latency, the debug event.
    pub(crate) fn done<T>(self, result: &Result<T, StorageError>) {
        self.finish(Outcome::of(result));
    }

    /// [`done`](Self::done) with the outcome already known.
    pub(crate) fn finish(self, outcome: Outcome) {
        let backend = self.backend;
        let elapsed = self.started.map(|t| t.elapsed());
        count(backend, self.row, outcome, elapsed.map(|e| e.as_secs_f64()));
        if let (Some(event), Some(elapsed)) = (self.debug, elapsed) {
            event.emit(backend, outcome, elapsed);
        }
    }
}

impl DebugEvent {
    /// Emits the event (out of line: the usual probe has none).
    #[cold]
    fn emit(&self, backend: Backend, outcome: Outcome, elapsed: std::time::Duration) {
        tracing::debug!(
            target: "hedgestore::command",
            backend = backend.as_str(),
            command = self.id,
            commands = self.commands,
            outcome = outcome.as_str(),
            micros = elapsed.as_micros() as u64,
            key_count = self.key_count,
            keys = %self.keys,
            "command"
        );
    }
}

/// 0: not read yet, 1: keys hidden, 2: keys shown.
static LOG_KEYS: AtomicU8 = AtomicU8::new(0);

/// Shows (`true`) or hides (`false`, the default) keys in the per-command debug events,
/// overriding `HEDGESTORE_LOG_KEYS`. Values are never logged either way.
pub fn set_log_keys(show: bool) {
    LOG_KEYS.store(if show { 2 } else { 1 }, Ordering::Relaxed);
}

fn log_keys() -> bool {
    match LOG_KEYS.load(Ordering::Relaxed) {
        0 => {
            let show = std::env::var("HEDGESTORE_LOG_KEYS")
                .ok()
                .and_then(|v| crate::config::parse_bool(&v))
                .unwrap_or(false);
            set_log_keys(show);
            show
        }
        n => n == 2,
    }
}

/// The keys of some commands for a debug event: `redacted` unless keys are shown, then
/// each key as lossy UTF-8, cut to 64 bytes.
struct KeyList<'a>(&'a [Command]);

impl std::fmt::Display for KeyList<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !log_keys() {
            return f.write_str("redacted");
        }
        f.write_str("[")?;
        let mut first = true;
        for key in self.0.iter().flat_map(Command::keys) {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            let shown = String::from_utf8_lossy(&key[..key.len().min(64)]);
            write!(f, "{shown:?}")?;
            if key.len() > 64 {
                f.write_str("…")?;
            }
        }
        f.write_str("]")
    }
}

/// What one memory storage has added to the engine metrics so far, so that it exports
/// differences: the metrics then add up over every memory storage of the process (the
/// fallback's memory side included), and a closed storage takes its gauges back.
#[derive(Default)]
pub(crate) struct EngineExport {
    last: Option<Stats>,
}

fn adjust_gauge(name: &'static str, before: usize, now: usize) {
    if now > before {
        metrics::gauge!(name).increment((now - before) as f64);
    } else if before > now {
        metrics::gauge!(name).decrement((before - now) as f64);
    }
}

fn add_counter(name: &'static str, before: u64, now: u64) {
    if now > before {
        metrics::counter!(name).increment(now - before);
    }
}

impl EngineExport {
    /// Exports what changed since the last call.
    pub(crate) fn update(&mut self, now: Stats) {
        if self.last.is_none() {
            // Every series exists from the first export on, zeros included.
            for name in [MEMORY_KEYS, MEMORY_KEYS_WITH_TTL, MEMORY_USED, MEMORY_MAX] {
                metrics::gauge!(name).increment(0.0);
            }
            for name in [MEMORY_HITS, MEMORY_MISSES, MEMORY_EXPIRED, MEMORY_EVICTED] {
                metrics::counter!(name).increment(0);
            }
        }
        let before = self.last.unwrap_or_default();
        adjust_gauge(MEMORY_KEYS, before.keys, now.keys);
        adjust_gauge(
            MEMORY_KEYS_WITH_TTL,
            before.keys_with_ttl,
            now.keys_with_ttl,
        );
        adjust_gauge(MEMORY_USED, before.used_memory, now.used_memory);
        adjust_gauge(MEMORY_MAX, before.max_memory, now.max_memory);
        add_counter(MEMORY_HITS, before.hits, now.hits);
        add_counter(MEMORY_MISSES, before.misses, now.misses);
        add_counter(MEMORY_EXPIRED, before.expired, now.expired);
        add_counter(MEMORY_EVICTED, before.evicted, now.evicted);
        self.last = Some(now);
    }

    /// Takes this storage's part out of the gauges (it closed); counters stay.
    pub(crate) fn retract(&mut self) {
        if let Some(last) = self.last.take() {
            adjust_gauge(MEMORY_KEYS, last.keys, 0);
            adjust_gauge(MEMORY_KEYS_WITH_TTL, last.keys_with_ttl, 0);
            adjust_gauge(MEMORY_USED, last.used_memory, 0);
            adjust_gauge(MEMORY_MAX, last.max_memory, 0);
        }
    }
}

/// How often memory storages export their engine counters (also at every `health()` call).
pub(crate) const ENGINE_EXPORT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Counts one lock acquisition call.
pub(crate) fn lock_acquire(backend: Backend, acquired: bool, waited: bool) {
    let outcome = match (acquired, waited) {
        (true, false) => "acquired",
        (true, true) => "acquired_after_wait",
        (false, _) => "not_acquired",
    };
    metrics::counter!(LOCK_ACQUIRE, "backend" => backend.as_str(), "outcome" => outcome)
        .increment(1);
}

/// The handles of one subscription's delivery task, registered once when it starts.
pub(crate) struct SubscriberMetrics {
    delivered: Counter,
    dropped: Counter,
    lag_seen: u64,
}

impl SubscriberMetrics {
    pub(crate) fn new(backend: Backend, pattern: bool) -> Self {
        let kind = if pattern { "pattern" } else { "channel" };
        let backend = backend.as_str();
        Self {
            delivered: metrics::counter!(PUBSUB_DELIVERED, "backend" => backend, "kind" => kind),
            dropped: metrics::counter!(PUBSUB_DROPPED, "backend" => backend, "kind" => kind),
            lag_seen: 0,
        }
    }

    /// One message handed to the handler.
    pub(crate) fn delivered(&self) {
        self.delivered.increment(1);
    }

    /// The subscriber's lag counter now: what grew since the last look was dropped.
    pub(crate) fn lag(&mut self, lag: u64) {
        if lag > self.lag_seen {
            self.dropped.increment(lag - self.lag_seen);
            self.lag_seen = lag;
        }
    }
}

/// The outage journal's size now.
#[cfg(feature = "redis")]
pub(crate) fn journal(entries: usize, bytes: usize) {
    metrics::gauge!(JOURNAL_ENTRIES).set(entries as f64);
    metrics::gauge!(JOURNAL_BYTES).set(bytes as f64);
}

/// A recovery finished: the fallback served from memory for `outage`, and switching back
/// took `took`.
#[cfg(feature = "redis")]
pub(crate) fn recovered(outage: std::time::Duration, took: std::time::Duration) {
    metrics::counter!(RECOVERIES).increment(1);
    metrics::gauge!(ON_MEMORY).decrement(1.0);
    metrics::histogram!(OUTAGE_SECONDS).record(outage.as_secs_f64());
    metrics::histogram!(RECOVERY_SECONDS).record(took.as_secs_f64());
    metrics::gauge!(REPLAY_REMAINING).set(0.0);
}

/// A replay had `sent` more entries applied and has about `remaining` left.
#[cfg(feature = "redis")]
pub(crate) fn replay_progress(sent: usize, remaining: usize) {
    if sent > 0 {
        metrics::counter!(REPLAYED).increment(sent as u64);
    }
    metrics::gauge!(REPLAY_REMAINING).set(remaining as f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Held by the tests that set [`set_log_keys`] (a process-wide setting).
    static LOG_KEYS_SETTING: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn keys_are_redacted_unless_shown() {
        let _setting = LOG_KEYS_SETTING
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let commands = [Command::Get {
            key: b"user:42:card".to_vec(),
        }];
        set_log_keys(false);
        assert_eq!(KeyList(&commands).to_string(), "redacted");
        set_log_keys(true);
        assert_eq!(KeyList(&commands).to_string(), "[\"user:42:card\"]");
        set_log_keys(false);
    }

    /// Collects the fields of every `hedgestore::command` event, as `name=value` text.
    struct Events(std::sync::Mutex<Vec<String>>);

    impl tracing::Subscriber for Events {
        fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
            metadata.target() == "hedgestore::command"
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            struct Fields(String);
            impl tracing::field::Visit for Fields {
                fn record_debug(
                    &mut self,
                    field: &tracing::field::Field,
                    value: &dyn std::fmt::Debug,
                ) {
                    self.0 += &format!("{}={:?} ", field.name(), value);
                }
            }
            let mut fields = Fields(String::new());
            event.record(&mut fields);
            self.0.lock().unwrap().push(fields.0);
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    /// With the debug event on, the memory storage's typed `GET`/`SET` (and the handle's)
    /// take the command path, whose probe emits one event per command: the command, its
    /// outcome and key count, the keys redacted by default, never the value.
    #[test]
    fn each_command_emits_one_debug_event_without_keys_or_values() {
        let events = std::sync::Arc::new(Events(std::sync::Mutex::new(Vec::new())));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _setting = LOG_KEYS_SETTING
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        set_log_keys(false);
        tracing::subscriber::with_default(events.clone(), || {
            runtime.block_on(async {
                let memory = crate::MemoryStorage::start(crate::MemoryConfig::default()).unwrap();
                let storage = crate::Storage::new(memory.clone());
                storage
                    .set("user:42:card", "4111-secret", None)
                    .await
                    .unwrap();
                let got = storage.get("user:42:card").await.unwrap();
                assert_eq!(got.as_deref(), Some(&b"4111-secret"[..]));
                crate::BaseStorage::get(&memory, b"user:42:card")
                    .await
                    .unwrap();
                storage.incr("n").await.unwrap();
                crate::CompleteStorage::close(&memory).await.unwrap();
            })
        });
        let events = events.0.lock().unwrap().clone();
        assert_eq!(events.len(), 4, "{events:?}");
        for (event, command) in events.iter().zip(["set", "get", "get", "incr"]) {
            assert!(event.contains(&format!("command=\"{command}\"")), "{event}");
            assert!(event.contains("outcome=\"ok\""), "{event}");
            assert!(event.contains("key_count=1"), "{event}");
            assert!(event.contains("keys=redacted"), "{event}");
            assert!(
                !event.contains("user:42") && !event.contains("secret"),
                "{event}"
            );
        }
    }

    #[test]
    fn every_error_has_an_outcome_label() {
        let cases: [(Result<(), StorageError>, &str); 4] = [
            (Ok(()), "ok"),
            (Err(StorageError::Timeout("t".into())), "timeout"),
            (Err(StorageError::Closed), "unavailable"),
            (
                Err(StorageError::OutcomeUnknown("u".into())),
                "outcome_unknown",
            ),
        ];
        for (result, label) in cases {
            assert_eq!(Outcome::of(&result).as_str(), label);
        }
    }
}
