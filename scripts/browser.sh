#!/usr/bin/env bash
# Headless Chromium for the browser test: Debian's chromium, driven by npm playwright-core
# (whose own browser download does not work here).
#   scripts/browser.sh install   apt-install chromium and nginx-light, npm-install tests/js, unless present
#   scripts/browser.sh test      start the CORS proxy in front of s3s-fs and run tests/js/browser.test.mjs
#                                (needs .servers/s3s.env sourced)
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install() {
    if [ -x /usr/bin/chromium ]; then
        echo "[browser] chromium present" >&2
    else
        echo "[browser] installing chromium" >&2
        sudo_ apt-get update -qq
        DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq chromium >/dev/null
    fi
    scripts/cors-proxy.sh install
    if [ -d tests/js/node_modules/playwright-core ] && [ -x tests/js/node_modules/.bin/tsc ]; then
        echo "[browser] playwright-core and typescript present" >&2
    else
        echo "[browser] installing playwright-core and typescript" >&2
        (cd tests/js && npm ci --no-audit --no-fund --silent)
    fi
}

run_test() {
    scripts/cors-proxy.sh start
    # shellcheck disable=SC1091
    source .servers/cors.env
    # (Set after `source`, which would fire a RETURN trap itself.)
    trap 'scripts/cors-proxy.sh stop' RETURN
    node tests/js/browser.test.mjs
}

cmd=${1:-}; shift || true
case "$cmd" in
    install) install ;;
    test) run_test ;;
    *) echo "usage: $0 install|test" >&2; exit 2 ;;
esac
