// MemoryStore's hash field expiration methods (Redis 7.4) as JavaScript uses them, with
// `@upstash/redis`'s call signatures: `hexpire(key, fields, seconds, option?)` (and
// `hpexpire`, `hexpireat`, `hpexpireat`), `httl(key, fields)`, `hpttl`, `hexpiretime`,
// `hpexpiretime`, `hpersist`, where `fields` is one field or an array. The replies are the
// ones `@upstash/redis`'s tests expect from Redis. The cases join memory_cases.js's list.

import { eq, throws } from './assert.js';

/** A store whose clock the test moves: `t.now += 1000`. */
function manual(MemoryStore) {
  const t = { now: 1_700_000_000_000 };
  const store = new MemoryStore({ clock: () => t.now });
  return { store, t };
}

export const hashTtlCases = {
  hash_field_expiration_speaks_upstash(MemoryStore) {
    const { store: s, t } = manual(MemoryStore);
    s.hset('h', { a: '1', b: '2', c: '3' });
    eq(s.hexpire('h', 'a', 1), [1], 'hexpire(key, field, seconds)');
    eq(s.hexpire('h', ['a', 'b', 'x'], 10, 'NX'), [0, 1, -2], 'hexpire(key, [fields], seconds, "NX")');
    eq(s.hexpire('h', 'c', 5, 'XX'), [0], 'XX needs a TTL');
    eq(s.hexpire('h', 'a', 5, 'gt'), [1], 'the option in any case');
    eq(s.httl('h', ['a', 'b', 'c', 'x']), [5, 10, -1, -2]);
    eq(s.hpttl('h', 'a'), [5000]);
    eq(s.hpexpire('h', 'c', 2500), [1]);
    eq(s.hexpiretime('h', 'c'), [1_700_000_003]);
    eq(s.hpexpiretime('h', ['c', 'x']), [1_700_000_002_500, -2]);
    eq(s.hexpireat('h', 'b', 1_700_000_020), [1]);
    eq(s.hpexpireat('h', 'b', 1_700_000_030_000, 'LT'), [0]);
    eq(s.hpersist('h', ['b', 'b', 'x']), [1, -1, -2], 'hpersist answers per field, in order');
    t.now += 5000;
    eq(s.hget('h', 'a'), null, 'an expired field is gone');
    eq(s.hgetall('h'), { b: '2' });
    eq(s.hexpire('h', 'b', 0), [2], 'a time not in the future deletes the field');
    eq(s.exists('h'), 0, 'and the emptied hash');
    eq(s.httl('missing', ['a', 'b']), [-2, -2]);
    throws(() => s.hexpire('h', 'a', 1, 'XY'), 'TypeError', 'hexpire: expects the option');
    throws(() => s.httl('h', []), 'TypeError', 'httl: expects at least one field');
  },

  hgetdel_hgetex_hsetex_speak_upstash(MemoryStore) {
    const { store: s, t } = manual(MemoryStore);
    eq(s.hsetex('h', { conditional: 'FNX', expiration: { ex: 10 } }, { a: '1', b: '2' }), 1,
      'hsetex(key, { conditional, expiration }, { field: value })');
    eq(s.hsetex('h', { conditional: 'fnx' }, { a: '9' }), 0, 'FNX: a field exists');
    eq(s.httl('h', ['a', 'b']), [10, 10]);
    eq(s.hsetex('h', { expiration: { keepttl: true } }, { a: '3' }), 1);
    eq(s.httl('h', 'a'), [10], 'keepttl keeps the TTL');
    eq(s.hsetex('h', {}, { a: '4' }), 1);
    eq(s.httl('h', 'a'), [-1], 'no expiration clears it');
    eq(s.hgetex('h', { px: 500 }, 'a', 'x'), ['4', null], 'hgetex(key, { px }, ...fields)');
    eq(s.hpttl('h', 'a'), [500]);
    eq(s.hgetex('h', { persist: true }, 'a'), ['4']);
    eq(s.httl('h', 'a'), [-1]);
    eq(s.hgetdel('h', 'a', 'x'), ['4', null], 'hgetdel(key, ...fields)');
    eq(s.hkeys('h'), ['b']);
    t.now += 10_000;
    eq(s.exists('h'), 0, 'the last field expired, and the hash with it');
    throws(() => s.hsetex('h', { conditional: 'NX' }, { a: '1' }), 'TypeError', 'conditional');
    throws(() => s.hsetex('h', { expiration: { ex: 1, px: 1 } }, { a: '1' }), 'TypeError', 'at most one');
  },
};

/** The names of these cases (memory_cases.js runs them). */
export function hashTtlCaseNames() {
  return Object.keys(hashTtlCases);
}
