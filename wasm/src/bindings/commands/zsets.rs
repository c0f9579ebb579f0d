//! Sorted set commands, with `@upstash/redis`'s arguments: `zadd(key, { score, member },
//! ...more)` or `zadd(key, { nx | xx, gt | lt, ch, incr }, { score, member }, ...more)`,
//! `zrange(key, min, max, { byScore | byLex, rev, offset, count, withScores })`,
//! `zincrby(key, increment, member)`, `zmscore(key, [member, …])`, `zunionstore(destination,
//! numKeys, key | [key, …], { weights | weight, aggregate })`, `zdiffstore(destination,
//! numKeys, ...keys)`. The older range commands take the same options object
//! (`zrangebyscore(key, min, max, { withScores, offset, count })`).
//!
//! Scores are numbers; a score bound is a number or Redis's text (`'(1.5'`, `'-inf'`), a lex
//! bound Redis's text (`'[a'`, `'(a'`, `'-'`, `'+'`). Member/score answers are flat
//! `[member, score, …]` arrays with numeric scores ([`Shape::Scored`]).

use hedgestore_core::{
    Aggregate, Command, Error, LexBound, Limit, ScoreBound, ZAddComparison, ZAddCondition,
    ZAddOptions, ZRangeBy,
};
use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;

use super::{array_arg, call, key, on_key, on_key_and, on_key_and_list, Args, Built};
use crate::bindings::convert::Options;
use crate::bindings::convert::{self, bytes, bytes_list_nonempty, describe, name, Encoding};
use crate::bindings::errors::{engine_error, type_error};
use crate::bindings::shape::Shape;

/// A score: any number but `NaN` (Redis refuses it as not a float).
fn score(method: &str, what: &str, v: &JsValue) -> Result<f64, JsValue> {
    let n = convert::float(method, what, v)?;
    if n.is_nan() {
        return Err(engine_error(&Error::NotFloat));
    }
    Ok(n)
}

/// A `{ score, member }` object.
fn score_member(method: &str, v: &JsValue) -> Result<(f64, Vec<u8>), JsValue> {
    if !v.is_object() || Array::is_array(v) {
        return Err(type_error(
            method,
            &format!("expects {{ score, member }} objects, got {}", describe(v)),
        ));
    }
    let field = |n| Reflect::get(v, &name(n)).unwrap_or(JsValue::UNDEFINED);
    Ok((
        score(method, "score", &field("score"))?,
        bytes(method, "member", &field("member"))?,
    ))
}

pub(crate) fn zadd(k: &JsValue, first: &JsValue, rest: &Array) -> Built {
    let key = key("zadd", k)?;
    let is_pair = first.is_object() && Reflect::has(first, &name("member")).unwrap_or(false);
    let mut pairs = Vec::with_capacity(rest.length() as usize + 1);
    let mut options = ZAddOptions::default();
    if is_pair {
        pairs.push(score_member("zadd", first)?);
    } else {
        let o = Options::new("zadd", first, &["nx", "xx", "gt", "lt", "ch", "incr"])?;
        let (nx, xx, gt, lt) = (o.flag("nx")?, o.flag("xx")?, o.flag("gt")?, o.flag("lt")?);
        if nx && xx {
            return Err(engine_error(&Error::XxAndNx));
        }
        if (gt && lt) || (nx && (gt || lt)) {
            return Err(engine_error(&Error::GtLtNx));
        }
        options.condition = match (nx, xx) {
            (true, _) => ZAddCondition::Nx,
            (_, true) => ZAddCondition::Xx,
            _ => ZAddCondition::Always,
        };
        options.comparison = match (gt, lt) {
            (true, _) => ZAddComparison::Gt,
            (_, true) => ZAddComparison::Lt,
            _ => ZAddComparison::Any,
        };
        options.changed = o.flag("ch")?;
        options.incr = o.flag("incr")?;
    }
    for v in rest.iter() {
        pairs.push(score_member("zadd", &v)?);
    }
    if pairs.is_empty() {
        return Err(type_error("zadd", "expects at least one { score, member }"));
    }
    if options.incr && pairs.len() > 1 {
        return Err(engine_error(&Error::IncrSinglePair));
    }
    // With `incr`, the new score (or `null` when a condition prevented the change).
    let shape = if options.incr {
        Shape::OptFloat
    } else {
        Shape::Int
    };
    call(
        Command::ZAdd {
            key,
            options,
            pairs,
        },
        shape,
    )
}

