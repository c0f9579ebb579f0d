//! Reading a command from Redis's argument-array form (`["SET", "k", "v", "EX", "10"]`).
//!
//! Checks happen in Redis's order: unknown command, then arity, then option syntax, then
//! numeric arguments. One deliberate difference: every numeric argument is validated here,
//! before the key is looked up. (Redis looks the key up first for `LINDEX`, `LSET`, `GETEX`
//! and `INCRBYFLOAT`, and before the range for `BITCOUNT` and `BITPOS`, so there a bad
//! argument on a missing key answers nil (or 0, or `BITPOS`'s answer for a missing key), and
//! on a key of another type `WRONGTYPE`; hedgestore answers the argument's error in both
//! cases.)
//!
//! Longer than 600 lines on purpose: two exhaustive `match`es parse every command, one the
//! writes (all that a log holds, so [`Command::parse_write`] replays one without the reads'
//! parsers) and one the rest, each refusing the other's rows in one listed arm, so a new
//! command does not compile until it has its arm; `core/tests/command_table.rs` parses every
//! row's example through both entries. The option-heavy families have their own `parse_*`
//! files.

use alloc::format;
use alloc::string::String;

use super::bits::{self, BitOp};
use super::parse_hash;
use super::read::{
    eq, expire_command, expiry, extended_options, float, int, list, numkeys_and_limit, pairs,
    pop_count, scan_cursor, scan_options,
};
use super::table::{CommandFlags, CommandKind, CommandSpec, CONTAINERS};
use super::{Command, Expiry, GetExOption, InsertPosition, SetOptions};
use crate::Error;

/// Finds the table row for an argument array and checks its arity: the command by name (any
/// case), and for a container (`PUBSUB`) the subcommand by the second argument. A name too
/// long for any row is unknown.
fn lookup<A: AsRef<[u8]>>(args: &[A]) -> Result<&'static CommandSpec, Error> {
    let mut buf = [0u8; 32];
    let Some(name) = args.first().and_then(|n| lowercase(n.as_ref(), &mut buf)) else {
        return Err(unknown_command(args));
    };
    // A subcommand's id (`pubsub|channels`) names a table row, not something a client sends.
    if name.contains('|') {
        return Err(unknown_command(args));
    }
    if let Some(spec) = CommandKind::from_id(name).map(CommandKind::spec) {
        if !spec.arity_accepts(args.len()) {
            return Err(Error::WrongArity(spec.name()));
        }
        return Ok(spec);
    }
    let Some(&(container, upper, arity)) = CONTAINERS.iter().find(|(c, _, _)| *c == name) else {
        return Err(unknown_command(args));
    };
    let argc = args.len() as i64;
    if (arity >= 0 && argc != i64::from(arity)) || (arity < 0 && argc < -i64::from(arity)) {
        return Err(Error::WrongArity(container));
    }
    let sub = args[1].as_ref();
    let unknown_subcommand = || {
        // Redis prints it with `%.128s` (at most 128 bytes, up to a NUL) and turns line
        // breaks into spaces.
        let shown = sub[..sub.len().min(128)]
            .split(|b| *b == 0)
            .next()
            .unwrap_or_default();
        Error::NoSuchSubcommand {
            command: upper,
            subcommand: String::from_utf8_lossy(shown).replace(['\r', '\n'], " "),
        }
    };
    let mut id_buf = [0u8; 64];
    let mut sub_buf = [0u8; 32];
    let sub_lower = lowercase(sub, &mut sub_buf).ok_or_else(unknown_subcommand)?;
    let id_len = container.len() + 1 + sub_lower.len();
    id_buf[..container.len()].copy_from_slice(container.as_bytes());
    id_buf[container.len()] = b'|';
    id_buf[container.len() + 1..id_len].copy_from_slice(sub_lower.as_bytes());
    let id = core::str::from_utf8(&id_buf[..id_len]).map_err(|_| unknown_subcommand())?;
    match CommandKind::from_id(id).map(CommandKind::spec) {
        Some(spec) if spec.arity_accepts(args.len()) => Ok(spec),
        Some(spec) => Err(Error::WrongArity(spec.id)),
        None => Err(unknown_subcommand()),
    }
}

