#!/usr/bin/env bash
# Install, start and stop the local S3 servers the integration tests talk to, all on 127.0.0.1.
#   scripts/servers.sh install            install s3s-fs, moto and the aws CLI unless present
#   scripts/servers.sh start s3s|moto     start one; writes .servers/NAME.env (source it)
#   scripts/servers.sh stop [NAME...]     stop them (all when no name)
# Tools live outside the checkout ($PAILFS_TOOLS, default ~/.cache/pailfs; cargo's own bin dir
# for s3s-fs) so a second run on the same machine skips the installs.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=${PAILFS_TOOLS:-$HOME/.cache/pailfs}
STATE=.servers
S3S_VERSION=0.14.1    # 0.15+ needs rustc 1.96
MOTO_SPEC='moto[server]>=5.1,<6'
# For scripts/seed_demo.py (run with the moto venv's Python): a Parquet file and a JPEG.
# pyarrow and pillow for the demo's seeder; azure-storage-blob (Microsoft's client) sets Azurite's
# CORS rule for the explorer test, as a storage account's owner would.
SEED_SPECS=('pyarrow>=15' 'pillow>=10' 'azure-storage-blob>=12')
mkdir -p "$STATE" "$TOOLS"

log() { echo "[servers] $*" >&2; }

cargo_bin() { echo "${CARGO_HOME:-$HOME/.cargo}/bin"; }

install_s3s() {
    if cargo install --list 2>/dev/null | grep -q "^s3s-fs v$S3S_VERSION:"; then
        log "s3s-fs $S3S_VERSION present"
    else
        log "installing s3s-fs $S3S_VERSION (a few minutes)"
        cargo install "s3s-fs@$S3S_VERSION" --features binary --locked --quiet
    fi
}

install_moto() {
    if [ -x "$TOOLS/venv/bin/moto_server" ]; then
        log "moto present"
    else
        log "installing moto into $TOOLS/venv"
        python3 -m venv "$TOOLS/venv"
        "$TOOLS/venv/bin/pip" install -q --disable-pip-version-check "$MOTO_SPEC"
    fi
    if "$TOOLS/venv/bin/python" -c 'import pyarrow, PIL, azure.storage.blob' 2>/dev/null; then
        log "seeder packages present"
    else
        log "installing the seeder's packages (pyarrow, pillow, azure-storage-blob) into $TOOLS/venv"
        "$TOOLS/venv/bin/pip" install -q --disable-pip-version-check "${SEED_SPECS[@]}"
    fi
}

# The aws CLI (v1, from PyPI) for the CLI's interop test, pinned to the botocore moto already uses
# so the shared venv stays consistent.
install_awscli() {
    if [ -x "$TOOLS/venv/bin/aws" ]; then
        log "aws CLI present"
    else
        local botocore
        botocore=$("$TOOLS/venv/bin/python" -c 'import botocore; print(botocore.__version__)')
        log "installing the aws CLI (botocore $botocore) into $TOOLS/venv"
        "$TOOLS/venv/bin/pip" install -q --disable-pip-version-check awscli "botocore==$botocore"
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_http URL: until the server answers anything at all (any status code).
wait_http() {
    local url=$1 i
    for i in $(seq 1 150); do
        if curl -s -o /dev/null --max-time 2 "$url"; then return 0; fi
        sleep 0.2
    done
    log "server at $url did not come up"; return 1
}

start_s3s() {
    local port data
    port=$(free_port)
    data="$STATE/s3s-data"
    rm -rf "$data"; mkdir -p "$data"
    "$(cargo_bin)/s3s-fs" --host 127.0.0.1 --port "$port" \
        --access-key pailfs-test-key --secret-key pailfs-test-secret "$data" \
        >"$STATE/s3s.log" 2>&1 &
    echo $! >"$STATE/s3s.pid"
    wait_http "http://127.0.0.1:$port/"
    cat >"$STATE/s3s.env" <<EOV
export PAILFS_S3S_ENDPOINT=http://127.0.0.1:$port
export PAILFS_S3S_KEY=pailfs-test-key
export PAILFS_S3S_SECRET=pailfs-test-secret
EOV
    log "s3s-fs on 127.0.0.1:$port"
}

start_moto() {
    local port
    port=$(free_port)
    "$TOOLS/venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$STATE/moto.log" 2>&1 &
    echo $! >"$STATE/moto.pid"
    wait_http "http://127.0.0.1:$port/moto-api/"
    cat >"$STATE/moto.env" <<EOV
export PAILFS_MOTO_ENDPOINT=http://127.0.0.1:$port
export PAILFS_MOTO_KEY=testing
export PAILFS_MOTO_SECRET=testing
EOV
    log "moto on 127.0.0.1:$port"
}

stop_one() {
    local name=$1 pidf="$STATE/$1.pid"
    if [ -f "$pidf" ]; then
        kill "$(cat "$pidf")" 2>/dev/null || true
        rm -f "$pidf" "$STATE/$name.env"
    fi
}

cmd=${1:-}; shift || true
case "$cmd" in
    install)
        if [ $# -eq 0 ]; then set -- s3s moto awscli; fi
        for n in "$@"; do "install_$n"; done ;;
    start)
        for n in "$@"; do stop_one "$n"; "start_$n"; done ;;
    stop)
        if [ $# -eq 0 ]; then set -- s3s moto; fi
        for n in "$@"; do stop_one "$n"; done ;;
    *) echo "usage: $0 install|start|stop [s3s|moto]..." >&2; exit 2 ;;
esac
