// RemoteStore's I/O: HTTP requests over `fetch` (timeout, retries with backoff) and
// Server-Sent Events for subscriptions. The protocol itself (what goes into a body, what an
// answer means) is Rust's, in hedgestore-core's codec: this file only moves bytes, the way a
// sans-IO core leaves sockets and timers to its host.
//
// `client` is the plain object RemoteStore builds from its options:
// { url, token, fetch, fetchThis, retries, minDelay, maxDelay, timeout, headers }.
//
// Kept to `import {…} from`, `export function` and `export async function` declarations: the
// package build rewrites this file into CommonJS for Node's `require`
// (see scripts/build-wasm-package.sh).

import { NetworkError, ReplyError } from './errors.js';

function headers(client, accept, json) {
  const h = { Authorization: `Bearer ${client.token}`, Accept: accept, 'Upstash-Encoding': 'base64' };
  if (json) h['Content-Type'] = 'application/json';
  return Object.assign(h, client.headers);
}

function message(e) {
  return e instanceof Error ? e.message : String(e);
}

const SYSTEM_CODES = {
  ECONNREFUSED: 'connection refused: nothing listens there',
  ECONNRESET: 'the connection was reset',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be resolved now',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  UND_ERR_SOCKET: 'the connection failed',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
};

/**
 * The system error code behind a failed `fetch`, if it names one: Node's fetch (undici)
 * rejects with "fetch failed" and keeps `ECONNREFUSED` in `cause` (or in an
 * AggregateError's `errors`, one per address tried).
 */
function systemCode(e, depth = 0) {
  if (!e || typeof e !== 'object' || depth > 6) return undefined;
  if (typeof e.code === 'string' && /^(E[A-Z_]+|UND_ERR_[A-Z_]+)$/.test(e.code)) return e.code;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const code = systemCode(inner, depth + 1);
      if (code) return code;
    }
  }
  return systemCode(e.cause, depth + 1);
}

function originOf(url) {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/**
 * A failed `fetch` as a NetworkError whose message names the cause: the system error in
 * Node (`ECONNREFUSED`), and in a page or worker, whose fetch says only "Failed to fetch",
 * the CORS reason it may hide.
 */
function fetchFailure(url, e) {
  const origin = originOf(url);
  const code = systemCode(e);
  if (code !== undefined) {
    const what = SYSTEM_CODES[code];
    return new NetworkError(`cannot reach ${origin}: ${code}${what ? ` (${what})` : ''}`, undefined, e, code);
  }
  let text = `cannot reach ${origin}: ${message(e)}`;
  // undici's own refusals ("bad port", …) are only in `cause`.
  const inner = e && typeof e === 'object' && e.cause instanceof Error ? e.cause.message : undefined;
  if (inner && inner !== message(e)) text += `: ${inner}`;
  const here = typeof location === 'object' && location !== null ? location.origin : undefined;
  if (typeof here === 'string' && here !== 'null' && here !== origin) {
    text +=
      ` (the server is down or unreachable, or CORS: origin not allowed: ${origin} must allow ${here};` +
      ' hedgestore-proxy does when HEDGESTORE_PROXY_CORS_ORIGINS lists it)';
  } else {
    text += ' (the server is down or unreachable)';
  }
  return new NetworkError(text, undefined, e);
}

async function fetchResponse(client, url, init) {
  try {
    return await client.fetch.call(client.fetchThis, url, init);
  } catch (e) {
    if (e instanceof NetworkError) throw e;
    throw fetchFailure(url, e);
  }
}

// One attempt: POST `body`, read the whole answer, within `client.timeout` ms.
async function attempt(client, path, body) {
  const url = client.url + path;
  const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
  const init = { method: 'POST', headers: headers(client, 'application/json', true), body };
  if (controller) init.signal = controller.signal;
  const work = (async () => {
    const response = await fetchResponse(client, url, init);
    try {
      return { status: response.status, body: new Uint8Array(await response.arrayBuffer()) };
    } catch (e) {
      throw new NetworkError(`reading the answer of ${url} failed: ${message(e)}`, response.status, e);
    }
  })();
  work.catch(() => {}); // a late failure after a timeout is not an unhandled rejection
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      if (controller) controller.abort();
      reject(new NetworkError(`no answer from ${url} within ${client.timeout} ms`, undefined, undefined, 'TIMEOUT'));
    }, client.timeout);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * POSTs `body` to `path`: resolves to `{ status, body }` (body a Uint8Array), or rejects
 * with a NetworkError. An `idempotent` request is retried after network failures and
 * 429/502/503/504 answers, `client.retries` times, each delay drawn from the upper half of
 * min(minDelay * 2^n, maxDelay) so clients that failed together do not retry in lockstep.
 */
