//! Keyspace commands: `DEL`, `UNLINK`, `EXISTS`, `TOUCH`, the `EXPIRE` family, `TTL`, `PTTL`,
//! `PERSIST`, `TYPE`, `RENAME`, `RENAMENX`, `COPY`, `KEYS`, `SCAN`, `DBSIZE`, `FLUSHDB`,
//! `FLUSHALL`, `ECHO`, `PING`, `RANDOMKEY`, `TIME`; the scripts (`EVAL`, `EVALSHA`, their
//! `_RO` forms, `SCRIPT LOAD`/`EXISTS`/`FLUSH`), which only a Redis backend runs.

use hedgestore_core::{Command, Error, ExpireCondition, Expiry, KeyType};
use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::{call, key, Built};
use crate::bindings::convert::{self, bytes, bytes_list_nonempty, Encoding, Options};
use crate::bindings::errors::engine_error;
use crate::bindings::shape::Shape;

pub(crate) fn del(keys: &Array) -> Built {
    let keys = bytes_list_nonempty("del", "key", keys)?;
    call(Command::Del { keys }, Shape::Int)
}

pub(crate) fn exists(keys: &Array) -> Built {
    let keys = bytes_list_nonempty("exists", "key", keys)?;
    call(Command::Exists { keys }, Shape::Int)
}

/// The `EXPIRE` family's `{ nx, xx, gt, lt }`.
fn expire_condition(method: &'static str, v: &JsValue) -> Result<ExpireCondition, JsValue> {
    let o = Options::new(method, v, &["nx", "xx", "gt", "lt"])?;
    let (nx, xx, gt, lt) = (o.flag("nx")?, o.flag("xx")?, o.flag("gt")?, o.flag("lt")?);
    Ok(match (nx, xx, gt, lt) {
        (true, false, false, false) => ExpireCondition::Nx,
        (true, _, _, _) => return Err(engine_error(&Error::NxAndOtherConditions)),
        (_, _, true, true) => return Err(engine_error(&Error::GtAndLt)),
        (false, false, false, false) => ExpireCondition::Always,
        (false, true, false, false) => ExpireCondition::Xx,
        (false, false, true, false) => ExpireCondition::Gt,
        (false, false, false, true) => ExpireCondition::Lt,
        (false, true, true, false) => ExpireCondition::XxGt,
        (false, true, false, true) => ExpireCondition::XxLt,
    })
}

pub(crate) fn expire(
    method: &'static str,
    make: fn(i64) -> Expiry,
    k: &JsValue,
    amount: &JsValue,
    options: &JsValue,
) -> Built {
    let key = key(method, k)?;
    let amount = convert::int(method, "time", amount)?;
    let condition = expire_condition(method, options)?;
    call(
        Command::Expire {
            key,
            expiry: make(amount),
            condition,
        },
        Shape::Bool,
    )
}

pub(crate) fn ttl(k: &JsValue) -> Built {
    call(
        Command::Ttl {
            key: key("ttl", k)?,
        },
        Shape::Int,
    )
}

pub(crate) fn pttl(k: &JsValue) -> Built {
    call(
        Command::PTtl {
            key: key("pttl", k)?,
        },
        Shape::Int,
    )
}

pub(crate) fn persist(k: &JsValue) -> Built {
    call(
        Command::Persist {
            key: key("persist", k)?,
        },
        Shape::Bool,
    )
}

pub(crate) fn key_type(k: &JsValue) -> Built {
    call(
        Command::Type {
            key: key("type", k)?,
        },
        Shape::Status,
    )
}

pub(crate) fn rename(k: &JsValue, new_key: &JsValue) -> Built {
    let key = key("rename", k)?;
    let new_key = bytes("rename", "newKey", new_key)?;
    call(Command::Rename { key, new_key }, Shape::Done)
}

pub(crate) fn keys(pattern: &JsValue, encoding: Encoding) -> Built {
    let method = if encoding == Encoding::Text {
        "keys"
    } else {
        "keysBytes"
    };
    let pattern = if pattern.is_undefined() {
        b"*".to_vec()
    } else {
        bytes(method, "pattern", pattern)?
    };
    call(Command::Keys { pattern }, Shape::Values(encoding))
}

/// A `SCAN`-family cursor: a decimal string or a non-negative integer.
pub(crate) fn scan_cursor(method: &str, cursor: &JsValue) -> Result<u64, JsValue> {
    match cursor.as_string() {
        Some(s) => s
            .parse::<u64>()
            .map_err(|_| engine_error(&Error::InvalidCursor)),
        None => {
            let n = convert::int(method, "cursor", cursor)?;
            u64::try_from(n).map_err(|_| engine_error(&Error::InvalidCursor))
        }
    }
}

