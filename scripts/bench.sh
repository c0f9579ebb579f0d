#!/usr/bin/env bash
# Every benchmark of every layer, next to its anchors, in one run; the tables of
# BENCHMARKS.md come out of it.
#
#   scripts/bench.sh [--quick]
#
# Writes target/bench/report.md (machine description first, then one section per layer)
# and prints it. Sections, each also runnable alone (BENCHMARKS.md says how):
#   1-4. the engine vs hashbrown / quick_cache / moka / lru: GET/SET, bounded cache (every
#        eviction policy's hit ratio), TTL writes, bytes per entry      (bench, default bin)
#   5.   hedgestore-proxy vs redis-benchmark at the same concurrency    (scripts/bench-proxy.sh)
#   6.   RedisStorage / FallbackStorage vs the raw `redis` crate; failover and recovery
#                                                                        (bench --bin fallback)
#   6b.  Storage on a 3-master Redis Cluster vs the raw ClusterConnection and one server
#                                                                        (bench --bin cluster)
#   7.   the durable log (no / everysec / always) vs Redis's own AOF, restart time
#                                                                        (bench --bin durability)
#   8.   sets and sorted sets vs redis-server                            (bench --bin collections)
#   9.   metrics: a Prometheus recorder installed vs none                (bench --bin metrics, when built)
#   10.  the npm package's MemoryStore vs lru-cache and Map in Node      (scripts/bench-wasm.sh)
#   11.  one shared store from 1..N threads: the sharded engine and MemoryStorage vs
#        quick_cache and a 16-shard hashbrown (bench --bin scaling; N: SCALING_THREADS,
#        default the number of cores)
#
# --quick: short runs of everything (a smoke test of the script, not numbers). Needs what the
# test command installs (redis-server, wrk, redis-benchmark, Node, the wasm tools):
# run ./scripts/test.sh once on a fresh machine first. The machine should be otherwise idle;
# the report records the load average before and after.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=()
[ "${1:-}" = "--quick" ] && quick=(--quick)
out=target/bench
mkdir -p "$out"
report="$out/report.md"

section() { printf '\n## %s\n\n' "$*" >>"$report"; printf '==> %s\n' "$*" >&2; }

{
    echo "# hedgestore benchmarks ($(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD))"
    echo
    echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
    echo "- memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "- $(rustc --version)"
    echo "- load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    [ ${#quick[@]} -gt 0 ] && echo "- **--quick**: smoke run, not numbers"
} >"$report"

bench=(cargo run --release --quiet --manifest-path bench/Cargo.toml)

section "1-4. The engine beside hashbrown, quick_cache, moka and lru (one thread)"
"${bench[@]}" -- "${quick[@]}" >>"$report"

section "5. hedgestore-proxy beside redis-benchmark (memory backend)"
if [ ${#quick[@]} -gt 0 ]; then
    DURATION=2s REQUESTS=50000 ./scripts/bench-proxy.sh memory >>"$report"
else
    ./scripts/bench-proxy.sh memory >>"$report"
fi

section "6. RedisStorage and FallbackStorage beside the raw redis client; failover and recovery"
"${bench[@]}" --bin fallback -- "${quick[@]}" >>"$report"

section "6b. Storage on a Redis Cluster beside the raw cluster client and one server"
"${bench[@]}" --bin cluster -- "${quick[@]}" >>"$report"

section "7. The durable log beside Redis's AOF"
"${bench[@]}" --bin durability -- "${quick[@]}" >>"$report"

section "8. Sets and sorted sets beside redis-server"
"${bench[@]}" --bin collections -- "${quick[@]}" >>"$report"

if [ -f bench/src/bin/metrics.rs ]; then
    section "9. Metrics: a Prometheus recorder installed vs none"
    "${bench[@]}" --bin metrics -- "${quick[@]}" >>"$report"
fi

section "10. The npm package's MemoryStore beside lru-cache and Map (Node)"
./scripts/bench-wasm.sh >>"$report"

section "11. One shared store from 1..N threads (the sharded engine, MemoryStorage, quick_cache)"
"${bench[@]}" --bin scaling -- "${quick[@]}" >>"$report"

echo >>"$report"
echo "- load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$report"
cat "$report"
