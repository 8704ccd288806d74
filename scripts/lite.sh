#!/usr/bin/env bash
# `make lite`: a JupyterLite site with pailfs and a demo notebook preinstalled, built offline once
# installed: Pyodide from npm (scripts/pyodide.sh install), the kernel's own wheels next to its
# lock file (their PyPI copies, with the lock rewritten to their names and hashes), pailfs and
# comm in the site's pypi/, and no fallback to PyPI.
#   scripts/lite.sh install   jupyterlite-core, -pyodide-kernel and jupyter_server in $TOOLS/lite-venv;
#                             the wheels the kernel loads (the versions pyodide-lock.json names) in $TOOLS/lite-wheels
#   scripts/lite.sh build     the site in target/lite (needs the pailfs wheel: scripts/pyodide.sh build)
#   scripts/lite.sh test      headless Chromium opens the site's REPL, whose kernel reads and writes
#                             s3s-fs through the CORS proxy with pailfs (source .servers/s3s.env)
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=${PAILFS_TOOLS:-$HOME/.cache/pailfs}
VENV=$TOOLS/lite-venv
WHEELS=$TOOLS/lite-wheels
PYODIDE=$TOOLS/pyodide/node_modules/pyodide
LITE_SPECS=(jupyterlite-core==0.8.6 jupyterlite-pyodide-kernel==0.8.6 jupyter_server)
# Not in Pyodide's lock file; the kernel installs it from the site's pypi/.
EXTRA=(comm==0.2.3)
log() { echo "[lite] $*" >&2; }

install() {
    if [ -x "$VENV/bin/jupyter-lite" ]; then
        log "jupyterlite present"
    else
        log "installing jupyterlite into $VENV"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q --disable-pip-version-check "${LITE_SPECS[@]}"
    fi
    [ -f "$PYODIDE/pyodide-lock.json" ] || scripts/pyodide.sh install
    mkdir -p "$WHEELS"
    local missing=()
    for spec in $(python3 scripts/lite_lock.py needs "$PYODIDE/pyodide-lock.json") "${EXTRA[@]}"; do
        local name=${spec%%==*} version=${spec##*==}
        compgen -G "$WHEELS/${name//-/_}-$version-*.whl" >/dev/null || compgen -G "$WHEELS/$name-$version-*.whl" >/dev/null \
            || missing+=("$spec")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        log "kernel wheels present"
    else
        log "downloading ${missing[*]}"
        python3 -m pip download -q --disable-pip-version-check --no-deps --python-version 3.14 \
            --only-binary=:all: -d "$WHEELS" "${missing[@]}"
    fi
}

build() {
    local wheel src=target/lite-src out=target/lite
    wheel=$(ls -t target/python/pailfs-*.whl 2>/dev/null | head -1)
    [ -n "$wheel" ] || { log "no pailfs wheel: scripts/pyodide.sh build"; exit 1; }
    rm -rf "$src" "$out"
    mkdir -p "$src/static/pyodide" "$src/pypi" "$src/files"
    cp "$PYODIDE"/*.mjs "$PYODIDE"/*.js "$PYODIDE"/*.wasm "$PYODIDE"/*.zip "$PYODIDE"/package.json "$src/static/pyodide/"
    # pailfs joins the lock too: the kernel loads it at start (jupyter-lite.json's
    # loadPyodideOptions.packages), so notebooks just `import pailfs`.
    python3 scripts/lite_lock.py rewrite "$PYODIDE/pyodide-lock.json" "$WHEELS" "$src/static/pyodide" "$wheel"
    for spec in "${EXTRA[@]}"; do cp "$WHEELS/${spec%%==*}-${spec##*==}-"*.whl "$src/pypi/"; done
    # make demo fills in its server (LITE_S3_ENDPOINT, LITE_S3_KEY, LITE_S3_SECRET); else the
    # notebook keeps its placeholders, for the user to edit.
    python3 - www/lite/pailfs-demo.ipynb "$src/files/pailfs-demo.ipynb" <<'PY'
import json, os, sys
nb = json.load(open(sys.argv[1]))
fill = {"http://127.0.0.1:5000": os.environ.get("LITE_S3_ENDPOINT"), '"testing", secret="testing"': None}
key, secret = os.environ.get("LITE_S3_KEY"), os.environ.get("LITE_S3_SECRET")
for cell in nb["cells"]:
    src = "".join(cell["source"])
    if fill["http://127.0.0.1:5000"]:
        src = src.replace("http://127.0.0.1:5000", fill["http://127.0.0.1:5000"])
    if key and secret:
        src = src.replace('key="testing", secret="testing"', f"key={json.dumps(key)}, secret={json.dumps(secret)}")
    cell["source"] = src
json.dump(nb, open(sys.argv[2], "w"), indent=1)
PY
    cp www/lite/jupyter-lite.json "$src/"
    (cd "$src" && "$VENV/bin/jupyter" lite build --output-dir ../lite >/dev/null 2>../lite-build.log) \
        || { cat target/lite-build.log >&2; exit 1; }
    log "site in $out ($(du -sh "$out" | cut -f1)); serve it over http and open lab/index.html"
}

test_() {
    [ -n "${PAILFS_S3S_ENDPOINT:-}" ] || { log "PAILFS_S3S_ENDPOINT unset: scripts/servers.sh start s3s; source .servers/s3s.env"; exit 1; }
    scripts/cors-proxy.sh start
    # shellcheck disable=SC1091
    source .servers/cors.env
    trap 'scripts/cors-proxy.sh stop' RETURN
    # A copy of the site with the test notebook (the server's address filled in) among its files.
    rm -rf target/lite-test-src target/lite-test
    cp -r target/lite-src target/lite-test-src
    node tests/python/lite.test.mjs --write-notebook target/lite-test-src/files/pailfs-check.ipynb
    (cd target/lite-test-src && "$VENV/bin/jupyter" lite build --output-dir ../lite-test >/dev/null 2>../lite-build.log) \
        || { cat target/lite-build.log >&2; exit 1; }
    node tests/python/lite.test.mjs target/lite-test
}

cmd=${1:-}; shift || true
case "$cmd" in
    install) install ;;
    build) build ;;
    test) test_ ;;
    *) echo "usage: $0 install|build|test" >&2; exit 2 ;;
esac
