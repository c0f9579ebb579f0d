//! What a command is: its row of the command table (name, flags), and the keys it touches.
//!
//! Layers above the engine decide from this alone: the engine's batches snapshot the keys a
//! command touches, memory admission refuses growing writes when full, the fallback journal
//! records writes, the proxy refuses administrative commands.

use alloc::vec::Vec;

use super::args::Arg;
use super::table::{CommandFlags, CommandKind, CommandSpec};
use super::{Command, Expiry};

impl Command {
    /// This command's row of the [command table](crate::COMMAND_TABLE).
    ///
    /// The one place a `Command` variant is classified: an exhaustive `match`, so a new
    /// variant does not compile until it has a row.
    pub fn kind(&self) -> CommandKind {
        use Command::*;
        match self {
            Get { .. } => CommandKind::Get,
            Set { .. } => CommandKind::Set,
            GetDel { .. } => CommandKind::GetDel,
            GetEx { .. } => CommandKind::GetEx,
            MGet { .. } => CommandKind::MGet,
            MSet { .. } => CommandKind::MSet,
            SetNx { .. } => CommandKind::SetNx,
            Incr { .. } => CommandKind::Incr,
            Decr { .. } => CommandKind::Decr,
            IncrBy { .. } => CommandKind::IncrBy,
            DecrBy { .. } => CommandKind::DecrBy,
            IncrByFloat { .. } => CommandKind::IncrByFloat,
            Append { .. } => CommandKind::Append,
            StrLen { .. } => CommandKind::StrLen,
            SetEx { .. } => CommandKind::SetEx,
            PSetEx { .. } => CommandKind::PSetEx,
            GetSet { .. } => CommandKind::GetSet,
            MSetNx { .. } => CommandKind::MSetNx,
            SetRange { .. } => CommandKind::SetRange,
            GetRange { .. } => CommandKind::GetRange,
            SetBit { .. } => CommandKind::SetBit,
            GetBit { .. } => CommandKind::GetBit,
            BitCount { .. } => CommandKind::BitCount,
            BitPos { .. } => CommandKind::BitPos,
            BitOp { .. } => CommandKind::BitOp,
            PfAdd { .. } => CommandKind::PfAdd,
            PfCount { .. } => CommandKind::PfCount,
            PfMerge { .. } => CommandKind::PfMerge,
            Del { .. } => CommandKind::Del,
            Exists { .. } => CommandKind::Exists,
            Expire { expiry, .. } => match expiry {
                Expiry::Ex(_) => CommandKind::Expire,
                Expiry::Px(_) => CommandKind::PExpire,
                Expiry::ExAt(_) => CommandKind::ExpireAt,
                Expiry::PxAt(_) => CommandKind::PExpireAt,
            },
            Ttl { .. } => CommandKind::Ttl,
            PTtl { .. } => CommandKind::PTtl,
            Persist { .. } => CommandKind::Persist,
            Type { .. } => CommandKind::Type,
            Rename { .. } => CommandKind::Rename,
            Keys { .. } => CommandKind::Keys,
            Scan { .. } => CommandKind::Scan,
            DbSize => CommandKind::DbSize,
            FlushDb => CommandKind::FlushDb,
            FlushAll => CommandKind::FlushAll,
            Echo { .. } => CommandKind::Echo,
            Ping { .. } => CommandKind::Ping,
            HSet { .. } => CommandKind::HSet,
            HGet { .. } => CommandKind::HGet,
            HMGet { .. } => CommandKind::HMGet,
            HGetAll { .. } => CommandKind::HGetAll,
            HDel { .. } => CommandKind::HDel,
            HExists { .. } => CommandKind::HExists,
            HLen { .. } => CommandKind::HLen,
            HKeys { .. } => CommandKind::HKeys,
            HVals { .. } => CommandKind::HVals,
            HIncrBy { .. } => CommandKind::HIncrBy,
            HIncrByFloat { .. } => CommandKind::HIncrByFloat,
            HSetNx { .. } => CommandKind::HSetNx,
            HMSet { .. } => CommandKind::HMSet,
            HExpire { expiry, .. } => match expiry {
                Expiry::Ex(_) => CommandKind::HExpire,
                Expiry::Px(_) => CommandKind::HPExpire,
                Expiry::ExAt(_) => CommandKind::HExpireAt,
                Expiry::PxAt(_) => CommandKind::HPExpireAt,
            },
            HTtl { .. } => CommandKind::HTtl,
            HPTtl { .. } => CommandKind::HPTtl,
            HExpireTime { .. } => CommandKind::HExpireTime,
            HPExpireTime { .. } => CommandKind::HPExpireTime,
            HPersist { .. } => CommandKind::HPersist,
            HGetDel { .. } => CommandKind::HGetDel,
            HGetEx { .. } => CommandKind::HGetEx,
            HSetEx { .. } => CommandKind::HSetEx,
            LPush { .. } => CommandKind::LPush,
            RPush { .. } => CommandKind::RPush,
            LPushX { .. } => CommandKind::LPushX,
            RPushX { .. } => CommandKind::RPushX,
            LPop { .. } => CommandKind::LPop,
            RPop { .. } => CommandKind::RPop,
            LRange { .. } => CommandKind::LRange,
            LLen { .. } => CommandKind::LLen,
            LIndex { .. } => CommandKind::LIndex,
            LSet { .. } => CommandKind::LSet,
            LTrim { .. } => CommandKind::LTrim,
            LRem { .. } => CommandKind::LRem,
            LInsert { .. } => CommandKind::LInsert,
            SAdd { .. } => CommandKind::SAdd,
            SRem { .. } => CommandKind::SRem,
            SMembers { .. } => CommandKind::SMembers,
            SIsMember { .. } => CommandKind::SIsMember,
            SMIsMember { .. } => CommandKind::SMIsMember,
            SCard { .. } => CommandKind::SCard,
            SPop { .. } => CommandKind::SPop,
            SRandMember { .. } => CommandKind::SRandMember,
            SMove { .. } => CommandKind::SMove,
            SInter { .. } => CommandKind::SInter,
            SUnion { .. } => CommandKind::SUnion,
            SDiff { .. } => CommandKind::SDiff,
            SInterStore { .. } => CommandKind::SInterStore,
            SUnionStore { .. } => CommandKind::SUnionStore,
            SDiffStore { .. } => CommandKind::SDiffStore,
            SInterCard { .. } => CommandKind::SInterCard,
            SScan { .. } => CommandKind::SScan,
            ZAdd { .. } => CommandKind::ZAdd,
            ZIncrBy { .. } => CommandKind::ZIncrBy,
            ZScore { .. } => CommandKind::ZScore,
            ZMScore { .. } => CommandKind::ZMScore,
            ZCard { .. } => CommandKind::ZCard,
            ZCount { .. } => CommandKind::ZCount,
            ZLexCount { .. } => CommandKind::ZLexCount,
            ZRank { .. } => CommandKind::ZRank,
            ZRevRank { .. } => CommandKind::ZRevRank,
            ZRem { .. } => CommandKind::ZRem,
            ZRange { .. } => CommandKind::ZRange,
            ZRevRange { .. } => CommandKind::ZRevRange,
            ZRangeByScore { .. } => CommandKind::ZRangeByScore,
            ZRevRangeByScore { .. } => CommandKind::ZRevRangeByScore,
            ZRangeByLex { .. } => CommandKind::ZRangeByLex,
            ZRevRangeByLex { .. } => CommandKind::ZRevRangeByLex,
            ZRemRangeByRank { .. } => CommandKind::ZRemRangeByRank,
            ZRemRangeByScore { .. } => CommandKind::ZRemRangeByScore,
            ZRemRangeByLex { .. } => CommandKind::ZRemRangeByLex,
            ZPopMin { .. } => CommandKind::ZPopMin,
            ZPopMax { .. } => CommandKind::ZPopMax,
            ZRandMember { .. } => CommandKind::ZRandMember,
            ZUnionStore { .. } => CommandKind::ZUnionStore,
            ZInterStore { .. } => CommandKind::ZInterStore,
            ZDiffStore { .. } => CommandKind::ZDiffStore,
            ZScan { .. } => CommandKind::ZScan,
            GeoAdd { .. } => CommandKind::GeoAdd,
            GeoPos { .. } => CommandKind::GeoPos,
            GeoDist { .. } => CommandKind::GeoDist,
            GeoHash { .. } => CommandKind::GeoHash,
            Publish { .. } => CommandKind::Publish,
            PubSubChannels { .. } => CommandKind::PubSubChannels,
            PubSubNumSub { .. } => CommandKind::PubSubNumSub,
            PubSubNumPat => CommandKind::PubSubNumPat,
            Copy { .. } => CommandKind::Copy,
            RenameNx { .. } => CommandKind::RenameNx,
            Unlink { .. } => CommandKind::Unlink,
            Touch { .. } => CommandKind::Touch,
            HStrLen { .. } => CommandKind::HStrLen,
            RandomKey => CommandKind::RandomKey,
            Time => CommandKind::Time,
            ZUnion { .. } => CommandKind::ZUnion,
            ZInter { .. } => CommandKind::ZInter,
            ZDiff { .. } => CommandKind::ZDiff,
            ZInterCard { .. } => CommandKind::ZInterCard,
            ZRangeStore { .. } => CommandKind::ZRangeStore,
            Eval { .. } => CommandKind::Eval,
            EvalSha { .. } => CommandKind::EvalSha,
            EvalRo { .. } => CommandKind::EvalRo,
            EvalShaRo { .. } => CommandKind::EvalShaRo,
            ScriptLoad { .. } => CommandKind::ScriptLoad,
            ScriptExists { .. } => CommandKind::ScriptExists,
            ScriptFlush => CommandKind::ScriptFlush,
            HRandField { .. } => CommandKind::HRandField,
            HScan { .. } => CommandKind::HScan,
            LPos { .. } => CommandKind::LPos,
            LMove { .. } => CommandKind::LMove,
            LMPop { .. } => CommandKind::LMPop,
        }
    }

