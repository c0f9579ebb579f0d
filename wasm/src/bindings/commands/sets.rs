//! Set commands: `SADD`, `SREM`, `SMEMBERS`, `SISMEMBER`, `SMISMEMBER`, `SCARD`, `SPOP`,
//! `SRANDMEMBER`, `SMOVE`, the set algebra and its `…STORE` forms, `SINTERCARD`, and the
//! member scans `SSCAN` and `ZSCAN`. Arguments follow `@upstash/redis`: `sadd(key, member,
//! ...members)`, `smismember(key, [member, …])`, `sintercard([key, …], { limit })`.

use hedgestore_core::Command;
use wasm_bindgen::prelude::*;

use super::{array_arg, call, key, on_key, on_key_and, on_key_and_list, on_keys, Args, Built};
use crate::bindings::convert::{self, bytes, bytes_list_nonempty, Encoding, Options};
use crate::bindings::shape::Shape;

/// `SADD` and `SREM`: a key and one or more members.
pub(crate) fn set_members(method: &'static str, a: &Args) -> Built {
    let make: fn(Vec<u8>, Vec<Vec<u8>>) -> Command = if method == "sadd" {
        |key, members| Command::SAdd { key, members }
    } else {
        |key, members| Command::SRem { key, members }
    };
    on_key_and_list(method, "member", &a.at(0), &a.rest(1), make, Shape::Int)
}

/// `SMEMBERS` and `SCARD`.
pub(crate) fn set_key(method: &'static str, a: &Args) -> Built {
    if method == "smembers" {
        on_key(
            method,
            &a.at(0),
            |key| Command::SMembers { key },
            Shape::Values(Encoding::Text),
        )
    } else {
        on_key(method, &a.at(0), |key| Command::SCard { key }, Shape::Int)
    }
}

pub(crate) fn sismember(k: &JsValue, member: &JsValue) -> Built {
    on_key_and(
        "sismember",
        "member",
        k,
        member,
        |key, member| Command::SIsMember { key, member },
        Shape::Bool,
    )
}

pub(crate) fn smismember(k: &JsValue, members: &JsValue) -> Built {
    let members = array_arg("smismember", "members", members)?;
    on_key_and_list(
        "smismember",
        "member",
        k,
        &members,
        |key, members| Command::SMIsMember { key, members },
        Shape::Bools,
    )
}

/// `SPOP key [count]` and `SRANDMEMBER key [count]`: a member (or `null`) without a count,
/// an array with one.
pub(crate) fn set_pick(method: &'static str, k: &JsValue, count: &JsValue) -> Built {
    let key = key(method, k)?;
    let (command, counted) = if method == "spop" {
        let count = convert::opt_count(method, "count", count)?;
        (Command::SPop { key, count }, count.is_some())
    } else {
        let count = convert::opt_int(method, "count", count)?;
        (Command::SRandMember { key, count }, count.is_some())
    };
    let shape = if counted {
        Shape::Values(Encoding::Text)
    } else {
        Shape::Value(Encoding::Text)
    };
    call(command, shape)
}

pub(crate) fn smove(source: &JsValue, destination: &JsValue, member: &JsValue) -> Built {
    let source = bytes("smove", "source", source)?;
    let destination = bytes("smove", "destination", destination)?;
    let member = bytes("smove", "member", member)?;
    call(
        Command::SMove {
            source,
            destination,
            member,
        },
        Shape::Bool,
    )
}

/// `SINTER`, `SUNION`, `SDIFF` (`key, ...keys`) and their `…STORE` forms (`destination,
/// key, ...keys`).
pub(crate) fn set_algebra(method: &'static str, a: &Args) -> Built {
    if !method.ends_with("store") {
        let make: fn(Vec<Vec<u8>>) -> Command = match method {
            "sinter" => |keys| Command::SInter { keys },
            "sunion" => |keys| Command::SUnion { keys },
            _ => |keys| Command::SDiff { keys },
        };
        return on_keys(method, &a.rest(0), make, Shape::Values(Encoding::Text));
    }
    let make: fn(Vec<u8>, Vec<Vec<u8>>) -> Command = match method {
        "sinterstore" => |destination, keys| Command::SInterStore { destination, keys },
        "sunionstore" => |destination, keys| Command::SUnionStore { destination, keys },
        _ => |destination, keys| Command::SDiffStore { destination, keys },
    };
    on_key_and_list(method, "key", &a.at(0), &a.rest(1), make, Shape::Int)
}

pub(crate) fn sintercard(keys: &JsValue, options: &JsValue) -> Built {
    let keys = array_arg("sintercard", "keys", keys)?;
    let keys = bytes_list_nonempty("sintercard", "key", &keys)?;
    let limit = Options::new("sintercard", options, &["limit"])?.count("limit")?;
    call(Command::SInterCard { keys, limit }, Shape::Int)
}

/// `SSCAN` and `ZSCAN`: `(key, cursor, { match, count })`, answering `{ cursor, members }`
/// (`ZSCAN`'s members as `[member, score, …]`).
pub(crate) fn member_scan(
    method: &'static str,
    k: &JsValue,
    cursor: &JsValue,
    options: &JsValue,
) -> Built {
    let key = key(method, k)?;
    let cursor = super::scan_cursor(method, cursor)?;
    let o = Options::new(method, options, &["match", "count"])?;
    let (pattern, count) = (o.bytes("match")?, o.count("count")?);
    if method == "sscan" {
        call(
            Command::SScan {
                key,
                cursor,
                pattern,
                count,
            },
            Shape::MemberScan(false),
        )
    } else {
        call(
            Command::ZScan {
                key,
                cursor,
                pattern,
                count,
            },
            Shape::MemberScan(true),
        )
    }
}
