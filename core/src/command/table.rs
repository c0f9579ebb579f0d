//! The command table: every fact about a command, one row per command, in one place.
//!
//! A row gives the command's id (its lowercase name, `container|subcommand` for a
//! subcommand, as Redis's `COMMAND INFO` names it), its arity, its flags and the positions of
//! its keys. Everything that classifies a command reads this table: the parser (names and
//! arity), [`Command::name`](super::Command::name), [`is_write`](super::Command::is_write),
//! [`may_grow_memory`](super::Command::may_grow_memory) (which drives the engine's memory
//! admission), [`retry_safe`](super::Command::retry_safe), error parsing.
//!
//! [`Command::kind`](super::Command::kind) maps every `Command` variant to its row with an
//! exhaustive `match`, and the parser builds every variant from an exhaustive `match` over
//! [`CommandKind`]; a command missing from either is a compile error. A test compares the
//! table with a real `redis-server`'s `COMMAND INFO`.
//!
//! Longer than 600 lines on purpose: the table is one list, a row per command, and stays
//! whole so that every command's facts are found in one place.

/// What kind of command a row describes, as a set of flags (Redis's command flags where the
/// name is the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommandFlags(u8);

impl CommandFlags {
    /// Can change the keyspace: what a write journal must record and a batch must snapshot
    /// (Redis's `write`). `PUBLISH` is not a keyspace write.
    pub const WRITE: CommandFlags = CommandFlags(1);
    /// Only reads keys (Redis's `readonly`). `PING`, `PUBLISH` and `PUBSUB` touch no key and
    /// are neither `WRITE` nor `READONLY`, as in Redis.
    pub const READONLY: CommandFlags = CommandFlags(1 << 1);
    /// May grow memory, so it is refused when memory is over the limit and eviction cannot
    /// free any (Redis's `denyoom`).
    pub const DENYOOM: CommandFlags = CommandFlags(1 << 2);
    /// Sending it twice has the same effect and reply as sending it once, so a client may
    /// resend it after a connection broke mid-request. Never set on a write (a second `INCR`
    /// counts twice, a second `SET` may overwrite someone else's newer value) nor on
    /// `PUBLISH` (subscribers would receive the message twice).
    pub const RETRY_SAFE: CommandFlags = CommandFlags(1 << 3);
    /// Administrative: it reaches the whole keyspace at once (`KEYS`, `FLUSHDB`), so a
    /// shared endpoint should refuse it unless allowed (Redis's `@dangerous` category).
    pub const ADMIN: CommandFlags = CommandFlags(1 << 4);
    /// Part of publish/subscribe (Redis's `pubsub`).
    pub const PUBSUB: CommandFlags = CommandFlags(1 << 5);
    /// Touches every key at once (`FLUSHDB`), so a batch must snapshot the whole keyspace
    /// before it runs. Such a command lists no keys of its own.
    pub const ALL_KEYS: CommandFlags = CommandFlags(1 << 6);
    /// A write whose second application, right after the first, changes nothing more
    /// (`SET`, `HSET`, `DEL`, `SADD`, absolute expiry …; not `INCR`, `RPUSH`, `APPEND`, nor
    /// `ZADD`, whose `INCR` option counts). A write sent when the connection then failed can
    /// be journaled and replayed whether or not Redis applied it: the fallback does that for
    /// these, and answers `OutcomeUnknown` for the others. Not a Redis flag.
    pub const IDEMPOTENT: CommandFlags = CommandFlags(1 << 7);

    /// No flag.
    pub const fn empty() -> CommandFlags {
        CommandFlags(0)
    }

    /// These flags and `other`.
    pub const fn with(self, other: CommandFlags) -> CommandFlags {
        CommandFlags(self.0 | other.0)
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: CommandFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

/// Where a command's keys are in its argument array, Redis's legacy `first`/`last`/`step`
/// triple: keys at `first`, `first + step`, … up to `last`, which counts from the end when
/// negative (`-1` is the last argument). A command without keys has `0, 0, 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyRange {
    /// Index of the first key (the command name is index 0); 0 when there are no keys.
    pub first: i32,
    /// Index of the last key; negative counts from the end.
    pub last: i32,
    /// Distance between keys (2 for `MSET`'s key/value pairs).
    pub step: i32,
}

impl KeyRange {
    /// The indexes of the keys in an argument array of `argc` elements (name included).
    pub fn positions(self, argc: usize) -> impl Iterator<Item = usize> {
        let argc = argc as i64;
        let first = i64::from(self.first);
        let last = if self.last < 0 {
            argc + i64::from(self.last)
        } else {
            i64::from(self.last).min(argc - 1)
        };
        let step = i64::from(self.step.max(1));
        let end = if self.first == 0 { 0 } else { last + 1 };
        (first..end.max(first))
            .step_by(step as usize)
            .map(|i| i as usize)
    }
}

/// One row of the table: everything known about one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommandSpec {
    /// The command this row describes.
    pub kind: CommandKind,
    /// Lowercase id as `COMMAND INFO` names it: `"get"`, or `"pubsub|channels"` for a
    /// subcommand.
    pub id: &'static str,
    /// Redis's arity: `n` means exactly `n` arguments including the name (and, for a
    /// subcommand, the subcommand), `-n` at least `n`.
    pub arity: i32,
    /// The command's flags.
    pub flags: CommandFlags,
    /// Where its keys are.
    pub keys: KeyRange,
    /// [`name`](Self::name), cut from `id` once, when the table is built (it is asked for
    /// every command sent to Redis).
    name: &'static str,
}

