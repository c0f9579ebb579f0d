// Types of the npm package `hedgestore` (hand-written: wasm-bindgen's own would type every
// argument `any`). The same declarations serve every entry: Node (`import`/`require`), the
// default browser entry, `hedgestore/web` (see web.d.ts) and `hedgestore/bundler`.

/** A key, field, value, channel or pattern: a string (stored as UTF-8), bytes, or a finite number (stored as its text). */
export type Bytes = string | Uint8Array | number;

/** An integer argument: a safe-integer number, or a bigint for the full 64-bit range. */
export type Int = number | bigint;

/**
 * `set`'s options, as `@upstash/redis` takes them. At most one expiry; `nx` and `xx` exclude
 * each other. Any other key is a `TypeError` naming it (there is no `ttl` option: give `ex`
 * in seconds or `px` in milliseconds).
 */
export interface SetOptions {
  /** Expire after this many milliseconds. */
  px?: Int;
  /** Expire after this many seconds. */
  ex?: Int;
  /** Expire at this Unix time in seconds. */
  exat?: Int;
  /** Expire at this Unix time in milliseconds. */
  pxat?: Int;
  /** Keep the key's current TTL. */
  keepTtl?: boolean;
  /** Only set a key that does not exist. */
  nx?: boolean;
  /** Only set a key that exists. */
  xx?: boolean;
  /** Answer the previous value (or `null`) instead of whether it was written. */
  get?: boolean;
}

/** `getex`'s options, as `@upstash/redis` takes them: at most one; any other key is a `TypeError`. */
export interface GetExOptions {
  /** Expire after this many seconds. */
  ex?: Int;
  /** Expire after this many milliseconds. */
  px?: Int;
  /** Expire at this Unix time in seconds. */
  exat?: Int;
  /** Expire at this Unix time in milliseconds. */
  pxat?: Int;
  /** Remove the TTL. */
  persist?: boolean;
}

/** `RemoteStore` subscriptions' options. */
export interface SubscribeOptions {
  /** Hears every failure of the event stream (then it reconnects), and handlers that throw. */
  onError?: (error: Error) => void;
  /** Called once when the subscription ends: after `unsubscribe()` (no error), or with the failure when `reconnect` is false. */
  onClose?: (error?: Error) => void;
  /** Reopen a failed stream with backoff (the `retry` delays). Default true. */
  reconnect?: boolean;
}

/** The `EXPIRE` family's conditions (Redis 7): `nx` alone, or `xx` with `gt` or `lt`. */
export interface ExpireOptions {
  /** Only when the key has no TTL. */
  nx?: boolean;
  /** Only when the key has a TTL. */
  xx?: boolean;
  /** Only when the new expiry is later (no TTL counts as infinite). */
  gt?: boolean;
  /** Only when the new expiry is earlier. */
  lt?: boolean;
}

/** `scan`'s options. */
export interface ScanOptions {
  /** A glob pattern keys must match. */
  match?: Bytes;
  /** Roughly how many slots to visit (default 10). */
  count?: number;
  /** Only keys of this type. */
  type?: 'string' | 'hash' | 'list';
}

/** One page of a scan; a cursor of `'0'` ends the iteration. */
export interface ScanPage<K> {
  cursor: string;
  keys: K[];
}

/** Name/value pairs: a plain object, a `Map`, or an array of `[name, value]`. */
export type Entries = Record<string, Bytes> | Map<Bytes, Bytes> | Array<[Bytes, Bytes]>;

/**
 * The command methods every store and builder has. `R<T>` is what a method answers:
 * the value itself (MemoryStore), a Promise of it (RemoteStore), or the builder itself
 * (transactions and pipelines, whose `exec()` answers the values).
 *
 * Redis commands keep their Redis names in lower case (`hgetall`, `incrby`, `expireat`), as
 * in ioredis and `@upstash/redis`; `…Bytes` variants answer `Uint8Array`s instead of strings.
 * Refused commands throw (or reject with) a `ReplyError` carrying Redis's message; arguments
 * of the wrong type a `TypeError`. Neither changes anything stored.
 */
