//! Hash commands: `HSET` (one field or many), `HSETNX`, `HGET`, `HMGET`, `HGETALL`, `HDEL`,
//! `HEXISTS`, `HLEN`, `HKEYS`, `HVALS`, `HINCRBY`, `HINCRBYFLOAT`, `HSTRLEN`, `HRANDFIELD`,
//! `HSCAN`, and `HMSET` (`HSET`'s older form, `hmset(key, { field: value, … })` as in
//! `@upstash/redis`).

use hedgestore_core::Command;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;

use super::strings::entries;
use super::{call, key, Built};
use crate::bindings::convert::{self, bytes, bytes_list_nonempty, Encoding};
use crate::bindings::shape::Shape;

pub(crate) fn hset(k: &JsValue, field: &JsValue, value: &JsValue) -> Built {
    let key = key("hset", k)?;
    let pairs =
        if value.is_undefined() && field.is_object() && !field.is_instance_of::<Uint8Array>() {
            entries("hset", "fields", field)?
        } else {
            vec![(
                bytes("hset", "field", field)?,
                bytes("hset", "value", value)?,
            )]
        };
    call(Command::HSet { key, pairs }, Shape::Int)
}

pub(crate) fn hsetnx(k: &JsValue, field: &JsValue, value: &JsValue) -> Built {
    let key = key("hsetnx", k)?;
    let field = bytes("hsetnx", "field", field)?;
    let value = bytes("hsetnx", "value", value)?;
    call(Command::HSetNx { key, field, value }, Shape::Bool)
}

pub(crate) fn hget(k: &JsValue, field: &JsValue, encoding: Encoding) -> Built {
    let method = if encoding == Encoding::Text {
        "hget"
    } else {
        "hgetBytes"
    };
    let key = key(method, k)?;
    let field = bytes(method, "field", field)?;
    call(Command::HGet { key, field }, Shape::Value(encoding))
}

pub(crate) fn hmget(k: &JsValue, fields: &Array, encoding: Encoding) -> Built {
    let method = if encoding == Encoding::Text {
        "hmget"
    } else {
        "hmgetBytes"
    };
    let key = key(method, k)?;
    let fields = bytes_list_nonempty(method, "field", fields)?;
    call(Command::HMGet { key, fields }, Shape::Values(encoding))
}

pub(crate) fn hgetall(k: &JsValue, encoding: Encoding) -> Built {
    let method = if encoding == Encoding::Text {
        "hgetall"
    } else {
        "hgetallBytes"
    };
    call(
        Command::HGetAll {
            key: key(method, k)?,
        },
        Shape::Pairs(encoding),
    )
}

pub(crate) fn hdel(k: &JsValue, fields: &Array) -> Built {
    let key = key("hdel", k)?;
    let fields = bytes_list_nonempty("hdel", "field", fields)?;
    call(Command::HDel { key, fields }, Shape::Int)
}

pub(crate) fn hexists(k: &JsValue, field: &JsValue) -> Built {
    let key = key("hexists", k)?;
    let field = bytes("hexists", "field", field)?;
    call(Command::HExists { key, field }, Shape::Bool)
}

pub(crate) fn hlen(k: &JsValue) -> Built {
    call(
        Command::HLen {
            key: key("hlen", k)?,
        },
        Shape::Int,
    )
}

pub(crate) fn hkeys(k: &JsValue, encoding: Encoding) -> Built {
    let method = if encoding == Encoding::Text {
        "hkeys"
    } else {
        "hkeysBytes"
    };
    call(
        Command::HKeys {
            key: key(method, k)?,
        },
        Shape::Values(encoding),
    )
}

pub(crate) fn hvals(k: &JsValue, encoding: Encoding) -> Built {
    let method = if encoding == Encoding::Text {
        "hvals"
    } else {
        "hvalsBytes"
    };
    call(
        Command::HVals {
            key: key(method, k)?,
        },
        Shape::Values(encoding),
    )
}

pub(crate) fn hincrby(k: &JsValue, field: &JsValue, delta: &JsValue) -> Built {
    let key = key("hincrby", k)?;
    let field = bytes("hincrby", "field", field)?;
    let delta = convert::int("hincrby", "increment", delta)?;
    call(Command::HIncrBy { key, field, delta }, Shape::Int)
}

pub(crate) fn hincrbyfloat(k: &JsValue, field: &JsValue, delta: &JsValue) -> Built {
    let key = key("hincrbyfloat", k)?;
    let field = bytes("hincrbyfloat", "field", field)?;
    let delta = convert::float("hincrbyfloat", "increment", delta)?;
    call(Command::HIncrByFloat { key, field, delta }, Shape::Float)
}

pub(crate) fn hmset(k: &JsValue, fields: &JsValue) -> Built {
    let key = key("hmset", k)?;
    let pairs = entries("hmset", "fields", fields)?;
    call(Command::HMSet { key, pairs }, Shape::Done)
}

pub(crate) fn hstrlen(k: &JsValue, field: &JsValue) -> Built {
    let key = key("hstrlen", k)?;
    let field = bytes("hstrlen", "field", field)?;
    call(Command::HStrLen { key, field }, Shape::Int)
}

/// `hrandfield(key)`: a field or `null`; `hrandfield(key, count)`: fields;
/// `hrandfield(key, count, true)`: fields with their values, as an object.
pub(crate) fn hrandfield(k: &JsValue, count: &JsValue, with_values: &JsValue) -> Built {
    let key = key("hrandfield", k)?;
    if count.is_undefined() {
        let command = Command::HRandField {
            key,
            count: None,
            with_values: false,
        };
        return call(command, Shape::Value(Encoding::Text));
    }
    let count = crate::bindings::convert::int("hrandfield", "count", count)?;
    let with_values = match with_values.as_bool() {
        Some(b) => b,
        None if with_values.is_undefined() => false,
        None => {
            return Err(crate::bindings::errors::type_error(
                "hrandfield",
                "withValues must be a boolean",
            ))
        }
    };
    let shape = if with_values {
        Shape::Pairs(Encoding::Text)
    } else {
        Shape::Values(Encoding::Text)
    };
    call(
        Command::HRandField {
            key,
            count: Some(count),
            with_values,
        },
        shape,
    )
}

/// `hscan(key, cursor, { match, count })`: `{ cursor, members: [field, value, …] }`.
pub(crate) fn hscan(k: &JsValue, cursor: &JsValue, options: &JsValue) -> Built {
    let key = key("hscan", k)?;
    let cursor = super::scan_cursor("hscan", cursor)?;
    let o = crate::bindings::convert::Options::new("hscan", options, &["match", "count"])?;
    let (pattern, count) = (o.bytes("match")?, o.count("count")?);
    call(
        Command::HScan {
            key,
            cursor,
            pattern,
            count,
        },
        Shape::MemberScan(false),
    )
}
