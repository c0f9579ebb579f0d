//! The instruction set: every operation hedgestore performs is a [`Command`] value, and every
//! answer a [`Reply`].
//!
//! One command per Redis command, named after it (`Command::HSet` is `HSET`). Options are
//! typed ([`SetOptions`], [`Expiry`], [`ExpireCondition`]), so a command built in code cannot
//! carry a combination Redis would reject. [`Command::parse`] reads Redis's argument-array
//! form, which is what the remote protocol and the differential tests speak.
//!
//! Longer than 600 lines on purpose: the `Command` enum lists every command with its syntax;
//! the facts about each command are in `table.rs`, the argument layouts in `args.rs`.

mod api;
mod args;
mod args_hash;
mod bits;
mod hash_ttl;
mod meta;
mod method_list;
mod parse;
mod parse_geo;
mod parse_lists;
pub(crate) use parse_geo::invalid_lon_lat;
mod parse_hash;
mod parse_zset;
mod read;
mod table;
mod zset;

use alloc::vec::Vec;

pub use crate::geohash::GeoUnit;

pub(crate) use bits::MAX_BITS;
pub use bits::{BitOp, BitRange, BitUnit};
pub use hash_ttl::{FieldSetCondition, FieldSetTtl};
pub use method_list::{CommandMethod, MethodGroup, COMMAND_METHODS};
pub(crate) use table::CONTAINERS;
pub use table::{CommandFlags, CommandKind, CommandSpec, KeyRange, COMMAND_COUNT, COMMAND_TABLE};
pub use zset::{
    Aggregate, LexBound, Limit, ScoreBound, ZAddComparison, ZAddCondition, ZAddOptions, ZRangeBy,
};

/// The type of a stored value, as `TYPE` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// A byte string.
    String,
    /// A hash of fields to values.
    Hash,
    /// A list of byte strings.
    List,
    /// A set of distinct byte strings.
    Set,
    /// A set of byte strings ordered by score.
    ZSet,
}

impl KeyType {
    /// The name `TYPE` replies with.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::String => "string",
            KeyType::Hash => "hash",
            KeyType::List => "list",
            KeyType::Set => "set",
            KeyType::ZSet => "zset",
        }
    }
}

/// When an expiry happens: relative (`EX`/`PX`) or absolute Unix time (`EXAT`/`PXAT`).
///
/// The same four forms serve `SET`, `GETEX` and the `EXPIRE` family (`EXPIRE` is `Ex`,
/// `PEXPIRE` is `Px`, `EXPIREAT` is `ExAt`, `PEXPIREAT` is `PxAt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Seconds from now.
    Ex(i64),
    /// Milliseconds from now.
    Px(i64),
    /// Unix time in seconds.
    ExAt(i64),
    /// Unix time in milliseconds.
    PxAt(i64),
}

/// `SET`'s existence condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SetCondition {
    /// Set unconditionally.
    #[default]
    Always,
    /// `NX`: only if the key does not exist.
    IfNotExists,
    /// `XX`: only if the key exists.
    IfExists,
}

/// Options of `SET`. Build with the chainable methods:
/// `SetOptions::default().ex(10).nx()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SetOptions {
    /// `NX` / `XX`.
    pub condition: SetCondition,
    /// `EX` / `PX` / `EXAT` / `PXAT`; `None` clears any TTL unless `keep_ttl`.
    pub expiry: Option<Expiry>,
    /// `KEEPTTL`: keep the key's current TTL (ignored when `expiry` is set).
    pub keep_ttl: bool,
    /// `GET`: reply with the previous value instead of `OK`.
    pub get: bool,
}

impl SetOptions {
    /// Expire after `seconds`.
    pub fn ex(mut self, seconds: i64) -> Self {
        self.expiry = Some(Expiry::Ex(seconds));
        self
    }
    /// Expire after `millis`.
    pub fn px(mut self, millis: i64) -> Self {
        self.expiry = Some(Expiry::Px(millis));
        self
    }
    /// Expire at a Unix time in milliseconds.
    pub fn pxat(mut self, unix_millis: i64) -> Self {
        self.expiry = Some(Expiry::PxAt(unix_millis));
        self
    }
    /// Set only if the key does not exist.
    pub fn nx(mut self) -> Self {
        self.condition = SetCondition::IfNotExists;
        self
    }
    /// Set only if the key exists.
    pub fn xx(mut self) -> Self {
        self.condition = SetCondition::IfExists;
        self
    }
    /// Keep the current TTL.
    pub fn keep_ttl(mut self) -> Self {
        self.keep_ttl = true;
        self
    }
    /// Return the previous value.
    pub fn get(mut self) -> Self {
        self.get = true;
        self
    }
}

