//! Lua scripts that give Redis the engine's contracts: all-or-nothing transactions with
//! optimistic checks, and locks with fencing tokens.
//!
//! Redis runs a script atomically, but a script that fails half-way keeps what it already
//! did (as MULTI/EXEC does). So the transaction script first snapshots every key the batch
//! writes (`DUMP` + `PTTL`), runs the commands with `redis.pcall`, and on the first error
//! restores every snapshot (`RESTORE … REPLACE` with the saved TTL) before answering
//! `EXECABORT <index> <error>`. Nothing of a failed batch is ever visible to other clients:
//! the script holds the server for its whole run.
//!
//! The recovery scripts ([`REPLAY`], [`BASE_MERGE`]) start by comparing the server's
//! `run_id` (from `INFO server`, which scripts may call) with the one the recovery planned
//! for, and fail with `WRONGSERVER` when they differ: a client connection can move to a
//! restarted server without an error (an idempotent call retried after a reset reconnects),
//! and a batch or a pre-outage value written into a server the plan was not made for would
//! be lost or merged twice. The recovery then starts over with a plan for that server. On a
//! Redis Cluster the same bodies run after another check ([`REPLAY_CLUSTER`],
//! [`BASE_MERGE_CLUSTER`]): the master running the script must be one of the masters the
//! plan was made for, and all their keys (markers included) share one slot.

use std::sync::LazyLock;

use redis::Script;

/// Key versions for `watch`: the SHA-1 of each key's `DUMP` (empty for a missing key).
///
/// Value-based: a key rewritten with identical contents (or only a TTL change) counts as
/// unchanged, unlike the memory engine's write counter.
pub(crate) static KEY_VERSIONS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local out = {}
for i = 1, #KEYS do
  local d = redis.call('DUMP', KEYS[i])
  if d then out[i] = redis.sha1hex(d) else out[i] = '' end
end
return out
",
    )
});

/// KEYS: the watched keys, then the keys the batch writes.
/// ARGV: number of watched keys, their expected versions, number of commands, then each
/// command as its argument count followed by its arguments.
pub(crate) static TRANSACTION: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local nw = tonumber(ARGV[1])
for i = 1, nw do
  local d = redis.call('DUMP', KEYS[i])
  local v = ''
  if d then v = redis.sha1hex(d) end
  if v ~= ARGV[1 + i] then return redis.error_reply('CONFLICT ' .. i) end
end
local saved = {}
for i = nw + 1, #KEYS do
  saved[#saved + 1] = { KEYS[i], redis.call('DUMP', KEYS[i]), redis.call('PTTL', KEYS[i]) }
end
local pos = 2 + nw
local ncmd = tonumber(ARGV[pos])
pos = pos + 1
local replies = {}
for c = 1, ncmd do
  local argc = tonumber(ARGV[pos])
  pos = pos + 1
  local args = {}
  for j = 1, argc do
    args[j] = ARGV[pos]
    pos = pos + 1
  end
  local r = redis.pcall(unpack(args))
  if type(r) == 'table' and r.err then
    for s = #saved, 1, -1 do
      local key, dump, ttl = saved[s][1], saved[s][2], saved[s][3]
      redis.call('DEL', key)
      if dump then
        if ttl < 0 then ttl = 0 end
        redis.call('RESTORE', key, ttl, dump, 'REPLACE')
      end
    end
    return redis.error_reply('EXECABORT ' .. (c - 1) .. ' ' .. r.err)
  end
  replies[c] = r
end
return replies
",
    )
});

/// KEYS: lock key, fencing counter key. ARGV: owner, TTL in ms.
/// Acquires only if free (`SET … NX PX` semantics), taking the next fencing token in the same
/// atomic step; the lock's value is `owner|token`. The token is the larger of the counter + 1
/// and Redis's `TIME` in microseconds, so it never goes backwards even when the counter is
/// gone (`FLUSHDB`, a restart without persistence), and it is on the same time scale as the
/// memory engine's local-lock tokens (see `hedgestore_core`'s locks).
pub(crate) static LOCK_ACQUIRE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local last = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
local token = math.max(last + 1, now)
local text = string.format('%.0f', token)
redis.call('SET', KEYS[2], text)
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. text, 'PX', ARGV[2])
return token
",
    )
});

