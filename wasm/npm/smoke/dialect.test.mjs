// The @upstash/redis dialect, proved by comparison: every case below is code written for
// `@upstash/redis` (its call signatures, its option objects), run unchanged against three
// clients, and the runner asserts that all three answer deep-equal values:
//
//   upstash  new Redis({ url, token })                       the official client (its
//            automatic (de)serialization on), pointed at hedgestore-proxy
//   remote   new RemoteStore({ url, token, dialect: 'upstash' })   the same proxy
//   memory   new MemoryStore({ dialect: 'upstash' })                the engine in wasm
//
// Each case records every call's answer; each client works under its own key prefix, so the
// three never see each other's keys (answers that contain key names are given without it).
// A second pass runs the same cases with `automaticDeserialization: false` on all three.
// Then: unknown option names are a TypeError naming them, on MemoryStore and RemoteStore.
//
// Run by scripts/test-wasm.sh from the scratch project that installed the packed tarball,
// with HEDGESTORE_TEST_PROXY_URL / HEDGESTORE_TEST_PROXY_TOKEN (the proxy it started: memory
// backend, default settings) and HEDGESTORE_UPSTASH_CLIENT (proxy/tests/upstash-client, where
// scripts/ensure-upstash-client.sh installed @upstash/redis).
//
// Left out on purpose (not a difference of the dialect):
//   * keys, flushdb, flushall: a default hedgestore-proxy refuses them (403, NOPERM) for
//     @upstash/redis and RemoteStore alike, and MemoryStore runs them (nothing to compare);
//     scan is compared instead.
//   * spop, srandmember, zrandmember, hrandfield, randomkey: random answers.
//   * expire(key, 0) / pexpire(key, 0): @upstash/redis 1.39 drops an argument that is 0
//     (`cmd.filter(Boolean)`), so the server answers "wrong number of arguments"; hedgestore
//     sends it and the key expires, as Redis does. Not imitated (a bug of that client).
//   * pipeline(): MemoryStore has none (its transaction() is compared, as multi()); the
//     pipeline of @upstash/redis and RemoteStore is compared in a test of its own.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { MemoryStore, RemoteStore } from 'hedgestore';

const url = process.env.HEDGESTORE_TEST_PROXY_URL;
const token = process.env.HEDGESTORE_TEST_PROXY_TOKEN;
const clientDir = process.env.HEDGESTORE_UPSTASH_CLIENT;
if (!url || !token || !clientDir) {
  throw new Error('HEDGESTORE_TEST_PROXY_URL, HEDGESTORE_TEST_PROXY_TOKEN and HEDGESTORE_UPSTASH_CLIENT must be set');
}
const { Redis } = createRequire(join(clientDir, 'package.json'))('@upstash/redis');

const run = `${process.pid}-${Date.now()}`;

/** The three clients, each with its key prefix. */
function clients(automaticDeserialization) {
  const flag = automaticDeserialization ? {} : { automaticDeserialization: false };
  return [
    ['@upstash/redis', new Redis({ url, token, retry: false, enableTelemetry: false, ...flag })],
    ['RemoteStore', new RemoteStore({ url, token, dialect: 'upstash', ...flag })],
    ['MemoryStore', new MemoryStore({ dialect: 'upstash', ...flag })],
  ];
}

/**
 * A call's answer, or the code of the error it failed with (`WRONGTYPE`, `ERR`): the error
 * classes differ on purpose (`UpstashError` "Command failed: WRONGTYPE …" there, hedgestore's
 * `ReplyError` with `code` here), the server's message is the same.
 */
async function attempt(f) {
  try {
    return await f();
  } catch (e) {
    if (e instanceof TypeError) throw e;
    return { error: String(e.message).replace(/^Command failed: /, '').split(' ')[0] };
  }
}

const sorted = (a) => (Array.isArray(a) ? [...a].sort() : a);
// A hash's fields come in the engine's order, which differs from key to key (as in Redis
// for hashes past the listpack size): a flat [field, value, …] answer (with
// automaticDeserialization: false) is compared as the object it lists.
const fields = (a) => (Array.isArray(a) ? Object.fromEntries(a.flatMap((v, i) => (i % 2 ? [] : [[v, a[i + 1]]]))) : a);
const between = (n, low, high) => typeof n === 'number' && n >= low && n <= high;

