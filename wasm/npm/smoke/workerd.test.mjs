// The installed package in workerd (Cloudflare's runtime, from Miniflare 4): worker.js,
// bundled as `wrangler` bundles a Worker (esbuild; a `.wasm` import stays an external
// CompiledWasm module beside the bundle), uses MemoryStore and RemoteStore (against the
// hedgestore-proxy that scripts/test-wasm.sh started).
//
// miniflare and esbuild come from the tools directory scripts/test-wasm.sh installs them into
// (HEDGESTORE_WASM_TOOLS), not from this scratch project.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const tools = createRequire(join(resolve(process.env.HEDGESTORE_WASM_TOOLS ?? '../wasm-tools'), 'package.json'));
const here = createRequire(import.meta.url);

test('workerd: a Worker bundled as wrangler does uses MemoryStore and RemoteStore', { timeout: 60_000, skip: !process.env.HEDGESTORE_TEST_PROXY_URL && 'no proxy' }, async () => {
  const { build } = tools('esbuild');
  const { Miniflare } = tools('miniflare');
  const out = resolve('workerd-out');
  await rm(out, { recursive: true, force: true });
  await mkdir(out);
  const wasmFiles = [];
  await build({
    entryPoints: ['worker.js'],
    outfile: join(out, 'worker.mjs'),
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    logLevel: 'warning',
    plugins: [{
      // wrangler's rule for `.wasm`: not bundled, uploaded beside the script as a module.
      name: 'compiled-wasm',
      setup(b) {
        b.onResolve({ filter: /\.wasm$/ }, (args) => {
          const file = here.resolve(args.path);
          wasmFiles.push(file);
          return { path: './hedgestore_wasm_bg.wasm', external: true };
        });
      },
    }],
  });
  assert.equal(wasmFiles.length, 1, 'the worker imports one .wasm');
  await copyFile(wasmFiles[0], join(out, 'hedgestore_wasm_bg.wasm'));

  const mf = new Miniflare({
    scriptPath: join(out, 'worker.mjs'),
    modules: true,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2025-01-01',
    bindings: { PROXY_URL: process.env.HEDGESTORE_TEST_PROXY_URL, PROXY_TOKEN: process.env.HEDGESTORE_TEST_PROXY_TOKEN },
  });
  try {
    const first = await (await mf.dispatchFetch('http://worker/')).json();
    assert.deepEqual(first, {
      memory: {
        hits: 1,
        quote: '1.0841',
        pttl: true,
        heard: [['prices', '101.5']],
        transaction: [1, 1],
        wrongType: 'WRONGTYPE',
        token: 'number',
        persist: true,
      },
      remote: { set: true, pipeline: [1, 'v'], ttl: 60, wrongToken: 'WRONGTOKEN' },
    });
    const second = await (await mf.dispatchFetch('http://worker/')).json();
    assert.equal(second.memory.hits, 2, 'the isolate keeps its MemoryStore across requests');
  } finally {
    await mf.dispose();
  }
});