/// KEYS: lock key. ARGV: mode (`owner` or `token`), the owner or the token.
/// Deletes the lock only if it is held by that owner / under that token (compare-and-delete).
pub(crate) static LOCK_RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local held
if ARGV[1] == 'owner' then
  held = string.sub(v, 1, #ARGV[2] + 1) == ARGV[2] .. '|'
else
  local suffix = '|' .. ARGV[2]
  held = string.sub(v, -#suffix) == suffix
end
if held then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
",
    )
});

/// KEYS: lock key. ARGV: owner, TTL in ms. Resets the TTL only for the holder
/// (compare-and-extend).
pub(crate) static LOCK_EXTEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. '|' then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
",
    )
});

/// The recovery scripts' first check on one server (or a Sentinel-found master): the
/// server's `run_id` is the one the recovery planned for (ARGV[1]).
const SAME_SERVER: &str = r"
if string.match(redis.call('INFO', 'server'), 'run_id:(%x+)') ~= ARGV[1] then
  return redis.error_reply('WRONGSERVER')
end
";

/// The recovery scripts' first check on a Redis Cluster: the master running the script (the
/// one serving the batch's slot) is one of the masters the recovery planned for. ARGV[1] is
/// the cluster's identity, the sorted run ids of its masters joined by `,` (see
/// `RedisStorage::run_id`). A master that restarted, or a replica promoted since the plan,
/// has a run id outside it: `WRONGSERVER`, and the recovery starts over with a new plan. A
/// slot moved between planned masters (resharding) passes: its markers moved with it.
const SAME_CLUSTER: &str = r"
local id = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
if not id or not string.find(',' .. ARGV[1] .. ',', ',' .. id .. ',', 1, true) then
  return redis.error_reply('WRONGSERVER')
end
";

/// One batch of the outage journal, each write applied at most once.
///
/// KEYS: the instance's replay marker (`hedgestore:replay:<instance>`), then every key the
/// batch writes. ARGV: the run id of the server the recovery planned for (checked first: see
/// the module docs), the "fresh key" marker prefix (empty: none), the sequence number the
/// marker must hold at least (-1: none; the last one this recovery replayed into this
/// server), the batch's last sequence number, the number of commands, then each command as
/// its journal sequence number, its argument count and its arguments.
///
/// The marker holds the highest sequence number replayed so far: a write at or below it was
/// applied already (a batch retried after a lost reply, or replayed again into a server
/// that restarted from a snapshot taken after it) and is skipped, so batches need not line
/// up between attempts. A marker below the expected one means the server lost earlier
/// batches (it restarted, and the connection silently moved to the new process): the
/// script fails with `REPLAYLOST` and the recovery starts over. Otherwise, with a prefix given (Redis restarted), each written key
/// that does not exist yet gets a fresh-key marker (`<prefix><key>`), which tells
/// [`BASE_MERGE`] that the key was created by outage writes after the restart, not restored
/// from a snapshot. Markers expire after 10 minutes: long enough for every instance to
/// finish recovering from one outage, short enough not to linger in the keyspace.
///
/// Returns the number of writes that failed, or -1 when every write was applied already.
pub(crate) static REPLAY: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{SAME_SERVER}{REPLAY_BODY}")));

/// [`REPLAY`] on a Redis Cluster: the same body, with the cluster's identity check
/// ([`SAME_CLUSTER`]). KEYS all hash to one slot (the marker is hash-tagged into the slot of
/// the batch's keys), so the script runs on that slot's master.
pub(crate) static REPLAY_CLUSTER: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{SAME_CLUSTER}{REPLAY_BODY}")));

/// The body of [`REPLAY`] after the identity check.
const REPLAY_BODY: &str = r"local last = tonumber(redis.call('GET', KEYS[1]) or '-1') or -1
if last < tonumber(ARGV[3]) then return redis.error_reply('REPLAYLOST') end
local n = tonumber(ARGV[5])
local pos = 6
local errors = 0
local top = math.max(last, tonumber(ARGV[4]))
local marked = false
for c = 1, n do
  local seq = tonumber(ARGV[pos])
  local argc = tonumber(ARGV[pos + 1])
  pos = pos + 2
  local args = {}
  for j = 1, argc do
    args[j] = ARGV[pos]
    pos = pos + 1
  end
  if seq > last then
    if ARGV[2] ~= '' and not marked then
      marked = true
      for i = 2, #KEYS do
        if redis.call('EXISTS', KEYS[i]) == 0 then
          redis.call('SET', ARGV[2] .. KEYS[i], '1', 'EX', 600)
        end
      end
    end
    local r = redis.pcall(unpack(args))
    if type(r) == 'table' and r.err then errors = errors + 1 end
  end
