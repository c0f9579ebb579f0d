//! `Engine::execute`: runs any [`Command`] and shapes the answer as a [`Reply`].
//!
//! Longer than 600 lines on purpose: one exhaustive `match` runs every command, so a command
//! missing an arm is a compile error; the work itself is in the per-family files.

use alloc::vec::Vec;

use super::lists::End;
use super::{Engine, ScanPage, ScoredMember, SetOp, ZSetOp};
use crate::command::{Aggregate, ZRangeBy};
use crate::command::{Command, Expiry, Reply};
use crate::decimal::{format_score, format_score_scan};
use crate::num::format_i64;
use crate::value::Str;
use crate::{Clock, Error};

fn int(n: usize) -> Reply {
    Reply::Int(n as i64)
}

fn ints(values: Vec<i64>) -> Reply {
    Reply::Array(values.into_iter().map(Reply::Int).collect())
}

fn optional_bulks(values: Vec<Option<Vec<u8>>>) -> Reply {
    Reply::Array(values.into_iter().map(Reply::bulk_or_nil).collect())
}

impl<C: Clock> Engine<C> {
    /// Runs `command`. On error nothing in the keyspace has changed.
    ///
    /// Memory admission follows the command table: a command flagged `DENYOOM` is refused
    /// with [`Error::OutOfMemory`] when memory is full and nothing can be evicted.
    pub fn execute(&mut self, command: Command) -> Result<Reply, Error> {
        self.run_as(command.kind(), |e| e.apply(command))
    }

    /// `ZRANK`/`ZREVRANK`: the rank, or with `WITHSCORE` the rank and the score; nil for a
    /// missing member.
    fn rank_reply(
        &mut self,
        key: &[u8],
        member: &[u8],
        reverse: bool,
        with_score: bool,
    ) -> Result<Reply, Error> {
        let Some(rank) = self.zrank(key, member, reverse)? else {
            return Ok(Reply::Nil);
        };
        if !with_score {
            return Ok(int(rank));
        }
        let score = self.zscore(key, member)?.unwrap_or_default();
        Ok(Reply::Array(alloc::vec![
            int(rank),
            Reply::Bulk(format_score(score))
        ]))
    }

