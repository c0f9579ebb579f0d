//! Deterministic simulation of the failover [machine](super::machine).
//!
//! One to three simulated instances, each with its own [`Machine`], [`Journal`] and memory
//! engine, share a model Redis (another core [`Engine`], with a run id, kills with and
//! without a snapshot, hangs, partitions, flapping and lost replies). A seeded xorshift picks
//! a schedule of commands (`INCR`, `RPUSH`, `SET` with and without `PX`, `HSET`, `DEL`),
//! health checks, recovery steps, clock advances and faults; the driver below does for each
//! instance what the tokio driver does for `FallbackStorage` (same machine, same journal,
//! same batch and marker rules, the Lua scripts ported to the model). After every schedule
//! the network heals, every instance recovers, and the invariants are checked:
//!
//! * no acknowledged write lost: a counter holds at least every increment acknowledged from
//!   memory plus every one Redis acknowledged and still persists; every such `RPUSH`
//!   element is in its list;
//! * none applied twice: a counter holds at most every increment acknowledged or of unknown
//!   outcome; no list element appears twice; each instance's elements keep their order;
//! * no TTL extended, no expired key revived: a string key's expiry in Redis is never later
//!   than the one its write asked for; every value Redis holds was written;
//! * no `INCR` reply handed out twice within an instance.
//!
//! `HEDGESTORE_SIM_SCHEDULES` sets the number of schedules (default 5,000),
//! `HEDGESTORE_SIM_SEED` replays one seed; a failure prints its seed.
//!
//! Longer than 600 lines on purpose: the model Redis, the simulated instances and the checker
//! form one deterministic world that reads top to bottom.

mod model;
mod oracle;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use hedgestore_core::{Command, Engine, ManualClock, Reply, SetOptions};

use super::journal::{fresh_prefix, replay_marker, Admission, Journal};
use super::machine::{AfterRedis, HealthCheck, Machine, Recovery, RedisOutcome, Serving, Step};
use crate::config::JournalOverflow;
use hedgestore_core::forms::{journal_form, mirror_form};
use model::{
    base_merge_script, dump_key, now, replay_script, sorted_keys, Call, Db, ModelRedis, Net, Rng,
};
use oracle::{Ack, Oracle};

/// Unix time the simulated clock starts at.
const START: u64 = 1_700_000_000_000;
/// Journal entries per replay batch (small, so recoveries run many batches).
const BATCH: usize = 3;

struct Instance {
    id: usize,
    owner: String,
    clock: Arc<ManualClock>,
    machine: Machine,
    journal: Journal,
    memory: Db,
    recovery: Option<(Recovery, usize)>,
    /// The Redis connection's generation (see `ModelRedis::connections`).
    conn: u64,
    /// Journal sequence number → write id.
    ids: BTreeMap<u64, u64>,
    incr_replies: BTreeMap<Vec<u8>, BTreeSet<i64>>,
}

struct Sim {
    rng: Rng,
    clock: Arc<ManualClock>,
    redis: ModelRedis,
    instances: Vec<Instance>,
    oracle: Oracle,
    next_id: u64,
    /// Test hook: switch back without replaying what joined the journal during the
    /// recovery's background phase (must be caught).
    inject_skip_tail: bool,
    /// Print every event (`HEDGESTORE_SIM_TRACE`, with `HEDGESTORE_SIM_SEED`).
    trace: bool,
}

const COUNTERS: [&[u8]; 2] = [b"c0", b"c1"];
const LISTS: [&[u8]; 2] = [b"l0", b"l1"];
const STRINGS: [&[u8]; 2] = [b"s0", b"s1"];
const HASHES: [&[u8]; 1] = [b"h0"];

