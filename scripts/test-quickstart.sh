#!/usr/bin/env bash
# Runs the README's first command, `cargo run --example quickstart`, and the metrics tour
# (`--example observe`, whose scrape must count commands) in the three situations a newcomer
# meets, and fails unless both exit 0 in each:
#   1. no REDIS_* setting (memory only when nothing answers on localhost:6379);
#   2. Redis configured and up (a private redis-server on a free loopback port);
#   3. Redis configured but down (the same port after that server stopped).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --locked -q --example quickstart --example observe
quickstart=target/debug/examples/quickstart
observe=target/debug/examples/observe
unset REDIS_URL REDIS_HOST REDIS_PORT REDIS_DB REDIS_PASSWORD

run() { # label, then env assignments
    local label=$1
    shift
    echo "--- quickstart: $label"
    if ! out=$(env "$@" timeout 60 "$quickstart" 2>&1); then
        printf '%s\n' "$out"
        echo "quickstart FAILED: $label" >&2
        exit 1
    fi
    printf '%s\n' "$out" | grep -E '^(backend|lock)' || true
    echo "--- observe: $label"
    if ! out=$(env "$@" timeout 60 "$observe" 2>&1) ||
        ! grep -q '^hedgestore_commands_total{' <<<"$out"; then
        printf '%s\n' "$out"
        echo "observe FAILED: $label" >&2
        exit 1
    fi
    printf '%s\n' "$out" | grep -E '^# backend' || true
}

run "no Redis settings"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
    --dir "$dir" >"$dir/log" 2>&1 &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
done
redis-cli -p "$port" ping >/dev/null
run "Redis configured and up" REDIS_HOST=127.0.0.1 REDIS_PORT="$port"

kill "$redis_pid"
wait "$redis_pid" 2>/dev/null || true
run "Redis configured but down" REDIS_HOST=127.0.0.1 REDIS_PORT="$port"
echo "quickstart and observe exit 0 in all three situations"