pub(crate) fn scan(cursor: &JsValue, options: &JsValue, encoding: Encoding) -> Built {
    let method = if encoding == Encoding::Text {
        "scan"
    } else {
        "scanBytes"
    };
    let cursor = scan_cursor(method, cursor)?;
    let o = Options::new(method, options, &["match", "count", "type"])?;
    let pattern = o.bytes("match")?;
    let count = o.count("count")?;
    let key_type = match o.string("type")?.as_deref() {
        None => None,
        Some("string") => Some(KeyType::String),
        Some("hash") => Some(KeyType::Hash),
        Some("list") => Some(KeyType::List),
        Some("set") => Some(KeyType::Set),
        Some("zset") => Some(KeyType::ZSet),
        Some(other) => return Err(engine_error(&Error::UnknownTypeName(other.into()))),
    };
    call(
        Command::Scan {
            cursor,
            pattern,
            count,
            key_type,
        },
        Shape::Scan(encoding),
    )
}

pub(crate) fn dbsize() -> Built {
    call(Command::DbSize, Shape::Int)
}

pub(crate) fn flushdb() -> Built {
    call(Command::FlushDb, Shape::Done)
}

pub(crate) fn flushall() -> Built {
    call(Command::FlushAll, Shape::Done)
}

pub(crate) fn echo(message: &JsValue) -> Built {
    let message = bytes("echo", "message", message)?;
    call(Command::Echo { message }, Shape::Status)
}

pub(crate) fn ping(message: &JsValue) -> Built {
    let message = if message.is_undefined() {
        None
    } else {
        Some(bytes("ping", "message", message)?)
    };
    call(Command::Ping { message }, Shape::Status)
}

pub(crate) fn unlink(keys: &Array) -> Built {
    let keys = bytes_list_nonempty("unlink", "key", keys)?;
    call(Command::Unlink { keys }, Shape::Int)
}

pub(crate) fn touch(keys: &Array) -> Built {
    let keys = bytes_list_nonempty("touch", "key", keys)?;
    call(Command::Touch { keys }, Shape::Int)
}

pub(crate) fn renamenx(k: &JsValue, new_key: &JsValue) -> Built {
    let key = key("renamenx", k)?;
    let new_key = bytes("renamenx", "newKey", new_key)?;
    call(Command::RenameNx { key, new_key }, Shape::Bool)
}

/// `copy(key, destinationKey, { replace })`, as `@upstash/redis` calls it.
pub(crate) fn copy(k: &JsValue, destination: &JsValue, options: &JsValue) -> Built {
    let source = key("copy", k)?;
    let destination = bytes("copy", "destinationKey", destination)?;
    let replace = Options::new("copy", options, &["replace"])?.flag("replace")?;
    call(
        Command::Copy {
            source,
            destination,
            replace,
        },
        Shape::Bool,
    )
}

pub(crate) fn randomkey() -> Built {
    call(Command::RandomKey, Shape::Value(Encoding::Text))
}

/// `time()`: `[seconds, microseconds]` as numbers, as `@upstash/redis` answers it.
pub(crate) fn time() -> Built {
    call(Command::Time, Shape::OptFloats)
}

/// `eval(script, keys, args)` and its kin, as `@upstash/redis` calls them: the keys and the
/// arguments as arrays (the arguments may be left out).
pub(crate) fn eval(
    method: &'static str,
    script: &JsValue,
    keys: &JsValue,
    args: &JsValue,
) -> Built {
    let what = if method.starts_with("evalsha") {
        "sha1"
    } else {
        "script"
    };
    let script = bytes(method, what, script)?;
    let keys = convert::bytes_list(method, "key", &super::array_arg(method, "keys", keys)?)?;
    let args = if args.is_undefined() {
        Vec::new()
    } else {
        convert::bytes_list(method, "arg", &super::array_arg(method, "args", args)?)?
    };
    let command = match method {
        "eval" => Command::Eval { script, keys, args },
        "evalRo" => Command::EvalRo { script, keys, args },
        "evalsha" => Command::EvalSha {
            sha1: script,
            keys,
            args,
        },
        _ => Command::EvalShaRo {
            sha1: script,
            keys,
            args,
        },
    };
    call(command, Shape::Any)
}

pub(crate) fn script_load(script: &JsValue) -> Built {
    let script = bytes("scriptLoad", "script", script)?;
    call(Command::ScriptLoad { script }, Shape::Value(Encoding::Text))
}

pub(crate) fn script_exists(hashes: &Array) -> Built {
    let sha1s = bytes_list_nonempty("scriptExists", "sha1", hashes)?;
    call(Command::ScriptExists { sha1s }, Shape::Bools)
}

/// `scriptFlush({ sync } | { async })`: both flush at once here.
pub(crate) fn script_flush(options: &JsValue) -> Built {
    let o = Options::new("scriptFlush", options, &["sync", "async"])?;
    if o.flag("sync")? && o.flag("async")? {
        return Err(o.invalid("give sync or async, not both"));
    }
    call(Command::ScriptFlush, Shape::Done)
}
