//! Sorted set ranges: ZRANGE in all its forms (ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE,
//! ZRANGEBYLEX, ZREVRANGEBYLEX), ZCOUNT, ZLEXCOUNT and the ZREMRANGEBY family.
//!
//! Every range becomes a span of ascending ranks `lo..hi`, found with two binary searches
//! (see the sorted set value for the costs), then read or removed.

use alloc::vec::Vec;

use super::zsets::{as_zset, ScoredMember};
use super::Engine;
use crate::command::{LexBound, Limit, ScoreBound, ZRangeBy};
use crate::value::ZSetValue;
use crate::{Clock, Error};

/// Ascending ranks `lo..hi` of Redis's rank range `start..=stop` (negative from the end).
fn rank_span(len: usize, start: i64, stop: i64) -> (usize, usize) {
    let len = len as i64;
    let start = if start < 0 { len + start } else { start }.max(0);
    let stop = if stop < 0 { len + stop } else { stop };
    if start > stop || start >= len {
        return (0, 0);
    }
    (start as usize, (stop.min(len - 1) + 1) as usize)
}

/// Ascending ranks of the members whose score is within `min`..`max`.
fn score_span(z: &ZSetValue, min: ScoreBound, max: ScoreBound) -> (usize, usize) {
    let lo = z.count_before(|s, _| {
        if min.exclusive {
            s <= min.value
        } else {
            s < min.value
        }
    });
    let hi = z.count_before(|s, _| {
        if max.exclusive {
            s < max.value
        } else {
            s <= max.value
        }
    });
    (lo, hi.max(lo))
}

/// Ascending ranks of the members within `min`..`max` by bytes (meaningful when every
/// score is equal, as Redis documents).
fn lex_span(z: &ZSetValue, min: &LexBound, max: &LexBound) -> (usize, usize) {
    let lo = z.count_before(|_, m| match min {
        LexBound::Min => false,
        LexBound::Max => true,
        LexBound::Inclusive(x) => m < x.as_slice(),
        LexBound::Exclusive(x) => m <= x.as_slice(),
    });
    let hi = z.count_before(|_, m| match max {
        LexBound::Min => false,
        LexBound::Max => true,
        LexBound::Inclusive(x) => m <= x.as_slice(),
        LexBound::Exclusive(x) => m < x.as_slice(),
    });
    (lo, hi.max(lo))
}

/// The ascending span `by` selects; with `rev`, a score or lex range is given `max, min`.
fn span(z: &ZSetValue, by: &ZRangeBy, rev: bool) -> (usize, usize) {
    match by {
        ZRangeBy::Rank(start, stop) if rev => {
            let (lo, hi) = rank_span(z.len(), *start, *stop);
            (z.len() - hi, z.len() - lo)
        }
        ZRangeBy::Rank(start, stop) => rank_span(z.len(), *start, *stop),
        ZRangeBy::Score(a, b) if rev => score_span(z, *b, *a),
        ZRangeBy::Score(a, b) => score_span(z, *a, *b),
        ZRangeBy::Lex(a, b) if rev => lex_span(z, b, a),
        ZRangeBy::Lex(a, b) => lex_span(z, a, b),
    }
}

/// Narrows `lo..hi` by `LIMIT offset count`, counted from the end when `rev`.
fn limited(lo: usize, hi: usize, rev: bool, limit: Limit) -> (usize, usize) {
    let Some((offset, count)) = limit else {
        return (lo, hi);
    };
    if offset < 0 {
        return (lo, lo);
    }
    let len = hi - lo;
    let offset = (offset as u64).min(len as u64) as usize;
    let take = if count < 0 {
        len - offset
    } else {
        (count as u64).min((len - offset) as u64) as usize
    };
    if rev {
        (hi - offset - take, hi - offset)
    } else {
        (lo + offset, lo + offset + take)
    }
}

impl<C: Clock> Engine<C> {
    /// `ZRANGE` and its older forms: the members `by` selects, in ascending order or, with
    /// `rev`, descending (a score or lex range is then given `max, min`), narrowed by
    /// `limit` (for score and lex ranges).
    pub fn zrange(
        &mut self,
        key: &[u8],
        by: &ZRangeBy,
        rev: bool,
        limit: Limit,
    ) -> Result<Vec<ScoredMember>, Error> {
        let Some(z) = self.zset_ref(key)? else {
            return Ok(Vec::new());
        };
        let (lo, hi) = span(z, by, rev);
        let limit = match by {
            ZRangeBy::Rank(..) => None,
            _ => limit,
        };
        let (lo, hi) = limited(lo, hi, rev, limit);
        let mut out: Vec<ScoredMember> = z.range(lo, hi).map(|(s, m)| (m.clone(), *s)).collect();
        if rev {
            out.reverse();
        }
        Ok(out)
    }

    /// `ZCOUNT` (a score range) and `ZLEXCOUNT` (a lex range): how many members `by`
    /// selects.
    pub fn zcount(&mut self, key: &[u8], by: &ZRangeBy) -> Result<usize, Error> {
        Ok(self.zset_ref(key)?.map_or(0, |z| {
            let (lo, hi) = span(z, by, false);
            hi - lo
        }))
    }

    /// `ZREMRANGEBYRANK`, `ZREMRANGEBYSCORE`, `ZREMRANGEBYLEX`: removes the members `by`
    /// selects; returns how many. An emptied set is deleted.
    pub fn zremrange(&mut self, key: &[u8], by: &ZRangeBy) -> Result<usize, Error> {
        let Some(i) = self.zset_slot(key)? else {
            return Ok(0);
        };
        Ok(self.modify(i, |v| {
            let z = as_zset(v);
            let (lo, hi) = span(z, by, false);
            let doomed: Vec<Vec<u8>> = z.range(lo, hi).map(|(_, m)| m.clone()).collect();
            for m in &doomed {
                z.remove(m);
            }
            doomed.len()
        }))
    }
}
