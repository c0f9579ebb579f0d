//! Sorted set commands on one key: ZADD, ZINCRBY, ZSCORE, ZMSCORE, ZCARD, ZRANK, ZREVRANK,
//! ZREM, ZPOPMIN, ZPOPMAX, ZRANDMEMBER, ZSCAN. Ranges are in `zset_ranges.rs`, combinations
//! of keys in `zset_algebra.rs`.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::Engine;
use crate::command::{CommandKind, ZAddComparison, ZAddCondition, ZAddOptions};
use crate::glob::Pattern;
use crate::value::{Value, ZSetValue};
use crate::{Clock, Error};

/// A member and its score, as the sorted set commands return them.
pub type ScoredMember = (Vec<u8>, f64);

pub(super) fn is_zset(v: &Value) -> bool {
    matches!(v, Value::ZSet(_))
}

fn new_zset() -> Value {
    Value::ZSet(Box::default())
}

pub(super) fn as_zset(v: &mut Value) -> &mut ZSetValue {
    match v {
        Value::ZSet(z) => z,
        _ => unreachable!("callers check the type before modifying"),
    }
}

/// What `ZADD` did: the count it replies with (added members, plus updated ones with `CH`)
/// and, with `INCR`, the member's new score (`None` when a condition stopped it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZAddOutcome {
    /// Added members (plus updated ones with `CH`).
    pub count: usize,
    /// With `INCR`: the new score, `None` when a condition blocked the update.
    pub score: Option<f64>,
}

impl<C: Clock> Engine<C> {
    /// The sorted set at `key`: `Ok(None)` when missing, `WRONGTYPE` for another type.
    pub(super) fn zset_ref(&mut self, key: &[u8]) -> Result<Option<&ZSetValue>, Error> {
        match self.lookup_read(key) {
            None => Ok(None),
            Some(i) => match &self.keys.slot(i).value {
                Value::ZSet(z) => Ok(Some(z)),
                _ => Err(Error::WrongType),
            },
        }
    }

    /// The slot of the sorted set at `key` for a write: `Ok(None)` when missing.
    pub(super) fn zset_slot(&mut self, key: &[u8]) -> Result<Option<usize>, Error> {
        match self.lookup(key) {
            None => Ok(None),
            Some(i) if is_zset(&self.keys.slot(i).value) => Ok(Some(i)),
            Some(_) => Err(Error::WrongType),
        }
    }

