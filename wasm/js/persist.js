// A persisted MemoryStore's I/O: its command log in IndexedDB. What goes into the log (the
// record format of hedgestore-core's `log` module, the same bytes native storage writes to
// its append-only file), when it is compacted and how it is replayed is Rust's
// (src/bindings/memory/persist.rs); this file only keeps bytes, in order, in the background.
//
// The database `hedgestore:<name>` holds one object store, `log`, of Uint8Array chunks under
// increasing integer keys; the chunks in key order, concatenated, are the log: a header, then
// records. Each chunk is written by one IndexedDB transaction, so it lands whole or not at
// all, and one transaction is in flight at a time, so a chunk is never kept while an earlier
// one is lost. A rewrite (compaction) clears the store and puts the snapshot in one
// transaction.
//
// One store at a time owns a name: within this page or worker by a set of open names, and
// across tabs and workers of the origin with the Web Locks API (`navigator.locks`) where the
// host has it.
//
// Kept to `import {…} from`, `export function` and `export class` declarations: the package
// build rewrites this file into CommonJS for Node's `require` (see
// scripts/build-wasm-package.sh).

import { HedgestoreError } from './errors.js';

const open = new Set();

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function describe(e) {
  return e && e.name && e.message ? `${e.name}: ${e.message}` : String(e);
}

/**
 * Takes the origin-wide lock on `name` (Web Locks), answering the function that releases it,
 * or null when another store holds it. Without Web Locks (Node has none), a no-op.
 */
function exclusive(name) {
  const locks = globalThis.navigator && globalThis.navigator.locks;
  if (!locks || typeof locks.request !== 'function') return Promise.resolve(() => {});
  return new Promise((resolve, reject) => {
    locks
      .request(`hedgestore:${name}`, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(null);
          return undefined;
        }
        return new Promise((release) => resolve(release));
      })
      .catch(reject);
  });
}

/**
 * Opens the log of the persisted store `name`: takes the name, opens (or creates) its
 * database and reads every chunk. Rejects with a HedgestoreError that says why it cannot.
 */
export function openLog(name) {
  const method = 'MemoryStore.open';
  if (!globalThis.indexedDB) {
    return Promise.reject(
      new HedgestoreError(`${method}: option persist needs IndexedDB, which this host does not have (browsers and their workers do; Node, Deno and edge workers do not)`),
    );
  }
  if (open.has(name)) {
    return Promise.reject(new HedgestoreError(`${method}: the persisted store '${name}' is already open here; close() it first`));
  }
  open.add(name);
  let release = null;
  let db = null;
  return exclusive(name)
    .then((r) => {
      if (!r) throw new HedgestoreError(`${method}: the persisted store '${name}' is open in another tab or worker; close() it there first`);
      release = r;
      const opening = indexedDB.open(`hedgestore:${name}`, 1);
      opening.onupgradeneeded = () => opening.result.createObjectStore('log');
      return request(opening);
    })
    .then((d) => {
      db = d;
      const store = db.transaction('log', 'readonly').objectStore('log');
      return Promise.all([request(store.getAllKeys()), request(store.getAll())]);
    })
    .then(([keys, chunks]) => {
      let length = 0;
      for (const c of chunks) length += c.byteLength;
      const bytes = new Uint8Array(length);
      let at = 0;
      for (const c of chunks) {
        bytes.set(new Uint8Array(c.buffer ?? c, c.byteOffset ?? 0, c.byteLength), at);
        at += c.byteLength;
      }
      const next = keys.length ? keys[keys.length - 1] + 1 : 0;
      return new PersistLog(name, db, release, bytes, next);
    })
    .catch((e) => {
      if (db) db.close();
      if (release) release();
      open.delete(name);
      if (e instanceof HedgestoreError) throw e;
      throw new HedgestoreError(`${method}: cannot read the persisted store '${name}' from IndexedDB (${describe(e)})`, { cause: e });
    });
}

/** An open log: appends and rewrites in the background, one transaction at a time. */
export class PersistLog {
  constructor(name, db, release, bytes, next) {
    this.name = name;
    this.db = db;
    this.release = release;
    this.bytes = bytes;
    this.next = next;
    this.pending = [];
    this.snapshot = null;
    this.enqueued = 0;
    this.committed = 0;
    this.writing = false;
    this.scheduled = false;
    this.failed = null;
    this.waiters = [];
    this.closing = null;
    db.onversionchange = () => {
      db.close();
      this.fail(new Error('the database was deleted or upgraded elsewhere'));
    };
  }

  /** The log as read at open (once; the reference is dropped). */
  takeBytes() {
    const bytes = this.bytes;
    this.bytes = null;
    return bytes;
  }

  /** Throws the error that stopped persisting, if one did: writes are refused from then on. */
  check() {
    if (this.failed) throw this.failed;
  }

  /** Queues `bytes` (records; a view into wasm memory, so copied) to be appended. */
  append(bytes) {
    this.pending.push(bytes.slice());
    this.enqueued++;
    this.schedule();
  }

  /** Queues a rewrite: the log becomes `bytes` (a header and records), replacing everything
   * appended or queued before. */
  rewrite(bytes) {
    this.snapshot = bytes.slice();
    this.pending = [];
    this.enqueued++;
    this.schedule();
  }

  /** Resolves once everything queued so far is committed; rejects if persisting failed. */
  flush() {
    if (this.failed) return Promise.reject(this.failed);
    if (this.committed >= this.enqueued) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ upTo: this.enqueued, resolve, reject }));
  }

  /** Flushes, then closes the database and gives up the name. Idempotent. */
  close() {
    if (!this.closing) {
      const done = () => {
        this.db.close();
        this.release();
        open.delete(this.name);
      };
      this.closing = this.flush().then(done, (e) => {
        done();
        throw e;
      });
    }
    return this.closing;
  }

  /** close() for a store that was freed: nobody waits, so a failure is only reported. */
  closeQuietly() {
    this.close().catch((e) => console.error(e));
  }

  schedule() {
    if (this.scheduled || this.writing || this.failed) return;
    this.scheduled = true;
    // A microtask later: every write of the current synchronous run goes into one chunk.
    queueMicrotask(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  pump() {
    if (this.writing || this.failed) return;
    const snapshot = this.snapshot;
    const pending = this.pending;
    if (!snapshot && !pending.length) return;
    this.snapshot = null;
    this.pending = [];
    const upTo = this.enqueued;
    let tx;
    try {
      tx = this.db.transaction('log', 'readwrite');
      const store = tx.objectStore('log');
      if (snapshot) store.clear();
      for (const chunk of snapshot ? [snapshot, ...pending] : [concat(pending)]) store.put(chunk, this.next++);
    } catch (e) {
      this.fail(e);
      return;
    }
    this.writing = true;
    tx.oncomplete = () => {
      this.writing = false;
      this.committed = upTo;
      this.waiters = this.waiters.filter((w) => (w.upTo <= upTo ? (w.resolve(), false) : true));
      this.pump();
    };
    tx.onabort = () => {
      this.writing = false;
      this.fail(tx.error || new Error('the transaction was aborted'));
    };
  }

  fail(e) {
    if (this.failed) return;
    this.failed = new HedgestoreError(
      `MemoryStore: persisting to IndexedDB '${this.name}' failed (${describe(e)}); writes are refused from now on, reads still work`,
      { cause: e },
    );
    this.pending = [];
    this.snapshot = null;
    for (const w of this.waiters) w.reject(this.failed);
    this.waiters = [];
  }
}

function concat(chunks) {
  if (chunks.length === 1) return chunks[0];
  let length = 0;
  for (const c of chunks) length += c.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