/// What `GETEX` does to the key's TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetExOption {
    /// Set a new expiry.
    Expiry(Expiry),
    /// `PERSIST`: remove the TTL.
    Persist,
}

/// The condition of `EXPIRE`-family commands (Redis 7). Only valid combinations exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpireCondition {
    /// No condition.
    #[default]
    Always,
    /// `NX`: only when the key has no expiry.
    Nx,
    /// `XX`: only when the key has an expiry.
    Xx,
    /// `GT`: only when the new expiry is later (a key without expiry counts as infinite).
    Gt,
    /// `LT`: only when the new expiry is earlier (a key without expiry counts as infinite).
    Lt,
    /// `XX GT`.
    XxGt,
    /// `XX LT`.
    XxLt,
}

/// Where `LINSERT` puts the new element relative to the pivot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertPosition {
    /// `BEFORE`.
    Before,
    /// `AFTER`.
    After,
}

/// Which end of a list (`LMOVE`, `LMPOP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListEnd {
    /// `LEFT`: the head.
    Left,
    /// `RIGHT`: the tail.
    Right,
}

/// One operation. Keys, fields and values are binary-safe bytes.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
#[allow(missing_docs)] // Fields are named after the Redis arguments they carry.
pub enum Command {
    // Strings
    /// `GET key`
    Get { key: Vec<u8> },
    /// `SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT t|KEEPTTL]`
    Set {
        key: Vec<u8>,
        value: Vec<u8>,
        options: SetOptions,
    },
    /// `GETDEL key`
    GetDel { key: Vec<u8> },
    /// `GETEX key [EX|PX|EXAT|PXAT t|PERSIST]`
    GetEx {
        key: Vec<u8>,
        option: Option<GetExOption>,
    },
    /// `MGET key [key …]`
    MGet { keys: Vec<Vec<u8>> },
    /// `MSET key value [key value …]`
    MSet { pairs: Vec<(Vec<u8>, Vec<u8>)> },
    /// `SETNX key value`
    SetNx { key: Vec<u8>, value: Vec<u8> },
    /// `INCR key`
    Incr { key: Vec<u8> },
    /// `DECR key`
    Decr { key: Vec<u8> },
    /// `INCRBY key delta`
    IncrBy { key: Vec<u8>, delta: i64 },
    /// `DECRBY key delta`
    DecrBy { key: Vec<u8>, delta: i64 },
    /// `INCRBYFLOAT key delta`
    IncrByFloat { key: Vec<u8>, delta: f64 },
    /// `APPEND key value`
    Append { key: Vec<u8>, value: Vec<u8> },
    /// `STRLEN key`
    StrLen { key: Vec<u8> },
    /// `SETEX key seconds value`
    SetEx {
        key: Vec<u8>,
        seconds: i64,
        value: Vec<u8>,
    },
    /// `PSETEX key milliseconds value`
    PSetEx {
        key: Vec<u8>,
        millis: i64,
        value: Vec<u8>,
    },
    /// `GETSET key value`
    GetSet { key: Vec<u8>, value: Vec<u8> },
    /// `MSETNX key value [key value …]`
    MSetNx { pairs: Vec<(Vec<u8>, Vec<u8>)> },
    /// `SETRANGE key offset value`
    SetRange {
        key: Vec<u8>,
        offset: i64,
        value: Vec<u8>,
    },
    /// `GETRANGE key start end`
    GetRange { key: Vec<u8>, start: i64, end: i64 },

