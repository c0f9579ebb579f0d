//! `PUBLISH` and the `PUBSUB` introspection commands (subscribing is a method of each store,
//! not a command).

use hedgestore_core::Command;
use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::{call, Built};
use crate::bindings::convert::{bytes, bytes_list, Encoding};
use crate::bindings::shape::Shape;

pub(crate) fn publish(channel: &JsValue, message: &JsValue) -> Built {
    let channel = bytes("publish", "channel", channel)?;
    let message = bytes("publish", "message", message)?;
    call(Command::Publish { channel, message }, Shape::Int)
}

pub(crate) fn pubsub_channels(pattern: &JsValue) -> Built {
    let pattern = if pattern.is_undefined() {
        None
    } else {
        Some(bytes("pubsubChannels", "pattern", pattern)?)
    };
    call(
        Command::PubSubChannels { pattern },
        Shape::Values(Encoding::Text),
    )
}

pub(crate) fn pubsub_numsub(channels: &Array) -> Built {
    let channels = bytes_list("pubsubNumsub", "channel", channels)?;
    call(Command::PubSubNumSub { channels }, Shape::Counts)
}

pub(crate) fn pubsub_numpat() -> Built {
    call(Command::PubSubNumPat, Shape::Int)
}
