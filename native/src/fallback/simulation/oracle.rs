//! What the simulation's schedules wrote, and the invariants checked against the model
//! Redis after each one (see the simulation's module docs).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};

use super::model::now;
use super::{Sim, HASHES, STRINGS};

/// One pushed element: (element, instance, write id, how it ended).
pub(super) type Push = (Vec<u8>, usize, u64, Ack);
/// A hash's fields → every value written to each.
pub(super) type Fields = BTreeMap<Vec<u8>, BTreeSet<Vec<u8>>>;

/// What the oracle knows of one write.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Ack {
    /// Acknowledged by Redis: durable while Redis keeps its id.
    Redis,
    /// Acknowledged from memory (journaled).
    Memory,
    /// Outcome unknown (`OutcomeUnknown`): may or may not apply.
    Unknown,
}

/// What was written, for the invariants.
#[derive(Default)]
pub(super) struct Oracle {
    /// Counter key → (write id, how it ended).
    pub(super) incrs: BTreeMap<Vec<u8>, Vec<(u64, Ack)>>,
    /// List key → (element, instance, write id, how it ended).
    pub(super) pushes: BTreeMap<Vec<u8>, Vec<Push>>,
    /// String key → value → absolute expiry it was written with (0: none).
    pub(super) sets: BTreeMap<Vec<u8>, BTreeMap<Vec<u8>, i64>>,
    /// Hash key → field → values written.
    /// Values of `SET`s whose outcome was unknown (sent to a hung Redis).
    pub(super) unknown_sets: BTreeSet<Vec<u8>>,
    pub(super) hsets: BTreeMap<Vec<u8>, Fields>,
    /// Outage writes replayed into a server that restarted before the recovery finished,
    /// with several instances: the documented limit (another instance may have seen their
    /// effect and merges it as its pre-outage value), so they may apply twice.
    pub(super) may_double: BTreeSet<u64>,
    /// Acknowledged write → the server (run) it was handed to: acknowledged by it, or
    /// replayed into it by a recovery that finished. From then on it is as durable as that
    /// server's persistence.
    pub(super) handed: BTreeMap<u64, u64>,
    /// A bug caught during the schedule.
    pub(super) violation: Option<String>,
}

/// Counters checked, and of those the ones under a documented limit (no upper bound), for
/// the campaign's summary.
pub(super) static COUNTERS_CHECKED: AtomicU64 = AtomicU64::new(0);
/// See [`COUNTERS_CHECKED`].
pub(super) static COUNTERS_UNBOUNDED: AtomicU64 = AtomicU64::new(0);

impl Oracle {
    /// Whether the acknowledged write `id` must be in Redis when the server is `run`: it
    /// was handed to this very server (a server that restarted since may have lost it, as
    /// its persistence allows).
    fn required(&self, id: u64, run: u64) -> bool {
        self.handed.get(&id) == Some(&run)
    }
}

