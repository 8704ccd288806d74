#!/usr/bin/env bash
# Install, start and stop Azurite (the Azure Blob emulator) for the signing tests, on 127.0.0.1.
#   scripts/azurite.sh install   npm-install azurite into $PAILFS_TOOLS/azurite (default ~/.cache/pailfs) unless it is already there
#   scripts/azurite.sh start     start it (port 10000, or a free one if taken); writes
#                                .servers/azurite.env (source it) and .servers/azurite.pid
#   scripts/azurite.sh stop      stop the one started by `start`
#   scripts/azurite.sh status    print whether it is running
# Azurite checks SharedKey and SAS signatures for real, which is why the signing tests use it.
set -euo pipefail
cd "$(dirname "$0")/.."

# 3.35.0 is the last release that declares Node >= 10; 3.36+ want Node >= 21/22.
AZURITE_VERSION=3.35.0
PREFIX=${PAILFS_TOOLS:-$HOME/.cache/pailfs}/azurite
BIN="$PREFIX/node_modules/.bin/azurite-blob"
STATE=.servers
PIDF="$STATE/azurite.pid"
ENVF="$STATE/azurite.env"
LOG="$STATE/azurite.log"
# The emulator's well-known, public development account (documented by Microsoft and Azurite).
ACCOUNT=devstoreaccount1
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

log() { echo "[azurite] $*" >&2; }
die() { log "$*"; exit 1; }

need() {
    command -v "$1" >/dev/null 2>&1 && return 0
    log "$1 not found; installing nodejs and npm from Debian"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
    $sudo apt-get update -qq && $sudo apt-get install -y -qq nodejs npm >/dev/null || die "could not install $1"
}

installed_version() {
    local pj="$PREFIX/node_modules/azurite/package.json"
    [ -f "$pj" ] || return 0
    node -e 'process.stdout.write(require(process.argv[1]).version)' "$(cd "$(dirname "$pj")" && pwd)/package.json" 2>/dev/null || true
}

do_install() {
    need node; need npm
    if [ -x "$BIN" ] && [ "$(installed_version)" = "$AZURITE_VERSION" ]; then
        log "azurite $AZURITE_VERSION present in $PREFIX"
        return 0
    fi
    log "installing azurite $AZURITE_VERSION into $PREFIX (about a minute)"
    mkdir -p "$PREFIX"
    # No prompts, no audit/funding chatter; engine warnings are expected on some Node versions.
    npm install --prefix "$PREFIX" --no-audit --no-fund --loglevel=error --yes "azurite@$AZURITE_VERSION"
    [ -x "$BIN" ] || die "install finished but $BIN is missing"
}

# port_free PORT: exit status 0 when nothing listens on 127.0.0.1:PORT.
port_free() {
    node -e '
        const s = require("net").createServer();
        s.once("error", () => process.exit(1));
        s.listen(+process.argv[1], "127.0.0.1", () => s.close(() => process.exit(0)));
    ' "$1"
}

free_port() {
    node -e '
        const s = require("net").createServer();
        s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => console.log(p)); });
    '
}

# answers URL: exit status 0 when an HTTP server answers at URL with any status code.
answers() {
    node -e '
        const r = require("http").get(process.argv[1], res => { res.resume(); process.exit(0); });
        r.on("error", () => process.exit(1));
        r.setTimeout(2000, () => { r.destroy(); process.exit(1); });
    ' "$1"
}

# Our pid file may be stale after a reboot; only treat the pid as ours if it runs azurite.
our_pid() {
    [ -f "$PIDF" ] || return 1
    local pid
    pid=$(cat "$PIDF")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    if [ -r "/proc/$pid/cmdline" ] && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q azurite; then
        return 1
    fi
    echo "$pid"
}

do_stop() {
    local pid i
    if pid=$(our_pid); then
        kill "$pid" 2>/dev/null || true
        for i in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
        log "stopped (pid $pid)"
    fi
    rm -f "$PIDF" "$ENVF"
}

do_start() {
    need node
    [ -x "$BIN" ] || die "azurite is not installed; run: $0 install"
    mkdir -p "$STATE"
    do_stop
    local port=10000 pid i url
    if ! port_free "$port"; then port=$(free_port); fi
    # In-memory: nothing is written to disk and every start is clean (Azurite refuses
    # --location together with this). --skipApiVersionCheck: clients may send an x-ms-version
    # newer than this Azurite knows.
    "$BIN" --blobHost 127.0.0.1 --blobPort "$port" --inMemoryPersistence \
        --skipApiVersionCheck --disableTelemetry --silent </dev/null >"$LOG" 2>&1 &
    pid=$!
    echo "$pid" >"$PIDF"
    url="http://127.0.0.1:$port/$ACCOUNT?comp=list"
    for i in $(seq 1 150); do
        if answers "$url"; then break; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$LOG" >&2 || true
            rm -f "$PIDF"
            die "azurite exited during startup"
        fi
        sleep 0.2
    done
    answers "$url" || { do_stop; die "azurite did not answer on 127.0.0.1:$port within 30 s"; }
    cat >"$ENVF" <<EOV
export PAILFS_AZURITE_BLOB=http://127.0.0.1:$port/$ACCOUNT
export PAILFS_AZURITE_ACCOUNT=$ACCOUNT
export PAILFS_AZURITE_KEY='$KEY'
EOV
    log "azurite $AZURITE_VERSION on 127.0.0.1:$port (pid $pid); source $ENVF"
}

do_status() {
    local pid
    if pid=$(our_pid); then log "running (pid $pid)"; else log "not running"; return 1; fi
}

case "${1:-}" in
    install) do_install ;;
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
