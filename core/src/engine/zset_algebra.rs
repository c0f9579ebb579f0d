//! Sorted set combinations stored at a destination: ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE.
//!
//! Sources may be sorted sets or plain sets (whose members count with score 1); a missing
//! key is empty; any other type fails the command with `WRONGTYPE`. As in Redis, a NaN sum
//! (`inf + -inf`) counts as 0, and so does a weighted score that is NaN (`inf × 0`) when it
//! starts a member's total; one added to a total makes the sum NaN, hence 0.

use alloc::boxed::Box;
use alloc::vec::Vec;

use hashbrown::HashMap;

use super::{Engine, ScoredMember};
use crate::command::{Aggregate, CommandKind, Limit, ZRangeBy};
use crate::value::{Value, ZSetValue};
use crate::{Clock, Error};

/// Which combination of sorted sets ([`Engine::zset_combine_store`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ZSetOp {
    /// Members in any source.
    Union,
    /// Members in every source.
    Inter,
    /// Members of the first source in none of the others (first source's scores).
    Diff,
}

/// One source, read into member → score.
type Source = Vec<(Vec<u8>, f64)>;

fn not_nan(v: f64) -> f64 {
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

/// The sources' positions, smallest source first (ties in key order), as Redis walks them.
/// One function for `ZUNION` and `ZINTER`, so one sort is compiled for both.
fn smallest_first(sources: &[Source]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..sources.len()).collect();
    order.sort_by_key(|&i| sources[i].len());
    order
}

fn aggregate(how: Aggregate, acc: f64, v: f64) -> f64 {
    match how {
        Aggregate::Sum => not_nan(acc + v),
        Aggregate::Min => acc.min(v),
        Aggregate::Max => acc.max(v),
    }
}

impl<C: Clock> Engine<C> {
    /// Reads every source (members with scores), or `WRONGTYPE`.
    fn zsources<K: AsRef<[u8]>>(&mut self, keys: &[K]) -> Result<Vec<Source>, Error> {
        let mut sources = Vec::with_capacity(keys.len());
        for k in keys {
            let source = match self.lookup_read(k.as_ref()) {
                None => Vec::new(),
                Some(i) => match &self.keys.slot(i).value {
                    Value::ZSet(z) => z.iter().map(|(s, m)| (m.clone(), *s)).collect(),
                    Value::Set(s) => s.iter().map(|m| (m.clone(), 1.0)).collect(),
                    _ => return Err(Error::WrongType),
                },
            };
            sources.push(source);
        }
        Ok(sources)
    }

    /// `ZUNIONSTORE` / `ZINTERSTORE` / `ZDIFFSTORE`: stores the combination of `keys` at
    /// `destination` (replacing it and its TTL; deleting it when the result is empty) and
    /// returns its size. `weights` (one per key) multiply each source's scores; `how`
    /// combines a member's scores. Both are ignored by `Diff`.
    pub fn zset_combine_store<K: AsRef<[u8]>>(
        &mut self,
        op: ZSetOp,
        destination: &[u8],
        keys: &[K],
        weights: Option<&[f64]>,
        how: Aggregate,
    ) -> Result<usize, Error> {
        let kind = match op {
            ZSetOp::Union => CommandKind::ZUnionStore,
            ZSetOp::Inter => CommandKind::ZInterStore,
            ZSetOp::Diff => CommandKind::ZDiffStore,
        };
        self.run_as(kind, |e| {
            e.zset_combine_store_unguarded(op, destination, keys, weights, how)
        })
    }

    pub(super) fn zset_combine_store_unguarded<K: AsRef<[u8]>>(
        &mut self,
        op: ZSetOp,
        destination: &[u8],
        keys: &[K],
        weights: Option<&[f64]>,
        how: Aggregate,
    ) -> Result<usize, Error> {
        let mut result = ZSetValue::default();
        for (m, s) in self.zset_combined(op, keys, weights, how)? {
            result.insert(&m, s);
        }
        let len = result.len();
        self.replace_with(
            destination,
            (len > 0).then(|| Value::ZSet(Box::new(result))),
        );
        Ok(len)
    }

    /// `ZUNION` / `ZINTER` / `ZDIFF`: the combination of `keys` (as
    /// [`zset_combine_store`](Self::zset_combine_store) computes it), ordered by score, then
    /// member.
    pub fn zset_combine<K: AsRef<[u8]>>(
        &mut self,
        op: ZSetOp,
        keys: &[K],
        weights: Option<&[f64]>,
        how: Aggregate,
    ) -> Result<Vec<ScoredMember>, Error> {
        // Scores keep their sign (`-0` included), as Redis replies without storing.
        let mut result = self.zset_combined(op, keys, weights, how)?;
        result.sort_by(|(am, a), (bm, b)| {
            a.partial_cmp(b)
                .unwrap_or(core::cmp::Ordering::Equal)
                .then_with(|| am.cmp(bm))
        });
        Ok(result)
    }

