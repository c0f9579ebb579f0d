#!/usr/bin/env bash
# Builds the npm package `hedgestore` from wasm/ into target/npm/hedgestore/ and packs it as
# target/npm/hedgestore-<version>.tgz (what `npm publish` would upload).
#
# One optimized wasm build serves three wasm-bindgen outputs, assembled into one package
# that ships the .wasm once (in bundler/; the other two load it from there):
#   node/     --target nodejs (CommonJS; an ES-module entry re-exports it)   Node >= 18
#   web/      --target web (ES module; `init()` fetches the .wasm)            browsers, Deno, workers
#   bundler/  --target bundler (WebAssembly ES-module integration)           webpack, vite-plugin-wasm
#
# These are wasm-pack build's steps (cargo build, then wasm-bindgen of the version in
# Cargo.lock), spelled out because of two settings wasm-pack cannot take:
#   * the crate is built as a cdylib alone (`cargo rustc --crate-type cdylib`): it is also an
#     rlib for the test suite, and cargo skips link-time optimization for such a crate, which
#     costs the binary some 35 KB;
#   * the package's profile (opt-level s, fat LTO, one codegen unit, panic=abort) is given by
#     environment for this build only, not in the workspace's release profile. opt-level s
#     rather than z: at z little is inlined on the get/set path, and MemoryStore's get and
#     set measured 2.2x and 1.5x slower for 23 KB less gzipped wasm (wasm/README.md, "Size").
#     HEDGESTORE_WASM_OPT_LEVEL=z builds the smaller variant.
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
CARGO_PROFILE_RELEASE_OPT_LEVEL="${HEDGESTORE_WASM_OPT_LEVEL:-s}" \
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
    step "wasm-bindgen --target $target -> $dir"
    wasm-bindgen --target "$target" --out-dir "$dir" --out-name hedgestore_wasm \
        --no-typescript --weak-refs "$WASM"
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

# One .wasm for every entry: wasm-bindgen writes the same module for the three targets (only
# the JavaScript around it differs), so the package ships bundler/'s copy alone (its imports
# name ./hedgestore_wasm_bg.js, which lives there, as WebAssembly ES-module integration
# needs) and the node and web glue load it from there. Checked, not assumed.
SHARED=bundler/hedgestore_wasm_bg.wasm
step "one optimized .wasm for every entry (wasm-opt -Oz --converge) -> $OUT/$SHARED"
for target in node web; do
    cmp -s "$OUT/$target/hedgestore_wasm_bg.wasm" "$OUT/$SHARED" || {
        echo "wasm-bindgen wrote different modules for $target and bundler: cannot share one" >&2
        exit 1
    }
    rm "$OUT/$target/hedgestore_wasm_bg.wasm"
done
"$WASM_OPT" -Oz --converge --strip-debug --strip-producers "$OUT/$SHARED" -o "$OUT/$SHARED"
# Rewrites the one place a glue file names its .wasm; fails unless it matched exactly once.
point_at_shared() {
    local file=$1 from=$2 to=$3
    [ "$(grep -cF -- "$from" "$file")" = 1 ] || {
        echo "$file: expected one '$from' to point at the shared .wasm" >&2
        exit 1
    }
    node -e 'const fs = require("fs"); const [file, from, to] = process.argv.slice(1);
        fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(from, () => to));' \
        "$file" "$from" "$to"
}
point_at_shared "$OUT/node/hedgestore_wasm.js" \
    '`${__dirname}/hedgestore_wasm_bg.wasm`' '`${__dirname}/../bundler/hedgestore_wasm_bg.wasm`'
point_at_shared "$OUT/web/hedgestore_wasm.js" \
    "new URL('hedgestore_wasm_bg.wasm', import.meta.url)" \
    "new URL('../bundler/hedgestore_wasm_bg.wasm', import.meta.url)"

step "package files"
sed "s/@VERSION@/$VERSION/" wasm/npm/package.json >"$OUT/package.json"
cp wasm/npm/README.md wasm/npm/hedgestore.d.ts wasm/npm/commands.d.ts wasm/npm/web.d.ts "$OUT/"
rm -f target/npm/hedgestore-*.tgz
(cd target/npm && npm pack --silent ./hedgestore >/dev/null)

raw=$(stat -c %s "$OUT/$SHARED")
gz=$(gzip -9 -c "$OUT/$SHARED" | wc -c)
tgz=$(ls target/npm/hedgestore-*.tgz)
printf '\nhedgestore %s: %s (%d bytes)\nwasm binary (one copy): %d bytes (%d KB), %d bytes gzipped -9 (%d KB)\n' \
    "$VERSION" "$tgz" "$(stat -c %s "$tgz")" "$raw" $((raw / 1024)) "$gz" $((gz / 1024))
