//! Hash field expiration (Redis 7.4), as `@upstash/redis` takes it: `hexpire(key, fields,
//! seconds, option?)` (and `hpexpire`, `hexpireat`, `hpexpireat`), `httl(key, fields)`,
//! `hpttl`, `hexpiretime`, `hpexpiretime`, `hpersist`; `fields` is one field or an array of
//! them, `option` one of `"NX"`, `"XX"`, `"GT"`, `"LT"` (any case). Each answers an array of
//! numbers, one per field.

use hedgestore_core::{Command, ExpireCondition, Expiry, FieldSetCondition, FieldSetTtl};
use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::strings::{entries, getex_option};
use super::{call, key, Built};
use crate::bindings::convert::{self, bytes, bytes_list_nonempty, describe, Encoding, Options};
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

pub(crate) fn hexpire(method: &'static str, make: fn(i64) -> Expiry, args: [&JsValue; 4]) -> Built {
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

/// `hgetdel(key, ...fields)`: the values (`null` where missing), as `hmget` answers them.
pub(crate) fn hgetdel(k: &JsValue, fields: &Array) -> Built {
    let key = key("hgetdel", k)?;
    let fields = bytes_list_nonempty("hgetdel", "field", fields)?;
    call(
        Command::HGetDel { key, fields },
        Shape::Values(Encoding::Text),
    )
}

/// `hgetex(key, { ex | px | exat | pxat | persist }, ...fields)`: the values (`null` where
/// missing), as `hmget` answers them.
pub(crate) fn hgetex(k: &JsValue, options: &JsValue, fields: &Array) -> Built {
    let key = key("hgetex", k)?;
    let option = getex_option("hgetex", options)?;
    let fields = bytes_list_nonempty("hgetex", "field", fields)?;
    call(
        Command::HGetEx {
            key,
            option,
            fields,
        },
        Shape::Values(Encoding::Text),
    )
}

/// `hsetex(key, { conditional?: "FNX" | "FXX", expiration?: { ex | px | exat | pxat |
/// keepttl } }, { field: value, … })`: 1 when the fields were set, 0 when the condition
/// kept them from it.
pub(crate) fn hsetex(k: &JsValue, options: &JsValue, kv: &JsValue) -> Built {
    const METHOD: &str = "hsetex";
    let key = key(METHOD, k)?;
    let o = Options::new(METHOD, options, &["conditional", "expiration"])?;
    let condition = match o.string("conditional")?.map(|s| s.to_ascii_uppercase()) {
        None => FieldSetCondition::Always,
        Some(s) if s == "FNX" => FieldSetCondition::Fnx,
        Some(s) if s == "FXX" => FieldSetCondition::Fxx,
        Some(_) => return Err(o.invalid("conditional must be \"FNX\" or \"FXX\"")),
    };
    let expiration = o.get("expiration").unwrap_or(JsValue::UNDEFINED);
    let e = Options::new(
        METHOD,
        &expiration,
        &["ex", "px", "exat", "pxat", "keepttl"],
    )?;
    let mut ttls = Vec::new();
    for (name, make) in [
        ("ex", Expiry::Ex as fn(i64) -> Expiry),
        ("px", Expiry::Px),
        ("exat", Expiry::ExAt),
        ("pxat", Expiry::PxAt),
    ] {
        if let Some(n) = e.int(name)? {
            ttls.push(FieldSetTtl::Set(make(n)));
        }
    }
    if e.flag("keepttl")? {
        ttls.push(FieldSetTtl::Keep);
    }
    if ttls.len() > 1 {
        return Err(e.invalid("give at most one of ex, px, exat, pxat and keepttl"));
    }
    let pairs = entries(METHOD, "fields", kv)?;
    if pairs.is_empty() {
        return Err(type_error(METHOD, "expects at least one field"));
    }
    call(
        Command::HSetEx {
            key,
            condition,
            ttl: ttls.pop().unwrap_or_default(),
            pairs,
        },
        Shape::Int,
    )
}
