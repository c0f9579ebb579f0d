//! Hash field expiration (Redis 7.4): HEXPIRE, HPEXPIRE, HEXPIREAT, HPEXPIREAT, HTTL, HPTTL,
//! HEXPIRETIME, HPEXPIRETIME, HPERSIST; and the removal of expired fields.
//!
//! Each field may carry an absolute expiry time. An expired field is invisible to every
//! command: a lookup of a hash whose earliest field time has passed first removes the
//! expired fields (and the hash, when none is left), and active expiry does the same for the
//! hashes its cycles examine.

use alloc::vec::Vec;

use super::Engine;
use crate::command::{CommandKind, ExpireCondition, Expiry};
use crate::value::{HashValue, Value};
use crate::{Clock, Error};

/// The largest expiry time a field accepts, in Unix milliseconds (Redis's
/// `HFE_MAX_ABS_TIME_MSEC`, 2^48 − 1).
pub(super) const MAX_FIELD_EXPIRY: i64 = (1 << 48) - 1;

/// `HEXPIRE` and friends, per field: the field does not exist.
const NO_FIELD: i64 = -2;
/// The condition (`NX`/`XX`/`GT`/`LT`) was not met.
const NOT_MET: i64 = 0;
/// The expiry time was set.
const SET: i64 = 1;
/// The time was not in the future, so the field was deleted.
const DELETED: i64 = 2;

/// What `HTTL`-like commands report about a field's expiry.
#[derive(Clone, Copy)]
pub(crate) enum FieldTime {
    /// `HTTL`: seconds left, rounded up.
    Ttl,
    /// `HPTTL`: milliseconds left.
    PTtl,
    /// `HEXPIRETIME`: the Unix time in seconds, rounded up.
    ExpireTime,
    /// `HPEXPIRETIME`: the Unix time in milliseconds.
    PExpireTime,
}

fn kind_of(expiry: Expiry) -> CommandKind {
    match expiry {
        Expiry::Ex(_) => CommandKind::HExpire,
        Expiry::Px(_) => CommandKind::HPExpire,
        Expiry::ExAt(_) => CommandKind::HExpireAt,
        Expiry::PxAt(_) => CommandKind::HPExpireAt,
    }
}

/// Absolute field expiry time for the `HEXPIRE` family at `now`, checked as Redis checks it:
/// not negative, and at most 2^48 − 1 once made absolute.
fn field_expiry(expiry: Expiry, now: u64) -> Result<i64, Error> {
    let (amount, seconds, base) = match expiry {
        Expiry::Ex(v) => (v, true, now as i64),
        Expiry::Px(v) => (v, false, now as i64),
        Expiry::ExAt(v) => (v, true, 0),
        Expiry::PxAt(v) => (v, false, 0),
    };
    if amount < 0 {
        return Err(Error::NegativeFieldExpireTime);
    }
    let invalid = Error::InvalidExpireTime(kind_of(expiry).spec().name());
    let ms = if seconds {
        if amount > MAX_FIELD_EXPIRY / 1000 {
            return Err(invalid);
        }
        amount * 1000
    } else {
        amount
    };
    if ms > MAX_FIELD_EXPIRY - base {
        return Err(invalid);
    }
    Ok(ms + base)
}

/// Whether `condition` lets a field whose expiry time is `current` get `when`.
fn condition_met(condition: ExpireCondition, current: Option<i64>, when: i64) -> bool {
    match condition {
        ExpireCondition::Always => true,
        ExpireCondition::Nx => current.is_none(),
        ExpireCondition::Xx => current.is_some(),
        ExpireCondition::Gt | ExpireCondition::XxGt => current.is_some_and(|c| when > c),
        ExpireCondition::Lt => current.is_none_or(|c| when < c),
        ExpireCondition::XxLt => current.is_some_and(|c| when < c),
    }
}

pub(super) fn as_hash(v: &mut Value) -> &mut HashValue {
    match v {
        Value::Hash(h) => h,
        _ => unreachable!("callers check the type before modifying"),
    }
}

impl<C: Clock> Engine<C> {
    /// Removes the expired fields of the hash in slot `i` at the current time; see
    /// [`purge_fields_at`](Self::purge_fields_at).
    pub(super) fn purge_fields(&mut self, i: usize) -> (usize, bool) {
        let now = self.now();
        self.purge_fields_at(i, now)
    }

    /// Removes the fields of the hash in slot `i` whose time is at or before `now`: how many,
    /// and whether the hash was left empty and so removed.
    pub(super) fn purge_fields_at(&mut self, i: usize, now: u64) -> (usize, bool) {
        let before = self.keys.len();
        let removed = self.modify(i, |v| as_hash(v).purge_expired(now));
        (removed, self.keys.len() < before)
    }

    /// The live hash at `key` for a field-expiry command: `Ok(None)` when missing,
    /// `WRONGTYPE` for another type.
    pub(super) fn field_ttl_target(&mut self, key: &[u8]) -> Result<Option<usize>, Error> {
        match self.lookup(key) {
            None => Ok(None),
            Some(i) if matches!(self.keys.slot(i).value, Value::Hash(_)) => Ok(Some(i)),
            Some(_) => Err(Error::WrongType),
        }
    }

