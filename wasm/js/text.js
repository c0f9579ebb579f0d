// Text from wasm memory: UTF-8 bytes to a string, lossy (U+FFFD for invalid sequences, as
// `TextDecoder` does), without the validation and copy a Rust `String` would need first.
// `bytes` is a view of wasm memory, valid only during the call. (Measured in Node: building
// short ASCII strings by hand is slower than TextDecoder here.)
//
// Kept to `export function` declarations: the package build rewrites this file into
// CommonJS for Node's `require` (see scripts/build-wasm-package.sh).

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

export function textFromUtf8(bytes) {
  return decoder.decode(bytes);
}