pub(crate) fn zincrby(k: &JsValue, increment: &JsValue, member: &JsValue) -> Built {
    let key = key("zincrby", k)?;
    let increment = score("zincrby", "increment", increment)?;
    let member = bytes("zincrby", "member", member)?;
    call(
        Command::ZIncrBy {
            key,
            increment,
            member,
        },
        Shape::Float,
    )
}

/// `ZSCORE`, `ZRANK`, `ZREVRANK`: a number, or `null` for a missing member.
pub(crate) fn zmember(method: &'static str, k: &JsValue, member: &JsValue) -> Built {
    let make: fn(Vec<u8>, Vec<u8>) -> Command = match method {
        "zscore" => |key, member| Command::ZScore { key, member },
        "zrank" => |key, member| Command::ZRank {
            key,
            member,
            with_score: false,
        },
        _ => |key, member| Command::ZRevRank {
            key,
            member,
            with_score: false,
        },
    };
    on_key_and(method, "member", k, member, make, Shape::OptFloat)
}

pub(crate) fn zmscore(k: &JsValue, members: &JsValue) -> Built {
    let members = array_arg("zmscore", "members", members)?;
    on_key_and_list(
        "zmscore",
        "member",
        k,
        &members,
        |key, members| Command::ZMScore { key, members },
        Shape::OptFloats,
    )
}

pub(crate) fn zcard(k: &JsValue) -> Built {
    on_key("zcard", k, |key| Command::ZCard { key }, Shape::Int)
}

pub(crate) fn zrem(k: &JsValue, members: &Array) -> Built {
    on_key_and_list(
        "zrem",
        "member",
        k,
        members,
        |key, members| Command::ZRem { key, members },
        Shape::Int,
    )
}

/// A score bound: a number (inclusive) or Redis's text (`'(1'`, `'-inf'`).
fn score_bound(method: &str, what: &str, v: &JsValue) -> Result<ScoreBound, JsValue> {
    match v.as_f64() {
        Some(n) if n.is_nan() => Err(engine_error(&Error::MinMaxNotFloat)),
        Some(n) => Ok(ScoreBound::inclusive(n)),
        None => ScoreBound::parse(&bytes(method, what, v)?).map_err(|e| engine_error(&e)),
    }
}

/// A lex bound: `'[member'`, `'(member'`, `'-'` or `'+'`.
fn lex_bound(method: &str, what: &str, v: &JsValue) -> Result<LexBound, JsValue> {
    LexBound::parse(&bytes(method, what, v)?).map_err(|e| engine_error(&e))
}

/// `ZCOUNT key min max` (score bounds) and `ZLEXCOUNT key min max` (lex bounds).
pub(crate) fn zcount(method: &'static str, k: &JsValue, min: &JsValue, max: &JsValue) -> Built {
    let key = key(method, k)?;
    let command = if method == "zcount" {
        let min = score_bound(method, "min", min)?;
        let max = score_bound(method, "max", max)?;
        Command::ZCount { key, min, max }
    } else {
        let min = lex_bound(method, "min", min)?;
        let max = lex_bound(method, "max", max)?;
        Command::ZLexCount { key, min, max }
    };
    call(command, Shape::Int)
}

/// What a range selects: ranks, scores or lex bounds.
#[derive(Clone, Copy, PartialEq)]
enum By {
    Rank,
    Score,
    Lex,
}

