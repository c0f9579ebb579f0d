//! The typed options of the sorted set commands: score and lex bounds, `ZADD`'s flags,
//! `ZRANGE`'s forms, the aggregation of `ZUNIONSTORE`/`ZINTERSTORE`.

use alloc::vec::Vec;

use crate::num::parse_range_score;
use crate::Error;

/// One end of a score range: `1.5`, `(1.5` (exclusive), `-inf`, `+inf`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreBound {
    /// The score (never NaN; may be infinite).
    pub value: f64,
    /// Whether the bound itself is excluded (written `(value`).
    pub exclusive: bool,
}

impl ScoreBound {
    /// An inclusive bound.
    pub fn inclusive(value: f64) -> ScoreBound {
        ScoreBound {
            value,
            exclusive: false,
        }
    }

    /// Reads a bound as Redis writes it: `1.5`, `(1.5`, `-inf`, `+inf`.
    pub fn parse(arg: &[u8]) -> Result<ScoreBound, Error> {
        let (raw, exclusive) = match arg.strip_prefix(b"(") {
            Some(rest) => (rest, true),
            None => (arg, false),
        };
        let value = parse_range_score(raw).ok_or(Error::MinMaxNotFloat)?;
        Ok(ScoreBound { value, exclusive })
    }
}

/// One end of a lexicographic range: `-`, `+`, `[member` or `(member`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexBound {
    /// `-`: before every member.
    Min,
    /// `+`: after every member.
    Max,
    /// `[member`: the member included.
    Inclusive(Vec<u8>),
    /// `(member`: the member excluded.
    Exclusive(Vec<u8>),
}

impl LexBound {
    /// Reads a bound as Redis writes it: `-`, `+`, `[member`, `(member`.
    pub fn parse(arg: &[u8]) -> Result<LexBound, Error> {
        match arg {
            b"-" => Ok(LexBound::Min),
            b"+" => Ok(LexBound::Max),
            [b'[', rest @ ..] => Ok(LexBound::Inclusive(rest.to_vec())),
            [b'(', rest @ ..] => Ok(LexBound::Exclusive(rest.to_vec())),
            _ => Err(Error::MinMaxNotLex),
        }
    }
}

/// What `ZRANGE` selects by.
#[derive(Debug, Clone, PartialEq)]
pub enum ZRangeBy {
    /// Ranks `start..=stop` (negative counts from the end).
    Rank(i64, i64),
    /// `BYSCORE min max`.
    Score(ScoreBound, ScoreBound),
    /// `BYLEX min max`.
    Lex(LexBound, LexBound),
}

/// `LIMIT offset count` of a score or lex range: a negative offset selects nothing, a
/// negative count means no limit.
pub type Limit = Option<(i64, i64)>;

/// `ZADD`'s existence condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ZAddCondition {
    /// Add or update.
    #[default]
    Always,
    /// `NX`: only add new members.
    Nx,
    /// `XX`: only update existing members.
    Xx,
}

/// `ZADD`'s score comparison for existing members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ZAddComparison {
    /// Update whatever the new score.
    #[default]
    Any,
    /// `GT`: only when the new score is greater.
    Gt,
    /// `LT`: only when the new score is less.
    Lt,
}

/// `ZADD`'s options. `NX` goes with neither `GT` nor `LT` (the parser refuses it; the engine
/// treats such a combination as `NX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ZAddOptions {
    /// `NX` / `XX`.
    pub condition: ZAddCondition,
    /// `GT` / `LT`.
    pub comparison: ZAddComparison,
    /// `CH`: count updated members too.
    pub changed: bool,
    /// `INCR`: add the score to the current one (one pair only) and reply with the result.
    pub incr: bool,
}

/// How `ZUNIONSTORE` and `ZINTERSTORE` combine the scores of a member found in several
/// sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Aggregate {
    /// Their sum (a NaN sum, from `inf` and `-inf`, counts as 0).
    #[default]
    Sum,
    /// The least.
    Min,
    /// The greatest.
    Max,
}
