//! The failover's decisions as a sans-IO state machine.
//!
//! Like the core engine, the machine never touches a socket, a clock or a task: the tokio
//! driver ([`FallbackStorage`](super::FallbackStorage)) tells it what happened and asks it
//! what to do; the deterministic simulation (`fallback/simulation/`, tests only) drives the same
//! machine against a model Redis under thousands of seeded fault schedules.
//!
//! # States
//!
//! * [`Serving::Redis`]: every call goes to Redis; writes that succeed are mirrored into
//!   memory ([`mirror_form`](hedgestore_core::forms::mirror_form)).
//! * [`Serving::Memory`]: the outage. Calls run on memory; every write is admitted by the
//!   journal's bound and journaled ([`Journal`](super::journal::Journal)).
//! * [`Serving::Recovering`]: Redis answered a ping again; the driver runs the
//!   [`Recovery`] plan in the background while memory keeps serving and journaling (new
//!   writes join the journal's tail); it switches back once the journal is drained, holding
//!   the journal only for the last batch.
//!
//! # Events and transitions
//!
//! | state        | event                                            | next state   | action asked of the driver |
//! |--------------|--------------------------------------------------|--------------|----------------------------|
//! | (start)      | [`Machine::started`] with a run id               | `Redis`      | remember the run id |
//! | (start)      | [`Machine::started`] without (Redis silent)      | `Memory`     | start the recovery loop |
//! | `Redis`      | [`RedisOutcome::Ok`]                             | `Redis`      | [`AfterRedis::Answer`], mirror it |
//! | `Redis`      | [`RedisOutcome::CommandError`]                   | `Redis`      | answer the error (an answer, not a failure) |
//! | `Redis`      | [`RedisOutcome::NoAnswer`]                       | `Redis`      | answer `Timeout`/`OutcomeUnknown`; the health check decides |
//! | `Redis`      | [`RedisOutcome::Unreachable`], nothing sent, or an idempotent write | `Memory` | [`AfterRedis::ServeFromMemory`], journaled |
//! | `Redis`      | [`RedisOutcome::Unreachable`], another write sent | `Memory`    | [`AfterRedis::OutcomeUnknown`]: the caller is told, nothing journaled |
//! | `Redis`      | [`HealthCheck::Failed`]                          | `Memory`     | announce the failover |
//! | `Memory`     | [`HealthCheck::Ok`]                              | `Memory`     | wake the recovery loop |
//! | `Memory`     | [`Machine::begin_recovery`] (Redis answered)     | `Recovering` | run the [`Recovery`] steps |
//! | `Recovering` | [`Machine::recovery_failed`] (a step failed)     | `Memory`     | retry later with backoff (replayed batches stay applied: markers) |
//! | `Recovering` | [`Machine::recovery_done`], same run id          | `Redis`      | switch back, announce it |
//! | `Recovering` | [`Machine::recovery_done`], another run id       | `Memory`     | start over: Redis restarted during the recovery |
//! | `Recovering` | [`Machine::fail_over`] / [`HealthCheck::Failed`] | `Recovering` | nothing: the recovery's own Redis calls fail if Redis is gone |
//!
//! # Recovery plans
//!
//! [`Machine::begin_recovery`] compares the run id Redis answers with the one it last
//! served from:
//! * same server: [`Step::Replay`];
//! * restarted (new run id): [`Step::RestoreUntouched`], [`Step::MergeBases`], then
//!   [`Step::Replay`] (which merges the bases of keys first written during the recovery
//!   before the batch that writes them);
//! * journal dropped (overflow policy `DropJournal`): [`Step::WriteBack`] of memory.
//!
//! Every plan ends with [`Step::RestoreSubscriptions`]. A replay runs batch after batch
//! ([`Journal::next_batch`](super::journal::Journal::next_batch)); the instance's marker in
//! Redis holds the last journal sequence number applied, so a batch whose reply was lost is
//! not applied twice when the recovery is retried. Replayed entries stay in the journal
//! until [`Machine::recovery_done`] confirms the server is still the planned one: a server
//! that restarted in the meantime gets them again.
//!
//! # Writes in flight
//!
//! A write that was sent to Redis when the connection failed may or may not have been
//! applied: Redis may have received it, or the bytes may have been lost (a partition; Redis
//! closing the connection it never heard from). It is never *assumed* applied. If its journal
//! form is idempotent (`SET`, `HSET`, `DEL`, `SADD`, absolute expiry …: the table's
//! `IDEMPOTENT` flag), it is served from memory and journaled like any outage write: its
//! replay is harmless if Redis did apply it. Otherwise (`INCR`, `RPUSH`, `APPEND` …) its
//! caller gets [`AfterRedis::OutcomeUnknown`] (`StorageError::OutcomeUnknown`), exactly like
//! a write that got no answer in time, and nothing is journaled. The next call is served
//! from memory.
//!
//! # Proof
//!
//! The simulation found three bugs in earlier versions of these rules, each kept as a
//! regression seed: replayed batches that left the journal before the switch back were lost
//! when Redis restarted before it; scripts that reached a restarted server through a
//! silently re-established connection wrote into it under the old plan (now `WRONGSERVER`);
//! and switching back did not check the run id again.

