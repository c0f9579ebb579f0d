// Installs the command methods on a class's prototype: each one packs its arguments and
// calls the class's single wasm export `__command(id, args)` (see src/bindings/commands.rs:
// one export per class instead of one per method keeps the binary small).
//
// With `fast`, `get` and `set` take a shortcut for the common case of string keys and values
// (and a `ttl`/`px` option): straight to dedicated exports, without packing arguments into an
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
      if (
        typeof options === 'object' &&
        options.ex == null &&
        options.exat == null &&
        options.pxat == null &&
        options.keepTtl == null &&
        options.nx == null &&
        options.xx == null
      ) {
        const ttl = options.ttl;
        const px = options.px;
        const ms = ttl == null ? px : px == null ? ttl : undefined;
        if (ttl == null && px == null) return this.__setText(key, value, -1);
        if (Number.isSafeInteger(ms) && ms > 0) return this.__setText(key, value, ms);
      }
    }
    return this.__command(id, [key, value, options]);
  };
}
