// MemoryStore's copies, moves and positions (COPY, RENAMENX, UNLINK, TOUCH, HSTRLEN), as
// JavaScript uses them: `@upstash/redis`'s call signatures (`copy(key, destinationKey,
// { replace })`). The cases join memory_cases.js's list.

import { eq, throws } from './assert.js';

export const keyListCases = {
  keys_copy_renamenx_unlink_touch(MemoryStore) {
    const t = { now: 1_700_000_000_000 };
    const s = new MemoryStore({ clock: () => t.now });
    s.hset('h', { f: 'hello', g: '' });
    s.pexpire('h', 5000);
    eq(s.copy('h', 'h2'), true, 'copy to a missing key');
    eq(s.hgetall('h2'), { f: 'hello', g: '' });
    eq(s.pttl('h2'), 5000, 'the copy keeps the TTL');
    s.hset('h2', { f: 'changed' });
    eq(s.hget('h', 'f'), 'hello', 'the copy is independent of its source');
    s.set('str', 'x');
    eq(s.copy('str', 'h2'), false, 'an existing destination is kept without replace');
    eq(s.copy('str', 'h2', { replace: true }), true, 'replace');
    eq(s.get('h2'), 'x');
    eq(s.pttl('h2'), -1, 'a source without TTL gives a copy without TTL');
    eq(s.copy('missing', 'x'), false);
    throws(() => s.copy('str', 'str'), 'ReplyError', 'ERR source and destination objects are the same');
    throws(() => s.copy('str', 'y', { bogus: true }), 'TypeError', 'unknown option');
    eq(s.renamenx('str', 'h'), false, 'renamenx onto an existing key');
    eq(s.renamenx('str', 'str2'), true);
    eq(s.get('str2'), 'x');
    eq(s.exists('str'), 0);
    throws(() => s.renamenx('missing', 'z'), 'ReplyError', 'ERR no such key');
    eq(s.touch('h', 'h', 'missing'), 2, 'touch counts a key named twice twice');
    eq(s.unlink('h', 'h2', 'missing'), 2);
    eq(s.exists('h', 'h2'), 0);
    throws(() => s.unlink(), 'TypeError', 'at least one key');
  },

  hashes_hstrlen(MemoryStore) {
    const s = new MemoryStore();
    s.hset('h', { f: 'hello', e: '' });
    eq(s.hstrlen('h', 'f'), 5);
    eq(s.hstrlen('h', 'e'), 0);
    eq(s.hstrlen('h', 'missing'), 0);
    eq(s.hstrlen('missing', 'f'), 0);
    s.set('str', 'x');
    throws(() => s.hstrlen('str', 'f'), 'ReplyError', 'WRONGTYPE');
  },
};

/** The names of these cases (memory_cases.js runs them). */
export function keyListCaseNames() {
  return Object.keys(keyListCases);
}
