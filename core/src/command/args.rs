//! Writing a command back in Redis's argument-array form: what the Redis backend sends and
//! what the remote protocol carries. `Command::parse(&cmd.to_args()) == Ok(cmd)` for every
//! command (tested).
//!
//! Longer than 600 lines on purpose: one exhaustive `match` writes every command's layout,
//! and splitting it would split that one description.

use alloc::vec;
use alloc::vec::Vec;

use super::{
    Aggregate, BitRange, LexBound, Limit, ScoreBound, ZAddComparison, ZAddCondition, ZRangeBy,
};
use super::{
    Command, ExpireCondition, Expiry, GeoUnit, GetExOption, InsertPosition, ListEnd, SetCondition,
};
use crate::decimal::format_float_arg;
use crate::num::format_i64;

/// One argument of a command, before it is written out as bytes.
#[derive(Debug, Clone)]
pub(crate) enum Arg<'a> {
    /// The command name (written in uppercase).
    Name(&'static str),
    /// Bytes the command holds: a key, a value, a field, a pattern.
    Bytes(&'a [u8]),
    /// A fixed option word (`EX`, `NX`, `CHANNELS`).
    Word(&'static str),
    /// An integer argument.
    Int(i64),
    /// Bytes built for the argument (a range bound such as `(1.5` or `[member`).
    Owned(Vec<u8>),
    /// A float argument: a whole number with every digit, anything else in its shortest
    /// decimal form; parsing it back gives the same value.
    Float(f64),
}

impl Arg<'_> {
    /// The argument as Redis receives it.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        match self {
            Arg::Name(name) => name.to_ascii_uppercase().into_bytes(),
            Arg::Bytes(b) => b.to_vec(),
            Arg::Owned(b) => b,
            Arg::Word(w) => w.as_bytes().to_vec(),
            Arg::Int(i) => format_i64(i),
            // Infinities cannot come out of an increment, but a built command may carry one;
            // Redis reads "inf" back.
            Arg::Float(f) if f.is_infinite() => {
                (if f > 0.0 { "inf" } else { "-inf" }).as_bytes().to_vec()
            }
            Arg::Float(f) => format_float_arg(f),
        }
    }
}

/// Where a command's arguments go as [`Command::args_into`] lays them out: a vector, or a
/// sink that only sizes them or writes each one out as it comes (no vector at all).
pub(crate) trait ArgSink<'a>: Extend<Arg<'a>> {
    /// Takes the next argument.
    fn push(&mut self, arg: Arg<'a>);
}

impl<'a> ArgSink<'a> for Vec<Arg<'a>> {
    fn push(&mut self, arg: Arg<'a>) {
        Vec::push(self, arg);
    }
}

/// An [`ArgSink`] from a closure.
struct Each<F>(F);

impl<'a, F: FnMut(Arg<'a>)> Extend<Arg<'a>> for Each<F> {
    fn extend<I: IntoIterator<Item = Arg<'a>>>(&mut self, args: I) {
        args.into_iter().for_each(&mut self.0);
    }
}

impl<'a, F: FnMut(Arg<'a>)> ArgSink<'a> for Each<F> {
    fn push(&mut self, arg: Arg<'a>) {
        (self.0)(arg);
    }
}

fn bit_range_args(range: &Option<BitRange>) -> Vec<Arg<'static>> {
    match *range {
        None => Vec::new(),
        Some(BitRange::From(start)) => vec![Arg::Int(start)],
        Some(BitRange::Between { start, end, unit }) => {
            vec![Arg::Int(start), Arg::Int(end), Arg::Word(unit.as_str())]
        }
    }
}

fn score_arg(b: ScoreBound) -> Arg<'static> {
    let mut v = if b.exclusive {
        alloc::vec![b'(']
    } else {
        Vec::new()
    };
    v.extend(Arg::Float(b.value).into_bytes());
    Arg::Owned(v)
}