    // Bitmaps (strings read as bits, the first bit the most significant of the first byte)
    /// `SETBIT key offset 0|1`
    SetBit {
        key: Vec<u8>,
        offset: u64,
        value: bool,
    },
    /// `GETBIT key offset`
    GetBit { key: Vec<u8>, offset: u64 },
    /// `BITCOUNT key [start end [BYTE|BIT]]`
    BitCount {
        key: Vec<u8>,
        range: Option<BitRange>,
    },
    /// `BITPOS key 0|1 [start [end [BYTE|BIT]]]`
    BitPos {
        key: Vec<u8>,
        bit: bool,
        range: Option<BitRange>,
    },
    /// `BITOP AND|OR|XOR|NOT destination key [key …]`
    BitOp {
        op: BitOp,
        destination: Vec<u8>,
        keys: Vec<Vec<u8>>,
    },

    // HyperLogLog (strings in Redis's HyperLogLog encoding)
    /// `PFADD key [element …]`
    PfAdd {
        key: Vec<u8>,
        elements: Vec<Vec<u8>>,
    },
    /// `PFCOUNT key [key …]`
    PfCount { keys: Vec<Vec<u8>> },
    /// `PFMERGE destination [source …]`
    PfMerge {
        destination: Vec<u8>,
        sources: Vec<Vec<u8>>,
    },

    // Keys
    /// `DEL key [key …]`
    Del { keys: Vec<Vec<u8>> },
    /// `EXISTS key [key …]`
    Exists { keys: Vec<Vec<u8>> },
    /// `EXPIRE`/`PEXPIRE`/`EXPIREAT`/`PEXPIREAT key t [NX|XX|GT|LT]`
    Expire {
        key: Vec<u8>,
        expiry: Expiry,
        condition: ExpireCondition,
    },
    /// `TTL key`
    Ttl { key: Vec<u8> },
    /// `PTTL key`
    PTtl { key: Vec<u8> },
    /// `PERSIST key`
    Persist { key: Vec<u8> },
    /// `TYPE key`
    Type { key: Vec<u8> },
    /// `RENAME key newkey`
    Rename { key: Vec<u8>, new_key: Vec<u8> },
    /// `KEYS pattern`
    Keys { pattern: Vec<u8> },
    /// `SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]`
    Scan {
        cursor: u64,
        pattern: Option<Vec<u8>>,
        count: Option<usize>,
        key_type: Option<KeyType>,
    },
    /// `DBSIZE`
    DbSize,
    /// `FLUSHDB [ASYNC|SYNC]`
    FlushDb,
    /// `FLUSHALL [ASYNC|SYNC]` (one database, so the same as `FLUSHDB`)
    FlushAll,
    /// `ECHO message`
    Echo { message: Vec<u8> },
    /// `PING [message]`
    Ping { message: Option<Vec<u8>> },

    // Hashes
    /// `HSET key field value [field value …]`
    HSet {
        key: Vec<u8>,
        pairs: Vec<(Vec<u8>, Vec<u8>)>,
    },
    /// `HGET key field`
    HGet { key: Vec<u8>, field: Vec<u8> },
    /// `HMGET key field [field …]`
    HMGet { key: Vec<u8>, fields: Vec<Vec<u8>> },
    /// `HGETALL key`
    HGetAll { key: Vec<u8> },
    /// `HDEL key field [field …]`
    HDel { key: Vec<u8>, fields: Vec<Vec<u8>> },
    /// `HEXISTS key field`
    HExists { key: Vec<u8>, field: Vec<u8> },
    /// `HLEN key`
    HLen { key: Vec<u8> },
    /// `HKEYS key`
    HKeys { key: Vec<u8> },
    /// `HVALS key`
    HVals { key: Vec<u8> },
    /// `HINCRBY key field delta`
    HIncrBy {
        key: Vec<u8>,
        field: Vec<u8>,
        delta: i64,
    },
    /// `HINCRBYFLOAT key field delta`
    HIncrByFloat {
        key: Vec<u8>,
        field: Vec<u8>,
        delta: f64,
    },
    /// `HSETNX key field value`
    HSetNx {
        key: Vec<u8>,
        field: Vec<u8>,
        value: Vec<u8>,
    },
    /// `HMSET key field value [field value …]`
    HMSet {
        key: Vec<u8>,
        pairs: Vec<(Vec<u8>, Vec<u8>)>,
    },

