// Types of the command methods of the npm package `hedgestore`: the `Commands` interface
// every store and builder extends (see hedgestore.d.ts), and the types of their arguments.

/** A key, field, value, channel or pattern: a string (stored as UTF-8), bytes, or a finite number (stored as its text). */
export type Bytes = string | Uint8Array | number;

/** An integer argument: a safe-integer number, or a bigint for the full 64-bit range. */
export type Int = number | bigint;

/** A list end (`LMOVE`, `LMPOP`), in either case. */
export type ListEnd = 'left' | 'right' | 'LEFT' | 'RIGHT';

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

/** The `HEXPIRE` family's condition, as `@upstash/redis` takes it (any case). */
export type HExpireOption = 'NX' | 'nx' | 'XX' | 'xx' | 'GT' | 'gt' | 'LT' | 'lt';

/** `hsetex`'s options, as `@upstash/redis` takes them. */
export interface HSetExOptions {
  /** `FNX`: only if none of the fields exists; `FXX`: only if all exist. */
  conditional?: 'FNX' | 'fnx' | 'FXX' | 'fxx';
  /** The fields' TTL: at most one of these; none clears their TTL, as `hset` does. */
  expiration?: { ex?: Int; px?: Int; exat?: Int; pxat?: Int; keepttl?: boolean };
}

/** `scan`'s options. */
export interface ScanOptions {
  /** A glob pattern keys must match. */
  match?: Bytes;
  /** Roughly how many slots to visit (default 10). */
  count?: number;
  /** Only keys of this type. */
  type?: 'string' | 'hash' | 'list' | 'set' | 'zset';
}

/** One page of a scan; a cursor of `'0'` ends the iteration. */
export interface ScanPage<K> {
  cursor: string;
  keys: K[];
}

/** One page of `sscan` (members) or `zscan` (`[member, score, …]`); a cursor of `'0'` ends it. */
export interface MemberScanPage<M> {
  cursor: string;
  members: M[];
}

/** A sorted set member and its score, as `zadd` takes them. */
export interface ScoreMember {
  score: number;
  member: Bytes;
}

/** `zadd`'s options: at most one of `nx`/`xx`, one of `gt`/`lt` (not with `nx`). */
export interface ZAddOptions {
  nx?: boolean;
  xx?: boolean;
  gt?: boolean;
  lt?: boolean;
  /** Count updated members too. */
  ch?: boolean;
  /** Add to the score (one member) and answer the new score, or `null`. */
  incr?: boolean;
}

/** A point of a geospatial index, as `geoadd` takes it. */
export interface GeoMember {
  longitude: number;
  latitude: number;
  member: Bytes;
}

/** `geoadd`'s options: at most one of `nx`/`xx`. */
export interface GeoAddOptions {
  nx?: boolean;
  xx?: boolean;
  /** Count moved members too. */
  ch?: boolean;
}

/** A score bound: a number (inclusive) or Redis's text: `'(1.5'` (exclusive), `'-inf'`, `'+inf'`. */
export type ScoreBound = number | string;
/** A lex bound: `'[member'`, `'(member'`, `'-'` or `'+'`. */
export type LexBound = string;

/** `zrange`'s options (`offset` and `count` go together, with `byScore` or `byLex`). */
export interface ZRangeOptions {
  byScore?: boolean;
  byLex?: boolean;
  /** Descending; a score or lex range is then given as `max, min`. */
  rev?: boolean;
  offset?: number;
  count?: number;
  /** Answer `[member, score, …]`. */
  withScores?: boolean;
}