export interface Commands<R extends { [k: string]: any }> {
  // Strings
  /** `GET`: the value, or `null`. */
  get(key: Bytes): R['string'];
  /** `GET` as bytes. */
  getBytes(key: Bytes): R['bytes'];
  /** `GET` and `JSON.parse` (the document `setJson` stored), or `null`. */
  getJson(key: Bytes): R['json'];
  /** `SET … GET`: the previous value, or `null`. */
  set(key: Bytes, value: Bytes, options: SetOptions & { get: true }): R['string'];
  /** `SET`: true when written, false when `nx`/`xx` prevented it. */
  set(key: Bytes, value: Bytes, options?: SetOptions & { get?: false }): R['boolean'];
  set(key: Bytes, value: Bytes, options?: SetOptions): R['boolean'] | R['string'];
  /** `JSON.stringify` and `SET … GET`: the previous document, or `null`. */
  setJson(key: Bytes, value: unknown, options: SetOptions & { get: true }): R['json'];
  /** `JSON.stringify` and `SET`. */
  setJson(key: Bytes, value: unknown, options?: SetOptions & { get?: false }): R['boolean'];
  setJson(key: Bytes, value: unknown, options?: SetOptions): R['boolean'] | R['json'];
  /** `SETNX`: true when the (missing) key was set. */
  setnx(key: Bytes, value: Bytes): R['boolean'];
  /** `GETDEL`: the value (or `null`); the key is gone. */
  getdel(key: Bytes): R['string'];
  /** `GETDEL` as bytes. */
  getdelBytes(key: Bytes): R['bytes'];
  /** `GETEX`: the value (or `null`), changing its TTL as the options say (none: unchanged). */
  getex(key: Bytes, options?: GetExOptions): R['string'];
  /** `GETEX` as bytes. */
  getexBytes(key: Bytes, options?: GetExOptions): R['bytes'];
  /** `MGET`: values and `null`s. */
  mget(...keys: Bytes[]): R['strings'];
  /** `MGET` as bytes. */
  mgetBytes(...keys: Bytes[]): R['bytesList'];
  /** `MSET`. */
  mset(entries: Entries): R['void'];
  /** `INCR`: the new value. */
  incr(key: Bytes): R['number'];
  /** `INCRBY`. */
  incrby(key: Bytes, increment: Int): R['number'];
  /** `DECR`. */
  decr(key: Bytes): R['number'];
  /** `DECRBY`. */
  decrby(key: Bytes, decrement: Int): R['number'];
  /** `INCRBYFLOAT`: the new value. */
  incrbyfloat(key: Bytes, increment: number): R['number'];
  /** `APPEND`: the new length in bytes. */
  append(key: Bytes, value: Bytes): R['number'];
  /** `STRLEN`: the length in bytes. */
  strlen(key: Bytes): R['number'];

  // Keys
  /** `DEL`: how many existed. */
  del(...keys: Bytes[]): R['number'];
  /** `EXISTS`: how many exist (a key named twice counts twice). */
  exists(...keys: Bytes[]): R['number'];
  /** `EXPIRE key seconds`: true when the TTL was set. */
  expire(key: Bytes, seconds: Int, options?: ExpireOptions): R['boolean'];
  /** `PEXPIRE key milliseconds`. */
  pexpire(key: Bytes, milliseconds: Int, options?: ExpireOptions): R['boolean'];
  /** `EXPIREAT key unixSeconds`. */
  expireat(key: Bytes, unixSeconds: Int, options?: ExpireOptions): R['boolean'];
  /** `PEXPIREAT key unixMilliseconds`. */
  pexpireat(key: Bytes, unixMilliseconds: Int, options?: ExpireOptions): R['boolean'];
  /** `TTL`: seconds left (rounded); -1 without expiry; -2 for a missing key. */
  ttl(key: Bytes): R['number'];
  /** `PTTL`: milliseconds left; -1 without expiry; -2 for a missing key. */
  pttl(key: Bytes): R['number'];
  /** `PERSIST`: true when a TTL was removed. */
  persist(key: Bytes): R['boolean'];
  /** `TYPE`. */
  type(key: Bytes): R['type'];
  /** `RENAME`. */
  rename(key: Bytes, newKey: Bytes): R['void'];
  /** `KEYS` (glob, default `*`). */
  keys(pattern?: Bytes): R['stringList'];
  /** `KEYS` as bytes. */
  keysBytes(pattern?: Bytes): R['bytesOnlyList'];
  /** `SCAN`: one page. */
  scan(cursor: string | Int, options?: ScanOptions): R['scan'];
  /** `SCAN` with keys as bytes. */
  scanBytes(cursor: string | Int, options?: ScanOptions): R['scanBytes'];
  /** `DBSIZE`. */
  dbsize(): R['number'];
  /** `FLUSHDB`. */
  flushdb(): R['void'];
  /** `PING`: `'PONG'`, or the message. */
  ping(message?: Bytes): R['text'];

