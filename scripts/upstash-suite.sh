#!/usr/bin/env bash
# Runs the official @upstash/redis client's own test suite (`bun test` in its repository)
# against hedgestore-proxy: a yardstick of Redis coverage that nobody here wrote.
#
#   scripts/upstash-suite.sh <checkout of github.com/upstash/redis-js> [memory|redis|fallback]
#
# Not part of scripts/test.sh: it needs a checkout of that repository (this machine's CI has no
# network access to GitHub) and bun (`npm install bun`, from the npm registry). The suite's
# dependencies are installed with `bun install` from the npm registry. Prints the totals, then
# every failing test with its first error line, grouped by error, so "unknown command"
# failures (commands hedgestore lacks) are told apart from wrong replies. Results are in
# README.md ("Redis coverage"). UPSTASH_SUITE_OUT=<file> keeps bun's whole output.
set -euo pipefail
cd "$(dirname "$0")/.."

checkout="${1:?usage: scripts/upstash-suite.sh <redis-js checkout> [memory|redis|fallback]}"
backend="${2:-memory}"
package="$checkout/packages/redis"
[ -f "$package/package.json" ] || { echo "upstash-suite: no packages/redis in $checkout" >&2; exit 1; }
bun="$(command -v bun || true)"
if [ -z "$bun" ]; then
    tools="${TMPDIR:-/tmp}/hedgestore-bun"
    if [ ! -x "$tools/node_modules/.bin/bun" ]; then
        mkdir -p "$tools"
        (cd "$tools" && npm install --silent bun@1.3.6 >/dev/null)
    fi
    bun="$tools/node_modules/.bin/bun"
fi
(cd "$package" && "$bun" install --silent >/dev/null)

work=$(mktemp -d)
proxy_pid=""
redis_pid=""
cleanup() {
    [ -n "$proxy_pid" ] && kill -TERM "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null
    [ -n "$redis_pid" ] && kill -TERM "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --locked -p hedgestore-proxy >&2
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
if [ "$backend" != memory ]; then
    port=$(free_port)
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
        >"$work/redis.log" 2>&1 &
    redis_pid=$!
    for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    export REDIS_URL="redis://127.0.0.1:$port/0"
fi
token="suite-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
# The suite flushes the database and lists keys in its setup: allow every command.
HEDGESTORE_BACKEND="$backend" HEDGESTORE_PROXY_ADDR=127.0.0.1:0 HEDGESTORE_PROXY_TOKEN="$token" \
    HEDGESTORE_PROXY_ALLOW='*' HEDGESTORE_MAX_MEMORY=2gb \
    target/release/hedgestore-proxy >"$work/stdout" 2>"$work/stderr" &
proxy_pid=$!
url=""
for _ in $(seq 1 100); do
    url=$(grep -o 'http://[0-9.:]*' "$work/stdout" 2>/dev/null | head -n1 || true)
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { echo "upstash-suite: the proxy did not start" >&2; cat "$work/stderr" >&2; exit 1; }

(cd "$package" && UPSTASH_REDIS_REST_URL="$url" UPSTASH_REDIS_REST_TOKEN="$token" \
    UPSTASH_DISABLE_TELEMETRY=1 "$bun" test pkg --timeout 20000 >"$work/out" 2>&1) || true

[ -n "${UPSTASH_SUITE_OUT:-}" ] && cp "$work/out" "$UPSTASH_SUITE_OUT"
echo "backend: $backend"
grep -E '^ *[0-9]+ (pass|fail|skip)' "$work/out" || tail -5 "$work/out"
echo
echo "unknown commands (tests whose setup or call needs a command hedgestore lacks):"
grep -o "unknown command '[A-Za-z]*'" "$work/out" | tr 'A-Z' 'a-z' | sort | uniq -c | sort -rn
echo
echo "other errors (wrong replies, refusals), by first line:"
grep -E '^(error|UpstashError|TypeError)' "$work/out" | grep -v "unknown command" |
    sed -E 's/[A-Za-z0-9+\/=]{40,}/<key>/g' | cut -c1-150 | sort | uniq -c | sort -rn | head -40
