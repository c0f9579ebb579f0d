// Types of the npm package `hedgestore` (hand-written: wasm-bindgen's own would type every
// argument `any`). The same declarations serve every entry: Node (`import`/`require`), the
// default browser entry, `hedgestore/web` (see web.d.ts) and `hedgestore/bundler`.
// The command methods are declared in commands.d.ts.

import type { Bytes, Int, ScanPage, MemberScanPage, Commands } from './commands.js';
export * from './commands.js';

/** `RemoteStore` subscriptions' options. */
export interface SubscribeOptions {
  /** Hears every failure of the event stream (then it reconnects), and handlers that throw. */
  onError?: (error: Error) => void;
  /** Called once when the subscription ends: after `unsubscribe()` (no error), or with the failure when `reconnect` is false. */
  onClose?: (error?: Error) => void;
  /** Reopen a failed stream with backoff (the `retry` delays). Default true. */
  reconnect?: boolean;
}

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
  type: 'string' | 'hash' | 'list' | 'set' | 'zset' | 'none';
  text: string;
  record: Record<string, string>;
  map: Map<Uint8Array, Uint8Array>;
  scan: ScanPage<string>;
  scanBytes: ScanPage<Uint8Array>;
  counts: Record<string, number>;
  booleans: boolean[];
  numbers: number[];
  score: number | null;
  scores: Array<number | null>;
  scored: Array<string | number>;
  sscan: MemberScanPage<string>;
  zscan: MemberScanPage<string | number>;
  popped: [string, string[]] | null;
  time: [number, number];
  any: unknown;
  positions: Array<{ lng: number; lat: number }>;
}

/**
 * The answers in `@upstash/redis`'s dialect (`dialect: 'upstash'`), by the kind of answer
 * hedgestore's dialect gives: `unknown` for every kind. That client reads every reply string
 * as JSON when it parses (automatic deserialization: `'10'` is `10`, `'{"a":1}'` an object),
 * so what `get` answers is whatever was stored; `set` answers `'OK'` or `null` (or the old
 * value), the 1/0 commands numbers, `hgetall`/`hmget` objects, the scans `[cursor, items]`,
 * and with `automaticDeserialization: false` the replies as the REST endpoint sends them.
 * Narrow the answers where they are used, or type the store as that client's `Redis` for
 * its per-method declarations.
 */
type UpstashNow = { [K in keyof Now]: unknown };

/** The answers of a store in dialect `D` (both when `D` is not known). */
type NowOf<D extends Dialect> = D extends 'upstash' ? UpstashNow : Now;

/** The same answers, as Promises. */
type Later<N = Now> = { [K in keyof N]: Promise<N[K]> };

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

/**
 * The dialect of the command methods. `'hedgestore'` (the default): the answers of
 * commands.d.ts. `'upstash'`: `@upstash/redis`'s call signatures and answers, so code
 * written for that client runs unchanged (`set` answers `'OK'`/`null`, `hmget` an object,
 * `expire(key, s, 'NX')`, objects stored as JSON and stored JSON answered parsed, …; see the
 * README). The stores and their builders carry the dialect their constructor was given as a
 * type parameter (`new MemoryStore({ dialect: 'upstash' })` is a `MemoryStore<'upstash'>`),
 * and in that dialect every command method answers `unknown` (see `UpstashNow`): narrow the
 * answers, or type such a store as that client's `Redis` (`as unknown as Redis`). The
 * argument types stay hedgestore's (that client also takes objects as values, stored as
 * JSON, and `expire`'s condition as `'NX'`: cast for those calls).
 */
export type Dialect = 'hedgestore' | 'upstash';

/** `new MemoryStore(options)`. Every option is optional. */
export interface MemoryStoreOptions<D extends Dialect = Dialect> {
  /** Memory budget in bytes (default 1 GiB). */
  maxMemory?: number;
  /** What to evict past the threshold (default `'allkeys-lru'`). `'noeviction'` refuses writes with `OOM …` instead. */
  evictionPolicy?: 'allkeys-lru' | 'allkeys-lfu' | 'volatile-lru' | 'volatile-lfu' | 'volatile-ttl' | 'noeviction';
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
  /** `'upstash'`: take and answer `@upstash/redis`'s values (see {@link Dialect}). */
  dialect?: D;
  /**
   * With `dialect: 'upstash'`, as that client's option: `false` answers replies as the REST
   * endpoint sends them (no JSON parsing, no reshaping); default `true`.
   */
  automaticDeserialization?: boolean;
}

/** `MemoryStore.open(options)`: the constructor's options, and `persist`. */
export interface MemoryStoreOpenOptions<D extends Dialect = Dialect> extends MemoryStoreOptions<D> {
  /**
   * Persist the store to IndexedDB (browsers and their workers) under this name: the
   * database `hedgestore:<name>`. What was stored under the name is loaded before `open`
   * resolves; every write is stored in the background (`flush()` waits for it). One store
   * at a time may hold a name (in this page, other tabs and workers of the origin).
   * `rewriteMinBytes`: the log is compacted once it is this large (default 1 MiB) and twice
   * its size after the last compaction.
   */
  persist?: string | { name: string; rewriteMinBytes?: number };
}

