//! Readers of single arguments and option lists, with Redis's rules and error words: the
//! pieces [`Command::parse`](super::Command::parse) is built from.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use super::{Command, ExpireCondition, Expiry, KeyType, SetCondition};
use crate::num::{parse_f64, parse_i64};
use crate::Error;

pub(super) fn int(arg: &[u8]) -> Result<i64, Error> {
    parse_i64(arg).ok_or(Error::NotInteger)
}

pub(super) fn float(arg: &[u8]) -> Result<f64, Error> {
    parse_f64(arg).ok_or(Error::NotFloat)
}

pub(super) fn eq(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

pub(super) fn pairs<A: AsRef<[u8]>>(args: &[A]) -> Vec<(Vec<u8>, Vec<u8>)> {
    args.chunks_exact(2)
        .map(|p| (p[0].as_ref().to_vec(), p[1].as_ref().to_vec()))
        .collect()
}

pub(super) fn list<A: AsRef<[u8]>>(args: &[A]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.as_ref().to_vec()).collect()
}

/// Parses `SET`'s or `GETEX`'s option list, returning the raw expiry argument and the flags.
/// Mirrors Redis's `parseExtendedStringArgumentsOrReply`: each expiry option at most once,
/// expiry options exclusive with each other and with `KEEPTTL`/`PERSIST`.
pub(super) struct ExtendedOptions<'a> {
    pub(super) condition: SetCondition,
    pub(super) get: bool,
    pub(super) keep_ttl: bool,
    pub(super) persist: bool,
    pub(super) expiry: Option<(u8, &'a [u8])>, // (kind: b'e' EX, b'p' PX, b'E' EXAT, b'P' PXAT, raw value)
}

pub(super) fn extended_options<'a, A: AsRef<[u8]>>(
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

pub(super) fn expiry_kind(opt: &[u8]) -> Option<u8> {
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

pub(super) fn expiry(kind: u8, raw: &[u8]) -> Result<Expiry, Error> {
    let v = int(raw)?;
    Ok(match kind {
        b'e' => Expiry::Ex(v),
        b'p' => Expiry::Px(v),
        b'E' => Expiry::ExAt(v),
        _ => Expiry::PxAt(v),
    })
}

pub(super) fn expire_condition<A: AsRef<[u8]>>(opts: &[A]) -> Result<ExpireCondition, Error> {
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
/// must be positive" (Redis words both cases that way); more than one is a wrong arity.
pub(super) fn pop_count<A: AsRef<[u8]>>(
    args: &[A],
    name: &'static str,
) -> Result<Option<usize>, Error> {
    if args.len() > 3 {
        return Err(Error::WrongArity(name));
    }
    args.get(2)
        .map(|raw| {
            parse_i64(raw.as_ref())
                .and_then(|n| usize::try_from(n).ok())
                .ok_or(Error::NotPositive)
        })
        .transpose()
}

/// One of the `EXPIRE` family, `form` saying how its time argument counts.
pub(super) fn expire_command<A: AsRef<[u8]>>(
    args: &[A],
    form: fn(i64) -> Expiry,
) -> Result<Command, Error> {
    let condition = expire_condition(&args[3..])?;
    let t = int(args[2].as_ref())?;
    Ok(Command::Expire {
        key: args[1].as_ref().to_vec(),
        expiry: form(t),
        condition,
    })
}

/// A `SCAN`-family cursor: an unsigned integer without a sign.
pub(super) fn scan_cursor(raw: &[u8]) -> Result<u64, Error> {
    core::str::from_utf8(raw)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|_| !raw.starts_with(b"+"))
        .ok_or(Error::InvalidCursor)
}

/// What a `SCAN`-family option list holds: `MATCH`, `COUNT` and (for `SCAN` only) `TYPE`.
pub(super) type ScanOptions = (Option<Vec<u8>>, Option<usize>, Option<KeyType>);

/// Reads `MATCH pattern`, `COUNT n` (at least 1) and, when `with_type`, `TYPE name`; the last
/// of a repeated option wins.
pub(super) fn scan_options<A: AsRef<[u8]>>(
    opts: &[A],
    with_type: bool,
) -> Result<ScanOptions, Error> {
    let (mut pattern, mut count, mut key_type) = (None, None, None);
    let mut i = 0;
    while i < opts.len() {
        let value = opts.get(i + 1).map(AsRef::as_ref).ok_or(Error::Syntax)?;
        let opt = opts[i].as_ref();
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
        } else if with_type && eq(opt, "TYPE") {
            key_type = Some(key_type_named(value)?);
        } else {
            return Err(Error::Syntax);
        }
        i += 2;
    }
    Ok((pattern, count, key_type))
}

