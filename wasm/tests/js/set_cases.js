// MemoryStore's set and sorted set methods and the older string forms, as JavaScript uses
// them: `@upstash/redis`'s call signatures (`zadd(key, { score, member })`, `zrange(key, min,
// max, { byScore, rev, offset, count, withScores })`, `smismember(key, [members])`). The
// cases join memory_cases.js's list.

import { eq, throws } from './assert.js';

export const setCases = {
  sets_speak_upstash(MemoryStore) {
    const s = new MemoryStore();
    eq(s.sadd('s', 'a', 'b', 'c'), 3, 'sadd(key, member, ...members)');
    eq(s.sadd('s', 'a'), 0);
    eq(s.smembers('s').sort(), ['a', 'b', 'c']);
    eq(s.sismember('s', 'b'), true);
    eq(s.smismember('s', ['a', 'x']), [true, false], 'smismember(key, [members])');
    eq(s.scard('s'), 3);
    eq(s.srem('s', 'c', 'x'), 1);
    s.sadd('t', 'b', 'd');
    eq(s.sinter('s', 't'), ['b']);
    eq(s.sunion('s', 't').sort(), ['a', 'b', 'd']);
    eq(s.sdiff('s', 't'), ['a']);
    eq(s.sinterstore('st', 's', 't'), 1);
    eq(s.sintercard(['s', 't'], { limit: 5 }), 1, 'sintercard([keys], { limit })');
    eq(s.smove('s', 't', 'a'), true);
    eq(s.srandmember('missing'), null);
    eq(s.srandmember('t', 10).sort(), ['a', 'b', 'd']);
    eq(s.spop('st'), 'b', 'spop without a count answers a member');
    eq(s.spop('st', 2), [], 'with a count, an array');
    const page = s.sscan('t', 0, { match: '*', count: 100 });
    eq([page.cursor, page.members.sort()], ['0', ['a', 'b', 'd']], 'sscan: { cursor, members }');
    eq(s.type('t'), 'set');
    eq(s.scan(0, { type: 'set', count: 100 }).keys.sort(), ['s', 't']);
    throws(() => s.smismember('s', 'a'), 'TypeError', 'smismember: members must be an array');
    throws(() => s.sadd('s'), 'TypeError', 'sadd: expects at least one member');
  },

  sorted_sets_speak_upstash(MemoryStore) {
    const s = new MemoryStore();
    eq(s.zadd('z', { score: 1, member: 'a' }, { score: 2, member: 'b' }), 2);
    eq(s.zadd('z', { nx: true }, { score: 9, member: 'a' }, { score: 3, member: 'c' }), 1, 'zadd(key, opts, ...members)');
    eq(s.zadd('z', { xx: true, incr: true }, { score: 0.5, member: 'a' }), 1.5, 'incr answers the score');
    eq(s.zadd('z', { nx: true, incr: true }, { score: 1, member: 'a' }), null, 'a prevented incr is null');
    eq(s.zadd('z', { gt: true, ch: true }, { score: 1, member: 'b' }, { score: 5, member: 'c' }), 1);
    eq(s.zscore('z', 'c'), 5);
    eq(s.zscore('z', 'x'), null);
    eq(s.zmscore('z', ['a', 'x']), [1.5, null], 'zmscore(key, [members])');
    eq(s.zincrby('z', 2, 'b'), 4, 'zincrby(key, increment, member)');
    eq(s.zrank('z', 'b'), 1);
    eq(s.zrevrank('z', 'b'), 1);
    eq(s.zrank('z', 'x'), null);
    eq(s.zcard('z'), 3);
    eq(s.zcount('z', '(1.5', '+inf'), 2);
    eq(s.zrange('z', 0, -1), ['a', 'b', 'c']);
    eq(s.zrange('z', 0, 1, { withScores: true }), ['a', 1.5, 'b', 4]);
    eq(s.zrange('z', '+inf', 2, { byScore: true, rev: true }), ['c', 'b'], 'rev takes max first');
    eq(s.zrange('z', '-inf', '+inf', { byScore: true, offset: 1, count: 1 }), ['b']);
    eq(s.zrevrange('z', 0, 0, { withScores: true }), ['c', 5]);
    eq(s.zrangebyscore('z', 2, 10), ['b', 'c']);
    eq(s.zrevrangebyscore('z', 10, '(4', { withScores: true }), ['c', 5]);
    s.zadd('lex', { score: 0, member: 'a' }, { score: 0, member: 'b' }, { score: 0, member: 'c' });
    eq(s.zrange('lex', '[b', '+', { byLex: true }), ['b', 'c']);
    eq(s.zrangebylex('lex', '-', '(c', { offset: 0, count: 1 }), ['a']);
    eq(s.zrevrangebylex('lex', '+', '-'), ['c', 'b', 'a']);
    eq(s.zlexcount('lex', '[a', '[b'), 2);
    eq(s.zremrangebylex('lex', '[a', '[a'), 1);
    eq(s.zunionstore('u', 2, ['z', 'lex'], { weights: [2, 1], aggregate: 'max' }), 3);
    eq(s.zscore('u', 'c'), 10);
    eq(s.zinterstore('i', 1, 'z', { weight: 3 }), 3);
    eq(s.zscore('i', 'a'), 4.5);
    eq(s.zdiffstore('d', 2, 'z', 'i'), 0);
    eq(s.zpopmin('u'), ['a', 3], 'zpopmin: [member, score]');
    eq(s.zpopmax('u', 2), ['c', 10, 'b', 8]);
    const page = s.zscan('i', '0', { count: 100 });
    eq(page.cursor, '0');
    eq(page.members.length, 6, 'zscan: members and scores');
    eq(s.zrandmember('missing'), null);
    eq(s.zrandmember('i', 1, { withScores: true }).length, 2);
    eq(s.zrem('i', 'a', 'x'), 1);
    eq(s.zremrangebyrank('i', 0, 0), 1);
    eq(s.zremrangebyscore('i', '-inf', '+inf'), 1);
    eq(s.type('z'), 'zset');
    throws(() => s.zadd('z', { nx: true, xx: true }, { score: 1, member: 'a' }), 'ReplyError', 'XX and NX');
    throws(() => s.zadd('z', { score: 'x', member: 'a' }), 'TypeError', 'zadd: score must be a number');
    throws(() => s.zrange('z', 0, 1, { offset: 0, count: 1 }), 'ReplyError', 'LIMIT');
    throws(() => s.zcount('z', 'x', 1), 'ReplyError', 'min or max is not a float');
    throws(() => s.zunionstore('u', 3, ['z']), 'TypeError', 'numKeys is 3 but 1 keys were given');
  },

  string_aliases_speak_upstash(MemoryStore) {
    const s = new MemoryStore();
    eq(s.setex('e', 100, 'hello'), undefined, 'setex(key, seconds, value)');
    eq(s.ttl('e'), 100);
    eq(s.psetex('p', 5000, 'v'), undefined);
    eq(s.getrange('e', 1, -2), 'ell', 'getrange(key, start, end)');
    eq(s.setrange('e', 5, '!'), 6);
    eq(s.getset('e', 'x'), 'hello!');
    eq(s.msetnx({ e: '1', fresh: '1' }), false);
    eq(s.msetnx({ fresh: '1', other: '2' }), true);
    eq(s.hmset('h', { f: 'v', g: 'w' }), undefined);
    eq(s.hgetall('h'), { f: 'v', g: 'w' });
    eq(s.echo('hi'), 'hi');
    eq(s.flushall(), undefined);
    eq(s.dbsize(), 0);
  },
};

/** The names of these cases (memory_cases.js runs them). */
export function setCaseNames() {
  return Object.keys(setCases);
}
