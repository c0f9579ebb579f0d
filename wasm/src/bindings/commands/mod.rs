//! Every command method, once: what JavaScript passes in becomes a [`Command`] plus the
//! [`Shape`] of its answer.
//!
//! `MemoryStore`, `RemoteStore` and their transaction and pipeline builders all expose the
//! same command methods. Rather than one wasm export per method and class (five classes of
//! some seventy methods would be most of the binary's size budget), [`METHODS`] lists each
//! method once with the builder that reads its arguments, and each class has a single export
//! `__command(id, args)` that says what it does with a built [`Call`]: run it now, queue it,
//! or send it. The JavaScript methods themselves are installed on the classes' prototypes at
//! start-up ([`super::install`]).
//!
//! Redis commands keep their Redis names in lower case (`hgetall`, `incrby`, `expireat`), as
//! ioredis and `@upstash/redis` name them; `…Bytes` variants answer `Uint8Array`s.
//!
//! Every method of core's method list (`hedgestore_core::COMMAND_METHODS`) has a builder
//! here under its name (camelCase for a subcommand: `pubsubNumsub`), and its declaration in
//! `wasm/npm/commands.d.ts`; `native/tests/api_agreement.rs` reads this list as text
//! (entries `m("name", …)`) and fails when the three disagree. Methods that are not in core's
//! list (the `…Bytes` variants, the JSON helpers) are listed there as extras.

mod bits;
mod geo;
mod hash_ttl;
mod hashes;
mod hyperloglog;
mod keys;
mod lists;
mod pubsub;
mod sets;
mod strings;
mod zsets;

use hedgestore_core::{Command, Expiry};
use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::convert::{bytes, bytes_list_nonempty, describe, Encoding};
use super::errors::type_error;
use super::shape::Shape;

pub(crate) use bits::*;
pub(crate) use geo::*;
pub(crate) use hash_ttl::*;
pub(crate) use hashes::*;
pub(crate) use hyperloglog::*;
pub(crate) use keys::*;
pub(crate) use lists::*;
pub(crate) use pubsub::*;
pub(crate) use sets::*;
pub(crate) use strings::*;
pub(crate) use zsets::*;

/// A command ready to run, and how to present its answer.
pub struct Call {
    /// The command.
    pub command: Command,
    /// The JavaScript form of its reply.
    pub shape: Shape,
}

/// What a builder produces: a call, or the `TypeError` for a bad argument.
pub type Built = Result<Call, JsValue>;

pub(crate) fn call(command: Command, shape: Shape) -> Built {
    Ok(Call { command, shape })
}

pub(crate) fn key(method: &str, v: &JsValue) -> Result<Vec<u8>, JsValue> {
    bytes(method, "key", v)
}

/// A command on one key (`SMEMBERS key`).
pub(crate) fn on_key(
    method: &'static str,
    k: &JsValue,
    make: fn(Vec<u8>) -> Command,
    shape: Shape,
) -> Built {
    call(make(key(method, k)?), shape)
}

/// A command on a key and one more byte argument named `what` (`SISMEMBER key member`).
pub(crate) fn on_key_and(
    method: &'static str,
    what: &str,
    k: &JsValue,
    v: &JsValue,
    make: fn(Vec<u8>, Vec<u8>) -> Command,
    shape: Shape,
) -> Built {
    let key = key(method, k)?;
    call(make(key, bytes(method, what, v)?), shape)
}

/// A command on a key (or destination) and one or more byte arguments, each named `what`
/// (`SADD key member …`, `SINTERSTORE destination key …`).
pub(crate) fn on_key_and_list(
    method: &'static str,
    what: &str,
    k: &JsValue,
    list: &Array,
    make: fn(Vec<u8>, Vec<Vec<u8>>) -> Command,
    shape: Shape,
) -> Built {
    let key = key(method, k)?;
    call(make(key, bytes_list_nonempty(method, what, list)?), shape)
}