/** `zunionstore`'s and `zinterstore`'s options. */
export interface ZStoreOptions {
  weights?: number[];
  weight?: number;
  aggregate?: 'sum' | 'min' | 'max';
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
  /** `SETEX`: sets the value with a TTL in seconds. */
  setex(key: Bytes, seconds: Int, value: Bytes): R['void'];
  /** `PSETEX`: sets the value with a TTL in milliseconds. */
  psetex(key: Bytes, milliseconds: Int, value: Bytes): R['void'];
  /** `GETSET`: sets the value; the previous one, or `null`. */
  getset(key: Bytes, value: Bytes): R['string'];
  /** `MSETNX`: sets every pair only when no key exists; true when it did. */
  msetnx(entries: Entries): R['boolean'];
  /** `SETRANGE`: overwrites from byte `offset`; the new length. */
  setrange(key: Bytes, offset: Int, value: Bytes): R['number'];
  /** `GETRANGE`: bytes `start..=end` (negative counts from the end). */
  getrange(key: Bytes, start: Int, end: Int): R['text'];

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
  /** `FLUSHALL` (one database: as `flushdb`). */
  flushall(): R['void'];
  /** `ECHO`: the message. */
  echo(message: Bytes): R['text'];
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
  /** `HMSET`: sets every field (`hset`'s older form). */
  hmset(key: Bytes, fields: Entries): R['void'];

  // Hash field expiration (Redis 7.4)
  /**
   * `HEXPIRE`: per field, -2 no such field, 0 the option's condition not met, 1 TTL set, 2
   * deleted (a time not in the future).
   */
  hexpire(key: Bytes, fields: Bytes | Bytes[], seconds: Int, option?: HExpireOption): R['numbers'];
  /** `HPEXPIRE`: as `hexpire`, in milliseconds. */
  hpexpire(
    key: Bytes,
    fields: Bytes | Bytes[],
    milliseconds: Int,
    option?: HExpireOption,
  ): R['numbers'];
  /** `HEXPIREAT`: as `hexpire`, at a Unix time in seconds. */
  hexpireat(
    key: Bytes,
    fields: Bytes | Bytes[],
    unixSeconds: Int,
    option?: HExpireOption,
  ): R['numbers'];
  /** `HPEXPIREAT`: as `hexpire`, at a Unix time in milliseconds. */
  hpexpireat(
    key: Bytes,
    fields: Bytes | Bytes[],
    unixMilliseconds: Int,
    option?: HExpireOption,
  ): R['numbers'];
  /** `HTTL`: per field, seconds left, -1 no TTL, -2 no such field. */
  httl(key: Bytes, fields: Bytes | Bytes[]): R['numbers'];
  /** `HPTTL`: per field, milliseconds left, -1 no TTL, -2 no such field. */
  hpttl(key: Bytes, fields: Bytes | Bytes[]): R['numbers'];
  /** `HEXPIRETIME`: per field, the Unix time in seconds, -1 no TTL, -2 no such field. */
  hexpiretime(key: Bytes, fields: Bytes | Bytes[]): R['numbers'];
  /** `HPEXPIRETIME`: per field, the Unix time in milliseconds, -1 no TTL, -2 no such field. */
  hpexpiretime(key: Bytes, fields: Bytes | Bytes[]): R['numbers'];
  /** `HPERSIST`: per field, 1 TTL removed, -1 no TTL, -2 no such field. */
  hpersist(key: Bytes, fields: Bytes | Bytes[]): R['numbers'];
  /** `HGETDEL` (Redis 8.0): the values (`null` where missing); the fields are deleted. */
  hgetdel(key: Bytes, ...fields: Bytes[]): R['strings'];
  /** `HGETEX` (Redis 8.0): the values (`null` where missing), changing the fields' TTL. */
  hgetex(key: Bytes, options: GetExOptions, ...fields: Bytes[]): R['strings'];
  /** `HSETEX` (Redis 8.0): 1 when every field was set, 0 when the condition prevented it. */
  hsetex(key: Bytes, options: HSetExOptions, fields: Entries): R['number'];

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

