// Installs the command methods on a class's prototype: each one packs its arguments and
// calls the class's single wasm export `__command(id, args)` (see src/bindings/commands.rs:
// one export per class instead of one per method keeps the binary small).
//
// With `fast`, `get` and `set` take a shortcut for the common case of string keys and values
// (and a `px` or `ex` option): through a scratch buffer to dedicated exports, without packing
// arguments into an array (see fast.js). Anything else (bytes, numbers, other options, bad
// arguments) takes the general path, which also reports the errors.
//
// Every method also turns wasm-bindgen's "null pointer passed to rust" after `free()` into a
// HedgestoreError that says so.
//
// Kept to `import {…} from` and `export function` declarations: the package build rewrites
// this file into CommonJS for Node's `require` (see scripts/build-wasm-package.sh).

import { HedgestoreError } from './errors.js';
import { fastGet, fastSet } from './fast.js';

const installed = new WeakSet();

export function installCommandMethods(prototype, names, fast, asynchronous) {
  if (installed.has(prototype)) return;
  installed.add(prototype);
  // wasm-bindgen's own methods (free aside): `subscribe`, `acquireLock`, `exec`, ….
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const d = Object.getOwnPropertyDescriptor(prototype, name);
    if (name === 'constructor' || name === 'free' || name.startsWith('__') || typeof d.value !== 'function') continue;
    if (names.includes(name)) continue;
    const inner = d.value;
    d.value = {
      [name](...args) {
        try {
          return inner.apply(this, args);
        } catch (e) {
          return afterFree(this, e, false);
        }
      },
    }[name];
    Object.defineProperty(prototype, name, d);
  }
  names.forEach((name, id) => {
    let method = {
      [name](...args) {
        try {
          return this.__command(id, args);
        } catch (e) {
          return afterFree(this, e, asynchronous);
        }
      },
    }[name];
    if (fast && name === 'get') method = fastGet(id, (store, e) => afterFree(store, e, false));
    if (fast && name === 'set') method = fastSet(id, (store, e) => afterFree(store, e, false));
    Object.defineProperty(prototype, name, { value: method, writable: true, configurable: true });
  });
}

/**
 * What a call that threw `e` throws (or, for RemoteStore, rejects with): after `free()`
 * wasm-bindgen's glue hands Rust a null pointer ("null pointer passed to rust"), which says
 * nothing to a JavaScript developer; this names the mistake instead.
 */
function afterFree(object, e, asynchronous) {
  if (object != null && object.__wbg_ptr === 0) {
    const name = object.constructor.name;
    e = new HedgestoreError(`${name}: used after free(); create a new ${name}`);
  }
  if (asynchronous) return Promise.reject(e);
  throw e;
}
