#!/usr/bin/env bash
# Build the sans-IO core (the library without the native feature) for wasm32-unknown-unknown.
# rustup cannot fetch the wasm32 std here, so Debian's rustc-web (1.96, with std sources)
# builds std from source: see ../shared/TOOLCHAIN.md.
#   scripts/wasm.sh install   apt-install the toolchain unless present
#   scripts/wasm.sh check     build the library for wasm32 (proves the core has no native deps)
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS="rustc-web cargo-web rust-web-src rust-web-llvm lld-22"

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install() {
    local missing=""
    for p in $PKGS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    if [ -z "$missing" ]; then echo "[wasm] toolchain present" >&2; return; fi
    echo "[wasm] installing$missing" >&2
    sudo_ apt-get update -qq
    DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq $missing >/dev/null
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
    *) echo "usage: $0 install|check" >&2; exit 2 ;;
esac