  // Sets
  /** `SADD`: how many members were new. */
  sadd(key: Bytes, member: Bytes, ...members: Bytes[]): R['number'];
  /** `SREM`: how many members were there. */
  srem(key: Bytes, ...members: Bytes[]): R['number'];
  /** `SMEMBERS`. */
  smembers(key: Bytes): R['stringList'];
  /** `SISMEMBER`. */
  sismember(key: Bytes, member: Bytes): R['boolean'];
  /** `SMISMEMBER`: whether each member is there. */
  smismember(key: Bytes, members: Bytes[]): R['booleans'];
  /** `SCARD`. */
  scard(key: Bytes): R['number'];
  /** `SPOP`: a random member removed, or `null`; with a count, up to that many. */
  spop(key: Bytes): R['string'];
  spop(key: Bytes, count: number): R['stringList'];
  /** `SRANDMEMBER`: a random member, or `null`; with a count, up to that many (negative: may repeat). */
  srandmember(key: Bytes): R['string'];
  srandmember(key: Bytes, count: Int): R['stringList'];
  /** `SMOVE`: true when the member moved. */
  smove(source: Bytes, destination: Bytes, member: Bytes): R['boolean'];
  /** `SINTER`. */
  sinter(key: Bytes, ...keys: Bytes[]): R['stringList'];
  /** `SUNION`. */
  sunion(key: Bytes, ...keys: Bytes[]): R['stringList'];
  /** `SDIFF`. */
  sdiff(key: Bytes, ...keys: Bytes[]): R['stringList'];
  /** `SINTERSTORE`: the stored set's size. */
  sinterstore(destination: Bytes, key: Bytes, ...keys: Bytes[]): R['number'];
  /** `SUNIONSTORE`. */
  sunionstore(destination: Bytes, key: Bytes, ...keys: Bytes[]): R['number'];
  /** `SDIFFSTORE`. */
  sdiffstore(destination: Bytes, key: Bytes, ...keys: Bytes[]): R['number'];
  /** `SINTERCARD`: the intersection's size, counting stopped at `limit`. */
  sintercard(keys: Bytes[], options?: { limit?: number }): R['number'];
  /** `SSCAN`: one page of members. */
  sscan(key: Bytes, cursor: string | Int, options?: { match?: Bytes; count?: number }): R['sscan'];

