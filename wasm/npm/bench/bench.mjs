// MemoryStore get/set in Node beside lru-cache (with a TTL) and a plain Map.
// Run through scripts/bench-wasm.sh, which builds and installs the package first.
//
// Each case runs `ROUNDS` timed rounds of `OPS` operations over `KEYS` keys (after a warm-up
// round) and reports the median time per operation, as wall time and as the process's CPU time
// (user + system, `process.cpuUsage()`; on a shared machine the CPU time is the steadier of the
// two, since time spent waiting for a core is not counted). Keys are `key:<n>`, values 32
// characters.
import { MemoryStore } from 'hedgestore';
import { LRUCache } from 'lru-cache';

const KEYS = 100_000;
const OPS = 200_000;
const ROUNDS = 5;
const TTL = 60_000;
const keys = Array.from({ length: KEYS }, (_, i) => `key:${i}`);
const value = 'v'.repeat(32);

function measure(name, setup, op) {
  const state = setup();
  const wall = [];
  const cpu = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const startCpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (let i = 0; i < OPS; i++) op(state, keys[i % KEYS]);
    const ns = Number(process.hrtime.bigint() - start) / OPS;
    const used = process.cpuUsage(startCpu);
    if (round > 0) {
      wall.push(ns);
      cpu.push(((used.user + used.system) * 1000) / OPS);
    }
  }
  return { name, ns: median(wall), cpu: median(cpu) };
}

function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

function filled(make, set) {
  return () => {
    const s = make();
    for (const k of keys) set(s, k);
    return s;
  };
}

const newStore = () => new MemoryStore({ maxMemory: 256 << 20 });
const newLru = () => new LRUCache({ max: KEYS, ttl: TTL });
const newMap = () => new Map();
let sink = 0;

const results = [
  measure('MemoryStore set (ttl)', newStore, (s, k) => s.set(k, value, { px: TTL })),
  measure('MemoryStore set', newStore, (s, k) => s.set(k, value)),
  measure('lru-cache set (ttl)', newLru, (s, k) => s.set(k, value)),
  measure('Map set', newMap, (s, k) => s.set(k, value)),
  measure('MemoryStore get (ttl keys)', filled(newStore, (s, k) => s.set(k, value, { px: TTL })), (s, k) => {
    sink += s.get(k).length;
  }),
  measure('MemoryStore get', filled(newStore, (s, k) => s.set(k, value)), (s, k) => {
    sink += s.get(k).length;
  }),
  measure('lru-cache get (ttl)', filled(newLru, (s, k) => s.set(k, value)), (s, k) => {
    sink += s.get(k).length;
  }),
  measure('Map get', filled(newMap, (s, k) => s.set(k, value)), (s, k) => {
    sink += s.get(k).length;
  }),
];

const lru = Object.fromEntries(results.filter((r) => r.name.startsWith('lru')).map((r) => [r.name.split(' ')[1], r]));
console.log(`node ${process.version}, ${KEYS} keys, ${OPS} ops x ${ROUNDS} rounds, medians (sink ${sinkSeen()})`);
console.log('| case | ns/op | CPU ns/op | ops/s | vs lru-cache | vs lru-cache (CPU) |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of results) {
  const op = r.name.includes(' set') ? 'set' : 'get';
  const mine = r.name.startsWith('MemoryStore');
  const ratio = mine ? `${(r.ns / lru[op].ns).toFixed(2)}x` : '';
  const cpuRatio = mine ? `${(r.cpu / lru[op].cpu).toFixed(2)}x` : '';
  console.log(`| ${r.name} | ${r.ns.toFixed(0)} | ${r.cpu.toFixed(0)} | ${Math.round(1e9 / r.ns).toLocaleString('en-US')} | ${ratio} | ${cpuRatio} |`);
}

function sinkSeen() {
  return sink > 0;
}
