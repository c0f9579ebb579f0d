//! The typed command methods, listed once: every command of the [command table] as a method
//! named as Redis names it (`del`, `incrby`, `hkeys`, `pubsub_numsub`), with its parameters
//! and its reply type.
//!
//! [`for_each_command_method!`](crate::for_each_command_method) hands the list to a macro of
//! the caller's, which generates whatever the caller exposes per command: `hedgestore-native`
//! generates its storage traits' methods, the `Storage` handle's methods and the
//! `Transaction` builder's methods from it; [`COMMAND_METHODS`] is the same list as data, for
//! tests (the table/list agreement below, and the native test that holds the JavaScript
//! methods and their TypeScript declarations to it).
//!
//! Every row of the command table has exactly one entry; none is left out (subscribing is not
//! a command of the table: it is per connection, see `Engine::subscribe`). The method name is
//! the command's id with `|` as `_` (`pubsub|channels` is `pubsub_channels`); `TYPE` is
//! `r#type`, Rust's spelling of a keyword as a name.
//!
//! [command table]: crate::COMMAND_TABLE

use super::table::CommandKind;

/// Calls `$callback! { … }` with the list of typed command methods;
/// `for_each_command_method!(callback, tokens…)` puts `tokens…` before the list.
///
/// The list has two parts. `generated` entries are complete: a caller can generate the
/// method from the entry alone. `hand_written` entries name a method whose Rust signature
/// needs more than the list can say (`SET`'s options); callers write those by hand and check
/// from the entry that the method exists with that name, parameters and reply.
///
/// Each part has one section per capability (`base`: strings, keys and the server; `hash`;
/// `list`; `pubsub`), and each entry reads as below. A new section needs its
/// [`MethodGroup`](crate::MethodGroup) and, in `hedgestore-native`, its trait; until then
/// the section is a compile error there.
///
/// Entries read
///
/// ```text
/// /// doc
/// Kind => name(param: param_kind, …) -> reply_kind = Variant { field: expression, … };
/// ```
///
/// where `Kind` is the [`CommandKind`](crate::CommandKind), `Variant { … }` the
/// [`Command`](crate::Command) to build (its field expressions use the parameters, already
/// converted to owned values), and a hand-written entry has no `= …` part.
///
/// Parameter kinds (what the caller turns each into):
///
/// | kind | meaning | owned value |
/// |---|---|---|
/// | `bytes` | a key, field, value, channel | `Vec<u8>` |
/// | `bytes_list` | several of them | `Vec<Vec<u8>>` |
/// | `pairs` | name/value pairs | `Vec<(Vec<u8>, Vec<u8>)>` |
/// | `opt_text` | an optional pattern or message | `Option<Vec<u8>>` |
/// | `int` | an integer | `i64` |
/// | `float` | a float | `f64` |
/// | `count` | a count | `usize` |
/// | `opt_count` | an optional count | `Option<usize>` |
/// | `cursor` | a `SCAN` cursor | `u64` |
/// | `position` | `BEFORE`/`AFTER` | [`InsertPosition`](crate::InsertPosition) |
/// | `getex_option` | `GETEX`'s TTL change | `Option<`[`GetExOption`](crate::GetExOption)`>` |
/// | `type_filter` | `SCAN`'s `TYPE` | `Option<`[`KeyType`](crate::KeyType)`>` |
/// | `opt_duration` | an optional TTL | `Option<core::time::Duration>` |
///
/// Reply kinds: `value` (a value or nil), `values` (values and nils), `list` (values; nil is
/// empty), `map` (field/value pairs), `int`, `count` (a non-negative integer), `flag` (0 or
/// 1), `float` (a float sent as text), `done` (`OK`), `ttl_secs` / `ttl_millis` (`TTL`'s and
/// `PTTL`'s -2/-1/time), `key_type` (`TYPE`'s status), `scan_page` (cursor and keys), `text`
/// (a status or a value), `counts` (name/count pairs).
///
/// ```
/// macro_rules! count_methods {
///     (generated: [$($group:ident: [$($(#[$doc:meta])* $kind:ident => $name:ident $args:tt
///          -> $reply:ident = $variant:ident $fields:tt;)*],)*],
///      hand_written: [$($hgroup:ident: [$($(#[$hdoc:meta])* $hkind:ident => $hname:ident
///          $hargs:tt -> $hreply:ident;)*],)*],) => {
///         [$($(stringify!($name),)*)* $($(stringify!($hname),)*)*].len()
///     };
/// }
/// let n = hedgestore_core::for_each_command_method!(count_methods);
/// assert_eq!(n, hedgestore_core::COMMAND_TABLE.len());
/// ```
#[macro_export]
macro_rules! for_each_command_method {
    ($callback:ident $(, $($args:tt)*)?) => {
        $callback! {
            $($($args)*)?
            generated: [
                base: [
                    /// `GET key`: the value, or `None`.
                    Get => get(key: bytes) -> value = Get { key };
                    /// `GETDEL key`: the value (or `None`); the key is gone.
                    GetDel => getdel(key: bytes) -> value = GetDel { key };
                    /// `GETEX key [EX|PX|EXAT|PXAT t|PERSIST]`: the value, changing its TTL
                    /// (`None` leaves it alone).
                    GetEx => getex(key: bytes, option: getex_option) -> value
                        = GetEx { key, option };
                    /// `MGET key …`: each value, `None` for missing keys and other types.
                    MGet => mget(keys: bytes_list) -> values = MGet { keys };
                    /// `MSET key value …`: sets every pair.
                    MSet => mset(pairs: pairs) -> done = MSet { pairs };
                    /// `SETNX key value`: true when the (missing) key was set.
                    SetNx => setnx(key: bytes, value: bytes) -> flag = SetNx { key, value };
                    /// `INCR key`: the new value (a missing key counts as 0).
                    Incr => incr(key: bytes) -> int = Incr { key };
                    /// `DECR key`: the new value.
                    Decr => decr(key: bytes) -> int = Decr { key };
                    /// `INCRBY key delta`: the new value.
                    IncrBy => incrby(key: bytes, delta: int) -> int = IncrBy { key, delta };
                    /// `DECRBY key delta`: the new value.
                    DecrBy => decrby(key: bytes, delta: int) -> int = DecrBy { key, delta };
                    /// `INCRBYFLOAT key delta`: the new value.
                    IncrByFloat => incrbyfloat(key: bytes, delta: float) -> float
                        = IncrByFloat { key, delta };
                    /// `APPEND key value`: the new length in bytes.
                    Append => append(key: bytes, value: bytes) -> count = Append { key, value };
                    /// `STRLEN key`: the length in bytes (0 for a missing key).
                    StrLen => strlen(key: bytes) -> count = StrLen { key };
                    /// `DEL key …`: how many of the keys existed.
                    Del => del(keys: bytes_list) -> count = Del { keys };
                    /// `EXISTS key …`: how many of the keys exist (a key named twice counts
                    /// twice).
                    Exists => exists(keys: bytes_list) -> count = Exists { keys };
                    /// `EXPIRE key seconds`: true when the TTL was set.
                    Expire => expire(key: bytes, seconds: int) -> flag = Expire {
                        key,
                        expiry: $crate::Expiry::Ex(seconds),
                        condition: $crate::ExpireCondition::Always,
                    };
                    /// `PEXPIRE key milliseconds`: true when the TTL was set.
                    PExpire => pexpire(key: bytes, milliseconds: int) -> flag = Expire {
                        key,
                        expiry: $crate::Expiry::Px(milliseconds),
                        condition: $crate::ExpireCondition::Always,
                    };
                    /// `EXPIREAT key unix_seconds`: true when the TTL was set.
                    ExpireAt => expireat(key: bytes, unix_seconds: int) -> flag = Expire {
                        key,
                        expiry: $crate::Expiry::ExAt(unix_seconds),
                        condition: $crate::ExpireCondition::Always,
                    };
                    /// `PEXPIREAT key unix_milliseconds`: true when the TTL was set.
                    PExpireAt => pexpireat(key: bytes, unix_milliseconds: int) -> flag = Expire {
                        key,
                        expiry: $crate::Expiry::PxAt(unix_milliseconds),
                        condition: $crate::ExpireCondition::Always,
                    };
                    /// `TTL key`: the time left, in whole seconds.
                    Ttl => ttl(key: bytes) -> ttl_secs = Ttl { key };
                    /// `PTTL key`: the time left, in milliseconds.
                    PTtl => pttl(key: bytes) -> ttl_millis = PTtl { key };
                    /// `PERSIST key`: true when a TTL was removed.
                    Persist => persist(key: bytes) -> flag = Persist { key };
                    /// `TYPE key`: the type of the value, `None` for a missing key.
                    Type => r#type(key: bytes) -> key_type = Type { key };
                    /// `RENAME key new_key`.
                    Rename => rename(key: bytes, new_key: bytes) -> done
                        = Rename { key, new_key };
                    /// `KEYS pattern`: every key matching the glob (prefer `scan` on large
                    /// keyspaces).
                    Keys => keys(pattern: bytes) -> list = Keys { pattern };
                    /// `SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]`: one page;
                    /// start at 0 and continue with the returned cursor until it is 0.
                    Scan => scan(
                        cursor: cursor,
                        pattern: opt_text,
                        count: opt_count,
                        key_type: type_filter
                    ) -> scan_page = Scan { cursor, pattern, count, key_type };
                    /// `DBSIZE`: the number of keys.
                    DbSize => dbsize() -> count = DbSize {};
                    /// `FLUSHDB`: removes every key.
                    FlushDb => flushdb() -> done = FlushDb {};
                    /// `PING [message]`: `PONG`, or the message.
                    Ping => ping(message: opt_text) -> text = Ping { message };
                ],
                hash: [
                    /// `HSET key field value …`: how many fields were new.
                    HSet => hset(key: bytes, pairs: pairs) -> count = HSet { key, pairs };
                    /// `HGET key field`: the value, or `None`.
                    HGet => hget(key: bytes, field: bytes) -> value = HGet { key, field };
                    /// `HMGET key field …`: each value, `None` for missing fields.
                    HMGet => hmget(key: bytes, fields: bytes_list) -> values
                        = HMGet { key, fields };
                    /// `HGETALL key`: every field and value.
                    HGetAll => hgetall(key: bytes) -> map = HGetAll { key };
                    /// `HDEL key field …`: how many of the fields existed.
                    HDel => hdel(key: bytes, fields: bytes_list) -> count = HDel { key, fields };
                    /// `HEXISTS key field`.
                    HExists => hexists(key: bytes, field: bytes) -> flag
                        = HExists { key, field };
                    /// `HLEN key`: the number of fields.
                    HLen => hlen(key: bytes) -> count = HLen { key };
                    /// `HKEYS key`: every field.
                    HKeys => hkeys(key: bytes) -> list = HKeys { key };
                    /// `HVALS key`: every value.
                    HVals => hvals(key: bytes) -> list = HVals { key };
                    /// `HINCRBY key field delta`: the new value.
                    HIncrBy => hincrby(key: bytes, field: bytes, delta: int) -> int
                        = HIncrBy { key, field, delta };
                    /// `HINCRBYFLOAT key field delta`: the new value.
                    HIncrByFloat => hincrbyfloat(key: bytes, field: bytes, delta: float) -> float
                        = HIncrByFloat { key, field, delta };
                    /// `HSETNX key field value`: true when the (missing) field was set.
                    HSetNx => hsetnx(key: bytes, field: bytes, value: bytes) -> flag
                        = HSetNx { key, field, value };
                ],
                list: [
                    /// `LPUSH key value …` (each to the head in turn): the new length.
                    LPush => lpush(key: bytes, values: bytes_list) -> count
                        = LPush { key, values };
                    /// `RPUSH key value …`: the new length.
                    RPush => rpush(key: bytes, values: bytes_list) -> count
                        = RPush { key, values };
                    /// `LPUSHX key value …`: pushes onto an existing list only; the new
                    /// length (0 when there is no list).
                    LPushX => lpushx(key: bytes, values: bytes_list) -> count
                        = LPushX { key, values };
                    /// `RPUSHX key value …`: pushes onto an existing list only.
                    RPushX => rpushx(key: bytes, values: bytes_list) -> count
                        = RPushX { key, values };
                    /// `LPOP key count`: up to `count` elements from the head.
                    LPop => lpop(key: bytes, count: count) -> list
                        = LPop { key, count: Some(count) };
                    /// `RPOP key count`: up to `count` elements from the tail.
                    RPop => rpop(key: bytes, count: count) -> list
                        = RPop { key, count: Some(count) };
                    /// `LRANGE key start stop`: elements `start..=stop` (negative indexes
                    /// count from the end).
                    LRange => lrange(key: bytes, start: int, stop: int) -> list
                        = LRange { key, start, stop };
                    /// `LLEN key`: the length.
                    LLen => llen(key: bytes) -> count = LLen { key };
                    /// `LINDEX key index`: the element, or `None`.
                    LIndex => lindex(key: bytes, index: int) -> value = LIndex { key, index };
                    /// `LSET key index value`.
                    LSet => lset(key: bytes, index: int, value: bytes) -> done
                        = LSet { key, index, value };
                    /// `LTRIM key start stop`: keeps only elements `start..=stop`.
                    LTrim => ltrim(key: bytes, start: int, stop: int) -> done
                        = LTrim { key, start, stop };
                    /// `LREM key count value`: how many were removed.
                    LRem => lrem(key: bytes, count: int, value: bytes) -> count
                        = LRem { key, count, value };
                    /// `LINSERT key BEFORE|AFTER pivot value`: the new length, -1 without the
                    /// pivot, 0 for a missing key.
                    LInsert => linsert(key: bytes, position: position, pivot: bytes, value: bytes)
                        -> int = LInsert { key, position, pivot, value };
                ],
                pubsub: [
                    /// `PUBLISH channel message`: how many subscriptions received it.
                    Publish => publish(channel: bytes, message: bytes) -> count
                        = Publish { channel, message };
                    /// `PUBSUB CHANNELS [pattern]`: the channels with subscribers.
                    PubSubChannels => pubsub_channels(pattern: opt_text) -> list
                        = PubSubChannels { pattern };
                    /// `PUBSUB NUMSUB channel …`: each channel with its subscriber count.
                    PubSubNumSub => pubsub_numsub(channels: bytes_list) -> counts
                        = PubSubNumSub { channels };
                    /// `PUBSUB NUMPAT`: the number of pattern subscriptions.
                    PubSubNumPat => pubsub_numpat() -> count = PubSubNumPat {};
                ],
            ],
            hand_written: [
                base: [
                    /// `SET key value [PX ttl]`; `set_with` takes every option of `SET`.
                    Set => set(key: bytes, value: bytes, ttl: opt_duration) -> done;
                ],
            ],
        }
    };
}

