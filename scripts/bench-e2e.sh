#!/usr/bin/env bash
# make bench-e2e: pailfs vs object_store vs s3fs against s3s-fs on 127.0.0.1 (BENCHMARKS.md).
# Installs what it needs (s3s-fs, a venv with s3fs), builds both Rust clients in release mode,
# starts s3s-fs, runs scripts/bench_e2e.py (settings: see its docstring), stops the server.
# A quick smoke run: E2E_KEYS=1000 E2E_BIG_MIB=64 E2E_SMALL=200 E2E_REPEAT=1 scripts/bench-e2e.sh
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=${PAILFS_TOOLS:-$HOME/.cache/pailfs}
S3FS_SPEC='s3fs>=2024.3'

scripts/servers.sh install
if "$TOOLS/s3fs-venv/bin/python" -c 'import s3fs' 2>/dev/null; then
    echo "[bench-e2e] s3fs present" >&2
else
    echo "[bench-e2e] installing s3fs into $TOOLS/s3fs-venv" >&2
    python3 -m venv "$TOOLS/s3fs-venv"
    "$TOOLS/s3fs-venv/bin/pip" install -q --disable-pip-version-check "$S3FS_SPEC"
fi
cargo build --release --quiet --example bench_e2e
(cd benches/e2e/object_store && cargo build --release --quiet --locked)

scripts/servers.sh start s3s
trap 'scripts/servers.sh stop s3s' EXIT
# shellcheck disable=SC1091
source .servers/s3s.env
mkdir -p target/bench-e2e
E2E_ENDPOINT=$PAILFS_S3S_ENDPOINT E2E_KEY=$PAILFS_S3S_KEY E2E_SECRET=$PAILFS_S3S_SECRET E2E_DATA_ROOT=.servers/s3s-data \
    python3 scripts/bench_e2e.py | tee target/bench-e2e/results.md
