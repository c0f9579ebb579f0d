#!/usr/bin/env bash
# Runs the official @upstash/redis npm client against hedgestore-proxy: builds the proxy,
# starts it on the memory backend (a free port, a random token), installs the client from the
# npm registry if node_modules is missing, runs proxy/tests/upstash-client/test.mjs and stops
# the proxy. Exits non-zero when anything fails. Needs cargo, node (>= 18) and npm.
# HEDGESTORE_BACKEND=redis|fallback (with REDIS_URL or REDIS_HOST/REDIS_PORT) runs the same
# client tests against a Redis-backed proxy instead.
set -euo pipefail
cd "$(dirname "$0")/.."

client_dir=proxy/tests/upstash-client
work=$(mktemp -d)
proxy_pid=""

cleanup() {
    if [ -n "$proxy_pid" ] && kill -0 "$proxy_pid" 2>/dev/null; then
        kill -TERM "$proxy_pid" 2>/dev/null || true
        wait "$proxy_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

for tool in node npm cargo; do
    command -v "$tool" >/dev/null || { echo "test-proxy-client: $tool is required" >&2; exit 1; }
done

echo "==> building hedgestore-proxy"
cargo build --locked -p hedgestore-proxy

./scripts/ensure-upstash-client.sh

token="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
backend="${HEDGESTORE_BACKEND:-memory}"
echo "==> starting hedgestore-proxy ($backend backend)"
HEDGESTORE_BACKEND="$backend" \
HEDGESTORE_PROXY_ADDR=127.0.0.1:0 \
HEDGESTORE_PROXY_TOKEN="$token" \
HEDGESTORE_PROXY_SSE_KEEPALIVE_MS=200 \
    target/debug/hedgestore-proxy >"$work/stdout" 2>"$work/stderr" &
proxy_pid=$!

url=""
for _ in $(seq 1 100); do
    url=$(grep -o 'http://[0-9.:]*' "$work/stdout" 2>/dev/null | head -n1 || true)
    [ -n "$url" ] && break
    if ! kill -0 "$proxy_pid" 2>/dev/null; then
        echo "test-proxy-client: the proxy exited early:" >&2
        cat "$work/stderr" >&2
        exit 1
    fi
    sleep 0.1
done
if [ -z "$url" ]; then
    echo "test-proxy-client: the proxy did not report its address" >&2
    cat "$work/stderr" >&2
    exit 1
fi
echo "    listening on $url"

echo "==> running @upstash/redis against the proxy"
status=0
(cd "$client_dir" && PROXY_URL="$url" PROXY_TOKEN="$token" \
    node --test --test-reporter=spec test.mjs) || status=$?

echo "==> stopping the proxy"
kill -TERM "$proxy_pid"
if ! wait "$proxy_pid"; then
    echo "test-proxy-client: the proxy did not stop cleanly:" >&2
    cat "$work/stderr" >&2
    status=1
fi
proxy_pid=""
if grep -q "$token" "$work/stdout" "$work/stderr"; then
    echo "test-proxy-client: the token appeared in the proxy's output" >&2
    status=1
fi
exit "$status"
