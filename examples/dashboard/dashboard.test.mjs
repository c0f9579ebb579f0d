// The dashboard in headless Chromium (puppeteer-core on the system's chromium), served from
// its own origin, against the hedgestore-proxy that scripts/test-wasm.sh started (CORS open):
// prices tick through MemoryStore pub/sub, positions seeded here appear (and follow a change)
// through RemoteStore, an alert published here arrives over Server-Sent Events. A screenshot
// is saved as target/dashboard.png.
//
// Needs: HEDGESTORE_TEST_PROXY_URL and _TOKEN (the proxy), HEDGESTORE_SMOKE_DIR (a project
// with the packed package installed: the page loads it from its node_modules) and
// HEDGESTORE_WASM_TOOLS (where puppeteer-core is installed).
import test from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const env = process.env;
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm' };

test('dashboard: ticker, positions and alerts in headless Chromium', { timeout: 90_000, skip: !env.HEDGESTORE_TEST_PROXY_URL && 'no proxy' }, async () => {
  const smoke = resolve(env.HEDGESTORE_SMOKE_DIR ?? join(repo, 'target/npm-smoke'));
  const tools = resolve(env.HEDGESTORE_WASM_TOOLS ?? join(repo, 'target/wasm-tools'));
  const { RemoteStore } = createRequire(join(smoke, 'package.json'))('hedgestore');
  const puppeteer = createRequire(join(tools, 'package.json'))('puppeteer-core');
  const url = env.HEDGESTORE_TEST_PROXY_URL;
  const token = env.HEDGESTORE_TEST_PROXY_TOKEN;
  const prefix = `dashboard:${Date.now()}:${Math.floor(Math.random() * 1e9)}:`;
  const remote = new RemoteStore({ url, token });
  await remote.hset(`${prefix}positions`, { AAPL: '10', MSFT: '-5' });

  // The page's own origin: the example's files, and the installed package under /node_modules.
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = path.startsWith('/node_modules/') ? normalize(join(smoke, path)) : normalize(join(here, path === '/' ? 'index.html' : path));
    if (!file.startsWith(smoke) && !file.startsWith(here)) return res.writeHead(404).end();
    let body;
    try {
      body = await readFile(file);
    } catch {
      return res.writeHead(404).end();
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const page_url = `http://127.0.0.1:${server.address().port}/index.html?${new URLSearchParams({ proxy: url, token, prefix })}`;

  const browser = await puppeteer.launch({
    executablePath: env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-crash-reporter', '--disable-breakpad'],
  });
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.setViewport({ width: 900, height: 700 });
    await page.goto(page_url);
    await page.waitForFunction(() => document.getElementById('status').dataset.ready === 'true' || document.getElementById('status').className === 'error', { timeout: 30_000 });
    const status = await page.$eval('#status', (e) => e.textContent);
    assert.equal(status, `connected to ${url}`, `the page reports: ${status} ${problems}`);

    // Prices: every symbol ticked at least three times, through pub/sub.
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('#prices tbody tr')];
      return rows.length === 3 && rows.every((tr) => Number(tr.children[2].textContent) >= 3);
    }, { timeout: 10_000 });
    const prices = await page.$$eval('#prices tbody tr', (rows) => rows.map((tr) => [tr.dataset.symbol, Number(tr.children[1].textContent)]));
    assert.deepEqual(prices.map(([s]) => s), ['AAPL', 'MSFT', 'EURUSD']);
    assert.ok(prices.every(([, p]) => p > 0), JSON.stringify(prices));

    // Positions: read through RemoteStore, valued at the page's prices; a change follows.
    const positions = () => page.$$eval('#positions tbody tr', (rows) => rows.map((tr) => [...tr.children].map((td) => td.textContent)));
    const shown = await positions();
    assert.deepEqual(shown.map(([s, q]) => [s, q]), [['AAPL', '10'], ['MSFT', '-5']]);
    assert.ok(shown.every(([, q, v]) => Number.isFinite(Number(v)) && Math.sign(Number(v)) === Math.sign(Number(q))), JSON.stringify(shown));
    await remote.hset(`${prefix}positions`, { AAPL: '12', EURUSD: '1000' });
    await page.waitForFunction(() => document.querySelectorAll('#positions tbody tr').length === 3, { timeout: 10_000 });
    assert.deepEqual((await positions()).map(([s, q]) => [s, q]), [['AAPL', '12'], ['EURUSD', '1000'], ['MSFT', '-5']]);

    // Alerts: published here, delivered to the page over Server-Sent Events.
    assert.equal(await remote.publish(`${prefix}alerts`, 'AAPL crossed 200'), 1, 'the page is subscribed');
    await page.waitForFunction(() => document.querySelector('#alerts li')?.textContent === 'AAPL crossed 200', { timeout: 10_000 });

    await page.screenshot({ path: join(repo, 'target/dashboard.png') });
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    server.close();
    await remote.del(`${prefix}positions`);
  }
});