impl Sim {
    fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let clock = Arc::new(ManualClock::new(START));
        let mut redis = ModelRedis::new(clock.clone());
        redis.lossy = [0, 0, 5, 20][rng.below(4) as usize];
        let n = 1 + rng.below(3) as usize;
        let instances = (0..n)
            .map(|id| {
                let mut machine = Machine::new();
                machine.started(Some(redis.run_id()));
                Instance {
                    id,
                    owner: format!("instance-{id}"),
                    clock: clock.clone(),
                    machine,
                    journal: Journal::default(),
                    memory: Engine::new(clock.clone()),
                    recovery: None,
                    conn: 0,
                    ids: BTreeMap::new(),
                    incr_replies: BTreeMap::new(),
                }
            })
            .collect();
        Self {
            rng,
            clock,
            redis,
            instances,
            oracle: Oracle::default(),
            next_id: 0,
            inject_skip_tail: false,
            trace: false,
        }
    }

    fn pick<'a>(&mut self, keys: &[&'a [u8]]) -> &'a [u8] {
        keys[self.rng.below(keys.len() as u64) as usize]
    }

    /// One random command from instance `i`, through the same decisions as the driver.
    fn command(&mut self, i: usize) {
        // While an instance recovers, its calls run on memory and join the journal (the
        // background phase of the recovery holds the journal only between units).
        let id = self.next_id;
        self.next_id += 1;
        let now = now(&self.clock);
        let command = match self.rng.below(6) {
            0 | 1 => Command::Incr {
                key: self.pick(&COUNTERS).to_vec(),
            },
            2 => Command::RPush {
                key: self.pick(&LISTS).to_vec(),
                values: vec![format!("{i}:{id}").into_bytes()],
            },
            3 => {
                let px = self.rng.chance(50).then(|| 1 + self.rng.below(300) as i64);
                let value = format!("v{id}").into_bytes();
                let key = self.pick(&STRINGS).to_vec();
                let expires = px.map_or(0, |ms| now + ms);
                self.oracle
                    .sets
                    .entry(key.clone())
                    .or_default()
                    .insert(value.clone(), expires);
                let options =
                    px.map_or_else(SetOptions::default, |ms| SetOptions::default().px(ms));
                Command::Set {
                    key,
                    value,
                    options,
                }
            }
            4 => {
                let key = self.pick(&HASHES).to_vec();
                let field = format!("f{}", self.rng.below(3)).into_bytes();
                let value = format!("v{id}").into_bytes();
                self.oracle
                    .hsets
                    .entry(key.clone())
                    .or_default()
                    .entry(field.clone())
                    .or_default()
                    .insert(value.clone());
                Command::HSet {
                    key,
                    pairs: vec![(field, value)],
                }
            }
            _ => Command::Del {
                keys: vec![if self.rng.chance(50) {
                    self.pick(&STRINGS).to_vec()
                } else {
                    self.pick(&HASHES).to_vec()
                }],
            },
        };
        let (ack, reply) = self.execute(i, command.clone(), id);
        if self.trace {
            let ack = ack.map(|a| match a {
                Ack::Redis => "redis",
                Ack::Memory => "memory",
                Ack::Unknown => "unknown",
            });
            eprintln!(
                "t={} i{i} {:?} -> {ack:?} {reply:?}",
                now - START as i64,
                command
                    .to_args()
                    .iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect::<Vec<_>>()
            );
        }
        match (&command, ack) {
            (Command::Incr { key }, Some(ack)) => {
                self.oracle
                    .incrs
                    .entry(key.clone())
                    .or_default()
                    .push((id, ack));
                if let Some(Reply::Int(v)) = reply {
                    // Redis itself hands a reply out again when it restarts without an
                    // increment it applied (acknowledged by it, or replayed from the journal;
                    // an older snapshot, no persistence): as durable as Redis's persistence,
                    // as documented.
                    let run = self.redis.run;
                    let redis_lost = self.oracle.incrs[key].iter().any(|(id, _)| {
                        self.oracle.handed.get(id).is_some_and(|r| *r != run)
                            && !self.redis.ids.contains(id)
                    });
                    let seen = self.instances[i]
                        .incr_replies
                        .entry(key.clone())
                        .or_default();
                    if !seen.insert(v) && !redis_lost && self.oracle.violation.is_none() {
                        self.oracle.violation = Some(format!(
                            "instance {i} got INCR {} = {v} twice",
                            String::from_utf8_lossy(key)
                        ));
                    }
                }
            }
            (Command::Set { value, .. }, Some(Ack::Unknown)) => {
                self.oracle.unknown_sets.insert(value.clone());
            }
            (Command::RPush { key, values }, Some(ack)) => {
                self.oracle.pushes.entry(key.clone()).or_default().push((
                    values[0].clone(),
                    i,
                    id,
                    ack,
                ));
            }
            _ => {}
        }
    }

    /// `FallbackStorage::execute`: `(how it ended, the reply)`, `None` when refused.
    fn execute(&mut self, i: usize, command: Command, id: u64) -> (Option<Ack>, Option<Reply>) {
        let inst = &mut self.instances[i];
        if !inst.machine.on_redis() {
            return inst.on_memory(command, id);
        }
        let (outcome, result) =
            match self
                .redis
                .call(&mut inst.conn, command.clone(), id, &mut self.rng)
            {
                Call::Applied(Ok(reply)) => (RedisOutcome::Ok, Some(reply)),
                Call::Applied(Err(())) => (RedisOutcome::CommandError, None),
                Call::Lost => (
                    RedisOutcome::Unreachable {
                        maybe_applied: true,
                    },
                    None,
                ),
                Call::Refused => (
                    RedisOutcome::Unreachable {
                        maybe_applied: false,
                    },
                    None,
                ),
                Call::NoAnswer => (RedisOutcome::NoAnswer, None),
            };
        let idempotent = journal_form(&command, now(&inst.clock)).0.is_idempotent();
        match inst
            .machine
            .on_redis_outcome(outcome, command.is_write(), idempotent)
        {
            AfterRedis::Answer { mirror } => {
                if let (true, Some(reply)) = (mirror, &result) {
                    for copy in mirror_form(&command, reply) {
                        let _ = inst.memory.execute(copy);
                    }
                }
                match outcome {
                    RedisOutcome::NoAnswer => (Some(Ack::Unknown), None),
                    _ if result.is_some() => {
                        self.oracle.handed.insert(id, self.redis.run);
                        (Some(Ack::Redis), result)
                    }
                    _ => (None, None),
                }
            }
            AfterRedis::ServeFromMemory { .. } => inst.on_memory(command, id),
            // Sent, then the connection failed: the caller is told the outcome is unknown.
            AfterRedis::OutcomeUnknown { .. } => (Some(Ack::Unknown), None),
        }
    }

    fn health(&mut self, i: usize) {
        let connected = self.redis.connected(&mut self.instances[i].conn);
        let check = if connected && self.redis.reachable() {
            HealthCheck::Ok
        } else {
            HealthCheck::Failed
        };
        let after = self.instances[i].machine.on_health(check);
        if self.trace && after == super::machine::AfterHealth::FailedOver {
            eprintln!("i{i} health check failed: fails over");
        }
    }

    /// The recovery loop of instance `i`: a ping, or one unit of the running plan.
    fn recovery(&mut self, i: usize) {
        let inst = &mut self.instances[i];
        match inst.machine.serving() {
            Serving::Redis => {}
            Serving::Memory => {
                self.redis.connected(&mut inst.conn);
                if self.redis.reachable() {
                    let dropped = inst.journal.dropped;
                    if let Some(plan) = inst.machine.begin_recovery(self.redis.run_id(), dropped) {
                        if self.trace {
                            eprintln!("i{i} begins recovery {plan:?}");
                        }
                        inst.recovery = Some((plan, 0));
                    }
                }
            }
            Serving::Recovering => {
                let (plan, step) = inst
                    .recovery
                    .take()
                    .expect("a recovering instance has a plan");
                if self.trace {
                    let c0 = self.redis.db.get(b"c0").ok().flatten();
                    let entries: Vec<_> = inst
                        .journal
                        .entries
                        .iter()
                        .map(|e| {
                            (
                                e.seq,
                                e.command
                                    .to_args()
                                    .iter()
                                    .map(|a| String::from_utf8_lossy(a).into_owned())
                                    .collect::<Vec<_>>()
                                    .join(" "),
                            )
                        })
                        .collect();
                    eprintln!(
                        "i{i} recovery {:?} step {:?} (c0 = {c0:?}, journal {entries:?})",
                        plan.run_id, plan.steps[step]
                    );
                }
                match self.step(i, &plan, step) {
                    Err(()) => self.instances[i].machine.recovery_failed(),
                    Ok(false) => self.instances[i].recovery = Some((plan, step)),
                    Ok(true) if step + 1 < plan.steps.len() => {
                        self.instances[i].recovery = Some((plan, step + 1));
                    }
                    Ok(true) => {
                        // The switch, under the journal's lock: what joined the journal since
                        // the background phase is replayed, then the driver asks for the run
                        // id once more (an idempotent call that reconnects silently).
                        if !self.inject_skip_tail {
                            loop {
                                match self.replay_unit(i, &plan) {
                                    Ok(true) => break,
                                    Ok(false) => {}
                                    Err(()) => {
                                        self.instances[i].machine.recovery_failed();
                                        return;
                                    }
                                }
                            }
                        }
                        let run_id = self.redis.run_id();
                        let inst = &mut self.instances[i];
                        if !self.redis.reachable() {
                            inst.machine.recovery_failed();
                        } else if inst.machine.recovery_done(plan, &run_id) {
                            // Its outage writes are Redis's now, as durable as Redis.
                            for e in &inst.journal.entries {
                                self.oracle.handed.insert(inst.ids[&e.seq], self.redis.run);
                            }
                            inst.journal.clear();
                        }
                    }
                }
            }
        }
    }

    /// Merges the next base not yet merged into `plan`'s server: `Ok(false)` when none is
    /// left.
    fn merge_next_base(&mut self, i: usize, plan: &Recovery) -> Result<bool, ()> {
        let inst = &mut self.instances[i];
        let Some(base) = inst.journal.unmerged_bases(&plan.run_id).first() else {
            return Ok(false);
        };
        if base.expires_at == 0 || base.expires_at > now(&inst.clock) {
            self.redis
                .script(&mut inst.conn, &mut self.rng, &plan.run_id, |db| {
                    base_merge_script(db, base, &plan.run_id);
                    Some(Vec::new())
                })?;
        }
        inst.journal.bases_merged(&plan.run_id, 1);
        Ok(true)
    }

    /// One unit of a replay (`recovery::next_unit`): the bases not yet merged into a
    /// restarted server, else the next batch. `Ok(true)` when nothing was left.
    fn replay_unit(&mut self, i: usize, plan: &Recovery) -> Result<bool, ()> {
        if plan.restarted && self.merge_next_base(i, plan)? {
            return Ok(false);
        }
        let inst = &mut self.instances[i];
        let redis = &mut self.redis;
        let rng = &mut self.rng;
        let Some(batch) = inst.journal.next_batch(&plan.run_id, BATCH) else {
            return Ok(true);
        };
        let marker = replay_marker(&inst.owner);
        let fresh = plan.restarted.then(|| fresh_prefix(&plan.run_id));
        let commands: Vec<(u64, Command, u64)> = batch
            .entries
            .iter()
            .map(|e| (e.seq, e.command.clone(), inst.ids[&e.seq]))
            .collect();
        let covers = batch.covers;
        let expect = (batch.expect, batch.last_seq);
        redis.script(&mut inst.conn, rng, &plan.run_id, |db| {
            replay_script(db, &marker, fresh.as_deref(), expect, &commands)
        })?;
        inst.journal.batch_applied(&plan.run_id, covers);
        Ok(false)
    }

    /// Runs (part of) step `step` of `plan`: `Ok(true)` when the step is complete.
    fn step(&mut self, i: usize, plan: &Recovery, step: usize) -> Result<bool, ()> {
        let inst = &mut self.instances[i];
        let redis = &mut self.redis;
        let rng = &mut self.rng;
        let now = now(&inst.clock);
        match plan.steps[step] {
            Step::WriteBack => unreachable!("the simulated journal never overflows"),
            Step::RestoreUntouched => {
                let keys = sorted_keys(&mut inst.memory);
                for key in keys.iter().filter(|k| !inst.journal.touched.contains(*k)) {
                    if let Some(base) = dump_key(&mut inst.memory, key, now) {
                        redis.script(&mut inst.conn, rng, &plan.run_id, |db| {
                            base_merge_script(db, &base, &plan.run_id);
                            Some(Vec::new())
                        })?;
                    }
                }
                Ok(true)
            }
            Step::MergeBases => self.merge_next_base(i, plan).map(|merged| !merged),
            Step::Replay => self.replay_unit(i, plan),
            Step::RestoreSubscriptions => redis.reachable().then_some(true).ok_or(()),
        }
    }

    fn fault(&mut self) {
        let fault = self.rng.below(9);
        if self.trace {
            let name = [
                "kill empty",
                "kill from last save",
                "kill saving",
                "bgsave",
                "hang",
                "refuse",
                "lossy",
                "start",
                "start",
            ];
            eprintln!(
                "fault: {} (net {:?}, run {})",
                name[fault as usize], self.redis.net, self.redis.run
            );
        }
        match fault {
            0..=2 => {
                // The documented limit of a restart in the middle of a recovery: entries
                // already replayed into the server are replayed again into the restarted one
                // (nothing is lost), but another instance may have seen their effect and
                // merges it as its pre-outage value.
                if self.instances.len() > 1 && self.redis.net != Net::Dead {
                    for inst in &self.instances {
                        let ids = inst.journal.entries.iter().map(|e| inst.ids[&e.seq]);
                        let replayed = ids.filter(|id| self.redis.ids.contains(id));
                        self.oracle.may_double.extend(replayed);
                    }
                }
                self.redis.kill(fault == 2, fault == 1);
            }
            3 => self.redis.saved = Some(self.redis.dump()),
            4 if self.redis.net == Net::Up => self.redis.net = Net::Hung,
            5 if self.redis.net == Net::Up => {
                self.redis.net = Net::Refusing;
                self.redis.connections += 1;
            }
            6 => self.redis.lossy = [0, 5, 20][self.rng.below(3) as usize],
            _ => self.redis.start(),
        }
    }

    /// One random schedule, healed at the end.
    fn run(&mut self, steps: usize) {
        for _ in 0..steps {
            let i = self.rng.below(self.instances.len() as u64) as usize;
            match self.rng.below(100) {
                0..=59 => self.command(i),
                60..=69 => self.health(i),
                70..=84 => self.recovery(i),
                85..=92 => self.clock.advance(1 + self.rng.below(60)),
                _ => self.fault(),
            }
            if self.oracle.violation.is_some() {
                return;
            }
        }
        self.redis.lossy = 0;
        self.redis.start();
        for _ in 0..10_000 {
            if self.instances.iter().all(|i| i.machine.on_redis()) {
                break;
            }
            for i in 0..self.instances.len() {
                self.health(i);
                self.recovery(i);
            }
        }
        assert!(
            self.instances.iter().all(|i| i.machine.on_redis()),
            "every instance recovers once Redis is healthy"
        );
    }
}