/// `numkeys key [key …] [LIMIT limit]` (`SINTERCARD`, `ZINTERCARD`): the keys and the limit.
pub(super) fn numkeys_and_limit<A: AsRef<[u8]>>(
    args: &[A],
) -> Result<(Vec<Vec<u8>>, Option<usize>), Error> {
    let n = parse_i64(args[0].as_ref())
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n >= 1)
        .ok_or(Error::NumKeysNotPositive)?;
    if n > args.len() - 1 {
        return Err(Error::NumKeysOverArgs);
    }
    let keys = list(&args[1..=n]);
    let mut limit = None;
    let mut opts = args[n + 1..].iter().map(AsRef::as_ref);
    while let Some(opt) = opts.next() {
        match opts.next() {
            Some(value) if eq(opt, "LIMIT") => {
                limit = Some(
                    parse_i64(value)
                        .and_then(|l| usize::try_from(l).ok())
                        .ok_or(Error::NegativeLimit)?,
                );
            }
            _ => return Err(Error::Syntax),
        }
    }
    Ok((keys, limit))
}

pub(super) fn key_type_named(name: &[u8]) -> Result<KeyType, Error> {
    if eq(name, "string") {
        Ok(KeyType::String)
    } else if eq(name, "hash") {
        Ok(KeyType::Hash)
    } else if eq(name, "list") {
        Ok(KeyType::List)
    } else if eq(name, "set") {
        Ok(KeyType::Set)
    } else if eq(name, "zset") {
        Ok(KeyType::ZSet)
    } else {
        Err(Error::UnknownTypeName(
            String::from_utf8_lossy(name).as_ref().to_owned(),
        ))
    }
}

/// `COPY source destination [DB db] [REPLACE]`, in Redis's order of checks: options left to
/// right (a `DB` that is not an integer, or out of Redis's default range 0..16, fails where it
/// is read), then the same key on both sides. hedgestore has one database, so a `DB` other
/// than 0 is refused.
pub(super) fn copy<A: AsRef<[u8]>>(args: &[A]) -> Result<Command, Error> {
    let mut replace = false;
    let mut other_db = false;
    let mut i = 3;
    while i < args.len() {
        let opt = args[i].as_ref();
        if eq(opt, "REPLACE") {
            replace = true;
        } else if eq(opt, "DB") && i + 1 < args.len() {
            let db = parse_i64(args[i + 1].as_ref())
                .filter(|n| i32::try_from(*n).is_ok())
                .ok_or(Error::NotInteger)?;
            if !(0..16).contains(&db) {
                return Err(Error::DbIndexOutOfRange);
            }
            other_db |= db != 0;
            i += 1;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    if other_db {
        return Err(Error::OneDatabase);
    }
    let (source, destination) = (args[1].as_ref(), args[2].as_ref());
    if source == destination {
        return Err(Error::SameObject);
    }
    Ok(Command::Copy {
        source: source.to_vec(),
        destination: destination.to_vec(),
        replace,
    })
}

/// `EVAL`/`EVALSHA`/`EVAL_RO`/`EVALSHA_RO script numkeys [key …] [arg …]`: `numkeys` an
/// integer, at most the number of arguments left, not negative (checked in Redis's order).
pub(super) fn eval<A: AsRef<[u8]>>(kind: super::CommandKind, args: &[A]) -> Result<Command, Error> {
    use super::CommandKind;
    let numkeys = int(args[2].as_ref())?;
    if numkeys > (args.len() - 3) as i64 {
        return Err(Error::NumKeysOverArgs);
    }
    let n = usize::try_from(numkeys).map_err(|_| Error::NumKeysNegative)?;
    let script = args[1].as_ref().to_vec();
    let keys = list(&args[3..3 + n]);
    let rest = list(&args[3 + n..]);
    Ok(match kind {
        CommandKind::Eval => Command::Eval {
            script,
            keys,
            args: rest,
        },
        CommandKind::EvalSha => Command::EvalSha {
            sha1: script,
            keys,
            args: rest,
        },
        CommandKind::EvalRo => Command::EvalRo {
            script,
            keys,
            args: rest,
        },
        _ => Command::EvalShaRo {
            sha1: script,
            keys,
            args: rest,
        },
    })
}
