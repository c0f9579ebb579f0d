#!/usr/bin/env bash
# The wasm crate and the npm package `hedgestore`, end to end. On a fresh machine it first
# installs what is missing (the wasm32 target, wasm-bindgen-cli of the version in Cargo.lock,
# wasm-pack, Debian's chromium and chromium-driver); whatever is present is left alone.
#
#   1. lint the crate for wasm32 (clippy, warnings are errors);
#   2. start hedgestore-proxy (memory backend, a random token, CORS open) on a free loopback
#      port, for RemoteStore's end-to-end cases;
#   3. the wasm test suite: `wasm-pack test --node`, then `wasm-pack test --headless --chrome`
#      (a page and a dedicated worker), every MemoryStore and RemoteStore case in each;
#   4. build the optimized package (scripts/build-wasm-package.sh) and install its tarball into
#      a scratch project as a user would: Node tests through `require` and `import`, the web
#      build via its default export `init` and initSync, the @upstash/redis dialect (one case
#      file run against @upstash/redis on the proxy, RemoteStore and MemoryStore, answers
#      compared), a plain page in headless Chromium (with an import map and by path) and a
#      persisted MemoryStore across a page reload, the bundler build via WebAssembly ES-module
#      integration, a Cloudflare Worker bundled as wrangler does (esbuild) running in workerd
#      (Miniflare 4) with MemoryStore and RemoteStore, and the TypeScript types under
#      `tsc --strict`; then examples/dashboard in headless Chromium driven by puppeteer-core
#      (screenshot: target/dashboard.png);
#   5. stop the proxy (also on failure).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

step "setup: Node.js and npm, wasm32 target, wasm-bindgen-cli, wasm-pack, chromium"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    # Debian 12's Node 18 is enough for the package, Miniflare 4 and puppeteer-core.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm
fi
./scripts/ensure-wasm-tools.sh
command -v wasm-pack >/dev/null || cargo install wasm-pack
if ! command -v chromium >/dev/null || ! [ -x /usr/bin/chromedriver ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver
fi

step "the package build names what is missing (here: Node, hidden from PATH)"
no_node=$(mktemp -d)
for tool in cargo rustc rustup wasm-bindgen awk grep dirname; do
    ln -s "$(command -v "$tool")" "$no_node/$tool"
done
if missing=$(PATH="$no_node" "$BASH" scripts/ensure-wasm-tools.sh 2>&1); then
    echo "scripts/ensure-wasm-tools.sh passed without Node on PATH" >&2
    exit 1
fi
rm -rf "$no_node"
grep -qF 'cannot build the wasm package: Node.js (>= 18) and npm are required and not on PATH' <<<"$missing" || {
    printf 'scripts/ensure-wasm-tools.sh without Node said:\n%s\n' "$missing" >&2
    exit 1
}
echo "ok: $missing"

step "lint: hedgestore-wasm for wasm32"
cargo clippy --locked -p hedgestore-wasm --all-targets --target wasm32-unknown-unknown -- -D warnings

step "start hedgestore-proxy (memory backend) for RemoteStore's end-to-end tests"
cargo build --locked -p hedgestore-proxy
proxy_dir=$(mktemp -d)
token="wasm-test-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
HEDGESTORE_BACKEND=memory \
HEDGESTORE_PROXY_TOKEN="$token" \
HEDGESTORE_PROXY_ADDR=127.0.0.1:0 \
HEDGESTORE_PROXY_CORS_ORIGINS='*' \
    target/debug/hedgestore-proxy >"$proxy_dir/out" 2>"$proxy_dir/err" &
proxy_pid=$!
forwarder_pid=""
stop_proxy() {
    [ -z "$forwarder_pid" ] || kill "$forwarder_pid" 2>/dev/null || true
    kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null
    rm -rf "$proxy_dir"
}
trap stop_proxy EXIT
url=""
for _ in $(seq 1 200); do
    url=$(grep -o 'http://[0-9.]*:[0-9]*' "$proxy_dir/out" | head -n 1 || true)
    [ -n "$url" ] && break
    kill -0 "$proxy_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$url" ]; then
    echo "hedgestore-proxy did not start:" >&2
    cat "$proxy_dir/out" "$proxy_dir/err" >&2
    exit 1
fi
echo "hedgestore-proxy at $url"
# The wasm tests have no environment at run time: these are read at build time.
export HEDGESTORE_TEST_PROXY_URL="$url" HEDGESTORE_TEST_PROXY_TOKEN="$token"

step "wasm tests in Node (wasm-pack test --node)"
(cd wasm && wasm-pack test --node --test node)

