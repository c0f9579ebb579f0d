//! String commands: `GET`, `SET` and its options, `SETNX`, `GETDEL`, `GETEX`, `MGET`, `MSET`, the
//! counters, `APPEND`, `STRLEN`, the older forms `SETEX`, `PSETEX`, `GETSET`, `MSETNX`,
//! `SETRANGE`, `GETRANGE`, and the JSON helpers.

use hedgestore_core::{Command, Expiry, GetExOption, SetCondition, SetOptions};
use js_sys::{Array, Map, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{call, key, Built};
use crate::bindings::convert::{self, bytes, bytes_list_nonempty, describe, Encoding, Options};
use crate::bindings::errors::type_error;
use crate::bindings::shape::Shape;

pub(crate) fn get(v: &JsValue, encoding: Encoding) -> Built {
    let method = if encoding == Encoding::Text {
        "get"
    } else {
        "getBytes"
    };
    call(
        Command::Get {
            key: key(method, v)?,
        },
        Shape::Value(encoding),
    )
}

pub(crate) fn get_json(v: &JsValue) -> Built {
    call(
        Command::Get {
            key: key("getJson", v)?,
        },
        Shape::Json,
    )
}

/// `SET`'s options, as `@upstash/redis` takes them: `{ ex | px | exat | pxat | keepTtl, nx | xx,
/// get }` (`ex` seconds, `px` milliseconds). There is no `ttl` option: its unit was ambiguous
/// next to `ttl()` (seconds), and a misspelled or removed option is a `TypeError`.
fn set_options(method: &'static str, v: &JsValue) -> Result<SetOptions, JsValue> {
    let o = Options::new(
        method,
        v,
        &["ex", "px", "exat", "pxat", "keepTtl", "nx", "xx", "get"],
    )?;
    let mut options = SetOptions::default();
    let mut expiries = Vec::new();
    for (name, make) in [
        ("px", Expiry::Px as fn(i64) -> Expiry),
        ("ex", Expiry::Ex),
        ("exat", Expiry::ExAt),
        ("pxat", Expiry::PxAt),
    ] {
        if let Some(n) = o.int(name)? {
            expiries.push(make(n));
        }
    }
    if expiries.len() > 1 {
        return Err(o.invalid("give at most one of the options px, ex, exat and pxat"));
    }
    options.expiry = expiries.pop();
    options.keep_ttl = o.flag("keepTtl")?;
    if options.keep_ttl && options.expiry.is_some() {
        return Err(o.invalid("keepTtl cannot be combined with an expiry"));
    }
    options.condition = match (o.flag("nx")?, o.flag("xx")?) {
        (true, true) => return Err(o.invalid("nx and xx exclude each other")),
        (true, false) => SetCondition::IfNotExists,
        (false, true) => SetCondition::IfExists,
        (false, false) => SetCondition::Always,
    };
    options.get = o.flag("get")?;
    Ok(options)
}

pub(crate) fn set(k: &JsValue, value: &JsValue, options: &JsValue) -> Built {
    let key = key("set", k)?;
    let value = bytes("set", "value", value)?;
    let options = set_options("set", options)?;
    // With `get`, the previous value (or null), as `@upstash/redis` answers.
    let shape = if options.get {
        Shape::Value(Encoding::Text)
    } else {
        Shape::Bool
    };
    call(
        Command::Set {
            key,
            value,
            options,
        },
        shape,
    )
}

pub(crate) fn set_json(k: &JsValue, value: &JsValue, options: &JsValue) -> Built {
    let key = key("setJson", k)?;
    let text = js_sys::JSON::stringify(value)?.as_string().ok_or_else(|| {
        type_error(
            "setJson",
            &format!("value cannot be written as JSON: {}", describe(value)),
        )
    })?;
    let options = set_options("setJson", options)?;
    let shape = if options.get {
        Shape::Json
    } else {
        Shape::Bool
    };
    call(
        Command::Set {
            key,
            value: text.into_bytes(),
            options,
        },
        shape,
    )
}

pub(crate) fn setnx(k: &JsValue, value: &JsValue) -> Built {
    let key = key("setnx", k)?;
    let value = bytes("setnx", "value", value)?;
    call(Command::SetNx { key, value }, Shape::Bool)
}

pub(crate) fn getdel(k: &JsValue, encoding: Encoding) -> Built {
    let method = if encoding == Encoding::Text {
        "getdel"
    } else {
        "getdelBytes"
    };
    call(
        Command::GetDel {
            key: key(method, k)?,
        },
        Shape::Value(encoding),
    )
}

/// `GETEX`'s options, as `@upstash/redis` takes them: at most one of `{ ex | px | exat |
/// pxat | persist }` (`ex` seconds, `px` milliseconds); none leaves the TTL alone.
pub(crate) fn getex_option(
    method: &'static str,
    v: &JsValue,
) -> Result<Option<GetExOption>, JsValue> {
    let o = Options::new(method, v, &["ex", "px", "exat", "pxat", "persist"])?;
    let mut changes = Vec::new();
    for (name, make) in [
        ("ex", Expiry::Ex as fn(i64) -> Expiry),
        ("px", Expiry::Px),
        ("exat", Expiry::ExAt),
        ("pxat", Expiry::PxAt),
    ] {
        if let Some(n) = o.int(name)? {
            changes.push(GetExOption::Expiry(make(n)));
        }
    }
    if o.flag("persist")? {
        changes.push(GetExOption::Persist);
    }
    if changes.len() > 1 {
        return Err(o.invalid("give at most one of the options ex, px, exat, pxat and persist"));
    }
    Ok(changes.pop())
}

pub(crate) fn getex(k: &JsValue, options: &JsValue, encoding: Encoding) -> Built {
    let method = if encoding == Encoding::Text {
        "getex"
    } else {
        "getexBytes"
    };
    let key = key(method, k)?;
    let option = getex_option(method, options)?;
    call(Command::GetEx { key, option }, Shape::Value(encoding))
}

pub(crate) fn mget(keys: &Array, encoding: Encoding) -> Built {
    let method = if encoding == Encoding::Text {
        "mget"
    } else {
        "mgetBytes"
    };
    let keys = bytes_list_nonempty(method, "key", keys)?;
    call(Command::MGet { keys }, Shape::Values(encoding))
}

/// `[name, value]` pairs from a plain object, a `Map` or an array of two-element arrays.
/// Name/value pairs as the engine takes them.
type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

pub(super) fn entries(method: &str, what: &str, v: &JsValue) -> Result<Pairs, JsValue> {
    let list: Array = if let Some(map) = v.dyn_ref::<Map>() {
        Array::from(&map.entries().into())
    } else if Array::is_array(v) {
        v.clone().unchecked_into()
    } else if v.is_object() && !v.is_function() && !v.is_instance_of::<Uint8Array>() {
        js_sys::Object::entries(v.unchecked_ref())
    } else {
        return Err(type_error(
            method,
            &format!(
                "{what} must be an object, a Map or an array of [name, value] pairs, got {}",
                describe(v)
            ),
        ));
    };
    let mut out = Vec::with_capacity(list.length() as usize);
    for entry in list.iter() {
        if !Array::is_array(&entry) || Array::from(&entry).length() != 2 {
            return Err(type_error(
                method,
                &format!("each entry of {what} must be a [name, value] pair"),
            ));
        }
        let pair = Array::from(&entry);
        out.push((
            bytes(method, "name", &pair.get(0))?,
            bytes(method, "value", &pair.get(1))?,
        ));
    }
    if out.is_empty() {
        return Err(type_error(method, &format!("{what} must not be empty")));
    }
    Ok(out)
}

pub(crate) fn mset(v: &JsValue) -> Built {
    let pairs = entries("mset", "entries", v)?;
    call(Command::MSet { pairs }, Shape::Done)
}

pub(crate) fn incr(k: &JsValue) -> Built {
    call(
        Command::Incr {
            key: key("incr", k)?,
        },
        Shape::Int,
    )
}

pub(crate) fn decr(k: &JsValue) -> Built {
    call(
        Command::Decr {
            key: key("decr", k)?,
        },
        Shape::Int,
    )
}

pub(crate) fn incrby(k: &JsValue, delta: &JsValue) -> Built {
    let key = key("incrby", k)?;
    let delta = convert::int("incrby", "increment", delta)?;
    call(Command::IncrBy { key, delta }, Shape::Int)
}

pub(crate) fn decrby(k: &JsValue, delta: &JsValue) -> Built {
    let key = key("decrby", k)?;
    let delta = convert::int("decrby", "decrement", delta)?;
    call(Command::DecrBy { key, delta }, Shape::Int)
}

pub(crate) fn incrbyfloat(k: &JsValue, delta: &JsValue) -> Built {
    let key = key("incrbyfloat", k)?;
    let delta = convert::float("incrbyfloat", "increment", delta)?;
    call(Command::IncrByFloat { key, delta }, Shape::Float)
}

pub(crate) fn append(k: &JsValue, value: &JsValue) -> Built {
    let key = key("append", k)?;
    let value = bytes("append", "value", value)?;
    call(Command::Append { key, value }, Shape::Int)
}

pub(crate) fn strlen(k: &JsValue) -> Built {
    call(
        Command::StrLen {
            key: key("strlen", k)?,
        },
        Shape::Int,
    )
}

/// `SETEX key seconds value` and `PSETEX key milliseconds value`.
pub(crate) fn setex(method: &'static str, k: &JsValue, ttl: &JsValue, value: &JsValue) -> Built {
    let key = key(method, k)?;
    let ttl = convert::int(method, "ttl", ttl)?;
    let value = bytes(method, "value", value)?;
    let command = if method == "setex" {
        Command::SetEx {
            key,
            seconds: ttl,
            value,
        }
    } else {
        Command::PSetEx {
            key,
            millis: ttl,
            value,
        }
    };
    call(command, Shape::Done)
}

pub(crate) fn getset(k: &JsValue, value: &JsValue) -> Built {
    let key = key("getset", k)?;
    let value = bytes("getset", "value", value)?;
    call(Command::GetSet { key, value }, Shape::Value(Encoding::Text))
}

pub(crate) fn msetnx(v: &JsValue) -> Built {
    let pairs = entries("msetnx", "entries", v)?;
    call(Command::MSetNx { pairs }, Shape::Bool)
}

pub(crate) fn setrange(k: &JsValue, offset: &JsValue, value: &JsValue) -> Built {
    let key = key("setrange", k)?;
    let offset = convert::int("setrange", "offset", offset)?;
    let value = bytes("setrange", "value", value)?;
    call(Command::SetRange { key, offset, value }, Shape::Int)
}

pub(crate) fn getrange(k: &JsValue, start: &JsValue, end: &JsValue) -> Built {
    let key = key("getrange", k)?;
    let start = convert::int("getrange", "start", start)?;
    let end = convert::int("getrange", "end", end)?;
    call(
        Command::GetRange { key, start, end },
        Shape::Value(Encoding::Text),
    )
}