  // Hashes
  /** `HSET key field value` or `HSET key {field: value, …}`: how many fields were new. */
  hset(key: Bytes, field: Bytes, value: Bytes): R['number'];
  hset(key: Bytes, fields: Entries): R['number'];
  /** `HSETNX`: true when the (missing) field was set. */
  hsetnx(key: Bytes, field: Bytes, value: Bytes): R['boolean'];
  /** `HGET`: the value, or `null`. */
  hget(key: Bytes, field: Bytes): R['string'];
  /** `HGET` as bytes. */
  hgetBytes(key: Bytes, field: Bytes): R['bytes'];
  /** `HMGET`: values and `null`s. */
  hmget(key: Bytes, ...fields: Bytes[]): R['strings'];
  /** `HMGET` as bytes. */
  hmgetBytes(key: Bytes, ...fields: Bytes[]): R['bytesList'];
  /** `HGETALL`: a plain object (`{}` for a missing key). */
  hgetall(key: Bytes): R['record'];
  /** `HGETALL` as a `Map` of byte fields to byte values. */
  hgetallBytes(key: Bytes): R['map'];
  /** `HDEL`: how many existed. */
  hdel(key: Bytes, ...fields: Bytes[]): R['number'];
  /** `HEXISTS`. */
  hexists(key: Bytes, field: Bytes): R['boolean'];
  /** `HLEN`. */
  hlen(key: Bytes): R['number'];
  /** `HKEYS`. */
  hkeys(key: Bytes): R['stringList'];
  /** `HKEYS` as bytes. */
  hkeysBytes(key: Bytes): R['bytesOnlyList'];
  /** `HVALS`. */
  hvals(key: Bytes): R['stringList'];
  /** `HVALS` as bytes. */
  hvalsBytes(key: Bytes): R['bytesOnlyList'];
  /** `HINCRBY`: the new value. */
  hincrby(key: Bytes, field: Bytes, increment: Int): R['number'];
  /** `HINCRBYFLOAT`: the new value. */
  hincrbyfloat(key: Bytes, field: Bytes, increment: number): R['number'];

