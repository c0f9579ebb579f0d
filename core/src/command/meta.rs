//! What a command is: its name, the keys it touches, and whether it writes.
//!
//! Layers above the engine decide from this alone: the engine's batches snapshot the keys a
//! command touches, memory admission refuses growing writes when full, the fallback journal
//! records writes, the proxy refuses administrative commands.

use alloc::vec;
use alloc::vec::Vec;

use super::Command;

impl Command {
    /// The Redis command name in lowercase (`"hset"`), as errors word it.
    pub fn name(&self) -> &'static str {
        use Command::*;
        match self {
            Get { .. } => "get",
            Set { .. } => "set",
            GetDel { .. } => "getdel",
            GetEx { .. } => "getex",
            MGet { .. } => "mget",
            MSet { .. } => "mset",
            SetNx { .. } => "setnx",
            Incr { .. } => "incr",
            Decr { .. } => "decr",
            IncrBy { .. } => "incrby",
            DecrBy { .. } => "decrby",
            IncrByFloat { .. } => "incrbyfloat",
            Append { .. } => "append",
            StrLen { .. } => "strlen",
            Del { .. } => "del",
            Exists { .. } => "exists",
            Expire { expiry, .. } => match expiry {
                super::Expiry::Ex(_) => "expire",
                super::Expiry::Px(_) => "pexpire",
                super::Expiry::ExAt(_) => "expireat",
                super::Expiry::PxAt(_) => "pexpireat",
            },
            Ttl { .. } => "ttl",
            PTtl { .. } => "pttl",
            Persist { .. } => "persist",
            Type { .. } => "type",
            Rename { .. } => "rename",
            Keys { .. } => "keys",
            Scan { .. } => "scan",
            DbSize => "dbsize",
            FlushDb => "flushdb",
            Ping { .. } => "ping",
            HSet { .. } => "hset",
            HGet { .. } => "hget",
            HMGet { .. } => "hmget",
            HGetAll { .. } => "hgetall",
            HDel { .. } => "hdel",
            HExists { .. } => "hexists",
            HLen { .. } => "hlen",
            HKeys { .. } => "hkeys",
            HVals { .. } => "hvals",
            HIncrBy { .. } => "hincrby",
            HIncrByFloat { .. } => "hincrbyfloat",
            HSetNx { .. } => "hsetnx",
            LPush { .. } => "lpush",
            RPush { .. } => "rpush",
            LPushX { .. } => "lpushx",
            RPushX { .. } => "rpushx",
            LPop { .. } => "lpop",
            RPop { .. } => "rpop",
            LRange { .. } => "lrange",
            LLen { .. } => "llen",
            LIndex { .. } => "lindex",
            LSet { .. } => "lset",
            LTrim { .. } => "ltrim",
            LRem { .. } => "lrem",
            LInsert { .. } => "linsert",
            Publish { .. } => "publish",
            PubSubChannels { .. } | PubSubNumSub { .. } | PubSubNumPat => "pubsub",
        }
    }

    /// The keys this command reads or writes (empty for keyless commands; `FLUSHDB`, which
    /// touches every key, reports none: see [`touches_all_keys`](Self::touches_all_keys)).
    pub fn keys(&self) -> Vec<&[u8]> {
        use Command::*;
        match self {
            Get { key }
            | Set { key, .. }
            | GetDel { key }
            | GetEx { key, .. }
            | SetNx { key, .. }
            | Incr { key }
            | Decr { key }
            | IncrBy { key, .. }
            | DecrBy { key, .. }
            | IncrByFloat { key, .. }
            | Append { key, .. }
            | StrLen { key }
            | Expire { key, .. }
            | Ttl { key }
            | PTtl { key }
            | Persist { key }
            | Type { key }
            | HSet { key, .. }
            | HGet { key, .. }
            | HMGet { key, .. }
            | HGetAll { key }
            | HDel { key, .. }
            | HExists { key, .. }
            | HLen { key }
            | HKeys { key }
            | HVals { key }
            | HIncrBy { key, .. }
            | HIncrByFloat { key, .. }
            | HSetNx { key, .. }
            | LPush { key, .. }
            | RPush { key, .. }
            | LPushX { key, .. }
            | RPushX { key, .. }
            | LPop { key, .. }
            | RPop { key, .. }
            | LRange { key, .. }
            | LLen { key }
            | LIndex { key, .. }
            | LSet { key, .. }
            | LTrim { key, .. }
            | LRem { key, .. }
            | LInsert { key, .. } => vec![key.as_slice()],
            Rename { key, new_key } => vec![key.as_slice(), new_key.as_slice()],
            MGet { keys } | Del { keys } | Exists { keys } => {
                keys.iter().map(Vec::as_slice).collect()
            }
            MSet { pairs } => pairs.iter().map(|(k, _)| k.as_slice()).collect(),
            Keys { .. }
            | Scan { .. }
            | DbSize
            | FlushDb
            | Ping { .. }
            | Publish { .. }
            | PubSubChannels { .. }
            | PubSubNumSub { .. }
            | PubSubNumPat => Vec::new(),
        }
    }

    /// Whether the command touches every key (`FLUSHDB`).
    pub fn touches_all_keys(&self) -> bool {
        matches!(self, Command::FlushDb)
    }

    /// Whether the command can change the keyspace (what a write journal must record).
    /// `PUBLISH` is not a keyspace write.
    pub fn is_write(&self) -> bool {
        use Command::*;
        matches!(
            self,
            Set { .. }
                | GetDel { .. }
                | GetEx { .. }
                | MSet { .. }
                | SetNx { .. }
                | Incr { .. }
                | Decr { .. }
                | IncrBy { .. }
                | DecrBy { .. }
                | IncrByFloat { .. }
                | Append { .. }
                | Del { .. }
                | Expire { .. }
                | Persist { .. }
                | Rename { .. }
                | FlushDb
                | HSet { .. }
                | HDel { .. }
                | HIncrBy { .. }
                | HIncrByFloat { .. }
                | HSetNx { .. }
                | LPush { .. }
                | RPush { .. }
                | LPushX { .. }
                | RPushX { .. }
                | LPop { .. }
                | RPop { .. }
                | LSet { .. }
                | LTrim { .. }
                | LRem { .. }
                | LInsert { .. }
        )
    }

    /// Whether the command may grow memory, so it is refused when memory is full and cannot
    /// be freed (Redis's `denyoom` flag). Deletes, pops and expiry changes are always allowed.
    pub fn may_grow_memory(&self) -> bool {
        use Command::*;
        matches!(
            self,
            Set { .. }
                | MSet { .. }
                | SetNx { .. }
                | Incr { .. }
                | Decr { .. }
                | IncrBy { .. }
                | DecrBy { .. }
                | IncrByFloat { .. }
                | Append { .. }
                | HSet { .. }
                | HIncrBy { .. }
                | HIncrByFloat { .. }
                | HSetNx { .. }
                | LPush { .. }
                | RPush { .. }
                | LPushX { .. }
                | RPushX { .. }
                | LSet { .. }
                | LInsert { .. }
        )
    }
}
