//! Recovery: the steps of a [`Recovery`] plan run against Redis (replay, merge, write-back),
//! and the two background tasks that feed the machine its events (health checks, the
//! recovery loop's pings).

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Weak;
use std::time::{Duration, SystemTime};

use hedgestore_core::{Command, ExpireCondition, Expiry, Reply, ZAddOptions, ZRangeBy};
use redis::Value;
use tokio::sync::broadcast;

use super::journal::{base_marker, fresh_prefix, replay_marker, Base, Batch, Journal};
use super::machine::{AfterHealth, HealthCheck, Machine, Recovery, Step};
use super::{lock, persist, slots, unix_millis_now, Inner};
use crate::error::{Result, StorageError};
use crate::events::StorageEvent;
use crate::memory::MemoryStorage;
use crate::redis::scripts;
use crate::telemetry;
use crate::traits::{BackendKind, BaseStorage, HashStorage, ListStorage, PubSubStorage};

/// Journal entries replayed per script call.
const REPLAY_BATCH: usize = 200;
/// Bases merged per unit of the background phase.
const MERGE_BATCH: usize = 64;
/// How often a background replay checks that it is catching up with new writes.
const CATCH_UP_WINDOW: Duration = Duration::from_millis(50);
/// A long replay logs its progress this often.
const REPLAY_PROGRESS_EVERY: Duration = Duration::from_secs(2);
/// Payload elements per reseed call (Lua's `unpack` has a stack limit).
const RESEED_CHUNK: usize = 1000;

/// The byte strings of an array reply.
fn bulks(items: Vec<Reply>) -> Vec<Vec<u8>> {
    items
        .into_iter()
        .filter_map(|r| match r {
            Reply::Bulk(b) => Some(b),
            _ => None,
        })
        .collect()
}

/// The commands that make `base` (its whole value and expiry) in an engine where the key is
/// missing.
pub(super) fn base_commands(base: &Base) -> Vec<Command> {
    let key = base.key.clone();
    let mut commands = match base.kind {
        "string" => vec![Command::Set {
            key: key.clone(),
            value: base.payload.first().cloned().unwrap_or_default(),
            options: Default::default(),
        }],
        kind => base
            .payload
            .chunks(if matches!(kind, "hash" | "zset") {
                RESEED_CHUNK * 2
            } else {
                RESEED_CHUNK
            })
            .map(|chunk| payload_command(kind, key.clone(), chunk))
            .collect(),
    };
    if base.expires_at != 0 {
        commands.push(Command::Expire {
            key,
            expiry: Expiry::PxAt(base.expires_at),
            condition: ExpireCondition::default(),
        });
    }
    commands
}

/// The command that adds `chunk` of a base's payload to `key`, by kind (`hash`, `set`,
/// `zset`, else `list`).
fn payload_command(kind: &str, key: Vec<u8>, chunk: &[Vec<u8>]) -> Command {
    match kind {
        "hash" => Command::HSet {
            key,
            pairs: chunk
                .chunks(2)
                .map(|p| (p[0].clone(), p[1].clone()))
                .collect(),
        },
        "set" => Command::SAdd {
            key,
            members: chunk.to_vec(),
        },
        "zset" => Command::ZAdd {
            key,
            options: ZAddOptions::default(),
            pairs: chunk
                .chunks(2)
                .filter_map(|p| {
                    let score = std::str::from_utf8(&p[0]).ok()?.parse().ok()?;
                    Some((score, p[1].clone()))
                })
                .collect(),
        },
        _ => Command::RPush {
            key,
            values: chunk.to_vec(),
        },
    }
}