  // Lists
  /** `LPUSH` (each value to the head in turn): the new length. */
  lpush(key: Bytes, ...values: Bytes[]): R['number'];
  /** `RPUSH`: the new length. */
  rpush(key: Bytes, ...values: Bytes[]): R['number'];
  /** `LPUSHX`: pushes onto an existing list only. */
  lpushx(key: Bytes, ...values: Bytes[]): R['number'];
  /** `RPUSHX`: pushes onto an existing list only. */
  rpushx(key: Bytes, ...values: Bytes[]): R['number'];
  /** `LPOP`: a value, or `null`. */
  lpop(key: Bytes): R['string'];
  /** `LPOP key count`: up to `count` values, or `null` for a missing list. */
  lpop(key: Bytes, count: number): R['strings'];
  /** `LPOP` as bytes. */
  lpopBytes(key: Bytes): R['bytes'];
  lpopBytes(key: Bytes, count: number): R['bytesList'];
  /** `RPOP`. */
  rpop(key: Bytes): R['string'];
  rpop(key: Bytes, count: number): R['strings'];
  /** `RPOP` as bytes. */
  rpopBytes(key: Bytes): R['bytes'];
  rpopBytes(key: Bytes, count: number): R['bytesList'];
  /** `LRANGE` (inclusive; negative indices count from the end). */
  lrange(key: Bytes, start: Int, stop: Int): R['stringList'];
  /** `LRANGE` as bytes. */
  lrangeBytes(key: Bytes, start: Int, stop: Int): R['bytesOnlyList'];
  /** `LLEN`. */
  llen(key: Bytes): R['number'];
  /** `LINDEX`: the element, or `null`. */
  lindex(key: Bytes, index: Int): R['string'];
  /** `LINDEX` as bytes. */
  lindexBytes(key: Bytes, index: Int): R['bytes'];
  /** `LSET`. */
  lset(key: Bytes, index: Int, value: Bytes): R['void'];
  /** `LTRIM`. */
  ltrim(key: Bytes, start: Int, stop: Int): R['void'];
  /** `LREM`: how many were removed. */
  lrem(key: Bytes, count: Int, value: Bytes): R['number'];
  /** `LINSERT`: the new length, -1 without the pivot, 0 for a missing key. */
  linsert(key: Bytes, position: 'before' | 'after' | 'BEFORE' | 'AFTER', pivot: Bytes, value: Bytes): R['number'];

  // Pub/sub
  /** `PUBLISH`: how many subscriptions received the message. */
  publish(channel: Bytes, message: Bytes): R['number'];
  /** `PUBSUB CHANNELS [pattern]`. */
  pubsubChannels(pattern?: Bytes): R['stringList'];
  /** `PUBSUB NUMSUB`: `{ channel: subscribers }`. */
  pubsubNumsub(...channels: Bytes[]): R['counts'];
  /** `PUBSUB NUMPAT`. */
  pubsubNumpat(): R['number'];
}

/** The answer types of a synchronous store. */
interface Now {
  string: string | null;
  bytes: Uint8Array | null;
  json: any;
  boolean: boolean;
  number: number;
  void: void;
  strings: Array<string | null>;
  bytesList: Array<Uint8Array | null>;
  stringList: string[];
  bytesOnlyList: Uint8Array[];
  type: 'string' | 'hash' | 'list' | 'none';
  text: string;
  record: Record<string, string>;
  map: Map<Uint8Array, Uint8Array>;
  scan: ScanPage<string>;
  scanBytes: ScanPage<Uint8Array>;
  counts: Record<string, number>;
}

/** The same answers, as Promises. */
type Later = { [K in keyof Now]: Promise<Now[K]> };

/** A builder answers itself, to chain. */
type Chain<B> = { [K in keyof Now]: B };

/** `(message, channel) => …`; `pattern` is given for pattern subscriptions. */
export type MessageHandler<T = string> = (message: T, channel: T, pattern: T) => void;

/** What `stats()` reports. */
export interface Stats {
  /** Keys, including expired ones not yet removed. */
  keys: number;
  /** Keys with a TTL. */
  keysWithTtl: number;
  /** Bytes held (the engine's accounting). */
  usedMemory: number;
  /** The memory budget. */
  maxMemory: number;
  /** Reads that found their key. */
  hits: number;
  /** Reads that did not. */
  misses: number;
  /** Keys removed because their TTL passed. */
  expired: number;
  /** Keys removed to stay within the budget. */
  evicted: number;
}

