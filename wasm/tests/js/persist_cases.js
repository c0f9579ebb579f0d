// MemoryStore persisted to IndexedDB (`await MemoryStore.open({ persist })`), in a Chromium
// page and a Chromium worker (tests/browser.rs, tests/worker.rs); in Node, which has no
// IndexedDB, only that it says so (tests/node.rs). Reopening a name in the same page is what
// a reload does to the store; the package's smoke test also reloads a real page
// (wasm/npm/smoke/browser.test.mjs).
//
// Each case uses its own database name, and reads or damages the database directly where it
// checks the stored format: the chunks under integer keys in object store `log` of database
// `hedgestore:<name>` are, concatenated, the native append-only log's bytes.

import { eq, fail, ok, rejects, sleep, throws } from './assert.js';

const HEADER = [0x48, 0x53, 0x41, 0x4f, 0x46, 0x0d, 0x0a, 0x01]; // "HSAOF\r\n" + version 1

function unique(what) {
  return `test-${what}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
}

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function database(name) {
  const opening = indexedDB.open(`hedgestore:${name}`, 1);
  opening.onupgradeneeded = () => fail(`database hedgestore:${name} did not exist`);
  return request(opening);
}

/** The stored log: every chunk, in key order, concatenated; and how many chunks. */
async function stored(name) {
  const db = await database(name);
  try {
    const chunks = await request(db.transaction('log').objectStore('log').getAll());
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return { bytes: out, chunks: chunks.length };
  } finally {
    db.close();
  }
}

/** Appends `bytes` to the stored log as one more chunk, as a torn or damaged write would. */
async function appendRaw(name, bytes) {
  const db = await database(name);
  try {
    const tx = db.transaction('log', 'readwrite');
    const store = tx.objectStore('log');
    const keys = await request(store.getAllKeys());
    store.put(bytes, keys[keys.length - 1] + 1);
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

async function remove(name) {
  await request(indexedDB.deleteDatabase(`hedgestore:${name}`));
}

/** The records of a log (header excluded), each as its commands' arguments (strings). */
function records(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = [];
  let at = HEADER.length;
  while (at < bytes.length) {
    const len = view.getUint32(at, true);
    let p = at + 8;
    const count = view.getUint32(p, true);
    p += 4;
    const commands = [];
    for (let i = 0; i < count; i++) {
      const argc = view.getUint32(p, true);
      p += 4;
      const args = [];
      for (let j = 0; j < argc; j++) {
        const n = view.getUint32(p, true);
        p += 4;
        args.push(new TextDecoder().decode(bytes.subarray(p, p + n)));
        p += n;
      }
      commands.push(args);
    }
    eq(p, at + 8 + len, 'a record ends where its length says');
    out.push(commands);
    at = p;
  }
  return out;
}

export const persistCases = {
  async persisted_store_survives_reopening(MemoryStore) {
    const name = unique('reopen');
    const a = await MemoryStore.open({ persist: name });
    eq(a.dbsize(), 0, 'a new name starts empty');
    a.set('plain', 'v');
    a.set('ttl', 'v', { px: 60_000 });
    a.set(new Uint8Array([0, 255]), new Uint8Array([1, 2, 3]));
    a.incr('n');
    a.incrby('n', 4);
    a.incrbyfloat('f', 1.5);
    a.hset('h', { a: '1', b: '2' });
    a.hdel('h', 'b');
    a.expire('h', 100);
    a.rpush('l', 'x', 'y', 'z');
    a.lpop('l');
    a.sadd('rand', 'p', 'q', 'r');
    const popped = a.spop('rand');
    a.zadd('z', { score: 2, member: 'two' }, { score: 1, member: 'one' });
    a.zincrby('z', 5, 'one');
    a.set('soon', 'x', { px: 40 });
    a.set('deleted', 'x');
    a.del('deleted');
    eq(a.transaction().set('tx', '1').incr('txn').exec(), [true, 1], 'a transaction');
    a.get('plain'); // reads are not logged
    const closed = a.close();
    throws(() => a.get('plain'), 'HedgestoreError', 'used after free()', 'a closed store');
    await closed;
    await sleep(60); // 'soon' expires while nothing holds the store

    const b = await MemoryStore.open({ persist: name });
    eq(b.get('plain'), 'v');
    const pttl = b.pttl('ttl');
    ok(pttl > 50_000 && pttl <= 60_000, `the TTL is kept in wall-clock time (pttl ${pttl})`);
    eq(b.getBytes(new Uint8Array([0, 255])), new Uint8Array([1, 2, 3]), 'binary key and value');
    eq(b.get('n'), '5');
    eq(b.get('f'), '1.5');
    eq(b.hgetall('h'), { a: '1' });
    const ttl = b.ttl('h');
    ok(ttl >= 99 && ttl <= 100, `EXPIRE is kept as an absolute time (ttl ${ttl})`);
    eq(b.lrange('l', 0, -1), ['y', 'z']);
    eq(b.sismember('rand', popped), false, 'SPOP is logged as the removal of what it popped');
    eq(b.scard('rand'), 2);
    eq(b.zrange('z', 0, -1, { withScores: true }), ['two', 2, 'one', 6]);
    eq(b.get('soon'), null, 'a key whose time passed while closed is gone');
    eq(b.exists('deleted'), 0);
    eq([b.get('tx'), b.get('txn')], ['1', '1']);
    eq(b.dbsize(), 11);
    b.set('plain', 'again');
    await b.close();
    const c = await MemoryStore.open({ persist: name });
    eq(c.get('plain'), 'again', 'writes after a reopen are logged too');
    await c.close();
    await remove(name);
  },

  async persisted_store_loads_before_use_and_is_exclusive(MemoryStore) {
    const name = unique('exclusive');
    throws(() => new MemoryStore({ persist: name }), 'TypeError', 'await MemoryStore.open({ persist', 'the constructor cannot load');
    await rejects(Promise.resolve().then(() => MemoryStore.open({ persist: name, persits: 1 })), 'TypeError', 'unknown option persits');
    await rejects(Promise.resolve().then(() => MemoryStore.open({ persist: { name, rewriteMin: 5 } })), 'TypeError', 'option persist must be a name or { name, rewriteMinBytes }');
    await rejects(Promise.resolve().then(() => MemoryStore.open({ persist: '' })), 'TypeError', 'non-empty name');
    await rejects(Promise.resolve().then(() => MemoryStore.open({ persist: 5 })), 'TypeError', 'option persist must be a name');
    const plain = await MemoryStore.open({ maxMemory: 1 << 20 });
    plain.set('k', 'v');
    await plain.flush();
    await plain.close();

    const a = await MemoryStore.open({ persist: { name, rewriteMinBytes: 1 << 16 } });
    a.set('k', 'v');
    await rejects(MemoryStore.open({ persist: name }), 'HedgestoreError', `'${name}' is already open`, 'a second store on the name');
    await a.flush();
    a.free(); // without close(): the name is given up once the writes are stored
    let b;
    for (let i = 0; i < 50 && !b; i++) {
      try {
        b = await MemoryStore.open({ persist: name });
      } catch (e) {
        if (!String(e.message).includes('already open')) throw e;
        await sleep(10);
      }
    }
    ok(b, 'the name is free again after free()');
    eq(b.get('k'), 'v');
    await b.close();
    await remove(name);
  },

  async persisted_log_is_the_native_record_format(MemoryStore) {
    const name = unique('format');
    const s = await MemoryStore.open({ persist: name });
    const before = Date.now();
    s.set('k', 'v', { px: 1000 });
    s.transaction().hset('h', { f: 'v' }).expire('h', 10).exec();
    s.get('k');
    await s.flush();
    const { bytes } = await stored(name);
    eq(Array.from(bytes.subarray(0, 8)), HEADER, 'the header: HSAOF\\r\\n and version 1');
    const logged = records(bytes);
    eq(logged.length, 2, 'one record per write call, a transaction is one record, reads none');
    const [[set], [hset, expire]] = logged;
    eq(set.slice(0, 4), ['SET', 'k', 'v', 'PXAT'], 'a relative TTL is logged as an absolute time');
    const at = Number(set[4]);
    // The store's clock is Date.now() advanced by performance.now(): a few ms either way.
    ok(at >= before + 1000 - 5 && at <= Date.now() + 1000 + 5, `PXAT ${at} is now + 1000 (${before})`);
    eq(hset, ['HSET', 'h', 'f', 'v']);
    eq(expire.slice(0, 2), ['PEXPIREAT', 'h']);
    // The checksum covers the payload: flip one payload byte of the last record.
    const damaged = bytes.slice();
    damaged[damaged.length - 1] ^= 0xff;
    await s.close();
    const db = await database(name);
    const tx = db.transaction('log', 'readwrite');
    tx.objectStore('log').clear();
    tx.objectStore('log').put(damaged, 0);
    await new Promise((resolve) => (tx.oncomplete = resolve));
    db.close();
    const again = await MemoryStore.open({ persist: name });
    eq(again.get('k'), 'v', 'the record before the damaged one');
    eq(again.exists('h'), 0, 'the damaged transaction is not applied, not even in part');
    await again.close();
    await remove(name);
  },

  async persisted_log_drops_a_torn_or_corrupt_tail(MemoryStore) {
    const name = unique('tail');
    const a = await MemoryStore.open({ persist: name });
    a.set('a', '1');
    a.set('b', '2');
    await a.close();
    const good = (await stored(name)).bytes.length;
    // A record cut short: a head announcing 100 payload bytes, then 3.
    await appendRaw(name, new Uint8Array([100, 0, 0, 0, 1, 2, 3, 4, 9, 9, 9]));
    const warnings = [];
    const warn = console.warn;
    console.warn = (m) => warnings.push(String(m));
    let b;
    try {
      b = await MemoryStore.open({ persist: name });
    } finally {
      console.warn = warn;
    }
    eq([b.get('a'), b.get('b')], ['1', '2'], 'the valid prefix is replayed');
    ok(warnings.some((w) => w.includes('a record cut short') && w.includes('11 bytes were dropped')), `a warning names the loss: ${warnings}`);
    await b.flush();
    const after = await stored(name);
    eq(after.chunks, 1, 'the log was rewritten from what was read');
    ok(after.bytes.length <= good, 'without the torn tail');
    b.set('c', '3');
    await b.close();
    const c = await MemoryStore.open({ persist: name });
    eq(c.mget('a', 'b', 'c'), ['1', '2', '3']);
    await c.close();

    // Not a hedgestore log: refused, and left as it is.
    const db = await database(name);
    const tx = db.transaction('log', 'readwrite');
    tx.objectStore('log').clear();
    tx.objectStore('log').put(new TextEncoder().encode('something else'), 0);
    await new Promise((resolve) => (tx.oncomplete = resolve));
    db.close();
    await rejects(MemoryStore.open({ persist: name }), 'HedgestoreError', 'does not hold a hedgestore log');
    eq(new TextDecoder().decode((await stored(name)).bytes), 'something else', 'left as it is');
    await remove(name);
  },

  async persisted_log_is_compacted(MemoryStore) {
    const name = unique('compact');
    const s = await MemoryStore.open({ persist: { name, rewriteMinBytes: 4096 } });
    for (let i = 0; i < 2000; i++) s.set('counter', String(i));
    s.set('other', 'x', { px: 60_000 });
    await s.flush();
    const { bytes } = await stored(name);
    ok(bytes.length < 8192, `2000 overwrites are compacted to under 8 KiB (${bytes.length} bytes; about 60 KB unrewritten)`);
    eq(Array.from(bytes.subarray(0, 8)), HEADER, 'a rewritten log is a log');
    await s.close();
    const again = await MemoryStore.open({ persist: name });
    eq(again.get('counter'), '1999');
    ok(again.pttl('other') > 50_000, 'the TTL survives the rewrite');
    await again.close();
    await remove(name);
  },

  async persisted_writes_are_refused_once_indexeddb_fails(MemoryStore) {
    const name = unique('fail');
    const s = await MemoryStore.open({ persist: name });
    s.set('k', 'v');
    await s.flush();
    await remove(name); // deleting the database under the store stops it persisting
    throws(() => s.set('k', 'w'), 'HedgestoreError', `persisting to IndexedDB '${name}' failed`, 'a write after the failure');
    throws(() => s.hset('h', { f: 'v' }), 'HedgestoreError', 'writes are refused', 'on the general path too');
    eq(s.get('k'), 'v', 'the refused write was not applied; reads still work');
    await rejects(s.flush(), 'HedgestoreError', 'failed');
    s.free();
  },
};

export function persistCaseNames() {
  return Object.keys(persistCases);
}

export async function runPersistCase(name, store) {
  const MemoryStore = store.constructor;
  store.free();
  const f = persistCases[name];
  if (!f) throw new Error(`no persist case named ${name}`);
  await f(MemoryStore);
}

/** Node: no IndexedDB, and `open` says so instead of failing later. */
export async function persistNeedsIndexedDb(store) {
  const MemoryStore = store.constructor;
  store.free();
  ok(typeof indexedDB === 'undefined', 'this host has no IndexedDB');
  await rejects(MemoryStore.open({ persist: 'x' }), 'HedgestoreError', 'option persist needs IndexedDB, which this host does not have');
  const s = await MemoryStore.open({});
  s.set('k', 'v');
  eq(s.get('k'), 'v', 'without persist, open is a plain store');
  await s.flush();
  await s.close();
}
