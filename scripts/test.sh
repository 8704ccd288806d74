#!/usr/bin/env bash
# Everything `make test` runs: installs what is missing, the server-free suites, the fuzz smoke,
# the wasm32 package, then the server suites (Rust, Node, Python in Pyodide) against s3s-fs, moto,
# Azurite, storage-testbench and fake-gcs-server (GCS).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

step() { echo; echo "=== $* ===" >&2; }

step "install"
scripts/wasm.sh install
scripts/servers.sh install
scripts/azurite.sh install
scripts/gcs.sh install
scripts/gcs.sh install fake
scripts/fuzz.sh install
scripts/browser.sh install
scripts/pyodide.sh install
scripts/lite.sh install

step "lint (rustfmt, clippy)"
if cargo fmt --version >/dev/null 2>&1; then cargo fmt --check; else echo "rustfmt not installed: format check not run" >&2; fi
if cargo clippy --version >/dev/null 2>&1; then cargo clippy --all-targets -- -D warnings; else echo "clippy not installed: lint not run" >&2; fi

step "cargo test (unit, vectors, memory and file behaviour; no server)"
cargo test --all-targets

step "fuzz smoke (every target from its seed corpus, bounded time)"
scripts/fuzz.sh smoke 20

step "wasm32: the core and the JS package (pkg/), built with rustc-web and wasm-bindgen"
scripts/wasm.sh build

step "TypeScript: the package's .d.ts types real uses (tsc --noEmit over tests/js/types.test.ts)"
(cd tests/js && npx --no-install tsc -p .)

step "the explorer (www/): type-checked and built by tsc into www/dist"
tests/js/node_modules/.bin/tsc -p www

step "start servers"
cleanup() {
    if [ -n "${browser_pid:-}" ]; then
        kill "$browser_pid" 2>/dev/null || true
        echo "=== the Chromium suites were still running; their output so far:" >&2
        cat target/ci-lanes/browser.log >&2 || true
    fi
    scripts/cors-proxy.sh stop || true; scripts/cors-proxy.sh stop gcs || true; scripts/servers.sh stop || true; scripts/azurite.sh stop || true; scripts/gcs.sh stop || true; scripts/gcs.sh stop fake || true; }
trap cleanup EXIT
scripts/servers.sh start s3s moto
scripts/azurite.sh start
scripts/gcs.sh start
scripts/gcs.sh start fake
# shellcheck disable=SC1091
source .servers/s3s.env; source .servers/moto.env; source .servers/azurite.env; source .servers/gcs.env; source .servers/fakegcs.env

# Two lanes side by side: the Chromium suites (which share the CORS proxy in front of s3s-fs, one
# after another) in the background, the Rust, Node and Pyodide-in-Node suites in the foreground.
# Each uses buckets of its own on the shared servers.
lanes=target/ci-lanes
rm -rf "$lanes"; mkdir -p "$lanes"
scripts/pyodide.sh build
browser_lane() {
    step "the wasm package in headless Chromium, cross-origin through a CORS proxy to s3s-fs"
    scripts/browser.sh test

    step "the Python package in headless Chromium: Pyodide on a page and in a worker (JSPI), through the CORS proxy to s3s-fs"
    scripts/pyodide.sh test-browser

    step "make lite: the JupyterLite site built offline; its REPL kernel reads and writes S3 through pailfs in Chromium"
    scripts/lite.sh build
    scripts/lite.sh test

    step "the explorer (www/) end to end in headless Chromium against moto, s3s-fs, storage-testbench and Azurite (screenshots in target/explorer/)"
    node tests/js/explorer.test.mjs
}
step "the Chromium suites start in the background (their output follows at the end; live in $lanes/browser.log)"
(set -e; browser_lane) >"$lanes/browser.log" 2>&1 &
browser_pid=$!
show_browser_lane() { echo; echo "=== the Chromium suites (background lane) ===" >&2; cat "$lanes/browser.log" >&2; }

step "server suites (the tests marked ignored in plain cargo test)"
cargo test --all-targets -- --ignored

step "the wasm package in Node 20 against s3s-fs, moto, Azurite and storage-testbench"
node tests/js/node.test.mjs

step "the fault test through the wasm package in Node: s3s-fs, moto, storage-testbench, Azurite behind a fault proxy (about a minute)"
node tests/js/faults.test.mjs

step "the Python package inside Pyodide (Node 20, JSPI): fsspec's compliance suite against moto and storage-testbench, pailfs's cases against moto"
scripts/pyodide.sh test

step "waiting for the Chromium suites"
if wait "$browser_pid"; then
    browser_pid=
    show_browser_lane
else
    browser_pid=
    show_browser_lane
    echo "the Chromium suites failed (above)" >&2
    exit 1
fi
