// MemoryStore, as JavaScript uses it: every case receives the MemoryStore class and checks
// one behaviour through the public API (the same calls a user makes, variadic arguments and
// all). tests/common/cases.rs runs each case as a #[wasm_bindgen_test], in Node, in a
// Chromium page and in a Chromium worker.
//
// Longer than 600 lines on purpose: the MemoryStore cases run in Node, a Chromium page and a
// Chromium worker from this one file; newer families live in their own *_cases.js files.

import { bytes, eq, fail, ok, rejects, sleep, text, throws, tick } from './assert.js';
import { bitCases } from './bit_cases.js';
import { geoCases } from './geo_cases.js';
import { hashTtlCases } from './hash_ttl_cases.js';
import { setCases } from './set_cases.js';
import { keyListCases } from './key_list_cases.js';
import { fastPathCases } from './fast_path_cases.js';

/** A store whose clock the test moves: `t.now += 1000`. */
function manual(MemoryStore, options = {}) {
  const t = { now: 1_700_000_000_000 };
  const store = new MemoryStore({ ...options, clock: () => t.now });
  return { store, t };
}

/** Every key with its type and value, to check that a failed call changed nothing. */
function dump(store) {
  const out = {};
  for (const key of store.keys('*').sort()) {
    const type = store.type(key);
    out[key] = [type, type === 'string' ? store.get(key) : type === 'hash' ? store.hgetall(key) : store.lrange(key, 0, -1), store.pttl(key)];
  }
  return out;
}

