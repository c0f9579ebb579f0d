//! HyperLogLog commands with `@upstash/redis`'s arguments: `pfadd(key, ...elements)`,
//! `pfcount(...keys)`, `pfmerge(destinationKey, ...sourceKeys)`.

use hedgestore_core::Command;
use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::{call, key, on_keys, Built};
use crate::bindings::convert::bytes_list;
use crate::bindings::shape::Shape;

pub(crate) fn pfadd(k: &JsValue, elements: &Array) -> Built {
    let key = key("pfadd", k)?;
    let elements = bytes_list("pfadd", "element", elements)?;
    call(Command::PfAdd { key, elements }, Shape::Int)
}

pub(crate) fn pfcount(keys: &Array) -> Built {
    on_keys(
        "pfcount",
        keys,
        |keys| Command::PfCount { keys },
        Shape::Int,
    )
}

pub(crate) fn pfmerge(destination: &JsValue, sources: &Array) -> Built {
    let destination = key("pfmerge", destination)?;
    let sources = bytes_list("pfmerge", "source key", sources)?;
    call(
        Command::PfMerge {
            destination,
            sources,
        },
        Shape::Done,
    )
}
