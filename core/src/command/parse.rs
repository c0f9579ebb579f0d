//! Reading a command from Redis's argument-array form (`["SET", "k", "v", "EX", "10"]`).
//!
//! Checks happen in Redis's order: unknown command, then arity, then option syntax, then
//! numeric arguments. One deliberate difference: every numeric argument is validated here,
//! before the key is looked up. (Redis looks the key up first for `LINDEX`, `LSET`, `GETEX`
//! and `INCRBYFLOAT`, so there a bad number on a missing key answers nil, and on a key of
//! another type `WRONGTYPE`; hedgestore answers the number's error in both cases.)

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{
    Command, ExpireCondition, Expiry, GetExOption, InsertPosition, KeyType, SetCondition,
    SetOptions,
};
use crate::num::{parse_f64, parse_i64};
use crate::Error;

/// Name (lowercase, as Redis words its errors) and Redis arity: `n` exactly `n` arguments
/// including the name, `-n` at least `n`.
fn spec(upper: &[u8]) -> Option<(&'static str, i32)> {
    Some(match upper {
        b"GET" => ("get", 2),
        b"SET" => ("set", -3),
        b"GETDEL" => ("getdel", 2),
        b"GETEX" => ("getex", -2),
        b"MGET" => ("mget", -2),
        b"MSET" => ("mset", -3),
        b"SETNX" => ("setnx", 3),
        b"INCR" => ("incr", 2),
        b"DECR" => ("decr", 2),
        b"INCRBY" => ("incrby", 3),
        b"DECRBY" => ("decrby", 3),
        b"INCRBYFLOAT" => ("incrbyfloat", 3),
        b"APPEND" => ("append", 3),
        b"STRLEN" => ("strlen", 2),
        b"DEL" => ("del", -2),
        b"EXISTS" => ("exists", -2),
        b"EXPIRE" => ("expire", -3),
        b"PEXPIRE" => ("pexpire", -3),
        b"EXPIREAT" => ("expireat", -3),
        b"PEXPIREAT" => ("pexpireat", -3),
        b"TTL" => ("ttl", 2),
        b"PTTL" => ("pttl", 2),
        b"PERSIST" => ("persist", 2),
        b"TYPE" => ("type", 2),
        b"RENAME" => ("rename", 3),
        b"KEYS" => ("keys", 2),
        b"SCAN" => ("scan", -2),
        b"DBSIZE" => ("dbsize", 1),
        b"FLUSHDB" => ("flushdb", -1),
        b"PING" => ("ping", -1),
        b"HSET" => ("hset", -4),
        b"HGET" => ("hget", 3),
        b"HMGET" => ("hmget", -3),
        b"HGETALL" => ("hgetall", 2),
        b"HDEL" => ("hdel", -3),
        b"HEXISTS" => ("hexists", 3),
        b"HLEN" => ("hlen", 2),
        b"HKEYS" => ("hkeys", 2),
        b"HVALS" => ("hvals", 2),
        b"HINCRBY" => ("hincrby", 4),
        b"HINCRBYFLOAT" => ("hincrbyfloat", 4),
        b"HSETNX" => ("hsetnx", 4),
        b"LPUSH" => ("lpush", -3),
        b"RPUSH" => ("rpush", -3),
        b"LPUSHX" => ("lpushx", -3),
        b"RPUSHX" => ("rpushx", -3),
        b"LPOP" => ("lpop", -2),
        b"RPOP" => ("rpop", -2),
        b"LRANGE" => ("lrange", 4),
        b"LLEN" => ("llen", 2),
        b"LINDEX" => ("lindex", 3),
        b"LSET" => ("lset", 4),
        b"LTRIM" => ("ltrim", 4),
        b"LREM" => ("lrem", 4),
        b"LINSERT" => ("linsert", 5),
        b"PUBLISH" => ("publish", 3),
        b"PUBSUB" => ("pubsub", -2),
        _ => return None,
    })
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

fn int(arg: &[u8]) -> Result<i64, Error> {
    parse_i64(arg).ok_or(Error::NotInteger)
}

fn float(arg: &[u8]) -> Result<f64, Error> {
    parse_f64(arg).ok_or(Error::NotFloat)
}

fn eq(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

fn pairs<A: AsRef<[u8]>>(args: &[A]) -> Vec<(Vec<u8>, Vec<u8>)> {
    args.chunks_exact(2)
        .map(|p| (p[0].as_ref().to_vec(), p[1].as_ref().to_vec()))
        .collect()
}

fn list<A: AsRef<[u8]>>(args: &[A]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.as_ref().to_vec()).collect()
}

/// Parses `SET`'s or `GETEX`'s option list, returning the raw expiry argument and the flags.
/// Mirrors Redis's `parseExtendedStringArgumentsOrReply`: each expiry option at most once,
/// expiry options exclusive with each other and with `KEEPTTL`/`PERSIST`.
struct ExtendedOptions<'a> {
    condition: SetCondition,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expiry: Option<(u8, &'a [u8])>, // (kind: b'e' EX, b'p' PX, b'E' EXAT, b'P' PXAT, raw value)
}

fn extended_options<'a, A: AsRef<[u8]>>(
    opts: &'a [A],
    is_set: bool,
) -> Result<ExtendedOptions<'a>, Error> {
    let mut o = ExtendedOptions {
        condition: SetCondition::Always,
        get: false,
        keep_ttl: false,
        persist: false,
        expiry: None,
    };
    let mut i = 0;
    while i < opts.len() {
        let opt = opts[i].as_ref();
        let next = opts.get(i + 1).map(AsRef::as_ref);
        // An expiry option may repeat (the last one wins) but not mix with another kind.
        let kind = expiry_kind(opt);
        let expiry_ok = !o.keep_ttl && !o.persist && o.expiry.is_none_or(|(k, _)| Some(k) == kind);
        if is_set && eq(opt, "NX") && o.condition != SetCondition::IfExists {
            o.condition = SetCondition::IfNotExists;
        } else if is_set && eq(opt, "XX") && o.condition != SetCondition::IfNotExists {
            o.condition = SetCondition::IfExists;
        } else if is_set && eq(opt, "GET") {
            o.get = true;
        } else if is_set && eq(opt, "KEEPTTL") && o.expiry.is_none() {
            o.keep_ttl = true;
        } else if !is_set && eq(opt, "PERSIST") && o.expiry.is_none() {
            o.persist = true;
        } else if let (Some(kind), Some(value), true) = (kind, next, expiry_ok) {
            o.expiry = Some((kind, value));
            i += 1;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    Ok(o)
}

fn expiry_kind(opt: &[u8]) -> Option<u8> {
    if eq(opt, "EX") {
        Some(b'e')
    } else if eq(opt, "PX") {
        Some(b'p')
    } else if eq(opt, "EXAT") {
        Some(b'E')
    } else if eq(opt, "PXAT") {
        Some(b'P')
    } else {
        None
    }
}

fn expiry(kind: u8, raw: &[u8]) -> Result<Expiry, Error> {
    let v = int(raw)?;
    Ok(match kind {
        b'e' => Expiry::Ex(v),
        b'p' => Expiry::Px(v),
        b'E' => Expiry::ExAt(v),
        _ => Expiry::PxAt(v),
    })
}

fn expire_condition<A: AsRef<[u8]>>(opts: &[A]) -> Result<ExpireCondition, Error> {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in opts {
        let opt = opt.as_ref();
        if eq(opt, "NX") {
            nx = true;
        } else if eq(opt, "XX") {
            xx = true;
        } else if eq(opt, "GT") {
            gt = true;
        } else if eq(opt, "LT") {
            lt = true;
        } else {
            // Redis prints the option with `%s`, which stops at a NUL byte.
            let shown = opt.split(|b| *b == 0).next().unwrap_or_default();
            return Err(Error::UnsupportedOption(
                String::from_utf8_lossy(shown).into_owned(),
            ));
        }
    }
    if nx && (xx || gt || lt) {
        return Err(Error::NxAndOtherConditions);
    }
    if gt && lt {
        return Err(Error::GtAndLt);
    }
    Ok(match (nx, xx, gt, lt) {
        (true, _, _, _) => ExpireCondition::Nx,
        (_, true, true, _) => ExpireCondition::XxGt,
        (_, true, _, true) => ExpireCondition::XxLt,
        (_, true, _, _) => ExpireCondition::Xx,
        (_, _, true, _) => ExpireCondition::Gt,
        (_, _, _, true) => ExpireCondition::Lt,
        _ => ExpireCondition::Always,
    })
}

/// `LPOP`/`RPOP`'s optional count: anything but a non-negative integer is "out of range,
/// must be positive" (Redis words both cases that way).
fn pop_count(arg: Option<&[u8]>) -> Result<Option<usize>, Error> {
    arg.map(|raw| {
        parse_i64(raw)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or(Error::NotPositive)
    })
    .transpose()
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
        let Some(name) = args.first() else {
            return Err(unknown_command(args));
        };
        let name = name.as_ref();
        let mut upper = [0u8; 16];
        if name.len() > upper.len() {
            return Err(unknown_command(args));
        }
        upper[..name.len()].copy_from_slice(name);
        upper[..name.len()].make_ascii_uppercase();
        let Some((cmd_name, arity)) = spec(&upper[..name.len()]) else {
            return Err(unknown_command(args));
        };
        let argc = args.len() as i32;
        if (arity > 0 && argc != arity) || (arity < 0 && argc < -arity) {
            return Err(Error::WrongArity(cmd_name));
        }
        let a = |i: usize| args[i].as_ref();
        let key = || a(1).to_vec();
        let rest = &args[1..];

        Ok(match cmd_name {
            "get" => Command::Get { key: key() },
            "set" => {
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
            "getdel" => Command::GetDel { key: key() },
            "getex" => {
                let o = extended_options(&args[2..], false)?;
                let option = match o.expiry {
                    Some((k, raw)) => Some(GetExOption::Expiry(expiry(k, raw)?)),
                    None if o.persist => Some(GetExOption::Persist),
                    None => None,
                };
                Command::GetEx { key: key(), option }
            }
            "mget" => Command::MGet { keys: list(rest) },
            "mset" => {
                if rest.len() % 2 != 0 {
                    return Err(Error::WrongArity(cmd_name));
                }
                Command::MSet { pairs: pairs(rest) }
            }
            "setnx" => Command::SetNx {
                key: key(),
                value: a(2).to_vec(),
            },
            "incr" => Command::Incr { key: key() },
            "decr" => Command::Decr { key: key() },
            "incrby" => Command::IncrBy {
                key: key(),
                delta: int(a(2))?,
            },
            "decrby" => Command::DecrBy {
                key: key(),
                delta: int(a(2))?,
            },
            "incrbyfloat" => Command::IncrByFloat {
                key: key(),
                delta: float(a(2))?,
            },
            "append" => Command::Append {
                key: key(),
                value: a(2).to_vec(),
            },
            "strlen" => Command::StrLen { key: key() },
            "del" => Command::Del { keys: list(rest) },
            "exists" => Command::Exists { keys: list(rest) },
            "expire" | "pexpire" | "expireat" | "pexpireat" => {
                let condition = expire_condition(&args[3..])?;
                let t = int(a(2))?;
                let expiry = match cmd_name {
                    "expire" => Expiry::Ex(t),
                    "pexpire" => Expiry::Px(t),
                    "expireat" => Expiry::ExAt(t),
                    _ => Expiry::PxAt(t),
                };
                Command::Expire {
                    key: key(),
                    expiry,
                    condition,
                }
            }
            "ttl" => Command::Ttl { key: key() },
            "pttl" => Command::PTtl { key: key() },
            "persist" => Command::Persist { key: key() },
            "type" => Command::Type { key: key() },
            "rename" => Command::Rename {
                key: key(),
                new_key: a(2).to_vec(),
            },
            "keys" => Command::Keys { pattern: key() },
            "scan" => {
                let cursor = core::str::from_utf8(a(1))
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
                    .filter(|_| !a(1).starts_with(b"+"))
                    .ok_or(Error::InvalidCursor)?;
                let (mut pattern, mut count, mut key_type) = (None, None, None);
                let mut i = 2;
                while i < args.len() {
                    let value = args.get(i + 1).map(AsRef::as_ref).ok_or(Error::Syntax)?;
                    let opt = a(i);
                    if eq(opt, "MATCH") {
                        pattern = Some(value.to_vec());
                    } else if eq(opt, "COUNT") {
                        let n = int(value)?;
                        count = Some(
                            usize::try_from(n)
                                .ok()
                                .filter(|n| *n >= 1)
                                .ok_or(Error::Syntax)?,
                        );
                    } else if eq(opt, "TYPE") {
                        key_type = Some(key_type_named(value)?);
                    } else {
                        return Err(Error::Syntax);
                    }
                    i += 2;
                }
                Command::Scan {
                    cursor,
                    pattern,
                    count,
                    key_type,
                }
            }
            "dbsize" => Command::DbSize,
            "flushdb" => {
                match rest {
                    [] => {}
                    [mode] if eq(mode.as_ref(), "ASYNC") || eq(mode.as_ref(), "SYNC") => {}
                    _ => return Err(Error::Syntax),
                }
                Command::FlushDb
            }
            "ping" => match rest {
                [] => Command::Ping { message: None },
                [m] => Command::Ping {
                    message: Some(m.as_ref().to_vec()),
                },
                _ => return Err(Error::WrongArity(cmd_name)),
            },
            "hset" => {
                if rest.len() % 2 == 0 {
                    return Err(Error::WrongArity(cmd_name));
                }
                Command::HSet {
                    key: key(),
                    pairs: pairs(&args[2..]),
                }
            }
            "hget" => Command::HGet {
                key: key(),
                field: a(2).to_vec(),
            },
            "hmget" => Command::HMGet {
                key: key(),
                fields: list(&args[2..]),
            },
            "hgetall" => Command::HGetAll { key: key() },
            "hdel" => Command::HDel {
                key: key(),
                fields: list(&args[2..]),
            },
            "hexists" => Command::HExists {
                key: key(),
                field: a(2).to_vec(),
            },
            "hlen" => Command::HLen { key: key() },
            "hkeys" => Command::HKeys { key: key() },
            "hvals" => Command::HVals { key: key() },
            "hincrby" => Command::HIncrBy {
                key: key(),
                field: a(2).to_vec(),
                delta: int(a(3))?,
            },
            "hincrbyfloat" => Command::HIncrByFloat {
                key: key(),
                field: a(2).to_vec(),
                delta: float(a(3))?,
            },
            "hsetnx" => Command::HSetNx {
                key: key(),
                field: a(2).to_vec(),
                value: a(3).to_vec(),
            },
            "lpush" | "rpush" | "lpushx" | "rpushx" => {
                let (key, values) = (key(), list(&args[2..]));
                match cmd_name {
                    "lpush" => Command::LPush { key, values },
                    "rpush" => Command::RPush { key, values },
                    "lpushx" => Command::LPushX { key, values },
                    _ => Command::RPushX { key, values },
                }
            }
            "lpop" | "rpop" => {
                if args.len() > 3 {
                    return Err(Error::WrongArity(cmd_name));
                }
                let count = pop_count(args.get(2).map(AsRef::as_ref))?;
                if cmd_name == "lpop" {
                    Command::LPop { key: key(), count }
                } else {
                    Command::RPop { key: key(), count }
                }
            }
            "lrange" => Command::LRange {
                key: key(),
                start: int(a(2))?,
                stop: int(a(3))?,
            },
            "llen" => Command::LLen { key: key() },
            "lindex" => Command::LIndex {
                key: key(),
                index: int(a(2))?,
            },
            "lset" => Command::LSet {
                key: key(),
                index: int(a(2))?,
                value: a(3).to_vec(),
            },
            "ltrim" => Command::LTrim {
                key: key(),
                start: int(a(2))?,
                stop: int(a(3))?,
            },
            "lrem" => Command::LRem {
                key: key(),
                count: int(a(2))?,
                value: a(3).to_vec(),
            },
            "linsert" => {
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
            "publish" => Command::Publish {
                channel: a(1).to_vec(),
                message: a(2).to_vec(),
            },
            "pubsub" => {
                let sub = a(1);
                if eq(sub, "CHANNELS") && args.len() <= 3 {
                    Command::PubSubChannels {
                        pattern: args.get(2).map(|p| p.as_ref().to_vec()),
                    }
                } else if eq(sub, "NUMSUB") {
                    Command::PubSubNumSub {
                        channels: list(&args[2..]),
                    }
                } else if eq(sub, "NUMPAT") && args.len() == 2 {
                    Command::PubSubNumPat
                } else {
                    return Err(Error::UnknownSubcommand {
                        command: "PUBSUB",
                        subcommand: String::from_utf8_lossy(sub).into_owned(),
                    });
                }
            }
            other => unreachable!("spec() lists {other} but parse() does not build it"),
        })
    }
}

fn key_type_named(name: &[u8]) -> Result<KeyType, Error> {
    if eq(name, "string") {
        Ok(KeyType::String)
    } else if eq(name, "hash") {
        Ok(KeyType::Hash)
    } else if eq(name, "list") {
        Ok(KeyType::List)
    } else {
        Err(Error::UnknownTypeName(
            String::from_utf8_lossy(name).as_ref().to_owned(),
        ))
    }
}
