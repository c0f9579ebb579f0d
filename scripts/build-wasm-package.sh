#!/usr/bin/env bash
# Builds the npm package `hedgestore` from wasm/ into target/npm/hedgestore/ and packs it as
# target/npm/hedgestore-<version>.tgz (what `npm publish` would upload).
#
# One optimized wasm build serves three wasm-bindgen outputs, assembled into one package:
#   node/     --target nodejs (CommonJS; an ES-module entry re-exports it)   Node >= 18
#   web/      --target web (ES module; `init()` fetches the .wasm)            browsers, Deno, workers
#   bundler/  --target bundler (WebAssembly ES-module integration)           webpack, vite-plugin-wasm
#
# These are wasm-pack build's steps (cargo build, then wasm-bindgen of the version in
# Cargo.lock), spelled out because of two settings wasm-pack cannot take:
#   * the crate is built as a cdylib alone (`cargo rustc --crate-type cdylib`): it is also an
#     rlib for the test suite, and cargo skips link-time optimization for such a crate, which
#     costs the binary some 35 KB;
#   * the size profile (opt-level z, fat LTO, one codegen unit, panic=abort) is given by
#     environment for this build only, not in the workspace's release profile.
# wasm-opt is binaryen 132 from npm (installed into target/wasm-tools on first use): Debian's
# binaryen (wasm-opt 108) produces modules that fail to load.
#
# One command on a fresh machine with Rust (rustup) and Node >= 18: it installs what else it
# needs first (scripts/ensure-wasm-tools.sh: the wasm32 target and wasm-bindgen-cli of the
# Cargo.lock version; then binaryen 132 from npm), or says exactly what is missing.
# Prints the size of the .wasm.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=target/npm/hedgestore
TOOLS=target/wasm-tools
WASM_OPT="$TOOLS/node_modules/.bin/wasm-opt"
BINARYEN_VERSION=132

step() { printf '\n==> %s\n' "$*"; }

step "tools: wasm32 target, wasm-bindgen-cli (Cargo.lock's version), Node"
./scripts/ensure-wasm-tools.sh

if ! { [ -x "$WASM_OPT" ] && "$WASM_OPT" --version | grep -q "version $BINARYEN_VERSION"; }; then
    step "installing binaryen@$BINARYEN_VERSION (wasm-opt) from npm into $TOOLS"
    mkdir -p "$TOOLS"
    [ -f "$TOOLS/package.json" ] || echo '{ "private": true }' >"$TOOLS/package.json"
    npm install --prefix "$TOOLS" --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION"
fi

step "cargo: hedgestore-wasm as an optimized cdylib"
CARGO_PROFILE_RELEASE_OPT_LEVEL=z \
CARGO_PROFILE_RELEASE_LTO=fat \
CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
CARGO_PROFILE_RELEASE_DEBUG=false \
CARGO_PROFILE_RELEASE_PANIC=abort \
    cargo rustc --locked -p hedgestore-wasm --lib --release \
        --target wasm32-unknown-unknown --crate-type cdylib
WASM=target/wasm32-unknown-unknown/release/hedgestore_wasm.wasm

VERSION=$(cargo metadata --locked --format-version 1 --no-deps \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const p=JSON.parse(s).packages.find(p=>p.name==="hedgestore-wasm");console.log(p.version)})')

rm -rf "$OUT"
mkdir -p "$OUT"
for target in nodejs web bundler; do
    dir="$OUT/${target/nodejs/node}"
    step "wasm-bindgen --target $target, wasm-opt -Oz -> $dir"
    wasm-bindgen --target "$target" --out-dir "$dir" --out-name hedgestore_wasm \
        --no-typescript --weak-refs "$WASM"
    "$WASM_OPT" -Oz --strip-debug --strip-producers \
        "$dir/hedgestore_wasm_bg.wasm" -o "$dir/hedgestore_wasm_bg.wasm"
    snippets=$(ls "$dir/snippets")
    case "$target" in
        nodejs)
            echo '{ "type": "commonjs" }' >"$dir/package.json"
            node wasm/npm/to-commonjs.mjs "$dir"/snippets/*/js/*.js
            sed "s/@SNIPPETS@/$snippets/" wasm/npm/entries/node-index.cjs >"$dir/index.cjs"
            cp wasm/npm/entries/node-index.mjs "$dir/index.mjs"
            ;;
        web)
            sed "s/@SNIPPETS@/$snippets/" wasm/npm/entries/web-index.js >"$dir/index.js"
            cp wasm/npm/entries/web-auto.js "$dir/auto.js"
            ;;
        bundler)
            sed "s/@SNIPPETS@/$snippets/" wasm/npm/entries/bundler-index.js >"$dir/index.js"
            ;;
    esac
done

step "package files"
sed "s/@VERSION@/$VERSION/" wasm/npm/package.json >"$OUT/package.json"
cp wasm/npm/README.md wasm/npm/hedgestore.d.ts wasm/npm/web.d.ts "$OUT/"
rm -f target/npm/hedgestore-*.tgz
(cd target/npm && npm pack --silent ./hedgestore >/dev/null)

raw=$(stat -c %s "$OUT/web/hedgestore_wasm_bg.wasm")
gz=$(gzip -9 -c "$OUT/web/hedgestore_wasm_bg.wasm" | wc -c)
printf '\nhedgestore %s: %s\nwasm binary: %d bytes (%d KB), %d bytes gzipped -9 (%d KB)\n' \
    "$VERSION" "$(ls target/npm/hedgestore-*.tgz)" "$raw" $((raw / 1024)) "$gz" $((gz / 1024))