step "wasm tests in headless Chromium, a page and a worker (wasm-pack test --headless --chrome)"
# Compiled first, outside the time limit below.
(cd wasm && cargo test --locked --no-run --target wasm32-unknown-unknown --test browser --test worker)
# Chromium reaches the test page through a proxy that gives every request its own upstream
# connection: wasm-bindgen-test-runner's server (tiny_http) can leave a burst of connections
# queued forever behind idle keep-alive ones, and the page then never loads (the "one run in
# four" hang; scripts/one-request-per-connection-proxy.py explains it). Traffic to
# hedgestore-proxy (RemoteStore, including its event streams) bypasses it.
forwarder_port_file="$proxy_dir/forwarder-port"
python3 scripts/one-request-per-connection-proxy.py "$forwarder_port_file" &
forwarder_pid=$!
for _ in $(seq 1 100); do
    [ -s "$forwarder_port_file" ] && break
    sleep 0.1
done
[ -s "$forwarder_port_file" ] || { echo "the test-page proxy did not start" >&2; exit 1; }
proxy_port=${url##*:}
cat >"$proxy_dir/webdriver.json" <<JSON
{ "goog:chromeOptions": { "args": [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-crash-reporter",
    "--disable-breakpad",
    "--proxy-server=http://127.0.0.1:$(cat "$forwarder_port_file")",
    "--proxy-bypass-list=<-loopback>;127.0.0.1:$proxy_port"
] } }
JSON
# The runner waits for the page to report its result with a deadline of 20 s by default;
# on a loaded 2-core machine a cold Chromium plus a debug build can need more. A failing test
# fails at once; the deadline only bounds a run that stopped making progress.
# `timeout` ends the whole run (wasm-pack, chromedriver, Chromium) if it ever hangs anyway.
(cd wasm && WASM_BINDGEN_TEST_WEBDRIVER_JSON="$proxy_dir/webdriver.json" WASM_BINDGEN_TEST_TIMEOUT=120 \
    timeout --kill-after=10 600 \
    wasm-pack test --headless --chrome --chromedriver /usr/bin/chromedriver --test browser --test worker)
kill "$forwarder_pid" 2>/dev/null || true

if [ -n "${HEDGESTORE_WASM_TESTS_ONLY:-}" ]; then
    step "wasm test suites passed (HEDGESTORE_WASM_TESTS_ONLY: package build skipped)"
    exit 0
fi

step "build the optimized npm package"
./scripts/build-wasm-package.sh

# Miniflare (workerd) and esbuild for the Worker test, puppeteer-core for the dashboard
# example, once, beside binaryen (their versions are pinned here; present ones are left alone).
tools=target/wasm-tools
if ! [ -x "$tools/node_modules/.bin/miniflare" ] || ! [ -x "$tools/node_modules/.bin/esbuild" ] ||
    ! [ -f "$tools/node_modules/puppeteer-core/package.json" ]; then
    step "installing miniflare@4, esbuild@0.25 and puppeteer-core@25 from npm into $tools"
    mkdir -p "$tools"
    [ -f "$tools/package.json" ] || echo '{ "private": true }' >"$tools/package.json"
    npm install --prefix "$tools" --no-audit --no-fund --silent miniflare@4 esbuild@0.25 puppeteer-core@25
fi

# The official @upstash/redis client, for the dialect comparison (installed once, where
# scripts/test-proxy-client.sh uses it).
./scripts/ensure-upstash-client.sh

step "install the package from its tarball and use it (Node: require, import, web, bundler; the @upstash/redis dialect against @upstash/redis; pages in Chromium; workerd; tsc)"
repo=$(pwd)
smoke=target/npm-smoke
rm -rf "$smoke"
mkdir -p "$smoke"
echo '{ "name": "hedgestore-smoke", "private": true, "type": "module" }' >"$smoke/package.json"
cp wasm/npm/smoke/* "$smoke/"
(
    cd "$smoke"
    npm install --no-audit --no-fund --silent ../npm/hedgestore-*.tgz typescript@5
    node --test require.test.cjs import.test.mjs browser.test.mjs
    # The @upstash/redis dialect: one case file run against @upstash/redis (on the proxy
    # started above), RemoteStore and MemoryStore, answers compared.
    HEDGESTORE_UPSTASH_CLIENT="$repo/proxy/tests/upstash-client" node --test dialect.test.mjs
    node --experimental-wasm-modules --no-warnings --test bundler.test.mjs
    HEDGESTORE_WASM_TOOLS="../wasm-tools" node --test workerd.test.mjs
    npx tsc -p tsconfig.json
    echo "tsc --strict: the shipped types check"
)

step "examples/dashboard in headless Chromium (puppeteer-core), against hedgestore-proxy"
HEDGESTORE_SMOKE_DIR="$smoke" HEDGESTORE_WASM_TOOLS="$tools" node --test examples/dashboard/dashboard.test.mjs

step "wasm suites passed"
