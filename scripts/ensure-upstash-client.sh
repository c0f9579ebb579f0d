#!/usr/bin/env bash
# Installs the official @upstash/redis client (the version pinned in
# proxy/tests/upstash-client/package.json and its lock file) into
# proxy/tests/upstash-client/node_modules, unless it is there already. The one install of it:
# scripts/test-proxy-client.sh runs that directory's tests with it, and scripts/test-wasm.sh
# compares hedgestore's @upstash/redis dialect against it (wasm/npm/smoke/dialect.test.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."

client_dir=proxy/tests/upstash-client
if [ ! -d "$client_dir/node_modules/@upstash/redis" ]; then
    echo "==> installing @upstash/redis into $client_dir"
    if [ -f "$client_dir/package-lock.json" ]; then
        (cd "$client_dir" && npm ci --no-audit --no-fund)
    else
        (cd "$client_dir" && npm install --no-audit --no-fund)
    fi
fi