impl Instance {
    /// `Inner::on_memory`: admitted, bases captured, applied to memory, journaled.
    fn on_memory(&mut self, command: Command, id: u64) -> (Option<Ack>, Option<Reply>) {
        let now = now(&self.clock);
        let journaled = journal_form(&command, now);
        let admission = self
            .journal
            .admit(journaled.1, usize::MAX, JournalOverflow::RejectWrites);
        assert_eq!(admission, Admission::Admitted, "instance {}", self.id);
        for key in self
            .journal
            .keys_needing_base(std::slice::from_ref(&command))
        {
            if let Some(base) = dump_key(&mut self.memory, &key, now) {
                self.journal.add_base(base);
            }
        }
        let command_is_write = command.is_write();
        match self.memory.execute(command) {
            Ok(reply) => {
                if command_is_write {
                    self.journal.append(journaled);
                    let seq = self.journal.entries.back().expect("appended").seq;
                    self.ids.insert(seq, id);
                }
                (Some(Ack::Memory), Some(reply))
            }
            Err(_) => (None, None),
        }
    }
}

/// Runs schedule `seed`: `Err` with the broken invariant.
fn run_seed(seed: u64, inject: bool) -> Result<(), String> {
    let mut sim = Sim::new(seed);
    sim.inject_skip_tail = inject;
    sim.trace = std::env::var_os("HEDGESTORE_SIM_TRACE").is_some();
    let steps = 50 + sim.rng.below(250) as usize;
    sim.run(steps);
    sim.check()
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn random_fault_schedules_lose_nothing_acknowledged_and_apply_nothing_twice() {
    if let Some(seed) = env_u64("HEDGESTORE_SIM_SEED") {
        if let Err(e) = run_seed(seed, false) {
            panic!("seed {seed}: {e}");
        }
        return;
    }
    let schedules = env_u64("HEDGESTORE_SIM_SCHEDULES").unwrap_or(5_000);
    let base = env_u64("HEDGESTORE_SIM_BASE").unwrap_or(0);
    for seed in base..base + schedules {
        if let Err(e) = run_seed(seed, false) {
            panic!("seed {seed} (replay with HEDGESTORE_SIM_SEED={seed}): {e}");
        }
    }
    eprintln!(
        "{schedules} schedules from seed {base}: {} counters checked, {} of them under a \
         documented limit (no upper bound)",
        oracle::COUNTERS_CHECKED.load(std::sync::atomic::Ordering::Relaxed),
        oracle::COUNTERS_UNBOUNDED.load(std::sync::atomic::Ordering::Relaxed),
    );
}

/// Seeds that failed while the bugs the simulation found were in the machine (each fails
/// again when its fix is reverted):
/// * 593: replayed batches left the journal at once, so a recovery that failed after them
///   (Redis killed before switching back) lost them when Redis came back empty;
/// * 567: recovery scripts ran on whatever server the connection had reached; a restart in
///   the middle put batches and pre-outage values into the new server under the old plan;
/// * 16: switching back did not check that Redis was still the server the plan was made for.
const REGRESSION_SEEDS: [u64; 3] = [593, 567, 16];

#[test]
fn seeds_that_found_bugs_pass() {
    for seed in REGRESSION_SEEDS {
        if let Err(e) = run_seed(seed, false) {
            panic!("seed {seed}: {e}");
        }
    }
}

#[test]
fn the_simulation_catches_a_switch_that_skips_writes_made_during_the_recovery() {
    // A seed the correct machine passes, and the injected bug fails.
    let caught = (0..2_000)
        .filter(|seed| run_seed(*seed, false).is_ok())
        .find_map(|seed| run_seed(seed, true).err().map(|e| (seed, e)));
    let (seed, error) = caught.expect("skipping the journal's tail at the switch is caught");
    eprintln!("injected bug caught by seed {seed}: {error}");
    assert!(
        error.contains("lost") || error.contains("expected") || error.contains("never reached"),
        "caught as a write lost: {error}"
    );
}
