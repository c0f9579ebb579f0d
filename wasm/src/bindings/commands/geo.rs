//! Geospatial commands, with `@upstash/redis`'s arguments: `geoadd(key, { longitude,
//! latitude, member }, ...more)` or `geoadd(key, { nx | xx, ch }, { longitude, latitude,
//! member }, ...more)`, `geopos(key, ...members)` or `geopos(key, [member, …])`,
//! `geodist(key, member1, member2, unit?)` (`"M"`, `"KM"`, `"FT"`, `"MI"`, any case),
//! `geohash(key, ...members)` or `geohash(key, [member, …])`.
//!
//! `geopos` answers `{ lng, lat }` objects for the members that exist, leaving out the missing
//! ones, as `@upstash/redis` does; `geodist` a number or `null`; `geohash` strings and
//! `null`s.

use hedgestore_core::{Command, Error, GeoUnit, ZAddCondition};
use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;

use super::{call, key, on_key_and_list, Built};
use crate::bindings::convert::{self, bytes, describe, name, Encoding, Options};
use crate::bindings::errors::{engine_error, type_error};
use crate::bindings::shape::Shape;

/// A `{ longitude, latitude, member }` object.
fn point(v: &JsValue) -> Result<(f64, f64, Vec<u8>), JsValue> {
    if !v.is_object() || Array::is_array(v) {
        return Err(type_error(
            "geoadd",
            &format!(
                "expects {{ longitude, latitude, member }} objects, got {}",
                describe(v)
            ),
        ));
    }
    let field = |n| Reflect::get(v, &name(n)).unwrap_or(JsValue::UNDEFINED);
    let x = convert::float("geoadd", "longitude", &field("longitude"))?;
    let y = convert::float("geoadd", "latitude", &field("latitude"))?;
    if x.is_nan() || y.is_nan() {
        return Err(engine_error(&Error::NotFloat));
    }
    Ok((x, y, bytes("geoadd", "member", &field("member"))?))
}

pub(crate) fn geoadd(k: &JsValue, first: &JsValue, rest: &Array) -> Built {
    let key = key("geoadd", k)?;
    let is_point = first.is_object() && Reflect::has(first, &name("member")).unwrap_or(false);
    let mut points = Vec::with_capacity(rest.length() as usize + 1);
    let (mut condition, mut changed) = (ZAddCondition::Always, false);
    if is_point {
        points.push(point(first)?);
    } else {
        let o = Options::new("geoadd", first, &["nx", "xx", "ch"])?;
        let (nx, xx) = (o.flag("nx")?, o.flag("xx")?);
        if nx && xx {
            return Err(engine_error(&Error::Syntax));
        }
        condition = match (nx, xx) {
            (true, _) => ZAddCondition::Nx,
            (_, true) => ZAddCondition::Xx,
            _ => ZAddCondition::Always,
        };
        changed = o.flag("ch")?;
    }
    for v in rest.iter() {
        points.push(point(&v)?);
    }
    if points.is_empty() {
        return Err(type_error(
            "geoadd",
            "expects at least one { longitude, latitude, member }",
        ));
    }
    call(
        Command::GeoAdd {
            key,
            condition,
            changed,
            points,
        },
        Shape::Int,
    )
}

/// The members of `geopos` and `geohash`: one array, or the rest of the arguments.
fn members(first: &JsValue, rest: &Array) -> Array {
    if Array::is_array(first) {
        Array::from(first)
    } else {
        let all = Array::of1(first);
        all.concat(rest)
    }
}

pub(crate) fn geopos(k: &JsValue, first: &JsValue, rest: &Array) -> Built {
    on_key_and_list(
        "geopos",
        "member",
        k,
        &members(first, rest),
        |key, members| Command::GeoPos { key, members },
        Shape::Positions,
    )
}

pub(crate) fn geohash(k: &JsValue, first: &JsValue, rest: &Array) -> Built {
    on_key_and_list(
        "geohash",
        "member",
        k,
        &members(first, rest),
        |key, members| Command::GeoHash { key, members },
        Shape::Values(Encoding::Text),
    )
}

pub(crate) fn geodist(k: &JsValue, m1: &JsValue, m2: &JsValue, unit: &JsValue) -> Built {
    let key = key("geodist", k)?;
    let member1 = bytes("geodist", "member1", m1)?;
    let member2 = bytes("geodist", "member2", m2)?;
    let unit = if unit.is_undefined() {
        GeoUnit::M
    } else {
        let text = unit.as_string().ok_or_else(|| {
            type_error(
                "geodist",
                &format!("unit must be a string, got {}", describe(unit)),
            )
        })?;
        GeoUnit::parse(text.as_bytes()).ok_or_else(|| engine_error(&Error::UnsupportedUnit))?
    };
    call(
        Command::GeoDist {
            key,
            member1,
            member2,
            unit,
        },
        Shape::OptFloat,
    )
}