    /// `HEXPIRE` / `HPEXPIRE` / `HEXPIREAT` / `HPEXPIREAT key t [NX|XX|GT|LT] FIELDS n
    /// field …`: per field, -2 when it does not exist, 0 when `condition` is not met, 1 when
    /// its expiry time was set, 2 when the time is not in the future and the field was
    /// deleted (the hash too, when it was its last field).
    pub fn hexpire<F: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        expiry: Expiry,
        condition: ExpireCondition,
        fields: &[F],
    ) -> Result<Vec<i64>, Error> {
        self.run_as(kind_of(expiry), |e| {
            e.hexpire_unguarded(key, expiry, condition, fields)
        })
    }

    pub(super) fn hexpire_unguarded<F: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        expiry: Expiry,
        condition: ExpireCondition,
        fields: &[F],
    ) -> Result<Vec<i64>, Error> {
        let target = self.field_ttl_target(key)?;
        let now = self.now();
        let when = field_expiry(expiry, now)?;
        let Some(i) = target else {
            return Ok(alloc::vec![NO_FIELD; fields.len()]);
        };
        let Value::Hash(h) = &self.keys.slot(i).value else {
            unreachable!("field_ttl_target returns hashes only")
        };
        let answer = |h: &HashValue, f: &[u8]| {
            if !h.contains(f) {
                NO_FIELD
            } else if !condition_met(condition, h.field_ttl(f).map(|t| t as i64), when) {
                NOT_MET
            } else if when <= now as i64 {
                DELETED
            } else {
                SET
            }
        };
        let replies: Vec<i64> = fields.iter().map(|f| answer(h, f.as_ref())).collect();
        if !replies.iter().any(|r| *r == SET || *r == DELETED) {
            return Ok(replies);
        }
        // Fields are handled in order, so a field named twice sees its first change.
        Ok(self.modify(i, |v| {
            let h = as_hash(v);
            fields
                .iter()
                .map(|f| {
                    let f = f.as_ref();
                    let reply = answer(h, f);
                    match reply {
                        SET => h.set_ttl(f, when as u64),
                        DELETED => {
                            h.remove(f);
                        }
                        _ => {}
                    }
                    reply
                })
                .collect()
        }))
    }

    /// `HTTL key FIELDS n field …`: per field, the seconds left (rounded up), -1 without a
    /// TTL, -2 when the field does not exist.
    pub fn httl<F: AsRef<[u8]>>(&mut self, key: &[u8], fields: &[F]) -> Result<Vec<i64>, Error> {
        self.field_times(key, fields, FieldTime::Ttl)
    }

    /// `HPTTL key FIELDS n field …`: per field, the milliseconds left, -1 without a TTL, -2
    /// when the field does not exist.
    pub fn hpttl<F: AsRef<[u8]>>(&mut self, key: &[u8], fields: &[F]) -> Result<Vec<i64>, Error> {
        self.field_times(key, fields, FieldTime::PTtl)
    }

    /// `HEXPIRETIME key FIELDS n field …`: per field, the Unix time in seconds it expires
    /// at, -1 without a TTL, -2 when the field does not exist.
    pub fn hexpiretime<F: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        fields: &[F],
    ) -> Result<Vec<i64>, Error> {
        self.field_times(key, fields, FieldTime::ExpireTime)
    }

    /// `HPEXPIRETIME key FIELDS n field …`: per field, the Unix time in milliseconds it
    /// expires at, -1 without a TTL, -2 when the field does not exist.
    pub fn hpexpiretime<F: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        fields: &[F],
    ) -> Result<Vec<i64>, Error> {
        self.field_times(key, fields, FieldTime::PExpireTime)
    }

    pub(super) fn field_times<F: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        fields: &[F],
        what: FieldTime,
    ) -> Result<Vec<i64>, Error> {
        let Some(i) = self.field_ttl_target(key)? else {
            return Ok(alloc::vec![NO_FIELD; fields.len()]);
        };
        let now = self.now() as i64;
        let Value::Hash(h) = &self.keys.slot(i).value else {
            unreachable!("field_ttl_target returns hashes only")
        };
        Ok(fields
            .iter()
            .map(|f| {
                let f = f.as_ref();
                if !h.contains(f) {
                    return NO_FIELD;
                }
                let Some(at) = h.field_ttl(f).map(|t| t as i64) else {
                    return -1;
                };
                match what {
                    FieldTime::Ttl => (at - now + 999) / 1000,
                    FieldTime::PTtl => at - now,
                    FieldTime::ExpireTime => (at + 999) / 1000,
                    FieldTime::PExpireTime => at,
                }
            })
            .collect())
    }

    /// `HPERSIST key FIELDS n field …`: per field, 1 when its TTL was removed, -1 when it had
    /// none, -2 when the field does not exist.
    pub fn hpersist<F: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        fields: &[F],
    ) -> Result<Vec<i64>, Error> {
        let Some(i) = self.field_ttl_target(key)? else {
            return Ok(alloc::vec![NO_FIELD; fields.len()]);
        };
        let Value::Hash(h) = &self.keys.slot(i).value else {
            unreachable!("field_ttl_target returns hashes only")
        };
        let answer = |h: &HashValue, f: &[u8]| match (h.contains(f), h.field_ttl(f)) {
            (false, _) => NO_FIELD,
            (true, None) => -1,
            (true, Some(_)) => 1,
        };
        if !fields.iter().any(|f| answer(h, f.as_ref()) == 1) {
            return Ok(fields.iter().map(|f| answer(h, f.as_ref())).collect());
        }
        // Fields are handled in order, so a field named twice has no TTL the second time.
        Ok(self.modify(i, |v| {
            let h = as_hash(v);
            fields
                .iter()
                .map(|f| {
                    let reply = answer(h, f.as_ref());
                    h.clear_ttl(f.as_ref());
                    reply
                })
                .collect()
        }))
    }
}