// Each case: (redis, k) => [answers]; k(name) is the client's key for `name`, k.strip(key)
// takes the prefix off a key it answered.
const cases = {
  'set with its options, get, getdel': async (r, k) => [
    await r.set(k('a'), 'hello'),
    await r.get(k('a')),
    await r.set(k('a'), 'other', { nx: true }),
    await r.set(k('none'), 'v', { xx: true }),
    await r.set(k('a'), 'world', { xx: true, get: true }),
    await r.set(k('a'), 'again', { get: true }),
    await r.get(k('a')),
    await r.set(k('ex'), 'v', { ex: 100 }),
    await r.ttl(k('ex')),
    await r.set(k('px'), 'v', { px: 100_000 }),
    between(await r.pttl(k('px')), 95_000, 100_000),
    await r.ttl(k('px')),
    await r.set(k('nx'), 'first', { nx: true, ex: 50 }),
    await r.ttl(k('nx')),
    await r.getdel(k('a')),
    await r.getdel(k('a')),
    await r.get(k('a')),
    await r.setex(k('setex'), 30, 'v'),
    await r.ttl(k('setex')),
    await r.setnx(k('setex'), 'w'),
    await r.setnx(k('setnx'), 'w'),
    await r.getset(k('setnx'), 'x'),
  ],

  'numbers: incr, incrby, decr, decrby, incrbyfloat': async (r, k) => [
    await r.set(k('n'), 10),
    await r.get(k('n')),
    await r.incr(k('n')),
    await r.incrby(k('n'), 5),
    await r.decr(k('n')),
    await r.decrby(k('n'), 3),
    await r.incrbyfloat(k('n'), 0.5),
    await r.get(k('n')),
    await r.incr(k('fresh')),
    await r.set(k('text'), 'abc'),
    await attempt(() => r.incr(k('text'))),
  ],

  'mset, mget, append, getrange, setrange, strlen': async (r, k) => [
    await r.mset({ [k('m1')]: 'x', [k('m2')]: 2, [k('m3')]: { a: [1, 2] } }),
    await r.mget(k('m1'), k('m2'), k('m3'), k('missing')),
    await r.append(k('s'), 'hello'),
    await r.append(k('s'), ' world'),
    await r.getrange(k('s'), 0, 4),
    await r.getrange(k('s'), -5, -1),
    await r.setrange(k('s'), 6, 'WORLD'),
    await r.get(k('s')),
    await r.strlen(k('s')),
    await r.strlen(k('missing')),
    await r.set(k('digits'), '12345'),
    await r.getrange(k('digits'), 1, 3),
    await r.msetnx({ [k('m1')]: 'y', [k('m4')]: 'z' }),
    await r.get(k('m4')),
  ],

  'JSON values round-trip as @upstash/redis (de)serializes them': async (r, k) => [
    await r.set(k('obj'), { user: 'ключ 😀', tags: ['a', 'b'], n: 1.25, nested: { ok: true } }),
    await r.get(k('obj')),
    await r.set(k('arr'), [1, 'two', null]),
    await r.get(k('arr')),
    await r.set(k('true'), true),
    await r.get(k('true')),
    await r.set(k('false'), false),
    await r.get(k('false')),
    await r.set(k('float'), 1.5),
    await r.get(k('float')),
    await r.set(k('negative'), -7),
    await r.get(k('negative')),
    await r.set(k('zeros'), '007'),
    await r.get(k('zeros')),
    await r.set(k('big'), '12345678901234567890'),
    await r.get(k('big')),
    await r.set(k('quoted'), '"quoted"'),
    await r.get(k('quoted')),
    await r.set(k('null'), 'null'),
    await r.get(k('null')),
    await r.set(k('ok'), 'OK'),
    await r.get(k('ok')),
    await r.set(k('escapes'), 'quote " backslash \\ newline \n tab \t'),
    await r.get(k('escapes')),
    await r.type(k('obj')),
  ],

  'keys: exists, del, expire, pexpire, ttl, pttl, persist, type, rename': async (r, k) => [
    await r.mset({ [k('a')]: '1', [k('b')]: '2' }),
    await r.exists(k('a'), k('b'), k('missing')),
    await r.del(k('b'), k('missing')),
    await r.expire(k('a'), 100),
    await r.ttl(k('a')),
    await r.expire(k('a'), 50, 'NX'),
    await r.expire(k('a'), 200, 'GT'),
    await r.ttl(k('a')),
    await r.pexpire(k('a'), 90_000),
    between(await r.pttl(k('a')), 85_000, 90_000),
    await r.persist(k('a')),
    await r.persist(k('a')),
    await r.ttl(k('a')),
    await r.pttl(k('a')),
    await r.ttl(k('missing')),
    await r.pttl(k('missing')),
    await r.expire(k('missing'), 10),
    await r.type(k('a')),
    await r.type(k('missing')),
    await r.rename(k('a'), k('renamed')),
    await r.exists(k('a'), k('renamed')),
    await r.get(k('renamed')),
    await attempt(() => r.rename(k('missing'), k('x'))),
    // (not `expire(key, 0)`: @upstash/redis drops a 0 argument and the server answers
    // "wrong number of arguments")
    await r.pexpire(k('renamed'), 1),
    await new Promise((resolve) => setTimeout(resolve, 20)).then(() => r.exists(k('renamed'))),
  ],

  'hashes: hset with an object, hgetall, hmget, hincrby': async (r, k) => [
    await r.hset(k('h'), { f1: 'v1', f2: 2, f3: { x: [1] } }),
    await r.hset(k('h'), { f1: 'v1b' }),
    await r.hget(k('h'), 'f1'),
    await r.hget(k('h'), 'f2'),
    await r.hget(k('h'), 'f3'),
    await r.hget(k('h'), 'nope'),
    fields(await r.hgetall(k('h'))),
    await r.hgetall(k('missing')),
    await r.hmget(k('h'), 'f1', 'nope', 'f2'),
    await r.hmget(k('h'), 'nope'),
    await r.hincrby(k('h'), 'f2', 40),
    await r.hincrby(k('h'), 'new', -3),
    await r.hincrbyfloat(k('h'), 'f2', 0.25),
    await r.hexists(k('h'), 'f1'),
    await r.hexists(k('h'), 'nope'),
    await r.hlen(k('h')),
    await r.hsetnx(k('h'), 'f1', 'again'),
    await r.hsetnx(k('h'), 'f4', 'four'),
    sorted(await r.hkeys(k('h'))),
    (await r.hvals(k('h'))).length,
    await r.hdel(k('h'), 'f1', 'nope'),
    await r.hstrlen(k('h'), 'f4'),
    await r.hmset(k('h2'), { a: 1, b: 'two' }),
    fields(await r.hgetall(k('h2'))),
    await attempt(() => r.lpush(k('h2'), 'x')),
  ],

  'lists': async (r, k) => [
    await r.rpush(k('l'), 'a', 'b', 3, { o: 1 }),
    await r.lpush(k('l'), 'z'),
    await r.lrange(k('l'), 0, -1),
    await r.llen(k('l')),
    await r.lindex(k('l'), -1),
    await r.lindex(k('l'), 99),
    await r.lpop(k('l')),
    await r.rpop(k('l')),
    await r.lpop(k('l'), 2),
    await r.lset(k('l'), 0, 'x'),
    await r.linsert(k('l'), 'before', 'x', 'w'),
    await r.linsert(k('l'), 'after', 'x', 'y'),
    await r.lrange(k('l'), 0, -1),
    await r.lrem(k('l'), 0, 'w'),
    await r.lpos(k('l'), 'y'),
    await r.ltrim(k('l'), 0, 0),
    await r.lrange(k('l'), 0, -1),
    await r.lpop(k('missing')),
    await r.lpop(k('missing'), 2),
    await r.lrange(k('missing'), 0, -1),
    await r.lpushx(k('missing'), 'v'),
    await r.rpushx(k('l'), 'tail'),
    await r.rpop(k('l'), 5),
  ],

  'sets': async (r, k) => [
    await r.sadd(k('s'), 'a', 'b', 'c'),
    await r.sadd(k('s'), 'a'),
    await r.sadd(k('t'), 'b', 'c', 'd'),
    await r.sismember(k('s'), 'a'),
    await r.sismember(k('s'), 'x'),
    await r.smismember(k('s'), ['a', 'x', 'c']),
    await r.scard(k('s')),
    sorted(await r.smembers(k('s'))),
    sorted(await r.sinter(k('s'), k('t'))),
    sorted(await r.sunion(k('s'), k('t'))),
    sorted(await r.sdiff(k('s'), k('t'))),
    await r.sinterstore(k('i'), k('s'), k('t')),
    await r.smove(k('s'), k('t'), 'a'),
    await r.srem(k('s'), 'b', 'x'),
    sorted(await r.smembers(k('s'))),
    await r.smembers(k('missing')),
    await r.sadd(k('nums'), 1, 2),
    sorted(await r.smembers(k('nums'))),
  ],

  'sorted sets: zadd with options, zrange with options': async (r, k) => [
    await r.zadd(k('z'), { score: 1, member: 'a' }, { score: 2, member: 'b' }),
    await r.zadd(k('z'), { nx: true }, { score: 5, member: 'a' }, { score: 3, member: 'c' }),
    await r.zadd(k('z'), { ch: true }, { score: 10, member: 'a' }, { score: 2, member: 'b' }),
    await r.zadd(k('z'), { xx: true, incr: true }, { score: 1.5, member: 'a' }),
    await r.zadd(k('z'), { gt: true, ch: true }, { score: 1, member: 'c' }),
    await r.zscore(k('z'), 'a'),
    await r.zscore(k('z'), 'nope'),
    await r.zrange(k('z'), 0, -1),
    await r.zrange(k('z'), 0, -1, { withScores: true }),
    await r.zrange(k('z'), 0, 5, { byScore: true }),
    await r.zrange(k('z'), '+inf', '-inf', { byScore: true, rev: true, offset: 0, count: 2 }),
    await r.zrange(k('z'), '(2', '+inf', { byScore: true, withScores: true }),
    await r.zrange(k('z'), 0, 0, { rev: true }),
    await r.zrank(k('z'), 'c'),
    await r.zrevrank(k('z'), 'c'),
    await r.zrank(k('z'), 'nope'),
    await r.zcard(k('z')),
    await r.zcount(k('z'), 0, 5),
    await r.zincrby(k('z'), 2, 'b'),
    await r.zmscore(k('z'), ['a', 'nope']),
    await r.zrem(k('z'), 'c', 'nope'),
    await r.zpopmin(k('z')),
    await r.zpopmax(k('z'), 5),
    await r.zpopmin(k('missing')),
    await r.zadd(k('lex'), { score: 0, member: 'a' }, { score: 0, member: 'b' }, { score: 0, member: 'c' }),
    await r.zrange(k('lex'), '[b', '+', { byLex: true }),
    await r.zlexcount(k('lex'), '-', '(c'),
    await r.zremrangebyrank(k('lex'), 0, 0),
    await r.zadd(k('n'), { score: 1, member: 42 }),
    await r.zrange(k('n'), 0, -1, { withScores: true }),
  ],

  'scan with match and count; sscan, hscan, zscan': async (r, k) => {
    const keys = {};
    for (let i = 0; i < 12; i++) keys[k(`scan:${i}`)] = String(i);
    await r.mset(keys);
    await r.set(k('other'), 'x');
    // Cursors depend on the whole keyspace (the proxy's holds every client's keys): compare
    // the page's form and what a full iteration finds.
    const scanAll = async (match) => {
      const seen = [];
      const forms = new Set();
      let cursor = 0;
      for (let pages = 0; pages < 10_000; pages++) {
        const page = await r.scan(cursor, { match, count: 1000 });
        forms.add(JSON.stringify([Array.isArray(page), page.length, typeof page[0], Array.isArray(page[1])]));
        cursor = page[0];
        seen.push(...page[1].map(k.strip));
        if (String(cursor) === '0') break;
      }
      return [[...forms], String(cursor), seen.sort()];
    };
    await r.sadd(k('s'), 'a', 'b', 1);
    await r.hset(k('h'), { f: 'v', n: 1 });
    await r.zadd(k('z'), { score: 1, member: 'a' }, { score: 2.5, member: 'b' });
    const sscan = await r.sscan(k('s'), 0, { match: '*', count: 100 });
    const hscan = await r.hscan(k('h'), 0, { count: 100 });
    return [
      await scanAll(k('scan:*')),
      await scanAll(k('nothing:*')),
      [typeof sscan[0], String(sscan[0]), sorted(sscan[1].map(String))],
      [typeof hscan[0], String(hscan[0]), hscan[1].length],
      await r.zscan(k('z'), 0, { match: '*' }),
    ];
  },

  'more: mget of an array, getex, copy, renamenx, lmove, bits, geo, publish, echo': async (r, k) => [
    await r.mset({ [k('a')]: 1, [k('b')]: 'two' }),
    await r.mget([k('a'), k('b'), k('missing')]),
    await r.getex(k('a'), { ex: 100 }),
    await r.ttl(k('a')),
    await r.getex(k('a'), { persist: true }),
    await r.ttl(k('a')),
    await r.copy(k('a'), k('copy')),
    await r.copy(k('a'), k('copy')),
    await r.copy(k('b'), k('copy'), { replace: true }),
    await r.get(k('copy')),
    await r.renamenx(k('copy'), k('a')),
    await r.renamenx(k('copy'), k('c')),
    await r.rpush(k('l'), 'x', 'y'),
    await r.lmove(k('l'), k('m'), 'left', 'right'),
    await r.lrange(k('m'), 0, -1),
    await r.setbit(k('bits'), 7, 1),
    await r.getbit(k('bits'), 7),
    await r.bitcount(k('bits')),
    await r.geoadd(k('geo'), { longitude: 13.361389, latitude: 38.115556, member: 'Palermo' }, { longitude: 15.087269, latitude: 37.502669, member: 'Catania' }),
    await r.geopos(k('geo'), 'Palermo', 'nowhere'),
    await r.geodist(k('geo'), 'Palermo', 'Catania', 'KM'),
    await r.geohash(k('geo'), 'Palermo'),
    await r.publish(k('channel'), { event: 'x' }),
    await r.echo('hello'),
    await r.ping(),
    await r.del(k('a'), k('b'), k('c'), k('l'), k('m'), k('bits'), k('geo')),
  ],

  'multi(): a transaction answers as its commands do': async (r, k) => {
    const t = r.multi();
    t.set(k('b'), 2);
    t.get(k('b'));
    return [
      await r
        .multi()
        .set(k('a'), { x: 1 })
        .get(k('a'))
        .incr(k('n'))
        .hset(k('h'), { f: 1 })
        .hgetall(k('h'))
        .hmget(k('h'), 'f', 'g')
        .zadd(k('z'), { score: 1, member: 'm' })
        .zrange(k('z'), 0, -1, { withScores: true })
        .exec(),
      await t.exec(),
      await r.get(k('b')),
    ];
  },

  'errors: wrong types and bad arguments': async (r, k) => [
    await r.set(k('s'), 'v'),
    await attempt(() => r.lpush(k('s'), 'x')),
    await attempt(() => r.hgetall(k('s'))),
    await attempt(() => r.zadd(k('s'), { score: 1, member: 'a' })),
    await attempt(() => r.incrbyfloat(k('s'), 1)),
    await r.get(k('s')),
  ],
};