/// Which storage capability a command method belongs to (which of `hedgestore-native`'s
/// traits has it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MethodGroup {
    /// Strings, keys and the server (`BaseStorage`).
    Base,
    /// Hashes (`HashStorage`).
    Hash,
    /// Lists (`ListStorage`).
    List,
    /// Publish/subscribe (`PubSubStorage`).
    PubSub,
}

/// One entry of the command method list, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommandMethod {
    /// The command it runs.
    pub kind: CommandKind,
    /// The method's identifier as written in Rust (`"del"`, `"r#type"`).
    pub ident: &'static str,
    /// Its capability.
    pub group: MethodGroup,
    /// Its parameters: name and parameter kind (see
    /// [`for_each_command_method!`](crate::for_each_command_method)).
    pub params: &'static [(&'static str, &'static str)],
    /// Its reply kind.
    pub reply: &'static str,
    /// Whether the method is written by hand rather than generated from the entry.
    pub hand_written: bool,
}

impl CommandMethod {
    /// The method's name (`"type"` for `r#type`): the command's id, with `_` for `|`.
    pub fn name(&self) -> &'static str {
        self.ident.strip_prefix("r#").unwrap_or(self.ident)
    }
}

macro_rules! group_of {
    (base) => {
        MethodGroup::Base
    };
    (hash) => {
        MethodGroup::Hash
    };
    (list) => {
        MethodGroup::List
    };
    (pubsub) => {
        MethodGroup::PubSub
    };
}