/// `name` in ASCII lowercase, in `buf`; `None` when it is too long or not UTF-8 (no
/// command name is either).
fn lowercase<'b>(name: &[u8], buf: &'b mut [u8]) -> Option<&'b str> {
    let out = buf.get_mut(..name.len())?;
    out.copy_from_slice(name);
    out.make_ascii_lowercase();
    core::str::from_utf8(out).ok()
}

fn unknown_command<A: AsRef<[u8]>>(args: &[A]) -> Error {
    let lossy = |b: &[u8]| -> String {
        let cut = &b[..b.len().min(128)];
        String::from_utf8_lossy(cut).into_owned()
    };
    let mut rest = String::new();
    for a in args.iter().skip(1) {
        rest.push_str(&format!("'{}' ", lossy(a.as_ref())));
    }
    Error::UnknownCommand {
        name: args.first().map(|a| lossy(a.as_ref())).unwrap_or_default(),
        args: rest,
    }
}

impl Command {
    /// Parses Redis's argument-array form: the command name (any case) followed by its
    /// arguments.
    ///
    /// ```
    /// use hedgestore_core::{Command, Expiry};
    /// let cmd = Command::parse(&["set", "k", "v", "EX", "10"]).unwrap();
    /// assert!(matches!(cmd, Command::Set { options, .. } if options.expiry == Some(Expiry::Ex(10))));
    /// ```
    pub fn parse<A: AsRef<[u8]>>(args: &[A]) -> Result<Command, Error> {
        let spec = lookup(args)?;
        if spec.flags.contains(CommandFlags::WRITE) {
            parse_write_row(spec, args)
        } else {
            parse_other_row(spec, args)
        }
    }

    /// Parses a command that writes (flagged [`CommandFlags::WRITE`]), as [`parse`](Self::parse)
    /// does, and refuses any other as an unknown command. A log of writes only is read with it
    /// ([`Records::writes`](crate::log::Records::writes)), so a build that only replays such
    /// logs carries no parser of the reads (about a third of the parsing code: the wasm
    /// package replays a persisted store's log and parses nothing else).
    pub fn parse_write<A: AsRef<[u8]>>(args: &[A]) -> Result<Command, Error> {
        let spec = lookup(args)?;
        if spec.flags.contains(CommandFlags::WRITE) {
            parse_write_row(spec, args)
        } else {
            Err(unknown_command(args))
        }
    }
}