/// The part of a row id before `|` (`"pubsub"` of `"pubsub|channels"`), or all of it.
const fn container_of(id: &'static str) -> &'static str {
    let bytes = id.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'|' {
            let (head, _) = bytes.split_at(i);
            return match core::str::from_utf8(head) {
                Ok(name) => name,
                Err(_) => panic!("a command id is ASCII"),
            };
        }
        i += 1;
    }
    id
}

impl CommandSpec {
    /// The command name as errors word it (`"hset"`; `"pubsub"` for every `PUBSUB`
    /// subcommand).
    #[inline]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The subcommand (`"channels"`), if this row is one.
    pub fn subcommand(&self) -> Option<&'static str> {
        self.id.split_once('|').map(|(_, sub)| sub)
    }

    /// A valid invocation, as an argument array: documentation, and what the tests run to
    /// check every row (parsing, key positions, memory admission) without a list of their
    /// own that could miss a command. Kept in a table of its own, not in the row, so that a
    /// program that reads the rows but never the examples (the wasm package) carries none
    /// of them.
    pub fn example(&self) -> &'static [&'static str] {
        COMMAND_EXAMPLES[self.kind as usize]
    }

    /// Whether `argc` arguments (name included) satisfy the arity.
    pub fn arity_accepts(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = i64::from(self.arity);
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }
}

/// Commands that only group subcommands (`PUBSUB CHANNELS`): the id, the name as
/// subcommand errors word it, and the container's arity.
pub(crate) const CONTAINERS: &[(&str, &str, i32)] =
    &[("pubsub", "PUBSUB", -2), ("script", "SCRIPT", -2)];