    /// Runs `command` without memory admission (that is [`execute`](Self::execute)'s job):
    /// one arm per variant, calling the engine's operations.
    fn apply(&mut self, command: Command) -> Result<Reply, Error> {
        Ok(match command {
            Command::Get { key } => Reply::bulk_or_nil(self.get(&key)?),
            Command::Set {
                key,
                value,
                options,
            } => {
                let outcome = self.set_owned(&key, Str::from_vec(value), options)?;
                match (options.get, outcome.written) {
                    (true, _) => Reply::bulk_or_nil(outcome.previous),
                    (false, true) => Reply::Ok,
                    (false, false) => Reply::Nil,
                }
            }
            Command::GetDel { key } => Reply::bulk_or_nil(self.getdel(&key)?),
            Command::GetEx { key, option } => Reply::bulk_or_nil(self.getex(&key, option)?),
            Command::MGet { keys } => optional_bulks(self.mget(&keys)),
            Command::MSet { pairs } => {
                self.mset_owned(
                    pairs
                        .iter()
                        .map(|(k, v)| (k.as_slice(), Str::from_slice(v))),
                );
                Reply::Ok
            }
            Command::SetNx { key, value } => int(usize::from(self.setnx_unguarded(&key, &value))),
            Command::Incr { key } => Reply::Int(self.incr_by_unguarded(&key, 1)?),
            Command::Decr { key } => Reply::Int(self.incr_by_unguarded(&key, -1)?),
            Command::IncrBy { key, delta } => Reply::Int(self.incr_by_unguarded(&key, delta)?),
            Command::DecrBy { key, delta } => Reply::Int(self.decr_by_unguarded(&key, delta)?),
            Command::IncrByFloat { key, delta } => {
                Reply::Bulk(self.incr_by_float_unguarded(&key, delta)?)
            }
            Command::Append { key, value } => int(self.append_unguarded(&key, &value)?),
            Command::StrLen { key } => int(self.strlen(&key)?),
            Command::SetEx {
                key,
                seconds,
                value,
            } => {
                self.setex_unguarded(&key, Expiry::Ex(seconds), Str::from_vec(value))?;
                Reply::Ok
            }
            Command::PSetEx { key, millis, value } => {
                self.setex_unguarded(&key, Expiry::Px(millis), Str::from_vec(value))?;
                Reply::Ok
            }
            Command::GetSet { key, value } => {
                Reply::bulk_or_nil(self.getset_unguarded(&key, Str::from_vec(value))?)
            }
            Command::MSetNx { pairs } => int(usize::from(self.msetnx_unguarded(&pairs))),
            Command::SetRange { key, offset, value } => {
                int(self.setrange_unguarded(&key, offset, &value)?)
            }
            Command::GetRange { key, start, end } => Reply::Bulk(self.getrange(&key, start, end)?),
            Command::SetBit { key, offset, value } => {
                int(usize::from(self.setbit_unguarded(&key, offset, value)?))
            }
            Command::GetBit { key, offset } => int(usize::from(self.getbit(&key, offset)?)),
            Command::BitCount { key, range } => Reply::Int(self.bitcount(&key, range)? as i64),
            Command::BitPos { key, bit, range } => Reply::Int(self.bitpos(&key, bit, range)?),
            Command::BitOp {
                op,
                destination,
                keys,
            } => int(self.bitop_unguarded(op, &destination, &keys)?),
            Command::PfAdd { key, elements } => {
                int(usize::from(self.pfadd_unguarded(&key, &elements)?))
            }
            Command::PfCount { keys } => Reply::Int(self.pfcount(&keys)? as i64),
            Command::PfMerge {
                destination,
                sources,
            } => {
                self.pfmerge_unguarded(&destination, &sources)?;
                Reply::Ok
            }

            Command::Del { keys } => int(self.del(&keys)),
            Command::Exists { keys } => int(self.exists(&keys)),
            Command::Expire {
                key,
                expiry,
                condition,
            } => int(usize::from(self.expire(&key, expiry, condition)?)),
            Command::Ttl { key } => Reply::Int(self.ttl(&key)),
            Command::PTtl { key } => Reply::Int(self.pttl(&key)),
            Command::Persist { key } => int(usize::from(self.persist(&key))),
            Command::Type { key } => {
                Reply::Status(self.key_type(&key).map_or("none", |t| t.as_str()))
            }
            Command::Rename { key, new_key } => {
                self.rename(&key, &new_key)?;
                Reply::Ok
            }
            Command::Keys { pattern } => Reply::bulks(self.keys(&pattern)?),
            Command::Scan {
                cursor,
                pattern,
                count,
                key_type,
            } => scan_reply(self.scan(cursor, pattern.as_deref(), count, key_type)?),
            Command::DbSize => int(self.len()),
            Command::FlushDb | Command::FlushAll => {
                self.flushdb();
                Reply::Ok
            }
            Command::Echo { message } => Reply::Bulk(message),
            Command::Ping { message } => match message {
                None => Reply::Status("PONG"),
                Some(m) => Reply::Bulk(m),
            },

            Command::HSet { key, pairs } => int(self.hset_unguarded(&key, &pairs)?),
            Command::HGet { key, field } => Reply::bulk_or_nil(self.hget(&key, &field)?),
            Command::HMGet { key, fields } => optional_bulks(self.hmget(&key, &fields)?),
            Command::HGetAll { key } => {
                Reply::bulks(self.hgetall(&key)?.into_iter().flat_map(|(f, v)| [f, v]))
            }
            Command::HDel { key, fields } => int(self.hdel(&key, &fields)?),
            Command::HExists { key, field } => int(usize::from(self.hexists(&key, &field)?)),
            Command::HLen { key } => int(self.hlen(&key)?),
            Command::HKeys { key } => Reply::bulks(self.hkeys(&key)?),
            Command::HVals { key } => Reply::bulks(self.hvals(&key)?),
            Command::HIncrBy { key, field, delta } => {
                Reply::Int(self.hincr_by_unguarded(&key, &field, delta)?)
            }
            Command::HIncrByFloat { key, field, delta } => {
                Reply::Bulk(self.hincr_by_float_unguarded(&key, &field, delta)?)
            }
            Command::HExpire {
                key,
                expiry,
                condition,
                fields,
            } => ints(self.hexpire_unguarded(&key, expiry, condition, &fields)?),
            Command::HTtl { key, fields } => ints(self.httl(&key, &fields)?),
            Command::HPTtl { key, fields } => ints(self.hpttl(&key, &fields)?),
            Command::HExpireTime { key, fields } => ints(self.hexpiretime(&key, &fields)?),
            Command::HPExpireTime { key, fields } => ints(self.hpexpiretime(&key, &fields)?),
            Command::HPersist { key, fields } => ints(self.hpersist(&key, &fields)?),
            Command::HGetDel { key, fields } => optional_bulks(self.hgetdel(&key, &fields)?),
            Command::HGetEx {
                key,
                option,
                fields,
            } => optional_bulks(self.hgetex(&key, option, &fields)?),
            Command::HSetEx {
                key,
                condition,
                ttl,
                pairs,
            } => int(usize::from(
                self.hsetex_unguarded(&key, condition, ttl, &pairs)?,
            )),
            Command::HMSet { key, pairs } => {
                self.hset_unguarded(&key, &pairs)?;
                Reply::Ok
            }
            Command::HSetNx { key, field, value } => {
                int(usize::from(self.hsetnx_unguarded(&key, &field, &value)?))
            }

            Command::LPush { key, values } => {
                int(self.push_owned(&key, values, End::Left, false)?)
            }
            Command::RPush { key, values } => {
                int(self.push_owned(&key, values, End::Right, false)?)
            }
            Command::LPushX { key, values } => {
                int(self.push_owned(&key, values, End::Left, true)?)
            }
            Command::RPushX { key, values } => {
                int(self.push_owned(&key, values, End::Right, true)?)
            }
            Command::LPop { key, count } => {
                pop_reply(self.pop(&key, End::Left, count.unwrap_or(1))?, count)
            }
            Command::RPop { key, count } => {
                pop_reply(self.pop(&key, End::Right, count.unwrap_or(1))?, count)
            }
            Command::LRange { key, start, stop } => Reply::bulks(self.lrange(&key, start, stop)?),
            Command::LLen { key } => int(self.llen(&key)?),
            Command::LIndex { key, index } => Reply::bulk_or_nil(self.lindex(&key, index)?),
            Command::LSet { key, index, value } => {
                self.lset_unguarded(&key, index, &value)?;
                Reply::Ok
            }
            Command::LTrim { key, start, stop } => {
                self.ltrim(&key, start, stop)?;
                Reply::Ok
            }
            Command::LRem { key, count, value } => int(self.lrem(&key, count, &value)?),
            Command::LInsert {
                key,
                position,
                pivot,
                value,
            } => Reply::Int(self.linsert_unguarded(&key, position, &pivot, &value)?),

            Command::SAdd { key, members } => int(self.sadd_unguarded(&key, &members)?),
            Command::SRem { key, members } => int(self.srem(&key, &members)?),
            Command::SMembers { key } => Reply::bulks(self.smembers(&key)?),
            Command::SIsMember { key, member } => int(usize::from(self.sismember(&key, &member)?)),
            Command::SMIsMember { key, members } => Reply::Array(
                self.smismember(&key, &members)?
                    .into_iter()
                    .map(|b| int(usize::from(b)))
                    .collect(),
            ),
            Command::SCard { key } => int(self.scard(&key)?),
            Command::SPop { key, count } => match (self.spop(&key, count.unwrap_or(1))?, count) {
                (None, None) => Reply::Nil,
                (None, Some(_)) => Reply::Array(Vec::new()),
                (Some(mut v), None) => Reply::bulk_or_nil(v.pop()),
                (Some(v), Some(_)) => Reply::bulks(v),
            },
            Command::SRandMember { key, count } => match count {
                None => Reply::bulk_or_nil(self.srandmember(&key, 1)?.pop()),
                Some(n) => Reply::bulks(self.srandmember(&key, n)?),
            },
            Command::SMove {
                source,
                destination,
                member,
            } => int(usize::from(self.smove(&source, &destination, &member)?)),
            Command::SInter { keys } => Reply::bulks(self.set_combine(SetOp::Inter, &keys)?),
            Command::SUnion { keys } => Reply::bulks(self.set_combine(SetOp::Union, &keys)?),
            Command::SDiff { keys } => Reply::bulks(self.set_combine(SetOp::Diff, &keys)?),
            Command::SInterStore { destination, keys } => {
                int(self.set_combine_store_unguarded(SetOp::Inter, &destination, &keys)?)
            }
            Command::SUnionStore { destination, keys } => {
                int(self.set_combine_store_unguarded(SetOp::Union, &destination, &keys)?)
            }
            Command::SDiffStore { destination, keys } => {
                int(self.set_combine_store_unguarded(SetOp::Diff, &destination, &keys)?)
            }
            Command::SInterCard { keys, limit } => int(self.sintercard(&keys, limit)?),
            Command::SScan {
                key,
                cursor,
                pattern,
                count,
            } => scan_reply(self.sscan(&key, cursor, pattern.as_deref(), count)?),

            Command::ZAdd {
                key,
                options,
                pairs,
            } => {
                let outcome = self.zadd_unguarded(&key, options, &pairs)?;
                match (options.incr, outcome.score) {
                    (true, Some(s)) => Reply::Bulk(format_score(s)),
                    (true, None) => Reply::Nil,
                    (false, _) => int(outcome.count),
                }
            }
            Command::ZIncrBy {
                key,
                increment,
                member,
            } => Reply::Bulk(format_score(
                self.zincrby_unguarded(&key, increment, &member)?,
            )),
            Command::ZScore { key, member } => score_or_nil(self.zscore(&key, &member)?),
            Command::ZMScore { key, members } => Reply::Array(
                self.zmscore(&key, &members)?
                    .into_iter()
                    .map(score_or_nil)
                    .collect(),
            ),
            Command::ZCard { key } => int(self.zcard(&key)?),
            Command::ZCount { key, min, max } => {
                int(self.zcount(&key, &ZRangeBy::Score(min, max))?)
            }
            Command::ZLexCount { key, min, max } => {
                int(self.zcount(&key, &ZRangeBy::Lex(min, max))?)
            }
            Command::ZRank {
                key,
                member,
                with_score,
            } => self.rank_reply(&key, &member, false, with_score)?,
            Command::ZRevRank {
                key,
                member,
                with_score,
            } => self.rank_reply(&key, &member, true, with_score)?,
            Command::ZRem { key, members } => int(self.zrem(&key, &members)?),
            Command::ZRange {
                key,
                by,
                rev,
                limit,
                with_scores,
            } => scored(self.zrange(&key, &by, rev, limit)?, with_scores),
            Command::ZRevRange {
                key,
                start,
                stop,
                with_scores,
            } => scored(
                self.zrange(&key, &ZRangeBy::Rank(start, stop), true, None)?,
                with_scores,
            ),
            Command::ZRangeByScore {
                key,
                min,
                max,
                limit,
                with_scores,
            } => scored(
                self.zrange(&key, &ZRangeBy::Score(min, max), false, limit)?,
                with_scores,
            ),
            Command::ZRevRangeByScore {
                key,
                max,
                min,
                limit,
                with_scores,
            } => scored(
                self.zrange(&key, &ZRangeBy::Score(max, min), true, limit)?,
                with_scores,
            ),
            Command::ZRangeByLex {
                key,
                min,
                max,
                limit,
            } => scored(
                self.zrange(&key, &ZRangeBy::Lex(min, max), false, limit)?,
                false,
            ),
            Command::ZRevRangeByLex {
                key,
                max,
                min,
                limit,
            } => scored(
                self.zrange(&key, &ZRangeBy::Lex(max, min), true, limit)?,
                false,
            ),
            Command::ZRemRangeByRank { key, start, stop } => {
                int(self.zremrange(&key, &ZRangeBy::Rank(start, stop))?)
            }
            Command::ZRemRangeByScore { key, min, max } => {
                int(self.zremrange(&key, &ZRangeBy::Score(min, max))?)
            }
            Command::ZRemRangeByLex { key, min, max } => {
                int(self.zremrange(&key, &ZRangeBy::Lex(min, max))?)
            }
            Command::ZPopMin { key, count } => {
                scored(self.zpop(&key, count.unwrap_or(1), false)?, true)
            }
            Command::ZPopMax { key, count } => {
                scored(self.zpop(&key, count.unwrap_or(1), true)?, true)
            }
            Command::ZRandMember {
                key,
                count,
                with_scores,
            } => match count {
                None => Reply::bulk_or_nil(self.zrandmember(&key, 1)?.pop().map(|(m, _)| m)),
                Some(n) => scored(self.zrandmember(&key, n)?, with_scores),
            },
            Command::ZUnionStore {
                destination,
                keys,
                weights,
                aggregate,
            } => int(self.zset_combine_store_unguarded(
                ZSetOp::Union,
                &destination,
                &keys,
                weights.as_deref(),
                aggregate,
            )?),
            Command::ZInterStore {
                destination,
                keys,
                weights,
                aggregate,
            } => int(self.zset_combine_store_unguarded(
                ZSetOp::Inter,
                &destination,
                &keys,
                weights.as_deref(),
                aggregate,
            )?),
            Command::ZDiffStore { destination, keys } => int(self.zset_combine_store_unguarded(
                ZSetOp::Diff,
                &destination,
                &keys,
                None,
                Aggregate::Sum,
            )?),
            Command::ZScan { key, pattern, .. } => Reply::Array(alloc::vec![
                Reply::Bulk(alloc::vec![b'0']),
                Reply::Array(
                    self.zscan(&key, pattern.as_deref())?
                        .into_iter()
                        .flat_map(|(m, s)| [Reply::Bulk(m), Reply::Bulk(format_score_scan(s))])
                        .collect()
                ),
            ]),

            Command::GeoAdd {
                key,
                condition,
                changed,
                points,
            } => int(self.geoadd_unguarded(&key, condition, changed, &points)?),
            Command::GeoPos { key, members } => Reply::Array(
                self.geopos(&key, &members)?
                    .into_iter()
                    .map(|p| match p {
                        Some((x, y)) => Reply::Array(alloc::vec![
                            Reply::Bulk(crate::geohash::format_coordinate(x)),
                            Reply::Bulk(crate::geohash::format_coordinate(y)),
                        ]),
                        None => Reply::Nil,
                    })
                    .collect(),
            ),
            Command::GeoDist {
                key,
                member1,
                member2,
                unit,
            } => Reply::bulk_or_nil(
                self.geodist(&key, &member1, &member2, unit)?
                    .map(crate::geohash::format_distance),
            ),
            Command::GeoHash { key, members } => Reply::Array(
                self.geohash(&key, &members)?
                    .into_iter()
                    .map(Reply::bulk_or_nil)
                    .collect(),
            ),

            Command::Publish { channel, message } => int(self.publish(&channel, &message)),
            Command::PubSubChannels { pattern } => {
                Reply::bulks(self.pubsub_channels(pattern.as_deref())?)
            }
            Command::PubSubNumSub { channels } => {
                let counts = self.pubsub_numsub(&channels);
                Reply::Array(
                    channels
                        .into_iter()
                        .zip(counts)
                        .flat_map(|(c, n)| [Reply::Bulk(c), int(n)])
                        .collect(),
                )
            }
            Command::PubSubNumPat => int(self.pubsub_numpat()),

            Command::Copy {
                source,
                destination,
                replace,
            } => int(usize::from(self.copy_unguarded(
                &source,
                &destination,
                replace,
            )?)),
            Command::RenameNx { key, new_key } => int(usize::from(self.renamenx(&key, &new_key)?)),
            Command::Unlink { keys } => int(self.del(&keys)),
            Command::Touch { keys } => int(self.touch(&keys)),
            Command::HStrLen { key, field } => int(self.hstrlen(&key, &field)?),
            Command::ZRangeStore {
                destination,
                key,
                by,
                rev,
                limit,
            } => int(self.zrangestore_unguarded(&destination, &key, &by, rev, limit)?),
            Command::ZUnion {
                keys,
                weights,
                aggregate,
                with_scores,
            } => scored(
                self.zset_combine(ZSetOp::Union, &keys, weights.as_deref(), aggregate)?,
                with_scores,
            ),
            Command::ZInter {
                keys,
                weights,
                aggregate,
                with_scores,
            } => scored(
                self.zset_combine(ZSetOp::Inter, &keys, weights.as_deref(), aggregate)?,
                with_scores,
            ),
            Command::ZDiff { keys, with_scores } => scored(
                self.zset_combine(ZSetOp::Diff, &keys, None, Aggregate::Sum)?,
                with_scores,
            ),
            Command::ZInterCard { keys, limit } => int(self.zintercard(&keys, limit)?),
            Command::Eval { .. }
            | Command::EvalSha { .. }
            | Command::EvalRo { .. }
            | Command::EvalShaRo { .. }
            | Command::ScriptLoad { .. }
            | Command::ScriptExists { .. }
            | Command::ScriptFlush => return Err(Error::ScriptsNeedRedis),
            Command::RandomKey => Reply::bulk_or_nil(self.randomkey()),
            Command::Time => {
                let (seconds, micros) = self.time();
                Reply::Array(alloc::vec![
                    Reply::Bulk(format_i64(seconds as i64)),
                    Reply::Bulk(format_i64(micros as i64)),
                ])
            }
            Command::HRandField {
                key,
                count,
                with_values,
            } => match count {
                None => Reply::bulk_or_nil(self.hrandfield(&key, 1)?.pop().map(|(f, _)| f)),
                Some(n) => Reply::bulks(
                    self.hrandfield(&key, n)?
                        .into_iter()
                        .flat_map(|(f, v)| core::iter::once(f).chain(with_values.then_some(v))),
                ),
            },
            Command::HScan { key, pattern, .. } => Reply::Array(alloc::vec![
                Reply::Bulk(alloc::vec![b'0']),
                Reply::bulks(
                    self.hscan(&key, pattern.as_deref())?
                        .into_iter()
                        .flat_map(|(f, v)| [f, v])
                ),
            ]),
            Command::LPos {
                key,
                element,
                rank,
                count,
                max_len,
            } => {
                let found = self.lpos(&key, &element, rank.unwrap_or(1), count, max_len)?;
                match count {
                    Some(_) => Reply::Array(found.into_iter().map(int).collect()),
                    None => found.first().map_or(Reply::Nil, |p| int(*p)),
                }
            }
            Command::LMove {
                source,
                destination,
                from,
                to,
            } => Reply::bulk_or_nil(self.lmove_unguarded(&source, &destination, from, to)?),
            Command::LMPop { keys, from, count } => {
                match self.lmpop(&keys, from, count.unwrap_or(1))? {
                    Some((key, values)) => {
                        Reply::Array(alloc::vec![Reply::Bulk(key), Reply::bulks(values)])
                    }
                    None => Reply::Nil,
                }
            }
        })
    }
}