    // Hash field expiration
    /// `HEXPIRE`/`HPEXPIRE`/`HEXPIREAT`/`HPEXPIREAT key t [NX|XX|GT|LT] FIELDS n field …`
    /// (`XX GT`/`XX LT` are not accepted by these commands; they run as `GT`/`LT` with `XX`)
    HExpire {
        key: Vec<u8>,
        expiry: Expiry,
        condition: ExpireCondition,
        fields: Vec<Vec<u8>>,
    },
    /// `HTTL key FIELDS n field …`
    HTtl { key: Vec<u8>, fields: Vec<Vec<u8>> },
    /// `HPTTL key FIELDS n field …`
    HPTtl { key: Vec<u8>, fields: Vec<Vec<u8>> },
    /// `HEXPIRETIME key FIELDS n field …`
    HExpireTime { key: Vec<u8>, fields: Vec<Vec<u8>> },
    /// `HPEXPIRETIME key FIELDS n field …`
    HPExpireTime { key: Vec<u8>, fields: Vec<Vec<u8>> },
    /// `HPERSIST key FIELDS n field …`
    HPersist { key: Vec<u8>, fields: Vec<Vec<u8>> },
    /// `HGETDEL key FIELDS n field …` (Redis 8.0)
    HGetDel { key: Vec<u8>, fields: Vec<Vec<u8>> },
    /// `HGETEX key [EX s|PX ms|EXAT t|PXAT t|PERSIST] FIELDS n field …` (Redis 8.0)
    HGetEx {
        key: Vec<u8>,
        option: Option<GetExOption>,
        fields: Vec<Vec<u8>>,
    },
    /// `HSETEX key [FNX|FXX] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL] FIELDS n field value …`
    /// (Redis 8.0)
    HSetEx {
        key: Vec<u8>,
        condition: FieldSetCondition,
        ttl: FieldSetTtl,
        pairs: Vec<(Vec<u8>, Vec<u8>)>,
    },

    // Lists
    /// `LPUSH key value [value …]`
    LPush { key: Vec<u8>, values: Vec<Vec<u8>> },
    /// `RPUSH key value [value …]`
    RPush { key: Vec<u8>, values: Vec<Vec<u8>> },
    /// `LPUSHX key value [value …]`
    LPushX { key: Vec<u8>, values: Vec<Vec<u8>> },
    /// `RPUSHX key value [value …]`
    RPushX { key: Vec<u8>, values: Vec<Vec<u8>> },
    /// `LPOP key [count]`
    LPop { key: Vec<u8>, count: Option<usize> },
    /// `RPOP key [count]`
    RPop { key: Vec<u8>, count: Option<usize> },
    /// `LRANGE key start stop`
    LRange { key: Vec<u8>, start: i64, stop: i64 },
    /// `LLEN key`
    LLen { key: Vec<u8> },
    /// `LINDEX key index`
    LIndex { key: Vec<u8>, index: i64 },
    /// `LSET key index value`
    LSet {
        key: Vec<u8>,
        index: i64,
        value: Vec<u8>,
    },
    /// `LTRIM key start stop`
    LTrim { key: Vec<u8>, start: i64, stop: i64 },
    /// `LREM key count value`
    LRem {
        key: Vec<u8>,
        count: i64,
        value: Vec<u8>,
    },
    /// `LINSERT key BEFORE|AFTER pivot value`
    LInsert {
        key: Vec<u8>,
        position: InsertPosition,
        pivot: Vec<u8>,
        value: Vec<u8>,
    },