/// What memory holds at `key` (strings, hashes, lists, sets and sorted sets; `None` for a
/// missing key).
pub(super) async fn snapshot(memory: &MemoryStorage, key: &[u8]) -> Result<Option<Base>> {
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
        Reply::Status("set") => match memory
            .execute(Command::SMembers { key: key.clone() })
            .await?
        {
            Reply::Array(members) => ("set", bulks(members)),
            _ => return Ok(None),
        },
        // Score, member, score, member … (`ZADD`'s order); `%.17g` reads back exactly.
        Reply::Status("zset") => match memory
            .execute(Command::ZRange {
                key: key.clone(),
                by: ZRangeBy::Rank(0, -1),
                rev: false,
                limit: None,
                with_scores: true,
            })
            .await?
        {
            Reply::Array(items) => {
                let mut payload = bulks(items);
                for pair in payload.chunks_mut(2) {
                    pair.swap(0, 1);
                }
                ("zset", payload)
            }
            _ => return Ok(None),
        },
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

/// One unit of a replay, prepared under the journal's lock and run without it (in the
/// background phase) or with it (the switch).
enum Unit {
    /// Bases captured since the last merge (a restarted server only).
    Bases(Vec<Base>),
    /// A batch of journal entries: the script calls (one; on a cluster one per slot, see
    /// [`slots`]), the entries it covers and sends.
    Batch {
        invocations: Vec<redis::ScriptInvocation<'static>>,
        covers: usize,
        sent: usize,
        last_seq: u64,
        /// On a cluster: the last sequence number each slot's call replays.
        slots: Vec<(u16, u64)>,
        /// On a cluster: keyless writes, which no one-slot script can replay (never
        /// journaled there, see [`slots::refusal`]; counted as replay errors if met).
        unroutable: u64,
    },
}

impl Inner {
    /// Recovers to Redis: asks the machine for the plan ([`Machine::begin_recovery`]), runs its
    /// steps in the background while memory keeps serving (outage writes keep joining the
    /// journal's tail), then switches: under the journal's lock, so no write joins it any
    /// more, it replays what joined since the last batch, checks that Redis is still the
    /// planned server, and hands traffic back to Redis. Callers wait for that last part only.
    pub(super) async fn recover(&self) -> Result<()> {
        // Calls that started on Redis before the failover finish first (their mirrors land
        // in memory before any base is read).
        self.drain_redis_calls().await;
        let started = std::time::Instant::now();
        let errors_before = self.counters.replay_errors.load(Ordering::Relaxed);
        let run_id = self.redis.run_id().await?;
        let plan = {
            let journal = self.journal.lock().await;
            let dropped = journal.dropped;
            let Some(plan) = self.machine_do(|m| m.begin_recovery(run_id, dropped)) else {
                return Ok(());
            };
            plan
        };
        let mut progress = Progress::new();
        for step in &plan.steps {
            if let Err(e) = self.run_step(*step, &plan, &mut progress).await {
                self.machine_do(Machine::recovery_failed);
                return Err(e);
            }
        }
        let mut journal = self.journal.lock().await;
        let switch_started = std::time::Instant::now();
        let last = async {
            if journal.dropped {
                // No journal: memory's values are the best knowledge left. Written back
                // here, under the lock, because every write changes what must be written.
                self.write_back(&journal.touched).await?;
            } else {
                while let Some(unit) = next_unit(
                    &journal,
                    &plan,
                    self.redis.owner_id(),
                    true,
                    self.redis.is_cluster(),
                ) {
                    self.run_unit(unit, &plan, &mut journal, &mut progress)
                        .await?;
                }
            }
            // The server may have restarted meanwhile (the connection moves to the new
            // process silently): then what was replayed is gone and the recovery starts over.
            self.redis.run_id().await
        };
        let run_id = match last.await {
            Ok(id) => id,
            Err(e) => {
                self.machine_do(Machine::recovery_failed);
                return Err(e);
            }
        };
        let restarted = plan.restarted;
        if !self.machine_do(|m| m.recovery_done(plan, &run_id)) {
            return Err(StorageError::Unavailable(
                "redis restarted during recovery; recovering again".into(),
            ));
        }
        let replayed = journal.entries.len();
        journal.clear();
        self.with_file(persist::JournalFile::clear);
        let now = SystemTime::now();
        let outage = now
            .duration_since(std::mem::replace(&mut *lock(&self.since), now))
            .unwrap_or_default();
        telemetry::journal(journal.entries.len(), journal.bytes);
        telemetry::recovered(outage, started.elapsed());
        drop(journal);
        tracing::info!(
            restarted,
            outage_ms = outage.as_millis() as u64,
            replayed_entries = replayed,
            replay_errors = self.counters.replay_errors.load(Ordering::Relaxed) - errors_before,
            recovery_ms = started.elapsed().as_millis() as u64,
            writes_held_ms = switch_started.elapsed().as_millis() as u64,
            "redis is back: serving from redis"
        );
        let _ = self.events.send(StorageEvent::BackendChanged {
            from: BackendKind::Memory,
            to: BackendKind::Redis,
        });
        Ok(())
    }

    /// Runs one step of a recovery plan ([`Step`]) in the background phase.
    async fn run_step(&self, step: Step, plan: &Recovery, progress: &mut Progress) -> Result<()> {
        match step {
            // Done at the switch (see `recover`).
            Step::WriteBack => Ok(()),
            // Redis lost some or all of what it held: what this instance knew from before the
            // outage goes back only where Redis lacks it (or under keys that outage writes
            // re-created).
            Step::RestoreUntouched => self.restore_untouched(&plan.run_id).await,
            Step::MergeBases => self.replay_in_background(plan, progress, false).await,
            Step::Replay => self.replay_in_background(plan, progress, true).await,
            Step::RestoreSubscriptions => self.restore_subscriptions().await,
        }
    }

    /// Confirms pending unsubscriptions and makes the Redis side of every subscription that
    /// lacks one (made during the outage, or lost with the connection).
    async fn restore_subscriptions(&self) -> Result<()> {
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
        Ok(())
    }

    /// Merges the captured bases (a restarted server) and, with `batches`, replays the
    /// journal, unit after unit, taking the journal's lock only to prepare a unit and to
    /// record it applied: writes go on meanwhile. Stops when at most one batch is left
    /// (the switch replays the rest under the lock).
    ///
    /// If new writes outpace the replay (the backlog did not shrink over a window of
    /// [`CATCH_UP_WINDOW`]), the replay holds the journal for at most [`Inner::catch_up_hold`]
    /// (a third of the response timeout, at most 100 ms) and replays meanwhile, then lets
    /// writes go on for another window: the backlog shrinks whatever the write rate, and no
    /// write waits longer than one hold.
    async fn replay_in_background(
        &self,
        plan: &Recovery,
        progress: &mut Progress,
        batches: bool,
    ) -> Result<()> {
        let hold = self.catch_up_hold();
        let mut window = (std::time::Instant::now(), usize::MAX);
        loop {
            let unit = {
                let mut journal = self.journal.lock().await;
                if journal.dropped {
                    // Overflowed (`DropJournal`) meanwhile: the switch writes memory back.
                    return Ok(());
                }
                let backlog = journal.unreplayed(&plan.run_id);
                if batches
                    && backlog <= REPLAY_BATCH
                    && journal.unmerged_bases(&plan.run_id).is_empty()
                {
                    return Ok(());
                }
                if batches && window.0.elapsed() >= CATCH_UP_WINDOW {
                    if backlog >= window.1 {
                        // Falling behind: replay under the lock for one hold.
                        let held = std::time::Instant::now();
                        while held.elapsed() < hold {
                            let owner = self.redis.owner_id();
                            let Some(unit) =
                                next_unit(&journal, plan, owner, true, self.redis.is_cluster())
                            else {
                                break;
                            };
                            self.run_unit(unit, plan, &mut journal, progress).await?;
                        }
                    }
                    window = (std::time::Instant::now(), journal.unreplayed(&plan.run_id));
                    continue;
                }
                next_unit(
                    &journal,
                    plan,
                    self.redis.owner_id(),
                    batches,
                    self.redis.is_cluster(),
                )
            };
            let Some(unit) = unit else { return Ok(()) };
            let sent = self.send_unit(&unit, plan).await;
            let mut journal = self.journal.lock().await;
            self.after_unit(sent, unit, plan, &mut journal, progress)
                .await?;
        }
    }

    /// How long a replay that falls behind may hold writes at a time: a third of the
    /// response timeout, at most 100 ms.
    fn catch_up_hold(&self) -> Duration {
        (self.redis.config().response_timeout / 3).min(Duration::from_millis(100))
    }

    /// Runs `unit` while holding the journal (the switch).
    async fn run_unit(
        &self,
        unit: Unit,
        plan: &Recovery,
        journal: &mut Journal,
        progress: &mut Progress,
    ) -> Result<()> {
        let sent = self.send_unit(&unit, plan).await;
        self.after_unit(sent, unit, plan, journal, progress).await
    }

    /// Records a sent unit as applied, or, when its batch found the replay marker gone
    /// (`REPLAYLOST`) while the server is still the planned one (the marker expired while
    /// the recovery stalled), records that the next batch cannot ask for it.
    async fn after_unit(
        &self,
        sent: Result<()>,
        unit: Unit,
        plan: &Recovery,
        journal: &mut Journal,
        progress: &mut Progress,
    ) -> Result<()> {
        match sent {
            Ok(()) => {
                self.unit_applied(journal, plan, unit, progress);
                Ok(())
            }
            Err(StorageError::Command(e)) if e.to_string().contains("REPLAYLOST") => {
                // Redis restarted (the connection moved to the new process), or the marker
                // expired.
                if self.redis.run_id().await? == plan.run_id {
                    journal.marker_expired(&plan.run_id);
                }
                Err(StorageError::Command(e))
            }
            Err(e) => Err(e),
        }
    }

    /// Records `unit` as applied into `plan`'s server (in the journal, and in its file).
    fn unit_applied(
        &self,
        journal: &mut Journal,
        plan: &Recovery,
        unit: Unit,
        progress: &mut Progress,
    ) {
        match unit {
            Unit::Bases(bases) => {
                journal.bases_merged(&plan.run_id, bases.len());
                let merged = journal.merged_count(&plan.run_id);
                self.with_file(|f| f.merged(&plan.run_id, merged));
            }
            Unit::Batch {
                covers,
                sent,
                last_seq,
                slots,
                ..
            } => {
                journal.batch_applied(&plan.run_id, covers);
                journal.slots_applied(&plan.run_id, &slots);
                self.with_file(|f| f.replayed(&plan.run_id, last_seq));
                progress.advance(sent, journal.entries.len());
            }
        }
    }

    /// Sends one unit to Redis.
    async fn send_unit(&self, unit: &Unit, plan: &Recovery) -> Result<()> {
        match unit {
            Unit::Bases(bases) => self.merge_bases(bases, &plan.run_id).await,
            Unit::Batch {
                invocations,
                unroutable,
                ..
            } => {
                // On a cluster the slots' calls run one after the other: a failure stops
                // the unit, and its retry skips the slots already applied (their markers).
                let mut errors = *unroutable;
                for invocation in invocations {
                    if let Value::Int(n) = self.redis.invoke(invocation).await? {
                        errors += u64::try_from(n).unwrap_or(0);
                    }
                }
                if errors > 0 {
                    self.counters
                        .replay_errors
                        .fetch_add(errors, Ordering::Relaxed);
                    metrics::counter!(telemetry::REPLAY_ERRORS).increment(errors);
                    tracing::warn!(errors, "journal commands failed on redis during replay");
                }
                Ok(())
            }
        }
    }

    /// Restores the keys memory holds that this instance's outage writes did not touch
    /// (what it knew before the outage, as far as memory mirrored it), by the same merge
    /// rule as the captured bases: where Redis lacks them, or under keys that other
    /// instances' outage writes re-created. Each key is read under the journal's lock (so
    /// no outage write slips between "untouched" and the value read) and merged without it.
    async fn restore_untouched(&self, run_id: &str) -> Result<()> {
        for key in self.memory.keys(b"*").await? {
            let base = {
                let journal = self.journal.lock().await;
                if journal.touched.contains(&key[..]) {
                    continue;
                }
                snapshot(&self.memory, &key).await?
            };
            if let Some(base) = base {
                self.merge_bases(std::slice::from_ref(&base), run_id)
                    .await?;
            }
        }
        Ok(())
    }

    /// Merges every captured pre-outage value into a restarted Redis
    /// ([`scripts::BASE_MERGE`]: once per key and restart, whichever instance comes first).
    /// On a cluster the key's markers are hash-tagged into its slot ([`slots`]).
    async fn merge_bases(&self, bases: &[Base], run_id: &str) -> Result<()> {
        let cluster = self.redis.is_cluster();
        let fresh = fresh_prefix(run_id);
        let marker_id = slots::marker_id(run_id);
        for base in bases {
            if base.expires_at != 0 && base.expires_at <= unix_millis_now() {
                continue;
            }
            let (marker, fresh_marker) = if cluster {
                (
                    slots::base_marker(&marker_id, &base.key),
                    slots::fresh_marker(&marker_id, &base.key),
                )
            } else {
                let mut fresh_marker = fresh.clone().into_bytes();
                fresh_marker.extend_from_slice(&base.key);
                (base_marker(run_id, &base.key), fresh_marker)
            };
            let mut invocation = if cluster {
                scripts::BASE_MERGE_CLUSTER.prepare_invoke()
            } else {
                scripts::BASE_MERGE.prepare_invoke()
            };
            invocation
                .key(base.key.as_slice())
                .key(marker)
                .key(fresh_marker)
                .arg(run_id)
                .arg(base.kind)
                .arg(base.expires_at);
            for p in &base.payload {
                invocation.arg(p.as_slice());
            }
            self.redis.invoke(&invocation).await?;
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
        let pairs = matches!(base.kind, "hash" | "zset");
        let chunk = if pairs {
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
        if matches!(self.redis.invoke(&invocation).await?, Value::Int(1)) {
            for rest in chunks {
                let command = payload_command(base.kind, base.key.clone(), rest);
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

/// How far a replay has come, for its progress lines.
struct Progress {
    done: usize,
    reported: std::time::Instant,
}

impl Progress {
    fn new() -> Self {
        Self {
            done: 0,
            reported: std::time::Instant::now(),
        }
    }

    fn advance(&mut self, entries: usize, journal_len: usize) {
        self.done += entries;
        telemetry::replay_progress(entries, journal_len.saturating_sub(self.done));
        if self.reported.elapsed() >= REPLAY_PROGRESS_EVERY {
            tracing::info!(
                done = self.done,
                journal = journal_len,
                "replaying the outage journal into redis (memory serves meanwhile)"
            );
            self.reported = std::time::Instant::now();
        }
    }
}

/// The next unit of a replay into `plan`'s server: bases not yet merged first (a restarted
/// server: a key's base goes under its writes), then, with `batches`, the next batch (on a
/// `cluster`, cut per slot: [`cluster_batch`]).
fn next_unit(
    journal: &Journal,
    plan: &Recovery,
    owner: &str,
    batches: bool,
    cluster: bool,
) -> Option<Unit> {
    if plan.restarted {
        let bases = journal.unmerged_bases(&plan.run_id);
        if !bases.is_empty() {
            return Some(Unit::Bases(bases[..bases.len().min(MERGE_BATCH)].to_vec()));
        }
    }
    if !batches {
        return None;
    }
    let batch = journal.next_batch(&plan.run_id, REPLAY_BATCH)?;
    let owner = journal.owner.as_deref().unwrap_or(owner);
    if cluster {
        return Some(cluster_batch(journal, plan, owner, &batch));
    }
    let fresh = if plan.restarted {
        fresh_prefix(&plan.run_id)
    } else {
        String::new()
    };
    let mut invocation = scripts::REPLAY.prepare_invoke();
    invocation.key(replay_marker(owner));
    let mut keys = HashSet::new();
    for entry in &batch.entries {
        for key in entry.command.keys() {
            if keys.insert(key) {
                invocation.key(key);
            }
        }
    }
    invocation.arg(plan.run_id.as_str());
    invocation.arg(fresh.as_str());
    invocation.arg(batch.expect);
    invocation.arg(batch.last_seq);
    invocation.arg(batch.entries.len());
    for entry in &batch.entries {
        let args = entry.command.to_args();
        invocation.arg(entry.seq);
        invocation.arg(args.len());
        for a in &args {
            invocation.arg(a.as_slice());
        }
    }
    Some(Unit::Batch {
        invocations: vec![invocation],
        covers: batch.covers,
        sent: batch.entries.len(),
        last_seq: batch.last_seq,
        slots: Vec::new(),
        unroutable: 0,
    })
}

/// `batch` as one [`scripts::REPLAY_CLUSTER`] call per hash slot: each call carries that
/// slot's entries in journal order (multi-key `DEL`/`MSET`/… cut per slot), the slot's own
/// replay marker of `owner` (first key: the call is routed to the slot's master), what that
/// marker must hold ([`Journal::slot_expect`]) and, on a restarted cluster, the slot's
/// fresh-key prefix. The slots are independent: a key's entries are all in its slot.
fn cluster_batch(journal: &Journal, plan: &Recovery, owner: &str, batch: &Batch<'_>) -> Unit {
    let marker_id = slots::marker_id(&plan.run_id);
    let groups = slots::group_batch(batch.entries.iter().map(|e| (e.seq, &e.command)));
    let mut invocations = Vec::with_capacity(groups.len());
    let mut applied = Vec::with_capacity(groups.len());
    let mut unroutable = 0;
    for (slot, entries) in groups {
        let Some(slot) = slot else {
            unroutable += entries.len() as u64;
            tracing::error!(
                entries = entries.len(),
                "journal writes without a key cannot be replayed into a redis cluster"
            );
            continue;
        };
        let last_seq = entries.last().map_or(batch.last_seq, |(seq, _)| *seq);
        let mut invocation = scripts::REPLAY_CLUSTER.prepare_invoke();
        invocation.key(slots::replay_marker(slot, owner));
        let mut keys = HashSet::new();
        for (_, command) in &entries {
            for key in command.keys() {
                if keys.insert(key.to_vec()) {
                    invocation.key(key);
                }
            }
        }
        let fresh = if plan.restarted {
            slots::fresh_prefix(slot, &marker_id)
        } else {
            String::new()
        };
        invocation
            .arg(plan.run_id.as_str())
            .arg(fresh)
            .arg(journal.slot_expect(&plan.run_id, slot))
            .arg(last_seq)
            .arg(entries.len());
        for (seq, command) in &entries {
            let args = command.to_args();
            invocation.arg(*seq).arg(args.len());
            for a in &args {
                invocation.arg(a.as_slice());
            }
        }
        invocations.push(invocation);
        applied.push((slot, last_seq));
    }
    Unit::Batch {
        invocations,
        covers: batch.covers,
        sent: batch.entries.len(),
        last_seq: batch.last_seq,
        slots: applied,
        unroutable,
    }
}

/// Follows the Redis health checks: a failed PING switches to memory even when no call has
/// failed yet (detection within the health-check interval), a successful one wakes recovery.
pub(super) async fn watch_health(weak: Weak<Inner>, mut events: broadcast::Receiver<StorageEvent>) {
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
            StorageEvent::Down { error, .. } => {
                // On a cluster a call that met one master down reports Redis down too;
                // only no master answering is an outage (see `shards`).
                if inner.on_redis() && inner.redis.cluster_answers().await {
                    continue;
                }
                let after = inner.machine_do(|m| m.on_health(HealthCheck::Failed));
                if after == AfterHealth::FailedOver {
                    inner.announce_failover(&StorageError::Unavailable(error));
                }
            }
            StorageEvent::Up { .. } => {
                let after = inner.machine_do(|m| m.on_health(HealthCheck::Ok));
                if after == AfterHealth::WakeRecovery {
                    inner.wake_recovery.notify_one();
                }
            }
            _ => {}
        }
    }
}

/// While serving memory, tries Redis with backoff and recovers when it answers.
pub(super) async fn recover_loop(weak: Weak<Inner>, interval: Duration) {
    let base = interval.clamp(Duration::from_millis(10), Duration::from_secs(1));
    let mut delay = base;
    loop {
        let wake = {
            let Some(inner) = weak.upgrade() else { return };
            if inner.closed.load(Ordering::Acquire) {
                return;
            }
            if inner.on_redis() {
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
