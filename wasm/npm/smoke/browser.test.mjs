// The installed package in a plain browser page (headless Chromium, no bundler): served as
// files from this scratch project, as `npx serve` or any static server would.
//   * with an import map: `import { MemoryStore } from 'hedgestore'` (self-initializing) and
//     `import init, { … } from 'hedgestore/web'` (the default export);
//   * without one: the same entries by path (`/node_modules/hedgestore/web/index.js`);
//   * a MemoryStore persisted to IndexedDB, written, then read back after a page reload.
// Each page posts what it saw to this server, then moves on to the next.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, normalize, extname } from 'node:path';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

const CHECK = `
  const store = new MemoryStore();
  store.set('k', 'v', { px: 60000 });
  const web = new WebStore();
  web.hset('h', { f: 'v' });
  let threw = '';
  try { web.lpush('h', 'x'); } catch (e) { threw = e instanceof ReplyError ? e.code : String(e); }
  return { get: store.get('k'), pttl: store.pttl('k') > 59000, hgetall: web.hgetall('h'), threw, shared: WebStore === MemoryStore };
`;

const PAGES = {
  '/import-map.html': `<!doctype html>
<script type="importmap">
{ "imports": {
    "hedgestore": "/node_modules/hedgestore/web/auto.js",
    "hedgestore/web": "/node_modules/hedgestore/web/index.js"
} }
</script>
<script type="module">
  const run = async () => {
    const { MemoryStore } = await import('hedgestore');
    const { default: init, MemoryStore: WebStore, ReplyError } = await import('hedgestore/web');
    await init();
    ${CHECK}
  };
  run().then((r) => ({ ok: r }), (e) => ({ error: String(e && e.stack || e) }))
    .then((r) => fetch('/result/import-map', { method: 'POST', body: JSON.stringify(r) }))
    .then(() => { location.href = '/by-path.html'; });
</script>`,
  '/by-path.html': `<!doctype html>
<script type="module">
  import { MemoryStore } from '/node_modules/hedgestore/web/auto.js';
  import init, { MemoryStore as WebStore, ReplyError } from '/node_modules/hedgestore/web/index.js';
  const run = async () => {
    await init();
    ${CHECK}
  };
  run().then((r) => ({ ok: r }), (e) => ({ error: String(e && e.stack || e) }))
    .then((r) => fetch('/result/by-path', { method: 'POST', body: JSON.stringify(r) }))
    .then(() => { location.href = '/persist.html'; });
</script>`,
  // A persisted MemoryStore across a real reload: the first load writes and waits for
  // flush(), then reloads; the second reads what IndexedDB gave back.
  '/persist.html': `<!doctype html>
<script type="module">
  import { MemoryStore } from '/node_modules/hedgestore/web/auto.js';
  const run = async () => {
    const store = await MemoryStore.open({ persist: 'smoke' });
    if (!sessionStorage.getItem('written')) {
      store.set('price', '101.5', { px: 60000 });
      store.hset('positions', { AAPL: '10', MSFT: '-5' });
      store.incr('ticks');
      store.transaction().rpush('fills', 'a', 'b').incr('ticks').exec();
      await store.flush();
      sessionStorage.setItem('written', '1');
      location.reload();
      return null;
    }
    return {
      navigation: performance.getEntriesByType('navigation')[0].type,
      price: store.get('price'),
      pttl: store.pttl('price') > 50000,
      positions: store.hgetall('positions'),
      ticks: store.get('ticks'),
      fills: store.lrange('fills', 0, -1),
    };
  };
  run().then((r) => r && { ok: r }, (e) => ({ error: String(e && e.stack || e) }))
    .then((r) => r && fetch('/result/persist', { method: 'POST', body: JSON.stringify(r) }));
</script>`,
};

test('plain page: with an import map and by path, in headless Chromium', { timeout: 90_000 }, async () => {
  const results = {};
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (req.method === 'POST' && path.startsWith('/result/')) {
      let body = '';
      for await (const chunk of req) body += chunk;
      results[path.slice('/result/'.length)] = JSON.parse(body);
      res.end();
      if (Object.keys(results).length === Object.keys(PAGES).length) done();
      return;
    }
    if (PAGES[path]) {
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGES[path]);
      return;
    }
    const file = normalize(join(process.cwd(), path));
    if (!file.startsWith(join(process.cwd(), 'node_modules'))) return res.writeHead(404).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const profile = await mkdtemp(join(tmpdir(), 'hedgestore-chromium-'));
  const chromium = spawn(process.env.CHROMIUM ?? 'chromium', [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-crash-reporter', '--disable-breakpad', `--user-data-dir=${profile}`,
    `http://127.0.0.1:${server.address().port}/import-map.html`,
  ], { stdio: 'ignore', detached: true });
  const exited = new Promise((resolve) => chromium.once('exit', resolve));
  try {
    const outcome = await Promise.race([
      finished.then(() => 'done'),
      exited.then((code) => `chromium exited (${code}) before every page reported`),
      // unref: once the pages answered, this timer must not keep the test process alive.
      new Promise((resolve) => setTimeout(resolve, 60_000, 'no answer from the pages within 60 s').unref()),
    ]);
    assert.equal(outcome, 'done', JSON.stringify(results));
    const expected = { get: 'v', pttl: true, hgetall: { f: 'v' }, threw: 'WRONGTYPE', shared: true };
    assert.deepEqual(results['import-map'], { ok: expected });
    assert.deepEqual(results['by-path'], { ok: expected });
    assert.deepEqual(results.persist, {
      ok: { navigation: 'reload', price: '101.5', pttl: true, positions: { AAPL: '10', MSFT: '-5' }, ticks: '2', fills: ['a', 'b'] },
    });
  } finally {
    // Chromium's own process group: its renderer, GPU and utility processes go too, so
    // none of them is still writing into the profile when it is removed.
    try {
      process.kill(-chromium.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
    server.close();
    // Node retries ENOTEMPTY itself with these options: a child killed mid-write may
    // finish that one write as it dies.
    await rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  }
});