    /// `ZADD`: adds or updates the members under `options`.
    pub fn zadd<M: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        options: ZAddOptions,
        pairs: &[(f64, M)],
    ) -> Result<ZAddOutcome, Error> {
        self.run_as(CommandKind::ZAdd, |e| e.zadd_unguarded(key, options, pairs))
    }

    pub(super) fn zadd_unguarded<M: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        options: ZAddOptions,
        pairs: &[(f64, M)],
    ) -> Result<ZAddOutcome, Error> {
        let nothing = ZAddOutcome {
            count: 0,
            score: None,
        };
        let existing = self.zset_slot(key)?;
        if pairs.iter().any(|(s, _)| s.is_nan()) {
            return Err(Error::NotFloat);
        }
        let nx = options.condition == ZAddCondition::Nx;
        let xx = options.condition == ZAddCondition::Xx;
        if existing.is_none() && xx {
            return Ok(nothing);
        }
        if let (true, Some(i), [(inc, m)]) = (options.incr, existing, pairs) {
            let Value::ZSet(z) = &self.keys.slot(i).value else {
                unreachable!("type checked above");
            };
            if !nx && z.score(m.as_ref()).is_some_and(|cur| (cur + inc).is_nan()) {
                return Err(Error::ScoreNaN);
            }
        }
        let i = self.lookup_or_create(key, is_zset, new_zset)?;
        let (gt, lt) = (
            options.comparison == ZAddComparison::Gt,
            options.comparison == ZAddComparison::Lt,
        );
        Ok(self.modify(i, |v| {
            let z = as_zset(v);
            let (mut added, mut updated, mut last) = (0, 0, None);
            for (s, m) in pairs {
                let m = m.as_ref();
                match z.score(m) {
                    Some(cur) => {
                        let new = if options.incr { cur + s } else { *s };
                        if nx || (lt && new >= cur) || (gt && new <= cur) {
                            continue;
                        }
                        if new != cur {
                            z.insert(m, new);
                            updated += 1;
                        }
                        last = Some(new);
                    }
                    None if xx => {}
                    None => {
                        z.insert(m, *s);
                        added += 1;
                        last = Some(*s);
                    }
                }
            }
            ZAddOutcome {
                count: if options.changed {
                    added + updated
                } else {
                    added
                },
                score: last.filter(|_| options.incr),
            }
        }))
    }

    /// `ZINCRBY`: adds `increment` to `member`'s score (a new member starts at 0); returns
    /// the new score.
    pub fn zincrby(&mut self, key: &[u8], increment: f64, member: &[u8]) -> Result<f64, Error> {
        self.run_as(CommandKind::ZIncrBy, |e| {
            e.zincrby_unguarded(key, increment, member)
        })
    }

    pub(super) fn zincrby_unguarded(
        &mut self,
        key: &[u8],
        increment: f64,
        member: &[u8],
    ) -> Result<f64, Error> {
        let options = ZAddOptions {
            incr: true,
            ..ZAddOptions::default()
        };
        let outcome = self.zadd_unguarded(key, options, &[(increment, member)])?;
        Ok(outcome.score.unwrap_or(increment))
    }

    /// `ZSCORE`: the score of `member`.
    pub fn zscore(&mut self, key: &[u8], member: &[u8]) -> Result<Option<f64>, Error> {
        Ok(self.zset_ref(key)?.and_then(|z| z.score(member)))
    }

    /// `ZMSCORE`: the score of each member (`None` where missing).
    pub fn zmscore<M: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        members: &[M],
    ) -> Result<Vec<Option<f64>>, Error> {
        let z = self.zset_ref(key)?;
        Ok(members
            .iter()
            .map(|m| z.and_then(|z| z.score(m.as_ref())))
            .collect())
    }

    /// `ZCARD`: the number of members.
    pub fn zcard(&mut self, key: &[u8]) -> Result<usize, Error> {
        Ok(self.zset_ref(key)?.map_or(0, ZSetValue::len))
    }

    /// `ZRANK` (`reverse` false) and `ZREVRANK`: the member's 0-based rank by ascending
    /// (descending) score.
    pub fn zrank(
        &mut self,
        key: &[u8],
        member: &[u8],
        reverse: bool,
    ) -> Result<Option<usize>, Error> {
        Ok(self.zset_ref(key)?.and_then(|z| {
            z.rank(member)
                .map(|r| if reverse { z.len() - 1 - r } else { r })
        }))
    }

    /// `ZREM`: removes the members; returns how many were there. An emptied set is deleted.
    pub fn zrem<M: AsRef<[u8]>>(&mut self, key: &[u8], members: &[M]) -> Result<usize, Error> {
        let Some(i) = self.zset_slot(key)? else {
            return Ok(0);
        };
        Ok(self.modify(i, |v| {
            let z = as_zset(v);
            members
                .iter()
                .filter(|m| z.remove(m.as_ref()).is_some())
                .count()
        }))
    }

    /// `ZPOPMIN` (`max` false) and `ZPOPMAX`: removes and returns up to `count` members with
    /// the lowest (highest) scores, in that order.
    pub fn zpop(
        &mut self,
        key: &[u8],
        count: usize,
        max: bool,
    ) -> Result<Vec<ScoredMember>, Error> {
        let Some(i) = self.zset_slot(key)? else {
            return Ok(Vec::new());
        };
        Ok(self.modify(i, |v| {
            let z = as_zset(v);
            let n = count.min(z.len());
            let picked: Vec<ScoredMember> = if max {
                let mut top: Vec<ScoredMember> = z
                    .range(z.len() - n, z.len())
                    .map(|(s, m)| (m.clone(), *s))
                    .collect();
                top.reverse();
                top
            } else {
                z.range(0, n).map(|(s, m)| (m.clone(), *s)).collect()
            };
            for (m, _) in &picked {
                z.remove(m);
            }
            picked
        }))
    }

    /// `ZRANDMEMBER`: random members with their scores: `count` distinct ones (at most the
    /// whole set) when positive, `-count` possibly repeated ones when negative.
    pub fn zrandmember(&mut self, key: &[u8], count: i64) -> Result<Vec<ScoredMember>, Error> {
        let len = match self.zset_ref(key)? {
            None => return Ok(Vec::new()),
            Some(z) => z.len(),
        };
        let positions = self.random_positions(len, count)?;
        let Some(Value::ZSet(z)) = self.lookup(key).map(|i| &self.keys.slot(i).value) else {
            unreachable!("the sorted set was just read");
        };
        Ok(positions
            .into_iter()
            .filter_map(|p| z.range(p, p + 1).next())
            .map(|(s, m)| (m.clone(), *s))
            .collect())
    }

    /// `ZSCAN`: every member matching `pattern` with its score, in one page (cursor 0), as
    /// Redis answers for small sorted sets. A sorted set has no position that stays put
    /// while members are added, so one page is how the scan guarantee holds; `cursor` and
    /// `count` are accepted and do not change the answer.
    pub fn zscan(
        &mut self,
        key: &[u8],
        pattern: Option<&[u8]>,
    ) -> Result<Vec<ScoredMember>, Error> {
        let pattern = pattern.map(Pattern::new).transpose()?;
        Ok(self
            .zset_ref(key)?
            .map(|z| {
                z.iter()
                    .filter(|(_, m)| pattern.as_ref().is_none_or(|p| p.matches(m)))
                    .map(|(s, m)| (m.clone(), *s))
                    .collect()
            })
            .unwrap_or_default())
    }
}
