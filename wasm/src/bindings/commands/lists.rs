//! List commands: `LPUSH`, `RPUSH`, `LPUSHX`, `RPUSHX`, `LPOP`, `RPOP`, `LRANGE`, `LLEN`,
//! `LINDEX`, `LSET`, `LTRIM`, `LREM`, `LINSERT`, `LPOS`, `LMOVE`, `LMPOP`.

use hedgestore_core::{Command, InsertPosition, ListEnd};
use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::{call, key, Built};
use crate::bindings::convert::{self, bytes, bytes_list_nonempty, describe, Encoding};
use crate::bindings::errors::type_error;
use crate::bindings::shape::Shape;

pub(crate) fn push(method: &'static str, k: &JsValue, values: &Array) -> Built {
    let key = key(method, k)?;
    let values = bytes_list_nonempty(method, "value", values)?;
    let command = match method {
        "lpush" => Command::LPush { key, values },
        "rpush" => Command::RPush { key, values },
        "lpushx" => Command::LPushX { key, values },
        _ => Command::RPushX { key, values },
    };
    call(command, Shape::Int)
}

pub(crate) fn pop(left: bool, k: &JsValue, count: &JsValue, encoding: Encoding) -> Built {
    let method = match (left, encoding) {
        (true, Encoding::Text) => "lpop",
        (true, Encoding::Bytes) => "lpopBytes",
        (false, Encoding::Text) => "rpop",
        (false, Encoding::Bytes) => "rpopBytes",
    };
    let key = key(method, k)?;
    let count = convert::opt_count(method, "count", count)?;
    let shape = match count {
        None => Shape::Value(encoding),
        Some(_) => Shape::Values(encoding),
    };
    let command = if left {
        Command::LPop { key, count }
    } else {
        Command::RPop { key, count }
    };
    call(command, shape)
}

pub(crate) fn lrange(k: &JsValue, start: &JsValue, stop: &JsValue, encoding: Encoding) -> Built {
    let method = if encoding == Encoding::Text {
        "lrange"
    } else {
        "lrangeBytes"
    };
    let key = key(method, k)?;
    let start = convert::int(method, "start", start)?;
    let stop = convert::int(method, "stop", stop)?;
    call(
        Command::LRange { key, start, stop },
        Shape::Values(encoding),
    )
}

pub(crate) fn llen(k: &JsValue) -> Built {
    call(
        Command::LLen {
            key: key("llen", k)?,
        },
        Shape::Int,
    )
}

pub(crate) fn lindex(k: &JsValue, index: &JsValue, encoding: Encoding) -> Built {
    let method = if encoding == Encoding::Text {
        "lindex"
    } else {
        "lindexBytes"
    };
    let key = key(method, k)?;
    let index = convert::int(method, "index", index)?;
    call(Command::LIndex { key, index }, Shape::Value(encoding))
}

pub(crate) fn lset(k: &JsValue, index: &JsValue, value: &JsValue) -> Built {
    let key = key("lset", k)?;
    let index = convert::int("lset", "index", index)?;
    let value = bytes("lset", "value", value)?;
    call(Command::LSet { key, index, value }, Shape::Done)
}

pub(crate) fn ltrim(k: &JsValue, start: &JsValue, stop: &JsValue) -> Built {
    let key = key("ltrim", k)?;
    let start = convert::int("ltrim", "start", start)?;
    let stop = convert::int("ltrim", "stop", stop)?;
    call(Command::LTrim { key, start, stop }, Shape::Done)
}

pub(crate) fn lrem(k: &JsValue, count: &JsValue, value: &JsValue) -> Built {
    let key = key("lrem", k)?;
    let count = convert::int("lrem", "count", count)?;
    let value = bytes("lrem", "value", value)?;
    call(Command::LRem { key, count, value }, Shape::Int)
}

pub(crate) fn linsert(k: &JsValue, position: &JsValue, pivot: &JsValue, value: &JsValue) -> Built {
    let key = key("linsert", k)?;
    let position = match position
        .as_string()
        .map(|s| s.to_ascii_lowercase())
        .as_deref()
    {
        Some("before") => InsertPosition::Before,
        Some("after") => InsertPosition::After,
        _ => {
            return Err(type_error(
                "linsert",
                &format!(
                    "position must be 'before' or 'after', got {}",
                    describe(position)
                ),
            ))
        }
    };
    let pivot = bytes("linsert", "pivot", pivot)?;
    let value = bytes("linsert", "value", value)?;
    call(
        Command::LInsert {
            key,
            position,
            pivot,
            value,
        },
        Shape::Int,
    )
}

/// `'left'` or `'right'` (any case), as `@upstash/redis` passes a list end.
fn list_end(method: &'static str, what: &str, v: &JsValue) -> Result<ListEnd, JsValue> {
    match v.as_string().map(|s| s.to_ascii_lowercase()).as_deref() {
        Some("left") => Ok(ListEnd::Left),
        Some("right") => Ok(ListEnd::Right),
        _ => Err(type_error(
            method,
            &format!("{what} must be 'left' or 'right', got {}", describe(v)),
        )),
    }
}

/// `lpos(key, element, { rank, count, maxLen })`: a position or `null`; with `count`, an
/// array of positions.
pub(crate) fn lpos(k: &JsValue, element: &JsValue, options: &JsValue) -> Built {
    let key = key("lpos", k)?;
    let element = bytes("lpos", "element", element)?;
    let o = convert::Options::new("lpos", options, &["rank", "count", "maxLen"])?;
    let rank = o.int("rank")?;
    let count = o.count("count")?;
    let max_len = o.count("maxLen")?;
    let shape = if count.is_some() {
        Shape::OptFloats
    } else {
        Shape::OptFloat
    };
    call(
        Command::LPos {
            key,
            element,
            rank,
            count,
            max_len,
        },
        shape,
    )
}

/// `lmove(source, destination, whereFrom, whereTo)`, the ends `'left'` or `'right'`.
pub(crate) fn lmove(
    source: &JsValue,
    destination: &JsValue,
    from: &JsValue,
    to: &JsValue,
    encoding: Encoding,
) -> Built {
    let method = if encoding == Encoding::Text {
        "lmove"
    } else {
        "lmoveBytes"
    };
    let source = bytes(method, "source", source)?;
    let destination = bytes(method, "destination", destination)?;
    let from = list_end(method, "whereFrom", from)?;
    let to = list_end(method, "whereTo", to)?;
    call(
        Command::LMove {
            source,
            destination,
            from,
            to,
        },
        Shape::Value(encoding),
    )
}

/// `lmpop(numKeys, [keys], 'LEFT' | 'RIGHT', count?)`: `[key, values]` or `null`.
pub(crate) fn lmpop(num_keys: &JsValue, keys: &JsValue, from: &JsValue, count: &JsValue) -> Built {
    let keys = if Array::is_array(keys) {
        Array::from(keys)
    } else {
        Array::of1(keys)
    };
    let keys = bytes_list_nonempty("lmpop", "key", &keys)?;
    let num_keys = convert::int("lmpop", "numKeys", num_keys)?;
    if num_keys != keys.len() as i64 {
        return Err(type_error(
            "lmpop",
            &format!("numKeys is {num_keys} but {} keys were given", keys.len()),
        ));
    }
    let from = list_end("lmpop", "direction", from)?;
    let count = match convert::opt_count("lmpop", "count", count)? {
        Some(0) => return Err(type_error("lmpop", "count must be at least 1")),
        c => c,
    };
    call(Command::LMPop { keys, from, count }, Shape::Popped)
}