/// Which backend serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Serving {
    /// Redis serves; memory is the warm mirror.
    Redis,
    /// The outage: memory serves and writes are journaled.
    Memory,
    /// Redis is back and the journal is being replayed; memory still serves reads.
    Recovering,
}

/// How one call to Redis ended, as the driver classified it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RedisOutcome {
    /// Redis answered.
    Ok,
    /// Redis answered with an error (`WRONGTYPE` …): an answer, not a failure.
    CommandError,
    /// Redis is unreachable (refused, reset). `maybe_applied`: the command was sent, so
    /// Redis may have applied it.
    Unreachable {
        /// The command left this process before the connection failed.
        maybe_applied: bool,
    },
    /// No answer within the response timeout: slow or hung, not (yet) an outage.
    NoAnswer,
}

/// What the driver does with a call after Redis's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterRedis {
    /// Give Redis's answer (or error) to the caller; `mirror`: copy the write into memory.
    Answer {
        /// The write succeeded on Redis: mirror it.
        mirror: bool,
    },
    /// Run the call on memory and journal it. `switched`: this call caused the failover
    /// (announce it).
    ServeFromMemory {
        /// This outcome moved the machine from `Redis` to `Memory`.
        switched: bool,
    },
    /// A write was sent and then the connection failed: answer `OutcomeUnknown` (it may
    /// have been applied), journal nothing. `switched`: this call caused the failover.
    OutcomeUnknown {
        /// This outcome moved the machine from `Redis` to `Memory`.
        switched: bool,
    },
}

/// A health check's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HealthCheck {
    /// PING answered.
    Ok,
    /// PING unanswered within `health_check_timeout`, or the connection is gone.
    Failed,
}

/// What the driver does after a health check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterHealth {
    /// Nothing changes.
    Nothing,
    /// The machine failed over now: announce it and wake the recovery loop.
    FailedOver,
    /// Redis answers while memory serves: wake the recovery loop.
    WakeRecovery,
}

/// One step of a recovery, run by the driver in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// The journal was dropped: write every key memory holds back (outage keys replace
    /// Redis's, others only where Redis lacks them; keys deleted in the outage are deleted).
    WriteBack,
    /// Merge what memory holds for keys the outage did not write, where Redis lacks them
    /// (`scripts::BASE_MERGE`).
    RestoreUntouched,
    /// Merge the captured pre-outage values of the keys the outage wrote.
    MergeBases,
    /// Replay the journal batch by batch, each at most once (on a restarted server, keys the
    /// replay creates are marked fresh for the merge, and bases captured since the merge
    /// step are merged before the batch that needs them).
    Replay,
    /// Confirm pending unsubscriptions and restore the Redis side of subscriptions.
    RestoreSubscriptions,
}

/// The plan of one recovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recovery {
    /// The run id Redis answered with.
    pub(crate) run_id: String,
    /// Redis restarted since this instance last served from it.
    pub(crate) restarted: bool,
    /// The steps, in order.
    pub(crate) steps: Vec<Step>,
}

