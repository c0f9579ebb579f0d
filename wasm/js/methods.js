// Installs the command methods on a class's prototype: each one packs its arguments and
// calls the class's single wasm export `__command(id, args)` (see src/bindings/commands.rs:
// one export per class instead of one per method keeps the binary small).
//
// With `fast`, `get` and `set` take a shortcut for the common case of string keys and values
// (and a `px` or `ex` option): through a scratch buffer to dedicated exports, without packing
// arguments into an array (see fast.js). Anything else (bytes, numbers, other options, bad
// arguments) takes the general path, which also reports the errors.
//
// Every method also turns wasm-bindgen's "null pointer passed to rust" after `free()` into a
// HedgestoreError that says so.
//
// Kept to `import {…} from` and `export function` declarations: the package build rewrites
// this file into CommonJS for Node's `require` (see scripts/build-wasm-package.sh).

import { HedgestoreError } from './errors.js';
import { fastGet, fastSet } from './fast.js';

const installed = new WeakSet();

export function installCommandMethods(prototype, names, fast, asynchronous) {
  if (installed.has(prototype)) return;
  installed.add(prototype);
  // wasm-bindgen's own methods (free aside): `subscribe`, `acquireLock`, `exec`, ….
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const d = Object.getOwnPropertyDescriptor(prototype, name);
    if (name === 'constructor' || name === 'free' || name.startsWith('__') || typeof d.value !== 'function') continue;
    if (names.includes(name)) continue;
    const inner = d.value;
    d.value = {
      [name](...args) {
        try {
          // A builder of a store in @upstash/redis's dialect answers in it too (below).
          if (name === 'exec' && this[QUEUE]) return execInDialect(this, inner, args);
          if (name === 'discard' && this[QUEUE]) this[QUEUE].length = 0;
          const result = inner.apply(this, args);
          if (name === 'pipeline' || name === 'transaction') builderInDialect(dialectOf(this), result, []);
          return result;
        } catch (e) {
          return afterFree(this, e, false);
        }
      },
    }[name];
    Object.defineProperty(prototype, name, d);
  }
  if (typeof prototype.transaction === 'function') {
    Object.defineProperty(prototype, 'multi', {
      value: function multi() {
        if (dialectOf(this) === 0) {
          throw new TypeError("multi: @upstash/redis's name for transaction(), with dialect: 'upstash' only");
        }
        return this.transaction();
      },
      writable: true,
      configurable: true,
    });
  }
  names.forEach((name, id) => {
    let method = {
      [name](...args) {
        try {
          const d = dialectOf(this);
          if (d !== 0) return upstashCall(this, id, name, args, d, asynchronous);
          return this.__command(id, args);
        } catch (e) {
          return afterFree(this, e, asynchronous);
        }
      },
    }[name];
    if (fast && (name === 'get' || name === 'set')) {
      const general = method;
      const onFailure = (store, e) => afterFree(store, e, false);
      const shortcut = name === 'get' ? fastGet(id, onFailure) : fastSet(id, onFailure);
      // The shortcut once the store is known to speak hedgestore's dialect (the first call
      // takes the general path, which asks).
      method =
        name === 'get'
          ? function get(key) {
              return this[DIALECT] === 0 ? shortcut.call(this, key) : general.apply(this, arguments);
            }
          : function set(key, value, options) {
              return this[DIALECT] === 0 ? shortcut.call(this, key, value, options) : general.apply(this, arguments);
            };
    }
    Object.defineProperty(prototype, name, { value: method, writable: true, configurable: true });
  });
}

/**
 * What a call that threw `e` throws (or, for RemoteStore, rejects with): after `free()`
 * wasm-bindgen's glue hands Rust a null pointer ("null pointer passed to rust"), which says
 * nothing to a JavaScript developer; this names the mistake instead.
 */
function afterFree(object, e, asynchronous) {
  if (object != null && object.__wbg_ptr === 0) {
    const name = object.constructor.name;
    e = new HedgestoreError(`${name}: used after free(); create a new ${name}`);
  }
  if (asynchronous) return Promise.reject(e);
  throw e;
}