fn lex_arg(b: &LexBound) -> Arg<'static> {
    Arg::Owned(match b {
        LexBound::Min => alloc::vec![b'-'],
        LexBound::Max => alloc::vec![b'+'],
        LexBound::Inclusive(m) => [&b"["[..], m].concat(),
        LexBound::Exclusive(m) => [&b"("[..], m].concat(),
    })
}

fn limit_args<'a>(a: &mut impl ArgSink<'a>, limit: &Limit) {
    if let Some((offset, count)) = limit {
        a.extend([Arg::Word("LIMIT"), Arg::Int(*offset), Arg::Int(*count)]);
    }
}

fn with_scores_arg<'a>(a: &mut impl ArgSink<'a>, with_scores: bool) {
    if with_scores {
        a.push(Arg::Word("WITHSCORES"));
    }
}

fn end_arg(end: ListEnd) -> Arg<'static> {
    Arg::Word(match end {
        ListEnd::Left => "LEFT",
        ListEnd::Right => "RIGHT",
    })
}

pub(super) fn expiry_args(e: Expiry) -> [Arg<'static>; 2] {
    match e {
        Expiry::Ex(v) => [Arg::Word("EX"), Arg::Int(v)],
        Expiry::Px(v) => [Arg::Word("PX"), Arg::Int(v)],
        Expiry::ExAt(v) => [Arg::Word("EXAT"), Arg::Int(v)],
        Expiry::PxAt(v) => [Arg::Word("PXAT"), Arg::Int(v)],
    }
}

impl Command {
    /// The command as Redis's argument array (name first, uppercase).
    pub fn to_args(&self) -> Vec<Vec<u8>> {
        self.args().into_iter().map(Arg::into_bytes).collect()
    }

    /// Calls `f` with each argument exactly as [`to_args`](Command::to_args) writes it (the
    /// name first, in uppercase), without building a vector per argument: bytes the command
    /// holds (keys, values) are passed as they are. What a client encoding the command
    /// for the wire wants.
    pub fn for_each_arg(&self, mut f: impl FnMut(&[u8])) {
        self.encode_args(|_, _| (), |(), a| f(a));
    }

    /// The key of a command whose table row lists exactly one key position (`GET`, `SET`,
    /// `HSET`, `LPUSH`, `ZADD` …): what [`keys`](Command::keys) returns as its only element,
    /// read without building the argument array (no allocation for most commands). `None`
    /// for keyless commands, for commands with several key positions, and for those whose
    /// keys follow a count (`LMPOP`, the scripts). A host that routes commands by key (the
    /// memory storage's shards) takes this fast path first.
    pub fn single_key(&self) -> Option<&[u8]> {
        // The hottest commands by their field, without walking the operands (a test checks
        // these against the table's key positions).
        match self {
            Command::Get { key }
            | Command::Set { key, .. }
            | Command::GetDel { key }
            | Command::SetNx { key, .. }
            | Command::SetEx { key, .. }
            | Command::PSetEx { key, .. }
            | Command::Incr { key }
            | Command::Decr { key }
            | Command::IncrBy { key, .. }
            | Command::DecrBy { key, .. }
            | Command::Append { key, .. }
            | Command::Expire { key, .. }
            | Command::HSet { key, .. }
            | Command::HGet { key, .. }
            | Command::HDel { key, .. }
            | Command::HIncrBy { key, .. }
            | Command::LPush { key, .. }
            | Command::RPush { key, .. }
            | Command::LPop { key, .. }
            | Command::RPop { key, .. } => return Some(key),
            _ => {}
        }
        self.single_key_by_table()
    }

