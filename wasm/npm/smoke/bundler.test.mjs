// The bundler build, loaded the way a bundler with WebAssembly ES-module integration loads
// it (Node runs this file with --experimental-wasm-modules).
import test from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore, ReplyError } from 'hedgestore/bundler';

test('bundler build: instantiated through WebAssembly ES-module integration', () => {
  const store = new MemoryStore();
  assert.equal(store.incrby('n', 41), 41);
  assert.equal(store.incr('n'), 42);
  assert.throws(() => store.hget('n', 'f'), ReplyError);
});