// ---------------------------------------------------------------------------------------
// The dialect of `@upstash/redis` (`new MemoryStore({ dialect: 'upstash' })`, the same for
// RemoteStore): the command methods take that client's arguments and answer its values, so
// code written for it runs on a hedgestore store by changing the constructor.
//
// * Arguments: values that are neither strings, numbers nor bytes (objects, arrays,
//   booleans) are stored as JSON text, as that client's serializer sends them; `expire`'s
//   condition is its string (`'NX'`), not an options object.
// * Answers: Rust answers the reply as it is (`RAW` in the method id: `Shape::Any`, what
//   a Redis REST endpoint sends: `'OK'`, integers, strings, nulls, arrays), and the same
//   deserializers as `@upstash/redis` 1.x read it: every string that is JSON is parsed
//   (`'15.5'` → 15.5, `'{"a":1}'` → an object) unless it is a number that would not read
//   back the same; `hgetall` and `hmget` answer objects (null when empty); the scans answer
//   `[cursor, items]`. With `automaticDeserialization: false` the reply is answered as it is.
// * Pipelines and transactions: a builder from a store in the dialect queues raw replies too,
//   and its `exec()` reads each as the method would; `multi()` is that client's name for
//   `transaction()`.

const RAW = 1 << 16;
// The store's dialect, asked from Rust once per store: 0 hedgestore, 1 @upstash/redis, 2 the
// latter without automatic deserialization.
const DIALECT = Symbol('hedgestore dialect');

function dialectOf(store) {
  let d = store[DIALECT];
  if (d === undefined) {
    d = typeof store.__upstash === 'function' ? store.__upstash() : 0;
    store[DIALECT] = d;
  }
  return d;
}

// @upstash/redis's serializer: strings and numbers (and here bytes) as they are, anything
// else as JSON (booleans as `true`/`false`, as the REST endpoint reads a JSON boolean).
function serialize(v) {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || v instanceof Uint8Array) return v;
  if (typeof v === 'boolean') return String(v);
  if (v === undefined) return v;
  return JSON.stringify(v);
}

function serializeValues(object) {
  if (object === null || typeof object !== 'object' || Array.isArray(object) || object instanceof Map) return object;
  const out = {};
  for (const [k, v] of Object.entries(object)) out[k] = serialize(v);
  return out;
}

// The argument positions holding values, per method (`rest`: that one and all after it).
const at = (...positions) => (args) => args.map((v, i) => (positions.includes(i) ? serialize(v) : v));
const from = (first) => (args) => args.map((v, i) => (i >= first ? serialize(v) : v));
// `expire(key, seconds, 'NX')` → hedgestore's `{ nx: true }`.
const condition = (args) => {
  const [key, time, option] = args;
  if (typeof option !== 'string') return args;
  return [key, time, { [option.toLowerCase()]: true }];
};
const scored = (args) =>
  args.map((v, i) =>
    i >= 1 && v !== null && typeof v === 'object' && 'member' in v ? { ...v, member: serialize(v.member) } : v,
  );

const ARGUMENTS = {
  mget: (args) => (Array.isArray(args[0]) ? args[0] : args),
  set: at(1),
  setnx: at(1),
  getset: at(1),
  setex: at(2),
  psetex: at(2),
  append: at(1),
  setrange: at(2),
  mset: (args) => [serializeValues(args[0])],
  msetnx: (args) => [serializeValues(args[0])],
  hset: (args) => (args.length === 2 ? [args[0], serializeValues(args[1])] : at(2)(args)),
  hmset: (args) => [args[0], serializeValues(args[1])],
  hsetnx: at(2),
  lpush: from(1),
  rpush: from(1),
  lpushx: from(1),
  rpushx: from(1),
  lset: at(2),
  linsert: at(2, 3),
  lrem: at(2),
  lpos: at(1),
  sadd: from(1),
  srem: from(1),
  sismember: at(1),
  smismember: (args) => [args[0], Array.isArray(args[1]) ? args[1].map(serialize) : args[1]],
  smove: at(2),
  zadd: scored,
  zscore: at(1),
  zrank: at(1),
  zrevrank: at(1),
  zincrby: at(2),
  zrem: from(1),
  publish: at(1),
  expire: condition,
  pexpire: condition,
  expireat: condition,
  pexpireat: condition,
};