    // Sets
    /// `SADD key member [member …]`
    SAdd { key: Vec<u8>, members: Vec<Vec<u8>> },
    /// `SREM key member [member …]`
    SRem { key: Vec<u8>, members: Vec<Vec<u8>> },
    /// `SMEMBERS key`
    SMembers { key: Vec<u8> },
    /// `SISMEMBER key member`
    SIsMember { key: Vec<u8>, member: Vec<u8> },
    /// `SMISMEMBER key member [member …]`
    SMIsMember { key: Vec<u8>, members: Vec<Vec<u8>> },
    /// `SCARD key`
    SCard { key: Vec<u8> },
    /// `SPOP key [count]`
    SPop { key: Vec<u8>, count: Option<usize> },
    /// `SRANDMEMBER key [count]` (a negative count may repeat members)
    SRandMember { key: Vec<u8>, count: Option<i64> },
    /// `SMOVE source destination member`
    SMove {
        source: Vec<u8>,
        destination: Vec<u8>,
        member: Vec<u8>,
    },
    /// `SINTER key [key …]`
    SInter { keys: Vec<Vec<u8>> },
    /// `SUNION key [key …]`
    SUnion { keys: Vec<Vec<u8>> },
    /// `SDIFF key [key …]`
    SDiff { keys: Vec<Vec<u8>> },
    /// `SINTERSTORE destination key [key …]`
    SInterStore {
        destination: Vec<u8>,
        keys: Vec<Vec<u8>>,
    },
    /// `SUNIONSTORE destination key [key …]`
    SUnionStore {
        destination: Vec<u8>,
        keys: Vec<Vec<u8>>,
    },
    /// `SDIFFSTORE destination key [key …]`
    SDiffStore {
        destination: Vec<u8>,
        keys: Vec<Vec<u8>>,
    },
    /// `SINTERCARD numkeys key [key …] [LIMIT limit]` (a limit of 0 means none)
    SInterCard {
        keys: Vec<Vec<u8>>,
        limit: Option<usize>,
    },
    /// `SSCAN key cursor [MATCH pattern] [COUNT count]`
    SScan {
        key: Vec<u8>,
        cursor: u64,
        pattern: Option<Vec<u8>>,
        count: Option<usize>,
    },

    // Sorted sets
    /// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member …]`
    ZAdd {
        key: Vec<u8>,
        options: ZAddOptions,
        pairs: Vec<(f64, Vec<u8>)>,
    },
    /// `ZINCRBY key increment member`
    ZIncrBy {
        key: Vec<u8>,
        increment: f64,
        member: Vec<u8>,
    },
    /// `ZSCORE key member`
    ZScore { key: Vec<u8>, member: Vec<u8> },
    /// `ZMSCORE key member [member …]`
    ZMScore { key: Vec<u8>, members: Vec<Vec<u8>> },
    /// `ZCARD key`
    ZCard { key: Vec<u8> },
    /// `ZCOUNT key min max`
    ZCount {
        key: Vec<u8>,
        min: ScoreBound,
        max: ScoreBound,
    },
    /// `ZLEXCOUNT key min max`
    ZLexCount {
        key: Vec<u8>,
        min: LexBound,
        max: LexBound,
    },
    /// `ZRANK key member [WITHSCORE]`
    ZRank {
        key: Vec<u8>,
        member: Vec<u8>,
        with_score: bool,
    },
    /// `ZREVRANK key member [WITHSCORE]`
    ZRevRank {
        key: Vec<u8>,
        member: Vec<u8>,
        with_score: bool,
    },
    /// `ZREM key member [member …]`
    ZRem { key: Vec<u8>, members: Vec<Vec<u8>> },
    /// `ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]`
    /// (with `rev`, a score or lex range is given as `max min`)
    ZRange {
        key: Vec<u8>,
        by: ZRangeBy,
        rev: bool,
        limit: Limit,
        with_scores: bool,
    },
    /// `ZREVRANGE key start stop [WITHSCORES]`
    ZRevRange {
        key: Vec<u8>,
        start: i64,
        stop: i64,
        with_scores: bool,
    },
    /// `ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]`
    ZRangeByScore {
        key: Vec<u8>,
        min: ScoreBound,
        max: ScoreBound,
        limit: Limit,
        with_scores: bool,
    },
    /// `ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]`
    ZRevRangeByScore {
        key: Vec<u8>,
        max: ScoreBound,
        min: ScoreBound,
        limit: Limit,
        with_scores: bool,
    },
    /// `ZRANGEBYLEX key min max [LIMIT offset count]`
    ZRangeByLex {
        key: Vec<u8>,
        min: LexBound,
        max: LexBound,
        limit: Limit,
    },
    /// `ZREVRANGEBYLEX key max min [LIMIT offset count]`
    ZRevRangeByLex {
        key: Vec<u8>,
        max: LexBound,
        min: LexBound,
        limit: Limit,
    },
    /// `ZREMRANGEBYRANK key start stop`
    ZRemRangeByRank { key: Vec<u8>, start: i64, stop: i64 },
    /// `ZREMRANGEBYSCORE key min max`
    ZRemRangeByScore {
        key: Vec<u8>,
        min: ScoreBound,
        max: ScoreBound,
    },
    /// `ZREMRANGEBYLEX key min max`
    ZRemRangeByLex {
        key: Vec<u8>,
        min: LexBound,
        max: LexBound,
    },
    /// `ZPOPMIN key [count]`
    ZPopMin { key: Vec<u8>, count: Option<usize> },
    /// `ZPOPMAX key [count]`
    ZPopMax { key: Vec<u8>, count: Option<usize> },
    /// `ZRANDMEMBER key [count [WITHSCORES]]` (a negative count may repeat members)
    ZRandMember {
        key: Vec<u8>,
        count: Option<i64>,
        with_scores: bool,
    },
    /// `ZUNIONSTORE destination numkeys key [key …] [WEIGHTS w …] [AGGREGATE SUM|MIN|MAX]`
    ZUnionStore {
        destination: Vec<u8>,
        keys: Vec<Vec<u8>>,
        weights: Option<Vec<f64>>,
        aggregate: Aggregate,
    },
    /// `ZINTERSTORE destination numkeys key [key …] [WEIGHTS w …] [AGGREGATE SUM|MIN|MAX]`
    ZInterStore {
        destination: Vec<u8>,
        keys: Vec<Vec<u8>>,
        weights: Option<Vec<f64>>,
        aggregate: Aggregate,
    },
    /// `ZDIFFSTORE destination numkeys key [key …]`
    ZDiffStore {
        destination: Vec<u8>,
        keys: Vec<Vec<u8>>,
    },
    /// `ZSCAN key cursor [MATCH pattern] [COUNT count]`
    ZScan {
        key: Vec<u8>,
        cursor: u64,
        pattern: Option<Vec<u8>>,
        count: Option<usize>,
    },

