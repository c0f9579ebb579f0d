#!/usr/bin/env bash
# Requests per second for GET and SET through hedgestore-proxy on loopback, measured with wrk.
#
#   scripts/bench-proxy.sh [memory|redis|fallback]     (default: memory)
#
# redis/fallback start a throwaway redis-server on a free port. Every run ends with the
# reference: `redis-benchmark -c CONNECTIONS -P 1` GET and SET against a throwaway
# redis-server on the same machine, in the same run (Redis's own RESP throughput at the
# same concurrency, one request in flight per connection, as wrk sends them).
# Tunables (environment): DURATION (default 10s), CONNECTIONS (50), THREADS (2),
# REQUESTS (redis-benchmark requests per test, default 500000). Needs wrk and redis-server
# (apt-get install -y wrk redis-server). Prints one line per scenario; results are in
# BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${1:-memory}"
duration="${DURATION:-10s}"
connections="${CONNECTIONS:-50}"
requests="${REQUESTS:-500000}"
threads="${THREADS:-2}"
work=$(mktemp -d)
proxy_pid=""
redis_pid=""

cleanup() {
    [ -n "$proxy_pid" ] && kill -TERM "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null
    [ -n "$redis_pid" ] && kill -TERM "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "bench-proxy: wrk is required (apt-get install -y wrk)" >&2; exit 1; }
command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null ||
    { echo "bench-proxy: redis-server and redis-benchmark are required (apt-get install -y redis-server)" >&2; exit 1; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cargo build --release --locked -p hedgestore-proxy >&2

# One throwaway redis-server: the backend for redis/fallback, and the reference at the end.
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
    --daemonize no >"$work/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 1 50); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
done
if [ "$backend" != memory ]; then
    export REDIS_URL="redis://127.0.0.1:$redis_port/0"
fi

token="bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
HEDGESTORE_BACKEND="$backend" HEDGESTORE_PROXY_ADDR=127.0.0.1:0 HEDGESTORE_PROXY_TOKEN="$token" \
    target/release/hedgestore-proxy >"$work/stdout" 2>"$work/stderr" &
proxy_pid=$!
url=""
for _ in $(seq 1 100); do
    url=$(grep -o 'http://[0-9.:]*' "$work/stdout" 2>/dev/null | head -n1 || true)
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { echo "bench-proxy: the proxy did not start" >&2; cat "$work/stderr" >&2; exit 1; }

auth="Authorization: Bearer $token"
curl -sf -H "$auth" "$url/set/bench:key/value" >/dev/null

cat >"$work/post.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BODY")
EOF

run() {
    local name=$1 path=$2 body=${3:-} conns=${4:-$connections}
    local args=(-t"$threads" -c"$conns" -d"$duration" -H "$auth" --latency)
    [ -n "$body" ] && args+=(-s "$work/post.lua")
    BODY="$body" wrk "${args[@]}" "$url$path" >"$work/out" 2>&1
    local rps latency p99 errors
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/out")
    latency=$(awk '/Latency/ && !done {print $2; done=1}' "$work/out")
    p99=$(awk '$1 == "99%" {print $2}' "$work/out")
    errors=$(awk '/Non-2xx/ {print $NF} /Socket errors/ {print}' "$work/out" | tr '\n' ' ')
    printf '%-34s %5s conns  %10s req/s  avg %-8s p99 %-8s %s\n' \
        "$name" "$conns" "$rps" "$latency" "$p99" "${errors:-no errors}"
}

echo "backend: $backend, wrk -t$threads -d$duration, $(nproc) cores"
run "GET  /get/bench:key (path form)" "/get/bench:key"
run "SET  /set/bench:key/value" "/set/bench:key/value"
run "POST / [\"GET\",\"bench:key\"]" "/" '["GET","bench:key"]'
run "POST / [\"SET\",\"bench:key\",\"value\"]" "/" '["SET","bench:key","value"]'
run "POST /pipeline [[\"get\",...]]" "/pipeline" '[["get","bench:key"]]'
run "GET  /get/bench:key" "/get/bench:key" "" 200

# The reference, in the same run: Redis's own throughput over RESP at the same concurrency.
# The proxy is stopped first so redis-benchmark and redis-server have the machine to
# themselves, as wrk and the proxy had it above.
kill -TERM "$proxy_pid" 2>/dev/null && { wait "$proxy_pid" 2>/dev/null || true; }
proxy_pid=""
echo "reference: redis-benchmark -c $connections -P 1 -n $requests (redis-server $(redis-server --version | grep -o 'v=[0-9.]*' | cut -c3-))"
redis-benchmark -h 127.0.0.1 -p "$redis_port" -c "$connections" -P 1 -n "$requests" \
    -t get,set -d 5 -q 2>/dev/null | tr '\r' '\n' | grep 'requests per second' |
    while IFS= read -r line; do
        name=${line%%:*}
        rps=$(echo "$line" | awk '{print $2}')
        p50=$(echo "$line" | grep -o 'p50=[0-9.]*' | cut -c5-)
        printf '%-34s %5s conns  %10s req/s  p50 %s ms\n' "redis-benchmark $name" "$connections" "$rps" "$p50"
    done