macro_rules! method_metadata {
    (
        generated: [$($group:ident: [$(
            $(#[$doc:meta])*
            $kind:ident => $name:ident($($param:ident: $pkind:ident),* $(,)?)
                -> $reply:ident = $variant:ident $fields:tt;
        )*],)*],
        hand_written: [$($hgroup:ident: [$(
            $(#[$hdoc:meta])*
            $hkind:ident => $hname:ident($($hparam:ident: $hpkind:ident),* $(,)?)
                -> $hreply:ident;
        )*],)*],
    ) => {
        /// Every typed command method, in list order: the list of
        /// [`for_each_command_method!`](crate::for_each_command_method) as data.
        pub const COMMAND_METHODS: &[CommandMethod] = &[
            $($(CommandMethod {
                kind: CommandKind::$kind,
                ident: stringify!($name),
                group: group_of!($group),
                params: &[$((stringify!($param), stringify!($pkind))),*],
                reply: stringify!($reply),
                hand_written: false,
            },)*)*
            $($(CommandMethod {
                kind: CommandKind::$hkind,
                ident: stringify!($hname),
                group: group_of!($hgroup),
                params: &[$((stringify!($hparam), stringify!($hpkind))),*],
                reply: stringify!($hreply),
                hand_written: true,
            },)*)*
        ];
    };
}

crate::for_each_command_method!(method_metadata);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::COMMAND_TABLE;
    use alloc::string::String;

    #[test]
    fn every_command_of_the_table_has_exactly_one_method() {
        for spec in COMMAND_TABLE {
            let methods = COMMAND_METHODS
                .iter()
                .filter(|m| m.kind == spec.kind)
                .count();
            assert_eq!(methods, 1, "{} has {methods} methods", spec.id);
        }
        assert_eq!(COMMAND_METHODS.len(), COMMAND_TABLE.len());
    }

    #[test]
    fn every_method_is_named_as_redis_names_its_command() {
        for method in COMMAND_METHODS {
            let id: String = method.kind.spec().id.replace('|', "_");
            assert_eq!(method.name(), id, "{:?}", method.kind);
        }
    }

    #[test]
    fn parameter_and_reply_kinds_are_known() {
        const PARAMS: &[&str] = &[
            "bytes",
            "bytes_list",
            "pairs",
            "opt_text",
            "int",
            "float",
            "count",
            "opt_count",
            "cursor",
            "position",
            "getex_option",
            "type_filter",
            "opt_duration",
        ];
        const REPLIES: &[&str] = &[
            "value",
            "values",
            "list",
            "map",
            "int",
            "count",
            "flag",
            "float",
            "done",
            "ttl_secs",
            "ttl_millis",
            "key_type",
            "scan_page",
            "text",
            "counts",
        ];
        for method in COMMAND_METHODS {
            assert!(REPLIES.contains(&method.reply), "{}", method.ident);
            for (name, kind) in method.params {
                assert!(PARAMS.contains(kind), "{}({name}: {kind})", method.ident);
            }
        }
    }

    #[test]
    fn the_group_follows_the_commands_flags_and_family() {
        use crate::CommandFlags;
        for method in COMMAND_METHODS {
            let spec = method.kind.spec();
            let pubsub = spec.flags.contains(CommandFlags::PUBSUB);
            assert_eq!(method.group == MethodGroup::PubSub, pubsub, "{}", spec.id);
        }
    }
}
