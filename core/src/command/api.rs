//! The typed command methods, listed once: every command of the [command table] as a method
//! named as Redis names it (`del`, `incrby`, `hkeys`, `pubsub_numsub`), with its parameters
//! and its reply type.
//!
//! [`for_each_command_method!`](crate::for_each_command_method) hands the list to a macro of
//! the caller's, which generates whatever the caller exposes per command: `hedgestore-native`
//! generates its storage traits' methods, the `Storage` handle's methods and the
//! `Transaction` builder's methods from it; [`COMMAND_METHODS`](crate::COMMAND_METHODS) is
//! the same list as data, for tests (the table/list agreement, and the native test that holds
//! the JavaScript methods and their TypeScript declarations to it).
//!
//! Every row of the command table has exactly one entry; none is left out (subscribing is not
//! a command of the table: it is per connection, see `Engine::subscribe`). The method name is
//! the command's id with `|` as `_` (`pubsub|channels` is `pubsub_channels`); `TYPE` is
//! `r#type`, Rust's spelling of a keyword as a name.
//!
//! [command table]: crate::COMMAND_TABLE
//!
//! Longer than 600 lines on purpose: it is the one list of typed methods, every command's
//! entry in one macro, so that adding a command touches one place.

/// Calls `$callback! { … }` with the list of typed command methods;
/// `for_each_command_method!(callback, tokens…)` puts `tokens…` before the list.
///
/// The list has two parts. `generated` entries are complete: a caller can generate the
/// method from the entry alone. `hand_written` entries name a method whose Rust signature
/// needs more than the list can say (`SET`'s options); callers write those by hand and check
/// from the entry that the method exists with that name, parameters and reply.
///
/// Each part has one section per capability (`base`: strings, keys and the server; `hash`;
/// `list`; `set`; `zset`, sorted sets; `pubsub`; `hll`, HyperLogLog), and each entry reads as below. A new
/// section needs its [`MethodGroup`](crate::MethodGroup) and, in `hedgestore-native`, its
/// trait; until then the section is a compile error there.
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
/// | `list_end` | `LEFT`/`RIGHT` | [`ListEnd`](crate::ListEnd) |
/// | `switch` | an option that is on or off (`COPY`'s `REPLACE`) | `bool` |
/// | `float` | a float | `f64` |
/// | `count` | a count | `usize` |
/// | `opt_count` | an optional count | `Option<usize>` |
/// | `cursor` | a `SCAN` cursor | `u64` |
/// | `position` | `BEFORE`/`AFTER` | [`InsertPosition`](crate::InsertPosition) |
/// | `getex_option` | `GETEX`'s TTL change | `Option<`[`GetExOption`](crate::GetExOption)`>` |
/// | `type_filter` | `SCAN`'s `TYPE` | `Option<`[`KeyType`](crate::KeyType)`>` |
/// | `opt_duration` | an optional TTL | `Option<core::time::Duration>` |
/// | `scored_members` | score/member pairs | `Vec<(f64, Vec<u8>)>` |
/// | `score_bound` | one end of a score range | [`ScoreBound`](crate::ScoreBound) |
/// | `lex_bound` | one end of a lexicographic range | [`LexBound`](crate::LexBound) |
/// | `limit` | `LIMIT offset count` | [`Limit`](crate::Limit) |
/// | `opt_floats` | optional weights | `Option<Vec<f64>>` |
/// | `aggregate` | `AGGREGATE SUM\|MIN\|MAX` | [`Aggregate`](crate::Aggregate) |
/// | `bit` | a bit, 0 or 1 | `bool` |
/// | `bit_range` | an optional bitmap range | `Option<`[`BitRange`](crate::BitRange)`>` |
/// | `bit_op` | `BITOP`'s operation | [`BitOp`](crate::BitOp) |
/// | `geo_points` | longitude/latitude/member triples | `Vec<(f64, f64, Vec<u8>)>` |
/// | `geo_unit` | a distance unit | [`GeoUnit`](crate::GeoUnit) |
///
/// Reply kinds: `value` (a value or nil), `values` (values and nils), `list` (values; nil is
/// empty), `map` (field/value pairs), `int`, `count` (a non-negative integer), `flag` (0 or
/// 1), `float` (a float sent as text), `done` (`OK`), `ttl_secs` / `ttl_millis` (`TTL`'s and
/// `PTTL`'s -2/-1/time), `key_type` (`TYPE`'s status), `scan_page` (cursor and keys), `text`
/// (a status or a value), `counts` (name/count pairs), `flags` (0s and 1s), `opt_float` (a
/// float sent as text, or nil), `opt_floats` (floats and nils), `rank` (a non-negative
/// integer or nil), `ints` (an array of integers), `scored` (a flat member/score array, as pairs), `scored_page` (a cursor
/// and a flat member/score array), `popped` (a key and the values popped from it, or nil), `time`
/// (`TIME`'s seconds and microseconds), `reply` (a script's reply, as it came),
/// `map_page` (a cursor and a flat field/value array, as pairs), `positions`
/// (longitude/latitude pairs and nils).
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
                    /// `SETEX key seconds value`: sets the value with a TTL in seconds.
                    SetEx => setex(key: bytes, seconds: int, value: bytes) -> done
                        = SetEx { key, seconds, value };
                    /// `PSETEX key milliseconds value`: sets the value with a TTL in
                    /// milliseconds.
                    PSetEx => psetex(key: bytes, milliseconds: int, value: bytes) -> done
                        = PSetEx { key, millis: milliseconds, value };
                    /// `GETSET key value`: sets the value; the previous one, or `None`.
                    GetSet => getset(key: bytes, value: bytes) -> value = GetSet { key, value };
                    /// `MSETNX key value …`: sets every pair only when none of the keys
                    /// exists; true when it did.
                    MSetNx => msetnx(pairs: pairs) -> flag = MSetNx { pairs };
                    /// `SETRANGE key offset value`: overwrites from byte `offset` (padding
                    /// with zero bytes); the new length.
                    SetRange => setrange(key: bytes, offset: int, value: bytes) -> count
                        = SetRange { key, offset, value };
                    /// `GETRANGE key start end`: bytes `start..=end` (negative indexes count
                    /// from the end; empty for a missing key).
                    GetRange => getrange(key: bytes, start: int, end: int) -> text
                        = GetRange { key, start, end };
                    /// `SETBIT key offset 0|1`: sets the bit at `offset` (the string grows
                    /// with zero bytes; offsets reach 2^32 − 1); the bit's previous value.
                    SetBit => setbit(key: bytes, offset: count, value: bit) -> flag
                        = SetBit { key, offset: offset as u64, value };
                    /// `GETBIT key offset`: the bit at `offset` (0 past the end).
                    GetBit => getbit(key: bytes, offset: count) -> flag
                        = GetBit { key, offset: offset as u64 };
                    /// `BITCOUNT key [start end [BYTE|BIT]]`: the number of set bits.
                    BitCount => bitcount(key: bytes, range: bit_range) -> count
                        = BitCount { key, range };
                    /// `BITPOS key 0|1 [start [end [BYTE|BIT]]]`: the first bit equal to
                    /// `bit`, or -1.
                    BitPos => bitpos(key: bytes, bit: bit, range: bit_range) -> int
                        = BitPos { key, bit, range };
                    /// `BITOP AND|OR|XOR|NOT destination key …`: stores the bitwise
                    /// operation of the keys; the stored length.
                    BitOp => bitop(op: bit_op, destination: bytes, keys: bytes_list) -> count
                        = BitOp { op, destination, keys };
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
                    /// `FLUSHALL`: removes every key (there is one database, so as
                    /// `FLUSHDB`).
                    FlushAll => flushall() -> done = FlushAll {};
                    /// `ECHO message`: the message.
                    Echo => echo(message: bytes) -> text = Echo { message };
                    /// `PING [message]`: `PONG`, or the message.
                    Ping => ping(message: opt_text) -> text = Ping { message };
                    /// `EVAL script numkeys key … arg …`: the script's reply, as Redis
                    /// answered it (Redis only: the memory engine answers
                    /// [`Error::ScriptsNeedRedis`](crate::Error::ScriptsNeedRedis)).
                    Eval => eval(script: bytes, keys: bytes_list, args: bytes_list) -> reply
                        = Eval { script, keys, args };
                    /// `EVALSHA sha1 numkeys key … arg …`: runs a script loaded before.
                    EvalSha => evalsha(sha1: bytes, keys: bytes_list, args: bytes_list) -> reply
                        = EvalSha { sha1, keys, args };
                    /// `EVAL_RO script numkeys key … arg …`: a script that only reads.
                    EvalRo => eval_ro(script: bytes, keys: bytes_list, args: bytes_list) -> reply
                        = EvalRo { script, keys, args };
                    /// `EVALSHA_RO sha1 numkeys key … arg …`: a loaded script that only
                    /// reads.
                    EvalShaRo => evalsha_ro(sha1: bytes, keys: bytes_list, args: bytes_list)
                        -> reply = EvalShaRo { sha1, keys, args };
                    /// `SCRIPT LOAD script`: its SHA1 digest, for `evalsha`.
                    ScriptLoad => script_load(script: bytes) -> text = ScriptLoad { script };
                    /// `SCRIPT EXISTS sha1 …`: for each digest, whether the script is loaded.
                    ScriptExists => script_exists(sha1s: bytes_list) -> flags
                        = ScriptExists { sha1s };
                    /// `SCRIPT FLUSH`: forgets every loaded script.
                    ScriptFlush => script_flush() -> done = ScriptFlush {};
                    /// `RANDOMKEY`: a random key, or `None` when there are none.
                    RandomKey => randomkey() -> value = RandomKey {};
                    /// `TIME`: the server's clock, since the Unix epoch.
                    Time => time() -> time = Time {};
                    /// `COPY key destination [REPLACE]`: copies the value and its TTL; true
                    /// when it did (false for a missing key, or an existing destination
                    /// without `replace`).
                    Copy => copy(key: bytes, destination: bytes, replace: switch) -> flag
                        = Copy { source: key, destination, replace };
                    /// `RENAMENX key new_key`: renames only when `new_key` does not exist;
                    /// true when it did.
                    RenameNx => renamenx(key: bytes, new_key: bytes) -> flag
                        = RenameNx { key, new_key };
                    /// `UNLINK key …`: how many of the keys existed (removed as `DEL` does).
                    Unlink => unlink(keys: bytes_list) -> count = Unlink { keys };
                    /// `TOUCH key …`: how many of the keys exist, marking them as used.
                    Touch => touch(keys: bytes_list) -> count = Touch { keys };
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
                    /// `HMSET key field value …`: sets every pair (`HSET`'s older form).
                    HMSet => hmset(key: bytes, pairs: pairs) -> done = HMSet { key, pairs };
                    /// `HRANDFIELD key count`: up to `count` distinct random fields, or for a
                    /// negative count `-count` fields that may repeat.
                    HRandField => hrandfield(key: bytes, count: int) -> list
                        = HRandField { key, count: Some(count), with_values: false };
                    /// `HSCAN key cursor [MATCH pattern] [COUNT count]`: one page of fields
                    /// and values; continue with the returned cursor until it is 0.
                    HScan => hscan(
                        key: bytes,
                        cursor: cursor,
                        pattern: opt_text,
                        count: opt_count
                    ) -> map_page = HScan { key, cursor, pattern, count };
                    /// `HSTRLEN key field`: the length in bytes of the field's value (0
                    /// when missing).
                    HStrLen => hstrlen(key: bytes, field: bytes) -> count
                        = HStrLen { key, field };
                    /// `HEXPIRE key seconds FIELDS n field …`: per field, -2 no such field,
                    /// 1 TTL set, 2 deleted (a time not in the future).
                    HExpire => hexpire(key: bytes, fields: bytes_list, seconds: int) -> ints
                        = HExpire {
                            key,
                            expiry: $crate::Expiry::Ex(seconds),
                            condition: $crate::ExpireCondition::Always,
                            fields,
                        };
                    /// `HPEXPIRE key milliseconds FIELDS n field …`: as `hexpire`.
                    HPExpire => hpexpire(key: bytes, fields: bytes_list, milliseconds: int)
                        -> ints = HExpire {
                            key,
                            expiry: $crate::Expiry::Px(milliseconds),
                            condition: $crate::ExpireCondition::Always,
                            fields,
                        };
                    /// `HEXPIREAT key unix_seconds FIELDS n field …`: as `hexpire`.
                    HExpireAt => hexpireat(key: bytes, fields: bytes_list, unix_seconds: int)
                        -> ints = HExpire {
                            key,
                            expiry: $crate::Expiry::ExAt(unix_seconds),
                            condition: $crate::ExpireCondition::Always,
                            fields,
                        };
                    /// `HPEXPIREAT key unix_milliseconds FIELDS n field …`: as `hexpire`.
                    HPExpireAt => hpexpireat(
                        key: bytes,
                        fields: bytes_list,
                        unix_milliseconds: int
                    ) -> ints = HExpire {
                        key,
                        expiry: $crate::Expiry::PxAt(unix_milliseconds),
                        condition: $crate::ExpireCondition::Always,
                        fields,
                    };
                    /// `HTTL key FIELDS n field …`: per field, seconds left, -1 no TTL, -2
                    /// no such field.
                    HTtl => httl(key: bytes, fields: bytes_list) -> ints = HTtl { key, fields };
                    /// `HPTTL key FIELDS n field …`: per field, milliseconds left, -1 no
                    /// TTL, -2 no such field.
                    HPTtl => hpttl(key: bytes, fields: bytes_list) -> ints
                        = HPTtl { key, fields };
                    /// `HEXPIRETIME key FIELDS n field …`: per field, the Unix time in
                    /// seconds, -1 no TTL, -2 no such field.
                    HExpireTime => hexpiretime(key: bytes, fields: bytes_list) -> ints
                        = HExpireTime { key, fields };
                    /// `HPEXPIRETIME key FIELDS n field …`: per field, the Unix time in
                    /// milliseconds, -1 no TTL, -2 no such field.
                    HPExpireTime => hpexpiretime(key: bytes, fields: bytes_list) -> ints
                        = HPExpireTime { key, fields };
                    /// `HPERSIST key FIELDS n field …`: per field, 1 TTL removed, -1 no
                    /// TTL, -2 no such field.
                    HPersist => hpersist(key: bytes, fields: bytes_list) -> ints
                        = HPersist { key, fields };
                    /// `HGETDEL key FIELDS n field …`: each value (`None` where missing);
                    /// the fields are deleted.
                    HGetDel => hgetdel(key: bytes, fields: bytes_list) -> values
                        = HGetDel { key, fields };
                    /// `HGETEX key [EX|PX|EXAT|PXAT t|PERSIST] FIELDS n field …`: each value
                    /// (`None` where missing), changing the fields' TTL.
                    HGetEx => hgetex(key: bytes, option: getex_option, fields: bytes_list)
                        -> values = HGetEx { key, option, fields };
                    /// `HSETEX key [PX ms] FIELDS n field value …`: sets every pair, with
                    /// the TTL given or none.
                    HSetEx => hsetex(key: bytes, pairs: pairs, ttl: opt_duration) -> flag
                        = HSetEx {
                            key,
                            condition: $crate::FieldSetCondition::Always,
                            ttl: match ttl {
                                Some(d) => $crate::FieldSetTtl::Set(
                                    $crate::Expiry::Px(d.as_millis() as i64)
                                ),
                                None => $crate::FieldSetTtl::Clear,
                            },
                            pairs,
                        };
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
                    /// `LPOS key element`: the position of the first element equal to
                    /// `element`, or `None` (`RANK`, `COUNT` and `MAXLEN` through
                    /// `execute(Command::LPos { … })`).
                    LPos => lpos(key: bytes, element: bytes) -> rank
                        = LPos { key, element, rank: None, count: None, max_len: None };
                    /// `LMOVE source destination from to`: moves an element from one end of
                    /// `source` to one end of `destination`; it, or `None` when `source` is
                    /// missing.
                    LMove => lmove(source: bytes, destination: bytes, from: list_end, to: list_end)
                        -> value = LMove { source, destination, from, to };
                    /// `LMPOP numkeys key … from COUNT count`: up to `count` elements from
                    /// the first non-empty list of `keys`, with its key; `None` when every
                    /// key is missing.
                    LMPop => lmpop(keys: bytes_list, from: list_end, count: count) -> popped
                        = LMPop { keys, from, count: Some(count) };
                ],
                set: [
                    /// `SADD key member …`: how many members were new.
                    SAdd => sadd(key: bytes, members: bytes_list) -> count
                        = SAdd { key, members };
                    /// `SREM key member …`: how many members were there.
                    SRem => srem(key: bytes, members: bytes_list) -> count
                        = SRem { key, members };
                    /// `SMEMBERS key`: every member.
                    SMembers => smembers(key: bytes) -> list = SMembers { key };
                    /// `SISMEMBER key member`.
                    SIsMember => sismember(key: bytes, member: bytes) -> flag
                        = SIsMember { key, member };
                    /// `SMISMEMBER key member …`: for each member, whether it is there.
                    SMIsMember => smismember(key: bytes, members: bytes_list) -> flags
                        = SMIsMember { key, members };
                    /// `SCARD key`: the number of members.
                    SCard => scard(key: bytes) -> count = SCard { key };
                    /// `SPOP key count`: removes up to `count` random members; them.
                    SPop => spop(key: bytes, count: count) -> list
                        = SPop { key, count: Some(count) };
                    /// `SRANDMEMBER key count`: up to `count` distinct random members, or
                    /// for a negative count `-count` members that may repeat.
                    SRandMember => srandmember(key: bytes, count: int) -> list
                        = SRandMember { key, count: Some(count) };
                    /// `SMOVE source destination member`: true when the member moved.
                    SMove => smove(source: bytes, destination: bytes, member: bytes) -> flag
                        = SMove { source, destination, member };
                    /// `SINTER key …`: the members in every set.
                    SInter => sinter(keys: bytes_list) -> list = SInter { keys };
                    /// `SUNION key …`: the members in any set.
                    SUnion => sunion(keys: bytes_list) -> list = SUnion { keys };
                    /// `SDIFF key …`: the members of the first set in none of the others.
                    SDiff => sdiff(keys: bytes_list) -> list = SDiff { keys };
                    /// `SINTERSTORE destination key …`: stores the intersection; its size.
                    SInterStore => sinterstore(destination: bytes, keys: bytes_list) -> count
                        = SInterStore { destination, keys };
                    /// `SUNIONSTORE destination key …`: stores the union; its size.
                    SUnionStore => sunionstore(destination: bytes, keys: bytes_list) -> count
                        = SUnionStore { destination, keys };
                    /// `SDIFFSTORE destination key …`: stores the difference; its size.
                    SDiffStore => sdiffstore(destination: bytes, keys: bytes_list) -> count
                        = SDiffStore { destination, keys };
                    /// `SINTERCARD numkeys key … [LIMIT limit]`: the intersection's size,
                    /// counting stopped at `limit` if given.
                    SInterCard => sintercard(keys: bytes_list, limit: opt_count) -> count
                        = SInterCard { keys, limit };
                    /// `SSCAN key cursor [MATCH pattern] [COUNT count]`: one page of members;
                    /// continue with the returned cursor until it is 0.
                    SScan => sscan(
                        key: bytes,
                        cursor: cursor,
                        pattern: opt_text,
                        count: opt_count
                    ) -> scan_page = SScan { key, cursor, pattern, count };
                ],
                zset: [
                    /// `ZADD key score member …`: how many members were new (`zadd_with`
                    /// takes `ZADD`'s options).
                    ZAdd => zadd(key: bytes, pairs: scored_members) -> count = ZAdd {
                        key,
                        options: $crate::ZAddOptions::default(),
                        pairs,
                    };
                    /// `GEOADD key lon lat member …`: how many members were new (a geospatial
                    /// index is a sorted set; `geoadd_with` takes `NX`, `XX` and `CH`).
                    GeoAdd => geoadd(key: bytes, points: geo_points) -> count = GeoAdd {
                        key,
                        condition: $crate::ZAddCondition::Always,
                        changed: false,
                        points,
                    };
                    /// `GEOPOS key member …`: each member's longitude and latitude (its
                    /// geohash cell's center), `None` for missing members.
                    GeoPos => geopos(key: bytes, members: bytes_list) -> positions
                        = GeoPos { key, members };
                    /// `GEODIST key member1 member2 unit`: the distance, `None` when a member
                    /// is missing.
                    GeoDist => geodist(key: bytes, member1: bytes, member2: bytes, unit: geo_unit)
                        -> opt_float = GeoDist { key, member1, member2, unit };
                    /// `GEOHASH key member …`: each member's 11-character geohash, `None` for
                    /// missing members.
                    GeoHash => geohash(key: bytes, members: bytes_list) -> values
                        = GeoHash { key, members };
                    /// `ZINCRBY key increment member`: the new score.
                    ZIncrBy => zincrby(key: bytes, increment: float, member: bytes) -> float
                        = ZIncrBy { key, increment, member };
                    /// `ZSCORE key member`: the score, or `None`.
                    ZScore => zscore(key: bytes, member: bytes) -> opt_float
                        = ZScore { key, member };
                    /// `ZMSCORE key member …`: each score, `None` for missing members.
                    ZMScore => zmscore(key: bytes, members: bytes_list) -> opt_floats
                        = ZMScore { key, members };
                    /// `ZCARD key`: the number of members.
                    ZCard => zcard(key: bytes) -> count = ZCard { key };
                    /// `ZCOUNT key min max`: how many scores are within the bounds.
                    ZCount => zcount(key: bytes, min: score_bound, max: score_bound) -> count
                        = ZCount { key, min, max };
                    /// `ZLEXCOUNT key min max`: how many members are within the bounds
                    /// (meaningful when all scores are equal).
                    ZLexCount => zlexcount(key: bytes, min: lex_bound, max: lex_bound) -> count
                        = ZLexCount { key, min, max };
                    /// `ZRANK key member`: the rank by ascending score, or `None`.
                    ZRank => zrank(key: bytes, member: bytes) -> rank
                        = ZRank { key, member, with_score: false };
                    /// `ZREVRANK key member`: the rank by descending score, or `None`.
                    ZRevRank => zrevrank(key: bytes, member: bytes) -> rank
                        = ZRevRank { key, member, with_score: false };
                    /// `ZREM key member …`: how many members were there.
                    ZRem => zrem(key: bytes, members: bytes_list) -> count
                        = ZRem { key, members };
                    /// `ZRANGE key start stop`: the members of ranks `start..=stop` by
                    /// ascending score (`zrange_with` and `zrange_withscores` take `ZRANGE`'s
                    /// `BYSCORE`/`BYLEX`, `REV`, `LIMIT` and `WITHSCORES`).
                    ZRange => zrange(key: bytes, start: int, stop: int) -> list = ZRange {
                        key,
                        by: $crate::ZRangeBy::Rank(start, stop),
                        rev: false,
                        limit: None,
                        with_scores: false,
                    };
                    /// `ZREVRANGE key start stop`: the members of ranks `start..=stop` by
                    /// descending score.
                    ZRevRange => zrevrange(key: bytes, start: int, stop: int) -> list
                        = ZRevRange { key, start, stop, with_scores: false };
                    /// `ZRANGEBYSCORE key min max [LIMIT offset count]`: the members within
                    /// the score bounds, ascending.
                    ZRangeByScore => zrangebyscore(
                        key: bytes,
                        min: score_bound,
                        max: score_bound,
                        limit: limit
                    ) -> list = ZRangeByScore { key, min, max, limit, with_scores: false };
                    /// `ZREVRANGEBYSCORE key max min [LIMIT offset count]`: the members
                    /// within the score bounds, descending.
                    ZRevRangeByScore => zrevrangebyscore(
                        key: bytes,
                        max: score_bound,
                        min: score_bound,
                        limit: limit
                    ) -> list = ZRevRangeByScore { key, max, min, limit, with_scores: false };
                    /// `ZRANGEBYLEX key min max [LIMIT offset count]`: the members within
                    /// the lex bounds, ascending.
                    ZRangeByLex => zrangebylex(
                        key: bytes,
                        min: lex_bound,
                        max: lex_bound,
                        limit: limit
                    ) -> list = ZRangeByLex { key, min, max, limit };
                    /// `ZREVRANGEBYLEX key max min [LIMIT offset count]`: the members
                    /// within the lex bounds, descending.
                    ZRevRangeByLex => zrevrangebylex(
                        key: bytes,
                        max: lex_bound,
                        min: lex_bound,
                        limit: limit
                    ) -> list = ZRevRangeByLex { key, max, min, limit };
                    /// `ZREMRANGEBYRANK key start stop`: how many members were removed.
                    ZRemRangeByRank => zremrangebyrank(key: bytes, start: int, stop: int)
                        -> count = ZRemRangeByRank { key, start, stop };
                    /// `ZREMRANGEBYSCORE key min max`: how many members were removed.
                    ZRemRangeByScore => zremrangebyscore(
                        key: bytes,
                        min: score_bound,
                        max: score_bound
                    ) -> count = ZRemRangeByScore { key, min, max };
                    /// `ZREMRANGEBYLEX key min max`: how many members were removed.
                    ZRemRangeByLex => zremrangebylex(key: bytes, min: lex_bound, max: lex_bound)
                        -> count = ZRemRangeByLex { key, min, max };
                    /// `ZPOPMIN key count`: removes up to `count` members of the lowest
                    /// scores; them with their scores.
                    ZPopMin => zpopmin(key: bytes, count: count) -> scored
                        = ZPopMin { key, count: Some(count) };
                    /// `ZPOPMAX key count`: removes up to `count` members of the highest
                    /// scores; them with their scores.
                    ZPopMax => zpopmax(key: bytes, count: count) -> scored
                        = ZPopMax { key, count: Some(count) };
                    /// `ZRANDMEMBER key count`: up to `count` distinct random members, or
                    /// for a negative count `-count` members that may repeat.
                    ZRandMember => zrandmember(key: bytes, count: int) -> list
                        = ZRandMember { key, count: Some(count), with_scores: false };
                    /// `ZUNIONSTORE destination numkeys key … [WEIGHTS w …] [AGGREGATE a]`:
                    /// stores the union (each set's scores times its weight, combined by
                    /// `aggregate`); its size.
                    ZUnionStore => zunionstore(
                        destination: bytes,
                        keys: bytes_list,
                        weights: opt_floats,
                        aggregate: aggregate
                    ) -> count = ZUnionStore { destination, keys, weights, aggregate };
                    /// `ZINTERSTORE destination numkeys key … [WEIGHTS w …] [AGGREGATE a]`:
                    /// stores the intersection; its size.
                    ZInterStore => zinterstore(
                        destination: bytes,
                        keys: bytes_list,
                        weights: opt_floats,
                        aggregate: aggregate
                    ) -> count = ZInterStore { destination, keys, weights, aggregate };
                    /// `ZDIFFSTORE destination numkeys key …`: stores the members of the
                    /// first set in none of the others; its size.
                    ZDiffStore => zdiffstore(destination: bytes, keys: bytes_list) -> count
                        = ZDiffStore { destination, keys };
                    /// `ZRANGESTORE destination key start stop`: stores the members of ranks
                    /// `start..=stop` with their scores; their number (`execute(Command::
                    /// ZRangeStore { … })` for `BYSCORE`/`BYLEX`, `REV`, `LIMIT`).
                    ZRangeStore => zrangestore(destination: bytes, key: bytes, start: int, stop: int)
                        -> count = ZRangeStore {
                            destination,
                            key,
                            by: $crate::ZRangeBy::Rank(start, stop),
                            rev: false,
                            limit: None,
                        };
                    /// `ZUNION numkeys key … [WEIGHTS w …] [AGGREGATE a]`: the members of the
                    /// union, by score (`execute(Command::ZUnion { … })` for `WITHSCORES`).
                    ZUnion => zunion(keys: bytes_list, weights: opt_floats, aggregate: aggregate)
                        -> list = ZUnion { keys, weights, aggregate, with_scores: false };
                    /// `ZINTER numkeys key … [WEIGHTS w …] [AGGREGATE a]`: the members of the
                    /// intersection, by score.
                    ZInter => zinter(keys: bytes_list, weights: opt_floats, aggregate: aggregate)
                        -> list = ZInter { keys, weights, aggregate, with_scores: false };
                    /// `ZDIFF numkeys key …`: the members of the first set in none of the
                    /// others, by score.
                    ZDiff => zdiff(keys: bytes_list) -> list
                        = ZDiff { keys, with_scores: false };
                    /// `ZINTERCARD numkeys key … [LIMIT limit]`: the intersection's size,
                    /// counting stopped at `limit` if given.
                    ZInterCard => zintercard(keys: bytes_list, limit: opt_count) -> count
                        = ZInterCard { keys, limit };
                    /// `ZSCAN key cursor [MATCH pattern] [COUNT count]`: one page of
                    /// members with their scores; continue with the returned cursor until
                    /// it is 0.
                    ZScan => zscan(
                        key: bytes,
                        cursor: cursor,
                        pattern: opt_text,
                        count: opt_count
                    ) -> scored_page = ZScan { key, cursor, pattern, count };
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
                hll: [
                    /// `PFADD key element …`: adds the elements to the HyperLogLog (created
                    /// when missing); true when it was created or changed.
                    PfAdd => pfadd(key: bytes, elements: bytes_list) -> flag
                        = PfAdd { key, elements };
                    /// `PFCOUNT key …`: the estimated number of distinct elements (of the
                    /// union, for several keys).
                    PfCount => pfcount(keys: bytes_list) -> count = PfCount { keys };
                    /// `PFMERGE destination source …`: stores the union of the HyperLogLogs
                    /// (the destination's included).
                    PfMerge => pfmerge(destination: bytes, sources: bytes_list) -> done
                        = PfMerge { destination, sources };
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
