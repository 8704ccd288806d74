#!/usr/bin/env bash
# The Python package (src/python/pailfs, metadata in pkg-config/pyproject.toml) and its tests in
# real Pyodide under Node 20, offline once installed.
#   scripts/pyodide.sh install   npm pyodide@314.0.7 and the pure-Python wheels the tests load
#                                (fsspec, pytest and its deps) into $PAILFS_TOOLS/pyodide, unless present
#   scripts/pyodide.sh build     the pailfs wheel in target/python/ (needs pkg/web: scripts/wasm.sh build)
#   scripts/pyodide.sh test      build, then the suites in tests/python/ inside Pyodide, against moto
#                                (source .servers/moto.env first: scripts/servers.sh start moto), and the
#                                compliance suite against storage-testbench too when .servers/gcs.env is sourced
#   scripts/pyodide.sh test-browser   the JSPI path in headless Chromium, on a page and in a worker, against
#                                s3s-fs through the CORS proxy (source .servers/s3s.env; needs scripts/browser.sh install)
#   scripts/pyodide.sh bench     read throughput of a file object vs plain fetch (BENCHMARKS.md), against
#                                s3s-fs (source .servers/s3s.env first)
#   scripts/pyodide.sh bench-list   listing 10,000 keys from Python vs from JS, against moto (moto.env)
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=${PAILFS_TOOLS:-$HOME/.cache/pailfs}
CACHE=$TOOLS/pyodide
PYODIDE_VERSION=314.0.7
# Pyodide 314 is Python 3.14: wheels for it, pure Python, exact versions so runs repeat.
WHEELS=(fsspec==2026.9.0 pytest==9.2.0 pluggy==1.7.0 iniconfig==2.3.1 packaging==26.4 pygments==2.21.0)

log() { echo "[pyodide] $*" >&2; }

install() {
    mkdir -p "$CACHE/wheels"
    if [ -f "$CACHE/node_modules/pyodide/pyodide.asm.wasm" ] \
        && grep -q "\"version\": \"$PYODIDE_VERSION\"" "$CACHE/node_modules/pyodide/package.json"; then
        log "pyodide $PYODIDE_VERSION present"
    else
        log "installing npm pyodide@$PYODIDE_VERSION into $CACHE"
        (cd "$CACHE" && npm install --silent --no-audit --no-fund "pyodide@$PYODIDE_VERSION")
    fi
    local missing=()
    for w in "${WHEELS[@]}"; do
        local name=${w%%==*} version=${w##*==}
        ls "$CACHE/wheels/${name}-${version}-"*.whl >/dev/null 2>&1 || missing+=("$w")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        log "wheels present"
    else
        log "downloading ${missing[*]}"
        python3 -m pip download -q --disable-pip-version-check --no-deps --python-version 3.14 \
            --only-binary=:all: -d "$CACHE/wheels" "${missing[@]}"
    fi
}

build() {
    [ -f pkg/web/pailfs_bg.wasm ] || { log "pkg/web missing: run scripts/wasm.sh build"; exit 1; }
    # Up to date when no input is newer than the wheel (suites running side by side in make test
    # then share one wheel instead of rewriting it under each other).
    local wheel
    wheel=$(ls -t target/python/pailfs-*.whl 2>/dev/null | head -1 || true)
    if [ -n "$wheel" ] && [ -z "$(find src/python pkg/web pkg-config/pyproject.toml scripts/pywheel.py -newer "$wheel" -type f 2>/dev/null | head -1)" ]; then
        return 0
    fi
    python3 scripts/pywheel.py pkg-config/pyproject.toml src/python pkg/web target/python
}

test_() {
    [ -n "${PAILFS_MOTO_ENDPOINT:-}" ] || { log "PAILFS_MOTO_ENDPOINT unset: scripts/servers.sh start moto; source .servers/moto.env"; exit 1; }
    build
    local wheel
    wheel=$(ls -t target/python/pailfs-*.whl | head -1)
    # GCS joins when storage-testbench runs (scripts/gcs.sh start; source .servers/gcs.env).
    log "providers: s3 (moto)${PAILFS_GCS_ENDPOINT:+, gcs (storage-testbench)}${PAILFS_AZURITE_BLOB:+, az (Azurite)}"
    # JSPI (run_sync) needs the flag on Node 20; Node >= 25 has it on by default.
    node --experimental-wasm-stack-switching tests/python/run.mjs "$CACHE" "$wheel" "$@"
}

test_browser() {
    [ -n "${PAILFS_S3S_ENDPOINT:-}" ] || { log "PAILFS_S3S_ENDPOINT unset: scripts/servers.sh start s3s; source .servers/s3s.env"; exit 1; }
    build
    scripts/cors-proxy.sh start
    # shellcheck disable=SC1091
    source .servers/cors.env
    trap 'scripts/cors-proxy.sh stop' RETURN
    node tests/python/browser.test.mjs "$CACHE" "$(ls -t target/python/pailfs-*.whl | head -1)"
}

bench() {
    [ -n "${PAILFS_S3S_ENDPOINT:-}" ] || { log "PAILFS_S3S_ENDPOINT unset: scripts/servers.sh start s3s; source .servers/s3s.env"; exit 1; }
    build
    node --experimental-wasm-stack-switching benches/pyodide_read.mjs "$CACHE" "$(ls -t target/python/pailfs-*.whl | head -1)"
}

bench_list() {
    [ -n "${PAILFS_MOTO_ENDPOINT:-}" ] || { log "PAILFS_MOTO_ENDPOINT unset: scripts/servers.sh start moto; source .servers/moto.env"; exit 1; }
    build
    node --experimental-wasm-stack-switching benches/pyodide_list.mjs "$CACHE" "$(ls -t target/python/pailfs-*.whl | head -1)"
}

cmd=${1:-}; shift || true
case "$cmd" in
    install) install ;;
    build) build ;;
    test) test_ "$@" ;;
    test-browser) test_browser ;;
    bench) bench ;;
    bench-list) bench_list ;;
    *) echo "usage: $0 install|build|test [pytest args]|test-browser|bench|bench-list" >&2; exit 2 ;;
esac