export const cases = {
  strings_set_get_and_options(MemoryStore) {
    const s = new MemoryStore();
    eq(s.get('missing'), null, 'get of a missing key');
    eq(s.set('k', 'v1'), true, 'set');
    eq(s.get('k'), 'v1');
    eq(s.set('k', 'v2', { nx: true }), false, 'set nx on an existing key');
    eq(s.get('k'), 'v1', 'nx left the value');
    eq(s.set('k', 'v3', { xx: true }), true, 'set xx on an existing key');
    eq(s.set('other', 'x', { xx: true }), false, 'set xx on a missing key');
    eq(s.get('other'), null);
    eq(s.setnx('k', 'no'), false);
    eq(s.setnx('fresh', 'yes'), true);
    eq(s.set('n', 42), true, 'numbers are stored as their text');
    eq(s.get('n'), '42');
    s.set('f', 1.5);
    eq(s.get('f'), '1.5');
    eq(s.getdel('k'), 'v3');
    eq(s.get('k'), null, 'getdel removed the key');
    eq(s.getdel('k'), null);
    s.set('gx', 'v');
    eq(s.getex('gx', { px: 2000 }), 'v', 'getex answers the value');
    ok(s.pttl('gx') > 1000, 'getex px set the TTL');
    eq(s.getex('gx'), 'v', 'getex without options');
    ok(s.pttl('gx') > 1000, 'getex without options left the TTL');
    eq(s.getex('gx', { persist: true }), 'v');
    eq(s.pttl('gx'), -1, 'getex persist removed the TTL');
    eq(s.getex('missing'), null);
    eq(s.getexBytes('gx'), text('v'), 'getexBytes');
    throws(() => s.getex('gx', { ex: 1, persist: true }), 'TypeError', 'at most one');
    throws(() => s.getex('gx', { exx: 1 }), 'TypeError', 'getex: unknown option exx');
    eq(s.append('a', 'hello'), 5);
    eq(s.append('a', ' world'), 11);
    eq(s.strlen('a'), 11);
    eq(s.strlen('missing'), 0);
    eq(s.set('u', 'héllo 😀'), true);
    eq(s.get('u'), 'héllo 😀', 'unicode round trip');
    eq(s.strlen('u'), 11, 'length in UTF-8 bytes');
  },

  set_options_speak_upstash_and_unknown_options_are_type_errors(MemoryStore) {
    const { store: s } = manual(MemoryStore);
    eq(s.set('ex', 'v', { ex: 5 }), true, 'ex: seconds (the string shortcut)');
    eq(s.ttl('ex'), 5, 'ttl(): seconds');
    eq(s.pttl('ex'), 5000, 'pttl(): milliseconds');
    eq(s.set('px', 'v', { px: 5 }), true, 'px: milliseconds (the string shortcut)');
    eq(s.pttl('px'), 5);
    eq(s.set(bytes(1), 'v', { ex: 7 }), true, 'ex on the general path');
    eq(s.pttl(bytes(1)), 7000);
    eq(s.set('old', 'first'), true);
    eq(s.set('old', 'second', { get: true }), 'first', 'get: the previous value');
    eq(s.set('new', 'x', { get: true, ex: 1 }), null, 'get of a missing key: null');
    eq(s.get('old'), 'second');
    eq(s.pttl('new'), 1000);
    eq(s.setJson('doc', { a: 2 }, { get: true }), null);
    eq(s.setJson('doc', { a: 3 }, { get: true }), { a: 2 });
    throws(() => s.set('k', 'v', { tll: 5 }), 'TypeError', 'set: unknown option tll');
    throws(() => s.set('k', 'v', { ex: 1, tll: 5, foo: 1 }), 'TypeError', 'unknown options tll, foo');
    throws(() => s.set('k', 'v', { ttl: 5000 }), 'TypeError', 'unknown option ttl (for a TTL give px in milliseconds or ex in seconds)');
    throws(() => s.set('k', 'v', { ex: 1.5 }), 'TypeError', 'option ex');
    throws(() => s.set('k', 'v', { px: 5, ex: 1 }), 'TypeError', 'at most one');
    eq(s.get('k'), null, 'nothing was written');
    throws(() => s.expire('old', 5, { nxx: true }), 'TypeError', 'expire: unknown option nxx');
    throws(() => s.scan(0, { mach: '*' }), 'TypeError', 'scan: unknown option mach');
    throws(() => s.acquireLock('l', { ttl: 10, tokn: 1 }), 'TypeError', 'acquireLock: unknown option tokn');
    throws(() => new MemoryStore({ maxMemroy: 1 }), 'TypeError', 'MemoryStore: unknown option maxMemroy');
  },

  strings_binary_values(MemoryStore) {
    const s = new MemoryStore();
    const raw = bytes(0, 255, 254, 1, 128);
    eq(s.set('bin', raw), true);
    eq(s.getBytes('bin'), raw, 'bytes round trip');
    eq(s.get('bin'), '\u0000\ufffd\ufffd\u0001\ufffd', 'invalid UTF-8 decodes lossily as TextDecoder does');
    s.set(bytes(1, 2), 'binary key');
    eq(s.get(bytes(1, 2)), 'binary key');
    eq(s.getBytes('missing'), null);
    eq(s.getBytes('k-missing'), null);
    s.set('t', 'abc');
    eq(s.getBytes('t'), text('abc'), 'strings come back as UTF-8 bytes');
    eq(s.getdelBytes('bin'), raw);
    eq(s.mgetBytes('t', 'nope'), [text('abc'), null]);
  },

  strings_mget_mset(MemoryStore) {
    const s = new MemoryStore();
    eq(s.mset({ a: '1', b: '2' }), undefined, 'mset answers undefined');
    s.mset(new Map([['c', '3']]));
    s.mset([['d', '4'], [bytes(200), 5]]);
    eq(s.mget('a', 'b', 'c', 'd', 'd', 'missing'), ['1', '2', '3', '4', '4', null]);
    eq(s.get('d'), '4');
    eq(s.get('d'), '4');
    eq(s.get('d'), '4');
    throws(() => s.mset({}), 'TypeError', 'must not be empty');
    throws(() => s.mset([['only-key']]), 'TypeError', 'pair');
    throws(() => s.mget(), 'TypeError', 'at least one key');
  },

  strings_counters(MemoryStore) {
    const s = new MemoryStore();
    eq(s.incr('c'), 1);
    eq(s.incr('c'), 2);
    eq(s.incrby('c', 10), 12);
    eq(s.incrby('c', -2n), 10, 'bigint increments');
    eq(s.decr('c'), 9);
    eq(s.decrby('c', 4), 5);
    eq(s.get('c'), '5');
    eq(s.incrbyfloat('fl', 0.5), 0.5);
    eq(s.incrbyfloat('fl', 2), 2.5);
    eq(s.get('fl'), '2.5');
    s.set('word', 'abc');
    const e = throws(() => s.incr('word'), 'ReplyError', 'ERR value is not an integer or out of range');
    eq(e.code, 'ERR');
    eq(s.get('word'), 'abc', 'the failed incr left the value');
    s.set('max', '9223372036854775807');
    throws(() => s.incr('max'), 'ReplyError', 'overflow');
    eq(s.get('max'), '9223372036854775807');
    throws(() => s.incrby('c', 1.5), 'TypeError', 'integer');
    throws(() => s.incrby('c', 2 ** 60), 'TypeError', 'integer');
    throws(() => s.incrby('c', 2n ** 70n), 'TypeError', 'range');
    throws(() => s.incrby('c', '1'), 'TypeError', 'integer');
    eq(s.get('c'), '5', 'bad increments changed nothing');
  },

  json_helpers(MemoryStore) {
    const s = new MemoryStore();
    const doc = { symbol: 'EURUSD', bid: 1.0841, levels: [1, 2, 3], meta: { live: true, note: null } };
    eq(s.setJson('quote', doc), true);
    eq(s.getJson('quote'), doc);
    eq(s.get('quote'), JSON.stringify(doc), 'stored as JSON text');
    eq(s.getJson('missing'), null);
    eq(s.setJson('n', 5, { nx: true }), true);
    eq(s.getJson('n'), 5);
    throws(() => s.setJson('bad', undefined), 'TypeError', 'cannot be written as JSON');
    throws(() => s.setJson('bad', () => 1), 'TypeError', 'cannot be written as JSON');
    throws(() => s.setJson('bad', { big: 1n }), 'TypeError', '');
    eq(s.get('bad'), null, 'nothing stored');
    s.set('notjson', '{oops');
    throws(() => s.getJson('notjson'), 'SyntaxError');
  },

  keys_del_exists_type_rename(MemoryStore) {
    const s = new MemoryStore();
    s.set('a', '1');
    s.set('b', '2');
    s.hset('h', 'f', 'v');
    s.rpush('l', 'x');
    eq(s.exists('a', 'a', 'b', 'missing'), 3, 'a key named twice counts twice');
    eq(s.type('a'), 'string');
    eq(s.type('h'), 'hash');
    eq(s.type('l'), 'list');
    eq(s.type('missing'), 'none');
    eq(s.del('a', 'missing', 'b'), 2);
    eq(s.exists('a'), 0);
    eq(s.rename('h', 'h2'), undefined);
    eq(s.hget('h2', 'f'), 'v');
    throws(() => s.rename('missing', 'x'), 'ReplyError', 'ERR no such key');
    throws(() => s.del(), 'TypeError', 'at least one key');
    throws(() => s.exists(), 'TypeError', 'at least one key');
  },

  keys_patterns_scan_dbsize_flushdb_ping(MemoryStore) {
    const s = new MemoryStore();
    for (let i = 0; i < 25; i++) s.set(`user:${i}`, String(i));
    s.hset('session:1', 'u', '1');
    eq(s.dbsize(), 26);
    eq(s.keys('session:*'), ['session:1']);
    eq(s.keys('user:1?').sort(), ['user:10', 'user:11', 'user:12', 'user:13', 'user:14', 'user:15', 'user:16', 'user:17', 'user:18', 'user:19']);
    eq(s.keys().length, 26, 'keys() defaults to *');
    eq(s.keysBytes('session:*'), [text('session:1')]);
    throws(() => s.keys('[unterminated'), 'ReplyError', 'ERR invalid pattern');
    const seen = new Set();
    let cursor = '0';
    let rounds = 0;
    do {
      const page = s.scan(cursor, { match: 'user:*', count: 7 });
      ok(typeof page.cursor === 'string', 'the cursor is a string');
      page.keys.forEach((k) => seen.add(k));
      cursor = page.cursor;
      rounds++;
    } while (cursor !== '0' && rounds < 100);
    eq(seen.size, 25, 'scan visits every matching key');
    eq(s.scan(0, { type: 'hash', count: 1000 }).keys, ['session:1']);
    eq(s.scanBytes(0, { type: 'hash', count: 1000 }).keys, [text('session:1')]);
    throws(() => s.scan(0, { type: 'nope' }), 'ReplyError', "unknown type name 'nope'");
    throws(() => s.scan('nope'), 'ReplyError', 'invalid cursor');
    eq(s.ping(), 'PONG');
    eq(s.ping('hi'), 'hi');
    eq(s.flushdb(), undefined);
    eq(s.dbsize(), 0);
  },

  expiry_with_a_manual_clock(MemoryStore) {
    const { store: s, t } = manual(MemoryStore);
    s.set('ms', 'v', { px: 1500 });
    eq(s.pttl('ms'), 1500);
    eq(s.ttl('ms'), 2, 'ttl rounds to the nearest second');
    t.now += 1499;
    eq(s.get('ms'), 'v', 'alive one ms before its deadline');
    t.now += 1;
    eq(s.get('ms'), null, 'gone at its deadline, without sleeping');
    eq(s.ttl('ms'), -2, 'ttl of a missing key');
    s.set('plain', 'v');
    eq(s.ttl('plain'), -1, 'ttl of a key without expiry');
    s.set('px', 'v', { px: 100 });
    s.set('ex', 'v', { ex: 10 });
    s.set('pxat', 'v', { pxat: t.now + 300 });
    s.set('exat', 'v', { exat: Math.floor(t.now / 1000) + 20 });
    eq(s.pttl('px'), 100);
    eq(s.pttl('ex'), 10_000);
    eq(s.pttl('pxat'), 300);
    ok(s.pttl('exat') > 19_000 && s.pttl('exat') <= 20_000, 'exat is absolute seconds');
    s.set('px', 'v2', { keepTtl: true });
    eq(s.pttl('px'), 100, 'keepTtl kept the TTL');
    s.set('px', 'v3');
    eq(s.pttl('px'), -1, 'a plain set clears the TTL');
    throws(() => s.set('bad', 'v', { px: 0 }), 'ReplyError', "invalid expire time in 'set' command");
    throws(() => s.set('bad', 'v', { px: 10, ex: 1 }), 'TypeError', 'at most one');
    throws(() => s.set('bad', 'v', { px: 10, keepTtl: true }), 'TypeError', 'keepTtl');
    throws(() => s.set('bad', 'v', { px: 1.5 }), 'TypeError', 'integer');
    eq(s.get('bad'), null);
  },

  expire_family_and_persist(MemoryStore) {
    const { store: s, t } = manual(MemoryStore);
    s.set('k', 'v');
    eq(s.expire('k', 10), true);
    eq(s.pttl('k'), 10_000);
    eq(s.expire('k', 20, { nx: true }), false, 'nx: already has a TTL');
    eq(s.expire('k', 5, { gt: true }), false, 'gt: 5 s is not later');
    eq(s.expire('k', 50, { gt: true }), true);
    eq(s.expire('k', 30, { lt: true }), true);
    eq(s.expire('k', 40, { xx: true, gt: true }), true);
    eq(s.pttl('k'), 40_000);
    eq(s.pexpire('k', 500), true);
    eq(s.pttl('k'), 500);
    eq(s.pexpireat('k', t.now + 700), true);
    eq(s.pttl('k'), 700);
    eq(s.expireat('k', Math.floor(t.now / 1000) + 9), true);
    ok(s.pttl('k') > 8000, 'expireat in seconds');
    eq(s.persist('k'), true);
    eq(s.persist('k'), false);
    eq(s.ttl('k'), -1);
    eq(s.expire('missing', 10), false);
    throws(() => s.expire('k', 10, { nx: true, xx: true }), 'ReplyError', 'NX and XX, GT or LT');
    throws(() => s.expire('k', 10, { gt: true, lt: true }), 'ReplyError', 'GT and LT');
    eq(s.ttl('k'), -1, 'refused conditions changed nothing');
    eq(s.pexpireat('k', t.now - 1), true, 'a time in the past deletes the key');
    eq(s.exists('k'), 0);
    s.set('neg', 'v');
    eq(s.expire('neg', -1), true);
    eq(s.get('neg'), null);
  },

  active_expiry_reclaims_unread_keys(MemoryStore) {
    const { store: s, t } = manual(MemoryStore);
    for (let i = 0; i < 100; i++) s.set(`tmp:${i}`, 'x', { px: 50 });
    s.set('keep', 'x');
    eq(s.stats().keysWithTtl, 100);
    t.now += 50;
    let removed = 0;
    for (let i = 0; i < 10 && removed < 100; i++) removed += s.runExpiry();
    eq(removed, 100, 'runExpiry removed the expired keys');
    const stats = s.stats();
    eq(stats.keys, 1);
    eq(stats.expired, 100);
    eq(s.runExpiry(), 0);
  },

  async timer_expires_keys_on_real_time(MemoryStore) {
    // The one test that waits on the real clock: the store's own timer must remove a key
    // that nobody reads again.
    const s = new MemoryStore({ activeExpireInterval: 10 });
    s.set('short', 'x', { px: 20 });
    s.set('long', 'x', { px: 60_000 });
    eq(s.stats().keys, 2);
    for (let i = 0; i < 40 && s.stats().expired === 0; i++) await sleep(25);
    const stats = s.stats();
    eq(stats.expired, 1, 'expired by the timer');
    eq(stats.keys, 1);
    eq(stats.misses, 0, 'nobody read the key');
    s.free();
  },

  hashes(MemoryStore) {
    const s = new MemoryStore();
    eq(s.hset('h', 'f1', 'v1'), 1);
    eq(s.hset('h', 'f1', 'v1b'), 0, 'an existing field is not new');
    eq(s.hset('h', { f2: 'v2', f3: 3 }), 2, 'object form');
    eq(s.hset('h', new Map([['f4', 'v4']])), 1, 'Map form');
    eq(s.hset('h', [['f5', 'v5']]), 1, 'pairs form');
    eq(s.hget('h', 'f1'), 'v1b');
    eq(s.hget('h', 'nope'), null);
    eq(s.hget('nope', 'f1'), null);
    eq(s.hgetBytes('h', 'f3'), text('3'));
    eq(s.hmget('h', 'f1', 'nope', 'f2'), ['v1b', null, 'v2']);
    eq(s.hmgetBytes('h', 'f2'), [text('v2')]);
    eq(s.hgetall('h'), { f1: 'v1b', f2: 'v2', f3: '3', f4: 'v4', f5: 'v5' });
    eq(s.hgetall('missing'), {}, 'a missing hash is an empty object');
    eq(s.hlen('h'), 5);
    eq(s.hexists('h', 'f2'), true);
    eq(s.hexists('h', 'zz'), false);
    eq(s.hkeys('h').sort(), ['f1', 'f2', 'f3', 'f4', 'f5']);
    eq(s.hvals('h').sort(), ['3', 'v1b', 'v2', 'v4', 'v5']);
    eq(s.hkeysBytes('h').length, 5);
    eq(s.hvalsBytes('h').length, 5);
    eq(s.hsetnx('h', 'f1', 'x'), false);
    eq(s.hsetnx('h', 'f6', 'x'), true);
    eq(s.hincrby('h', 'n', 5), 5);
    eq(s.hincrby('h', 'n', -7), -2);
    eq(s.hincrbyfloat('h', 'fl', 1.25), 1.25);
    throws(() => s.hincrby('h', 'f1', 1), 'ReplyError', 'hash value is not an integer');
    eq(s.hdel('h', 'f1', 'f2', 'missing'), 2);
    eq(s.hlen('h'), 6);
    eq(s.hdel('h', 'f3', 'f4', 'f5', 'f6', 'n', 'fl'), 6);
    eq(s.exists('h'), 0, 'an emptied hash ceases to exist');
    throws(() => s.hset('h', {}), 'TypeError', 'must not be empty');
    throws(() => s.hset('h', 'f'), 'TypeError', 'value');
    throws(() => s.hdel('h'), 'TypeError', 'at least one field');
  },

  hashes_odd_fields_and_bytes(MemoryStore) {
    const s = new MemoryStore();
    s.hset('h', '__proto__', 'safe');
    s.hset('h', 'constructor', 'also');
    const all = s.hgetall('h');
    eq(Object.keys(all).sort(), ['__proto__', 'constructor']);
    eq(all['__proto__'], 'safe', 'a field named __proto__ is an ordinary property');
    eq(Object.getPrototypeOf(all), Object.prototype);
    s.hset('b', bytes(255), bytes(0, 1));
    const map = s.hgetallBytes('b');
    ok(map instanceof Map, 'hgetallBytes answers a Map');
    eq([...map], [[bytes(255), bytes(0, 1)]]);
  },

  lists(MemoryStore) {
    const s = new MemoryStore();
    eq(s.rpush('l', 'a', 'b', 'c'), 3);
    eq(s.lpush('l', 'z', 'y'), 5, 'lpush of several values');
    eq(s.lrange('l', 0, -1), ['y', 'z', 'a', 'b', 'c'], 'lpush puts each value at the head in turn');
    eq(s.lrange('l', -2, -1), ['b', 'c'], 'negative indices');
    eq(s.lrange('l', 10, 20), []);
    eq(s.lrangeBytes('l', 0, 0), [text('y')]);
    eq(s.llen('l'), 5);
    eq(s.llen('missing'), 0);
    eq(s.lindex('l', -1), 'c');
    eq(s.lindex('l', 99), null);
    eq(s.lindexBytes('l', 0), text('y'));
    eq(s.lset('l', 0, 'Y'), undefined);
    throws(() => s.lset('l', 99, 'x'), 'ReplyError', 'ERR index out of range');
    eq(s.linsert('l', 'before', 'a', 'pre-a'), 6);
    eq(s.linsert('l', 'AFTER', 'a', 'post-a'), 7);
    eq(s.linsert('l', 'after', 'nope', 'x'), -1);
    eq(s.lrange('l', 0, -1), ['Y', 'z', 'pre-a', 'a', 'post-a', 'b', 'c']);
    throws(() => s.linsert('l', 'middle', 'a', 'x'), 'TypeError', "'before' or 'after'");
    eq(s.rpush('l', 'c', 'c'), 9);
    eq(s.lrem('l', -2, 'c'), 2);
    eq(s.ltrim('l', 1, -2), undefined);
    eq(s.lrange('l', 0, -1), ['z', 'pre-a', 'a', 'post-a', 'b']);
    eq(s.lpop('l'), 'z');
    eq(s.rpop('l'), 'b');
    eq(s.lpop('l', 2), ['pre-a', 'a']);
    eq(s.rpopBytes('l', 5), [text('post-a')]);
    eq(s.exists('l'), 0, 'an emptied list ceases to exist');
    eq(s.lpop('l'), null);
    eq(s.lpop('l', 3), null, 'popping a missing list with a count answers null');
    eq(s.lpushx('l', 'x'), 0, 'lpushx on a missing list');
    eq(s.rpushx('l', 'x'), 0);
    eq(s.exists('l'), 0);
    s.rpush('l', 'v');
    eq(s.rpushx('l', 'w'), 2);
    eq(s.lpushx('l', 'u'), 3);
    eq(s.lpopBytes('l'), text('u'));
    throws(() => s.lpush('l'), 'TypeError', 'at least one value');
    throws(() => s.lpop('l', -1), 'TypeError', 'negative');
  },

  wrong_types_are_reply_errors_and_change_nothing(MemoryStore) {
    const s = new MemoryStore();
    s.set('str', 'v');
    s.hset('hash', 'f', 'v');
    s.rpush('list', 'a');
    const before = dump(s);
    for (const [what, f] of [
      ['lpush on a string', () => s.lpush('str', 'x')],
      ['hset on a list', () => s.hset('list', 'f', 'v')],
      ['get on a hash', () => s.get('hash')],
      ['lrange on a hash', () => s.lrange('hash', 0, -1)],
      ['hgetall on a string', () => s.hgetall('str')],
      ['incr on a list', () => s.incr('list')],
      ['append on a hash', () => s.append('hash', 'x')],
    ]) {
      const e = throws(f, 'ReplyError', 'WRONGTYPE Operation against a key holding the wrong kind of value', what);
      eq(e.code, 'WRONGTYPE', `${what}: code`);
      ok(e instanceof Error, 'a ReplyError is an Error');
      ok(Object.getPrototypeOf(Object.getPrototypeOf(e)).constructor.name === 'HedgestoreError', 'ReplyError extends HedgestoreError');
    }
    eq(dump(s), before, 'nothing changed');
  },

  bad_arguments_are_type_errors_and_change_nothing(MemoryStore) {
    const { store: s } = manual(MemoryStore);
    s.set('k', 'v', { px: 100_000 });
    s.hset('h', 'f', 'v');
    s.rpush('l', 'a', 'b');
    const before = dump(s);
    const badValues = [undefined, null, {}, [], true, Symbol('s'), () => 1, NaN, Infinity, 1n, new Date(0), new Uint16Array(2)];
    for (const bad of badValues) {
      throws(() => s.get(bad), 'TypeError', 'get: key must be a string, a Uint8Array or a finite number');
      throws(() => s.set('k', bad), 'TypeError', 'set: value must be');
      throws(() => s.set(bad, 'v'), 'TypeError', 'set: key must be');
      throws(() => s.del('k', bad), 'TypeError', 'del: key #2');
      throws(() => s.hset('h', 'f', bad), 'TypeError', 'hset: value');
      throws(() => s.rpush('l', 'ok', bad), 'TypeError', 'rpush: value #2');
      throws(() => s.lpush(bad, 'x'), 'TypeError', 'lpush: key');
      throws(() => s.publish('c', bad), 'TypeError', 'publish: message');
    }
    // Wrong arity: missing arguments are undefined, which no argument accepts.
    throws(() => s.get(), 'TypeError', 'get: key');
    throws(() => s.set('k'), 'TypeError', 'set: value');
    throws(() => s.hget('h'), 'TypeError', 'hget: field');
    throws(() => s.lrange('l', 0), 'TypeError', 'lrange: stop');
    throws(() => s.expire('k'), 'TypeError', 'expire: time');
    throws(() => s.incrby('k'), 'TypeError', 'incrby: increment');
    throws(() => s.linsert('l', 'before', 'a'), 'TypeError', 'linsert: value');
    // Options of the wrong type.
    throws(() => s.set('k', 'v', 'nx'), 'TypeError', 'options must be an object');
    throws(() => s.set('k', 'v', { nx: 'yes' }), 'TypeError', 'option nx must be a boolean');
    throws(() => s.set('k', 'v', { nx: true, xx: true }), 'TypeError', 'exclude');
    throws(() => s.set('k', 'v', { px: '100' }), 'TypeError', 'option px');
    throws(() => s.lrange('l', '0', -1), 'TypeError', 'start must be an integer');
    throws(() => s.lrange('l', 0.5, -1), 'TypeError', 'start must be an integer');
    throws(() => s.subscribe('c', 'not a function'), 'TypeError', 'handler must be a function');
    eq(dump(s), before, 'nothing changed');
    throws(() => new MemoryStore({ evictionPolicy: 'random' }), 'TypeError', 'evictionPolicy');
    throws(() => new MemoryStore({ maxMemory: -1 }), 'TypeError', 'maxMemory');
    throws(() => new MemoryStore({ clock: 5 }), 'TypeError', 'option clock must be a function');
    throws(() => new MemoryStore('big'), 'TypeError', 'options must be an object');
  },

  async pubsub_delivers_in_a_microtask(MemoryStore) {
    const s = new MemoryStore();
    const got = [];
    const unsubscribe = s.subscribe('prices', (message, channel) => got.push([message, channel]));
    ok(typeof unsubscribe === 'function', 'subscribe answers a function');
    eq(s.publish('prices', 'EURUSD 1.08'), 1, 'publish answers the number of receivers');
    eq(s.publish('prices', 'EURUSD 1.09'), 1);
    eq(s.publish('other', 'x'), 0);
    eq(got, [], 'nothing is delivered inside publish');
    await Promise.resolve();
    await tick();
    eq(got, [['EURUSD 1.08', 'prices'], ['EURUSD 1.09', 'prices']], 'delivered in order');
    unsubscribe();
    unsubscribe();
    eq(s.publish('prices', 'late'), 0, 'no receivers after unsubscribing');
    await tick();
    eq(got.length, 2);
  },

  async pubsub_patterns_bytes_and_counts(MemoryStore) {
    const s = new MemoryStore();
    const got = [];
    const offP = s.psubscribe('news.*', (message, channel, pattern) => got.push(['p', message, channel, pattern]));
    const offB = s.subscribeBytes('news.eu', (message, channel) => got.push(['b', message, channel]));
    const offPB = s.psubscribeBytes('n*', (message, channel, pattern) => got.push(['pb', message, channel, pattern]));
    eq(s.publish('news.eu', bytes(1, 255)), 3, 'a channel and two patterns');
    eq(s.pubsubChannels(), ['news.eu']);
    eq(s.pubsubChannels('x*'), []);
    eq(s.pubsubNumsub('news.eu', 'none'), { 'news.eu': 1, none: 0 });
    eq(s.pubsubNumpat(), 2);
    await tick();
    eq(got.length, 3);
    const byKind = Object.fromEntries(got.map((g) => [g[0], g]));
    eq(byKind.p, ['p', '\u0001\ufffd', 'news.eu', 'news.*']);
    eq(byKind.b, ['b', bytes(1, 255), text('news.eu')]);
    eq(byKind.pb, ['pb', bytes(1, 255), text('news.eu'), text('n*')]);
    offP();
    offB();
    offPB();
    eq(s.pubsubNumpat(), 0);
    throws(() => s.psubscribe('[bad', () => {}), 'ReplyError', 'ERR invalid pattern');
  },

  async pubsub_handlers_are_isolated(MemoryStore) {
    const s = new MemoryStore();
    const reported = [];
    const saved = globalThis.reportError;
    globalThis.reportError = (e) => reported.push(e);
    try {
      const got = [];
      s.subscribe('c', () => {
        throw new Error('handler bug');
      });
      s.subscribe('c', (m) => {
        got.push(m);
        // Handlers may use the store, even publish (delivered in a later microtask).
        if (m === 'first') s.publish('c', 'second');
        s.set('seen', m);
      });
      eq(s.publish('c', 'first'), 2);
      await tick();
      await tick();
      eq(got, ['first', 'second'], 'the throwing handler did not stop the other');
      eq(s.get('seen'), 'second');
      eq(reported.length, 2, 'each exception was reported');
      eq(reported[0].message, 'handler bug');
    } finally {
      if (saved === undefined) delete globalThis.reportError;
      else globalThis.reportError = saved;
    }
  },

  async pubsub_unsubscribe_inside_a_handler_and_queue_bounds(MemoryStore) {
    const s = new MemoryStore({ subscriberQueueCapacity: 3 });
    const got = [];
    let off = null;
    off = s.subscribe('c', (m) => {
      got.push(m);
      off();
    });
    for (let i = 0; i < 5; i++) s.publish('c', String(i));
    await tick();
    eq(got, ['2'], 'a bounded queue keeps the newest messages; unsubscribing drops the rest');
  },

  async keyspace_events_announce_expiry(MemoryStore) {
    const { store: s, t } = manual(MemoryStore, { keyspaceEvents: true });
    const got = [];
    s.subscribe('__keyevent@0__:expired', (key) => got.push(key));
    s.set('session', 'x', { px: 10 });
    t.now += 10;
    eq(s.get('session'), null);
    await tick();
    eq(got, ['session']);
  },

  locks_with_fencing_tokens(MemoryStore) {
    const { store: s, t } = manual(MemoryStore);
    const first = s.acquireLock('orders', { ttl: 1000 });
    ok(typeof first === 'number' && first > 0, 'a token');
    eq(s.acquireLock('orders', { ttl: 1000 }), null, 'held: not re-entrant');
    eq(s.releaseLock('orders', first + 1), false, 'a wrong token releases nothing');
    eq(s.extendLock('orders', { ttl: 5000, token: first + 1 }), false);
    eq(s.extendLock('orders', { ttl: 5000, token: first }), true);
    t.now += 4999;
    eq(s.acquireLock('orders', { ttl: 1000 }), null, 'extended');
    eq(s.releaseLock('orders', first), true);
    eq(s.releaseLock('orders', first), false, 'already released');
    const second = s.acquireLock('orders', { ttl: 100 });
    ok(second > first, 'tokens grow');
    t.now += 100;
    const third = s.acquireLock('orders', { ttl: 100 });
    ok(third > second, 'an expired lock can be taken');
    eq(s.releaseLock('orders'), true, 'by name: this store holds it');
    const other = new MemoryStore({ lockOwner: 'other' });
    ok(other.acquireLock('orders', { ttl: 100 }) !== null, 'stores do not share locks');
    throws(() => s.acquireLock('x'), 'TypeError', 'option ttl (milliseconds) is required');
    throws(() => s.acquireLock('x', { ttl: 0 }), 'ReplyError', 'lock TTL');
    throws(() => s.releaseLock('x', -1), 'TypeError', 'token must be positive');
    throws(() => s.releaseLock('x', 'token'), 'TypeError', 'token must be an integer');
    eq(s.extendLock('x', { ttl: 10 }), false, 'extending a free lock');
  },

  transactions_apply_all_or_nothing(MemoryStore) {
    const s = new MemoryStore();
    const tx = s.transaction();
    const same = tx.set('a', '1').incr('n').rpush('l', 'x', 'y').hset('h', { f: 'v' }).get('a').getJson('missing');
    ok(same !== undefined, 'methods chain');
    tx.lrange('l', 0, -1);
    eq(tx.length, 7);
    eq(tx.exec(), [true, 1, 2, 1, '1', null, ['x', 'y']], 'each result shaped as its method answers');
    eq(tx.length, 0, 'empty after exec');
    s.set('word', 'abc');
    const before = dump(s);
    const bad = s.transaction().set('a', 'changed').del('l').incr('word').set('new', 'x');
    const e = throws(() => bad.exec(), 'TransactionError', 'EXECABORT command #2 (incr) failed, nothing was applied: ERR value is not an integer');
    eq(e.index, 2);
    eq(e.command, 'incr');
    eq(e.code, 'EXECABORT');
    ok(e.constructor.name === 'TransactionError' && Object.getPrototypeOf(e.constructor).name === 'ReplyError', 'TransactionError extends ReplyError');
    eq(dump(s), before, 'nothing was applied');
    const q = s.transaction().set('x', '1');
    throws(() => q.set('y'), 'TypeError', 'set: value');
    eq(q.length, 1, 'a bad argument is refused at queue time');
    q.discard();
    eq(q.length, 0);
    eq(q.exec(), []);
    eq(s.exists('x'), 0);
  },

  async transactions_publish_after_commit(MemoryStore) {
    const s = new MemoryStore();
    const got = [];
    s.subscribe('c', (m) => got.push(m));
    eq(s.transaction().publish('c', 'hello').set('k', 'v').exec(), [1, true]);
    await tick();
    eq(got, ['hello']);
  },

  memory_limits_and_eviction(MemoryStore) {
    const strict = new MemoryStore({ maxMemory: 20_000, evictionPolicy: 'noeviction' });
    let refused = null;
    let stored = 0;
    for (let i = 0; i < 1000 && refused === null; i++) {
      try {
        strict.set(`k${i}`, 'x'.repeat(100));
        stored++;
      } catch (e) {
        refused = e;
      }
    }
    ok(refused !== null, 'noeviction refuses writes when full');
    eq(refused.name, 'ReplyError');
    eq(refused.code, 'OOM');
    eq(strict.dbsize(), stored, 'the refused write stored nothing');
    eq(strict.get('k0'), 'x'.repeat(100), 'reads still work');
    const lru = new MemoryStore({ maxMemory: 20_000 });
    for (let i = 0; i < 1000; i++) lru.set(`k${i}`, 'x'.repeat(100));
    const stats = lru.stats();
    ok(stats.evicted > 0, 'allkeys-lru evicted');
    ok(stats.usedMemory <= 20_000, 'usage stays under the budget');
    eq(stats.maxMemory, 20_000);
    eq(lru.get('k999'), 'x'.repeat(100), 'the newest key survives');
  },

  stats_count_hits_and_misses(MemoryStore) {
    const s = new MemoryStore();
    s.set('a', '1');
    s.get('a');
    s.get('a');
    s.get('b');
    const st = s.stats();
    eq([st.keys, st.hits, st.misses, st.expired, st.evicted], [1, 2, 1, 0, 0]);
    ok(st.usedMemory > 0, 'memory is counted');
    eq(st.maxMemory, 1024 * 1024 * 1024, 'the default budget is 1 GiB');
  },

  clock_is_monotonic_and_validated(MemoryStore) {
    const t = { now: 10_000, value: undefined };
    const s = new MemoryStore({ clock: () => (t.value !== undefined ? t.value : t.now) });
    s.set('k', 'v', { px: 1000 });
    t.now = 5_000;
    eq(s.pttl('k'), 1000, 'a clock that goes backwards is held');
    t.value = NaN;
    eq(s.pttl('k'), 1000, 'a non-number reading keeps the previous time');
    t.value = undefined;
    t.now = 10_600;
    eq(s.pttl('k'), 400);
    let store = null;
    const caught = [];
    const reentrant = new MemoryStore({
      clock: () => {
        if (store) {
          try {
            store.dbsize();
          } catch (e) {
            caught.push(e);
          }
        }
        return 1;
      },
    });
    store = reentrant;
    eq(reentrant.set('x', 'y', { px: 10 }), true, 'the outer call still works');
    ok(caught.length > 0, 'the re-entrant call failed');
    eq(caught[0].name, 'HedgestoreError');
    ok(caught[0].message.includes('re-entrant'), 'and says why');
  },

  async free_releases_the_store(MemoryStore) {
    const s = new MemoryStore();
    s.set('k', 'v', { px: 10 });
    const off = s.subscribe('c', () => fail('delivered after free'));
    const tx = s.transaction().set('a', 'b');
    s.publish('c', 'm');
    s.free();
    const freed = 'MemoryStore: used after free(); create a new MemoryStore';
    throws(() => s.get('k'), 'HedgestoreError', freed, 'get (the string shortcut)');
    throws(() => s.get(bytes(1)), 'HedgestoreError', freed, 'get (the general path)');
    throws(() => s.set('k', 'v'), 'HedgestoreError', freed, 'set');
    throws(() => s.hset('h', { f: 'v' }), 'HedgestoreError', freed, 'hset');
    throws(() => s.subscribe('c', () => {}), 'HedgestoreError', freed, 'subscribe');
    throws(() => s.acquireLock('l', { ttl: 10 }), 'HedgestoreError', freed, 'acquireLock');
    throws(() => s.transaction(), 'HedgestoreError', freed, 'transaction');
    off();
    throws(() => tx.exec(), 'HedgestoreError', 'the store was freed');
    const live = new MemoryStore();
    throws(() => live.hget('k'), 'TypeError', 'hget: field', 'other errors pass through unchanged');
    const { get } = live;
    throws(() => get('k'), 'TypeError', '', 'an unbound method is a TypeError, as before');
    live.free();
    await sleep(30);
  },
};

Object.assign(cases, setCases, bitCases, geoCases, hashTtlCases);
Object.assign(cases, keyListCases, fastPathCases);

export function memoryCaseNames() {
  return Object.keys(cases);
}

export async function runMemoryCase(name, store) {
  const MemoryStore = store.constructor;
  store.free();
  const f = cases[name];
  if (!f) throw new Error(`no memory case named ${name}`);
  await f(MemoryStore);
}