/** The answers of `cases[name]` from each client, by client name. */
async function answersOf(name, automatic) {
  const out = {};
  for (const [client, redis] of clients(automatic)) {
    const prefix = `dialect:${run}:${automatic ? 'auto' : 'raw'}:${client}:${name}:`;
    const k = (key) => prefix + key;
    k.strip = (key) => (typeof key === 'string' && key.startsWith(prefix) ? key.slice(prefix.length) : key);
    out[client] = await cases[name](redis, k);
    if (typeof redis.free === 'function') redis.free();
  }
  return out;
}

for (const automatic of [true, false]) {
  for (const name of Object.keys(cases)) {
    test(`dialect (automaticDeserialization: ${automatic}): ${name}`, async () => {
      const answers = await answersOf(name, automatic);
      const expected = answers['@upstash/redis'];
      assert.ok(Array.isArray(expected) && expected.length > 0);
      for (const client of ['RemoteStore', 'MemoryStore']) {
        assert.deepStrictEqual(answers[client], expected, `${client} answered otherwise than @upstash/redis`);
      }
    });
  }
}

test('dialect: pipeline() answers as its commands do (RemoteStore beside @upstash/redis; MemoryStore has no pipeline)', async () => {
  const answers = [];
  for (const [client, redis] of clients(true).slice(0, 2)) {
    const k = (key) => `dialect:${run}:pipeline:${client}:${key}`;
    const p = redis.pipeline();
    p.set(k('a'), { list: [1, 2] });
    p.get(k('a'));
    p.mset({ [k('b')]: 'x', [k('c')]: 3 });
    p.mget(k('b'), k('c'));
    p.expire(k('a'), 100, 'NX');
    p.ttl(k('a'));
    answers.push(await p.exec());
    answers.push(await redis.pipeline().incr(k('c')).hset(k('h'), { f: true }).hgetall(k('h')).exec());
  }
  assert.deepStrictEqual(answers.slice(2), answers.slice(0, 2));
  assert.deepStrictEqual(answers[0], ['OK', { list: [1, 2] }, 'OK', ['x', 3], 1, 100]);
});