/// The range of arguments `first` and `second`, as given (`max` first when `reversed`).
fn range_by(
    method: &str,
    by: By,
    reversed: bool,
    first: &JsValue,
    second: &JsValue,
) -> Result<ZRangeBy, JsValue> {
    let (a, b) = if reversed {
        ("max", "min")
    } else {
        ("min", "max")
    };
    Ok(match by {
        By::Rank => ZRangeBy::Rank(
            convert::int(method, "start", first)?,
            convert::int(method, "stop", second)?,
        ),
        By::Score => ZRangeBy::Score(
            score_bound(method, a, first)?,
            score_bound(method, b, second)?,
        ),
        By::Lex => ZRangeBy::Lex(lex_bound(method, a, first)?, lex_bound(method, b, second)?),
    })
}

/// `ZRANGE` (`min, max, { byScore | byLex, rev, offset, count, withScores }`) and the older
/// range commands (`ZREVRANGE`, `ZRANGEBYSCORE`, `ZREVRANGEBYSCORE`, `ZRANGEBYLEX`,
/// `ZREVRANGEBYLEX`), whose options are the ones their Redis form has. As in Redis, the
/// reversed score and lex forms take `max` before `min`.
pub(crate) fn zrange(method: &'static str, a: &Args) -> Built {
    let key = key(method, &a.at(0))?;
    let known: &[&str] = match method {
        "zrange" => &["byScore", "byLex", "rev", "offset", "count", "withScores"],
        "zrevrange" => &["withScores"],
        "zrangebylex" | "zrevrangebylex" => &["offset", "count"],
        _ => &["offset", "count", "withScores"],
    };
    let o = Options::new(method, &a.at(3), known)?;
    let by = match method {
        "zrange" => match (o.flag("byScore")?, o.flag("byLex")?) {
            (true, true) => return Err(o.invalid("byScore and byLex exclude each other")),
            (true, false) => By::Score,
            (false, true) => By::Lex,
            (false, false) => By::Rank,
        },
        "zrevrange" => By::Rank,
        "zrangebyscore" | "zrevrangebyscore" => By::Score,
        _ => By::Lex,
    };
    let rev = method.starts_with("zrev") || o.flag("rev")?;
    let limit: Limit = match (o.int("offset")?, o.int("count")?) {
        (Some(offset), Some(count)) => Some((offset, count)),
        (None, None) => None,
        _ => return Err(o.invalid("offset and count go together")),
    };
    let with_scores = o.flag("withScores")?;
    if limit.is_some() && by == By::Rank {
        return Err(engine_error(&Error::LimitWithRank));
    }
    if with_scores && by == By::Lex {
        return Err(engine_error(&Error::WithScoresByLex));
    }
    let by = range_by(method, by, rev, &a.at(1), &a.at(2))?;
    let shape = if with_scores {
        Shape::Scored
    } else {
        Shape::Values(Encoding::Text)
    };
    call(
        Command::ZRange {
            key,
            by,
            rev,
            limit,
            with_scores,
        },
        shape,
    )
}

/// `ZREMRANGEBYRANK key start stop`, `ZREMRANGEBYSCORE key min max`, `ZREMRANGEBYLEX key min
/// max`: how many members were removed.
pub(crate) fn zremrange(method: &'static str, a: &Args) -> Built {
    let key = key(method, &a.at(0))?;
    let by = match method {
        "zremrangebyrank" => By::Rank,
        "zremrangebyscore" => By::Score,
        _ => By::Lex,
    };
    let command = match range_by(method, by, false, &a.at(1), &a.at(2))? {
        ZRangeBy::Rank(start, stop) => Command::ZRemRangeByRank { key, start, stop },
        ZRangeBy::Score(min, max) => Command::ZRemRangeByScore { key, min, max },
        ZRangeBy::Lex(min, max) => Command::ZRemRangeByLex { key, min, max },
    };
    call(command, Shape::Int)
}

