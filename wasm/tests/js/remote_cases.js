// RemoteStore end to end, against a real hedgestore-proxy (memory backend) that
// scripts/test-wasm.sh starts; the same cases run in Node, a Chromium page and a Chromium
// worker. Every case works under its own key prefix, so runs never see each other's keys.

import { eq, ok, rejects, sleep, text, bytes, throws } from './assert.js';

let counter = 0;

function setup(RemoteStore, config, options = {}) {
  const prefix = `${config.prefix}:${++counter}:`;
  const store = new RemoteStore({ url: config.url, token: config.token, ...options });
  return { store, k: (name) => prefix + name, prefix };
}

async function until(what, f, ms = 3000) {
  const end = Date.now() + ms;
  for (;;) {
    if (await f()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export const cases = {
  async remote_strings(RemoteStore, config) {
    const { store: s, k } = setup(RemoteStore, config);
    eq(await s.get(k('missing')), null);
    eq(await s.set(k('a'), 'héllo 😀'), true);
    eq(await s.get(k('a')), 'héllo 😀');
    eq(await s.getBytes(k('a')), text('héllo 😀'));
    eq(await s.set(k('a'), 'x', { nx: true }), false);
    eq(await s.set(k('n'), 41), true);
    eq(await s.incr(k('n')), 42);
    eq(await s.incrby(k('n'), -2n), 40);
    eq(await s.incrbyfloat(k('n'), 0.5), 40.5);
    eq(await s.mset({ [k('m1')]: '1', [k('m2')]: '2' }), undefined);
    eq(await s.mget(k('m1'), k('m2'), k('none')), ['1', '2', null]);
    eq(await s.setJson(k('doc'), { a: [1, 2], b: 'c' }), true);
    eq(await s.getJson(k('doc')), { a: [1, 2], b: 'c' });
    eq(await s.getex(k('m1'), { ex: 100 }), '1');
    ok((await s.ttl(k('m1'))) > 90, 'getex ex set the TTL');
    eq(await s.getdel(k('m1')), '1');
    eq(await s.exists(k('m1'), k('m2'), k('m2')), 2);
    eq(await s.del(k('m1'), k('m2'), k('a')), 2);
    eq(await s.append(k('ap'), 'ab'), 2);
    eq(await s.strlen(k('ap')), 2);
    eq(await s.type(k('ap')), 'string');
    eq(await s.ping(), 'PONG');
  },

  async remote_sets_and_sorted_sets(RemoteStore, config) {
    const { store: s, k } = setup(RemoteStore, config);
    eq(await s.sadd(k('s'), 'a', 'b'), 2);
    eq(await s.smismember(k('s'), ['a', 'x']), [true, false]);
    eq((await s.sscan(k('s'), 0)).members.sort(), ['a', 'b']);
    eq(await s.zadd(k('z'), { score: 1, member: 'a' }, { score: 2.5, member: 'b' }), 2);
    eq(await s.zadd(k('z'), { incr: true }, { score: 1, member: 'a' }), 2);
    eq(await s.zscore(k('z'), 'b'), 2.5);
    eq(await s.zrange(k('z'), 0, -1, { withScores: true }), ['a', 2, 'b', 2.5]);
    eq(await s.zrange(k('z'), '(2', '+inf', { byScore: true }), ['b']);
    eq(await s.zrank(k('z'), 'x'), null);
    eq(await s.zpopmax(k('z')), ['b', 2.5]);
    const tx = s.transaction();
    tx.zincrby(k('z'), 1, 'a').zmscore(k('z'), ['a', 'x']).setex(k('e'), 100, 'v');
    eq(await tx.exec(), [3, [3, null], undefined], 'queued commands answer as the methods do');
    eq(await s.getrange(k('e'), 0, 0), 'v');
  },

  async remote_values_that_look_like_protocol_words(RemoteStore, config) {
    const { store: s, k } = setup(RemoteStore, config);
    await s.set(k('ok'), 'OK');
    eq(await s.get(k('ok')), 'OK', 'a stored "OK" is a value, not the status');
    await s.set(k('b64'), 'aGk=');
    eq(await s.get(k('b64')), 'aGk=', 'values are not base64-decoded twice');
    await s.set(k('json'), '{"result":1}');
    eq(await s.get(k('json')), '{"result":1}');
    await s.set(k('nl'), 'line1\nline2\u0000end');
    eq(await s.get(k('nl')), 'line1\nline2\u0000end');
  },

  async remote_hashes_and_lists(RemoteStore, config) {
    const { store: s, k } = setup(RemoteStore, config);
    eq(await s.hset(k('h'), { f1: 'v1', f2: 2 }), 2);
    eq(await s.hset(k('h'), 'f3', 'v3'), 1);
    eq(await s.hget(k('h'), 'f2'), '2');
    eq(await s.hgetall(k('h')), { f1: 'v1', f2: '2', f3: 'v3' });
    eq(await s.hgetallBytes(k('h')).then((m) => m.size), 3);
    eq(await s.hmget(k('h'), 'f1', 'x'), ['v1', null]);
    eq(await s.hincrby(k('h'), 'f2', 3), 5);
    eq(await s.hdel(k('h'), 'f1', 'f3'), 2);
    eq(await s.hlen(k('h')), 1);
    eq(await s.hexists(k('h'), 'f2'), true);
    eq(await s.rpush(k('l'), 'a', 'b', 'c'), 3);
    eq(await s.lpush(k('l'), 'z'), 4);
    eq(await s.lrange(k('l'), 0, -1), ['z', 'a', 'b', 'c']);
    eq(await s.lpop(k('l'), 2), ['z', 'a']);
    eq(await s.rpop(k('l')), 'c');
    eq(await s.llen(k('l')), 1);
    eq(await s.lindex(k('l'), 0), 'b');
    eq(await s.linsert(k('l'), 'before', 'b', 'a'), 2);
    eq(await s.lrangeBytes(k('l'), 0, -1), [text('a'), text('b')]);
  },

  async remote_expiry(RemoteStore, config) {
    const { store: s, k } = setup(RemoteStore, config);
    eq(await s.set(k('t'), 'v', { px: 60_000 }), true);
    eq(await s.set(k('ex'), 'a', { ex: 30 }), true, 'ex: seconds');
    eq(await s.ttl(k('ex')), 30);
    eq(await s.set(k('ex'), 'b', { get: true, keepTtl: true }), 'a', 'get: the previous value');
    eq(await s.pttl(k('ex')) > 29_000, true, 'keepTtl');
    await rejects(s.set(k('ex'), 'c', { ttl: 5 }), 'TypeError', 'set: unknown option ttl');
    eq(await s.get(k('ex')), 'b', 'nothing was sent');
    throws(() => new RemoteStore({ url: config.url, token: config.token, timout: 5 }), 'TypeError', 'RemoteStore: unknown option timout');
    const pttl = await s.pttl(k('t'));
    ok(pttl > 55_000 && pttl <= 60_000, `pttl ${pttl}`);
    eq(await s.ttl(k('t')), 60);
    eq(await s.ttl(k('missing')), -2);
    eq(await s.persist(k('t')), true);
    eq(await s.ttl(k('t')), -1);
    eq(await s.pexpire(k('t'), 40), true);
    await sleep(80);
    eq(await s.get(k('t')), null, 'expired on the server');
    eq(await s.expire(k('t'), 10), false);
  },

  async remote_errors_carry_the_servers_message(RemoteStore, config) {
    const { store: s, k } = setup(RemoteStore, config);
    await s.set(k('str'), 'v');
    const e = await rejects(s.lpush(k('str'), 'x'), 'ReplyError', 'WRONGTYPE Operation against a key holding the wrong kind of value');
    eq(e.code, 'WRONGTYPE');
    eq(e.status, 400);
    await rejects(s.incr(k('str')), 'ReplyError', 'ERR value is not an integer or out of range');
    eq(await s.get(k('str')), 'v', 'the failed commands changed nothing');
    await rejects(s.get(), 'TypeError', 'get: key', 'bad arguments reject, they do not throw');
    await rejects(s.set(k('bin'), bytes(0xff, 0xfe)), 'TypeError', 'not valid UTF-8');
    eq(await s.exists(k('bin')), 0, 'nothing was sent');
    const wrong = new RemoteStore({ url: config.url, token: 'wrong-token' });
    const auth = await rejects(wrong.get(k('str')), 'ReplyError', '401: wrong token: ERR unauthorized');
    eq(auth.status, 401);
    eq(auth.code, 'WRONGTOKEN');
    // hedgestore-proxy's 504s (proxy/src/response.rs): a write whose outcome is unknown and
    // a read that timed out carry their own codes, told apart from each other and from ERR.
    const answering = (text) => async () => new Response(JSON.stringify({ error: text }), { status: 504 });
    const unknown = new RemoteStore({ url: config.url, token: config.token, retry: false, fetch: answering('OUTCOMEUNKNOWN storage: no answer from Redis; the write may have been applied') });
    const u = await rejects(unknown.set(k('x'), 'v'), 'ReplyError', 'OUTCOMEUNKNOWN storage: no answer');
    eq([u.code, u.status], ['OUTCOMEUNKNOWN', 504]);
    const slow = new RemoteStore({ url: config.url, token: config.token, retry: false, fetch: answering('TIMEOUT storage: no answer from Redis') });
    const t = await rejects(slow.get(k('x')), 'ReplyError', 'TIMEOUT storage');
    eq([t.code, t.status], ['TIMEOUT', 504]);
    const freed = new RemoteStore({ url: config.url, token: config.token });
    freed.free();
    const f = freed.get(k('str'));
    ok(f instanceof Promise, 'a freed RemoteStore rejects, it does not throw');
    await rejects(f, 'HedgestoreError', 'RemoteStore: used after free(); create a new RemoteStore');
  },

  async remote_locks_with_fencing_tokens_through_the_proxy(RemoteStore, config) {
    const { store: s, k } = setup(RemoteStore, config);
    const other = new RemoteStore({ url: config.url, token: config.token });
    const first = await s.acquireLock(k('job'), { ttl: 60_000 });
    ok(Number.isSafeInteger(first) && first > 0, `a fencing token (${first})`);
    eq(await other.acquireLock(k('job'), { ttl: 60_000 }), null, 'held: another client does not get it');
    eq(await other.releaseLock(k('job'), first + 1000), false, 'a token that does not hold it releases nothing');
    eq(await s.releaseLock(k('job'), first), true);
    eq(await s.releaseLock(k('job'), first), false, 'released once');
    const second = await other.acquireLock(k('job'), { ttl: 100 });
    ok(second > first, `tokens grow with every acquisition (${first}, then ${second})`);
    await sleep(150);
    const third = await s.acquireLock(k('job'), { ttl: 60_000 });
    ok(third > second, 'an expired lock is acquired again, with a larger token');
    eq(await other.releaseLock(k('job'), second), false, 'the expired holder cannot release the new one');
    await s.releaseLock(k('job'), third);
    await rejects(s.releaseLock(k('job')), 'TypeError', 'RemoteStore needs the lock\'s token', 'no release by name');
    await rejects(s.acquireLock(k('job'), { ttl: 0 }), 'ReplyError', '', 'a zero TTL');
    await rejects(s.acquireLock(k('job'), {}), 'TypeError', 'option ttl (milliseconds) is required');
    await rejects(s.acquireLock(k('job'), { tll: 5 }), 'TypeError', 'unknown option tll');
    const upstash = new RemoteStore({ url: config.url, token: config.token, fetch: async () => new Response(JSON.stringify({ error: 'ERR not found' }), { status: 404 }) });
    await rejects(upstash.acquireLock(k('job'), { ttl: 10 }), 'ReplyError', 'this endpoint has no locks (they need hedgestore-proxy)');
    eq(typeof s.extendLock, 'undefined', 'no extendLock remotely');
  },

  async remote_network_failures_are_network_errors(RemoteStore, config) {
    // A port nothing listens on (the proxy's own port + 1 is not guaranteed free, so use a
    // fetch that fails the way a refused connection does).
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new TypeError('fetch failed');
    };
    const down = new RemoteStore({ url: config.url, token: config.token, fetch: failing, retry: { retries: 2, minDelay: 1, maxDelay: 5 } });
    const e = await rejects(down.get('k'), 'NetworkError', 'fetch failed');
    ok(e.cause instanceof TypeError, 'the cause is kept');
    eq(calls, 3, 'a read is retried');
    calls = 0;
    await rejects(down.set('k', 'v'), 'NetworkError', 'fetch failed');
    eq(calls, 1, 'a write is sent once');
    calls = 0;
    const noRetry = new RemoteStore({ url: config.url, token: config.token, fetch: failing, retry: false });
    await rejects(noRetry.get('k'), 'NetworkError');
    eq(calls, 1, 'retry: false');
    const hanging = new RemoteStore({ url: config.url, token: config.token, fetch: () => new Promise(() => {}), timeout: 50, retry: false });
    await rejects(hanging.get('k'), 'NetworkError', 'within 50 ms');
    // A real failed connection: the message names the cause, not only "fetch failed" /
    // "Failed to fetch". In Node, a port that was just closed (connection refused); in a
    // page or worker, port 9, which browsers refuse outright, as they refuse a CORS failure.
    if (typeof location === 'object') {
      const refused = new RemoteStore({ url: 'http://127.0.0.1:9', token: 't', retry: false, timeout: 5000 });
      const r = await rejects(refused.get('k'), 'NetworkError', 'cannot reach http://127.0.0.1:9: ');
      ok(r.message.includes(`CORS: origin not allowed: http://127.0.0.1:9 must allow ${location.origin}`), r.message);
      ok(r.message.includes('HEDGESTORE_PROXY_CORS_ORIGINS'), r.message);
    } else {
      const net = await import('node:net');
      const server = net.createServer();
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = server.address().port;
      await new Promise((resolve) => server.close(resolve));
      const refused = new RemoteStore({ url: `http://127.0.0.1:${port}`, token: 't', retry: false, timeout: 5000 });
      const r = await rejects(refused.get('k'), 'NetworkError', `cannot reach http://127.0.0.1:${port}: ECONNREFUSED (connection refused`);
      eq(r.code, 'ECONNREFUSED', r.message);
    }
    const timedOut = await rejects(hanging.get('k'), 'NetworkError');
    eq(timedOut.code, 'TIMEOUT');
    const html = new RemoteStore({ url: config.url, token: config.token, retry: false, fetch: async () => new Response('<html>bad gateway</html>', { status: 502 }) });
    const bad = await rejects(html.get('k'), 'NetworkError', 'HTTP 502');
    eq(bad.status, 502);
  },

  async remote_retries_recover_reads(RemoteStore, config) {
    const { k } = setup(RemoteStore, config);
    let calls = 0;
    const flaky = (url, init) => {
      calls++;
      if (calls <= 2) return Promise.reject(new TypeError('connection reset'));
      return fetch(url, init);
    };
    const s = new RemoteStore({ url: config.url, token: config.token, fetch: flaky, retry: { retries: 3, minDelay: 1, maxDelay: 5 } });
    eq(await s.get(k('nothing')), null);
    eq(calls, 3, 'two failures, then the answer');
  },

  async remote_pipeline(RemoteStore, config) {
    const { store: s, k } = setup(RemoteStore, config);
    const p = s.pipeline();
    p.set(k('a'), '1').incr(k('n')).get(k('a')).hset(k('h'), 'f', 'v').hgetall(k('h'));
    eq(p.length, 5);
    eq(await p.exec(), [true, 1, '1', 1, { f: 'v' }]);
    eq(p.length, 0);
    eq(await s.pipeline().exec(), [], 'an empty pipeline sends nothing');
    const partial = s.pipeline().set(k('b'), 'x').lpush(k('b'), 'y').set(k('c'), 'z');
    const e = await rejects(partial.exec(), 'PipelineError', '1 of 3 commands failed; the first, #1 (lpush): WRONGTYPE');
    eq(e.results.length, 3);
    eq(e.results[0], true);
    eq(e.results[1].name, 'ReplyError');
    eq(e.results[2], true);
    eq(await s.get(k('c')), 'z', 'a pipeline is not atomic: the other commands applied');
  },

  async remote_transaction_is_all_or_nothing(RemoteStore, config) {
    const { store: s, k } = setup(RemoteStore, config);
    eq(await s.transaction().set(k('a'), '1').incr(k('n')).lrange(k('l'), 0, -1).exec(), [true, 1, []]);
    await s.set(k('word'), 'abc');
    const tx = s.transaction().set(k('a'), 'changed').incr(k('word')).set(k('new'), 'x');
    const e = await rejects(tx.exec(), 'TransactionError', 'incr');
    eq(e.index, 1);
    eq(e.command, 'incr');
    eq(await s.get(k('a')), '1', 'nothing was applied');
    eq(await s.exists(k('new')), 0);
  },

  async remote_subscribe_over_server_sent_events(RemoteStore, config) {
    const { store: s, k } = setup(RemoteStore, config);
    const got = [];
    const unsubscribe = await s.subscribe(k('chan'), (message, channel) => got.push([message, channel]));
    ok(typeof unsubscribe === 'function', 'resolves to an unsubscribe function');
    const gotP = [];
    const offP = await s.psubscribe(k('p.*'), (message, channel, pattern) => gotP.push([message, channel, pattern]));
    eq(await s.publish(k('chan'), 'hello, world'), 1);
    eq(await s.publish(k('chan'), 'line1\nline2'), 1);
    eq(await s.publish(k('p.x'), 'via pattern'), 1);
    await until('messages', () => got.length === 2 && gotP.length === 1);
    eq(got, [['hello, world', k('chan')], ['line1\nline2', k('chan')]]);
    eq(gotP, [['via pattern', k('p.x'), k('p.*')]]);
    unsubscribe();
    offP();
    await until('the server to drop the subscription', async () => (await s.publish(k('chan'), 'late')) === 0);
    await sleep(50);
    eq(got.length, 2, 'nothing after unsubscribing');
    await rejects(s.subscribe(k('x'), 'nope'), 'TypeError', 'handler must be a function');
    await rejects(s.subscribe(k('x'), () => {}, { onErorr: () => {} }), 'TypeError', 'subscribe: unknown option onErorr');
  },

  async remote_proxy_refuses_administrative_commands_by_default(RemoteStore, config) {
    // What the npm README promises: a default hedgestore-proxy (no HEDGESTORE_PROXY_ALLOW)
    // refuses KEYS and FLUSHDB with 403 NOPERM, and says how to allow them.
    const { store: s, k } = setup(RemoteStore, config);
    await s.set(k('kept'), 'v');
    const keys = await rejects(s.keys('*'), 'ReplyError', 'NOPERM');
    eq([keys.code, keys.status], ['NOPERM', 403]);
    ok(keys.message.toUpperCase().includes('HEDGESTORE_PROXY_ALLOW=KEYS'), keys.message);
    await rejects(s.flushdb(), 'ReplyError', 'NOPERM');
    eq(await s.get(k('kept')), 'v', 'nothing was flushed');
    const page = await s.scan(0, { match: k('*'), count: 100 });
    ok(Array.isArray(page.keys), 'scan is the way to list keys');
  },

  async remote_subscribe_times_out_without_confirmation(RemoteStore, config) {
    // A server that accepts the request and then says nothing (a stuck proxy, a buffering
    // middlebox): the subscription rejects after `timeout`, instead of pending forever.
    let aborted = false;
    const silent = async (url, init) => {
      init.signal.addEventListener('abort', () => (aborted = true));
      return new Response(new ReadableStream({ start() {} }), { status: 200, headers: { 'content-type': 'text/event-stream' } });
    };
    const s = new RemoteStore({ url: config.url, token: config.token, fetch: silent, timeout: 100 });
    const started = Date.now();
    const e = await rejects(s.subscribe('c', () => {}), 'NetworkError', 'was not confirmed by');
    eq(e.code, 'TIMEOUT');
    ok(Date.now() - started < 2000, 'rejected at the timeout');
    ok(aborted, 'the request was aborted');
  },

  async remote_subscribe_reconnects_and_reports_through_callbacks(RemoteStore, config) {
    const { store: publisher, k } = setup(RemoteStore, config);
    // Real streams from the proxy, each of which the test can break as a network would.
    const streams = [];
    const breakable = async (url, init) => {
      const response = await fetch(url, init);
      if (!url.includes('subscribe/')) return response;
      const reader = response.body.getReader();
      let controller;
      const body = new ReadableStream({
        start(c) {
          controller = c;
        },
        async pull(c) {
          try {
            const { done, value } = await reader.read();
            if (done) c.close();
            else c.enqueue(value);
          } catch {}
        },
        cancel() {
          return reader.cancel();
        },
      });
      streams.push((error) => {
        controller.error(error);
        reader.cancel().catch(() => {});
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    const s = new RemoteStore({ url: config.url, token: config.token, fetch: breakable, retry: { minDelay: 10, maxDelay: 50 } });
    const got = [];
    const errors = [];
    const closes = [];
    const off = await s.subscribe(k('re'), (m) => got.push(m), { onError: (e) => errors.push(e), onClose: (e) => closes.push(e) });
    eq(await publisher.publish(k('re'), 'one'), 1);
    await until('the first message', () => got.length === 1);
    streams[0](new TypeError('connection reset by peer'));
    await until('the failure to be reported', () => errors.length === 1);
    eq(errors[0].name, 'NetworkError');
    ok(errors[0].message.includes('connection reset by peer'), errors[0].message);
    // Messages published while no stream is open are lost (as in Redis pub/sub), so publish
    // until one arrives through the reopened stream.
    await until(
      'a message through the reopened stream',
      async () => {
        await publisher.publish(k('re'), 'two');
        await sleep(20);
        return got.includes('two');
      },
      10_000,
    );
    eq(streams.length, 2, 'one new stream');
    eq(closes, [], 'not closed while reconnecting');
    off();
    eq(closes, [undefined], 'onClose after unsubscribe, without an error');
    off();
    eq(closes.length, 1, 'once');

    // reconnect: false ends the subscription at the first failure.
    const once = [];
    const ended = [];
    await s.subscribe(k('once'), (m) => once.push(m), { reconnect: false, onClose: (e) => ended.push(e) });
    streams[2](new TypeError('gone'));
    await until('onClose with the failure', () => ended.length === 1);
    eq(ended[0].name, 'NetworkError');
    await sleep(100);
    eq(streams.length, 3, 'no reconnection');
    eq(ended.length, 1, 'onClose once');
  },
};

export function remoteCaseNames() {
  return Object.keys(cases);
}

export async function runRemoteCase(name, store, url, token, prefix) {
  const RemoteStore = store.constructor;
  store.free();
  const f = cases[name];
  if (!f) throw new Error(`no remote case named ${name}`);
  await f(RemoteStore, { url, token, prefix });
}
