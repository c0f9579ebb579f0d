#!/usr/bin/env bash
# Hunts flaky tests: builds every test binary of the workspace once, then runs each of them N
# times (default 20), and the wasm suites (Node and headless Chromium) N times, and reports
# every test that failed at least once with its failure count. Exits non-zero when any test
# ever failed. Usage: scripts/flake-hunt.sh [N]   (FLAKE_HUNT_WASM=0 skips the wasm suites)
#
# Each run of a binary uses the test harness's default parallelism, as `cargo test` does, so
# the hunt sees the same interleavings CI sees. Output of failing runs is kept under
# target/flake-hunt/ for reading.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
out=target/flake-hunt
rm -rf "$out"
mkdir -p "$out"

echo "==> building every test binary once"
cargo test --workspace --locked --no-run --message-format=json 2>/dev/null >"$out/build.json"
python3 - "$out/build.json" >"$out/binaries" <<'PY'
import json, os, sys
for line in open(sys.argv[1]):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(os.path.dirname(m["manifest_path"]), m["executable"], m["target"]["name"], sep="\t")
PY
echo "$(wc -l <"$out/binaries") test binaries, $runs runs each"

record() { # binary-label log-file: appends each failed test name to the failure list
    grep -E '^test .* \.\.\. FAILED$' "$2" | sed -E "s/^test (.*) \.\.\. FAILED$/$1 \1/" >>"$out/failures" || true
}

: >"$out/failures"
: >"$out/summary"
while IFS=$'\t' read -r dir exe name; do
    failed_runs=0
    for i in $(seq 1 "$runs"); do
        log="$out/$name.$i.log"
        if (cd "$dir" && "$exe") >"$log" 2>&1; then
            rm -f "$log"
        else
            failed_runs=$((failed_runs + 1))
            record "$name" "$log"
            grep -qE '^test .* \.\.\. FAILED$' "$log" || echo "$name (binary failed without a test failure, see $log)" >>"$out/failures"
        fi
    done
    printf '%-28s %3d runs, %3d failed\n' "$name" "$runs" "$failed_runs" | tee -a "$out/summary"
done <"$out/binaries"

if [ "${FLAKE_HUNT_WASM:-1}" != 0 ]; then
    echo "==> wasm suites (Node, headless Chromium) $runs times"
    failed_runs=0
    for i in $(seq 1 "$runs"); do
        log="$out/wasm.$i.log"
        if HEDGESTORE_WASM_TESTS_ONLY=1 ./scripts/test-wasm.sh >"$log" 2>&1; then
            rm -f "$log"
        else
            failed_runs=$((failed_runs + 1))
            record wasm "$log"
            grep -qE '^test .* \.\.\. FAILED$' "$log" || echo "wasm (run $i failed without a test failure, see $log)" >>"$out/failures"
        fi
    done
    printf '%-28s %3d runs, %3d failed\n' "wasm (node+chromium)" "$runs" "$failed_runs" | tee -a "$out/summary"
fi

echo
if [ -s "$out/failures" ]; then
    echo "FLAKY: tests that failed at least once (failures, binary, test):"
    sort "$out/failures" | uniq -c | sort -rn
    exit 1
fi
echo "no test failed in $runs runs"