/// `ZPOPMIN key [count]` and `ZPOPMAX key [count]`: `[member, score, …]`.
pub(crate) fn zpop(min: bool, k: &JsValue, count: &JsValue) -> Built {
    let method = if min { "zpopmin" } else { "zpopmax" };
    let key = key(method, k)?;
    let count = convert::opt_count(method, "count", count)?;
    let command = if min {
        Command::ZPopMin { key, count }
    } else {
        Command::ZPopMax { key, count }
    };
    call(command, Shape::Scored)
}

/// `ZRANDMEMBER key [count [WITHSCORES]]`: a member (or `null`) without a count; with one,
/// an array (`[member, score, …]` with `{ withScores: true }`).
pub(crate) fn zrandmember(k: &JsValue, count: &JsValue, options: &JsValue) -> Built {
    let key = key("zrandmember", k)?;
    let count = convert::opt_int("zrandmember", "count", count)?;
    let with_scores = Options::new("zrandmember", options, &["withScores"])?.flag("withScores")?;
    let shape = match (count, with_scores) {
        (None, true) => return Err(type_error("zrandmember", "withScores needs a count")),
        (None, false) => Shape::Value(Encoding::Text),
        (Some(_), false) => Shape::Values(Encoding::Text),
        (Some(_), true) => Shape::Scored,
    };
    call(
        Command::ZRandMember {
            key,
            count,
            with_scores,
        },
        shape,
    )
}

/// `key | [key, …]`, as an array.
fn one_or_many(v: &JsValue) -> Array {
    if Array::is_array(v) {
        Array::from(v)
    } else {
        Array::of1(v)
    }
}

/// The keys of a combination, checked against its `numKeys` argument.
fn counted_keys(
    method: &'static str,
    num_keys: &JsValue,
    keys: &Array,
) -> Result<Vec<Vec<u8>>, JsValue> {
    let keys = bytes_list_nonempty(method, "key", keys)?;
    let num_keys = convert::int(method, "numKeys", num_keys)?;
    if num_keys != keys.len() as i64 {
        return Err(type_error(
            method,
            &format!("numKeys is {num_keys} but {} keys were given", keys.len()),
        ));
    }
    Ok(keys)
}

/// The `weights` (or single `weight`) and `aggregate` options of a combination of `keys`
/// sets (`@upstash/redis`'s spelling); a weight count other than the key count is Redis's
/// syntax error.
fn weights_and_aggregate(
    method: &'static str,
    o: &Options,
    keys: usize,
) -> Result<(Option<Vec<f64>>, Aggregate), JsValue> {
    let weights = match (o.get("weights"), o.get("weight")) {
        (Some(_), Some(_)) => return Err(o.invalid("give weights or weight, not both")),
        (Some(list), None) => {
            let list = array_arg(method, "option weights", &list)?;
            let mut weights = Vec::with_capacity(list.length() as usize);
            for w in list.iter() {
                weights.push(score(method, "weight", &w)?);
            }
            Some(weights)
        }
        (None, Some(w)) => Some(vec![score(method, "weight", &w)?]),
        (None, None) => None,
    };
    if weights.as_ref().is_some_and(|w| w.len() != keys) {
        return Err(engine_error(&Error::Syntax));
    }
    let aggregate = match o
        .string("aggregate")?
        .map(|s| s.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("sum") => Aggregate::Sum,
        Some("min") => Aggregate::Min,
        Some("max") => Aggregate::Max,
        Some(_) => return Err(o.invalid("aggregate must be 'sum', 'min' or 'max'")),
    };
    Ok((weights, aggregate))
}

