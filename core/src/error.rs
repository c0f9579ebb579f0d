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
    /// An expiry that is not positive or overflows, naming the command as Redis does.
    #[error("ERR invalid expire time in '{0}' command")]
    InvalidExpireTime(&'static str),
    /// The key does not exist (`RENAME`, `LSET`).
    #[error("ERR no such key")]
    NoSuchKey,
    /// A list index outside the list (`LSET`).
    #[error("ERR index out of range")]
    IndexOutOfRange,
    /// Options that do not parse or do not go together.
    #[error("ERR syntax error")]
    Syntax,
    /// The command got too few or too many arguments.
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
    /// A subcommand that does not exist (or has the wrong number of arguments).
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
    /// A glob pattern that cannot be compiled (an unterminated `[` class).
    ///
    /// Redis silently treats such a class as running to the end of the pattern; hedgestore
    /// rejects it, because the pattern almost certainly does not mean what its author thought.
    #[error("ERR invalid pattern: {0}")]
    InvalidPattern(&'static str),
}