/// A command on one or more keys (`SINTER key …`).
pub(crate) fn on_keys(
    method: &'static str,
    keys: &Array,
    make: fn(Vec<Vec<u8>>) -> Command,
    shape: Shape,
) -> Built {
    call(make(bytes_list_nonempty(method, "key", keys)?), shape)
}

/// Argument `v`, which must be an array (`SMISMEMBER key [member, …]`).
pub(crate) fn array_arg(method: &str, what: &str, v: &JsValue) -> Result<Array, JsValue> {
    if Array::is_array(v) {
        Ok(Array::from(v))
    } else {
        Err(type_error(
            method,
            &format!("{what} must be an array, got {}", describe(v)),
        ))
    }
}

/// A JavaScript call's arguments: missing ones read as `undefined`, as in JavaScript.
pub(crate) struct Args<'a>(&'a Array);

impl Args<'_> {
    /// Argument `i`, `undefined` when not given. Out of line: it is called in every
    /// builder of [`METHODS`], where inlining it would copy its two host calls some 300 times.
    #[inline(never)]
    fn at(&self, i: u32) -> JsValue {
        if i < self.0.length() {
            self.0.get(i)
        } else {
            JsValue::UNDEFINED
        }
    }

    /// The arguments from `i` on (a rest parameter). Out of line, as [`Args::at`].
    #[inline(never)]
    fn rest(&self, i: u32) -> Array {
        self.0.slice(i.min(self.0.length()), self.0.length())
    }
}

/// One command method: its JavaScript name and the builder that reads its arguments.
pub(crate) struct Method {
    /// The method's name on every class.
    pub(crate) name: &'static str,
    build: fn(&Args) -> Built,
}

const fn m(name: &'static str, build: fn(&Args) -> Built) -> Method {
    Method { name, build }
}

use Encoding::{Bytes, Text};