/// `ZUNIONSTORE` and `ZINTERSTORE` (`destination, numKeys, key | [key, …], { weights |
/// weight, aggregate }`) and `ZDIFFSTORE` (`destination, numKeys, ...keys`): the size of
/// the stored set. `numKeys` must be the number of keys given.
pub(crate) fn zstore(method: &'static str, a: &Args) -> Built {
    let destination = bytes(method, "destination", &a.at(0))?;
    let keys = if method == "zdiffstore" {
        a.rest(2)
    } else {
        one_or_many(&a.at(2))
    };
    let keys = counted_keys(method, &a.at(1), &keys)?;
    if method == "zdiffstore" {
        return call(Command::ZDiffStore { destination, keys }, Shape::Int);
    }
    let o = Options::new(method, &a.at(3), &["weights", "weight", "aggregate"])?;
    let (weights, aggregate) = weights_and_aggregate(method, &o, keys.len())?;
    let command = if method == "zunionstore" {
        Command::ZUnionStore {
            destination,
            keys,
            weights,
            aggregate,
        }
    } else {
        Command::ZInterStore {
            destination,
            keys,
            weights,
            aggregate,
        }
    };
    call(command, Shape::Int)
}

/// `zunion(numKeys, keys, { weights, weight, aggregate, withScores })` (`@upstash/redis`'s
/// signature), and `zinter` and `zdiff` (without weights or aggregate) alike.
pub(crate) fn zcombine(method: &'static str, a: &Args) -> Built {
    let keys = one_or_many(&a.at(1));
    let keys = counted_keys(method, &a.at(0), &keys)?;
    let known: &[&str] = if method == "zdiff" {
        &["withScores"]
    } else {
        &["weights", "weight", "aggregate", "withScores"]
    };
    let o = Options::new(method, &a.at(2), known)?;
    let with_scores = o.flag("withScores")?;
    let shape = if with_scores {
        Shape::Scored
    } else {
        Shape::Values(Encoding::Text)
    };
    if method == "zdiff" {
        return call(Command::ZDiff { keys, with_scores }, shape);
    }
    let (weights, aggregate) = weights_and_aggregate(method, &o, keys.len())?;
    let command = if method == "zunion" {
        Command::ZUnion {
            keys,
            weights,
            aggregate,
            with_scores,
        }
    } else {
        Command::ZInter {
            keys,
            weights,
            aggregate,
            with_scores,
        }
    };
    call(command, shape)
}

/// `zintercard(numKeys, keys, { limit })`.
pub(crate) fn zintercard(a: &Args) -> Built {
    let keys = one_or_many(&a.at(1));
    let keys = counted_keys("zintercard", &a.at(0), &keys)?;
    let limit = Options::new("zintercard", &a.at(2), &["limit"])?.count("limit")?;
    call(Command::ZInterCard { keys, limit }, Shape::Int)
}

/// `zrangestore(destination, key, min, max, { byScore, byLex, rev, offset, count })`:
/// `zrange`'s options but `withScores`.
pub(crate) fn zrangestore(a: &Args) -> Built {
    let method = "zrangestore";
    let destination = bytes(method, "destination", &a.at(0))?;
    let key = key(method, &a.at(1))?;
    let o = Options::new(
        method,
        &a.at(4),
        &["byScore", "byLex", "rev", "offset", "count"],
    )?;
    let by = match (o.flag("byScore")?, o.flag("byLex")?) {
        (true, true) => return Err(o.invalid("byScore and byLex exclude each other")),
        (true, false) => By::Score,
        (false, true) => By::Lex,
        (false, false) => By::Rank,
    };
    let rev = o.flag("rev")?;
    let limit: Limit = match (o.int("offset")?, o.int("count")?) {
        (Some(offset), Some(count)) => Some((offset, count)),
        (None, None) => None,
        _ => return Err(o.invalid("offset and count go together")),
    };
    if limit.is_some() && by == By::Rank {
        return Err(engine_error(&Error::LimitWithRank));
    }
    let by = range_by(method, by, rev, &a.at(2), &a.at(3))?;
    call(
        Command::ZRangeStore {
            destination,
            key,
            by,
            rev,
            limit,
        },
        Shape::Int,
    )
}