  // Sorted sets
  /** `ZADD`: how many members were new (with `ch`, also updated). */
  zadd(key: Bytes, member: ScoreMember, ...members: ScoreMember[]): R['number'];
  /** `ZADD … INCR`: the new score, or `null` when a condition prevented it. */
  zadd(key: Bytes, options: ZAddOptions & { incr: true }, member: ScoreMember): R['score'];
  zadd(key: Bytes, options: ZAddOptions, member: ScoreMember, ...members: ScoreMember[]): R['number'];
  /** `ZINCRBY`: the new score. */
  zincrby(key: Bytes, increment: number, member: Bytes): R['number'];
  /** `ZSCORE`: the score, or `null`. */
  zscore(key: Bytes, member: Bytes): R['score'];
  /** `ZMSCORE`: each score, or `null`. */
  zmscore(key: Bytes, members: Bytes[]): R['scores'];
  /** `ZCARD`. */
  zcard(key: Bytes): R['number'];
  /** `ZCOUNT`: how many scores are within the bounds. */
  zcount(key: Bytes, min: ScoreBound, max: ScoreBound): R['number'];
  /** `ZLEXCOUNT`. */
  zlexcount(key: Bytes, min: LexBound, max: LexBound): R['number'];
  /** `ZRANK`: the rank by ascending score, or `null`. */
  zrank(key: Bytes, member: Bytes): R['score'];
  /** `ZREVRANK`: the rank by descending score, or `null`. */
  zrevrank(key: Bytes, member: Bytes): R['score'];
  /** `ZREM`: how many members were there. */
  zrem(key: Bytes, ...members: Bytes[]): R['number'];
  /** `ZRANGE` by rank, score (`byScore`) or lex (`byLex`); `[member, score, …]` with `withScores`. */
  zrange(key: Bytes, min: ScoreBound, max: ScoreBound, options: ZRangeOptions & { withScores: true }): R['scored'];
  zrange(key: Bytes, min: ScoreBound, max: ScoreBound, options?: ZRangeOptions): R['stringList'];
  /** `ZREVRANGE`. */
  zrevrange(key: Bytes, start: Int, stop: Int, options: { withScores: true }): R['scored'];
  zrevrange(key: Bytes, start: Int, stop: Int, options?: { withScores?: boolean }): R['stringList'];
  /** `ZRANGEBYSCORE`. */
  zrangebyscore(key: Bytes, min: ScoreBound, max: ScoreBound, options: { withScores: true; offset?: number; count?: number }): R['scored'];
  zrangebyscore(key: Bytes, min: ScoreBound, max: ScoreBound, options?: { withScores?: boolean; offset?: number; count?: number }): R['stringList'];
  /** `ZREVRANGEBYSCORE` (`max` first). */
  zrevrangebyscore(key: Bytes, max: ScoreBound, min: ScoreBound, options: { withScores: true; offset?: number; count?: number }): R['scored'];
  zrevrangebyscore(key: Bytes, max: ScoreBound, min: ScoreBound, options?: { withScores?: boolean; offset?: number; count?: number }): R['stringList'];
  /** `ZRANGEBYLEX`. */
  zrangebylex(key: Bytes, min: LexBound, max: LexBound, options?: { offset?: number; count?: number }): R['stringList'];
  /** `ZREVRANGEBYLEX` (`max` first). */
  zrevrangebylex(key: Bytes, max: LexBound, min: LexBound, options?: { offset?: number; count?: number }): R['stringList'];
  /** `ZREMRANGEBYRANK`: how many were removed. */
  zremrangebyrank(key: Bytes, start: Int, stop: Int): R['number'];
  /** `ZREMRANGEBYSCORE`. */
  zremrangebyscore(key: Bytes, min: ScoreBound, max: ScoreBound): R['number'];
  /** `ZREMRANGEBYLEX`. */
  zremrangebylex(key: Bytes, min: LexBound, max: LexBound): R['number'];
  /** `ZPOPMIN`: `[member, score, …]` of the lowest scores. */
  zpopmin(key: Bytes, count?: number): R['scored'];
  /** `ZPOPMAX`: `[member, score, …]` of the highest scores. */
  zpopmax(key: Bytes, count?: number): R['scored'];
  /** `ZRANDMEMBER`: a random member, or `null`; with a count, up to that many (negative: may repeat). */
  zrandmember(key: Bytes): R['string'];
  zrandmember(key: Bytes, count: Int, options: { withScores: true }): R['scored'];
  zrandmember(key: Bytes, count: Int, options?: { withScores?: boolean }): R['stringList'];
  /** `ZUNIONSTORE` (`numKeys` is the number of keys): the stored set's size. */
  zunionstore(destination: Bytes, numKeys: number, keys: Bytes | Bytes[], options?: ZStoreOptions): R['number'];
  /** `ZINTERSTORE`. */
  zinterstore(destination: Bytes, numKeys: number, keys: Bytes | Bytes[], options?: ZStoreOptions): R['number'];
  /** `ZDIFFSTORE`. */
  zdiffstore(destination: Bytes, numKeys: number, ...keys: Bytes[]): R['number'];
  /** `ZSCAN`: one page, members as `[member, score, …]`. */
  zscan(key: Bytes, cursor: string | Int, options?: { match?: Bytes; count?: number }): R['zscan'];

