// Tiny assertions for the wasm test cases (they run in Node, Chromium pages and workers,
// so they import nothing).

export function fail(message) {
  throw new Error(message);
}

function show(v) {
  if (v instanceof Uint8Array) return `Uint8Array[${Array.from(v).join(',')}]`;
  if (v instanceof Map) return `Map(${JSON.stringify([...v].map(([k, x]) => [show(k), show(x)]))})`;
  if (typeof v === 'bigint') return `${v}n`;
  try {
    return JSON.stringify(v, (_, x) => (x instanceof Uint8Array ? show(x) : x));
  } catch {
    return String(v);
  }
}

export function deepEqual(a, b) {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    const ea = [...a];
    const eb = [...b];
    return ea.every(([k, v], i) => deepEqual(k, eb[i][0]) && deepEqual(v, eb[i][1]));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return deepEqual(ka, kb) && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

export function eq(actual, expected, what = 'value') {
  if (!deepEqual(actual, expected)) {
    fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

export function ok(condition, what) {
  if (!condition) fail(`expected: ${what}`);
}

/** Asserts `f()` throws an error of class name `name` whose message contains `text`. */
export function throws(f, name, text = '', what = '') {
  let thrown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  checkError(thrown, name, text, what);
  return thrown;
}

/** Asserts `promise` rejects like `throws`. */
export async function rejects(promise, name, text = '', what = '') {
  let thrown;
  try {
    await promise;
  } catch (e) {
    thrown = e;
  }
  checkError(thrown, name, text, what);
  return thrown;
}

function checkError(e, name, text, what) {
  const label = what ? `${what}: ` : '';
  if (e === undefined) fail(`${label}expected a ${name}, nothing was thrown`);
  if (!(e instanceof Error)) fail(`${label}expected a ${name}, got a non-Error ${show(e)}`);
  if (e.name !== name) fail(`${label}expected a ${name}, got ${e.name}: ${e.message}`);
  if (!e.message.includes(text)) fail(`${label}expected "${text}" in the message, got "${e.message}"`);
}

export const bytes = (...xs) => new Uint8Array(xs);
export const text = (s) => new TextEncoder().encode(s);
export const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