impl Sim {
    /// The invariants (see the module docs); `Err` names the first one broken.
    pub(super) fn check(&mut self) -> Result<(), String> {
        if let Some(v) = self.oracle.violation.take() {
            return Err(v);
        }
        let db = &mut self.redis.db;
        let ids = &self.redis.ids;
        let run = self.redis.run;
        let now = now(&self.clock);
        for (key, incrs) in &self.oracle.incrs {
            let value = db.get(key).ok().flatten().map_or(0, |v| {
                String::from_utf8_lossy(&v).parse::<i64>().unwrap_or(-1)
            });
            let required: Vec<u64> = incrs
                .iter()
                .filter(|(id, ack)| *ack != Ack::Unknown && self.oracle.required(*id, run))
                .map(|(id, _)| *id)
                .collect();
            if let Some(id) = required.iter().find(|id| !ids.contains(id)) {
                return Err(format!("acknowledged increment {id} lost"));
            }
            let kept = required.len() as i64;
            if let Some((id, _)) = incrs
                .iter()
                .find(|(id, ack)| *ack == Ack::Memory && !self.redis.ever.contains(id))
            {
                return Err(format!("acknowledged write {id} never reached redis"));
            }
            // A write under one of the documented limits (see `Oracle::may_double`) can be
            // counted again by every later restart that merges a value including it: no
            // upper bound for its counter then.
            let limited = incrs
                .iter()
                .any(|(id, _)| self.oracle.may_double.contains(id));
            let most = if limited {
                i64::MAX
            } else {
                incrs.len() as i64
            };
            COUNTERS_CHECKED.fetch_add(1, Ordering::Relaxed);
            if limited {
                COUNTERS_UNBOUNDED.fetch_add(1, Ordering::Relaxed);
            }
            if value < kept || value > most {
                return Err(format!(
                    "counter {}: {value}, expected {kept}..={most} (acknowledged and kept ..= all)",
                    String::from_utf8_lossy(key)
                ));
            }
        }
        for (key, pushes) in &self.oracle.pushes {
            let list = db.lrange(key, 0, -1).unwrap_or_default();
            let mut seen = BTreeSet::new();
            let doubled: BTreeSet<&Vec<u8>> = pushes
                .iter()
                .filter(|p| self.oracle.may_double.contains(&p.2))
                .map(|p| &p.0)
                .collect();
            for item in &list {
                if !seen.insert(item) && !doubled.contains(item) {
                    return Err(format!("{} applied twice", String::from_utf8_lossy(item)));
                }
            }
            for (item, _, id, ack) in pushes {
                if *ack == Ack::Memory && !self.redis.ever.contains(id) {
                    return Err(format!(
                        "acknowledged {} never reached redis",
                        String::from_utf8_lossy(item)
                    ));
                }
                let required = *ack != Ack::Unknown && self.oracle.required(*id, run);
                if required && !(ids.contains(id) && seen.contains(item)) {
                    return Err(format!(
                        "acknowledged {} lost",
                        String::from_utf8_lossy(item)
                    ));
                }
            }
            let position: BTreeMap<&Vec<u8>, usize> =
                list.iter().enumerate().map(|(p, v)| (v, p)).collect();
            for inst in 0..self.instances.len() {
                let order: Vec<usize> = pushes
                    .iter()
                    .filter(|p| p.1 == inst)
                    .filter_map(|p| position.get(&p.0).copied())
                    .collect();
                if order.windows(2).any(|w| w[0] > w[1]) {
                    return Err(format!(
                        "instance {inst}'s elements out of order in {list:?}"
                    ));
                }
            }
        }
        for key in STRINGS {
            let Some(value) = db.get(key).ok().flatten() else {
                continue;
            };
            let Some(&expires) = self.oracle.sets.get(key).and_then(|s| s.get(&value)) else {
                return Err(format!(
                    "{} holds a value nobody wrote",
                    String::from_utf8_lossy(key)
                ));
            };
            let pttl = db.pttl(key);
            let holds = if pttl > 0 { now + pttl } else { 0 };
            // A write sent to a hung Redis (its caller got `OutcomeUnknown`) counts its `PX`
            // from when Redis applies it, as Redis does: not the fallback's to bound.
            let unknown = self.oracle.unknown_sets.contains(&value);
            if !unknown && ((expires == 0) != (holds == 0) || holds > expires) {
                return Err(format!(
                    "{} expires at {holds}, its write asked for {expires} (0: never)",
                    String::from_utf8_lossy(key)
                ));
            }
        }
        for key in HASHES {
            for (field, value) in db.hgetall(key).unwrap_or_default() {
                let written = self.oracle.hsets.get(key).and_then(|h| h.get(&field));
                if !written.is_some_and(|w| w.contains(&value)) {
                    return Err(format!(
                        "{} holds a value nobody wrote",
                        String::from_utf8_lossy(key)
                    ));
                }
            }
        }
        Ok(())
    }
}
