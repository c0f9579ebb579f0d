// The string shortcut of MemoryStore's `get` and `set` (wasm/js/fast.js): keys and values
// written into a scratch buffer, decoded strings reused by version. Each case checks that it
// answers exactly what the general path answers. The cases join memory_cases.js's list.

import { eq, ok, throws } from './assert.js';

/** A store whose clock the test moves: `t.now += 1000`. */
function manual(MemoryStore, options = {}) {
  const t = { now: 1_700_000_000_000 };
  const store = new MemoryStore({ ...options, clock: () => t.now });
  return { store, t };
}

export const fastPathCases = {
  fast_path_round_trips_any_text(MemoryStore) {
    const s = new MemoryStore();
    const texts = ['', 'a', 'key:1', 'ünïcödé', '日本語のキー', '🙂 emoji 🙂', 'x'.repeat(1000), 'mixed ascii then ✓'];
    for (const k of texts) {
      for (const v of texts) {
        eq(s.set(k, v), true, `set ${k.slice(0, 10)}`);
        eq(s.get(k), v, `get ${k.slice(0, 10)} = ${v.slice(0, 10)}`);
        eq(s.getBytes(k).length, new TextEncoder().encode(v).length, 'stored as UTF-8');
      }
    }
    // Lone surrogates are stored as U+FFFD, as everywhere else in the package.
    s.set('\uD800', 'v\uDC00');
    eq(s.get('\uFFFD'), 'v\uFFFD', 'the key and value were encoded as TextEncoder does');
    eq(s.get('\uD800'), 'v\uFFFD');
  },

  fast_path_handles_keys_and_values_beyond_its_buffer(MemoryStore) {
    const s = new MemoryStore();
    const long = 'k'.repeat(70_000);
    const big = 'v'.repeat(100_000);
    const wide = '✓'.repeat(30_000); // 90,000 bytes in UTF-8
    eq(s.set(long, 'short'), true);
    eq(s.get(long), 'short');
    eq(s.set('short', big), true);
    eq(s.get('short'), big);
    eq(s.set(wide, wide), true);
    eq(s.get(wide), wide);
    eq(s.strlen(wide), 90_000);
    eq(s.set('small', 'after'), true, 'the buffer still works after the long ones');
    eq(s.get('small'), 'after');
  },

  fast_path_sees_every_write(MemoryStore) {
    const s = new MemoryStore();
    s.set('k', 'a');
    eq(s.get('k'), 'a');
    s.append('k', 'b');
    eq(s.get('k'), 'ab', 'append: a new version, decoded again');
    s.setrange('k', 0, 'X');
    eq(s.get('k'), 'Xb');
    s.set('n', '1');
    eq(s.get('n'), '1');
    s.incr('n');
    eq(s.get('n'), '2');
    s.mset({ k: 'm1', n: 'm2' });
    eq([s.get('k'), s.get('n')], ['m1', 'm2']);
    s.rename('k', 'renamed');
    eq([s.get('k'), s.get('renamed')], [null, 'm1']);
    s.del('renamed');
    eq(s.get('renamed'), null);
    s.set('t', 'before');
    eq(s.get('t'), 'before');
    const tx = s.transaction();
    tx.set('t', 'inside');
    tx.incr('t'); // fails: the transaction applies nothing
    throws(() => tx.exec(), 'TransactionError', '', 'a failing transaction');
    eq(s.get('t'), 'before', 'after a rolled-back transaction');
    const tx2 = s.transaction();
    tx2.set('t', 'committed');
    tx2.exec();
    eq(s.get('t'), 'committed');
    s.flushdb();
    eq(s.get('t'), null);
    s.set('t', 'again');
    eq(s.get('t'), 'again');
    // Many keys (the decoded-string table grows, then shrinks, with the keyspace).
    for (let i = 0; i < 5000; i++) s.set(`many:${i}`, `v${i}`);
    for (let i = 0; i < 5000; i += 7) eq(s.get(`many:${i}`), `v${i}`);
    for (let i = 0; i < 5000; i += 3) s.set(`many:${i}`, `w${i}`);
    for (let i = 0; i < 5000; i++) eq(s.get(`many:${i}`), i % 3 === 0 ? `w${i}` : `v${i}`);
    s.flushdb();
    s.set('x', 'y');
    eq(s.get('x'), 'y');
    eq(s.get('many:3'), null);
  },

  fast_path_keeps_ttl_stats_and_types(MemoryStore) {
    const { store: s, t } = manual(MemoryStore);
    eq(s.set('k', 'v', { px: 1000 }), true);
    eq(s.pttl('k'), 1000, 'px');
    eq(s.set('e', 'v', { ex: 2 }), true);
    eq(s.pttl('e'), 2000, 'ex');
    eq(s.get('k'), 'v');
    t.now += 999;
    eq(s.get('k'), 'v', 'one millisecond before expiry');
    t.now += 1;
    eq(s.get('k'), null, 'expired exactly on time');
    eq(s.set('k', 'w'), true);
    eq(s.pttl('k'), -1, 'a plain set clears the TTL');
    s.hset('h', { f: 'v' });
    throws(() => s.get('h'), 'ReplyError', 'WRONGTYPE', 'get of a hash');
    const before = s.stats();
    s.get('k');
    s.get('missing');
    const after = s.stats();
    eq([after.hits - before.hits, after.misses - before.misses], [1, 1], 'a hit and a miss');
    throws(() => s.set('k', 'v', { px: 0 }), 'ReplyError', 'invalid expire time', 'px 0 takes the general path');
  },

  fast_path_and_general_path_leave_the_same_state(MemoryStore) {
    // The same writes and reads, as strings (the shortcut) and as bytes (the general path),
    // on two stores with the same clock, memory budget and eviction seed: with expiry and
    // LRU eviction at work, both must answer the same and keep the same keys.
    const enc = new TextEncoder();
    const dec = new TextDecoder();
    const a = manual(MemoryStore, { maxMemory: 100_000 });
    const b = manual(MemoryStore, { maxMemory: 100_000 });
    for (let i = 0; i < 4000; i++) {
      const k = `k${(i * 13) % 1200}`;
      const v = `${i}:` + 'x'.repeat(40 + (i % 9));
      const ttl = i % 5 === 0 ? { px: 5 + (i % 40) } : i % 7 === 0 ? { ex: 1 } : undefined;
      eq(a.store.set(k, v, ttl), b.store.set(enc.encode(k), enc.encode(v), ttl), `set #${i}`);
      for (const r of [`k${(i * 7) % 1200}`, k]) {
        const got = b.store.getBytes(enc.encode(r));
        eq(a.store.get(r), got === null ? null : dec.decode(got), `get ${r} #${i}`);
      }
      a.t.now += 3;
      b.t.now += 3;
    }
    eq(a.store.stats(), b.store.stats(), 'the same counters');
    ok(a.store.stats().evicted > 0 && a.store.stats().expired > 0, 'eviction and expiry happened');
    eq(a.store.keys('*').sort(), b.store.keys('*').sort(), 'the same keys survive');
  },

  fast_path_defers_to_the_general_path_during_a_clock_call(MemoryStore) {
    let s;
    let inside = null;
    s = new MemoryStore({
      clock() {
        if (s !== undefined && inside === null) {
          inside = 'called';
          try {
            s.set('other', 'y');
          } catch (e) {
            inside = e.name + ': ' + e.message;
          }
        }
        return 1_700_000_000_000;
      },
    });
    eq(s.set('k', 'v', { px: 5000 }), true);
    ok(inside.includes('re-entrant'), `a call from the clock is refused: ${inside}`);
    eq(s.get('k'), 'v', 'the outer call wrote its own key and value');
    eq(s.get('other'), null);
  },
};

export function fastPathCaseNames() {
  return Object.keys(fastPathCases);
}