export async function request(client, path, body, idempotent) {
  const retries = idempotent ? client.retries : 0;
  for (let n = 0; ; n++) {
    let answer;
    let error;
    try {
      answer = await attempt(client, path, body);
    } catch (e) {
      error = e;
    }
    const retryable = error !== undefined || [429, 502, 503, 504].includes(answer.status);
    if (!retryable || n >= retries) {
      if (error !== undefined) throw error;
      return answer;
    }
    const ceiling = Math.min(client.minDelay * 2 ** n, client.maxDelay);
    await new Promise((resolve) => setTimeout(resolve, ceiling / 2 + (ceiling / 2) * Math.random()));
  }
}

/**
 * Cuts a text stream into the data of its Server-Sent Events: `push(text)` answers the data
 * of every event the text completed (`data:` lines joined with `\n`, as EventSource does).
 */
export function eventStream() {
  let line = '';
  let data;
  let afterCr = false;
  return function push(text) {
    const events = [];
    for (const ch of text) {
      if (afterCr && ch === '\n') {
        afterCr = false;
        continue;
      }
      afterCr = false;
      if (ch !== '\r' && ch !== '\n') {
        line += ch;
        continue;
      }
      afterCr = ch === '\r';
      const done = line;
      line = '';
      if (done === '') {
        if (data !== undefined) events.push(data);
        data = undefined;
      } else if (!done.startsWith(':')) {
        const colon = done.indexOf(':');
        const field = colon < 0 ? done : done.slice(0, colon);
        let value = colon < 0 ? '' : done.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') data = data === undefined ? value : `${data}\n${value}`;
      }
    }
    return events;
  };
}

/**
 * Reads one event's data for a subscription to `name` (a pattern when `pattern`):
 * `{ subscribed: true }`, `{ channel, payload }` for a message, or null. Knowing the name
 * makes a channel that contains commas unambiguous.
 */
export function parseEvent(data, name, pattern) {
  const after = (kind) => (data.startsWith(`${kind},${name},`) ? data.slice(kind.length + name.length + 2) : null);
  if (after(pattern ? 'psubscribe' : 'subscribe') !== null) return { subscribed: true };
  const rest = after(pattern ? 'pmessage' : 'message');
  if (rest === null) return null;
  if (!pattern) return { channel: name, payload: rest };
  const comma = rest.indexOf(',');
  return comma < 0 ? null : { channel: rest.slice(0, comma), payload: rest.slice(comma + 1) };
}

function report(error) {
  if (typeof reportError === 'function') reportError(error);
  else console.error(error);
}

/** Calls a user callback; one that throws is reported, never breaks the subscription. */
function callBack(f, ...args) {
  try {
    f(...args);
  } catch (e) {
    report(e);
  }
}

/**
 * Opens one event stream for a subscription: `POST`s, then reads until the server confirms
 * the subscription, within `client.timeout` ms. Resolves to `{ read, cancel }` (`read()`:
 * the data of the next events, or null at the end of the stream); messages that arrived in
 * the same chunk as the confirmation go to `deliver`.
 */