  // Geospatial indexes (sorted sets whose scores are geohashes)
  /** `GEOADD`: how many members were new (with `ch`, also moved). */
  geoadd(key: Bytes, member: GeoMember, ...members: GeoMember[]): R['number'];
  geoadd(key: Bytes, options: GeoAddOptions, member: GeoMember, ...members: GeoMember[]): R['number'];
  /** `GEOPOS`: `{ lng, lat }` of each member that exists (missing ones are left out). */
  geopos(key: Bytes, members: Bytes[]): R['positions'];
  geopos(key: Bytes, ...members: Bytes[]): R['positions'];
  /** `GEODIST`: the distance in `unit` (default meters), or `null` when a member is missing. */
  geodist(key: Bytes, member1: Bytes, member2: Bytes, unit?: 'M' | 'KM' | 'FT' | 'MI' | 'm' | 'km' | 'ft' | 'mi'): R['score'];
  /** `GEOHASH`: each member's 11-character geohash, or `null`. */
  geohash(key: Bytes, members: Bytes[]): R['strings'];
  geohash(key: Bytes, ...members: Bytes[]): R['strings'];

  // Pub/sub
  /** `PUBLISH`: how many subscriptions received the message. */
  publish(channel: Bytes, message: Bytes): R['number'];
  /** `PUBSUB CHANNELS [pattern]`. */
  pubsubChannels(pattern?: Bytes): R['stringList'];
  /** `PUBSUB NUMSUB`: `{ channel: subscribers }`. */
  pubsubNumsub(...channels: Bytes[]): R['counts'];
  /** `PUBSUB NUMPAT`. */
  pubsubNumpat(): R['number'];

  // Bitmaps (offsets count bytes in ranges, bits in setbit/getbit)
  /** `SETBIT`: sets the bit at `offset` (up to 2^32 - 1); the previous bit. */
  setbit(key: Bytes, offset: Int, value: 0 | 1): R['number'];
  /** `GETBIT`: the bit at `offset` (0 past the end). */
  getbit(key: Bytes, offset: Int): R['number'];
  /** `BITCOUNT`: the number of set bits, in bytes `start..=end` when both are given. */
  bitcount(key: Bytes, start?: Int, end?: Int): R['number'];
  /** `BITPOS`: the first bit equal to `bit` (from byte `start`, to byte `end`), or -1. */
  bitpos(key: Bytes, bit: 0 | 1, start?: Int, end?: Int): R['number'];
  /** `BITOP`: stores the operation of the source keys in `destinationKey`; its length. */
  bitop(op: 'and' | 'or' | 'xor' | 'not', destinationKey: Bytes, ...sourceKeys: Bytes[]): R['number'];

  // HyperLogLog (stored as strings in Redis's encoding)
  /** `PFADD`: 1 when the HyperLogLog was created or changed, else 0. */
  pfadd(key: Bytes, ...elements: Bytes[]): R['number'];
  /** `PFCOUNT`: the estimated number of distinct elements (of the union, for several keys). */
  pfcount(...keys: Bytes[]): R['number'];
  /** `PFMERGE`: stores the union of the HyperLogLogs in `destinationKey`. */
  pfmerge(destinationKey: Bytes, ...sourceKeys: Bytes[]): R['void'];