/** `new MemoryStore(options)`. Every option is optional. */
export interface MemoryStoreOptions {
  /** Memory budget in bytes (default 1 GiB). */
  maxMemory?: number;
  /** What to evict past the threshold (default `'allkeys-lru'`). `'noeviction'` refuses writes with `OOM …` instead. */
  evictionPolicy?: 'allkeys-lru' | 'volatile-lru' | 'volatile-ttl' | 'noeviction';
  /** Eviction starts past this percentage of `maxMemory` (default 90). */
  evictionThreshold?: number;
  /** Keys sampled per eviction (default 5). */
  evictionSamples?: number;
  /** Messages a subscriber may fall behind before the oldest are dropped (default 1024). */
  subscriberQueueCapacity?: number;
  /** Publish `__keyevent@0__:expired` / `:evicted` with the key as message (default false). */
  keyspaceEvents?: boolean;
  /** How often active expiry runs while keys have TTLs, in ms (default 100). */
  activeExpireInterval?: number;
  /** The full sweep for expired keys runs at least this often, in ms (default 60000). */
  cleanupInterval?: number;
  /**
   * Run active expiry on a timer (default true, unless `clock` is given). Lazy expiry — every
   * read checks the deadline — holds regardless; the timer reclaims memory of keys nobody reads.
   */
  activeExpiry?: boolean;
  /**
   * The time source, in milliseconds since the Unix epoch (default: `Date.now()` anchored,
   * `performance.now()` advanced). Tests and simulations move time themselves; expiry
   * follows without sleeping. Readings are held monotonic; a non-number keeps the previous one.
   */
  clock?: () => number;
  /** The owner name this store's locks are held under (default: random per store). */
  lockOwner?: Bytes;
}

/**
 * The hedgestore engine (Redis semantics: strings, hashes, lists, TTLs, eviction, pub/sub,
 * locks, atomic transactions) in WebAssembly memory. Every method is synchronous.
 * Call `free()` to release its memory when done (or let the garbage collector do it).
 */
export class MemoryStore {
  constructor(options?: MemoryStoreOptions);
  /** A builder with the command methods; `exec()` applies everything queued, or nothing. */
  transaction(): Transaction;
  /**
   * Calls `handler(message, channel)` for every message published to `channel`, in a
   * microtask after the publish (never inside it). Answers the unsubscribe function.
   */
  subscribe(channel: Bytes, handler: MessageHandler<string>): () => void;
  /** `subscribe`, with message and channel as bytes. */
  subscribeBytes(channel: Bytes, handler: MessageHandler<Uint8Array>): () => void;
  /** `handler(message, channel, pattern)` for every channel matching the glob `pattern`. */
  psubscribe(pattern: Bytes, handler: MessageHandler<string>): () => void;
  /** `psubscribe`, with message, channel and pattern as bytes. */
  psubscribeBytes(pattern: Bytes, handler: MessageHandler<Uint8Array>): () => void;
  /** Acquires the lock for `ttl` ms: a fencing token (grows with every acquisition), or `null` while it is held. */
  acquireLock(name: Bytes, options: { ttl: Int }): number | null;
  /** Releases the lock if `token` holds it (without one: if this store holds it). */
  releaseLock(name: Bytes, token?: Int): boolean;
  /** Resets the lock's TTL to `ttl` ms if `token` (without one: this store) holds it. */
  extendLock(name: Bytes, options: { ttl: Int; token?: Int }): boolean;
  /** The engine's counters. */
  stats(): Stats;
  /** Runs one bounded cycle of active expiry now; answers how many keys it removed. */
  runExpiry(): number;
  /** Releases the store's wasm memory; the store cannot be used afterwards. */
  free(): void;
}
export interface MemoryStore extends Commands<Now> {}

/** A transaction on a MemoryStore: queue commands (they chain), then `exec()`. */
export class Transaction {
  private constructor();
  /**
   * Applies every queued command atomically and answers their results in order; if any
   * command would fail, nothing is applied and a `TransactionError` names it.
   */
  exec(): any[];
  /** Drops the queued commands. */
  discard(): void;
  /** How many commands are queued. */
  readonly length: number;
  free(): void;
}
export interface Transaction extends Commands<Chain<Transaction>> {}

