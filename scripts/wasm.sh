#!/usr/bin/env bash
# Build the sans-IO core (the library without the native feature) for wasm32-unknown-unknown.
# rustup cannot fetch the wasm32 std here, so Debian's rustc-web (1.96, with std sources)
# builds std from source: see ../shared/TOOLCHAIN.md.
#   scripts/wasm.sh install   apt-install the toolchain and cargo-install wasm-bindgen-cli (at exactly
#                             the version in Cargo.lock) unless present
#   scripts/wasm.sh check     build the library for wasm32 (proves the core has no native deps)
#   scripts/wasm.sh build     the wasm package: pkg/web (ES module) and pkg/node (CommonJS), sizes printed
#   scripts/wasm.sh bench     the Node build with the bench-only exports, in pkg/bench (make bench)
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS="rustc-web cargo-web rust-web-src rust-web-llvm lld-22"

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install() {
    local missing=""
    for p in $PKGS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    if [ -z "$missing" ]; then
        echo "[wasm] toolchain present" >&2
    else
        echo "[wasm] installing$missing" >&2
        sudo_ apt-get update -qq
        DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq $missing >/dev/null
    fi
    local v
    v=$(bindgen_version)
    if command -v wasm-bindgen >/dev/null && wasm-bindgen --version | grep -q " $v\$"; then
        echo "[wasm] wasm-bindgen $v present" >&2
    else
        echo "[wasm] installing wasm-bindgen-cli $v (a few minutes)" >&2
        # No --locked: the registry lacks one of its locked dependencies (TOOLCHAIN.md).
        cargo install wasm-bindgen-cli --version "$v" --quiet
    fi
}

bindgen_version() {
    awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

compile() {
    # Size first (BENCHMARKS.md): a panic traps at once instead of formatting a message (no
    # code path should panic; bad input is a typed error); names and producers are stripped.
    # Debian's binaryen (wasm-opt 108) saves only ~1% more and breaks the externref table.
    RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort" \
        RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=target/wasm \
        /usr/bin/cargo rustc --lib --no-default-features --profile wasm \
        --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort --crate-type cdylib "$@"
}

# The Node build with the bench's extra exports, in pkg/bench (never shipped).
bench() {
    compile --features bench-exports
    rm -rf pkg/bench
    wasm-bindgen --target nodejs --out-dir pkg/bench target/wasm/wasm32-unknown-unknown/wasm/pailfs.wasm
}

build() {
    compile
    local wasm=target/wasm/wasm32-unknown-unknown/wasm/pailfs.wasm
    rm -rf pkg/web pkg/node
    local strip="--remove-name-section --remove-producers-section"
    wasm-bindgen --target web $strip --out-dir pkg/web "$wasm"
    wasm-bindgen --target nodejs $strip --out-dir pkg/node "$wasm"
    # The npm package is the ES module build, with its manifest from pkg-config/.
    cp pkg-config/package.json pkg/web/package.json
    local w j
    w=$(gzip -9 -c pkg/web/pailfs_bg.wasm | wc -c)
    j=$(gzip -9 -c pkg/web/pailfs.js | wc -c)
    echo "[wasm] pkg/web: pailfs_bg.wasm $(wc -c <pkg/web/pailfs_bg.wasm) B ($w B gzip -9), pailfs.js $(wc -c <pkg/web/pailfs.js) B ($j B gzip -9)"
}

check() {
    # RUSTC must be Debian's 1.96: rustup's proxy would be found first otherwise.
    RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=target/wasm \
        /usr/bin/cargo build --lib --no-default-features --release \
        --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort "$@"
    ls -l target/wasm/wasm32-unknown-unknown/release/libpailfs.rlib >&2
}

cmd=${1:-check}; shift || true
case "$cmd" in
    install) install ;;
    check) check "$@" ;;
    build) build ;;
    bench) bench ;;
    *) echo "usage: $0 install|check|build|bench" >&2; exit 2 ;;
esac