async function openStream(client, url, name, pattern, deliver) {
  const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
  const init = { method: 'POST', headers: headers(client, 'text/event-stream', false) };
  if (controller) init.signal = controller.signal;
  let reader;
  const cancel = () => {
    if (controller) controller.abort();
    if (reader) reader.cancel().catch(() => {});
  };
  const work = (async () => {
    const response = await fetchResponse(client, url, init);
    if (response.status < 200 || response.status > 299 || !response.body) {
      let text = '';
      try {
        text = await response.text();
      } catch {}
      let error;
      try {
        error = JSON.parse(text).error;
      } catch {}
      if (typeof error === 'string') throw new ReplyError(error, response.status);
      throw new NetworkError(`HTTP ${response.status}: the subscription was refused: ${text.slice(0, 200)}`, response.status);
    }
    reader = response.body.getReader();
    const decoder = new TextDecoder();
    const push = eventStream();
    const read = async () => {
      const { done, value } = await reader.read();
      return done ? null : push(decoder.decode(value, { stream: true }));
    };
    let confirmed = false;
    while (!confirmed) {
      let events;
      try {
        events = await read();
      } catch (e) {
        throw new NetworkError(`the subscription stream failed: ${message(e)}`, response.status, e);
      }
      if (events === null) throw new NetworkError('the subscription stream ended before it was confirmed', response.status);
      for (const data of events) {
        const event = parseEvent(data, name, pattern);
        if (event === null) continue;
        if (event.subscribed) confirmed = true;
        else if (confirmed) deliver(event);
      }
    }
    return { read, cancel };
  })();
  work.catch(() => {}); // a late failure after a timeout is not an unhandled rejection
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      cancel();
      reject(new NetworkError(`the subscription to '${name}' was not confirmed by ${originOf(url)} within ${client.timeout} ms`, undefined, undefined, 'TIMEOUT'));
    }, client.timeout);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Subscribes over Server-Sent Events (`POST /subscribe/<channel>` or `/psubscribe/<pattern>`):
 * resolves to an unsubscribe function once the server confirms, or rejects (a `TIMEOUT`
 * NetworkError when no confirmation comes within `client.timeout` ms). `handler(message,
 * channel)` (plus `pattern` for patterns) gets strings, or Uint8Arrays when `bytes`.
 *
 * `options`: `onError(error)` hears every failure of the stream (and handlers that throw,
 * which are otherwise reported as `reportError` does); `onClose(error?)` is called once when
 * the subscription ends: after `unsubscribe()` (no argument) or, with `reconnect: false`,
 * when the stream fails. Otherwise a failed stream is reopened with backoff (the client's
 * `minDelay`/`maxDelay`) until it is confirmed again or unsubscribed. As in Redis pub/sub,
 * messages published while no stream was open are lost.
 */
export async function subscribe(client, name, pattern, bytes, handler, onError, onClose, reconnect) {
  const kind = pattern ? 'psubscribe' : 'subscribe';
  const url = `${client.url}/${kind}/${encodeURIComponent(name)}`;
  const encoder = new TextEncoder();
  const convert = bytes ? (s) => encoder.encode(s) : (s) => s;
  let closed = false;
  const deliver = (event) => {
    if (closed) return;
    try {
      if (pattern) handler(convert(event.payload), convert(event.channel), convert(name));
      else handler(convert(event.payload), convert(event.channel));
    } catch (e) {
      if (onError) callBack(onError, e);
      else report(e);
    }
  };
  let current = await openStream(client, url, name, pattern, deliver);
  const finish = (error) => {
    if (closed) return;
    closed = true;
    current.cancel();
    if (onClose) callBack(onClose, error);
  };
  const failed = (error) => {
    if (onError) callBack(onError, error);
  };
  const minDelay = client.minDelay > 0 ? client.minDelay : 50;
  const maxDelay = Math.max(client.maxDelay > 0 ? client.maxDelay : 2000, minDelay);
  (async () => {
    for (;;) {
      let failure;
      // hedgestore-proxy says why it drops a subscriber in a last `error,<text>` event.
      let why = 'the server closed the stream';
      try {
        for (;;) {
          const events = await current.read();
          if (closed) return;
          if (events === null) {
            failure = new NetworkError(`the subscription to '${name}' ended (${why})`);
            break;
          }
          for (const data of events) {
            if (data.startsWith('error,')) why = data.slice('error,'.length);
            const event = parseEvent(data, name, pattern);
            if (event !== null && !event.subscribed) deliver(event);
          }
        }
      } catch (e) {
        if (closed) return;
        failure = new NetworkError(`the subscription to '${name}' failed: ${message(e)}`, undefined, e);
      }
      failed(failure);
      if (!reconnect) return finish(failure);
      for (let n = 0; ; n++) {
        const ceiling = Math.min(minDelay * 2 ** Math.min(n, 30), maxDelay);
        await new Promise((resolve) => setTimeout(resolve, ceiling / 2 + (ceiling / 2) * Math.random()));
        if (closed) return;
        try {
          const next = await openStream(client, url, name, pattern, deliver);
          if (closed) return next.cancel();
          current = next;
          break;
        } catch (e) {
          if (closed) return;
          failed(e);
        }
      }
    }
  })();
  return function unsubscribe() {
    finish(undefined);
  };
}

/** `request(…)` continued with `decode({ status, body })` (Rust's reading of the answer). */
export function send(client, path, body, idempotent, decode) {
  return request(client, path, body, idempotent).then(decode);
}
