//! Active expiry, the sans-IO way: the host asks [`Engine::next_deadline`] when to call
//! [`Engine::handle_timeout`], and each call does a bounded amount of work.
//!
//! Lazy expiry (every access checks the deadline) keeps expired keys invisible; active expiry
//! reclaims the memory of keys nobody reads again. Hash fields with a TTL are handled the
//! same way: a cycle that examines a hash whose earliest field time has passed removes its
//! expired fields (and the hash, when none is left). Each cycle walks at most
//! `expire_work_budget` slots from a rotating cursor, so no call pauses in proportion to the
//! keyspace (Redis's active-expire idea). When a cycle finds many expired keys (a quarter of
//! what it examined or more) the next deadline is immediate, so a mass expiry is reclaimed
//! quickly in small steps; otherwise cycles run every `active_expire_interval`. Once per
//! `cleanup_interval` (a periodic cleanup that bounds how long an unread expired key can
//! hold memory) a full sweep is started and run back to
//! back, in budget-sized steps, until it has covered the whole keyspace.

use super::Engine;
use crate::value::Value;
use crate::{Clock, Millis};

/// What one [`Engine::handle_timeout`] call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeoutReport {
    /// Slots examined (never more than `expire_work_budget`).
    pub examined: usize,
    /// Keys removed because their TTL had passed.
    pub expired: usize,
    /// Locks that reached their TTL.
    pub locks_expired: usize,
    /// Hash fields removed because their TTL had passed (a hash whose last field expired
    /// is removed too, and counted here, not in `expired`).
    pub fields_expired: usize,
}

pub(crate) struct ExpiryState {
    cursor: usize,
    last_cycle: Millis,
    /// The last cycle found many expired keys: run the next one at once.
    backlog: bool,
    /// Slots left in the full sweep under way (0: none).
    sweep_left: usize,
    next_sweep: Millis,
}

impl ExpiryState {
    pub(crate) fn new(now: Millis, cleanup_interval: Millis) -> Self {
        Self {
            cursor: 0,
            last_cycle: now,
            backlog: false,
            sweep_left: 0,
            next_sweep: now.saturating_add(cleanup_interval),
        }
    }
}

impl<C: Clock> Engine<C> {
    /// When the host should next call [`handle_timeout`](Self::handle_timeout), or `None`
    /// when there is nothing to expire and no lock anyone waits for.
    pub fn next_deadline(&self) -> Option<Millis> {
        let mut deadline = self.locks.next_expiry_with_waiters();
        if self.volatile + self.field_volatile > 0 {
            let e = &self.expiry;
            let cycle = if e.backlog || e.sweep_left > 0 {
                e.last_cycle
            } else {
                e.last_cycle
                    .saturating_add(self.config.active_expire_interval)
            };
            let at = cycle.min(e.next_sweep);
            deadline = Some(deadline.map_or(at, |d| d.min(at)));
        }
        deadline
    }

    /// Runs one bounded cycle of active expiry at time `now` (the host's reading of the same
    /// clock the engine uses), and expires due locks, queueing [`Event`](crate::Event)s for
    /// their waiters.
    pub fn handle_timeout(&mut self, now: Millis) -> TimeoutReport {
        let mut report = TimeoutReport {
            locks_expired: self.expire_locks(now),
            ..TimeoutReport::default()
        };
        let budget = self.config.expire_work_budget.max(1);
        if self.volatile + self.field_volatile == 0 {
            self.expiry.sweep_left = 0;
            self.expiry.backlog = false;
            self.expiry.last_cycle = now;
            return report;
        }
        if now >= self.expiry.next_sweep && self.expiry.sweep_left == 0 {
            self.expiry.sweep_left = self.keys.len();
            self.expiry.next_sweep = now.saturating_add(self.config.cleanup_interval);
        }
        while report.examined < budget && self.volatile + self.field_volatile > 0 {
            let len = self.keys.len();
            if self.expiry.cursor >= len {
                self.expiry.cursor = 0;
            }
            let i = self.expiry.cursor;
            report.examined += 1;
            self.expiry.sweep_left = self.expiry.sweep_left.saturating_sub(1);
            let slot = self.keys.slot(i);
            if slot.is_expired(now) {
                // The last slot moves into `i`: examine position `i` again next.
                self.expire_slot(i);
                report.expired += 1;
                continue;
            }
            let fields_due = matches!(&slot.value, Value::Hash(h) if h.has_field_ttls() && h.may_have_expired(now));
            if fields_due {
                let (fields, removed) = self.purge_fields_at(i, now);
                report.fields_expired += fields;
                if removed {
                    continue;
                }
            }
            self.expiry.cursor = i + 1;
        }
        if self.volatile + self.field_volatile == 0 {
            self.expiry.sweep_left = 0;
        }
        let reclaimed = report.expired + usize::from(report.fields_expired > 0);
        self.expiry.backlog = reclaimed * 4 >= report.examined && reclaimed > 0;
        self.expiry.last_cycle = now;
        report
    }
}
