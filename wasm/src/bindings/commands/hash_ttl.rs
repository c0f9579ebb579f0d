//! Hash field expiration (Redis 7.4), as `@upstash/redis` takes it: `hexpire(key, fields,
//! seconds, option?)` (and `hpexpire`, `hexpireat`, `hpexpireat`), `httl(key, fields)`,
//! `hpttl`, `hexpiretime`, `hpexpiretime`, `hpersist`; `fields` is one field or an array of
//! them, `option` one of `"NX"`, `"XX"`, `"GT"`, `"LT"` (any case). Each answers an array of
//! numbers, one per field.

use hedgestore_core::{Command, ExpireCondition, Expiry};
use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::{call, key, Built};
use crate::bindings::convert::{self, bytes, bytes_list_nonempty, describe};
use crate::bindings::errors::type_error;
use crate::bindings::shape::Shape;

/// One field or an array of fields.
fn fields(method: &'static str, v: &JsValue) -> Result<Vec<Vec<u8>>, JsValue> {
    if Array::is_array(v) {
        bytes_list_nonempty(method, "field", &Array::from(v))
    } else {
        Ok(vec![bytes(method, "field", v)?])
    }
}

/// `"NX"`, `"XX"`, `"GT"` or `"LT"` in any case; no condition when `undefined`.
fn condition(method: &'static str, v: &JsValue) -> Result<ExpireCondition, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(ExpireCondition::Always);
    }
    let word = v.as_string().map(|s| s.to_ascii_uppercase());
    Ok(match word.as_deref() {
        Some("NX") => ExpireCondition::Nx,
        Some("XX") => ExpireCondition::Xx,
        Some("GT") => ExpireCondition::Gt,
        Some("LT") => ExpireCondition::Lt,
        _ => {
            return Err(type_error(
                method,
                &format!(
                    "expects the option \"NX\", \"XX\", \"GT\" or \"LT\", got {}",
                    describe(v)
                ),
            ))
        }
    })
}

pub(crate) fn hexpire(
    method: &'static str,
    make: fn(i64) -> Expiry,
    args: [&JsValue; 4],
) -> Built {
    let [k, f, amount, option] = args;
    let key = key(method, k)?;
    let fields = fields(method, f)?;
    let amount = convert::int(method, "time", amount)?;
    let condition = condition(method, option)?;
    call(
        Command::HExpire {
            key,
            expiry: make(amount),
            condition,
            fields,
        },
        Shape::Ints,
    )
}

/// `HTTL`, `HPTTL`, `HEXPIRETIME`, `HPEXPIRETIME` or `HPERSIST` (which `make` builds).
pub(crate) fn field_query(
    method: &'static str,
    make: fn(Vec<u8>, Vec<Vec<u8>>) -> Command,
    k: &JsValue,
    f: &JsValue,
) -> Built {
    let key = key(method, k)?;
    let fields = fields(method, f)?;
    call(make(key, fields), Shape::Ints)
}
