// MemoryStore's copies, moves and positions (COPY, RENAMENX, UNLINK, TOUCH, HSTRLEN, LPOS,
// LMOVE, LMPOP), as JavaScript uses them: `@upstash/redis`'s call signatures (`copy(key,
// destinationKey, { replace })`, `lpos(key, element, { rank, count, maxLen })`,
// `lmpop(numKeys, [keys], 'LEFT', count)`). The cases join memory_cases.js's list.

import { eq, ok, text, throws } from './assert.js';

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

  keys_randomkey_and_time(MemoryStore) {
    const t = { now: 1_700_000_000_123 };
    const s = new MemoryStore({ clock: () => t.now });
    eq(s.randomkey(), null, 'no key');
    s.set('a', '1');
    s.set('b', '2');
    s.set('gone', '3', { px: 10 });
    t.now += 100;
    const seen = new Set();
    for (let i = 0; i < 50; i++) seen.add(s.randomkey());
    eq([...seen].sort(), ['a', 'b'], 'every live key comes up, an expired one never');
    eq(s.time(), [1_700_000_000, 223_000], 'the store clock, seconds and microseconds');
  },

  scripts_need_redis(MemoryStore) {
    const s = new MemoryStore();
    const refused = "ERR scripts need Redis: hedgestore's memory engine has no Lua interpreter";
    throws(() => s.eval("return redis.call('SET', KEYS[1], 'x')", ['k'], []), 'ReplyError', refused);
    throws(() => s.evalsha('e0e1f9fabfc9d4800c877a703b823ac0578ff8db', ['k']), 'ReplyError', refused);
    throws(() => s.evalRo('return 1', []), 'ReplyError', refused);
    throws(() => s.evalshaRo('e0e1f9fabfc9d4800c877a703b823ac0578ff8db', []), 'ReplyError', refused);
    throws(() => s.scriptLoad('return 1'), 'ReplyError', refused);
    throws(() => s.scriptExists('e0e1f9fabfc9d4800c877a703b823ac0578ff8db'), 'ReplyError', refused);
    throws(() => s.scriptFlush(), 'ReplyError', refused);
    throws(() => s.eval('return 1', 'k'), 'TypeError', 'keys must be an array');
    eq(s.exists('k'), 0, 'nothing ran');
  },

  sorted_set_combinations(MemoryStore) {
    const s = new MemoryStore();
    s.zadd('a', { score: 1, member: 'x' }, { score: 2, member: 'y' });
    s.zadd('b', { score: 10, member: 'y' }, { score: 3, member: 'z' });
    eq(s.zunion(2, ['a', 'b']), ['x', 'z', 'y'], 'by summed score');
    eq(s.zunion(2, ['a', 'b'], { withScores: true }), ['x', 1, 'z', 3, 'y', 12]);
    eq(s.zunion(2, ['a', 'b'], { weights: [2, 1], aggregate: 'min', withScores: true }), ['x', 2, 'z', 3, 'y', 4]);
    eq(s.zinter(2, ['a', 'b'], { aggregate: 'max', withScores: true }), ['y', 10]);
    eq(s.zdiff(2, ['a', 'b']), ['x']);
    eq(s.zdiff(1, 'a', { withScores: true }), ['x', 1, 'y', 2]);
    eq(s.zintercard(2, ['a', 'b']), 1);
    eq(s.zintercard(2, ['a', 'a'], { limit: 1 }), 1);
    throws(() => s.zdiff(2, ['a', 'b'], { weights: [1, 1] }), 'TypeError', 'unknown option');
    eq(s.zrangestore('d', 'b', 0, 0), 1);
    eq(s.zrange('d', 0, -1, { withScores: true }), ['z', 3]);
    eq(s.zrangestore('d', 'a', '+inf', '(1', { byScore: true, rev: true }), 1);
    eq(s.zrange('d', 0, -1, { withScores: true }), ['y', 2]);
    eq(s.zrangestore('d', 'missing', 0, -1), 0);
    eq(s.exists('d'), 0, 'an empty range deletes the destination');
    throws(() => s.zrangestore('d', 'a', 0, -1, { withScores: true }), 'TypeError', 'unknown option');
    throws(() => s.zunion(3, ['a', 'b']), 'TypeError', 'numKeys is 3 but 2 keys were given');
    s.set('str', 'x');
    throws(() => s.zunion(2, ['a', 'str']), 'ReplyError', 'WRONGTYPE');
  },

  hashes_hrandfield_hscan(MemoryStore) {
    const s = new MemoryStore();
    s.hset('h', { a: '1', b: '2', c: '3' });
    ok(['a', 'b', 'c'].includes(s.hrandfield('h')), 'one field');
    eq(s.hrandfield('missing'), null);
    eq(s.hrandfield('h', 5).sort(), ['a', 'b', 'c'], 'a positive count never repeats');
    eq(s.hrandfield('h', -7).length, 7, 'a negative count may repeat');
    eq(s.hrandfield('h', 3, true), { a: '1', b: '2', c: '3' }, 'with values');
    eq(s.hrandfield('missing', 2), []);
    const page = s.hscan('h', 0, { match: '[ab]' });
    eq(page.cursor, '0');
    const pairs = [];
    for (let i = 0; i < page.members.length; i += 2) pairs.push(page.members[i] + '=' + page.members[i + 1]);
    eq(pairs.sort(), ['a=1', 'b=2']);
    eq(s.hscan('missing', 0), { cursor: '0', members: [] });
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

  lists_lpos_lmove_lmpop(MemoryStore) {
    const s = new MemoryStore();
    s.rpush('l', 'a', 'b', 'c', 'b', 'b');
    eq(s.lpos('l', 'b'), 1);
    eq(s.lpos('l', 'b', { rank: 2 }), 3);
    eq(s.lpos('l', 'b', { rank: -1 }), 4, 'a negative rank counts from the tail');
    eq(s.lpos('l', 'b', { count: 0 }), [1, 3, 4], 'count 0 reports every match');
    eq(s.lpos('l', 'b', { count: 2, rank: -1 }), [4, 3]);
    eq(s.lpos('l', 'b', { count: 0, maxLen: 2 }), [1], 'maxLen bounds the comparisons');
    eq(s.lpos('l', 'z'), null);
    eq(s.lpos('missing', 'z', { count: 1 }), []);
    throws(() => s.lpos('l', 'b', { rank: 0 }), 'ReplyError', "ERR RANK can't be zero");
    eq(s.lmove('l', 'm', 'left', 'right'), 'a');
    eq(s.lmove('l', 'm', 'RIGHT', 'LEFT'), 'b');
    eq(s.lrange('m', 0, -1), ['b', 'a']);
    eq(s.lmove('m', 'm', 'left', 'right'), 'b', 'a list rotates onto itself');
    eq(s.lrange('m', 0, -1), ['a', 'b']);
    eq(s.lmoveBytes('m', 'm', 'left', 'left'), text('a'));
    eq(s.lmove('missing', 'm', 'left', 'left'), null);
    s.set('str', 'x');
    throws(() => s.lmove('m', 'str', 'left', 'left'), 'ReplyError', 'WRONGTYPE');
    eq(s.lrange('m', 0, -1), ['a', 'b'], 'a refused move changed nothing');
    throws(() => s.lmove('m', 'n', 'up', 'left'), 'TypeError', "whereFrom must be 'left' or 'right'");
    eq(s.lmpop(2, ['missing', 'l'], 'LEFT'), ['l', ['b']]);
    eq(s.lmpop(2, ['missing', 'l'], 'RIGHT', 5), ['l', ['b', 'c']]);
    eq(s.exists('l'), 0, 'an emptied list is removed');
    eq(s.lmpop(1, ['missing'], 'LEFT'), null);
    throws(() => s.lmpop(2, ['m'], 'LEFT'), 'TypeError', 'numKeys is 2 but 1 keys were given');
    throws(() => s.lmpop(1, ['str'], 'LEFT'), 'ReplyError', 'WRONGTYPE');
  },
};

/** The names of these cases (memory_cases.js runs them). */
export function keyListCaseNames() {
  return Object.keys(keyListCases);
}
