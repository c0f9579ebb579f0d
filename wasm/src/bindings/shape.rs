//! How each method turns the engine's (or the server's) [`Reply`] into the JavaScript value
//! it documents: `SET` answers `true`/`false` rather than `OK`/nil, `HGETALL` a plain object
//! rather than a flat array, counts are numbers, missing values are `null`.
//!
//! A [`Shape`] travels with every queued command, so a transaction or pipeline answers each
//! command exactly as the method would have on its own.

use hedgestore_core::Reply;
use js_sys::{Array, Map, Object};
use wasm_bindgen::prelude::*;

use super::convert::{to_js, Encoding};
use super::errors::reply_error;

/// The JavaScript form of a command's reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A stored value or `null` (`GET`, `HGET`, `LINDEX`, `LPOP` without a count).
    Value(Encoding),
    /// An array of values or `null`s (`MGET`, `HMGET`, `LRANGE`, `KEYS`, `LPOP` with a
    /// count, where a missing list is `null`).
    Values(Encoding),
    /// `true`/`false`: `1`/`0`, `OK`/nil.
    Bool,
    /// A number (an integer reply).
    Int,
    /// A number from a float reply's text (`INCRBYFLOAT`).
    Float,
    /// `undefined` (commands that only answer `OK`).
    Done,
    /// A status word as a string (`PING`, `TYPE`).
    Status,
    /// A flat field/value array as a plain object (text) or a `Map` (bytes).
    Pairs(Encoding),
    /// `SCAN`'s page: `{ cursor, keys }`.
    Scan(Encoding),
    /// A stored JSON document, parsed (`getJson`), or `null`.
    Json,
    /// `PUBSUB NUMSUB`'s flat channel/count array as a plain object.
    Counts,
    /// An array of `true`/`false` from `1`/`0`s (`SMISMEMBER`).
    Bools,
    /// A number from an integer or a float's text, or `null` (`ZSCORE`, `ZRANK`, `ZADD …
    /// INCR`).
    OptFloat,
    /// An array of numbers and `null`s (`ZMSCORE`).
    OptFloats,
    /// An array of numbers from integer replies (`HEXPIRE`, `HTTL`).
    Ints,
    /// A flat member/score array as `[member, score, …]` with the scores as numbers, as
    /// `@upstash/redis` answers them (`ZPOPMIN`, `ZRANGE … WITHSCORES`); nil is `[]`.
    Scored,
    /// `LMPOP`'s `[key, [value, …]]`, or `null`.
    Popped,
    /// Whatever a script answered: `null`, numbers, strings and arrays of them, nested.
    Any,
    /// `SSCAN`'s and `ZSCAN`'s page: `{ cursor, members }`, the members as [`Shape::Scored`]
    /// when `true`.
    MemberScan(bool),
    /// `GEOPOS`'s longitude/latitude pairs as `{ lng, lat }` objects, the missing members
    /// (nil) left out, as `@upstash/redis` answers them.
    Positions,
}

/// A reply of another kind than the command answers (only a misbehaving server sends one).
/// The reply itself is not printed: formatting it would cost more binary size than it helps.
fn unexpected(_reply: &Reply) -> JsValue {
    reply_error("ERR unexpected reply shape from the server", None)
}

fn text_of(reply: &Reply) -> Option<&[u8]> {
    match reply {
        Reply::Bulk(b) => Some(b),
        Reply::Ok => Some(b"OK"),
        Reply::Status(s) => Some(s.as_bytes()),
        _ => None,
    }
}

fn value(reply: &Reply, encoding: Encoding) -> Result<JsValue, JsValue> {
    match reply {
        Reply::Nil => Ok(JsValue::NULL),
        other => text_of(other)
            .map(|b| to_js(b, encoding))
            .ok_or_else(|| unexpected(other)),
    }
}

fn number(text: &[u8]) -> Option<f64> {
    std::str::from_utf8(text).ok()?.trim().parse::<f64>().ok()
}

/// A number from an integer reply or a float's text (`inf` and `-inf` included).
fn float(reply: &Reply) -> Result<JsValue, JsValue> {
    match reply {
        Reply::Int(n) => Ok(JsValue::from_f64(*n as f64)),
        Reply::Bulk(b) => number(b)
            .map(JsValue::from_f64)
            .ok_or_else(|| unexpected(reply)),
        _ => Err(unexpected(reply)),
    }
}

