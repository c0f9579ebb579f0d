//! `Engine::execute`: runs any [`Command`] and shapes the answer as a [`Reply`].

use alloc::vec::Vec;

use super::lists::End;
use super::{Engine, ScanPage, SetOp};
use crate::command::{Command, Expiry, Reply};
use crate::num::format_i64;
use crate::{Clock, Error};

fn int(n: usize) -> Reply {
    Reply::Int(n as i64)
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
                let outcome = self.set_owned(&key, value, options)?;
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
                self.mset_owned(pairs.iter().map(|(k, v)| (k.as_slice(), v.clone())));
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
                self.setex_unguarded(&key, Expiry::Ex(seconds), value)?;
                Reply::Ok
            }
            Command::PSetEx { key, millis, value } => {
                self.setex_unguarded(&key, Expiry::Px(millis), value)?;
                Reply::Ok
            }
            Command::GetSet { key, value } => {
                Reply::bulk_or_nil(self.getset_unguarded(&key, value)?)
            }
            Command::MSetNx { pairs } => int(usize::from(self.msetnx_unguarded(&pairs))),
            Command::SetRange { key, offset, value } => {
                int(self.setrange_unguarded(&key, offset, &value)?)
            }
            Command::GetRange { key, start, end } => Reply::Bulk(self.getrange(&key, start, end)?),

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
        })
    }
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
