//! Recovery: the steps of a [`Recovery`] plan run against Redis (replay, merge, write-back),
//! and the two background tasks that feed the machine its events (health checks, the
//! recovery loop's pings).

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Weak;
use std::time::{Duration, SystemTime};

use hedgestore_core::{Command, Reply, ZAddOptions, ZRangeBy};
use redis::Value;
use tokio::sync::broadcast;

use super::journal::{base_marker, fresh_prefix, replay_marker, Base, Journal};
use super::machine::{AfterHealth, HealthCheck, Recovery, Step};
use super::{lock, unix_millis_now, Inner};
use crate::error::{Result, StorageError};
use crate::events::StorageEvent;
use crate::memory::MemoryStorage;
use crate::redis::scripts;
use crate::telemetry;
use crate::traits::{BackendKind, BaseStorage, HashStorage, ListStorage, PubSubStorage};

/// Journal batches replayed per script call.
const REPLAY_BATCH: usize = 200;
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

impl Inner {
    /// Recovers to Redis: asks the machine for the plan ([`Machine::begin_recovery`]), runs its
    /// steps, then switches to Redis. Holds the journal lock throughout, so memory-mode writes
    /// wait (none is lost or reordered).
    pub(super) async fn recover(&self) -> Result<()> {
        let _exclusive = self.gate.write().await;
        let mut journal = self.journal.lock().await;
        let started = std::time::Instant::now();
        let entries = journal.entries.len();
        let errors_before = self.counters.replay_errors.load(Ordering::Relaxed);
        let run_id = self.redis.run_id().await?;
        let Some(plan) = lock(&self.machine).begin_recovery(run_id, journal.dropped) else {
            return Ok(());
        };
        for step in &plan.steps {
            if let Err(e) = self.run_step(*step, &plan, &mut journal).await {
                lock(&self.machine).recovery_failed();
                return Err(e);
            }
        }
        // The server may have restarted after the last step (the connection moves to the new
        // process silently): then what was replayed is gone and the recovery starts over.
        let run_id = match self.redis.run_id().await {
            Ok(id) => id,
            Err(e) => {
                lock(&self.machine).recovery_failed();
                return Err(e);
            }
        };
        let restarted = plan.restarted;
        if !lock(&self.machine).recovery_done(plan, &run_id) {
            return Err(StorageError::Unavailable(
                "redis restarted during recovery; recovering again".into(),
            ));
        }
        journal.clear();
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
            replayed_entries = entries,
            replay_errors = self.counters.replay_errors.load(Ordering::Relaxed) - errors_before,
            recovery_ms = started.elapsed().as_millis() as u64,
            "redis is back: serving from redis"
        );
        let _ = self.events.send(StorageEvent::BackendChanged {
            from: BackendKind::Memory,
            to: BackendKind::Redis,
        });
        Ok(())
    }

    /// Runs one step of a recovery plan ([`Step`]).
    async fn run_step(&self, step: Step, plan: &Recovery, journal: &mut Journal) -> Result<()> {
        match step {
            // No journal to replay: memory's values are the best knowledge left.
            Step::WriteBack => self.write_back(&journal.touched).await,
            // Redis lost some or all of what it held: what this instance knew from before the
            // outage goes back only where Redis lacks it (or under keys that outage writes
            // re-created).
            Step::RestoreUntouched => self.restore_untouched(&journal.touched, &plan.run_id).await,
            Step::MergeBases => self.merge_bases(&journal.bases, &plan.run_id).await,
            Step::Replay { include_in_flight } => {
                self.replay(journal, &plan.run_id, include_in_flight, plan.restarted)
                    .await
            }
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

    /// Replays the journal into the server `run_id` in batches, each applied at most once
    /// (see [`scripts::REPLAY`]). `include_in_flight`: writes that were in flight at the
    /// failover are replayed too (Redis restarted; otherwise Redis applied them itself).
    /// `restarted`: keys the replay creates are marked fresh for [`Inner::merge_bases`].
    async fn replay(
        &self,
        journal: &mut Journal,
        run_id: &str,
        include_in_flight: bool,
        restarted: bool,
    ) -> Result<()> {
        let fresh = if restarted {
            fresh_prefix(run_id)
        } else {
            String::new()
        };
        let total = journal.entries.len();
        let mut done = 0usize;
        let mut reported = std::time::Instant::now();
        while let Some(batch) = journal.next_batch(run_id, REPLAY_BATCH, include_in_flight) {
            if reported.elapsed() >= REPLAY_PROGRESS_EVERY {
                tracing::info!(done, total, "replaying the outage journal into redis");
                reported = std::time::Instant::now();
            }
            done += batch.entries.len();
            let mut invocation = scripts::REPLAY.prepare_invoke();
            invocation.key(replay_marker(self.redis.owner_id()));
            let mut keys = HashSet::new();
            for entry in &batch.entries {
                for key in entry.command.keys() {
                    if keys.insert(key) {
                        invocation.key(key);
                    }
                }
            }
            invocation.arg(run_id);
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
            let reply = match self.redis.invoke(invocation).await {
                Err(StorageError::Command(e)) if e.to_string().contains("REPLAYLOST") => {
                    // The marker is gone: Redis restarted (the connection moved to the new
                    // process), or the marker expired while this recovery stalled.
                    if self.redis.run_id().await? == run_id {
                        journal.marker_expired(run_id);
                    }
                    return Err(StorageError::Command(e));
                }
                other => other?,
            };
            if let Value::Int(errors) = reply {
                if errors > 0 {
                    self.counters
                        .replay_errors
                        .fetch_add(errors as u64, Ordering::Relaxed);
                    metrics::counter!(telemetry::REPLAY_ERRORS).increment(errors as u64);
                    tracing::warn!(errors, "journal commands failed on redis during replay");
                }
            }
            let (covers, sent) = (batch.covers, batch.entries.len());
            journal.batch_applied(run_id, covers);
            telemetry::replay_progress(sent, total.saturating_sub(done));
        }
        telemetry::replay_progress(0, 0);
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
            let marker = base_marker(run_id, &base.key);
            let mut fresh_marker = fresh.clone().into_bytes();
            fresh_marker.extend_from_slice(&base.key);
            let mut invocation = scripts::BASE_MERGE.prepare_invoke();
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
        if matches!(self.redis.invoke(invocation).await?, Value::Int(1)) {
            for rest in chunks {
                let key = base.key.clone();
                let command = match base.kind {
                    "hash" => Command::HSet {
                        key,
                        pairs: rest
                            .chunks(2)
                            .map(|p| (p[0].clone(), p[1].clone()))
                            .collect(),
                    },
                    "set" => Command::SAdd {
                        key,
                        members: rest.to_vec(),
                    },
                    "zset" => Command::ZAdd {
                        key,
                        options: ZAddOptions::default(),
                        pairs: rest
                            .chunks(2)
                            .filter_map(|p| {
                                let score = std::str::from_utf8(&p[0]).ok()?.parse().ok()?;
                                Some((score, p[1].clone()))
                            })
                            .collect(),
                    },
                    _ => Command::RPush {
                        key,
                        values: rest.to_vec(),
                    },
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
                let after = lock(&inner.machine).on_health(HealthCheck::Failed);
                if after == AfterHealth::FailedOver {
                    inner.announce_failover(&StorageError::Unavailable(error));
                }
            }
            StorageEvent::Up { .. } => {
                let after = lock(&inner.machine).on_health(HealthCheck::Ok);
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