    /// [`single_key`](Command::single_key) read through the command table's key positions
    /// (every command).
    fn single_key_by_table<'a>(&'a self) -> Option<&'a [u8]> {
        if matches!(
            self,
            Command::LMPop { .. }
                | Command::Eval { .. }
                | Command::EvalSha { .. }
                | Command::EvalRo { .. }
                | Command::EvalShaRo { .. }
        ) {
            return None;
        }
        let range = self.spec().keys;
        if range.first <= 0 || range.last != range.first {
            return None;
        }
        let at = range.first as usize;
        // Argument 1 is the first operand (the name, argument 0, is not looked up).
        let mut index = 1;
        let mut key: Option<&[u8]> = None;
        self.operands_into(&mut Each(|a: Arg<'a>| {
            if index == at {
                if let Arg::Bytes(k) = a {
                    key = Some(k);
                }
            }
            index += 1;
        }));
        key
    }

    /// [`for_each_arg`](Command::for_each_arg) for an encoder that sizes its buffers first:
    /// `start(argument count, total bytes)` makes the encoder (numbers counted at their
    /// longest form), then `push` gets each argument; no vector of arguments is built.
    pub fn encode_args<T>(
        &self,
        start: impl FnOnce(usize, usize) -> T,
        mut push: impl FnMut(&mut T, &[u8]),
    ) -> T {
        // Two walks over the layout, no vector of arguments: one sizes, one writes.
        let (mut count, mut bytes) = (0, 0);
        self.args_into(&mut Each(|a: Arg<'_>| {
            count += 1;
            bytes += match a {
                Arg::Name(n) | Arg::Word(n) => n.len(),
                Arg::Bytes(b) => b.len(),
                Arg::Owned(v) => v.len(),
                // The longest forms: `-9223372036854775808`, `-2.2250738585072014e-308`.
                Arg::Int(_) => 20,
                Arg::Float(_) => 24,
            };
        }));
        let mut out = start(count, bytes);
        self.args_into(&mut Each(|arg: Arg<'_>| match arg {
            Arg::Name(name) if name.len() <= 32 => {
                let mut upper = [0u8; 32];
                for (u, b) in upper.iter_mut().zip(name.bytes()) {
                    *u = b.to_ascii_uppercase();
                }
                push(&mut out, &upper[..name.len()]);
            }
            Arg::Bytes(b) => push(&mut out, b),
            Arg::Word(w) => push(&mut out, w.as_bytes()),
            other => push(&mut out, &other.into_bytes()),
        }));
        out
    }

    /// The command's arguments, borrowed where they are bytes it holds (keys, values):
    /// the one description of each command's argument layout, which [`to_args`] writes out
    /// and [`keys`](Command::keys) picks keys from at the table's key positions.
    ///
    /// [`to_args`]: Command::to_args
    pub(crate) fn args(&self) -> Vec<Arg<'_>> {
        // Room for most commands' arguments: one allocation, no regrowth.
        let mut a = Vec::with_capacity(8);
        self.args_into(&mut a);
        a
    }

    /// [`args`](Command::args) into any [`ArgSink`], in order: the one layout.
    pub(crate) fn args_into<'a>(&'a self, a: &mut impl ArgSink<'a>) {
        a.push(Arg::Name(self.name()));
        self.operands_into(a);
    }

    /// The arguments after the command's name (argument 1 onwards), into `a`.
    fn operands_into<'a>(&'a self, a: &mut impl ArgSink<'a>) {
        use Command::*;
        match self {
            Get { key }
            | GetDel { key }
            | Incr { key }
            | Decr { key }
            | StrLen { key }
            | Ttl { key }
            | PTtl { key }
            | Persist { key }
            | Type { key }
            | HGetAll { key }
            | HLen { key }
            | HKeys { key }
            | HVals { key }
            | LLen { key }
            | SMembers { key }
            | SCard { key }
            | ZCard { key } => a.push(Arg::Bytes(key)),
            Set {
                key,
                value,
                options,
            } => {
                a.extend([Arg::Bytes(key), Arg::Bytes(value)]);
                match options.condition {
                    SetCondition::Always => {}
                    SetCondition::IfNotExists => a.push(Arg::Word("NX")),
                    SetCondition::IfExists => a.push(Arg::Word("XX")),
                }
                if options.get {
                    a.push(Arg::Word("GET"));
                }
                match options.expiry {
                    Some(e) => a.extend(expiry_args(e)),
                    None if options.keep_ttl => a.push(Arg::Word("KEEPTTL")),
                    None => {}
                }
            }
            GetEx { key, option } => {
                a.push(Arg::Bytes(key));
                match option {
                    None => {}
                    Some(GetExOption::Persist) => a.push(Arg::Word("PERSIST")),
                    Some(GetExOption::Expiry(e)) => a.extend(expiry_args(*e)),
                }
            }
            MGet { keys }
            | Del { keys }
            | Exists { keys }
            | SInter { keys }
            | SUnion { keys }
            | SDiff { keys } => a.extend(keys.iter().map(|v| Arg::Bytes(v))),
            MSet { pairs } | MSetNx { pairs } => {
                for (k, v) in pairs {
                    a.extend([Arg::Bytes(k), Arg::Bytes(v)]);
                }
            }
            SetNx { key, value } | Append { key, value } | GetSet { key, value } => {
                a.extend([Arg::Bytes(key), Arg::Bytes(value)])
            }
            IncrBy { key, delta } | DecrBy { key, delta } => {
                a.extend([Arg::Bytes(key), Arg::Int(*delta)])
            }
            IncrByFloat { key, delta } => a.extend([Arg::Bytes(key), Arg::Float(*delta)]),
            Expire {
                key,
                expiry,
                condition,
            } => {
                let t = match expiry {
                    Expiry::Ex(v) | Expiry::Px(v) | Expiry::ExAt(v) | Expiry::PxAt(v) => *v,
                };
                a.extend([Arg::Bytes(key), Arg::Int(t)]);
                let words: &[&str] = match condition {
                    ExpireCondition::Always => &[],
                    ExpireCondition::Nx => &["NX"],
                    ExpireCondition::Xx => &["XX"],
                    ExpireCondition::Gt => &["GT"],
                    ExpireCondition::Lt => &["LT"],
                    ExpireCondition::XxGt => &["XX", "GT"],
                    ExpireCondition::XxLt => &["XX", "LT"],
                };
                a.extend(words.iter().map(|w| Arg::Word(w)));
            }
            Rename { key, new_key } => a.extend([Arg::Bytes(key), Arg::Bytes(new_key)]),
            Keys { pattern } => a.push(Arg::Bytes(pattern)),
            Scan {
                cursor,
                pattern,
                count,
                key_type,
            } => {
                a.push(Arg::Int(*cursor as i64));
                if let Some(p) = pattern {
                    a.extend([Arg::Word("MATCH"), Arg::Bytes(p)]);
                }
                if let Some(c) = count {
                    a.extend([Arg::Word("COUNT"), Arg::Int(*c as i64)]);
                }
                if let Some(t) = key_type {
                    a.extend([Arg::Word("TYPE"), Arg::Word(t.as_str())]);
                }
            }
            DbSize | FlushDb | FlushAll | RandomKey | Time => {}
            Eval { script, keys, args }
            | EvalSha {
                sha1: script,
                keys,
                args,
            }
            | EvalRo { script, keys, args }
            | EvalShaRo {
                sha1: script,
                keys,
                args,
            } => {
                a.extend([Arg::Bytes(script), Arg::Int(keys.len() as i64)]);
                a.extend(keys.iter().map(|v| Arg::Bytes(v)));
                a.extend(args.iter().map(|v| Arg::Bytes(v)));
            }
            ScriptLoad { script } => a.extend([Arg::Word("LOAD"), Arg::Bytes(script)]),
            ScriptExists { sha1s } => {
                a.push(Arg::Word("EXISTS"));
                a.extend(sha1s.iter().map(|v| Arg::Bytes(v)));
            }
            ScriptFlush => a.push(Arg::Word("FLUSH")),
            Echo { message } => a.push(Arg::Bytes(message)),
            SetEx {
                key,
                seconds: t,
                value,
            }
            | PSetEx {
                key,
                millis: t,
                value,
            }
            | SetRange {
                key,
                offset: t,
                value,
            } => a.extend([Arg::Bytes(key), Arg::Int(*t), Arg::Bytes(value)]),
            GetRange { key, start, end } => {
                a.extend([Arg::Bytes(key), Arg::Int(*start), Arg::Int(*end)])
            }
            SetBit { key, offset, value } => a.extend([
                Arg::Bytes(key),
                Arg::Int(*offset as i64),
                Arg::Int(i64::from(*value)),
            ]),
            GetBit { key, offset } => a.extend([Arg::Bytes(key), Arg::Int(*offset as i64)]),
            BitCount { key, range } => {
                a.push(Arg::Bytes(key));
                a.extend(bit_range_args(range));
            }
            BitPos { key, bit, range } => {
                a.extend([Arg::Bytes(key), Arg::Int(i64::from(*bit))]);
                a.extend(bit_range_args(range));
            }
            BitOp {
                op,
                destination,
                keys,
            } => {
                a.extend([Arg::Word(op.as_str()), Arg::Bytes(destination)]);
                a.extend(keys.iter().map(|k| Arg::Bytes(k)));
            }
            PfAdd {
                key,
                elements: rest,
            }
            | PfMerge {
                destination: key,
                sources: rest,
            } => {
                a.push(Arg::Bytes(key));
                a.extend(rest.iter().map(|v| Arg::Bytes(v)));
            }
            PfCount { keys } => a.extend(keys.iter().map(|v| Arg::Bytes(v))),
            PubSubNumPat => a.push(Arg::Word("NUMPAT")),
            Ping { message } => a.extend(message.iter().map(|v| Arg::Bytes(v))),
            HExpire { .. }
            | HTtl { .. }
            | HPTtl { .. }
            | HExpireTime { .. }
            | HPExpireTime { .. }
            | HPersist { .. }
            | HGetDel { .. }
            | HGetEx { .. }
            | HSetEx { .. } => super::args_hash::hash_ttl_args(self, a),
            HSet { key, pairs } | HMSet { key, pairs } => {
                a.push(Arg::Bytes(key));
                for (f, v) in pairs {
                    a.extend([Arg::Bytes(f), Arg::Bytes(v)]);
                }
            }
            HGet { key, field } | HExists { key, field } => {
                a.extend([Arg::Bytes(key), Arg::Bytes(field)])
            }
            HMGet {
                key,
                fields: members,
            }
            | HDel {
                key,
                fields: members,
            }
            | SAdd { key, members }
            | SRem { key, members }
            | SMIsMember { key, members }
            | ZMScore { key, members }
            | GeoPos { key, members }
            | GeoHash { key, members }
            | ZRem { key, members } => {
                a.push(Arg::Bytes(key));
                a.extend(members.iter().map(|v| Arg::Bytes(v)));
            }
            SIsMember { key, member } | ZScore { key, member } => {
                a.extend([Arg::Bytes(key), Arg::Bytes(member)])
            }
            ZRank {
                key,
                member,
                with_score,
            }
            | ZRevRank {
                key,
                member,
                with_score,
            } => {
                a.extend([Arg::Bytes(key), Arg::Bytes(member)]);
                if *with_score {
                    a.push(Arg::Word("WITHSCORE"));
                }
            }
            SPop { key, count } | ZPopMin { key, count } | ZPopMax { key, count } => {
                a.push(Arg::Bytes(key));
                a.extend(count.map(|c| Arg::Int(c as i64)));
            }
            SRandMember { key, count } => {
                a.push(Arg::Bytes(key));
                a.extend(count.map(Arg::Int));
            }
            SMove {
                source,
                destination,
                member,
            } => a.extend([
                Arg::Bytes(source),
                Arg::Bytes(destination),
                Arg::Bytes(member),
            ]),
            SInterStore { destination, keys }
            | SUnionStore { destination, keys }
            | SDiffStore { destination, keys } => {
                a.push(Arg::Bytes(destination));
                a.extend(keys.iter().map(|v| Arg::Bytes(v)));
            }
            SInterCard { keys, limit } => {
                a.push(Arg::Int(keys.len() as i64));
                a.extend(keys.iter().map(|v| Arg::Bytes(v)));
                if let Some(l) = limit {
                    a.extend([Arg::Word("LIMIT"), Arg::Int(*l as i64)]);
                }
            }
            GeoAdd {
                key,
                condition,
                changed,
                points,
            } => {
                a.push(Arg::Bytes(key));
                match condition {
                    ZAddCondition::Always => {}
                    ZAddCondition::Nx => a.push(Arg::Word("NX")),
                    ZAddCondition::Xx => a.push(Arg::Word("XX")),
                }
                if *changed {
                    a.push(Arg::Word("CH"));
                }
                for (x, y, member) in points {
                    a.extend([Arg::Float(*x), Arg::Float(*y), Arg::Bytes(member)]);
                }
            }
            GeoDist {
                key,
                member1,
                member2,
                unit,
            } => {
                a.extend([Arg::Bytes(key), Arg::Bytes(member1), Arg::Bytes(member2)]);
                if *unit != GeoUnit::M {
                    a.push(Arg::Word(unit.name()));
                }
            }
            ZAdd {
                key,
                options,
                pairs,
            } => {
                a.push(Arg::Bytes(key));
                match options.condition {
                    ZAddCondition::Always => {}
                    ZAddCondition::Nx => a.push(Arg::Word("NX")),
                    ZAddCondition::Xx => a.push(Arg::Word("XX")),
                }
                match options.comparison {
                    ZAddComparison::Any => {}
                    ZAddComparison::Gt => a.push(Arg::Word("GT")),
                    ZAddComparison::Lt => a.push(Arg::Word("LT")),
                }
                if options.changed {
                    a.push(Arg::Word("CH"));
                }
                if options.incr {
                    a.push(Arg::Word("INCR"));
                }
                for (score, member) in pairs {
                    a.extend([Arg::Float(*score), Arg::Bytes(member)]);
                }
            }
            ZIncrBy {
                key,
                increment,
                member,
            } => a.extend([Arg::Bytes(key), Arg::Float(*increment), Arg::Bytes(member)]),
            ZCount { key, min, max } | ZRemRangeByScore { key, min, max } => {
                a.extend([Arg::Bytes(key), score_arg(*min), score_arg(*max)])
            }
            ZLexCount { key, min, max } | ZRemRangeByLex { key, min, max } => {
                a.extend([Arg::Bytes(key), lex_arg(min), lex_arg(max)])
            }
            ZRange {
                key,
                by,
                rev,
                limit,
                with_scores,
            } => {
                a.push(Arg::Bytes(key));
                match by {
                    ZRangeBy::Rank(start, stop) => a.extend([Arg::Int(*start), Arg::Int(*stop)]),
                    ZRangeBy::Score(from, to) => {
                        a.extend([score_arg(*from), score_arg(*to), Arg::Word("BYSCORE")])
                    }
                    ZRangeBy::Lex(from, to) => {
                        a.extend([lex_arg(from), lex_arg(to), Arg::Word("BYLEX")])
                    }
                }
                if *rev {
                    a.push(Arg::Word("REV"));
                }
                limit_args(a, limit);
                with_scores_arg(a, *with_scores);
            }
            ZRevRange {
                key,
                start,
                stop,
                with_scores,
            } => {
                a.extend([Arg::Bytes(key), Arg::Int(*start), Arg::Int(*stop)]);
                with_scores_arg(a, *with_scores);
            }
            ZRangeByScore {
                key,
                min: from,
                max: to,
                limit,
                with_scores,
            }
            | ZRevRangeByScore {
                key,
                max: from,
                min: to,
                limit,
                with_scores,
            } => {
                a.extend([Arg::Bytes(key), score_arg(*from), score_arg(*to)]);
                with_scores_arg(a, *with_scores);
                limit_args(a, limit);
            }
            ZRangeByLex {
                key,
                min: from,
                max: to,
                limit,
            }
            | ZRevRangeByLex {
                key,
                max: from,
                min: to,
                limit,
            } => {
                a.extend([Arg::Bytes(key), lex_arg(from), lex_arg(to)]);
                limit_args(a, limit);
            }
            ZRemRangeByRank { key, start, stop } => {
                a.extend([Arg::Bytes(key), Arg::Int(*start), Arg::Int(*stop)])
            }
            ZRandMember {
                key,
                count,
                with_scores,
            } => {
                a.push(Arg::Bytes(key));
                a.extend(count.map(Arg::Int));
                with_scores_arg(a, *with_scores);
            }
            ZUnionStore {
                destination,
                keys,
                weights,
                aggregate,
            }
            | ZInterStore {
                destination,
                keys,
                weights,
                aggregate,
            } => {
                a.extend([Arg::Bytes(destination), Arg::Int(keys.len() as i64)]);
                a.extend(keys.iter().map(|v| Arg::Bytes(v)));
                if let Some(w) = weights {
                    a.push(Arg::Word("WEIGHTS"));
                    a.extend(w.iter().map(|w| Arg::Float(*w)));
                }
                match aggregate {
                    Aggregate::Sum => {}
                    Aggregate::Min => a.extend([Arg::Word("AGGREGATE"), Arg::Word("MIN")]),
                    Aggregate::Max => a.extend([Arg::Word("AGGREGATE"), Arg::Word("MAX")]),
                }
            }
            ZUnion {
                keys,
                weights,
                aggregate,
                with_scores,
            }
            | ZInter {
                keys,
                weights,
                aggregate,
                with_scores,
            } => {
                a.push(Arg::Int(keys.len() as i64));
                a.extend(keys.iter().map(|v| Arg::Bytes(v)));
                if let Some(w) = weights {
                    a.push(Arg::Word("WEIGHTS"));
                    a.extend(w.iter().map(|w| Arg::Float(*w)));
                }
                match aggregate {
                    Aggregate::Sum => {}
                    Aggregate::Min => a.extend([Arg::Word("AGGREGATE"), Arg::Word("MIN")]),
                    Aggregate::Max => a.extend([Arg::Word("AGGREGATE"), Arg::Word("MAX")]),
                }
                with_scores_arg(a, *with_scores);
            }
            ZRangeStore {
                destination,
                key,
                by,
                rev,
                limit,
            } => {
                a.extend([Arg::Bytes(destination), Arg::Bytes(key)]);
                match by {
                    ZRangeBy::Rank(start, stop) => a.extend([Arg::Int(*start), Arg::Int(*stop)]),
                    ZRangeBy::Score(from, to) => {
                        a.extend([score_arg(*from), score_arg(*to), Arg::Word("BYSCORE")])
                    }
                    ZRangeBy::Lex(from, to) => {
                        a.extend([lex_arg(from), lex_arg(to), Arg::Word("BYLEX")])
                    }
                }
                if *rev {
                    a.push(Arg::Word("REV"));
                }
                limit_args(a, limit);
            }
            ZDiff { keys, with_scores } => {
                a.push(Arg::Int(keys.len() as i64));
                a.extend(keys.iter().map(|v| Arg::Bytes(v)));
                with_scores_arg(a, *with_scores);
            }
            ZInterCard { keys, limit } => {
                a.push(Arg::Int(keys.len() as i64));
                a.extend(keys.iter().map(|v| Arg::Bytes(v)));
                if let Some(l) = limit {
                    a.extend([Arg::Word("LIMIT"), Arg::Int(*l as i64)]);
                }
            }
            ZDiffStore { destination, keys } => {
                a.extend([Arg::Bytes(destination), Arg::Int(keys.len() as i64)]);
                a.extend(keys.iter().map(|v| Arg::Bytes(v)));
            }
            HRandField {
                key,
                count,
                with_values,
            } => {
                a.push(Arg::Bytes(key));
                a.extend(count.map(Arg::Int));
                if *with_values {
                    a.push(Arg::Word("WITHVALUES"));
                }
            }
            SScan {
                key,
                cursor,
                pattern,
                count,
            }
            | HScan {
                key,
                cursor,
                pattern,
                count,
            }
            | ZScan {
                key,
                cursor,
                pattern,
                count,
            } => {
                a.extend([Arg::Bytes(key), Arg::Int(*cursor as i64)]);
                if let Some(p) = pattern {
                    a.extend([Arg::Word("MATCH"), Arg::Bytes(p)]);
                }
                if let Some(c) = count {
                    a.extend([Arg::Word("COUNT"), Arg::Int(*c as i64)]);
                }
            }
            HIncrBy { key, field, delta } => {
                a.extend([Arg::Bytes(key), Arg::Bytes(field), Arg::Int(*delta)])
            }
            HIncrByFloat { key, field, delta } => {
                a.extend([Arg::Bytes(key), Arg::Bytes(field), Arg::Float(*delta)])
            }
            HSetNx { key, field, value } => {
                a.extend([Arg::Bytes(key), Arg::Bytes(field), Arg::Bytes(value)])
            }
            LPush { key, values }
            | RPush { key, values }
            | LPushX { key, values }
            | RPushX { key, values } => {
                a.push(Arg::Bytes(key));
                a.extend(values.iter().map(|v| Arg::Bytes(v)));
            }
            LPop { key, count } | RPop { key, count } => {
                a.push(Arg::Bytes(key));
                if let Some(c) = count {
                    a.push(Arg::Int(*c as i64));
                }
            }
            LRange { key, start, stop } | LTrim { key, start, stop } => {
                a.extend([Arg::Bytes(key), Arg::Int(*start), Arg::Int(*stop)])
            }
            LIndex { key, index } => a.extend([Arg::Bytes(key), Arg::Int(*index)]),
            LSet { key, index, value } => {
                a.extend([Arg::Bytes(key), Arg::Int(*index), Arg::Bytes(value)])
            }
            LRem { key, count, value } => {
                a.extend([Arg::Bytes(key), Arg::Int(*count), Arg::Bytes(value)])
            }
            LInsert {
                key,
                position,
                pivot,
                value,
            } => {
                let where_ = match position {
                    InsertPosition::Before => "BEFORE",
                    InsertPosition::After => "AFTER",
                };
                a.extend([
                    Arg::Bytes(key),
                    Arg::Word(where_),
                    Arg::Bytes(pivot),
                    Arg::Bytes(value),
                ]);
            }
            Publish { channel, message } => a.extend([Arg::Bytes(channel), Arg::Bytes(message)]),
            PubSubChannels { pattern } => {
                a.push(Arg::Word("CHANNELS"));
                a.extend(pattern.iter().map(|v| Arg::Bytes(v)));
            }
            PubSubNumSub { channels } => {
                a.push(Arg::Word("NUMSUB"));
                a.extend(channels.iter().map(|v| Arg::Bytes(v)));
            }
            Copy {
                source,
                destination,
                replace,
            } => {
                a.extend([Arg::Bytes(source), Arg::Bytes(destination)]);
                if *replace {
                    a.push(Arg::Word("REPLACE"));
                }
            }
            RenameNx { key, new_key } => a.extend([Arg::Bytes(key), Arg::Bytes(new_key)]),
            Unlink { keys } | Touch { keys } => a.extend(keys.iter().map(|v| Arg::Bytes(v))),
            HStrLen { key, field } => a.extend([Arg::Bytes(key), Arg::Bytes(field)]),
            LPos {
                key,
                element,
                rank,
                count,
                max_len,
            } => {
                a.extend([Arg::Bytes(key), Arg::Bytes(element)]);
                if let Some(r) = rank {
                    a.extend([Arg::Word("RANK"), Arg::Int(*r)]);
                }
                if let Some(c) = count {
                    a.extend([Arg::Word("COUNT"), Arg::Int(*c as i64)]);
                }
                if let Some(m) = max_len {
                    a.extend([Arg::Word("MAXLEN"), Arg::Int(*m as i64)]);
                }
            }
            LMove {
                source,
                destination,
                from,
                to,
            } => a.extend([
                Arg::Bytes(source),
                Arg::Bytes(destination),
                end_arg(*from),
                end_arg(*to),
            ]),
            LMPop { keys, from, count } => {
                a.push(Arg::Int(keys.len() as i64));
                a.extend(keys.iter().map(|v| Arg::Bytes(v)));
                a.push(end_arg(*from));
                if let Some(c) = count {
                    a.extend([Arg::Word("COUNT"), Arg::Int(*c as i64)]);
                }
            }
        }
    }
}