/// The failover state machine (see the module docs).
#[derive(Debug)]
pub(crate) struct Machine {
    serving: Serving,
    /// The run id of the Redis server this instance last served from.
    known_run_id: Option<String>,
    failovers: u64,
    recoveries: u64,
}

impl Machine {
    /// A machine that serves memory until [`Machine::started`] says Redis answered.
    pub(crate) fn new() -> Self {
        Self {
            serving: Serving::Memory,
            known_run_id: None,
            failovers: 0,
            recoveries: 0,
        }
    }

    /// Redis answered at start with `run_id` (`None`: it did not).
    pub(crate) fn started(&mut self, run_id: Option<String>) {
        if let Some(id) = run_id {
            self.known_run_id = Some(id);
            self.serving = Serving::Redis;
        }
    }

    /// An earlier run of this instance left an outage journal (see `persist`): memory
    /// serves until it is replayed; `server` is the Redis that run last served from (a
    /// different run id at recovery means Redis restarted since).
    pub(crate) fn resume(&mut self, server: Option<String>) {
        self.known_run_id = server;
        self.serving = Serving::Memory;
    }

    /// The run id of the Redis server this instance last served from.
    pub(crate) fn known_run_id(&self) -> Option<&str> {
        self.known_run_id.as_deref()
    }

    /// Which backend serves now.
    pub(crate) fn serving(&self) -> Serving {
        self.serving
    }

    /// Calls go to Redis.
    pub(crate) fn on_redis(&self) -> bool {
        self.serving == Serving::Redis
    }

    /// Failovers so far.
    pub(crate) fn failovers(&self) -> u64 {
        self.failovers
    }

    /// Recoveries so far.
    pub(crate) fn recoveries(&self) -> u64 {
        self.recoveries
    }

    /// Redis is unreachable: switch to memory. Returns whether this moved the machine
    /// (only from `Redis`; a recovery in progress finds out by its own calls).
    pub(crate) fn fail_over(&mut self) -> bool {
        if self.serving == Serving::Redis {
            self.serving = Serving::Memory;
            self.failovers += 1;
            true
        } else {
            false
        }
    }

    /// The outcomes that change no state (Redis answered, with a reply or an error, or was
    /// only slow): what happens to the call, without the machine. For
    /// [`RedisOutcome::Unreachable`] it answers `Err(maybe_applied)`: that one
    /// [`Machine::on_redis_outcome`] decides. The driver's fast path: no lock for a call
    /// Redis answered.
    pub(crate) fn answered(outcome: RedisOutcome, is_write: bool) -> Result<AfterRedis, bool> {
        match outcome {
            RedisOutcome::Ok => Ok(AfterRedis::Answer { mirror: is_write }),
            RedisOutcome::CommandError | RedisOutcome::NoAnswer => {
                Ok(AfterRedis::Answer { mirror: false })
            }
            RedisOutcome::Unreachable { maybe_applied } => Err(maybe_applied),
        }
    }

    /// A call to Redis ended with `outcome`: what happens to it. `idempotent`: the write's
    /// journal form can be replayed harmlessly even if Redis applied it.
    pub(crate) fn on_redis_outcome(
        &mut self,
        outcome: RedisOutcome,
        is_write: bool,
        idempotent: bool,
    ) -> AfterRedis {
        let maybe_applied = match Self::answered(outcome, is_write) {
            Ok(after) => return after,
            Err(maybe_applied) => maybe_applied,
        };
        let switched = self.fail_over();
        if maybe_applied && is_write && !idempotent {
            AfterRedis::OutcomeUnknown { switched }
        } else {
            AfterRedis::ServeFromMemory { switched }
        }
    }

    /// A health check ended with `check`.
    pub(crate) fn on_health(&mut self, check: HealthCheck) -> AfterHealth {
        match check {
            HealthCheck::Failed if self.fail_over() => AfterHealth::FailedOver,
            HealthCheck::Ok if self.serving == Serving::Memory => AfterHealth::WakeRecovery,
            _ => AfterHealth::Nothing,
        }
    }

