//! Bitmap commands: `SETBIT`, `GETBIT`, `BITCOUNT`, `BITPOS`, `BITOP`, with `@upstash/redis`'s
//! arguments: `setbit(key, offset, 0 | 1)`, `getbit(key, offset)`, `bitcount(key, start?,
//! end?)` (both ends or neither), `bitpos(key, 0 | 1, start?, end?)` and `bitop(op,
//! destination, ...sourceKeys)`. Offsets count bytes, as in Redis without `BIT`.

use hedgestore_core::{BitOp, BitRange, BitUnit, Command};
use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::{call, key, Built};
use crate::bindings::convert::{self, bytes, bytes_list_nonempty, describe};
use crate::bindings::errors::type_error;
use crate::bindings::shape::Shape;

/// A bit offset: a non-negative integer.
fn offset(method: &str, v: &JsValue) -> Result<u64, JsValue> {
    u64::try_from(convert::int(method, "offset", v)?)
        .map_err(|_| type_error(method, "offset must not be negative"))
}

/// A bit: the number 0 or 1.
fn bit(method: &str, what: &str, v: &JsValue) -> Result<bool, JsValue> {
    match v.as_f64() {
        Some(0.0) => Ok(false),
        Some(1.0) => Ok(true),
        _ => Err(type_error(
            method,
            &format!("{what} must be 0 or 1, got {}", describe(v)),
        )),
    }
}

pub(crate) fn setbit(k: &JsValue, at: &JsValue, value: &JsValue) -> Built {
    let key = key("setbit", k)?;
    let offset = offset("setbit", at)?;
    let value = bit("setbit", "value", value)?;
    call(Command::SetBit { key, offset, value }, Shape::Int)
}

pub(crate) fn getbit(k: &JsValue, at: &JsValue) -> Built {
    let key = key("getbit", k)?;
    let offset = offset("getbit", at)?;
    call(Command::GetBit { key, offset }, Shape::Int)
}

/// `start, end` in bytes: both or neither for `bitcount`; `bitpos` also takes `start` alone.
fn byte_range(
    method: &str,
    start: &JsValue,
    end: &JsValue,
    start_alone: bool,
) -> Result<Option<BitRange>, JsValue> {
    let start = convert::opt_int(method, "start", start)?;
    let end = convert::opt_int(method, "end", end)?;
    match (start, end) {
        (None, None) => Ok(None),
        (Some(start), Some(end)) => Ok(Some(BitRange::Between {
            start,
            end,
            unit: BitUnit::Byte,
        })),
        (Some(start), None) if start_alone => Ok(Some(BitRange::From(start))),
        (None, Some(_)) if start_alone => Err(type_error(method, "end needs a start")),
        _ => Err(type_error(method, "give both start and end, or neither")),
    }
}

pub(crate) fn bitcount(k: &JsValue, start: &JsValue, end: &JsValue) -> Built {
    let key = key("bitcount", k)?;
    let range = byte_range("bitcount", start, end, false)?;
    call(Command::BitCount { key, range }, Shape::Int)
}

pub(crate) fn bitpos(k: &JsValue, b: &JsValue, start: &JsValue, end: &JsValue) -> Built {
    let key = key("bitpos", k)?;
    let bit = bit("bitpos", "bit", b)?;
    let range = byte_range("bitpos", start, end, true)?;
    call(Command::BitPos { key, bit, range }, Shape::Int)
}

pub(crate) fn bitop(op: &JsValue, destination: &JsValue, sources: &Array) -> Built {
    let op = match op.as_string().map(|s| s.to_ascii_lowercase()).as_deref() {
        Some("and") => BitOp::And,
        Some("or") => BitOp::Or,
        Some("xor") => BitOp::Xor,
        Some("not") => BitOp::Not,
        _ => {
            return Err(type_error(
                "bitop",
                &format!(
                    "op must be 'and', 'or', 'xor' or 'not', got {}",
                    describe(op)
                ),
            ))
        }
    };
    let destination = bytes("bitop", "destinationKey", destination)?;
    let keys = bytes_list_nonempty("bitop", "source key", sources)?;
    call(
        Command::BitOp {
            op,
            destination,
            keys,
        },
        Shape::Int,
    )
}