/**
 * The hedgestore engine (Redis semantics: strings, hashes, lists, TTLs, eviction, pub/sub,
 * locks, atomic transactions) in WebAssembly memory. Every method is synchronous.
 * Call `free()` to release its memory when done (or let the garbage collector do it).
 * `D` is the dialect of its command methods ({@link Dialect}), from the option `dialect`.
 */
export class MemoryStore<D extends Dialect = 'hedgestore'> {
  constructor(options?: MemoryStoreOptions<D>);
  /**
   * A store, resolved once it is ready: with `persist`, once what IndexedDB holds under the
   * name is loaded (so nothing can read it half loaded). Rejects with a `HedgestoreError`
   * when the host has no IndexedDB, another store holds the name, or the database holds
   * something else; with a `TypeError` for a bad option.
   */
  static open<D extends Dialect = 'hedgestore'>(options?: MemoryStoreOpenOptions<D>): Promise<MemoryStore<D>>;
  /**
   * Resolves once every write so far is stored in IndexedDB (at once for a store without
   * `persist`); rejects with the error if storing failed (then writes are refused).
   */
  flush(): Promise<void>;
  /**
   * `flush()`, then frees the store and gives up its `persist` name. The store cannot be
   * used afterwards.
   */
  close(): Promise<void>;
  /** A builder with the command methods; `exec()` applies everything queued, or nothing. */
  transaction(): Transaction<D>;
  /** `transaction()` under `@upstash/redis`'s name; with `dialect: 'upstash'` only (else a TypeError). */
  multi(): Transaction<D>;
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
  /**
   * Releases the store's wasm memory; the store cannot be used afterwards. A persisted store
   * still stores its last writes and gives up its name, in the background (`close()` waits).
   */
  free(): void;
}
export interface MemoryStore<D extends Dialect = 'hedgestore'> extends Commands<NowOf<D>> {}

/** A transaction on a MemoryStore (in its dialect `D`): queue commands (they chain), then `exec()`. */
export class Transaction<D extends Dialect = 'hedgestore'> {
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
export interface Transaction<D extends Dialect = 'hedgestore'> extends Commands<Chain<Transaction<D>>> {}

/** `new RemoteStore(options)`. */
export interface RemoteStoreOptions<D extends Dialect = Dialect> {
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
  /** `'upstash'`: take and answer `@upstash/redis`'s values (see {@link Dialect}). */
  dialect?: D;
  /**
   * With `dialect: 'upstash'`, as that client's option: `false` answers replies as the REST
   * endpoint sends them (no JSON parsing, no reshaping); default `true`.
   */
  automaticDeserialization?: boolean;
}

/**
 * A client of an Upstash-compatible Redis REST endpoint (`hedgestore-proxy`, or a hosted one)
 * over `fetch`: the same command methods as MemoryStore, answering Promises. Locks go to
 * hedgestore-proxy's own lock routes (other endpoints refuse them). `D` is the dialect of
 * its command methods ({@link Dialect}), from the option `dialect`.
 */
export class RemoteStore<D extends Dialect = 'hedgestore'> {
  constructor(options: RemoteStoreOptions<D>);
  /** The endpoint. */
  readonly url: string;
  /** A builder sent as one request to `/pipeline`; each command applies on its own. */
  pipeline(): Pipeline<D>;
  /** A builder sent to `/multi-exec`: all-or-nothing on hedgestore-proxy. */
  transaction(): RemoteTransaction<D>;
  /** `transaction()` under `@upstash/redis`'s name; with `dialect: 'upstash'` only (else a TypeError). */
  multi(): RemoteTransaction<D>;
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
  /**
   * Acquires the lock for `ttl` ms through hedgestore-proxy: a fencing token (grows with every
   * acquisition, the same tokens Rust clients of the proxy's storage get), or `null` while held.
   */
  acquireLock(name: Bytes, options: { ttl: Int }): Promise<number | null>;
  /**
   * Releases the lock if `token` still holds it (true), else false. The token is required:
   * every client of a proxy shares one lock owner. (No `extendLock` remotely.)
   */
  releaseLock(name: Bytes, token: Int): Promise<boolean>;
  free(): void;
}
export interface RemoteStore<D extends Dialect = 'hedgestore'> extends Commands<Later<NowOf<D>>> {}

/** A pipeline on a RemoteStore (in its dialect `D`). */
export class Pipeline<D extends Dialect = 'hedgestore'> {
  private constructor();
  /** Sends the queued commands; resolves to their results, or rejects with a `PipelineError`. */
  exec(): Promise<any[]>;
  discard(): void;
  readonly length: number;
  free(): void;
}
export interface Pipeline<D extends Dialect = 'hedgestore'> extends Commands<Chain<Pipeline<D>>> {}

/** A transaction on a RemoteStore (in its dialect `D`). */
export class RemoteTransaction<D extends Dialect = 'hedgestore'> {
  private constructor();
  /** Sends the queued commands; resolves to their results, or rejects with a `TransactionError` (nothing applied). */
  exec(): Promise<any[]>;
  discard(): void;
  readonly length: number;
  free(): void;
}
export interface RemoteTransaction<D extends Dialect = 'hedgestore'> extends Commands<Chain<RemoteTransaction<D>>> {}

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