    /// Redis answered with `run_id` while memory serves: the recovery plan, or `None` when
    /// there is nothing to recover from (Redis serves, or a recovery runs already).
    /// `journal_dropped`: the journal overflowed under `DropJournal`.
    pub(crate) fn begin_recovery(
        &mut self,
        run_id: String,
        journal_dropped: bool,
    ) -> Option<Recovery> {
        if self.serving != Serving::Memory {
            return None;
        }
        self.serving = Serving::Recovering;
        let restarted = self.known_run_id.as_ref().is_some_and(|k| *k != run_id);
        let mut steps = if journal_dropped {
            vec![Step::WriteBack]
        } else if restarted {
            vec![Step::RestoreUntouched, Step::MergeBases, Step::Replay]
        } else {
            vec![Step::Replay]
        };
        steps.push(Step::RestoreSubscriptions);
        Some(Recovery {
            run_id,
            restarted,
            steps,
        })
    }

    /// A recovery step failed: memory serves on, the recovery is retried later (batches
    /// already replayed left the journal and carry markers).
    pub(crate) fn recovery_failed(&mut self) {
        if self.serving == Serving::Recovering {
            self.serving = Serving::Memory;
        }
    }

    /// Every step of `recovery` succeeded and Redis now answers with `run_id`. If that is
    /// still the server the plan was made for, Redis serves again (the driver clears the
    /// journal and announces the switch) and this answers `true`; if Redis restarted in the
    /// meantime, what was replayed may be gone: the recovery failed and starts over.
    pub(crate) fn recovery_done(&mut self, recovery: Recovery, run_id: &str) -> bool {
        if self.serving != Serving::Recovering || recovery.run_id != run_id {
            self.recovery_failed();
            return false;
        }
        self.known_run_id = Some(recovery.run_id);
        self.recoveries += 1;
        self.serving = Serving::Redis;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_redis() -> Machine {
        let mut m = Machine::new();
        m.started(Some("a".into()));
        m
    }

    #[test]
    fn a_slow_command_changes_nothing() {
        let mut m = on_redis();
        assert_eq!(
            m.on_redis_outcome(RedisOutcome::NoAnswer, true, false),
            AfterRedis::Answer { mirror: false }
        );
        assert!(m.on_redis());
    }

    #[test]
    fn an_unreachable_redis_fails_over_once_and_sent_writes_have_an_unknown_outcome() {
        let mut m = on_redis();
        let sent = RedisOutcome::Unreachable {
            maybe_applied: true,
        };
        assert_eq!(
            m.on_redis_outcome(sent, true, false),
            AfterRedis::OutcomeUnknown { switched: true }
        );
        assert_eq!(
            m.on_redis_outcome(sent, true, true),
            AfterRedis::ServeFromMemory { switched: false },
            "an idempotent write is journaled: its replay is harmless"
        );
        assert_eq!(
            m.on_redis_outcome(sent, false, false),
            AfterRedis::ServeFromMemory { switched: false }
        );
        assert_eq!(
            m.on_redis_outcome(
                RedisOutcome::Unreachable {
                    maybe_applied: false
                },
                true,
                false
            ),
            AfterRedis::ServeFromMemory { switched: false }
        );
        assert_eq!(m.failovers(), 1);
    }

    #[test]
    fn the_same_server_replays_and_a_restarted_one_merges_first() {
        let mut m = on_redis();
        m.fail_over();
        let same = m.begin_recovery("a".into(), false).expect("memory serves");
        assert_eq!(same.steps, [Step::Replay, Step::RestoreSubscriptions]);
        assert!(
            m.begin_recovery("a".into(), false).is_none(),
            "one at a time"
        );
        m.recovery_failed();
        let restarted = m.begin_recovery("b".into(), false).expect("memory serves");
        assert!(restarted.restarted);
        assert_eq!(
            restarted.steps[..2],
            [Step::RestoreUntouched, Step::MergeBases]
        );
        assert!(
            !m.recovery_done(restarted.clone(), "c"),
            "restarted again meanwhile"
        );
        let again = m.begin_recovery("c".into(), false).expect("memory serves");
        assert!(m.recovery_done(again, "c"));
        assert!(m.on_redis());
        assert_eq!(m.on_health(HealthCheck::Failed), AfterHealth::FailedOver);
        assert_eq!(m.on_health(HealthCheck::Ok), AfterHealth::WakeRecovery);
    }
}