macro_rules! command_table {
    ($(
        $(#[$doc:meta])*
        $kind:ident = $id:literal, $arity:literal, [$($flag:ident),*], ($first:literal, $last:literal, $step:literal),
        [$($example:literal),+];
    )*) => {
        /// Every command hedgestore knows, one per row of the command table (one per Redis
        /// command, or per subcommand of a container such as `PUBSUB`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum CommandKind {
            $( $(#[$doc])* $kind, )*
        }

        /// The number of commands (rows of [`COMMAND_TABLE`]), as a constant.
        pub const COMMAND_COUNT: usize = [$(CommandKind::$kind),*].len();

        /// The command table, in [`CommandKind`] order.
        pub static COMMAND_TABLE: &[CommandSpec] = &[
            $(CommandSpec {
                kind: CommandKind::$kind,
                id: $id,
                arity: $arity,
                flags: CommandFlags::empty()$(.with(CommandFlags::$flag))*,
                keys: KeyRange { first: $first, last: $last, step: $step },
                name: container_of($id),
            },)*
        ];

        /// Each row's example invocation ([`CommandSpec::example`]), in [`CommandKind`] order.
        static COMMAND_EXAMPLES: &[&[&str]] = &[$(&[$($example),+],)*];

        impl CommandKind {
            /// The row from id (`"get"`, `"pubsub|channels"`; lowercase).
            pub fn from_id(id: &str) -> Option<CommandKind> {
                match id {
                    $($id => Some(CommandKind::$kind),)*
                    _ => None,
                }
            }
        }
    };
}

command_table! {
    // kind = id, arity, [flags], (first key, last key, step),
    //     example invocation;
    /// `GET`
    Get = "get", 2, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["GET", "k"];
    /// `SET`
    Set = "set", -3, [WRITE, DENYOOM, IDEMPOTENT], (1, 1, 1),
        ["SET", "k", "v", "EX", "10"];
    /// `GETDEL`
    GetDel = "getdel", 2, [WRITE, IDEMPOTENT], (1, 1, 1),
        ["GETDEL", "k"];
    /// `GETEX`
    GetEx = "getex", -2, [WRITE], (1, 1, 1),
        ["GETEX", "k", "PERSIST"];
    /// `MGET`
    MGet = "mget", -2, [READONLY, RETRY_SAFE], (1, -1, 1),
        ["MGET", "k1", "k2"];
    /// `MSET`
    MSet = "mset", -3, [WRITE, DENYOOM, IDEMPOTENT], (1, -1, 2),
        ["MSET", "k1", "v1", "k2", "v2"];
    /// `SETNX`
    SetNx = "setnx", 3, [WRITE, DENYOOM, IDEMPOTENT], (1, 1, 1),
        ["SETNX", "k", "v"];
    /// `INCR`
    Incr = "incr", 2, [WRITE, DENYOOM], (1, 1, 1),
        ["INCR", "n"];
    /// `DECR`
    Decr = "decr", 2, [WRITE, DENYOOM], (1, 1, 1),
        ["DECR", "n"];
    /// `INCRBY`
    IncrBy = "incrby", 3, [WRITE, DENYOOM], (1, 1, 1),
        ["INCRBY", "n", "5"];
    /// `DECRBY`
    DecrBy = "decrby", 3, [WRITE, DENYOOM], (1, 1, 1),
        ["DECRBY", "n", "5"];
    /// `INCRBYFLOAT`
    IncrByFloat = "incrbyfloat", 3, [WRITE, DENYOOM], (1, 1, 1),
        ["INCRBYFLOAT", "n", "1.5"];
    /// `APPEND`
    Append = "append", 3, [WRITE, DENYOOM], (1, 1, 1),
        ["APPEND", "k", "v"];
    /// `STRLEN`
    StrLen = "strlen", 2, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["STRLEN", "k"];
    /// `SETEX`
    SetEx = "setex", 4, [WRITE, DENYOOM, IDEMPOTENT], (1, 1, 1),
        ["SETEX", "k", "10", "v"];
    /// `PSETEX`
    PSetEx = "psetex", 4, [WRITE, DENYOOM, IDEMPOTENT], (1, 1, 1),
        ["PSETEX", "k", "10000", "v"];
    /// `GETSET`
    GetSet = "getset", 3, [WRITE, DENYOOM, IDEMPOTENT], (1, 1, 1),
        ["GETSET", "k", "v2"];
    /// `MSETNX`
    MSetNx = "msetnx", -3, [WRITE, DENYOOM], (1, -1, 2),
        ["MSETNX", "k1", "v1", "k2", "v2"];
    /// `SETRANGE`
    SetRange = "setrange", 4, [WRITE, DENYOOM, IDEMPOTENT], (1, 1, 1),
        ["SETRANGE", "k", "3", "xyz"];
    /// `GETRANGE`
    GetRange = "getrange", 4, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["GETRANGE", "k", "0", "-1"];
    /// `SETBIT`
    SetBit = "setbit", 4, [WRITE, DENYOOM, IDEMPOTENT], (1, 1, 1),
        ["SETBIT", "k", "7", "1"];
    /// `GETBIT`
    GetBit = "getbit", 3, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["GETBIT", "k", "7"];
    /// `BITCOUNT`
    BitCount = "bitcount", -2, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["BITCOUNT", "k", "0", "-1", "BIT"];
    /// `BITPOS`
    BitPos = "bitpos", -3, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["BITPOS", "k", "1", "0", "-1", "BYTE"];
    /// `BITOP`
    BitOp = "bitop", -4, [WRITE, DENYOOM], (2, -1, 1),
        ["BITOP", "AND", "d", "k1", "k2"];
    /// `PFADD`
    PfAdd = "pfadd", -2, [WRITE, DENYOOM, IDEMPOTENT], (1, 1, 1),
        ["PFADD", "hll", "a", "b"];
    /// `PFCOUNT`
    PfCount = "pfcount", -2, [READONLY, RETRY_SAFE], (1, -1, 1),
        ["PFCOUNT", "hll1", "hll2"];
    /// `PFMERGE`
    PfMerge = "pfmerge", -2, [WRITE, DENYOOM], (1, -1, 1),
        ["PFMERGE", "d", "hll1", "hll2"];
    /// `DEL`
    Del = "del", -2, [WRITE, IDEMPOTENT], (1, -1, 1),
        ["DEL", "k1", "k2"];
    /// `EXISTS`
    Exists = "exists", -2, [READONLY, RETRY_SAFE], (1, -1, 1),
        ["EXISTS", "k1", "k2"];
    /// `EXPIRE` (relative seconds)
    Expire = "expire", -3, [WRITE], (1, 1, 1),
        ["EXPIRE", "k", "10", "NX"];
    /// `PEXPIRE` (relative milliseconds)
    PExpire = "pexpire", -3, [WRITE], (1, 1, 1),
        ["PEXPIRE", "k", "10000"];
    /// `EXPIREAT` (Unix seconds)
    ExpireAt = "expireat", -3, [WRITE, IDEMPOTENT], (1, 1, 1),
        ["EXPIREAT", "k", "4102444800"];
    /// `PEXPIREAT` (Unix milliseconds)
    PExpireAt = "pexpireat", -3, [WRITE, IDEMPOTENT], (1, 1, 1),
        ["PEXPIREAT", "k", "4102444800000"];
    /// `TTL`
    Ttl = "ttl", 2, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["TTL", "k"];
    /// `PTTL`
    PTtl = "pttl", 2, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["PTTL", "k"];
    /// `PERSIST`
    Persist = "persist", 2, [WRITE, IDEMPOTENT], (1, 1, 1),
        ["PERSIST", "k"];
    /// `TYPE`
    Type = "type", 2, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["TYPE", "k"];
    /// `RENAME`
    Rename = "rename", 3, [WRITE], (1, 2, 1),
        ["RENAME", "k", "k2"];
    /// `KEYS`
    Keys = "keys", 2, [READONLY, RETRY_SAFE, ADMIN], (0, 0, 0),
        ["KEYS", "k*"];
    /// `SCAN`
    Scan = "scan", -2, [READONLY, RETRY_SAFE], (0, 0, 0),
        ["SCAN", "0", "MATCH", "k*", "COUNT", "10"];
    /// `DBSIZE`
    DbSize = "dbsize", 1, [READONLY, RETRY_SAFE], (0, 0, 0),
        ["DBSIZE"];
    /// `FLUSHDB`
    FlushDb = "flushdb", -1, [WRITE, ADMIN, ALL_KEYS, IDEMPOTENT], (0, 0, 0),
        ["FLUSHDB"];
    /// `FLUSHALL`
    FlushAll = "flushall", -1, [WRITE, ADMIN, ALL_KEYS, IDEMPOTENT], (0, 0, 0),
        ["FLUSHALL"];
    /// `ECHO`
    Echo = "echo", 2, [RETRY_SAFE], (0, 0, 0),
        ["ECHO", "hello"];
    /// `PING`
    Ping = "ping", -1, [RETRY_SAFE], (0, 0, 0),
        ["PING"];
    /// `HSET`
    HSet = "hset", -4, [WRITE, DENYOOM, IDEMPOTENT], (1, 1, 1),
        ["HSET", "h", "f1", "v1", "f2", "v2"];
    /// `HGET`
    HGet = "hget", 3, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["HGET", "h", "f"];
    /// `HMGET`
    HMGet = "hmget", -3, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["HMGET", "h", "f1", "f2"];
    /// `HGETALL`
    HGetAll = "hgetall", 2, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["HGETALL", "h"];
    /// `HDEL`
    HDel = "hdel", -3, [WRITE, IDEMPOTENT], (1, 1, 1),
        ["HDEL", "h", "f1", "f2"];
    /// `HEXISTS`
    HExists = "hexists", 3, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["HEXISTS", "h", "f"];
    /// `HLEN`
    HLen = "hlen", 2, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["HLEN", "h"];
    /// `HKEYS`
    HKeys = "hkeys", 2, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["HKEYS", "h"];
    /// `HVALS`
    HVals = "hvals", 2, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["HVALS", "h"];
    /// `HINCRBY`
    HIncrBy = "hincrby", 4, [WRITE, DENYOOM], (1, 1, 1),
        ["HINCRBY", "h", "n", "5"];
    /// `HINCRBYFLOAT`
    HIncrByFloat = "hincrbyfloat", 4, [WRITE, DENYOOM], (1, 1, 1),
        ["HINCRBYFLOAT", "h", "n", "1.5"];
    /// `HSETNX`
    HSetNx = "hsetnx", 4, [WRITE, DENYOOM, IDEMPOTENT], (1, 1, 1),
        ["HSETNX", "h", "f", "v"];
    /// `HMSET`
    HMSet = "hmset", -4, [WRITE, DENYOOM, IDEMPOTENT], (1, 1, 1),
        ["HMSET", "h", "f1", "v1", "f2", "v2"];
    /// `HEXPIRE` (relative seconds; Redis 7.4)
    HExpire = "hexpire", -6, [WRITE, DENYOOM], (1, 1, 1),
        ["HEXPIRE", "h", "10", "NX", "FIELDS", "2", "f1", "f2"];
    /// `HPEXPIRE` (relative milliseconds; Redis 7.4)
    HPExpire = "hpexpire", -6, [WRITE, DENYOOM], (1, 1, 1),
        ["HPEXPIRE", "h", "10000", "FIELDS", "1", "f"];
    /// `HEXPIREAT` (Unix seconds; Redis 7.4)
    HExpireAt = "hexpireat", -6, [WRITE, DENYOOM], (1, 1, 1),
        ["HEXPIREAT", "h", "4102444800", "GT", "FIELDS", "1", "f"];
    /// `HPEXPIREAT` (Unix milliseconds; Redis 7.4)
    HPExpireAt = "hpexpireat", -6, [WRITE, DENYOOM], (1, 1, 1),
        ["HPEXPIREAT", "h", "4102444800000", "FIELDS", "1", "f"];
    /// `HTTL` (Redis 7.4)
    HTtl = "httl", -5, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["HTTL", "h", "FIELDS", "2", "f1", "f2"];
    /// `HPTTL` (Redis 7.4)
    HPTtl = "hpttl", -5, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["HPTTL", "h", "FIELDS", "1", "f"];
    /// `HEXPIRETIME` (Redis 7.4)
    HExpireTime = "hexpiretime", -5, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["HEXPIRETIME", "h", "FIELDS", "1", "f"];
    /// `HPEXPIRETIME` (Redis 7.4)
    HPExpireTime = "hpexpiretime", -5, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["HPEXPIRETIME", "h", "FIELDS", "1", "f"];
    /// `HPERSIST` (Redis 7.4)
    HPersist = "hpersist", -5, [WRITE], (1, 1, 1),
        ["HPERSIST", "h", "FIELDS", "1", "f"];
    /// `HGETDEL` (Redis 8.0)
    HGetDel = "hgetdel", -5, [WRITE], (1, 1, 1),
        ["HGETDEL", "h", "FIELDS", "2", "f1", "f2"];
    /// `HGETEX` (Redis 8.0)
    HGetEx = "hgetex", -5, [WRITE], (1, 1, 1),
        ["HGETEX", "h", "EX", "100", "FIELDS", "1", "f"];
    /// `HSETEX` (Redis 8.0)
    HSetEx = "hsetex", -6, [WRITE, DENYOOM], (1, 1, 1),
        ["HSETEX", "h", "FNX", "PX", "5000", "FIELDS", "2", "f1", "v1", "f2", "v2"];
    /// `LPUSH`
    LPush = "lpush", -3, [WRITE, DENYOOM], (1, 1, 1),
        ["LPUSH", "l", "a", "b"];
    /// `RPUSH`
    RPush = "rpush", -3, [WRITE, DENYOOM], (1, 1, 1),
        ["RPUSH", "l", "a", "b"];
    /// `LPUSHX`
    LPushX = "lpushx", -3, [WRITE, DENYOOM], (1, 1, 1),
        ["LPUSHX", "l", "a"];
    /// `RPUSHX`
    RPushX = "rpushx", -3, [WRITE, DENYOOM], (1, 1, 1),
        ["RPUSHX", "l", "a"];
    /// `LPOP`
    LPop = "lpop", -2, [WRITE], (1, 1, 1),
        ["LPOP", "l", "2"];
    /// `RPOP`
    RPop = "rpop", -2, [WRITE], (1, 1, 1),
        ["RPOP", "l"];
    /// `LRANGE`
    LRange = "lrange", 4, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["LRANGE", "l", "0", "-1"];
    /// `LLEN`
    LLen = "llen", 2, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["LLEN", "l"];
    /// `LINDEX`
    LIndex = "lindex", 3, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["LINDEX", "l", "-1"];
    /// `LSET`
    LSet = "lset", 4, [WRITE, DENYOOM], (1, 1, 1),
        ["LSET", "l", "0", "v"];
    /// `LTRIM`
    LTrim = "ltrim", 4, [WRITE], (1, 1, 1),
        ["LTRIM", "l", "0", "9"];
    /// `LREM`
    LRem = "lrem", 4, [WRITE], (1, 1, 1),
        ["LREM", "l", "0", "v"];
    /// `LINSERT`
    LInsert = "linsert", 5, [WRITE, DENYOOM], (1, 1, 1),
        ["LINSERT", "l", "BEFORE", "a", "v"];
    /// `SADD`
    SAdd = "sadd", -3, [WRITE, DENYOOM, IDEMPOTENT], (1, 1, 1),
        ["SADD", "s", "a", "b"];
    /// `SREM`
    SRem = "srem", -3, [WRITE, IDEMPOTENT], (1, 1, 1),
        ["SREM", "s", "a", "b"];
    /// `SMEMBERS`
    SMembers = "smembers", 2, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["SMEMBERS", "s"];
    /// `SISMEMBER`
    SIsMember = "sismember", 3, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["SISMEMBER", "s", "a"];
    /// `SMISMEMBER`
    SMIsMember = "smismember", -3, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["SMISMEMBER", "s", "a", "z"];
    /// `SCARD`
    SCard = "scard", 2, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["SCARD", "s"];
    /// `SPOP`
    SPop = "spop", -2, [WRITE], (1, 1, 1),
        ["SPOP", "s", "5"];
    /// `SRANDMEMBER`
    SRandMember = "srandmember", -2, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["SRANDMEMBER", "s", "5"];
    /// `SMOVE`
    SMove = "smove", 4, [WRITE], (1, 2, 1),
        ["SMOVE", "s", "s2", "a"];
    /// `SINTER`
    SInter = "sinter", -2, [READONLY, RETRY_SAFE], (1, -1, 1),
        ["SINTER", "s", "s2"];
    /// `SUNION`
    SUnion = "sunion", -2, [READONLY, RETRY_SAFE], (1, -1, 1),
        ["SUNION", "s", "s2"];
    /// `SDIFF`
    SDiff = "sdiff", -2, [READONLY, RETRY_SAFE], (1, -1, 1),
        ["SDIFF", "s", "s2"];
    /// `SINTERSTORE`
    SInterStore = "sinterstore", -3, [WRITE, DENYOOM], (1, -1, 1),
        ["SINTERSTORE", "d", "s", "s2"];
    /// `SUNIONSTORE`
    SUnionStore = "sunionstore", -3, [WRITE, DENYOOM], (1, -1, 1),
        ["SUNIONSTORE", "d", "s", "s2"];
    /// `SDIFFSTORE`
    SDiffStore = "sdiffstore", -3, [WRITE, DENYOOM], (1, -1, 1),
        ["SDIFFSTORE", "d", "s", "s2"];
    /// `SINTERCARD` (its keys follow a count, so the table lists none, as Redis does)
    SInterCard = "sintercard", -3, [READONLY, RETRY_SAFE], (0, 0, 0),
        ["SINTERCARD", "2", "s", "s2", "LIMIT", "1"];
    /// `SSCAN`
    SScan = "sscan", -3, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["SSCAN", "s", "0", "MATCH", "*", "COUNT", "10"];
    /// `ZADD`
    ZAdd = "zadd", -4, [WRITE, DENYOOM], (1, 1, 1),
        ["ZADD", "z", "NX", "1.5", "a", "2", "b"];
    /// `ZINCRBY`
    ZIncrBy = "zincrby", 4, [WRITE, DENYOOM], (1, 1, 1),
        ["ZINCRBY", "z", "2.5", "a"];
    /// `ZSCORE`
    ZScore = "zscore", 3, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["ZSCORE", "z", "a"];
    /// `ZMSCORE`
    ZMScore = "zmscore", -3, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["ZMSCORE", "z", "a", "nope"];
    /// `ZCARD`
    ZCard = "zcard", 2, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["ZCARD", "z"];
    /// `ZCOUNT`
    ZCount = "zcount", 4, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["ZCOUNT", "z", "(1", "+inf"];
    /// `ZLEXCOUNT`
    ZLexCount = "zlexcount", 4, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["ZLEXCOUNT", "z", "[a", "+"];
    /// `ZRANK` (`WITHSCORE` is Redis 7.2's)
    ZRank = "zrank", -3, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["ZRANK", "z", "b"];
    /// `ZREVRANK` (`WITHSCORE` is Redis 7.2's)
    ZRevRank = "zrevrank", -3, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["ZREVRANK", "z", "b"];
    /// `ZREM`
    ZRem = "zrem", -3, [WRITE], (1, 1, 1),
        ["ZREM", "z", "a", "nope"];
    /// `ZRANGE`
    ZRange = "zrange", -4, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["ZRANGE", "z", "+inf", "(1", "BYSCORE", "REV", "LIMIT", "0", "5", "WITHSCORES"];
    /// `ZREVRANGE`
    ZRevRange = "zrevrange", -4, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["ZREVRANGE", "z", "0", "-1", "WITHSCORES"];
    /// `ZRANGEBYSCORE`
    ZRangeByScore = "zrangebyscore", -4, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["ZRANGEBYSCORE", "z", "-inf", "(2", "WITHSCORES", "LIMIT", "0", "1"];
    /// `ZREVRANGEBYSCORE`
    ZRevRangeByScore = "zrevrangebyscore", -4, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["ZREVRANGEBYSCORE", "z", "+inf", "1", "WITHSCORES"];
    /// `ZRANGEBYLEX`
    ZRangeByLex = "zrangebylex", -4, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["ZRANGEBYLEX", "z", "-", "(c", "LIMIT", "0", "10"];
    /// `ZREVRANGEBYLEX`
    ZRevRangeByLex = "zrevrangebylex", -4, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["ZREVRANGEBYLEX", "z", "+", "[a"];
    /// `ZREMRANGEBYRANK`
    ZRemRangeByRank = "zremrangebyrank", 4, [WRITE], (1, 1, 1),
        ["ZREMRANGEBYRANK", "z", "0", "0"];
    /// `ZREMRANGEBYSCORE`
    ZRemRangeByScore = "zremrangebyscore", 4, [WRITE], (1, 1, 1),
        ["ZREMRANGEBYSCORE", "z", "-inf", "(2"];
    /// `ZREMRANGEBYLEX`
    ZRemRangeByLex = "zremrangebylex", 4, [WRITE], (1, 1, 1),
        ["ZREMRANGEBYLEX", "z", "[a", "[b"];
    /// `ZPOPMIN`
    ZPopMin = "zpopmin", -2, [WRITE], (1, 1, 1),
        ["ZPOPMIN", "z", "2"];
    /// `ZPOPMAX`
    ZPopMax = "zpopmax", -2, [WRITE], (1, 1, 1),
        ["ZPOPMAX", "z"];
    /// `ZRANDMEMBER`
    ZRandMember = "zrandmember", -2, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["ZRANDMEMBER", "z", "5", "WITHSCORES"];
    /// `ZUNIONSTORE` (its source keys follow a count, so the table lists the destination only, as Redis does)
    ZUnionStore = "zunionstore", -4, [WRITE, DENYOOM], (1, 1, 1),
        ["ZUNIONSTORE", "d", "2", "z", "s", "WEIGHTS", "2", "0.5", "AGGREGATE", "MAX"];
    /// `ZINTERSTORE` (as `ZUNIONSTORE`, the destination only)
    ZInterStore = "zinterstore", -4, [WRITE, DENYOOM], (1, 1, 1),
        ["ZINTERSTORE", "d", "2", "z", "z", "AGGREGATE", "SUM"];
    /// `ZDIFFSTORE` (as `ZUNIONSTORE`, the destination only)
    ZDiffStore = "zdiffstore", -4, [WRITE, DENYOOM], (1, 1, 1),
        ["ZDIFFSTORE", "d", "2", "z", "nope"];
    /// `ZSCAN`
    ZScan = "zscan", -3, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["ZSCAN", "z", "0", "MATCH", "*", "COUNT", "10"];
    /// `GEOADD`
    GeoAdd = "geoadd", -5, [WRITE, DENYOOM], (1, 1, 1),
        ["GEOADD", "g", "NX", "CH", "13.361389", "38.115556", "Palermo"];
    /// `GEOPOS`
    GeoPos = "geopos", -2, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["GEOPOS", "g", "Palermo", "nope"];
    /// `GEODIST`
    GeoDist = "geodist", -4, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["GEODIST", "g", "Palermo", "Catania", "km"];
    /// `GEOHASH`
    GeoHash = "geohash", -2, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["GEOHASH", "g", "Palermo", "nope"];
    /// `PUBLISH`
    Publish = "publish", 3, [PUBSUB], (0, 0, 0),
        ["PUBLISH", "chan", "hello"];
    /// `PUBSUB CHANNELS`
    PubSubChannels = "pubsub|channels", -2, [PUBSUB, RETRY_SAFE], (0, 0, 0),
        ["PUBSUB", "CHANNELS", "c*"];
    /// `PUBSUB NUMSUB`
    PubSubNumSub = "pubsub|numsub", -2, [PUBSUB, RETRY_SAFE], (0, 0, 0),
        ["PUBSUB", "NUMSUB", "c1", "c2"];
    /// `PUBSUB NUMPAT`
    PubSubNumPat = "pubsub|numpat", 2, [PUBSUB, RETRY_SAFE], (0, 0, 0),
        ["PUBSUB", "NUMPAT"];
    /// `COPY` (database 0 only: hedgestore has one database)
    Copy = "copy", -3, [WRITE, DENYOOM], (1, 2, 1),
        ["COPY", "k", "k2", "REPLACE"];
    /// `RENAMENX`
    RenameNx = "renamenx", 3, [WRITE], (1, 2, 1),
        ["RENAMENX", "k", "k2"];
    /// `UNLINK` (removes at once, as `DEL`: there is no background freeing)
    Unlink = "unlink", -2, [WRITE, IDEMPOTENT], (1, -1, 1),
        ["UNLINK", "k1", "k2"];
    /// `TOUCH`
    Touch = "touch", -2, [READONLY, RETRY_SAFE], (1, -1, 1),
        ["TOUCH", "k1", "k2"];
    /// `HSTRLEN`
    HStrLen = "hstrlen", 3, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["HSTRLEN", "h", "f"];
    /// `RANDOMKEY`
    RandomKey = "randomkey", 1, [READONLY, RETRY_SAFE], (0, 0, 0),
        ["RANDOMKEY"];
    /// `TIME` (the engine's clock)
    Time = "time", 1, [RETRY_SAFE], (0, 0, 0),
        ["TIME"];
    /// `ZUNION` (its keys follow a count, so the table lists none, as Redis does)
    ZUnion = "zunion", -3, [READONLY, RETRY_SAFE], (0, 0, 0),
        ["ZUNION", "2", "z", "s", "WEIGHTS", "2", "0.5", "AGGREGATE", "MAX", "WITHSCORES"];
    /// `ZINTER` (as `ZUNION`)
    ZInter = "zinter", -3, [READONLY, RETRY_SAFE], (0, 0, 0),
        ["ZINTER", "2", "z", "z", "AGGREGATE", "MIN", "WITHSCORES"];
    /// `ZDIFF` (as `ZUNION`)
    ZDiff = "zdiff", -3, [READONLY, RETRY_SAFE], (0, 0, 0),
        ["ZDIFF", "2", "z", "nope", "WITHSCORES"];
    /// `ZINTERCARD` (as `ZUNION`)
    ZInterCard = "zintercard", -3, [READONLY, RETRY_SAFE], (0, 0, 0),
        ["ZINTERCARD", "2", "z", "z", "LIMIT", "1"];
    /// `ZRANGESTORE`
    ZRangeStore = "zrangestore", -5, [WRITE, DENYOOM], (1, 2, 1),
        ["ZRANGESTORE", "d", "z", "(1", "+inf", "BYSCORE", "LIMIT", "0", "5"];
    /// `EVAL` (Redis only: the memory engine has no Lua interpreter; its keys follow a
    /// count, so the table lists none, as Redis does)
    Eval = "eval", -3, [ADMIN], (0, 0, 0),
        ["EVAL", "return 1", "1", "k", "a"];
    /// `EVALSHA` (Redis only, as `EVAL`)
    EvalSha = "evalsha", -3, [ADMIN], (0, 0, 0),
        ["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"];
    /// `EVAL_RO` (Redis only, as `EVAL`)
    EvalRo = "eval_ro", -3, [READONLY, ADMIN], (0, 0, 0),
        ["EVAL_RO", "return 1", "1", "k"];
    /// `EVALSHA_RO` (Redis only, as `EVAL`)
    EvalShaRo = "evalsha_ro", -3, [READONLY, ADMIN], (0, 0, 0),
        ["EVALSHA_RO", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"];
    /// `SCRIPT LOAD` (Redis only)
    ScriptLoad = "script|load", 3, [ADMIN, RETRY_SAFE], (0, 0, 0),
        ["SCRIPT", "LOAD", "return 1"];
    /// `SCRIPT EXISTS` (Redis only)
    ScriptExists = "script|exists", -3, [ADMIN, RETRY_SAFE], (0, 0, 0),
        ["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"];
    /// `SCRIPT FLUSH` (Redis only)
    ScriptFlush = "script|flush", -2, [ADMIN], (0, 0, 0),
        ["SCRIPT", "FLUSH", "SYNC"];
    /// `HRANDFIELD`
    HRandField = "hrandfield", -2, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["HRANDFIELD", "h", "2", "WITHVALUES"];
    /// `HSCAN`
    HScan = "hscan", -3, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["HSCAN", "h", "0", "MATCH", "*", "COUNT", "10"];
    /// `LPOS`
    LPos = "lpos", -3, [READONLY, RETRY_SAFE], (1, 1, 1),
        ["LPOS", "l", "a", "RANK", "-1", "COUNT", "0", "MAXLEN", "10"];
    /// `LMOVE`
    LMove = "lmove", 5, [WRITE, DENYOOM], (1, 2, 1),
        ["LMOVE", "l", "l2", "LEFT", "RIGHT"];
    /// `LMPOP` (its keys follow a count, so the table lists none, as Redis does;
    /// [`Command::keys`](super::Command::keys) reads them from the command)
    LMPop = "lmpop", -4, [WRITE], (0, 0, 0),
        ["LMPOP", "2", "l", "l2", "LEFT", "COUNT", "2"];
}

impl CommandKind {
    /// Every command, in table order.
    pub fn all() -> impl Iterator<Item = CommandKind> {
        COMMAND_TABLE.iter().map(|spec| spec.kind)
    }

    /// This command's row of the table.
    pub fn spec(self) -> &'static CommandSpec {
        &COMMAND_TABLE[self as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_at_its_kinds_index_and_found_by_its_id() {
        for (i, spec) in COMMAND_TABLE.iter().enumerate() {
            assert_eq!(spec.kind as usize, i, "{}", spec.id);
            assert_eq!(CommandKind::from_id(spec.id), Some(spec.kind));
            assert_eq!(spec.kind.spec().id, spec.id);
        }
    }

    #[test]
    fn flags_do_not_contradict_each_other() {
        for spec in COMMAND_TABLE {
            let f = spec.flags;
            let id = spec.id;
            assert!(
                !(f.contains(CommandFlags::WRITE) && f.contains(CommandFlags::READONLY)),
                "{id}"
            );
            assert!(
                !(f.contains(CommandFlags::WRITE) && f.contains(CommandFlags::RETRY_SAFE)),
                "{id}"
            );
            assert!(
                !f.contains(CommandFlags::DENYOOM) || f.contains(CommandFlags::WRITE),
                "{id}"
            );
            assert!(
                !f.contains(CommandFlags::ALL_KEYS) || spec.keys.first == 0,
                "{id}"
            );
        }
    }

    #[test]
    fn subcommands_live_in_a_known_container() {
        for spec in COMMAND_TABLE {
            if spec.subcommand().is_some() {
                assert!(
                    CONTAINERS.iter().any(|(c, _, _)| *c == spec.name()),
                    "{}",
                    spec.id
                );
            }
        }
    }

    #[test]
    fn key_positions_follow_first_last_step() {
        let mset = CommandKind::MSet.spec().keys;
        assert_eq!(mset.positions(5).collect::<alloc::vec::Vec<_>>(), [1, 3]);
        let rename = CommandKind::Rename.spec().keys;
        assert_eq!(rename.positions(3).collect::<alloc::vec::Vec<_>>(), [1, 2]);
        let keys = CommandKind::Keys.spec().keys;
        assert_eq!(keys.positions(2).count(), 0);
    }
}