    /// `ZRANGESTORE`: stores the members `ZRANGE` would answer (with their scores) at
    /// `destination`, replacing it and its TTL (deleting it when the range is empty); their
    /// number.
    pub fn zrangestore(
        &mut self,
        destination: &[u8],
        key: &[u8],
        by: &ZRangeBy,
        rev: bool,
        limit: Limit,
    ) -> Result<usize, Error> {
        self.run_as(CommandKind::ZRangeStore, |e| {
            e.zrangestore_unguarded(destination, key, by, rev, limit)
        })
    }

    pub(super) fn zrangestore_unguarded(
        &mut self,
        destination: &[u8],
        key: &[u8],
        by: &ZRangeBy,
        rev: bool,
        limit: Limit,
    ) -> Result<usize, Error> {
        let members = self.zrange(key, by, rev, limit)?;
        let mut result = ZSetValue::default();
        for (m, s) in &members {
            result.insert(m, *s);
        }
        let len = result.len();
        self.replace_with(
            destination,
            (len > 0).then(|| Value::ZSet(Box::new(result))),
        );
        Ok(len)
    }

    /// `ZINTERCARD`: how many members are in every one of `keys`, counting stopped at `limit`
    /// (0 or `None`: no limit).
    pub fn zintercard<K: AsRef<[u8]>>(
        &mut self,
        keys: &[K],
        limit: Option<usize>,
    ) -> Result<usize, Error> {
        let sources = self.zsources(keys)?;
        let limit = limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
        let lookups: Vec<hashbrown::HashSet<&[u8]>> = sources
            .iter()
            .map(|s| s.iter().map(|(m, _)| m.as_slice()).collect())
            .collect();
        let smallest = (0..sources.len())
            .min_by_key(|&i| sources[i].len())
            .expect("at least one key");
        Ok(sources[smallest]
            .iter()
            .filter(|(m, _)| lookups.iter().all(|l| l.contains(m.as_slice())))
            .take(limit)
            .count())
    }

    /// The combination of `keys`: each member once, with its score, in no order.
    fn zset_combined<K: AsRef<[u8]>>(
        &mut self,
        op: ZSetOp,
        keys: &[K],
        weights: Option<&[f64]>,
        how: Aggregate,
    ) -> Result<Vec<ScoredMember>, Error> {
        let sources = self.zsources(keys)?;
        let weight = |i: usize| weights.and_then(|w| w.get(i)).copied().unwrap_or(1.0);
        let mut result: Vec<ScoredMember> = Vec::new();
        match op {
            ZSetOp::Union => {
                // Smallest sources first, as Redis accumulates.
                let order = smallest_first(&sources);
                let mut acc: HashMap<&[u8], f64> = HashMap::new();
                let mut first_seen: Vec<&[u8]> = Vec::new();
                for i in order {
                    for (m, s) in &sources[i] {
                        let v = not_nan(weight(i) * s);
                        match acc.get_mut(m.as_slice()) {
                            Some(a) => *a = aggregate(how, *a, v),
                            None => {
                                acc.insert(m, v);
                                first_seen.push(m);
                            }
                        }
                    }
                }
                for m in first_seen {
                    result.push((m.to_vec(), acc[m]));
                }
            }
            ZSetOp::Inter => {
                let order = smallest_first(&sources);
                let lookups: Vec<HashMap<&[u8], f64>> = sources
                    .iter()
                    .map(|s| s.iter().map(|(m, v)| (m.as_slice(), *v)).collect())
                    .collect();
                let (first, rest) = order.split_first().expect("at least one key");
                'members: for (m, s) in &sources[*first] {
                    let mut acc = not_nan(weight(*first) * s);
                    for &j in rest {
                        match lookups[j].get(m.as_slice()) {
                            // Only the first source's weighted score is cleared of NaN.
                            Some(v) => acc = aggregate(how, acc, weight(j) * v),
                            None => continue 'members,
                        }
                    }
                    result.push((m.to_vec(), acc));
                }
            }
            ZSetOp::Diff => {
                let (first, rest) = sources.split_first().expect("at least one key");
                let others: hashbrown::HashSet<&[u8]> =
                    rest.iter().flatten().map(|(m, _)| m.as_slice()).collect();
                for (m, s) in first {
                    if !others.contains(m.as_slice()) {
                        result.push((m.to_vec(), *s));
                    }
                }
            }
        }
        Ok(result)
    }
}
