#!/usr/bin/env bash
# make bench-e2e: pailfs vs object_store (vs s3fs on S3) on servers on 127.0.0.1 (BENCHMARKS.md):
# S3 on s3s-fs, GCS on fake-gcs-server, Azure on Azurite. Installs what it needs (s3s-fs, a venv
# with s3fs, the emulators), builds both Rust clients in release mode, starts each server, runs
# scripts/bench_e2e.py (settings: see its docstring), stops the server.
#   E2E_PROVIDERS [s3 gcs azure]  which columns to measure
# GCS and Azure are seeded through the API, so they take smaller defaults (E2E_CLOUD_KEYS [10000],
# E2E_CLOUD_BIG_MIB [256], E2E_CLOUD_SMALL [2000]). A quick smoke run:
#   E2E_KEYS=1000 E2E_BIG_MIB=64 E2E_SMALL=200 E2E_REPEAT=1 E2E_CLOUD_KEYS=1000 E2E_CLOUD_BIG_MIB=64 E2E_CLOUD_SMALL=200 scripts/bench-e2e.sh
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=${PAILFS_TOOLS:-$HOME/.cache/pailfs}
S3FS_SPEC='s3fs>=2024.3'
PROVIDERS=${E2E_PROVIDERS:-s3 gcs azure}

for p in $PROVIDERS; do
    case "$p" in
        s3)
            scripts/servers.sh install
            if "$TOOLS/s3fs-venv/bin/python" -c 'import s3fs' 2>/dev/null; then
                echo "[bench-e2e] s3fs present" >&2
            else
                echo "[bench-e2e] installing s3fs into $TOOLS/s3fs-venv" >&2
                python3 -m venv "$TOOLS/s3fs-venv"
                "$TOOLS/s3fs-venv/bin/pip" install -q --disable-pip-version-check "$S3FS_SPEC"
            fi ;;
        gcs) scripts/gcs.sh install fake ;;
        azure) scripts/azurite.sh install ;;
        *) echo "[bench-e2e] unknown provider $p (s3, gcs, azure)" >&2; exit 2 ;;
    esac
done
cargo build --release --quiet --example bench_e2e
(cd benches/e2e/object_store && cargo build --release --quiet --locked)
mkdir -p target/bench-e2e

cloud() {
    E2E_KEYS=${E2E_CLOUD_KEYS:-10000} E2E_BIG_MIB=${E2E_CLOUD_BIG_MIB:-256} E2E_SMALL=${E2E_CLOUD_SMALL:-2000} "$@"
}

for p in $PROVIDERS; do
    case "$p" in
        s3)
            scripts/servers.sh start s3s
            trap 'scripts/servers.sh stop s3s' EXIT
            # shellcheck disable=SC1091
            source .servers/s3s.env
            E2E_ENDPOINT=$PAILFS_S3S_ENDPOINT E2E_KEY=$PAILFS_S3S_KEY E2E_SECRET=$PAILFS_S3S_SECRET E2E_DATA_ROOT=.servers/s3s-data \
                python3 scripts/bench_e2e.py | tee target/bench-e2e/results.md
            scripts/servers.sh stop s3s; trap - EXIT ;;
        # fake-gcs-server: object_store lists and reads GCS through the XML API, which
        # storage-testbench lacks; it cannot write to either (see scripts/bench_e2e.py).
        gcs)
            scripts/gcs.sh start fake
            trap 'scripts/gcs.sh stop fake' EXIT
            # shellcheck disable=SC1091
            source .servers/fakegcs.env
            E2E_PROVIDER=gcs E2E_SERVER="GCS on fake-gcs-server" E2E_ENDPOINT=$PAILFS_FAKEGCS_ENDPOINT \
                cloud python3 scripts/bench_e2e.py | tee target/bench-e2e/results-gcs.md
            scripts/gcs.sh stop fake; trap - EXIT ;;
        azure)
            scripts/azurite.sh start
            trap 'scripts/azurite.sh stop' EXIT
            # shellcheck disable=SC1091
            source .servers/azurite.env
            E2E_PROVIDER=azure E2E_SERVER="Azure on Azurite" E2E_ENDPOINT=$PAILFS_AZURITE_BLOB \
                E2E_ACCOUNT=$PAILFS_AZURITE_ACCOUNT E2E_KEY=$PAILFS_AZURITE_KEY AZURITE_BLOB_STORAGE_URL=${PAILFS_AZURITE_BLOB%/*} \
                cloud python3 scripts/bench_e2e.py | tee target/bench-e2e/results-azure.md
            scripts/azurite.sh stop; trap - EXIT ;;
    esac
done