/** `new RemoteStore(options)`. */
export interface RemoteStoreOptions {
  /** The endpoint: `hedgestore-proxy`'s address, or another Upstash-compatible REST URL. */
  url: string;
  /** The bearer token. */
  token: string;
  /** A `fetch` to use instead of the global one (tests, proxies, instrumentation). */
  fetch?: (input: string, init: any) => Promise<any>;
  /**
   * Retries of idempotent reads after network failures and 429/502/503/504 answers:
   * `false`, or `{ retries = 3, minDelay = 50, maxDelay = 2000 }` (ms, exponential with
   * jitter). Writes are never retried.
   */
  retry?: false | { retries?: number; minDelay?: number; maxDelay?: number };
  /** Milliseconds per attempt before a `NetworkError` (default 10000). */
  timeout?: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/**
 * A client of an Upstash-compatible Redis REST endpoint (`hedgestore-proxy`, or a hosted one)
 * over `fetch`: the same command methods as MemoryStore, answering Promises. Locks are not
 * offered remotely (the protocol has no atomic compare-and-delete).
 */
export class RemoteStore {
  constructor(options: RemoteStoreOptions);
  /** The endpoint. */
  readonly url: string;
  /** A builder sent as one request to `/pipeline`; each command applies on its own. */
  pipeline(): Pipeline;
  /** A builder sent to `/multi-exec`: all-or-nothing on hedgestore-proxy. */
  transaction(): RemoteTransaction;
  /**
   * Subscribes over Server-Sent Events; resolves to the unsubscribe function once the server
   * confirms (rejects with a `NetworkError` coded `TIMEOUT` if that takes over `timeout` ms).
   * A stream that fails later is reported to `onError` and reopened with backoff, unless
   * `reconnect: false`; messages published while it is down are lost, as in Redis pub/sub.
   */
  subscribe(channel: Bytes, handler: MessageHandler<string>, options?: SubscribeOptions): Promise<() => void>;
  subscribeBytes(channel: Bytes, handler: MessageHandler<Uint8Array>, options?: SubscribeOptions): Promise<() => void>;
  psubscribe(pattern: Bytes, handler: MessageHandler<string>, options?: SubscribeOptions): Promise<() => void>;
  psubscribeBytes(pattern: Bytes, handler: MessageHandler<Uint8Array>, options?: SubscribeOptions): Promise<() => void>;
  free(): void;
}
export interface RemoteStore extends Commands<Later> {}

/** A pipeline on a RemoteStore. */
export class Pipeline {
  private constructor();
  /** Sends the queued commands; resolves to their results, or rejects with a `PipelineError`. */
  exec(): Promise<any[]>;
  discard(): void;
  readonly length: number;
  free(): void;
}
export interface Pipeline extends Commands<Chain<Pipeline>> {}

/** A transaction on a RemoteStore. */
export class RemoteTransaction {
  private constructor();
  /** Sends the queued commands; resolves to their results, or rejects with a `TransactionError` (nothing applied). */
  exec(): Promise<any[]>;
  discard(): void;
  readonly length: number;
  free(): void;
}
export interface RemoteTransaction extends Commands<Chain<RemoteTransaction>> {}

/** Base class of every hedgestore error. */
export class HedgestoreError extends Error {}

/** A refused command, with Redis's message (`WRONGTYPE Operation against a key holding the wrong kind of value`). */
export class ReplyError extends HedgestoreError {
  /**
   * The message's first word: `WRONGTYPE`, `ERR`, `OOM`, `EXECABORT`, …; from
   * hedgestore-proxy also `TIMEOUT` (a read got no answer from the backend: nothing changed)
   * and `OUTCOMEUNKNOWN` (a write may or may not have been applied). `WRONGTOKEN` for an
   * HTTP 401 (the server refused the token).
   */
  readonly code: string;
  /** The HTTP status, for errors from a server. */
  readonly status?: number;
}

/** A transaction that applied nothing because command `index` (`command`) would fail. */
export class TransactionError extends ReplyError {
  readonly index?: number;
  readonly command?: string;
}

/** Some commands of a pipeline failed (the others applied): `results` has a ReplyError in place of each failure. */
export class PipelineError extends HedgestoreError {
  readonly results: unknown[];
}

/** The server could not be reached, timed out, or answered something that is not a reply. */
export class NetworkError extends HedgestoreError {
  /** The HTTP status, when a response arrived. */
  readonly status?: number;
  /** The system error (`ECONNREFUSED`, `ENOTFOUND`, …) when known, or `TIMEOUT` (the `timeout` option). */
  readonly code?: string;
}