end
redis.call('SET', KEYS[1], string.format('%d', top), 'EX', 600)
if top == last then return -1 end
return errors
";

/// KEYS: the key. ARGV: overwrite (`1`) or fill-if-missing (`0`), type (`string`, `hash`,
/// `list`, `set`, `zset`), PTTL (0 or less: none), then the payload (value; field, value, …;
/// items; members; score, member, …).
/// Returns 1 when written, 0 when the key existed and was kept.
pub(crate) static RESEED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if ARGV[1] == '0' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[1])
local t = ARGV[2]
if t == 'string' then
  redis.call('SET', KEYS[1], ARGV[4])
elseif t == 'hash' then
  redis.call('HSET', KEYS[1], unpack(ARGV, 4))
elseif t == 'list' then
  redis.call('RPUSH', KEYS[1], unpack(ARGV, 4))
elseif t == 'set' then
  redis.call('SADD', KEYS[1], unpack(ARGV, 4))
elseif t == 'zset' then
  redis.call('ZADD', KEYS[1], unpack(ARGV, 4))
end
local ttl = tonumber(ARGV[3])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
",
    )
});

/// Merges one key's pre-outage value, as an instance last knew it, into a Redis that
/// restarted, at most once per key and restart.
///
/// KEYS: the key, its base marker (`hedgestore:base:<run_id>:<key>`), its fresh-key marker
/// (see [`REPLAY`]). ARGV: the run id of the server the recovery planned for
/// (checked first: see the module docs), type (`string`, `hash`, `list`, `set`, `zset`),
/// absolute expiry in Unix ms (0: none), then the payload (value; field, value, …; items;
/// members; score, member, …).
///
/// * The first instance to merge a key wins; later ones do nothing (base marker).
/// * A missing key gets the base value (and its expiry).
/// * A key that outage writes created after the restart (fresh-key marker) gets the base
///   merged under them: a counter adds the base (the outage writes were increments), a list
///   gets the base items in front, a hash the fields it lacks, a set the base members, a
///   sorted set the base members it lacks (with their base scores).
/// * A key that exists otherwise came from Redis's own snapshot and is left alone.
///
/// Returns 1 when something was merged.
pub(crate) static BASE_MERGE: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{SAME_SERVER}{BASE_MERGE_BODY}")));

/// [`BASE_MERGE`] on a Redis Cluster: the same body, with the cluster's identity check
/// ([`SAME_CLUSTER`]); its three keys share one slot (hash-tagged markers).
pub(crate) static BASE_MERGE_CLUSTER: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{SAME_CLUSTER}{BASE_MERGE_BODY}")));

/// The body of [`BASE_MERGE`] after the identity check.
const BASE_MERGE_BODY: &str = r"if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[2], '1', 'EX', 600)
local t = ARGV[2]
local at = tonumber(ARGV[3])
if redis.call('EXISTS', KEYS[1]) == 0 then
  if t == 'string' then
    redis.call('SET', KEYS[1], ARGV[4])
  elseif t == 'hash' then
    for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
  elseif t == 'list' then
    for i = 4, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
  elseif t == 'set' then
    for i = 4, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end
  elseif t == 'zset' then
    for i = 4, #ARGV, 2 do redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1]) end
  end
  if at > 0 then redis.call('PEXPIREAT', KEYS[1], at) end
  return 1
end
if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
if redis.call('TYPE', KEYS[1]).ok ~= t then return 0 end
if t == 'string' then
  local now = redis.call('GET', KEYS[1])
  if string.match(ARGV[4], '^-?%d+$') and string.match(now, '^-?%d+$') then
    local r = redis.pcall('INCRBY', KEYS[1], ARGV[4])
    if type(r) == 'table' and r.err then return 0 end
    return 1
  end
  return 0
elseif t == 'hash' then
  for i = 4, #ARGV, 2 do redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) end
elseif t == 'list' then
  for i = #ARGV, 4, -1 do redis.call('LPUSH', KEYS[1], ARGV[i]) end
elseif t == 'set' then
  for i = 4, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end
elseif t == 'zset' then
  for i = 4, #ARGV, 2 do redis.call('ZADD', KEYS[1], 'NX', ARGV[i], ARGV[i + 1]) end
end
return 1
";