// @upstash/redis's `parseResponse`: JSON-parses strings (recursively in arrays), except
// numbers whose text would not read back the same (large integers stay strings).
function parseRecursive(obj) {
  const parsed = Array.isArray(obj)
    ? obj.map((o) => {
        try {
          return parseRecursive(o);
        } catch {
          return o;
        }
      })
    : JSON.parse(obj);
  if (typeof parsed === 'number' && parsed.toString() !== obj) return obj;
  return parsed;
}

function parseResponse(result) {
  try {
    return parseRecursive(result);
  } catch {
    return result;
  }
}

function parseOr(value) {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

// A flat [field, value, …] as an object, null when empty (`hgetall`, `hrandfield` with values).
function fieldObject(result, keepUnsafe) {
  if (!Array.isArray(result) || result.length === 0) return null;
  const out = {};
  for (let i = 0; i < result.length; i += 2) {
    const value = result[i + 1];
    const unsafe = keepUnsafe && !Number.isNaN(Number(value)) && !Number.isSafeInteger(Number(value));
    out[result[i]] = unsafe ? value : parseOr(value);
  }
  return out;
}

// `hmget`'s values as an object of the fields asked, null when none exists.
function fieldsAsked(fields, result) {
  if (result.every((v) => v === null)) return null;
  const out = {};
  fields.forEach((field, i) => {
    out[field] = parseOr(result[i]);
  });
  return out;
}

const scanPage = (result) => [result[0], ...parseResponse(result.slice(1))];

const ANSWERS = {
  hgetall: (result) => fieldObject(result, true),
  hmget: (result, args) => fieldsAsked(args.slice(1).map(String), result),
  hgetdel: (result, args) => fieldsAsked(args.slice(1).map(String), result),
  hgetex: (result, args) => fieldsAsked(args.slice(2).map(String), result),
  hrandfield: (result, args) => (args[2] ? fieldObject(result, false) : parseResponse(result)),
  scan: scanPage,
  sscan: scanPage,
  zscan: scanPage,
  hscan: scanPage,
  // The members that exist, as `{ lng, lat }` numbers.
  geopos: (result) =>
    result.filter((p) => p?.[0] && p?.[1]).map((p) => ({ lng: Number.parseFloat(p[0]), lat: Number.parseFloat(p[1]) })),
  copy: (result) => (result > 0 ? 'COPIED' : 'NOT_COPIED'),
  scriptExists: (result) => result,
};

// The answers still to read of a builder's queued commands, shared by the builder objects
// its chained calls return (each call answers a new object over the same queue).
const QUEUE = Symbol('hedgestore dialect queue');

/** Marks `builder` (from `pipeline()`/`transaction()`, or a chained call) as one of a store in dialect `d`. */
function builderInDialect(d, builder, queue) {
  if (d === 0 || builder === null || typeof builder !== 'object') return;
  builder[DIALECT] = d;
  builder[QUEUE] = queue;
}

/** `exec()` of a builder in the dialect: each command's raw answer read as its method reads it. */
function execInDialect(builder, exec, args) {
  const answers = builder[QUEUE].splice(0);
  const read = (results) => (Array.isArray(results) ? results.map((r, i) => answers[i](r)) : results);
  const results = exec.apply(builder, args);
  return results !== null && typeof results === 'object' && typeof results.then === 'function' ? results.then(read) : read(results);
}

/** A command method's call in @upstash/redis's dialect `d` (see above). */
function upstashCall(store, id, name, args, d, asynchronous) {
  const serialize = ARGUMENTS[name];
  const sent = serialize ? serialize(args) : args;
  const answer = d === 2 ? (result) => result : (result) => (ANSWERS[name] || parseResponse)(result, sent);
  const result = store.__command(id | RAW, sent);
  const queue = store[QUEUE];
  if (queue) {
    // A builder: the command is queued; its answer is read at `exec()`.
    queue.push(answer);
    builderInDialect(d, result, queue);
    return result;
  }
  return asynchronous ? result.then(answer) : answer(result);
}