/// The arguments of a command that writes, whose row `spec` [`lookup`] found (and checked
/// the arity of): one arm per row flagged [`CommandFlags::WRITE`], and one that refuses
/// every other row as unknown (`the_write_parser_takes_exactly_the_writes` in
/// core/tests/command_table.rs checks that the rows are on the right side).
fn parse_write_row<A: AsRef<[u8]>>(spec: &CommandSpec, args: &[A]) -> Result<Command, Error> {
    let cmd_name = spec.name();
    let a = |i: usize| args[i].as_ref();
    let key = || a(1).to_vec();
    let rest = &args[1..];

    Ok(match spec.kind {
        CommandKind::Set => {
            let o = extended_options(&args[3..], true)?;
            let expiry = o.expiry.map(|(k, raw)| expiry(k, raw)).transpose()?;
            Command::Set {
                key: key(),
                value: a(2).to_vec(),
                options: SetOptions {
                    condition: o.condition,
                    expiry,
                    keep_ttl: o.keep_ttl,
                    get: o.get,
                },
            }
        }
        CommandKind::GetDel => Command::GetDel { key: key() },
        CommandKind::GetEx => {
            let o = extended_options(&args[2..], false)?;
            let option = match o.expiry {
                Some((k, raw)) => Some(GetExOption::Expiry(expiry(k, raw)?)),
                None if o.persist => Some(GetExOption::Persist),
                None => None,
            };
            Command::GetEx { key: key(), option }
        }
        CommandKind::MSet => {
            if rest.len() % 2 != 0 {
                return Err(Error::WrongArity(cmd_name));
            }
            Command::MSet { pairs: pairs(rest) }
        }
        CommandKind::SetNx => Command::SetNx {
            key: key(),
            value: a(2).to_vec(),
        },
        CommandKind::Incr => Command::Incr { key: key() },
        CommandKind::Decr => Command::Decr { key: key() },
        CommandKind::IncrBy => Command::IncrBy {
            key: key(),
            delta: int(a(2))?,
        },
        CommandKind::DecrBy => Command::DecrBy {
            key: key(),
            delta: int(a(2))?,
        },
        CommandKind::IncrByFloat => Command::IncrByFloat {
            key: key(),
            delta: float(a(2))?,
        },
        CommandKind::Append => Command::Append {
            key: key(),
            value: a(2).to_vec(),
        },
        CommandKind::SetEx => Command::SetEx {
            key: key(),
            seconds: int(a(2))?,
            value: a(3).to_vec(),
        },
        CommandKind::PSetEx => Command::PSetEx {
            key: key(),
            millis: int(a(2))?,
            value: a(3).to_vec(),
        },
        CommandKind::GetSet => Command::GetSet {
            key: key(),
            value: a(2).to_vec(),
        },
        CommandKind::MSetNx => {
            if rest.len() % 2 != 0 {
                return Err(Error::WrongArity(cmd_name));
            }
            Command::MSetNx { pairs: pairs(rest) }
        }
        CommandKind::SetRange => Command::SetRange {
            key: key(),
            offset: int(a(2))?,
            value: a(3).to_vec(),
        },
        CommandKind::SetBit => Command::SetBit {
            key: key(),
            offset: bits::bit_offset(a(2))?,
            value: bits::bit_value(a(3))?,
        },
        CommandKind::BitOp => {
            let op = BitOp::parse(a(1))?;
            if op == BitOp::Not && rest.len() != 3 {
                return Err(Error::BitOpNotSingleKey);
            }
            Command::BitOp {
                op,
                destination: a(2).to_vec(),
                keys: list(&rest[2..]),
            }
        }
        CommandKind::PfAdd => Command::PfAdd {
            key: key(),
            elements: list(&rest[1..]),
        },
        CommandKind::PfMerge => Command::PfMerge {
            destination: key(),
            sources: list(&rest[1..]),
        },
        CommandKind::Del => Command::Del { keys: list(rest) },
        CommandKind::Expire => expire_command(args, Expiry::Ex)?,
        CommandKind::PExpire => expire_command(args, Expiry::Px)?,
        CommandKind::ExpireAt => expire_command(args, Expiry::ExAt)?,
        CommandKind::PExpireAt => expire_command(args, Expiry::PxAt)?,
        CommandKind::Persist => Command::Persist { key: key() },
        CommandKind::Rename => Command::Rename {
            key: key(),
            new_key: a(2).to_vec(),
        },
        CommandKind::FlushDb | CommandKind::FlushAll => {
            match rest {
                [] => {}
                [mode] if eq(mode.as_ref(), "ASYNC") || eq(mode.as_ref(), "SYNC") => {}
                _ => return Err(Error::Syntax),
            }
            if spec.kind == CommandKind::FlushDb {
                Command::FlushDb
            } else {
                Command::FlushAll
            }
        }
        CommandKind::HExpire => parse_hash::hexpire(args, Expiry::Ex)?,
        CommandKind::HPExpire => parse_hash::hexpire(args, Expiry::Px)?,
        CommandKind::HExpireAt => parse_hash::hexpire(args, Expiry::ExAt)?,
        CommandKind::HPExpireAt => parse_hash::hexpire(args, Expiry::PxAt)?,
        CommandKind::HGetEx => parse_hash::hgetex(args)?,
        CommandKind::HSetEx => parse_hash::hsetex(args)?,
        CommandKind::HSet | CommandKind::HMSet => {
            if rest.len() % 2 == 0 {
                return Err(Error::WrongArity(cmd_name));
            }
            let (key, pairs) = (key(), pairs(&args[2..]));
            if spec.kind == CommandKind::HSet {
                Command::HSet { key, pairs }
            } else {
                Command::HMSet { key, pairs }
            }
        }
        CommandKind::HDel => Command::HDel {
            key: key(),
            fields: list(&args[2..]),
        },
        CommandKind::HIncrBy => Command::HIncrBy {
            key: key(),
            field: a(2).to_vec(),
            delta: int(a(3))?,
        },
        CommandKind::HIncrByFloat => Command::HIncrByFloat {
            key: key(),
            field: a(2).to_vec(),
            delta: float(a(3))?,
        },
        CommandKind::HSetNx => Command::HSetNx {
            key: key(),
            field: a(2).to_vec(),
            value: a(3).to_vec(),
        },
        CommandKind::LPush => Command::LPush {
            key: key(),
            values: list(&args[2..]),
        },
        CommandKind::RPush => Command::RPush {
            key: key(),
            values: list(&args[2..]),
        },
        CommandKind::LPushX => Command::LPushX {
            key: key(),
            values: list(&args[2..]),
        },
        CommandKind::RPushX => Command::RPushX {
            key: key(),
            values: list(&args[2..]),
        },
        CommandKind::LPop => Command::LPop {
            key: key(),
            count: pop_count(args, cmd_name)?,
        },
        CommandKind::RPop => Command::RPop {
            key: key(),
            count: pop_count(args, cmd_name)?,
        },
        CommandKind::LSet => Command::LSet {
            key: key(),
            index: int(a(2))?,
            value: a(3).to_vec(),
        },
        CommandKind::LTrim => Command::LTrim {
            key: key(),
            start: int(a(2))?,
            stop: int(a(3))?,
        },
        CommandKind::LRem => Command::LRem {
            key: key(),
            count: int(a(2))?,
            value: a(3).to_vec(),
        },
        CommandKind::LInsert => {
            let position = if eq(a(2), "BEFORE") {
                InsertPosition::Before
            } else if eq(a(2), "AFTER") {
                InsertPosition::After
            } else {
                return Err(Error::Syntax);
            };
            Command::LInsert {
                key: key(),
                position,
                pivot: a(3).to_vec(),
                value: a(4).to_vec(),
            }
        }
        CommandKind::SAdd => Command::SAdd {
            key: key(),
            members: list(&args[2..]),
        },
        CommandKind::SRem => Command::SRem {
            key: key(),
            members: list(&args[2..]),
        },
        CommandKind::SPop => {
            if args.len() > 3 {
                return Err(Error::Syntax);
            }
            Command::SPop {
                key: key(),
                count: pop_count(args, cmd_name)?,
            }
        }
        CommandKind::SMove => Command::SMove {
            source: a(1).to_vec(),
            destination: a(2).to_vec(),
            member: a(3).to_vec(),
        },
        CommandKind::SInterStore => Command::SInterStore {
            destination: key(),
            keys: list(&args[2..]),
        },
        CommandKind::SUnionStore => Command::SUnionStore {
            destination: key(),
            keys: list(&args[2..]),
        },
        CommandKind::SDiffStore => Command::SDiffStore {
            destination: key(),
            keys: list(&args[2..]),
        },
        CommandKind::Copy => super::read::copy(args)?,
        CommandKind::RenameNx => Command::RenameNx {
            key: key(),
            new_key: a(2).to_vec(),
        },
        CommandKind::Unlink => Command::Unlink { keys: list(rest) },
        CommandKind::ZRangeStore => super::parse_zset::zrangestore(args)?,
        CommandKind::LMove => super::parse_lists::lmove(args)?,
        CommandKind::LMPop => super::parse_lists::lmpop(args)?,
        CommandKind::HPersist | CommandKind::HGetDel => parse_hash::field_query(args, spec.kind)?,
        CommandKind::ZAdd
        | CommandKind::ZIncrBy
        | CommandKind::ZRem
        | CommandKind::ZRemRangeByRank
        | CommandKind::ZRemRangeByScore
        | CommandKind::ZRemRangeByLex
        | CommandKind::ZPopMin
        | CommandKind::ZPopMax
        | CommandKind::ZUnionStore
        | CommandKind::ZInterStore
        | CommandKind::ZDiffStore => super::parse_zset::parse_write(spec, args)?,
        CommandKind::GeoAdd => super::parse_geo::parse(spec, args)?,
        // The rows that do not write, `parse_other_row`'s: listed, not `_`, so that a new
        // row does not compile until it has an arm in one of the two.
        CommandKind::Get
        | CommandKind::MGet
        | CommandKind::StrLen
        | CommandKind::GetRange
        | CommandKind::GetBit
        | CommandKind::BitCount
        | CommandKind::BitPos
        | CommandKind::PfCount
        | CommandKind::Exists
        | CommandKind::Ttl
        | CommandKind::PTtl
        | CommandKind::Type
        | CommandKind::Keys
        | CommandKind::Scan
        | CommandKind::DbSize
        | CommandKind::Echo
        | CommandKind::Ping
        | CommandKind::HGet
        | CommandKind::HMGet
        | CommandKind::HGetAll
        | CommandKind::HExists
        | CommandKind::HLen
        | CommandKind::HKeys
        | CommandKind::HVals
        | CommandKind::HTtl
        | CommandKind::HPTtl
        | CommandKind::HExpireTime
        | CommandKind::HPExpireTime
        | CommandKind::LRange
        | CommandKind::LLen
        | CommandKind::LIndex
        | CommandKind::SMembers
        | CommandKind::SIsMember
        | CommandKind::SMIsMember
        | CommandKind::SCard
        | CommandKind::SRandMember
        | CommandKind::SInter
        | CommandKind::SUnion
        | CommandKind::SDiff
        | CommandKind::SInterCard
        | CommandKind::SScan
        | CommandKind::ZScore
        | CommandKind::ZMScore
        | CommandKind::ZCard
        | CommandKind::ZCount
        | CommandKind::ZLexCount
        | CommandKind::ZRank
        | CommandKind::ZRevRank
        | CommandKind::ZRange
        | CommandKind::ZRevRange
        | CommandKind::ZRangeByScore
        | CommandKind::ZRevRangeByScore
        | CommandKind::ZRangeByLex
        | CommandKind::ZRevRangeByLex
        | CommandKind::ZRandMember
        | CommandKind::ZScan
        | CommandKind::GeoPos
        | CommandKind::GeoDist
        | CommandKind::GeoHash
        | CommandKind::Publish
        | CommandKind::PubSubChannels
        | CommandKind::PubSubNumSub
        | CommandKind::PubSubNumPat
        | CommandKind::Touch
        | CommandKind::HStrLen
        | CommandKind::RandomKey
        | CommandKind::Time
        | CommandKind::ZUnion
        | CommandKind::ZInter
        | CommandKind::ZDiff
        | CommandKind::ZInterCard
        | CommandKind::Eval
        | CommandKind::EvalSha
        | CommandKind::EvalRo
        | CommandKind::EvalShaRo
        | CommandKind::ScriptLoad
        | CommandKind::ScriptExists
        | CommandKind::ScriptFlush
        | CommandKind::HRandField
        | CommandKind::HScan
        | CommandKind::LPos => return Err(unknown_command(args)),
    })
}

