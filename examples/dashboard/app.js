// The dashboard: three panels, three ways hedgestore feeds a page.
//   * Prices: a MemoryStore in the page. A simulated feed publishes a price per symbol on
//     the channel `prices`; the ticker subscribes to it (delivery is a microtask after each
//     publish) and also keeps the latest price and a tick counter in keys.
//   * Positions: read through RemoteStore (`hgetall`) from a hedgestore-proxy, refreshed
//     every second and valued at the page's latest prices.
//   * Alerts: RemoteStore's `subscribe` (Server-Sent Events from the proxy); anything
//     published on `<prefix>alerts` appears at once.
//
// Where the proxy is: `?proxy=http://127.0.0.1:8079&token=…&prefix=demo:` (the proxy must
// allow this page's origin: HEDGESTORE_PROXY_CORS_ORIGINS). A token in a URL is for a local
// demo only; a real page gets it from its own backend.
import { MemoryStore, RemoteStore } from 'hedgestore';

const params = new URLSearchParams(location.search);
const proxy = params.get('proxy') ?? 'http://127.0.0.1:8079';
const token = params.get('token') ?? '';
const prefix = params.get('prefix') ?? 'demo:';
const symbols = ['AAPL', 'MSFT', 'EURUSD'];

const status = document.getElementById('status');
const cell = (text) => Object.assign(document.createElement('td'), { textContent: text });
const row = (...texts) => {
  const tr = document.createElement('tr');
  tr.append(...texts.map(cell));
  return tr;
};

// ---- prices: MemoryStore pub/sub -----------------------------------------------------
const local = new MemoryStore();
const prices = document.querySelector('#prices tbody');
local.subscribe('prices', (message) => {
  const { symbol, price } = JSON.parse(message);
  local.set(`price:${symbol}`, String(price));
  const ticks = local.incr(`ticks:${symbol}`);
  let tr = prices.querySelector(`tr[data-symbol="${symbol}"]`);
  if (!tr) {
    tr = row(symbol, '', '');
    tr.dataset.symbol = symbol;
    prices.append(tr);
  }
  tr.children[1].textContent = price.toFixed(2);
  tr.children[2].textContent = String(ticks);
});
const last = { AAPL: 190, MSFT: 410, EURUSD: 1.08 };
function tick() {
  for (const symbol of symbols) {
    last[symbol] = Math.max(0.01, last[symbol] * (1 + (Math.random() - 0.5) / 500));
    local.publish('prices', JSON.stringify({ symbol, price: last[symbol] }));
  }
}
tick();
setInterval(tick, 250);

// ---- positions and alerts: RemoteStore --------------------------------------------------
const remote = new RemoteStore({ url: proxy, token });
const positions = document.querySelector('#positions tbody');
async function refreshPositions() {
  const held = await remote.hgetall(`${prefix}positions`);
  positions.replaceChildren(
    ...Object.entries(held ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([symbol, qty]) => {
        const price = Number(local.get(`price:${symbol}`));
        const tr = row(symbol, qty, Number.isFinite(price) ? (price * Number(qty)).toFixed(2) : '–');
        tr.dataset.symbol = symbol;
        return tr;
      }),
  );
}

const alerts = document.getElementById('alerts');
async function start() {
  await refreshPositions();
  setInterval(() => refreshPositions().catch(showError), 1000);
  await remote.subscribe(`${prefix}alerts`, (message) => {
    alerts.prepend(Object.assign(document.createElement('li'), { textContent: message }));
  }, { onError: showError });
  status.textContent = `connected to ${proxy}`;
  status.dataset.ready = 'true';
}

function showError(e) {
  status.textContent = `${e.name}: ${e.message}`;
  status.className = 'error';
}

start().catch(showError);
