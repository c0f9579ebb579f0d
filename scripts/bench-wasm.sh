#!/usr/bin/env bash
# Benchmarks the npm package's MemoryStore get/set in Node beside lru-cache (with a TTL) and a
# plain Map: builds the package (scripts/build-wasm-package.sh), installs it with lru-cache
# into target/npm-bench, and prints a Markdown table (wasm/npm/bench/bench.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build-wasm-package.sh >/dev/null
rm -rf target/npm-bench
mkdir -p target/npm-bench
cd target/npm-bench
echo '{ "name": "hedgestore-bench", "private": true, "type": "module" }' >package.json
npm install --no-audit --no-fund --silent ../npm/hedgestore-*.tgz lru-cache@11
cp ../../wasm/npm/bench/bench.mjs .
node bench.mjs
