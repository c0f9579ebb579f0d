// MemoryStore's bitmap and HyperLogLog methods as JavaScript uses them, with
// `@upstash/redis`'s call signatures: `setbit(key, offset, 0 | 1)`, `bitcount(key, start?,
// end?)`, `bitpos(key, bit, start?, end?)`, `bitop(op, destinationKey, ...sourceKeys)`,
// `pfadd(key, ...elements)`, `pfcount(...keys)`, `pfmerge(destinationKey, ...sourceKeys)`.
// The cases join memory_cases.js's list.

import { eq, throws } from './assert.js';

export const bitCases = {
  bitmaps_speak_upstash(MemoryStore) {
    const s = new MemoryStore();
    eq(s.setbit('b', 1, 1), 0, 'setbit answers the previous bit');
    eq(s.setbit('b', 1, 1), 1);
    eq(s.setbit('b', 7, 1), 0);
    eq(s.get('b'), 'A', 'bit 0 is the most significant bit of the first byte');
    eq(s.getbit('b', 7), 1);
    eq(s.getbit('b', 100), 0, 'past the end reads 0');
    eq(s.getbit('missing', 3), 0);
    s.set('t', 'foobar');
    eq(s.bitcount('t'), 26);
    eq(s.bitcount('t', 1, 1), 6, 'bitcount(key, start, end) in bytes');
    eq(s.bitcount('t', -2, -1), 7);
    eq(s.bitpos('t', 1), 1);
    eq(s.bitpos('t', 0, 2), 16, 'bitpos(key, bit, start)');
    eq(s.bitpos('t', 1, 2, -1), 17);
    s.set('ones', new Uint8Array([0xff]));
    eq(s.bitpos('ones', 0), 8, 'without an end, a clear bit is found past the string');
    eq(s.bitpos('ones', 0, 0, -1), -1, 'with an end, it is not');
    eq(s.bitpos('missing', 1), -1);
    s.set('x', 'abc');
    s.set('y', 'b');
    eq(s.bitop('and', 'd', 'x', 'y'), 3, 'bitop answers the stored length');
    eq(s.get('d'), '`\0\0');
    eq(s.bitop('or', 'd', 'x', 'y'), 3);
    eq(s.get('d'), 'cbc');
    eq(s.bitop('XOR', 'd', 'x', 'x'), 3);
    eq(s.bitcount('d'), 0);
    eq(s.bitop('not', 'n', 'y'), 1);
    eq(s.getBytes('n'), new Uint8Array([0x9d]));
    eq(s.bitop('and', 'n', 'missing'), 0, 'an empty result deletes the destination');
    eq(s.exists('n'), 0);
    throws(() => s.setbit('b', 4294967296, 1), 'ReplyError', 'bit offset is not an integer or out of range');
    throws(() => s.bitop('not', 'd', 'x', 'y'), 'ReplyError', 'BITOP NOT must be called with a single source key');
    s.hset('h', { f: 'v' });
    throws(() => s.bitcount('h'), 'ReplyError', 'WRONGTYPE');
    throws(() => s.setbit('b', 1, 2), 'TypeError', 'value must be 0 or 1');
    throws(() => s.setbit('b', -1, 1), 'TypeError', 'offset must not be negative');
    throws(() => s.bitcount('b', 1), 'TypeError', 'give both start and end');
    throws(() => s.bitop('nand', 'd', 'x'), 'TypeError', "op must be 'and'");
    throws(() => s.bitop('and', 'd'), 'TypeError', 'expects at least one source key');
  },

  hyperloglogs_speak_upstash(MemoryStore) {
    const s = new MemoryStore();
    eq(s.pfadd('h1', 'a', 'b', 'c'), 1, 'pfadd(key, ...elements)');
    eq(s.pfadd('h1', 'a'), 0, 'nothing changed');
    eq(s.pfadd('h2', 'c', 'd'), 1);
    eq(s.pfcount('h1'), 3);
    eq(s.pfcount('h1', 'h2'), 4, 'pfcount(...keys) counts the union');
    eq(s.pfmerge('m', 'h1', 'h2'), undefined, 'pfmerge(destinationKey, ...sourceKeys)');
    eq(s.pfcount('m'), 4);
    eq(s.getBytes('m').slice(0, 4), new TextEncoder().encode('HYLL'), 'stored as a string');
    eq(s.pfadd('empty'), 1, 'pfadd without elements creates the key');
    eq(s.pfcount('empty', 'missing'), 0);
    s.set('str', 'plain');
    throws(() => s.pfadd('str', 'a'), 'ReplyError', 'not a valid HyperLogLog string value');
    throws(() => s.pfcount(), 'TypeError', 'expects at least one key');
  },
};

/** The names of these cases (memory_cases.js runs them). */
export function bitCaseNames() {
  return Object.keys(bitCases);
}