/// The arguments of a command that does not write (reads, `PUBLISH`, scripts, server
/// commands), whose row `spec` [`lookup`] found: the rows [`parse_write_row`] does not take.
fn parse_other_row<A: AsRef<[u8]>>(spec: &CommandSpec, args: &[A]) -> Result<Command, Error> {
    let cmd_name = spec.name();
    let a = |i: usize| args[i].as_ref();
    let key = || a(1).to_vec();
    let rest = &args[1..];

    Ok(match spec.kind {
        CommandKind::Get => Command::Get { key: key() },
        CommandKind::MGet => Command::MGet { keys: list(rest) },
        CommandKind::StrLen => Command::StrLen { key: key() },
        CommandKind::GetRange => Command::GetRange {
            key: key(),
            start: int(a(2))?,
            end: int(a(3))?,
        },
        CommandKind::GetBit => Command::GetBit {
            key: key(),
            offset: bits::bit_offset(a(2))?,
        },
        CommandKind::BitCount => Command::BitCount {
            key: key(),
            range: bits::bitcount_range(&rest[1..])?,
        },
        CommandKind::BitPos => Command::BitPos {
            key: key(),
            bit: bits::bit_argument(a(2))?,
            range: bits::bitpos_range(&rest[2..])?,
        },
        CommandKind::PfCount => Command::PfCount { keys: list(rest) },
        CommandKind::Exists => Command::Exists { keys: list(rest) },
        CommandKind::Ttl => Command::Ttl { key: key() },
        CommandKind::PTtl => Command::PTtl { key: key() },
        CommandKind::Type => Command::Type { key: key() },
        CommandKind::Keys => Command::Keys { pattern: key() },
        CommandKind::Scan => {
            let cursor = scan_cursor(a(1))?;
            let (pattern, count, key_type) = scan_options(&args[2..], true)?;
            Command::Scan {
                cursor,
                pattern,
                count,
                key_type,
            }
        }
        CommandKind::DbSize => Command::DbSize,
        CommandKind::Echo => Command::Echo {
            message: a(1).to_vec(),
        },
        CommandKind::Ping => match rest {
            [] => Command::Ping { message: None },
            [m] => Command::Ping {
                message: Some(m.as_ref().to_vec()),
            },
            _ => return Err(Error::WrongArity(cmd_name)),
        },
        CommandKind::HGet => Command::HGet {
            key: key(),
            field: a(2).to_vec(),
        },
        CommandKind::HMGet => Command::HMGet {
            key: key(),
            fields: list(&args[2..]),
        },
        CommandKind::HGetAll => Command::HGetAll { key: key() },
        CommandKind::HExists => Command::HExists {
            key: key(),
            field: a(2).to_vec(),
        },
        CommandKind::HLen => Command::HLen { key: key() },
        CommandKind::HKeys => Command::HKeys { key: key() },
        CommandKind::HVals => Command::HVals { key: key() },
        CommandKind::LRange => Command::LRange {
            key: key(),
            start: int(a(2))?,
            stop: int(a(3))?,
        },
        CommandKind::LLen => Command::LLen { key: key() },
        CommandKind::LIndex => Command::LIndex {
            key: key(),
            index: int(a(2))?,
        },
        CommandKind::SMembers => Command::SMembers { key: key() },
        CommandKind::SIsMember => Command::SIsMember {
            key: key(),
            member: a(2).to_vec(),
        },
        CommandKind::SMIsMember => Command::SMIsMember {
            key: key(),
            members: list(&args[2..]),
        },
        CommandKind::SCard => Command::SCard { key: key() },
        CommandKind::SRandMember => {
            if args.len() > 3 {
                return Err(Error::Syntax);
            }
            let count = args
                .get(2)
                .map(|raw| match int(raw.as_ref())? {
                    i64::MIN => Err(Error::CountOutOfRange),
                    n => Ok(n),
                })
                .transpose()?;
            Command::SRandMember { key: key(), count }
        }
        CommandKind::SInter => Command::SInter { keys: list(rest) },
        CommandKind::SUnion => Command::SUnion { keys: list(rest) },
        CommandKind::SDiff => Command::SDiff { keys: list(rest) },
        CommandKind::SInterCard => {
            let (keys, limit) = numkeys_and_limit(rest)?;
            Command::SInterCard { keys, limit }
        }
        CommandKind::SScan => {
            let cursor = scan_cursor(a(2))?;
            let (pattern, count, _) = scan_options(&args[3..], false)?;
            Command::SScan {
                key: key(),
                cursor,
                pattern,
                count,
            }
        }
        CommandKind::Publish => Command::Publish {
            channel: a(1).to_vec(),
            message: a(2).to_vec(),
        },
        CommandKind::PubSubChannels => {
            if args.len() > 3 {
                return Err(Error::UnknownSubcommand {
                    command: "PUBSUB",
                    subcommand: String::from_utf8_lossy(a(1)).into_owned(),
                });
            }
            Command::PubSubChannels {
                pattern: args.get(2).map(|p| p.as_ref().to_vec()),
            }
        }
        CommandKind::PubSubNumSub => Command::PubSubNumSub {
            channels: list(&args[2..]),
        },
        CommandKind::PubSubNumPat => Command::PubSubNumPat,
        CommandKind::Touch => Command::Touch { keys: list(rest) },
        CommandKind::HStrLen => Command::HStrLen {
            key: key(),
            field: a(2).to_vec(),
        },
        CommandKind::ZUnion | CommandKind::ZInter | CommandKind::ZDiff => {
            super::parse_zset::reading_combination(spec, args)?
        }
        CommandKind::ZInterCard => super::parse_zset::zintercard(spec, args)?,
        CommandKind::Eval | CommandKind::EvalSha | CommandKind::EvalRo | CommandKind::EvalShaRo => {
            super::read::eval(spec.kind, args)?
        }
        CommandKind::ScriptLoad => Command::ScriptLoad {
            script: a(2).to_vec(),
        },
        CommandKind::ScriptExists => Command::ScriptExists {
            sha1s: list(&args[2..]),
        },
        CommandKind::ScriptFlush => match &args[2..] {
            [] => Command::ScriptFlush,
            [mode] if eq(mode.as_ref(), "ASYNC") || eq(mode.as_ref(), "SYNC") => {
                Command::ScriptFlush
            }
            _ => return Err(Error::Syntax),
        },
        CommandKind::RandomKey => Command::RandomKey,
        CommandKind::Time => Command::Time,
        CommandKind::HRandField => {
            // Redis reads the count first, then the option, then bounds a count that
            // comes with values (its reply is twice as long).
            let count = args
                .get(2)
                .map(|raw| match int(raw.as_ref())? {
                    i64::MIN => Err(Error::CountOutOfRange),
                    n => Ok(n),
                })
                .transpose()?;
            let with_values = match args.get(3) {
                None => false,
                Some(w) if args.len() == 4 && eq(w.as_ref(), "WITHVALUES") => true,
                Some(_) => return Err(Error::Syntax),
            };
            if with_values && count.is_some_and(|n| n.unsigned_abs() > (i64::MAX / 2) as u64) {
                return Err(Error::ValueOutOfRange);
            }
            Command::HRandField {
                key: key(),
                count,
                with_values,
            }
        }
        CommandKind::HScan => {
            let cursor = scan_cursor(a(2))?;
            let (pattern, count, _) = scan_options(&args[3..], false)?;
            Command::HScan {
                key: key(),
                cursor,
                pattern,
                count,
            }
        }
        CommandKind::LPos => super::parse_lists::lpos(args)?,
        CommandKind::HTtl
        | CommandKind::HPTtl
        | CommandKind::HExpireTime
        | CommandKind::HPExpireTime => parse_hash::field_query(args, spec.kind)?,
        CommandKind::ZScore
        | CommandKind::ZMScore
        | CommandKind::ZCard
        | CommandKind::ZCount
        | CommandKind::ZLexCount
        | CommandKind::ZRank
        | CommandKind::ZRevRank
        | CommandKind::ZRange
        | CommandKind::ZRevRange
        | CommandKind::ZRangeByScore
        | CommandKind::ZRevRangeByScore
        | CommandKind::ZRangeByLex
        | CommandKind::ZRevRangeByLex
        | CommandKind::ZRandMember
        | CommandKind::ZScan => super::parse_zset::parse_read(spec, args)?,
        CommandKind::GeoPos | CommandKind::GeoDist | CommandKind::GeoHash => {
            super::parse_geo::parse(spec, args)?
        }
        // The writes, `parse_write_row`'s: listed, not `_`, so that a new row does not
        // compile until it has an arm in one of the two.
        CommandKind::Set
        | CommandKind::GetDel
        | CommandKind::GetEx
        | CommandKind::MSet
        | CommandKind::SetNx
        | CommandKind::Incr
        | CommandKind::Decr
        | CommandKind::IncrBy
        | CommandKind::DecrBy
        | CommandKind::IncrByFloat
        | CommandKind::Append
        | CommandKind::SetEx
        | CommandKind::PSetEx
        | CommandKind::GetSet
        | CommandKind::MSetNx
        | CommandKind::SetRange
        | CommandKind::SetBit
        | CommandKind::BitOp
        | CommandKind::PfAdd
        | CommandKind::PfMerge
        | CommandKind::Del
        | CommandKind::Expire
        | CommandKind::PExpire
        | CommandKind::ExpireAt
        | CommandKind::PExpireAt
        | CommandKind::Persist
        | CommandKind::Rename
        | CommandKind::FlushDb
        | CommandKind::FlushAll
        | CommandKind::HSet
        | CommandKind::HDel
        | CommandKind::HIncrBy
        | CommandKind::HIncrByFloat
        | CommandKind::HSetNx
        | CommandKind::HMSet
        | CommandKind::HExpire
        | CommandKind::HPExpire
        | CommandKind::HExpireAt
        | CommandKind::HPExpireAt
        | CommandKind::HPersist
        | CommandKind::HGetDel
        | CommandKind::HGetEx
        | CommandKind::HSetEx
        | CommandKind::LPush
        | CommandKind::RPush
        | CommandKind::LPushX
        | CommandKind::RPushX
        | CommandKind::LPop
        | CommandKind::RPop
        | CommandKind::LSet
        | CommandKind::LTrim
        | CommandKind::LRem
        | CommandKind::LInsert
        | CommandKind::SAdd
        | CommandKind::SRem
        | CommandKind::SPop
        | CommandKind::SMove
        | CommandKind::SInterStore
        | CommandKind::SUnionStore
        | CommandKind::SDiffStore
        | CommandKind::ZAdd
        | CommandKind::ZIncrBy
        | CommandKind::ZRem
        | CommandKind::ZRemRangeByRank
        | CommandKind::ZRemRangeByScore
        | CommandKind::ZRemRangeByLex
        | CommandKind::ZPopMin
        | CommandKind::ZPopMax
        | CommandKind::ZUnionStore
        | CommandKind::ZInterStore
        | CommandKind::ZDiffStore
        | CommandKind::GeoAdd
        | CommandKind::Copy
        | CommandKind::RenameNx
        | CommandKind::Unlink
        | CommandKind::ZRangeStore
        | CommandKind::LMove
        | CommandKind::LMPop => return Err(unknown_command(args)),
    })
}
