//! The engine's error type: one variant per failure, displayed exactly as Redis 7 words it.

use alloc::string::String;

/// Why a command failed. Nothing is changed in the keyspace when a command returns an error.
///
/// `Display` gives Redis's own reply text (`WRONGTYPE …`, `ERR …`), so a proxy can forward it
/// unchanged and clients written against Redis see what they expect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The key holds a different type than the command works on.
    #[error("WRONGTYPE Operation against a key holding the wrong kind of value")]
    WrongType,
    /// An argument or a stored string is not a 64-bit signed integer.
    #[error("ERR value is not an integer or out of range")]
    NotInteger,
    /// An argument or a stored string is not a valid float.
    #[error("ERR value is not a valid float")]
    NotFloat,
    /// A hash field holds something that is not an integer (`HINCRBY`).
    #[error("ERR hash value is not an integer")]
    HashValueNotInteger,
    /// A hash field holds something that is not a float (`HINCRBYFLOAT`).
    #[error("ERR hash value is not a float")]
    HashValueNotFloat,
    /// An integer increment would leave the 64-bit signed range.
    #[error("ERR increment or decrement would overflow")]
    Overflow,
    /// `DECRBY` by `i64::MIN`, which cannot be negated.
    #[error("ERR decrement would overflow")]
    DecrementOverflow,
    /// A float increment would produce NaN or an infinity.
    #[error("ERR increment would produce NaN or Infinity")]
    NanOrInfinity,
    /// A count that must be positive was negative.
    #[error("ERR value is out of range, must be positive")]
    NotPositive,
    /// A count of `i64::MIN`, which has no opposite (`SRANDMEMBER`, `ZRANDMEMBER`).
    #[error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")]
    CountOutOfRange,
    /// A `numkeys` argument below 1.
    #[error("ERR numkeys should be greater than 0")]
    NumKeysNotPositive,
    /// A `numkeys` argument larger than the keys that follow it.
    #[error("ERR Number of keys can't be greater than number of args")]
    NumKeysOverArgs,
    /// A negative `LIMIT` (`SINTERCARD`, `ZINTERCARD`).
    #[error("ERR LIMIT can't be negative")]
    NegativeLimit,
    /// A score range bound that is not a number (`ZCOUNT`, `ZRANGEBYSCORE` …).
    #[error("ERR min or max is not a float")]
    MinMaxNotFloat,
    /// A lex range bound that does not start with `[` or `(` and is not `-` or `+`.
    #[error("ERR min or max not valid string range item")]
    MinMaxNotLex,
    /// `ZADD` with both `XX` and `NX`.
    #[error("ERR XX and NX options at the same time are not compatible")]
    XxAndNx,
    /// `ZADD` with `GT` and `LT`, or either with `NX`.
    #[error("ERR GT, LT, and/or NX options at the same time are not compatible")]
    GtLtNx,
    /// `ZADD … INCR` with more than one score-member pair.
    #[error("ERR INCR option supports a single increment-element pair")]
    IncrSinglePair,
    /// A score increment that gives NaN (`inf` plus `-inf`).
    #[error("ERR resulting score is not a number (NaN)")]
    ScoreNaN,
    /// `LIMIT` in a rank range.
    #[error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
    )]
    LimitWithRank,
    /// `WITHSCORES` in a lex range.
    #[error("ERR syntax error, WITHSCORES not supported in combination with BYLEX")]
    WithScoresByLex,
    /// A `numkeys` below 1 in a sorted set combination, naming the command.
    #[error("ERR at least 1 input key is needed for '{0}' command")]
    AtLeastOneKey(&'static str),
    /// A `WEIGHTS` value that is not a number.
    #[error("ERR weight value is not a float")]
    WeightNotFloat,
    /// A count whose double does not fit (`ZRANDMEMBER … WITHSCORES`).
    #[error("ERR value is out of range")]
    ValueOutOfRange,
    /// An expiry that is not positive or overflows, naming the command as Redis does.
    #[error("ERR invalid expire time in '{0}' command")]
    InvalidExpireTime(&'static str),
    /// A negative time in the `HEXPIRE` family.
    #[error("ERR invalid expire time, must be >= 0")]
    NegativeFieldExpireTime,
    /// A `FIELDS` count that is not a positive integer (hash field expiration).
    #[error("ERR Parameter `numFields` should be greater than 0")]
    NumFieldsNotPositive,
    /// A `FIELDS` count other than the number of fields that follow it.
    #[error("ERR The `numfields` parameter must match the number of arguments")]
    NumFieldsMismatch,
    /// No `FIELDS` where the hash field expiration commands expect it.
    #[error("ERR Mandatory argument FIELDS is missing or not at the right position")]
    FieldsMissing,
    /// A negative string offset (`SETRANGE`).
    #[error("ERR offset is out of range")]
    OffsetOutOfRange,
    /// A string would grow past Redis's 512 MB limit (`SETRANGE`).
    #[error("ERR string exceeds maximum allowed size (proto-max-bulk-len)")]
    StringTooLong,
    /// A bit offset that is not an integer from 0 to 2^32 − 1 (`SETBIT`, `GETBIT`).
    #[error("ERR bit offset is not an integer or out of range")]
    BitOffset,
    /// A `SETBIT` value other than 0 or 1.
    #[error("ERR bit is not an integer or out of range")]
    BitValue,
    /// A `BITPOS` bit other than 0 or 1.
    #[error("ERR The bit argument must be 1 or 0.")]
    BitArgument,
    /// `BITOP NOT` with more than one source key.
    #[error("ERR BITOP NOT must be called with a single source key.")]
    BitOpNotSingleKey,
    /// A string that is not a HyperLogLog (`PFADD`, `PFCOUNT`, `PFMERGE`).
    #[error("WRONGTYPE Key is not a valid HyperLogLog string value.")]
    NotHyperLogLog,
    /// A HyperLogLog whose sparse encoding does not cover its registers exactly.
    #[error("INVALIDOBJ Corrupted HLL object detected")]
    CorruptedHyperLogLog,
    /// The key does not exist (`RENAME`, `LSET`).
    #[error("ERR no such key")]
    NoSuchKey,
    /// A list index outside the list (`LSET`).
    #[error("ERR index out of range")]
    IndexOutOfRange,
    /// Options that do not parse or do not go together.
    #[error("ERR syntax error")]
    Syntax,
    /// A point outside the longitudes -180..180 or latitudes -85.05112878..85.05112878
    /// (`GEOADD`). Holds the pair as Redis prints it, `%f,%f`.
    #[error("ERR invalid longitude,latitude pair {0}")]
    InvalidLonLat(String),
    /// A distance unit other than `m`, `km`, `ft` or `mi`.
    #[error("ERR unsupported unit provided. please use M, KM, FT, MI")]
    UnsupportedUnit,
    /// The command got too few or too many arguments. Holds the command's name, or for a
    /// subcommand its id (`pubsub|numpat`), as Redis words it.
    #[error("ERR wrong number of arguments for '{0}' command")]
    WrongArity(&'static str),
    /// No command of this name exists.
    #[error("ERR unknown command '{name}', with args beginning with: {args}")]
    UnknownCommand {
        /// The name as sent (lossily decoded, truncated to 128 bytes).
        name: String,
        /// The first arguments, each quoted, as Redis lists them.
        args: String,
    },
    /// A subcommand that does not exist.
    #[error("ERR unknown subcommand '{subcommand}'. Try {command} HELP.")]
    NoSuchSubcommand {
        /// The command (`PUBSUB`).
        command: &'static str,
        /// The subcommand as sent (at most 128 bytes, lossily decoded, line breaks as
        /// spaces, as Redis shows it).
        subcommand: String,
    },
    /// A subcommand whose arguments its implementation refuses although the count fits its
    /// arity (`PUBSUB CHANNELS` with more than one pattern).
    #[error("ERR unknown subcommand or wrong number of arguments for '{subcommand}'. Try {command} HELP.")]
    UnknownSubcommand {
        /// The command (`PUBSUB`).
        command: &'static str,
        /// The subcommand as sent.
        subcommand: String,
    },
    /// An `EXPIRE`-family option that does not exist.
    #[error("ERR Unsupported option {0}")]
    UnsupportedOption(String),
    /// `NX` combined with `XX`, `GT` or `LT`.
    #[error("ERR NX and XX, GT or LT options at the same time are not compatible")]
    NxAndOtherConditions,
    /// `GT` combined with `LT`.
    #[error("ERR GT and LT options at the same time are not compatible")]
    GtAndLt,
    /// A `SCAN` cursor that is not an unsigned integer.
    #[error("ERR invalid cursor")]
    InvalidCursor,
    /// `SCAN … TYPE` with a type name that does not exist.
    #[error("ERR unknown type name '{0}'")]
    UnknownTypeName(String),
    /// Memory is above the limit and the eviction policy cannot free any (`NoEviction`, or a
    /// volatile policy with no key that has a TTL). Reads and deletes still work.
    #[error("OOM command not allowed when used memory > 'maxmemory'.")]
    OutOfMemory,
    /// A lock TTL of zero.
    #[error("ERR invalid lock TTL: it must be at least 1 ms")]
    InvalidLockTtl,
    /// An error a Redis server (or a remote endpoint) reported that has no variant of its
    /// own; the text is kept as received.
    #[error("{0}")]
    Server(String),
    /// `COPY` with the same key as source and destination.
    #[error("ERR source and destination objects are the same")]
    SameObject,
    /// A database index outside Redis's default 16 databases (`COPY … DB 99`).
    #[error("ERR DB index is out of range")]
    DbIndexOutOfRange,
    /// A database other than 0 (`COPY … DB 1`): hedgestore has a single database.
    #[error("ERR hedgestore has one database: DB must be 0")]
    OneDatabase,
    /// `LPOS … RANK 0`.
    #[error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")]
    RankZero,
    /// `LPOS … COUNT` that is negative or not an integer.
    #[error("ERR COUNT can't be negative")]
    CountNegative,
    /// `LPOS … MAXLEN` that is negative or not an integer.
    #[error("ERR MAXLEN can't be negative")]
    MaxLenNegative,
    /// `LMPOP … COUNT` that is not a positive integer.
    #[error("ERR count should be greater than 0")]
    CountNotPositive,
    /// A script's `numkeys` below zero.
    #[error("ERR Number of keys can't be negative")]
    NumKeysNegative,
    /// A script (`EVAL`, `SCRIPT LOAD`, …) sent to the memory engine, which has no Lua
    /// interpreter: scripts run on Redis only.
    #[error("ERR scripts need Redis: hedgestore's memory engine has no Lua interpreter")]
    ScriptsNeedRedis,
    /// A script sent while Redis is unreachable (the fallback serving from memory): its
    /// effects could be neither run nor journaled.
    #[error("ERR scripts need Redis, which is unreachable")]
    ScriptsNeedReachableRedis,
    /// A glob pattern that cannot be compiled (an unterminated `[` class).
    ///
    /// Redis silently treats such a class as running to the end of the pattern; hedgestore
    /// rejects it, because the pattern almost certainly does not mean what its author thought.
    #[error("ERR invalid pattern: {0}")]
    InvalidPattern(&'static str),
}

/// The name or subcommand id (`pubsub|numpat`) of a row of the command table, as errors
/// word it, for reading `&'static str` fields back from text.
fn static_name(name: &str) -> Option<&'static str> {
    crate::COMMAND_TABLE
        .iter()
        .flat_map(|spec| [spec.name(), spec.id])
        .find(|n| *n == name)
}

/// A container command as subcommand errors word it (`PUBSUB`).
fn static_container(name: &str) -> Option<&'static str> {
    crate::command::CONTAINERS
        .iter()
        .map(|(_, upper, _)| *upper)
        .find(|n| *n == name)
}

impl Error {
    /// Reads an error reply's text (as a Redis server or a remote endpoint sends it) back into
    /// the variant that displays as exactly that text, or [`Error::Server`] when none does.
    /// `Error::from_reply(&e.to_string()) == e` for every error the engine produces.
    pub fn from_reply(text: &str) -> Error {
        use alloc::borrow::ToOwned;
        use alloc::string::ToString;
        let unit = [
            Error::WrongType,
            Error::NotInteger,
            Error::NotFloat,
            Error::HashValueNotInteger,
            Error::HashValueNotFloat,
            Error::Overflow,
            Error::DecrementOverflow,
            Error::NanOrInfinity,
            Error::NotPositive,
            Error::CountOutOfRange,
            Error::NumKeysNotPositive,
            Error::NumKeysOverArgs,
            Error::NegativeLimit,
            Error::MinMaxNotFloat,
            Error::MinMaxNotLex,
            Error::XxAndNx,
            Error::GtLtNx,
            Error::IncrSinglePair,
            Error::ScoreNaN,
            Error::LimitWithRank,
            Error::WithScoresByLex,
            Error::WeightNotFloat,
            Error::ValueOutOfRange,
            Error::NegativeFieldExpireTime,
            Error::NumFieldsNotPositive,
            Error::NumFieldsMismatch,
            Error::FieldsMissing,
            Error::OffsetOutOfRange,
            Error::StringTooLong,
            Error::BitOffset,
            Error::BitValue,
            Error::BitArgument,
            Error::BitOpNotSingleKey,
            Error::NotHyperLogLog,
            Error::CorruptedHyperLogLog,
            Error::NoSuchKey,
            Error::IndexOutOfRange,
            Error::Syntax,
            Error::UnsupportedUnit,
            Error::NxAndOtherConditions,
            Error::GtAndLt,
            Error::InvalidCursor,
            Error::OutOfMemory,
            Error::InvalidLockTtl,
            Error::SameObject,
            Error::DbIndexOutOfRange,
            Error::OneDatabase,
            Error::RankZero,
            Error::CountNegative,
            Error::MaxLenNegative,
            Error::CountNotPositive,
            Error::NumKeysNegative,
            Error::ScriptsNeedRedis,
            Error::ScriptsNeedReachableRedis,
        ];
        if let Some(e) = unit.into_iter().find(|e| e.to_string() == text) {
            return e;
        }
        let between = |prefix: &str, suffix: &str| -> Option<&str> {
            text.strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(suffix))
        };
        if let Some(n) = between("ERR invalid expire time in '", "' command").and_then(static_name)
        {
            return Error::InvalidExpireTime(n);
        }
        if let Some(n) =
            between("ERR at least 1 input key is needed for '", "' command").and_then(static_name)
        {
            return Error::AtLeastOneKey(n);
        }
        if let Some(n) =
            between("ERR wrong number of arguments for '", "' command").and_then(static_name)
        {
            return Error::WrongArity(n);
        }
        if let Some((subcommand, command)) = between(
            "ERR unknown subcommand or wrong number of arguments for '",
            " HELP.",
        )
        .and_then(|rest| rest.rsplit_once("'. Try "))
        {
            if let Some(command) = static_container(command) {
                return Error::UnknownSubcommand {
                    command,
                    subcommand: subcommand.to_owned(),
                };
            }
        }
        if let Some((subcommand, command)) = between("ERR unknown subcommand '", " HELP.")
            .and_then(|rest| rest.rsplit_once("'. Try "))
        {
            if let Some(command) = static_container(command) {
                return Error::NoSuchSubcommand {
                    command,
                    subcommand: subcommand.to_owned(),
                };
            }
        }
        if let Some(opt) = text.strip_prefix("ERR Unsupported option ") {
            return Error::UnsupportedOption(opt.to_owned());
        }
        if let Some(pair) = text.strip_prefix("ERR invalid longitude,latitude pair ") {
            return Error::InvalidLonLat(pair.to_owned());
        }
        if let Some(t) = between("ERR unknown type name '", "'") {
            return Error::UnknownTypeName(t.to_owned());
        }
        if let Some(rest) = text.strip_prefix("ERR unknown command '") {
            if let Some((name, args)) = rest.split_once("', with args beginning with: ") {
                return Error::UnknownCommand {
                    name: name.to_owned(),
                    args: args.to_owned(),
                };
            }
        }
        if let Some(what) = text.strip_prefix("ERR invalid pattern: ") {
            if what == "unterminated '[' class" {
                return Error::InvalidPattern("unterminated '[' class");
            }
        }
        Error::Server(text.to_owned())
    }
}
