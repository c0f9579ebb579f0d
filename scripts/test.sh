#!/usr/bin/env bash
# Runs every hedgestore suite. This is the one test command: the README names it and
# .ci/run calls it. On a fresh machine it first installs what is missing (rustup targets and
# components, redis-server, iproute2); whatever is already present is left alone.
# Runs as root (or with sudo): the partition test creates a network namespace.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# A CI run starts from a clean clone and runs once: incremental caches would only take disk.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

step "setup: free disk space"
# A full run from a clean clone writes about 3.4 GB under target/ (test binaries, wasm
# builds, tools); fail now, with the reason, rather than with a linker's bus error half an
# hour in. What target/ already holds counts towards the 6 GB asked for (a rerun rebuilds
# little), but at least 1 GB must be free.
need_gb=6
mkdir -p target
free_gb=$(df -Pk target | awk 'NR == 2 { print int($4 / 1048576) }')
held_gb=$(du -sk target | awk '{ print int($1 / 1048576) }')
missing_gb=$((need_gb - held_gb > 1 ? need_gb - held_gb : 1))
if [ "$free_gb" -lt "$missing_gb" ]; then
    echo "only ${free_gb} GB free under $(pwd)/target, which holds ${held_gb} GB: a full" \
        "run needs about ${need_gb} GB there, so ${missing_gb} GB free" >&2
    exit 1
fi

step "setup: toolchain components and targets"
installed_components=$(rustup component list --installed)
for component in rustfmt clippy; do
    grep -q "^$component" <<<"$installed_components" || rustup component add "$component"
done
installed_targets=$(rustup target list --installed)
for target in wasm32-unknown-unknown thumbv7em-none-eabihf; do
    grep -qx "$target" <<<"$installed_targets" || rustup target add "$target"
done

step "setup: redis-server and redis-cli (differential, fault, cluster and Sentinel tests)"
command -v redis-server >/dev/null || apt_install redis-server
# `redis-cli --cluster create` builds the test clusters (Debian: redis-tools).
command -v redis-cli >/dev/null || apt_install redis-tools

step "setup: ip and unshare (the network-partition test runs in its own network namespace)"
command -v ip >/dev/null || apt_install iproute2
command -v unshare >/dev/null || apt_install util-linux

step "setup: python3 and gzip (free ports, the wasm suites' forwarding proxy, the size check)"
command -v python3 >/dev/null || apt_install python3
command -v gzip >/dev/null || apt_install gzip

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "docs build without warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

step "tests (unit, property, conformance, differential and fault tests against redis-server)"
cargo test --workspace --locked

step "an application using the redis crate with its default features (num-bigint) and json"
source ./scripts/check-redis-compat.sh && check_redis_compat

step "the README's first command in three situations (no Redis settings; Redis up; Redis down)"
./scripts/test-quickstart.sh

step "memory-only build: hedgestore without default features has neither redis nor hyper"
cargo clippy --locked -p hedgestore-native -p hedgestore --no-default-features --lib -- -D warnings
if cargo tree --locked -p hedgestore --no-default-features -e normal | grep -E ' (redis|hyper) v'; then
    echo "hedgestore --no-default-features depends on redis or hyper (above)" >&2
    exit 1
fi
cargo test --locked -p hedgestore --no-default-features --test memory_storage --test durability --test metrics_memory

step "core builds for bare metal (no_std) and wasm32"
cargo build --locked -p hedgestore-core --target thumbv7em-none-eabihf
cargo build --locked -p hedgestore-core -p hedgestore-wasm --target wasm32-unknown-unknown

step "the official @upstash/redis client against hedgestore-proxy"
./scripts/test-proxy-client.sh

step "wasm: MemoryStore and RemoteStore under Node and headless Chromium, npm package smoke tests"
./scripts/test-wasm.sh

step "all suites passed"
