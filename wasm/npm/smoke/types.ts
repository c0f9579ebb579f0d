// Compiled with `tsc --noEmit --strict` against the installed package: the shipped types
// accept real usage (and reject misuse, below with @ts-expect-error).
import { MemoryStore, RemoteStore, ReplyError, type Stats } from 'hedgestore';
import init, { init as namedInit, initSync, MemoryStore as WebStore } from 'hedgestore/web';

const store = new MemoryStore({ maxMemory: 1 << 20, evictionPolicy: 'allkeys-lru', clock: () => Date.now() });
const written: boolean = store.set('k', 'v', { px: 1000, nx: true });
const previous: string | null = store.set('k', 'v', { ex: 10, get: true });
const seconds: number = store.ttl('k');
const millis: number = store.pttl('k');
// @ts-expect-error: no `ttl` option (ambiguous units): ex (s) or px (ms)
store.set('k', 'v', { ttl: 1000 });
// @ts-expect-error: a misspelled option
store.set('k', 'v', { tll: 5 });
// @ts-expect-error: with `get`, the answer is the previous value, not a boolean
const notBool: boolean = store.set('k', 'v', { get: true });
const value: string | null = store.get('k');
const bytes: Uint8Array | null = store.getBytes('k');
const touched: string | null = store.getex('k', { ex: 10 });
// @ts-expect-error: getex takes one TTL change, not set's options
store.getex('k', { nx: true });
const removed: number = store.del('a', 'b', new Uint8Array([1]));
const all: Record<string, string> = store.hgetall('h');
const map: Map<Uint8Array, Uint8Array> = store.hgetallBytes('h');
const popped: Array<string | null> = store.lpop('l', 2);
const one: string | null = store.lpop('l');
const results: any[] = store.transaction().set('a', '1').incr('n').exec();
const off: () => void = store.subscribe('c', (message: string, channel: string) => void [message, channel]);
const token: number | null = store.acquireLock('x', { ttl: 100 });
async function persisted(): Promise<void> {
  const saved: MemoryStore = await MemoryStore.open({ persist: 'prices', maxMemory: 1 << 20 });
  const compacted: MemoryStore = await MemoryStore.open({ persist: { name: 'p', rewriteMinBytes: 1 << 16 } });
  await saved.flush();
  await compacted.close();
  // @ts-expect-error: persist needs a name
  await MemoryStore.open({ persist: { rewriteMinBytes: 5 } });
  // @ts-expect-error: the constructor cannot load from IndexedDB: MemoryStore.open
  new MemoryStore({ persist: 'prices' });
}
void persisted;
const stats: Stats = store.stats();
const added: number = store.zadd('z', { score: 1, member: 'a' }, { score: 2, member: 'b' });
const incremented: number | null = store.zadd('z', { xx: true, incr: true }, { score: 1, member: 'a' });
const scored: Array<string | number> = store.zrange('z', 0, -1, { withScores: true });
const byScore: string[] = store.zrange('z', '(1', '+inf', { byScore: true, offset: 0, count: 5 });
const score: number | null = store.zscore('z', 'a');
const scores: Array<number | null> = store.zmscore('z', ['a', 'x']);
const members: boolean[] = store.smismember('s', ['a', 'b']);
const page: string[] = store.sscan('s', 0, { count: 10 }).members;
const stored: number = store.zunionstore('u', 2, ['z', 'y'], { weights: [1, 2], aggregate: 'max' });
// @ts-expect-error: zadd takes { score, member } objects, not bare numbers
store.zadd('z', 1, 'a');
// @ts-expect-error: smismember takes its members as an array
store.smismember('s', 'a', 'b');
// @ts-expect-error: a value is required
store.set('k');
// @ts-expect-error: hset with a field needs a value
store.hset('h', 'f');

async function remote(): Promise<void> {
  const r = new RemoteStore({ url: 'http://127.0.0.1:8079', token: 't', retry: { retries: 2 } });
  const v: string | null = await r.get('k');
  const n: number = await r.incr('n');
  const old: string | null = await r.set('k', 'v', { px: 100, get: true });
  const ok: boolean = await r.set('k', 'v', { ex: 1, xx: true });
  void [old, ok];
  const batch: any[] = await r.pipeline().set('a', '1').get('a').exec();
  const unsubscribe: () => void = await r.subscribe('c', (m) => void m, {
    onError: (e: Error) => console.log(e.message),
    onClose: (e?: Error) => void e,
    reconnect: true,
  });
  // @ts-expect-error: a misspelled subscription option
  await r.subscribe('c', (m) => void m, { onErorr: () => {} });
  try {
    await r.lpush('k', 'x');
  } catch (e) {
    if (e instanceof ReplyError) console.log(e.code, e.status);
  }
  const lock: number | null = await r.acquireLock('job', { ttl: 5000 });
  const released: boolean = lock === null ? false : await r.releaseLock('job', lock);
  // @ts-expect-error: RemoteStore releases by token only
  await r.releaseLock('job');
  void [v, n, batch, unsubscribe, released];
}

// @upstash/redis's dialect: the constructor's option gives the store its dialect, and the
// command methods answer that client's values (JSON-parsed, 'OK', 1/0, objects): `unknown`.
const upstash = new MemoryStore({ dialect: 'upstash' });
const upstashTyped: MemoryStore<'upstash'> = upstash;
const parsed: unknown = upstash.get('k');
// @ts-expect-error: in that dialect `get` answers whatever was stored, JSON-parsed, not string | null
const notAString: string | null = upstash.get('k');
// @ts-expect-error: in that dialect `set` answers 'OK' or null, not a boolean
const notWritten: boolean = upstash.set('k', 'v');
// @ts-expect-error: and `hgetall` an object of parsed values (or null), not Record<string, string>
const notRecord: Record<string, string> = upstash.hgetall('h');
const queued: any[] = upstash.multi().set('a', '1').incr('n').exec();
const unknownDialect = new MemoryStore({ dialect: Math.random() < 0.5 ? 'upstash' : 'hedgestore' });
// @ts-expect-error: a store whose dialect is not known answers either dialect's values
const eitherDialect: string | null = unknownDialect.get('k');
async function remoteUpstash(): Promise<void> {
  const r = new RemoteStore({ url: 'http://127.0.0.1:8079', token: 't', dialect: 'upstash' });
  const got: unknown = await r.get('k');
  // @ts-expect-error: in that dialect `incrbyfloat` answers the parsed reply, not a typed number
  const notNumber: number = await r.incrbyfloat('n', 1.5);
  const opened: MemoryStore<'upstash'> = await MemoryStore.open({ dialect: 'upstash' });
  const batch: any[] = await r.multi().get('k').exec();
  void [got, notNumber, opened, batch];
}

async function web(): Promise<void> {
  await init();
  await namedInit({ module_or_path: new URL('https://example.com/hedgestore_wasm_bg.wasm') });
  initSync({ module: new Uint8Array() });
  new WebStore().set('a', 'b');
}

void [upstashTyped, parsed, notAString, notWritten, notRecord, queued, eitherDialect, remoteUpstash];
void [added, incremented, scored, byScore, score, scores, members, page, stored];
void [previous, seconds, millis, notBool, written, value, bytes, touched, removed, all, map, popped, one, results, off, token, stats, remote, web];