test('dialect: the runner tells answers apart (a changed answer fails the comparison)', async () => {
  // The comparison is deepStrictEqual on the answers: a number where the client answers a
  // string, 'OK' where it answers true, or a different TTL are all failures.
  const answers = await answersOf('set with its options, get, getdel', true);
  const changed = structuredClone(answers.MemoryStore);
  changed[0] = true;
  assert.throws(() => assert.deepStrictEqual(changed, answers['@upstash/redis']));
  const numbers = await answersOf('numbers: incr, incrby, decr, decrby, incrbyfloat', true);
  assert.equal(numbers.MemoryStore[1], 10, 'get of a stored number answers a number');
  assert.equal(numbers.RemoteStore[6], 12.5);
});

test('dialect: unknown option names are a TypeError naming them (MemoryStore, RemoteStore)', async () => {
  const memory = new MemoryStore({ dialect: 'upstash' });
  const remote = new RemoteStore({ url, token, dialect: 'upstash' });
  const k = `dialect:${run}:options:`;
  const calls = [
    [(r) => r.set(`${k}a`, 'v', { tll: 5 }), /set: unknown option tll/],
    [(r) => r.set(`${k}a`, 'v', { ex: 5, nxx: true }), /set: unknown option nxx/],
    [(r) => r.set(`${k}a`, 'v', { ttl: 5 }), /unknown option ttl/],
    [(r) => r.zrange(`${k}z`, 0, -1, { withscores: true }), /zrange: unknown option withscores/],
    [(r) => r.zadd(`${k}z`, { nx: true, chh: true }, { score: 1, member: 'a' }), /zadd: unknown option chh/],
    [(r) => r.scan(0, { mach: '*' }), /scan: unknown option mach/],
    [(r) => r.getex(`${k}a`, { exx: 1 }), /getex: unknown option exx/],
  ];
  for (const [call, message] of calls) {
    assert.throws(() => call(memory), (e) => e instanceof TypeError && message.test(e.message));
    await assert.rejects(Promise.resolve().then(() => call(remote)), (e) => e instanceof TypeError && message.test(e.message));
  }
  // Nothing was stored by the refused calls.
  assert.equal(memory.get(`${k}a`), null);
  assert.equal(await remote.get(`${k}a`), null);
  // The constructors check theirs too.
  assert.throws(() => new MemoryStore({ dialect: 'upstash', automaticDeserialisation: false }), (e) => e instanceof TypeError && /automaticDeserialisation/.test(e.message));
  assert.throws(() => new RemoteStore({ url, token, dialekt: 'upstash' }), (e) => e instanceof TypeError && /dialekt/.test(e.message));
  assert.throws(() => new MemoryStore({ dialect: 'ioredis' }), (e) => e instanceof TypeError && /dialect must be 'upstash' or 'hedgestore'/.test(e.message));
  memory.free();
  remote.free();
});

test('dialect: hedgestore\'s own values stay the default, and the get/set shortcut still serves it', () => {
  const own = new MemoryStore();
  const upstash = new MemoryStore({ dialect: 'upstash' });
  assert.equal(own.set('n', '10'), true);
  assert.equal(own.get('n'), '10');
  assert.equal(upstash.set('n', '10'), 'OK');
  assert.equal(upstash.get('n'), 10);
  assert.deepEqual(own.hmget('missing', 'a'), [null]);
  assert.equal(upstash.hmget('missing', 'a'), null);
  own.free();
  upstash.free();
});
