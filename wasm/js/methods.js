// Installs the command methods on a class's prototype: each one packs its arguments and
// calls the class's single wasm export `__command(id, args)` (see src/bindings/commands.rs:
// one export per class instead of one per method keeps the binary small).
//
// With `fast`, `get` and `set` take a shortcut for the common case of string keys and values
// (and a `px` or `ex` option): straight to dedicated exports, without packing arguments into an
// array. Anything else (bytes, numbers, other options, bad arguments) takes the general path,
// which also reports the errors.
//
// Kept to `export function` declarations: the package build rewrites this file into
// CommonJS for Node's `require` (see scripts/build-wasm-package.sh).

export function installCommandMethods(prototype, names, fast) {
  names.forEach((name, id) => {
    let method = {
      [name](...args) {
        return this.__command(id, args);
      },
    }[name];
    if (fast && name === 'get') method = fastGet(id);
    if (fast && name === 'set') method = fastSet(id);
    Object.defineProperty(prototype, name, { value: method, writable: true, configurable: true });
  });
}

function fastGet(id) {
  return function get(key) {
    return typeof key === 'string' ? this.__getText(key) : this.__command(id, [key]);
  };
}

function fastSet(id) {
  return function set(key, value, options) {
    if (typeof key === 'string' && typeof value === 'string') {
      if (options == null) return this.__setText(key, value, -1);
      // Only `{ px }` or `{ ex }` alone: anything else (several options, unknown keys, bad
      // values) takes the general path, which also reports the errors.
      if (typeof options === 'object') {
        let ms;
        let n = 0;
        for (const name in options) {
          n++;
          if (name === 'px') ms = options.px;
          else if (name === 'ex' && Number.isSafeInteger(options.ex)) ms = options.ex * 1000;
        }
        if (n === 1 && Number.isSafeInteger(ms) && ms > 0) return this.__setText(key, value, ms);
      }
    }
    return this.__command(id, [key, value, options]);
  };
}
