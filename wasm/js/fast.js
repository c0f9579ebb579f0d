// MemoryStore's `get` and `set` for string keys and values, without wasm-bindgen's string
// passing (see src/bindings/memory/fast.rs for the Rust side and the measurements).
//
// * Arguments: the key (and the value) are written as UTF-8 into one scratch buffer in wasm
//   memory that lives as long as the module (a plain loop for ASCII, `encodeInto` otherwise);
//   the exports `__get(keyLen)` / `__set(keyLen, valueLen, ttlMs)` take only lengths.
// * Results: `__get` answers 1 when the key has a value and leaves the value's place in wasm
//   memory and its version in the buffer's header. Both exports answer small integers (-1
//   when they failed; the error is then taken from `__failure()`): a `Result` would come back
//   as a fresh array every call, a float as a fresh number.
// * Decoded strings: a version names one value for the store's lifetime (every write takes a
//   new one), so a string decoded for a version is reused while the key keeps it: each store
//   has a small table of decoded strings indexed by version. The call into wasm happens every
//   time (expiry, LRU clock, hit/miss counts are the engine's); only the `TextDecoder` call is
//   saved.
// * Anything else (not strings, too long for the buffer, other options, a call while a
//   shortcut is running, which only a custom clock function can make) takes the general path,
//   which also reports the errors.
//
// Kept to `export function` declarations: the package build rewrites this file into
// CommonJS for Node's `require` (see scripts/build-wasm-package.sh).

// Header words of the scratch buffer (as in fast.rs).
const BUSY = 0;
const VALUE_PTR = 1;
const VALUE_LEN = 2;
const KEYS = 3;
const VERSION_LOW = 4;
const VERSION_HIGH = 5;
// Bytes of header before the arguments.
const ARGS = 32;

// Decoded strings kept per store: at most this many, and only values of up to this many
// bytes (short values are where decoding dominates a call; long ones would double memory).
const CACHE_MIN = 1024;
const CACHE_MAX = 1 << 17;
const CACHE_VALUE_BYTES = 256;
const CACHE = Symbol('hedgestore decoded strings');

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

let memory = null;
let args = 0;
let capacity = 0;
let header = 0;
let u8 = new Uint8Array(0);
let u32 = new Uint32Array(0);

/** Called once at start-up with the module's memory and the scratch buffer's place. */
export function useScratch(wasmMemory, start, room) {
  memory = wasmMemory;
  header = start >>> 2;
  args = start + ARGS;
  capacity = room;
  views();
}

// Views of wasm memory; a grown memory detaches the old ones (their length becomes 0).
function views() {
  if (u8.byteLength === 0 && memory !== null) {
    u8 = new Uint8Array(memory.buffer);
    u32 = new Uint32Array(memory.buffer);
  }
}

// Writes `s` as UTF-8 at `at` in the argument area; answers the bytes written, or -1 when
// it does not fit.
function put(s, at) {
  const n = s.length;
  if (at + n > capacity) return -1;
  const base = args + at;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return putUtf8(s, at);
    u8[base + i] = c;
  }
  return n;
}

function putUtf8(s, at) {
  const { read, written } = encoder.encodeInto(s, u8.subarray(args + at, args + capacity));
  return read === s.length ? written : -1;
}

// The string for the value `__get` just found, decoded once per version.
function value(store) {
  views();
  const len = u32[header + VALUE_LEN];
  const ptr = u32[header + VALUE_PTR];
  if (len > CACHE_VALUE_BYTES) return decoder.decode(u8.subarray(ptr, ptr + len));
  let cache = store[CACHE];
  const keys = u32[header + KEYS];
  if (cache === undefined || (keys * 2 > cache.size && cache.size < CACHE_MAX) || (keys * 8 < cache.size && cache.size > CACHE_MIN)) {
    cache = store[CACHE] = newCache(keys);
  }
  const low = u32[header + VERSION_LOW];
  // Exact up to 2^53 writes.
  const version = u32[header + VERSION_HIGH] * 4294967296 + low;
  const slot = low & (cache.size - 1);
  if (cache.versions[slot] === version) return cache.strings[slot];
  const s = decoder.decode(u8.subarray(ptr, ptr + len));
  cache.versions[slot] = version;
  cache.strings[slot] = s;
  return s;
}

function newCache(keys) {
  let size = CACHE_MIN;
  while (size < keys * 2 && size < CACHE_MAX) size *= 2;
  return { size, versions: new Float64Array(size), strings: new Array(size).fill(undefined) };
}

/** `get(key)`: the shortcut for a string key, `this.__command(id, [key])` for anything
 * else; what it throws goes through `failed(store, error)`. */
export function fastGet(id, failed) {
  return function get(key) {
    try {
      if (typeof key !== 'string') return this.__command(id, [key]);
      views();
      if (u32[header + BUSY] !== 0) return this.__getText(key);
      const n = put(key, 0);
      if (n < 0) return this.__getText(key);
      const found = this.__get(n);
      if (found === 1) return value(this);
      if (found === 0) return null;
      throw this.constructor.__failure();
    } catch (e) {
      return failed(this, e);
    }
  };
}

/** `set(key, value, options)`: the shortcut for a string key and value with no options or
 * `{ px }` or `{ ex }` alone, `this.__command(id, [key, value, options])` for anything else;
 * what it throws goes through `failed(store, error)`. */
export function fastSet(id, failed) {
  function general(key, value, options) {
    return this.__command(id, [key, value, options]);
  }
  function attempt(key, value, options) {
    if (typeof key !== 'string' || typeof value !== 'string') return general.call(this, key, value, options);
    let ms = -1;
    if (options != null) {
      // Only `{ px }` or `{ ex }` alone: anything else (several options, unknown keys, bad
      // values) takes the general path, which also reports the errors.
      if (typeof options !== 'object') return general.call(this, key, value, options);
      let n = 0;
      ms = undefined;
      for (const name in options) {
        n++;
        if (name === 'px') ms = options.px;
        else if (name === 'ex' && Number.isSafeInteger(options.ex)) ms = options.ex * 1000;
      }
      if (!(n === 1 && Number.isSafeInteger(ms) && ms > 0)) return general.call(this, key, value, options);
    }
    views();
    if (u32[header + BUSY] === 0) {
      const k = put(key, 0);
      if (k >= 0) {
        const v = put(value, k);
        if (v >= 0) {
          const written = this.__set(k, v, ms);
          if (written >= 0) return written === 1;
          throw this.constructor.__failure();
        }
      }
    }
    return this.__setText(key, value, ms);
  }
  return function set(key, value, options) {
    try {
      return attempt.call(this, key, value, options);
    } catch (e) {
      return failed(this, e);
    }
  };
}
