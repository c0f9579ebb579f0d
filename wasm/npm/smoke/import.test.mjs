// The installed package through `import` (ES modules): the Node entry, and the web build
// loaded by hand (`hedgestore/web` + initSync), as a worker or a custom loader would.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { MemoryStore, RemoteStore, ReplyError, PipelineError } from 'hedgestore';
import init, { init as namedInit, initSync, MemoryStore as WebMemoryStore, ReplyError as WebReplyError } from 'hedgestore/web';

test('import: MemoryStore with pub/sub, locks and stats', async () => {
  const store = new MemoryStore();
  const got = [];
  const off = store.subscribe('ch', (message, channel) => got.push([message, channel]));
  assert.equal(store.publish('ch', 'hello'), 1);
  assert.deepEqual(got, []);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(got, [['hello', 'ch']]);
  off();
  const token = store.acquireLock('job', { ttl: 1000 });
  assert.equal(typeof token, 'number');
  assert.equal(store.acquireLock('job', { ttl: 1000 }), null);
  assert.equal(store.releaseLock('job', token), true);
  store.setJson('doc', { a: [1, 2] });
  assert.deepEqual(store.getJson('doc'), { a: [1, 2] });
  assert.deepEqual(store.getBytes('doc'), new TextEncoder().encode('{"a":[1,2]}'));
  assert.equal(store.stats().keys, 1);
});

test('import: the web build, initialized through its default export', async () => {
  assert.equal(typeof init, 'function');
  assert.equal(init, namedInit, '`init` is also a named export');
  const require = createRequire(import.meta.url);
  const wasmPath = require.resolve('hedgestore/web/hedgestore_wasm_bg.wasm');
  await init({ module_or_path: await readFile(wasmPath) });
  initSync({ module: await readFile(wasmPath) }); // after init: already instantiated, a no-op
  const store = new WebMemoryStore();
  assert.equal(store.hset('h', { f: 'v' }), 1);
  assert.deepEqual(store.hgetall('h'), { f: 'v' });
  assert.throws(() => store.lpush('h', 'x'), WebReplyError);
  assert.notEqual(WebMemoryStore, MemoryStore, 'a separate build');
});

test('import: RemoteStore pipeline against hedgestore-proxy', { skip: !process.env.HEDGESTORE_TEST_PROXY_URL && 'no proxy' }, async () => {
  const store = new RemoteStore({ url: process.env.HEDGESTORE_TEST_PROXY_URL, token: process.env.HEDGESTORE_TEST_PROXY_TOKEN });
  const key = `smoke:esm:${Date.now()}:${Math.random()}`;
  assert.deepEqual(await store.pipeline().set(key, '1').incr(key).get(key).exec(), [true, 2, '2']);
  await assert.rejects(store.pipeline().lpush(key, 'x').exec(), PipelineError);
  await assert.rejects(store.incr(`${key}:missing`).then(() => store.lpush(`${key}:missing`, 'x')), ReplyError);
});

test('import: the package ships one .wasm, shared by every entry', async () => {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('hedgestore/package.json'));
  const wasm = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.wasm'));
  assert.deepEqual(wasm, [join('bundler', 'hedgestore_wasm_bg.wasm')]);
  assert.equal(require.resolve('hedgestore/web/hedgestore_wasm_bg.wasm'), join(root, wasm[0]), 'the documented path maps to it');
});