/// Every command method, in the order of their ids (`__command(id, args)`).
pub(crate) static METHODS: &[Method] = &[
    // strings
    m("get", |a| get(&a.at(0), Text)),
    m("getBytes", |a| get(&a.at(0), Bytes)),
    m("getJson", |a| get_json(&a.at(0))),
    m("set", |a| set(&a.at(0), &a.at(1), &a.at(2))),
    m("setJson", |a| set_json(&a.at(0), &a.at(1), &a.at(2))),
    m("setnx", |a| setnx(&a.at(0), &a.at(1))),
    m("getdel", |a| getdel(&a.at(0), Text)),
    m("getdelBytes", |a| getdel(&a.at(0), Bytes)),
    m("getex", |a| getex(&a.at(0), &a.at(1), Text)),
    m("getexBytes", |a| getex(&a.at(0), &a.at(1), Bytes)),
    m("mget", |a| mget(&a.rest(0), Text)),
    m("mgetBytes", |a| mget(&a.rest(0), Bytes)),
    m("mset", |a| mset(&a.at(0))),
    m("incr", |a| incr(&a.at(0))),
    m("incrby", |a| incrby(&a.at(0), &a.at(1))),
    m("decr", |a| decr(&a.at(0))),
    m("decrby", |a| decrby(&a.at(0), &a.at(1))),
    m("incrbyfloat", |a| incrbyfloat(&a.at(0), &a.at(1))),
    m("append", |a| append(&a.at(0), &a.at(1))),
    m("strlen", |a| strlen(&a.at(0))),
    // keys
    m("del", |a| del(&a.rest(0))),
    m("exists", |a| exists(&a.rest(0))),
    m("expire", |a| {
        expire("expire", Expiry::Ex, &a.at(0), &a.at(1), &a.at(2))
    }),
    m("pexpire", |a| {
        expire("pexpire", Expiry::Px, &a.at(0), &a.at(1), &a.at(2))
    }),
    m("expireat", |a| {
        expire("expireat", Expiry::ExAt, &a.at(0), &a.at(1), &a.at(2))
    }),
    m("pexpireat", |a| {
        expire("pexpireat", Expiry::PxAt, &a.at(0), &a.at(1), &a.at(2))
    }),
    m("ttl", |a| ttl(&a.at(0))),
    m("pttl", |a| pttl(&a.at(0))),
    m("persist", |a| persist(&a.at(0))),
    m("type", |a| key_type(&a.at(0))),
    m("rename", |a| rename(&a.at(0), &a.at(1))),
    m("keys", |a| keys(&a.at(0), Text)),
    m("keysBytes", |a| keys(&a.at(0), Bytes)),
    m("scan", |a| scan(&a.at(0), &a.at(1), Text)),
    m("scanBytes", |a| scan(&a.at(0), &a.at(1), Bytes)),
    m("dbsize", |_| dbsize()),
    m("flushdb", |_| flushdb()),
    m("ping", |a| ping(&a.at(0))),
    // hashes
    m("hset", |a| hset(&a.at(0), &a.at(1), &a.at(2))),
    m("hsetnx", |a| hsetnx(&a.at(0), &a.at(1), &a.at(2))),
    m("hget", |a| hget(&a.at(0), &a.at(1), Text)),
    m("hgetBytes", |a| hget(&a.at(0), &a.at(1), Bytes)),
    m("hmget", |a| hmget(&a.at(0), &a.rest(1), Text)),
    m("hmgetBytes", |a| hmget(&a.at(0), &a.rest(1), Bytes)),
    m("hgetall", |a| hgetall(&a.at(0), Text)),
    m("hgetallBytes", |a| hgetall(&a.at(0), Bytes)),
    m("hdel", |a| hdel(&a.at(0), &a.rest(1))),
    m("hexists", |a| hexists(&a.at(0), &a.at(1))),
    m("hlen", |a| hlen(&a.at(0))),
    m("hkeys", |a| hkeys(&a.at(0), Text)),
    m("hkeysBytes", |a| hkeys(&a.at(0), Bytes)),
    m("hvals", |a| hvals(&a.at(0), Text)),
    m("hvalsBytes", |a| hvals(&a.at(0), Bytes)),
    m("hincrby", |a| hincrby(&a.at(0), &a.at(1), &a.at(2))),
    m("hincrbyfloat", |a| {
        hincrbyfloat(&a.at(0), &a.at(1), &a.at(2))
    }),
    // lists
    m("lpush", |a| push("lpush", &a.at(0), &a.rest(1))),
    m("rpush", |a| push("rpush", &a.at(0), &a.rest(1))),
    m("lpushx", |a| push("lpushx", &a.at(0), &a.rest(1))),
    m("rpushx", |a| push("rpushx", &a.at(0), &a.rest(1))),
    m("lpop", |a| pop(true, &a.at(0), &a.at(1), Text)),
    m("lpopBytes", |a| pop(true, &a.at(0), &a.at(1), Bytes)),
    m("rpop", |a| pop(false, &a.at(0), &a.at(1), Text)),
    m("rpopBytes", |a| pop(false, &a.at(0), &a.at(1), Bytes)),
    m("lrange", |a| lrange(&a.at(0), &a.at(1), &a.at(2), Text)),
    m("lrangeBytes", |a| {
        lrange(&a.at(0), &a.at(1), &a.at(2), Bytes)
    }),
    m("llen", |a| llen(&a.at(0))),
    m("lindex", |a| lindex(&a.at(0), &a.at(1), Text)),
    m("lindexBytes", |a| lindex(&a.at(0), &a.at(1), Bytes)),
    m("lset", |a| lset(&a.at(0), &a.at(1), &a.at(2))),
    m("ltrim", |a| ltrim(&a.at(0), &a.at(1), &a.at(2))),
    m("lrem", |a| lrem(&a.at(0), &a.at(1), &a.at(2))),
    m("linsert", |a| {
        linsert(&a.at(0), &a.at(1), &a.at(2), &a.at(3))
    }),
    // pub/sub
    m("publish", |a| publish(&a.at(0), &a.at(1))),
    m("pubsubChannels", |a| pubsub_channels(&a.at(0))),
    m("pubsubNumsub", |a| pubsub_numsub(&a.rest(0))),
    m("pubsubNumpat", |_| pubsub_numpat()),
    // aliases and older forms
    m("setex", |a| setex("setex", &a.at(0), &a.at(1), &a.at(2))),
    m("psetex", |a| setex("psetex", &a.at(0), &a.at(1), &a.at(2))),
    m("getset", |a| getset(&a.at(0), &a.at(1))),
    m("msetnx", |a| msetnx(&a.at(0))),
    m("setrange", |a| setrange(&a.at(0), &a.at(1), &a.at(2))),
    m("getrange", |a| getrange(&a.at(0), &a.at(1), &a.at(2))),
    m("flushall", |_| flushall()),
    m("echo", |a| echo(&a.at(0))),
    m("hmset", |a| hmset(&a.at(0), &a.at(1))),
    // hash field expiration
    m("hexpire", |a| {
        hexpire(
            "hexpire",
            Expiry::Ex,
            [&a.at(0), &a.at(1), &a.at(2), &a.at(3)],
        )
    }),
    m("hpexpire", |a| {
        hexpire(
            "hpexpire",
            Expiry::Px,
            [&a.at(0), &a.at(1), &a.at(2), &a.at(3)],
        )
    }),
    m("hexpireat", |a| {
        hexpire(
            "hexpireat",
            Expiry::ExAt,
            [&a.at(0), &a.at(1), &a.at(2), &a.at(3)],
        )
    }),
    m("hpexpireat", |a| {
        hexpire(
            "hpexpireat",
            Expiry::PxAt,
            [&a.at(0), &a.at(1), &a.at(2), &a.at(3)],
        )
    }),
    m("httl", |a| {
        field_query(
            "httl",
            |key, fields| Command::HTtl { key, fields },
            &a.at(0),
            &a.at(1),
        )
    }),
    m("hpttl", |a| {
        field_query(
            "hpttl",
            |key, fields| Command::HPTtl { key, fields },
            &a.at(0),
            &a.at(1),
        )
    }),
    m("hexpiretime", |a| {
        field_query(
            "hexpiretime",
            |key, fields| Command::HExpireTime { key, fields },
            &a.at(0),
            &a.at(1),
        )
    }),
    m("hpexpiretime", |a| {
        field_query(
            "hpexpiretime",
            |key, fields| Command::HPExpireTime { key, fields },
            &a.at(0),
            &a.at(1),
        )
    }),
    m("hgetdel", |a| hgetdel(&a.at(0), &a.rest(1))),
    m("hgetex", |a| hgetex(&a.at(0), &a.at(1), &a.rest(2))),
    m("hsetex", |a| hsetex(&a.at(0), &a.at(1), &a.at(2))),
    m("hpersist", |a| {
        field_query(
            "hpersist",
            |key, fields| Command::HPersist { key, fields },
            &a.at(0),
            &a.at(1),
        )
    }),
    // sets
    m("sadd", |a| set_members("sadd", a)),
    m("srem", |a| set_members("srem", a)),
    m("smembers", |a| set_key("smembers", a)),
    m("sismember", |a| sismember(&a.at(0), &a.at(1))),
    m("smismember", |a| smismember(&a.at(0), &a.at(1))),
    m("scard", |a| set_key("scard", a)),
    m("spop", |a| set_pick("spop", &a.at(0), &a.at(1))),
    m("srandmember", |a| {
        set_pick("srandmember", &a.at(0), &a.at(1))
    }),
    m("smove", |a| smove(&a.at(0), &a.at(1), &a.at(2))),
    m("sinter", |a| set_algebra("sinter", a)),
    m("sunion", |a| set_algebra("sunion", a)),
    m("sdiff", |a| set_algebra("sdiff", a)),
    m("sinterstore", |a| set_algebra("sinterstore", a)),
    m("sunionstore", |a| set_algebra("sunionstore", a)),
    m("sdiffstore", |a| set_algebra("sdiffstore", a)),
    m("sintercard", |a| sintercard(&a.at(0), &a.at(1))),
    m("sscan", |a| {
        member_scan("sscan", &a.at(0), &a.at(1), &a.at(2))
    }),
    // sorted sets
    m("zadd", |a| zadd(&a.at(0), &a.at(1), &a.rest(2))),
    m("zincrby", |a| zincrby(&a.at(0), &a.at(1), &a.at(2))),
    m("zscore", |a| zmember("zscore", &a.at(0), &a.at(1))),
    m("zmscore", |a| zmscore(&a.at(0), &a.at(1))),
    m("zcard", |a| zcard(&a.at(0))),
    m("zcount", |a| zcount("zcount", &a.at(0), &a.at(1), &a.at(2))),
    m("zlexcount", |a| {
        zcount("zlexcount", &a.at(0), &a.at(1), &a.at(2))
    }),
    m("zrank", |a| zmember("zrank", &a.at(0), &a.at(1))),
    m("zrevrank", |a| zmember("zrevrank", &a.at(0), &a.at(1))),
    m("zrem", |a| zrem(&a.at(0), &a.rest(1))),
    m("zrange", |a| zrange("zrange", a)),
    m("zrevrange", |a| zrange("zrevrange", a)),
    m("zrangebyscore", |a| zrange("zrangebyscore", a)),
    m("zrevrangebyscore", |a| zrange("zrevrangebyscore", a)),
    m("zrangebylex", |a| zrange("zrangebylex", a)),
    m("zrevrangebylex", |a| zrange("zrevrangebylex", a)),
    m("zremrangebyrank", |a| zremrange("zremrangebyrank", a)),
    m("zremrangebyscore", |a| zremrange("zremrangebyscore", a)),
    m("zremrangebylex", |a| zremrange("zremrangebylex", a)),
    m("zpopmin", |a| zpop(true, &a.at(0), &a.at(1))),
    m("zpopmax", |a| zpop(false, &a.at(0), &a.at(1))),
    m("zrandmember", |a| zrandmember(&a.at(0), &a.at(1), &a.at(2))),
    m("zunionstore", |a| zstore("zunionstore", a)),
    m("zinterstore", |a| zstore("zinterstore", a)),
    m("zdiffstore", |a| zstore("zdiffstore", a)),
    m("zscan", |a| {
        member_scan("zscan", &a.at(0), &a.at(1), &a.at(2))
    }),
    // geospatial indexes
    m("geoadd", |a| geoadd(&a.at(0), &a.at(1), &a.rest(2))),
    m("geopos", |a| geopos(&a.at(0), &a.at(1), &a.rest(2))),
    m("geodist", |a| {
        geodist(&a.at(0), &a.at(1), &a.at(2), &a.at(3))
    }),
    m("geohash", |a| geohash(&a.at(0), &a.at(1), &a.rest(2))),
    // bitmaps
    m("setbit", |a| setbit(&a.at(0), &a.at(1), &a.at(2))),
    m("getbit", |a| getbit(&a.at(0), &a.at(1))),
    m("bitcount", |a| bitcount(&a.at(0), &a.at(1), &a.at(2))),
    m("bitpos", |a| bitpos(&a.at(0), &a.at(1), &a.at(2), &a.at(3))),
    m("bitop", |a| bitop(&a.at(0), &a.at(1), &a.rest(2))),
    // HyperLogLog
    m("pfadd", |a| pfadd(&a.at(0), &a.rest(1))),
    m("pfcount", |a| pfcount(&a.rest(0))),
    m("pfmerge", |a| pfmerge(&a.at(0), &a.rest(1))),
    // keys, hashes and lists: copies, moves and positions
    m("copy", |a| copy(&a.at(0), &a.at(1), &a.at(2))),
    m("renamenx", |a| renamenx(&a.at(0), &a.at(1))),
    m("unlink", |a| unlink(&a.rest(0))),
    m("touch", |a| touch(&a.rest(0))),
    m("hstrlen", |a| hstrlen(&a.at(0), &a.at(1))),
    m("eval", |a| eval("eval", &a.at(0), &a.at(1), &a.at(2))),
    m("evalsha", |a| eval("evalsha", &a.at(0), &a.at(1), &a.at(2))),
    m("evalRo", |a| eval("evalRo", &a.at(0), &a.at(1), &a.at(2))),
    m("evalshaRo", |a| {
        eval("evalshaRo", &a.at(0), &a.at(1), &a.at(2))
    }),
    m("scriptLoad", |a| script_load(&a.at(0))),
    m("scriptExists", |a| script_exists(&a.rest(0))),
    m("scriptFlush", |a| script_flush(&a.at(0))),
    m("zunion", |a| zcombine("zunion", a)),
    m("zinter", |a| zcombine("zinter", a)),
    m("zdiff", |a| zcombine("zdiff", a)),
    m("zintercard", zintercard),
    m("zrangestore", zrangestore),
    m("randomkey", |_| randomkey()),
    m("time", |_| time()),
    m("hrandfield", |a| hrandfield(&a.at(0), &a.at(1), &a.at(2))),
    m("hscan", |a| hscan(&a.at(0), &a.at(1), &a.at(2))),
    m("lpos", |a| lpos(&a.at(0), &a.at(1), &a.at(2))),
    m("lmove", |a| {
        lmove(&a.at(0), &a.at(1), &a.at(2), &a.at(3), Text)
    }),
    m("lmoveBytes", |a| {
        lmove(&a.at(0), &a.at(1), &a.at(2), &a.at(3), Bytes)
    }),
    m("lmpop", |a| lmpop(&a.at(0), &a.at(1), &a.at(2), &a.at(3))),
];

