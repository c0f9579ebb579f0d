// The installed package through `require` (CommonJS), as a Node user loads it.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const hedgestore = require('hedgestore');

const { MemoryStore, RemoteStore, ReplyError, HedgestoreError, TransactionError, NetworkError } = hedgestore;

test('require: MemoryStore works and errors are the exported classes', () => {
  const store = new MemoryStore({ maxMemory: 1 << 20 });
  assert.equal(store.set('k', 'v', { ex: 60 }), true);
  assert.equal(store.ttl('k'), 60);
  assert.ok(store.pttl('k') > 59_000 && store.pttl('k') <= 60_000);
  assert.throws(() => store.set('k', 'v', { tll: 5 }), (e) => e instanceof TypeError && /unknown option tll/.test(e.message));
  assert.equal(store.set('k', 'v', { px: 60_000, get: true }), 'v');
  assert.equal(store.get('k'), 'v');
  assert.equal(store.del('k', 'missing'), 1);
  assert.equal(store.rpush('l', 'a', 'b'), 2);
  assert.deepEqual(store.lrange('l', 0, -1), ['a', 'b']);
  assert.throws(() => store.hset('l', 'f', 'v'), (e) => e instanceof ReplyError && e instanceof HedgestoreError && e.code === 'WRONGTYPE');
  assert.throws(() => store.transaction().set('a', '1').incr('l').exec(), TransactionError);
  assert.equal(store.get('a'), null);
  assert.throws(() => store.get({}), TypeError);
  store.free();
  assert.throws(() => store.get('k'), (e) => e instanceof HedgestoreError && e.message === 'MemoryStore: used after free(); create a new MemoryStore');
});

test('require: import and require share one instance', async () => {
  const esm = await import('hedgestore');
  assert.equal(esm.MemoryStore, MemoryStore);
  assert.equal(esm.ReplyError, ReplyError);
});

test('require: RemoteStore against hedgestore-proxy', { skip: !process.env.HEDGESTORE_TEST_PROXY_URL && 'no proxy' }, async () => {
  const store = new RemoteStore({ url: process.env.HEDGESTORE_TEST_PROXY_URL, token: process.env.HEDGESTORE_TEST_PROXY_TOKEN });
  const key = `smoke:cjs:${Date.now()}:${Math.random()}`;
  assert.equal(await store.set(key, 'v'), true);
  assert.equal(await store.get(key), 'v');
  await assert.rejects(store.lpush(key, 'x'), (e) => e instanceof ReplyError && e.status === 400);
  const offline = new RemoteStore({ url: 'http://127.0.0.1:9', token: 't', retry: false, timeout: 2000 });
  await assert.rejects(offline.get(key), (e) => e instanceof NetworkError && e.message.startsWith('cannot reach http://127.0.0.1:9: '));
});
