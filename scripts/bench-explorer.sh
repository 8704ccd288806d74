#!/usr/bin/env bash
# The explorer against a page that lists with the AWS SDK for JavaScript and renders every row,
# on one moto server in one run (benches/explorer/run.mjs; figures for BENCHMARKS.md).
#   scripts/bench-explorer.sh            100,000 keys (EXPLORER_BENCH_KEYS=N for another count)
# Installs what is missing: moto, the wasm toolchain, Chromium, the bench's npm packages
# (@aws-sdk/client-s3 and esbuild, pinned in benches/explorer/package-lock.json).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/servers.sh install moto
scripts/wasm.sh install
scripts/browser.sh install
scripts/wasm.sh build
tests/js/node_modules/.bin/tsc -p www
(cd benches/explorer && { [ -d node_modules/@aws-sdk/client-s3 ] || npm ci --no-audit --no-fund --silent; } &&
    node_modules/.bin/esbuild sdk.ts --bundle --format=esm --platform=browser --minify --outfile=dist/sdk.js --log-level=warning)
trap 'scripts/servers.sh stop moto || true' EXIT
scripts/servers.sh start moto
# shellcheck disable=SC1091
source .servers/moto.env
node benches/explorer/run.mjs
