//! Reading the sorted set commands from their argument arrays, in Redis's order of checks:
//! options first (syntax, then conflicts), then the numbers and bounds.

use alloc::vec::Vec;

use super::read::{eq, int, list, pop_count, scan_cursor, scan_options};
use super::table::{CommandKind, CommandSpec};
use super::{
    Aggregate, Command, LexBound, Limit, ScoreBound, ZAddComparison, ZAddCondition, ZAddOptions,
    ZRangeBy,
};
use crate::num::parse_score;
use crate::Error;

fn score(arg: &[u8]) -> Result<f64, Error> {
    parse_score(arg).ok_or(Error::NotFloat)
}

fn score_bound(arg: &[u8]) -> Result<ScoreBound, Error> {
    ScoreBound::parse(arg)
}

fn lex_bound(arg: &[u8]) -> Result<LexBound, Error> {
    LexBound::parse(arg)
}

/// What a range command's options say.
#[derive(Default)]
struct RangeOptions {
    rev: bool,
    by_score: bool,
    by_lex: bool,
    limit: Limit,
    with_scores: bool,
}

/// Reads `WITHSCORES`, `LIMIT offset count` and, for `ZRANGE` (`open`), `REV`, `BYSCORE`,
/// `BYLEX` (each of those at most once). `preset` is what the older commands range by:
/// ranks (`None`), scores (`Some(false)`), lex (`Some(true)`).
fn range_options<A: AsRef<[u8]>>(
    opts: &[A],
    open: bool,
    preset: Option<bool>,
) -> Result<RangeOptions, Error> {
    let mut o = RangeOptions {
        by_score: preset == Some(false),
        by_lex: preset == Some(true),
        ..RangeOptions::default()
    };
    let mut i = 0;
    while i < opts.len() {
        let opt = opts[i].as_ref();
        let left = opts.len() - i - 1;
        if eq(opt, "WITHSCORES") {
            o.with_scores = true;
        } else if eq(opt, "LIMIT") && left >= 2 {
            o.limit = Some((int(opts[i + 1].as_ref())?, int(opts[i + 2].as_ref())?));
            i += 2;
        } else if open && !o.rev && eq(opt, "REV") {
            o.rev = true;
        } else if open && !o.by_score && !o.by_lex && eq(opt, "BYLEX") {
            o.by_lex = true;
        } else if open && !o.by_score && !o.by_lex && eq(opt, "BYSCORE") {
            o.by_score = true;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    let by_rank = !o.by_score && !o.by_lex;
    if by_rank && o.limit.is_some_and(|(_, count)| count != -1) {
        return Err(Error::LimitWithRank);
    }
    if o.by_lex && o.with_scores {
        return Err(Error::WithScoresByLex);
    }
    Ok(o)
}

fn zadd<A: AsRef<[u8]>>(args: &[A]) -> Result<Command, Error> {
    let mut options = ZAddOptions::default();
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    let mut at = 2;
    while let Some(opt) = args.get(at).map(AsRef::as_ref) {
        if eq(opt, "NX") {
            nx = true;
        } else if eq(opt, "XX") {
            xx = true;
        } else if eq(opt, "CH") {
            options.changed = true;
        } else if eq(opt, "INCR") {
            options.incr = true;
        } else if eq(opt, "GT") {
            gt = true;
        } else if eq(opt, "LT") {
            lt = true;
        } else {
            break;
        }
        at += 1;
    }
    let rest = &args[at..];
    if rest.is_empty() || rest.len() % 2 != 0 {
        return Err(Error::Syntax);
    }
    if nx && xx {
        return Err(Error::XxAndNx);
    }
    if (nx && (gt || lt)) || (gt && lt) {
        return Err(Error::GtLtNx);
    }
    if options.incr && rest.len() > 2 {
        return Err(Error::IncrSinglePair);
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
    let pairs = rest
        .chunks_exact(2)
        .map(|p| Ok((score(p[0].as_ref())?, p[1].as_ref().to_vec())))
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Command::ZAdd {
        key: args[1].as_ref().to_vec(),
        options,
        pairs,
    })
}

/// `destination numkeys key … [WEIGHTS …] [AGGREGATE …]`: the keys, weights, aggregate.
type Combination = (Vec<Vec<u8>>, Option<Vec<f64>>, Aggregate);

/// A combination's keys, weights, aggregate and `WITHSCORES`.
type ReadCombination = (Vec<Vec<u8>>, Option<Vec<f64>>, Aggregate, bool);

fn combination<A: AsRef<[u8]>>(
    args: &[A],
    spec: &CommandSpec,
    with_options: bool,
) -> Result<Combination, Error> {
    let (keys, weights, aggregate, _) = combination_at(args, spec, 2, with_options, false)?;
    Ok((keys, weights, aggregate))
}

/// `ZUNION`/`ZINTER`/`ZDIFF numkeys key … [WEIGHTS …] [AGGREGATE …] [WITHSCORES]` (no
/// `WEIGHTS` or `AGGREGATE` for `ZDIFF`).
pub(super) fn reading_combination<A: AsRef<[u8]>>(
    spec: &CommandSpec,
    args: &[A],
) -> Result<Command, Error> {
    let diff = spec.kind == CommandKind::ZDiff;
    let (keys, weights, aggregate, with_scores) = combination_at(args, spec, 1, !diff, true)?;
    Ok(match spec.kind {
        CommandKind::ZUnion => Command::ZUnion {
            keys,
            weights,
            aggregate,
            with_scores,
        },
        CommandKind::ZInter => Command::ZInter {
            keys,
            weights,
            aggregate,
            with_scores,
        },
        _ => Command::ZDiff { keys, with_scores },
    })
}

/// `ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]`: `ZRANGE`'s
/// options but `WITHSCORES`.
pub(super) fn zrangestore<A: AsRef<[u8]>>(args: &[A]) -> Result<Command, Error> {
    let a = |i: usize| args[i].as_ref();
    if args[5..].iter().any(|o| eq(o.as_ref(), "WITHSCORES")) {
        return Err(Error::Syntax);
    }
    let o = range_options(&args[5..], true, None)?;
    let by = if o.by_score {
        ZRangeBy::Score(score_bound(a(3))?, score_bound(a(4))?)
    } else if o.by_lex {
        ZRangeBy::Lex(lex_bound(a(3))?, lex_bound(a(4))?)
    } else {
        ZRangeBy::Rank(int(a(3))?, int(a(4))?)
    };
    Ok(Command::ZRangeStore {
        destination: a(1).to_vec(),
        key: a(2).to_vec(),
        by,
        rev: o.rev,
        limit: o.limit,
    })
}

/// `ZINTERCARD numkeys key … [LIMIT limit]`, read as Redis reads the other combinations
/// (its count errors are theirs, not `SINTERCARD`'s); the last `LIMIT` wins.
pub(super) fn zintercard<A: AsRef<[u8]>>(spec: &CommandSpec, args: &[A]) -> Result<Command, Error> {
    let n = int(args[1].as_ref())?;
    if n < 1 {
        return Err(Error::AtLeastOneKey(spec.id));
    }
    let n = usize::try_from(n).map_err(|_| Error::Syntax)?;
    if n > args.len() - 2 {
        return Err(Error::Syntax);
    }
    let keys = list(&args[2..2 + n]);
    let mut limit = None;
    let mut j = 2 + n;
    while j < args.len() {
        match args.get(j + 1) {
            Some(value) if eq(args[j].as_ref(), "LIMIT") => {
                let l = crate::num::parse_i64(value.as_ref())
                    .and_then(|l| usize::try_from(l).ok())
                    .ok_or(Error::NegativeLimit)?;
                limit = Some(l);
            }
            _ => return Err(Error::Syntax),
        }
        j += 2;
    }
    Ok(Command::ZInterCard { keys, limit })
}

/// The count at `at`, its keys, then the options in any order, as Redis reads them:
/// `WEIGHTS` and `AGGREGATE` when `with_options`, `WITHSCORES` when `reading` (a command
/// without a destination).
fn combination_at<A: AsRef<[u8]>>(
    args: &[A],
    spec: &CommandSpec,
    at: usize,
    with_options: bool,
    reading: bool,
) -> Result<ReadCombination, Error> {
    let n = int(args[at].as_ref())?;
    if n < 1 {
        return Err(Error::AtLeastOneKey(spec.id));
    }
    let n = usize::try_from(n).map_err(|_| Error::Syntax)?;
    if n > args.len() - at - 1 {
        return Err(Error::Syntax);
    }
    let keys = list(&args[at + 1..at + 1 + n]);
    let (mut weights, mut aggregate, mut with_scores) = (None, Aggregate::Sum, false);
    let mut j = at + 1 + n;
    while j < args.len() {
        let remaining = args.len() - j;
        let opt = args[j].as_ref();
        if with_options && remaining > n && eq(opt, "WEIGHTS") {
            let w = args[j + 1..=j + n]
                .iter()
                .map(|w| parse_score(w.as_ref()).ok_or(Error::WeightNotFloat))
                .collect::<Result<Vec<f64>, Error>>()?;
            weights = Some(w);
            j += n + 1;
        } else if with_options && remaining >= 2 && eq(opt, "AGGREGATE") {
            let how = args[j + 1].as_ref();
            aggregate = if eq(how, "SUM") {
                Aggregate::Sum
            } else if eq(how, "MIN") {
                Aggregate::Min
            } else if eq(how, "MAX") {
                Aggregate::Max
            } else {
                return Err(Error::Syntax);
            };
            j += 2;
        } else if reading && eq(opt, "WITHSCORES") {
            with_scores = true;
            j += 1;
        } else {
            return Err(Error::Syntax);
        }
    }
    Ok((keys, weights, aggregate, with_scores))
}

/// Parses a sorted set command that writes, whose row is `spec`.
pub(super) fn parse_write<A: AsRef<[u8]>>(
    spec: &CommandSpec,
    args: &[A],
) -> Result<Command, Error> {
    let a = |i: usize| args[i].as_ref();
    let key = || a(1).to_vec();
    Ok(match spec.kind {
        CommandKind::ZAdd => zadd(args)?,
        CommandKind::ZIncrBy => Command::ZIncrBy {
            key: key(),
            increment: score(a(2))?,
            member: a(3).to_vec(),
        },
        CommandKind::ZRem => Command::ZRem {
            key: key(),
            members: list(&args[2..]),
        },
        CommandKind::ZRemRangeByRank => Command::ZRemRangeByRank {
            key: key(),
            start: int(a(2))?,
            stop: int(a(3))?,
        },
        CommandKind::ZRemRangeByScore => Command::ZRemRangeByScore {
            key: key(),
            min: score_bound(a(2))?,
            max: score_bound(a(3))?,
        },
        CommandKind::ZRemRangeByLex => Command::ZRemRangeByLex {
            key: key(),
            min: lex_bound(a(2))?,
            max: lex_bound(a(3))?,
        },
        CommandKind::ZPopMin | CommandKind::ZPopMax => {
            if args.len() > 3 {
                return Err(Error::Syntax);
            }
            let count = pop_count(args, spec.name())?;
            if spec.kind == CommandKind::ZPopMin {
                Command::ZPopMin { key: key(), count }
            } else {
                Command::ZPopMax { key: key(), count }
            }
        }
        CommandKind::ZUnionStore | CommandKind::ZInterStore => {
            let (keys, weights, aggregate) = combination(args, spec, true)?;
            if spec.kind == CommandKind::ZUnionStore {
                Command::ZUnionStore {
                    destination: key(),
                    keys,
                    weights,
                    aggregate,
                }
            } else {
                Command::ZInterStore {
                    destination: key(),
                    keys,
                    weights,
                    aggregate,
                }
            }
        }
        CommandKind::ZDiffStore => Command::ZDiffStore {
            destination: key(),
            keys: combination(args, spec, false)?.0,
        },
        _ => unreachable!("only sorted set rows that write are parsed here"),
    })
}

/// Parses a sorted set command that reads, whose row is `spec`.
pub(super) fn parse_read<A: AsRef<[u8]>>(spec: &CommandSpec, args: &[A]) -> Result<Command, Error> {
    let a = |i: usize| args[i].as_ref();
    let key = || a(1).to_vec();
    Ok(match spec.kind {
        CommandKind::ZScore => Command::ZScore {
            key: key(),
            member: a(2).to_vec(),
        },
        CommandKind::ZMScore => Command::ZMScore {
            key: key(),
            members: list(&args[2..]),
        },
        CommandKind::ZCard => Command::ZCard { key: key() },
        CommandKind::ZCount => Command::ZCount {
            key: key(),
            min: score_bound(a(2))?,
            max: score_bound(a(3))?,
        },
        CommandKind::ZLexCount => Command::ZLexCount {
            key: key(),
            min: lex_bound(a(2))?,
            max: lex_bound(a(3))?,
        },
        CommandKind::ZRank | CommandKind::ZRevRank => {
            let with_score = match args.get(3) {
                _ if args.len() > 4 => return Err(Error::WrongArity(spec.name())),
                None => false,
                Some(w) if eq(w.as_ref(), "WITHSCORE") => true,
                Some(_) => return Err(Error::Syntax),
            };
            let (key, member) = (key(), a(2).to_vec());
            if spec.kind == CommandKind::ZRank {
                Command::ZRank {
                    key,
                    member,
                    with_score,
                }
            } else {
                Command::ZRevRank {
                    key,
                    member,
                    with_score,
                }
            }
        }
        CommandKind::ZRange => {
            let o = range_options(&args[4..], true, None)?;
            let by = if o.by_score {
                ZRangeBy::Score(score_bound(a(2))?, score_bound(a(3))?)
            } else if o.by_lex {
                ZRangeBy::Lex(lex_bound(a(2))?, lex_bound(a(3))?)
            } else {
                ZRangeBy::Rank(int(a(2))?, int(a(3))?)
            };
            Command::ZRange {
                key: key(),
                by,
                rev: o.rev,
                limit: o.limit,
                with_scores: o.with_scores,
            }
        }
        CommandKind::ZRevRange => {
            let o = range_options(&args[4..], false, None)?;
            Command::ZRevRange {
                key: key(),
                start: int(a(2))?,
                stop: int(a(3))?,
                with_scores: o.with_scores,
            }
        }
        CommandKind::ZRangeByScore | CommandKind::ZRevRangeByScore => {
            let o = range_options(&args[4..], false, Some(false))?;
            let (from, to) = (score_bound(a(2))?, score_bound(a(3))?);
            if spec.kind == CommandKind::ZRangeByScore {
                Command::ZRangeByScore {
                    key: key(),
                    min: from,
                    max: to,
                    limit: o.limit,
                    with_scores: o.with_scores,
                }
            } else {
                Command::ZRevRangeByScore {
                    key: key(),
                    max: from,
                    min: to,
                    limit: o.limit,
                    with_scores: o.with_scores,
                }
            }
        }
        CommandKind::ZRangeByLex | CommandKind::ZRevRangeByLex => {
            let o = range_options(&args[4..], false, Some(true))?;
            let (from, to) = (lex_bound(a(2))?, lex_bound(a(3))?);
            if spec.kind == CommandKind::ZRangeByLex {
                Command::ZRangeByLex {
                    key: key(),
                    min: from,
                    max: to,
                    limit: o.limit,
                }
            } else {
                Command::ZRevRangeByLex {
                    key: key(),
                    max: from,
                    min: to,
                    limit: o.limit,
                }
            }
        }
        CommandKind::ZRandMember => {
            let count = match args.get(2) {
                None => None,
                Some(raw) => match int(raw.as_ref())? {
                    i64::MIN => return Err(Error::CountOutOfRange),
                    n => Some(n),
                },
            };
            let with_scores = match args.get(3) {
                _ if args.len() > 4 => return Err(Error::Syntax),
                None => false,
                Some(w) if eq(w.as_ref(), "WITHSCORES") => true,
                Some(_) => return Err(Error::Syntax),
            };
            if with_scores && count.is_some_and(|n| n.unsigned_abs() > i64::MAX as u64 / 2) {
                return Err(Error::ValueOutOfRange);
            }
            Command::ZRandMember {
                key: key(),
                count,
                with_scores,
            }
        }
        CommandKind::ZScan => {
            let cursor = scan_cursor(a(2))?;
            let (pattern, count, _) = scan_options(&args[3..], false)?;
            Command::ZScan {
                key: key(),
                cursor,
                pattern,
                count,
            }
        }
        _ => unreachable!("only sorted set rows that read are parsed here"),
    })
}