/// A score as Redis replies with it, or nil.
fn score_or_nil(score: Option<f64>) -> Reply {
    score.map_or(Reply::Nil, |s| Reply::Bulk(format_score(s)))
}

/// Members, each followed by its score when `with_scores`.
fn scored(members: Vec<ScoredMember>, with_scores: bool) -> Reply {
    Reply::Array(
        members
            .into_iter()
            .flat_map(|(m, s)| {
                let score = with_scores.then(|| Reply::Bulk(format_score(s)));
                core::iter::once(Reply::Bulk(m)).chain(score)
            })
            .collect(),
    )
}

/// A `SCAN`-family reply: the next cursor as a string, then the page.
fn scan_reply(page: ScanPage) -> Reply {
    Reply::Array(alloc::vec![
        Reply::Bulk(format_i64(page.cursor as i64)),
        Reply::bulks(page.keys),
    ])
}

/// `LPOP`/`RPOP` reply: one element without a count, an array with one, nil when missing.
fn pop_reply(popped: Option<Vec<Vec<u8>>>, count: Option<usize>) -> Reply {
    match (popped, count) {
        (None, _) => Reply::Nil,
        (Some(mut v), None) => Reply::bulk_or_nil(v.pop()),
        (Some(v), Some(_)) => Reply::bulks(v),
    }
}