/// A flag in `__command`'s method id: answer the reply as it is ([`Shape::Any`]) instead of
/// in the method's shape.
pub const RAW: u32 = 1 << 16;

/// Builds the call of method `id` from its JavaScript arguments.
pub(crate) fn build(id: u32, args: &Array) -> Built {
    match METHODS.get(id as usize) {
        Some(method) => (method.build)(&Args(args)),
        None => Err(type_error("__command", &format!("no command method #{id}"))),
    }
}

/// Adds the `__command(id, args)` export through which the installed command methods call
/// the class; `dispatch` decides what happens to the built call.
macro_rules! command_entry {
    ($ty:ident, $ret:ty) => {
        #[wasm_bindgen]
        impl $ty {
            /// Runs command method number `id` (see `commands::METHODS`) with `args`; the
            /// installed JavaScript methods call this.
            #[wasm_bindgen(js_name = __command, skip_typescript)]
            /// With [`RAW`](crate::bindings::commands::RAW) set in `id`, the reply is
            /// answered as it is (`Shape::Any`: what a Redis REST endpoint answers), for
            /// `@upstash/redis`'s dialect (`js/methods.js`) to read.
            pub fn command_by_id(&self, id: u32, args: js_sys::Array) -> $ret {
                use $crate::bindings::commands::RAW;
                let built = $crate::bindings::commands::build(id & !RAW, &args);
                self.dispatch(built.map(|mut call| {
                    if id & RAW != 0 {
                        call.shape = $crate::bindings::shape::Shape::Any;
                    }
                    call
                }))
            }
        }
    };
}

pub(crate) use command_entry;