    // Geospatial indexes (sorted sets whose scores are geohashes)
    /// `GEOADD key [NX|XX] [CH] longitude latitude member [longitude latitude member …]`
    GeoAdd {
        key: Vec<u8>,
        condition: ZAddCondition,
        changed: bool,
        points: Vec<(f64, f64, Vec<u8>)>,
    },
    /// `GEOPOS key member [member …]`
    GeoPos { key: Vec<u8>, members: Vec<Vec<u8>> },
    /// `GEODIST key member1 member2 [M|KM|FT|MI]`
    GeoDist {
        key: Vec<u8>,
        member1: Vec<u8>,
        member2: Vec<u8>,
        unit: GeoUnit,
    },
    /// `GEOHASH key member [member …]`
    GeoHash { key: Vec<u8>, members: Vec<Vec<u8>> },

    // Pub/sub (subscribing is per connection, not a command: see `Engine::subscribe`)
    /// `PUBLISH channel message`
    Publish { channel: Vec<u8>, message: Vec<u8> },
    /// `PUBSUB CHANNELS [pattern]`
    PubSubChannels { pattern: Option<Vec<u8>> },
    /// `PUBSUB NUMSUB [channel …]`
    PubSubNumSub { channels: Vec<Vec<u8>> },
    /// `PUBSUB NUMPAT`
    PubSubNumPat,