/// Converts `reply` to the JavaScript value `shape` describes.
pub fn to_js_value(reply: Reply, shape: Shape) -> Result<JsValue, JsValue> {
    match shape {
        Shape::Value(encoding) => value(&reply, encoding),
        Shape::Values(encoding) => match reply {
            Reply::Nil => Ok(JsValue::NULL),
            Reply::Array(items) => {
                let out = Array::new_with_length(items.len() as u32);
                for (i, item) in items.iter().enumerate() {
                    out.set(i as u32, value(item, encoding)?);
                }
                Ok(out.into())
            }
            other => Err(unexpected(&other)),
        },
        Shape::Bool => match reply {
            Reply::Int(n) => Ok(JsValue::from_bool(n != 0)),
            Reply::Ok => Ok(JsValue::TRUE),
            Reply::Nil => Ok(JsValue::FALSE),
            other => Err(unexpected(&other)),
        },
        Shape::Int => match reply {
            Reply::Int(n) => Ok(JsValue::from_f64(n as f64)),
            other => Err(unexpected(&other)),
        },
        Shape::Float => float(&reply),
        Shape::OptFloat => match reply {
            Reply::Nil => Ok(JsValue::NULL),
            other => float(&other),
        },
        Shape::Bools | Shape::OptFloats | Shape::Ints => match reply {
            Reply::Array(items) => {
                let item = match shape {
                    Shape::Bools => Shape::Bool,
                    Shape::Ints => Shape::Int,
                    _ => Shape::OptFloat,
                };
                let out = Array::new_with_length(items.len() as u32);
                for (i, reply) in items.into_iter().enumerate() {
                    out.set(i as u32, to_js_value(reply, item)?);
                }
                Ok(out.into())
            }
            other => Err(unexpected(&other)),
        },
        Shape::Scored => match reply {
            Reply::Nil => Ok(Array::new().into()),
            Reply::Array(items) if items.len() % 2 == 0 => {
                let out = Array::new_with_length(items.len() as u32);
                for (i, pair) in items.chunks_exact(2).enumerate() {
                    out.set(2 * i as u32, value(&pair[0], Encoding::Text)?);
                    out.set(2 * i as u32 + 1, float(&pair[1])?);
                }
                Ok(out.into())
            }
            other => Err(unexpected(&other)),
        },
        Shape::MemberScan(scored) => match reply {
            Reply::Array(mut items) if items.len() == 2 => {
                let members = items.pop().expect("length checked");
                let cursor = items.pop().expect("length checked");
                let members_shape = if scored {
                    Shape::Scored
                } else {
                    Shape::Values(Encoding::Text)
                };
                let page = Object::new();
                super::js::set(&page, "cursor", &value(&cursor, Encoding::Text)?);
                super::js::set(&page, "members", &to_js_value(members, members_shape)?);
                Ok(page.into())
            }
            other => Err(unexpected(&other)),
        },
        Shape::Any => match reply {
            Reply::Nil => Ok(JsValue::NULL),
            Reply::Int(n) => Ok(JsValue::from_f64(n as f64)),
            Reply::Array(items) => {
                let out = Array::new_with_length(items.len() as u32);
                for (i, item) in items.into_iter().enumerate() {
                    out.set(i as u32, to_js_value(item, Shape::Any)?);
                }
                Ok(out.into())
            }
            other => value(&other, Encoding::Text),
        },
        Shape::Popped => match reply {
            Reply::Nil => Ok(JsValue::NULL),
            Reply::Array(mut items) if items.len() == 2 => {
                let values = items.pop().expect("length checked");
                let key = items.pop().expect("length checked");
                let values = to_js_value(values, Shape::Values(Encoding::Text))?;
                Ok(Array::of2(&value(&key, Encoding::Text)?, &values).into())
            }
            other => Err(unexpected(&other)),
        },
        Shape::Positions => match reply {
            Reply::Array(items) => {
                let out = Array::new();
                for item in items {
                    match item {
                        Reply::Nil => {}
                        Reply::Array(pair) if pair.len() == 2 => {
                            let point = Object::new();
                            super::js::set(&point, "lng", &float(&pair[0])?);
                            super::js::set(&point, "lat", &float(&pair[1])?);
                            out.push(&point);
                        }
                        other => return Err(unexpected(&other)),
                    }
                }
                Ok(out.into())
            }
            other => Err(unexpected(&other)),
        },
        Shape::Done => match reply {
            Reply::Ok | Reply::Status(_) | Reply::Bulk(_) => Ok(JsValue::UNDEFINED),
            other => Err(unexpected(&other)),
        },
        Shape::Status => value(&reply, Encoding::Text),
        Shape::Pairs(encoding) => match reply {
            Reply::Array(items) if items.len() % 2 == 0 => pairs(&items, encoding),
            other => Err(unexpected(&other)),
        },
        Shape::Scan(encoding) => match reply {
            Reply::Array(mut items) if items.len() == 2 => {
                let keys = items.pop().expect("length checked");
                let cursor = items.pop().expect("length checked");
                let page = Object::new();
                super::js::set(&page, "cursor", &value(&cursor, Encoding::Text)?);
                super::js::set(&page, "keys", &to_js_value(keys, Shape::Values(encoding))?);
                Ok(page.into())
            }
            other => Err(unexpected(&other)),
        },
        Shape::Json => match reply {
            Reply::Nil => Ok(JsValue::NULL),
            Reply::Bulk(b) => {
                let text = String::from_utf8_lossy(&b);
                js_sys::JSON::parse(&text)
            }
            other => Err(unexpected(&other)),
        },
        Shape::Counts => match reply {
            Reply::Array(items) if items.len() % 2 == 0 => {
                let entries = Array::new();
                for pair in items.chunks_exact(2) {
                    let count = match &pair[1] {
                        Reply::Int(n) => JsValue::from_f64(*n as f64),
                        other => return Err(unexpected(other)),
                    };
                    entries.push(&Array::of2(&value(&pair[0], Encoding::Text)?, &count));
                }
                Object::from_entries(&entries).map(Into::into)
            }
            other => Err(unexpected(&other)),
        },
    }
}

/// A flat `[field, value, …]` array as a plain object (built with `Object.fromEntries`, so a
/// field named `__proto__` is an ordinary property) or a `Map` of `Uint8Array`s.
fn pairs(items: &[Reply], encoding: Encoding) -> Result<JsValue, JsValue> {
    match encoding {
        Encoding::Text => {
            let entries = Array::new_with_length((items.len() / 2) as u32);
            for (i, pair) in items.chunks_exact(2).enumerate() {
                let entry = Array::of2(
                    &value(&pair[0], Encoding::Text)?,
                    &value(&pair[1], Encoding::Text)?,
                );
                entries.set(i as u32, entry.into());
            }
            Object::from_entries(&entries).map(Into::into)
        }
        Encoding::Bytes => {
            let map = Map::new();
            for pair in items.chunks_exact(2) {
                map.set(
                    &value(&pair[0], Encoding::Bytes)?,
                    &value(&pair[1], Encoding::Bytes)?,
                );
            }
            Ok(map.into())
        }
    }
}