  // Keys, hashes and lists: copies, moves and positions
  /** `COPY key destinationKey [REPLACE]`: copies the value and its TTL; true when it did. */
  copy(key: Bytes, destinationKey: Bytes, options?: { replace?: boolean }): R['boolean'];
  /** `RENAMENX`: renames only when `newKey` does not exist; true when it did. */
  renamenx(key: Bytes, newKey: Bytes): R['boolean'];
  /** `UNLINK`: how many existed (removed as `DEL` does). */
  unlink(...keys: Bytes[]): R['number'];
  /** `TOUCH`: how many exist, marking them as used. */
  touch(...keys: Bytes[]): R['number'];
  /** `HSTRLEN`: the length in bytes of the field's value (0 when missing). */
  hstrlen(key: Bytes, field: Bytes): R['number'];
  /** `EVAL`: runs a Lua script on a Redis backend (a `MemoryStore` has no Lua interpreter and refuses it). */
  eval(script: string, keys: Bytes[], args?: Bytes[]): R['any'];
  /** `EVALSHA`: runs a script loaded with `scriptLoad`. */
  evalsha(sha1: string, keys: Bytes[], args?: Bytes[]): R['any'];
  /** `EVAL_RO`: a script that only reads. */
  evalRo(script: string, keys: Bytes[], args?: Bytes[]): R['any'];
  /** `EVALSHA_RO`: a loaded script that only reads. */
  evalshaRo(sha1: string, keys: Bytes[], args?: Bytes[]): R['any'];
  /** `SCRIPT LOAD`: the script's SHA1 digest, for `evalsha`. */
  scriptLoad(script: string): R['text'];
  /** `SCRIPT EXISTS`: for each digest, whether the script is loaded. */
  scriptExists(...sha1s: string[]): R['booleans'];
  /** `SCRIPT FLUSH`: forgets every loaded script. */
  scriptFlush(options?: { sync?: boolean; async?: boolean }): R['void'];
  /** `ZUNION`: the members of the union, by score; with `withScores`, `[member, score, …]`. */
  zunion(numKeys: number, keys: Bytes | Bytes[], options?: ZStoreOptions & { withScores?: boolean }): R['scored'];
  /** `ZINTER`: the members of the intersection, by score. */
  zinter(numKeys: number, keys: Bytes | Bytes[], options?: ZStoreOptions & { withScores?: boolean }): R['scored'];
  /** `ZDIFF`: the members of the first set in none of the others, by score. */
  zdiff(numKeys: number, keys: Bytes | Bytes[], options?: { withScores?: boolean }): R['scored'];
  /** `ZRANGESTORE`: stores what `zrange` would answer (with scores) at `destination`; how many. */
  zrangestore(destination: Bytes, key: Bytes, min: Bytes, max: Bytes, options?: { byScore?: boolean; byLex?: boolean; rev?: boolean; offset?: number; count?: number }): R['number'];
  /** `ZINTERCARD`: the intersection's size, counting stopped at `limit`. */
  zintercard(numKeys: number, keys: Bytes | Bytes[], options?: { limit?: number }): R['number'];
  /** `RANDOMKEY`: a random key, or `null` when there are none. */
  randomkey(): R['string'];
  /** `TIME`: the store's clock as `[unixSeconds, microseconds]`. */
  time(): R['time'];
  /** `HRANDFIELD`: a random field, or `null`. */
  hrandfield(key: Bytes): R['string'];
  /** `HRANDFIELD key count`: up to `count` distinct fields (a negative count may repeat). */
  hrandfield(key: Bytes, count: Int, withValues?: false): R['strings'];
  /** `HRANDFIELD key count WITHVALUES`: the fields with their values. */
  hrandfield(key: Bytes, count: Int, withValues: true): R['record'];
  /** `HSCAN`: one page, `members` as `[field, value, …]`. */
  hscan(key: Bytes, cursor: string | Int, options?: { match?: Bytes; count?: number }): R['sscan'];
  /** `LPOS`: the position of the first match (or the `rank`th; negative from the tail), or `null`. */
  lpos(key: Bytes, element: Bytes, options?: { rank?: Int; maxLen?: number }): R['score'];
  /** `LPOS … COUNT`: the positions of up to `count` matches (0: all). */
  lpos(key: Bytes, element: Bytes, options: { rank?: Int; count: number; maxLen?: number }): R['scores'];
  /** `LMOVE`: moves an element between list ends; it, or `null` when `source` is missing. */
  lmove(source: Bytes, destination: Bytes, whereFrom: ListEnd, whereTo: ListEnd): R['string'];
  /** `LMOVE` as bytes. */
  lmoveBytes(source: Bytes, destination: Bytes, whereFrom: ListEnd, whereTo: ListEnd): R['bytes'];
  /** `LMPOP`: up to `count` (default 1) values from the first non-empty list, as `[key, values]`, or `null`. */
  lmpop(numKeys: number, keys: Bytes[], direction: ListEnd, count?: number): R['popped'];
}

/** The answer types of a synchronous store. */
