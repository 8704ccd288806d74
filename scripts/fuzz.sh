#!/usr/bin/env bash
# Fuzzing with cargo-fuzz (libFuzzer; needs rustup's nightly toolchain).
#   scripts/fuzz.sh install          install the nightly toolchain and cargo-fuzz unless present
#   scripts/fuzz.sh smoke [SECONDS]  run every target for SECONDS (default 20) from its seed corpus
# The committed seed corpora (fuzz/corpus/<target>) are copied to a temporary folder first, so a
# smoke run never grows them. Any crash fails the run and leaves its input in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS="s3_responses xml location sigv4"

install() {
    if ! rustup toolchain list | grep -q '^nightly'; then
        echo "[fuzz] installing the nightly toolchain" >&2
        rustup toolchain install nightly --profile minimal
    fi
    if cargo fuzz --version >/dev/null 2>&1; then
        echo "[fuzz] cargo-fuzz present" >&2
    else
        echo "[fuzz] installing cargo-fuzz" >&2
        cargo install cargo-fuzz --locked
    fi
}

smoke() {
    local secs=${1:-20} work t log execs
    work=$(mktemp -d)
    trap 'rm -rf "$work"' RETURN
    for t in $TARGETS; do
        mkdir -p "$work/$t"
        cp fuzz/corpus/"$t"/* "$work/$t/"
        log="$work/$t.log"
        if ! (cd fuzz && cargo +nightly fuzz run "$t" "$work/$t" -- \
                -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1) >"$log" 2>&1; then
            tail -40 "$log" >&2
            echo "fuzz $t: CRASH (input saved under fuzz/artifacts/$t)" >&2
            return 1
        fi
        execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
        echo "fuzz $t: $execs executions in $secs s, no crash"
    done
}

cmd=${1:-smoke}; shift || true
case "$cmd" in
    install) install ;;
    smoke) smoke "$@" ;;
    *) echo "usage: $0 install|smoke [SECONDS]" >&2; exit 2 ;;
esac
