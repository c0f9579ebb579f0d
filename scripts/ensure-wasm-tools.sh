#!/usr/bin/env bash
# Makes sure the tools that build the wasm crate and the npm package are here, installing what
# is missing (whatever is present and right is left alone), or says exactly what is missing
# when it cannot install it:
#   * Rust's wasm32-unknown-unknown target              (rustup target add)
#   * wasm-bindgen-cli of the exact wasm-bindgen version in Cargo.lock (cargo install, about
#     2 min; without --locked: a pinned dependency of the CLI has been missing from the registry)
#   * Node.js >= 18 with npm                            (not installed here: reported)
# wasm-opt (binaryen 132 from npm, never Debian's) is installed by build-wasm-package.sh.
# Used by scripts/build-wasm-package.sh and scripts/test-wasm.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

missing() {
    printf 'hedgestore: cannot build the wasm package: %s\n' "$*" >&2
    exit 1
}

command -v cargo >/dev/null || missing "cargo is not on PATH (install Rust with rustup: https://rustup.rs)"
if command -v rustup >/dev/null; then
    rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
elif ! rustc --print target-list | grep -qx wasm32-unknown-unknown ||
    ! [ -d "$(rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown" ]; then
    missing "the wasm32-unknown-unknown target is not installed, and rustup is not here to add it"
fi

want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$want" ] || missing "no wasm-bindgen version found in Cargo.lock"
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
    echo "installing wasm-bindgen-cli $want (found: ${have:-none}); this takes about 2 minutes"
    cargo install wasm-bindgen-cli --version "$want"
    have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
    [ "$have" = "$want" ] ||
        missing "wasm-bindgen $want was installed, but \`wasm-bindgen\` on PATH is ${have:-missing} (put ~/.cargo/bin first on PATH)"
fi

command -v node >/dev/null && command -v npm >/dev/null ||
    missing "Node.js (>= 18) and npm are required and not on PATH"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' ||
    missing "Node.js >= 18 is required, found $(node --version)"
