#!/usr/bin/env bash
# hedgestore must build inside an application that uses the `redis` crate itself, with that
# crate's default features (which include `num-bigint`, changing `redis::Value::BigNumber`'s
# payload) and `json`. Cargo unifies features across a build, so such an application compiles
# hedgestore against that `redis`.
#
# Source this file and call `check_redis_compat`, or run it directly. It
#   1. `cargo check`s scripts/compat/redis-defaults, a scratch application crate (its own
#      workspace) depending on hedgestore by path and on `redis` with those features;
#   2. runs hedgestore-native's unit tests with the same `redis` features turned on.
# The scratch crate starts from the main Cargo.lock, so it resolves the versions the
# workspace is tested with; crates only it needs (num-bigint) are resolved on the first run.
# Build output goes to the workspace's target directory (or $CARGO_TARGET_DIR) so compiled
# dependencies are shared.

check_redis_compat() (
    set -euo pipefail
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    local scratch="$root/scripts/compat/redis-defaults"
    local target="${CARGO_TARGET_DIR:-$root/target}"

    cp "$root/Cargo.lock" "$scratch/Cargo.lock"
    echo "redis compat: an application using redis with default features + num-bigint + json"
    cargo check --manifest-path "$scratch/Cargo.toml" --target-dir "$target" --all-targets

    echo "redis compat: hedgestore-native's unit tests with redis/num-bigint and redis/json"
    (cd "$root" && cargo test --locked -p hedgestore-native --lib \
        --features redis/num-bigint,redis/json)
)

# Run directly (not sourced): check now.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    check_redis_compat
fi