    /// This command's row of the command table: name, arity, flags, key positions.
    pub fn spec(&self) -> &'static CommandSpec {
        self.kind().spec()
    }

    /// The Redis command name in lowercase (`"hset"`; `"pubsub"` for its subcommands), as
    /// errors word it.
    pub fn name(&self) -> &'static str {
        self.spec().name()
    }

    /// The keys this command reads or writes (empty for keyless commands; `FLUSHDB`, which
    /// touches every key, reports none: see [`touches_all_keys`](Self::touches_all_keys)).
    ///
    /// Read at the table's key positions ([`KeyRange`]) from the command's arguments.
    ///
    /// [`KeyRange`]: super::KeyRange
    pub fn keys(&self) -> Vec<&[u8]> {
        // A write whose keys follow a count: the table lists none (as Redis), but what it
        // writes must be known to batches and journals.
        match self {
            Command::LMPop { keys, .. }
            | Command::Eval { keys, .. }
            | Command::EvalSha { keys, .. }
            | Command::EvalRo { keys, .. }
            | Command::EvalShaRo { keys, .. } => {
                return keys.iter().map(Vec::as_slice).collect();
            }
            _ => {}
        }
        let args = self.args();
        self.spec()
            .keys
            .positions(args.len())
            .filter_map(|i| match args.get(i) {
                Some(Arg::Bytes(key)) => Some(*key),
                _ => None,
            })
            .collect()
    }

    /// Whether the command is a Lua script (`EVAL`, `EVALSHA` and their `_RO` forms): its
    /// effects are the script's own, so they cannot be copied or replayed elsewhere, and
    /// only Redis runs it.
    pub fn is_script(&self) -> bool {
        matches!(
            self,
            Command::Eval { .. }
                | Command::EvalSha { .. }
                | Command::EvalRo { .. }
                | Command::EvalShaRo { .. }
        )
    }

    /// Whether the command touches every key (`FLUSHDB`). Read from
    /// [`CommandFlags::ALL_KEYS`].
    pub fn touches_all_keys(&self) -> bool {
        self.spec().flags.contains(CommandFlags::ALL_KEYS)
    }

    /// Whether the command can change the keyspace (what a write journal must record).
    /// `PUBLISH` is not a keyspace write. Read from [`CommandFlags::WRITE`].
    pub fn is_write(&self) -> bool {
        self.spec().flags.contains(CommandFlags::WRITE)
    }

    /// Whether the command may grow memory, so it is refused when memory is full and cannot
    /// be freed (Redis's `denyoom` flag). Deletes, pops and expiry changes are always allowed.
    /// Read from [`CommandFlags::DENYOOM`]; the engine's memory admission follows it.
    pub fn may_grow_memory(&self) -> bool {
        self.spec().flags.contains(CommandFlags::DENYOOM)
    }

    /// Whether applying the command twice in a row leaves the same state as once, so a write
    /// whose outcome is unknown can be replayed harmlessly. Read from
    /// [`CommandFlags::IDEMPOTENT`]; judge a command with relative expiry by its journal form
    /// (absolute expiry), as the fallback does.
    pub fn is_idempotent(&self) -> bool {
        self.spec().flags.contains(CommandFlags::IDEMPOTENT)
    }

    /// Whether the command may be sent again after a connection broke before its reply
    /// arrived: it reads only, so a second run changes nothing. Writes and `PUBLISH` are never
    /// retry-safe (their outcome is unknown, not failed). Read from
    /// [`CommandFlags::RETRY_SAFE`].
    pub fn retry_safe(&self) -> bool {
        self.spec().flags.contains(CommandFlags::RETRY_SAFE)
    }

    /// A copy of the command, the same as `clone()` but compiled here, out of line. The
    /// derived `clone` is `#[inline]`, so each crate that calls it compiles its own copy of a
    /// match over every variant (13 KB of the wasm package, where both the persisted store
    /// and [`forms`](crate::forms) copy commands); a crate that calls this shares core's.
    #[inline(never)]
    pub fn duplicate(&self) -> Command {
        self.clone()
    }
}