    // Keys and hashes added after the first release of the table
    /// `COPY source destination [DB 0] [REPLACE]` (one database: a `DB` other than 0 is an
    /// error)
    Copy {
        source: Vec<u8>,
        destination: Vec<u8>,
        replace: bool,
    },
    /// `RENAMENX key newkey`
    RenameNx { key: Vec<u8>, new_key: Vec<u8> },
    /// `UNLINK key [key …]`
    Unlink { keys: Vec<Vec<u8>> },
    /// `TOUCH key [key …]`
    Touch { keys: Vec<Vec<u8>> },
    /// `HSTRLEN key field`
    HStrLen { key: Vec<u8>, field: Vec<u8> },
    /// `RANDOMKEY`
    RandomKey,
    /// `TIME`
    Time,
    /// `ZUNION numkeys key [key …] [WEIGHTS w …] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`
    ZUnion {
        keys: Vec<Vec<u8>>,
        weights: Option<Vec<f64>>,
        aggregate: Aggregate,
        with_scores: bool,
    },
    /// `ZINTER numkeys key [key …] [WEIGHTS w …] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`
    ZInter {
        keys: Vec<Vec<u8>>,
        weights: Option<Vec<f64>>,
        aggregate: Aggregate,
        with_scores: bool,
    },
    /// `ZDIFF numkeys key [key …] [WITHSCORES]`
    ZDiff {
        keys: Vec<Vec<u8>>,
        with_scores: bool,
    },
    /// `ZINTERCARD numkeys key [key …] [LIMIT limit]` (a limit of 0 means none)
    ZInterCard {
        keys: Vec<Vec<u8>>,
        limit: Option<usize>,
    },
    /// `ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]` (with `rev`,
    /// a score or lex range is given as `max min`)
    ZRangeStore {
        destination: Vec<u8>,
        key: Vec<u8>,
        by: ZRangeBy,
        rev: bool,
        limit: Limit,
    },
    /// `EVAL script numkeys [key …] [arg …]`
    Eval {
        script: Vec<u8>,
        keys: Vec<Vec<u8>>,
        args: Vec<Vec<u8>>,
    },
    /// `EVALSHA sha1 numkeys [key …] [arg …]`
    EvalSha {
        sha1: Vec<u8>,
        keys: Vec<Vec<u8>>,
        args: Vec<Vec<u8>>,
    },
    /// `EVAL_RO script numkeys [key …] [arg …]`
    EvalRo {
        script: Vec<u8>,
        keys: Vec<Vec<u8>>,
        args: Vec<Vec<u8>>,
    },
    /// `EVALSHA_RO sha1 numkeys [key …] [arg …]`
    EvalShaRo {
        sha1: Vec<u8>,
        keys: Vec<Vec<u8>>,
        args: Vec<Vec<u8>>,
    },
    /// `SCRIPT LOAD script`
    ScriptLoad { script: Vec<u8> },
    /// `SCRIPT EXISTS sha1 [sha1 …]`
    ScriptExists { sha1s: Vec<Vec<u8>> },
    /// `SCRIPT FLUSH [ASYNC|SYNC]`
    ScriptFlush,
    /// `HRANDFIELD key [count [WITHVALUES]]` (a negative count may repeat fields)
    HRandField {
        key: Vec<u8>,
        count: Option<i64>,
        with_values: bool,
    },
    /// `HSCAN key cursor [MATCH pattern] [COUNT count]`
    HScan {
        key: Vec<u8>,
        cursor: u64,
        pattern: Option<Vec<u8>>,
        count: Option<usize>,
    },
    /// `LPOS key element [RANK rank] [COUNT count] [MAXLEN len]` (`COUNT 0` means every
    /// match, `MAXLEN 0` the whole list)
    LPos {
        key: Vec<u8>,
        element: Vec<u8>,
        rank: Option<i64>,
        count: Option<usize>,
        max_len: Option<usize>,
    },
    /// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`
    LMove {
        source: Vec<u8>,
        destination: Vec<u8>,
        from: ListEnd,
        to: ListEnd,
    },
    /// `LMPOP numkeys key [key …] LEFT|RIGHT [COUNT count]`
    LMPop {
        keys: Vec<Vec<u8>>,
        from: ListEnd,
        count: Option<usize>,
    },
}

/// The answer to a [`Command`], shaped like Redis's RESP2 replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// No value (a missing key, a failed condition).
    Nil,
    /// The `OK` status.
    Ok,
    /// Another status word (`TYPE`'s `string`, `PING`'s `PONG`).
    Status(&'static str),
    /// An integer.
    Int(i64),
    /// A byte string.
    Bulk(Vec<u8>),
    /// An array of replies.
    Array(Vec<Reply>),
}

impl Reply {
    pub(crate) fn bulk_or_nil(v: Option<Vec<u8>>) -> Reply {
        v.map_or(Reply::Nil, Reply::Bulk)
    }

    pub(crate) fn bulks<I: IntoIterator<Item = Vec<u8>>>(items: I) -> Reply {
        Reply::Array(items.into_iter().map(Reply::Bulk).collect())
    }
}
