#!/usr/bin/env bash
# `make demo`: the bucket explorer (www/) against a seeded local S3 server, in your browser.
# Installs what it needs (moto, the wasm toolchain, TypeScript in tests/js), starts moto on
# 127.0.0.1, seeds the bucket "demo", builds www/ and serves www/ + pkg/ on 127.0.0.1, then
# prints the URL to open. The page talks to moto straight from the browser (moto answers CORS);
# the demo server hands the page moto's local keys as /demo-profile.json (a real deployment
# serves no such file). Ctrl-C stops everything.
#   PAILFS_DEMO_PORT=8080 make demo   a fixed port (default: a free one)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
TOOLS=${PAILFS_TOOLS:-$HOME/.cache/pailfs}
BUCKET=demo
log() { echo "[demo] $*" >&2; }

scripts/servers.sh install moto
scripts/wasm.sh install
scripts/wasm.sh build
if [ ! -x tests/js/node_modules/.bin/tsc ]; then (cd tests/js && npm ci --no-audit --no-fund --silent); fi
log "building www/ (tsc -p www → www/dist)"
tests/js/node_modules/.bin/tsc -p www

server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    scripts/servers.sh stop moto || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
scripts/servers.sh start moto
# shellcheck disable=SC1091
source .servers/moto.env
E=$PAILFS_MOTO_ENDPOINT

if [ -f scripts/seed_demo.py ]; then
    py=python3
    for c in "$TOOLS/venv/bin/python" .tools/venv/bin/python; do if [ -x "$c" ]; then py=$c; break; fi; done
    log "seeding s3://$BUCKET with scripts/seed_demo.py"
    "$py" scripts/seed_demo.py --endpoint "$E" --key "$PAILFS_MOTO_KEY" --secret "$PAILFS_MOTO_SECRET" --bucket "$BUCKET"
else
    log "scripts/seed_demo.py not here: seeding a small tree with the pailfs CLI"
    cargo build --quiet --bin pailfs
    export AWS_ACCESS_KEY_ID=$PAILFS_MOTO_KEY AWS_SECRET_ACCESS_KEY=$PAILFS_MOTO_SECRET AWS_REGION=us-east-1 AWS_ENDPOINT_URL=$E
    P=target/debug/pailfs
    seed=$(mktemp -d)
    mkdir -p "$seed/reports/2026" "$seed/config" "$seed/images" "$seed/many"
    printf 'region,quarter,revenue\nnorth,Q1,1200.50\nsouth,Q1,980.00\n"east, coast",Q1,1534.25\n' >"$seed/reports/2026/q1.csv"
    printf '{"service":"explorer","replicas":3,"tags":["demo","local"],"limits":{"cpu":"500m","memory":"256Mi"}}' >"$seed/config/app.json"
    printf 'Welcome to the pailfs explorer demo.\nEverything here lives in a local moto server.\n' >"$seed/README.txt"
    python3 - "$seed/images/gradient.png" <<'PY'
import struct, sys, zlib
w, h = 64, 64
raw = b''.join(b'\0' + b''.join(bytes((x * 4, y * 4, 160)) for x in range(w)) for y in range(h))
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
open(sys.argv[1], 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
PY
    for i in $(seq -w 0 2499); do printf 'object %s\n' "$i" >"$seed/many/k$i.txt"; done
    $P mkdir "s3://$BUCKET"
    $P put -r "$seed/." "s3://$BUCKET"
    printf 'hostile key\n' | $P pipe "s3://$BUCKET/<img src=x onerror=alert(1)>"
    printf 'hostile key\n' | $P pipe "s3://$BUCKET/\"><script>alert(2)</script>.txt"
    rm -rf "$seed"
fi

# moto answers a browser's preflight on an existing private object with 403 unless a bucket
# policy allows s3:OptionsObject, and exposes no headers (ETag, Content-Range) without a CORS rule.
curl -sf -o /dev/null -X PUT "$E/$BUCKET?policy" -H 'content-type: application/json' \
    -d "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:OptionsObject\",\"Resource\":\"arn:aws:s3:::$BUCKET/*\"}]}"
rule='<AllowedOrigin>*</AllowedOrigin>'
for m in GET PUT POST DELETE HEAD; do rule+="<AllowedMethod>$m</AllowedMethod>"; done
rule+='<AllowedHeader>*</AllowedHeader><AllowedHeader>authorization</AllowedHeader>'
for h in ETag Content-Range Content-Length Last-Modified x-amz-checksum-crc32c x-amz-request-id x-amz-version-id; do rule+="<ExposeHeader>$h</ExposeHeader>"; done
curl -sf -o /dev/null -X PUT "$E/$BUCKET?cors" -H 'content-type: application/xml' \
    --data-binary "<CORSConfiguration><CORSRule>$rule<MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>"

# The JupyterLite site (make lite) with the demo notebook pointed at this server, served beside
# the explorer under /lite/.
lite_args=()
if scripts/pyodide.sh install && scripts/pyodide.sh build && scripts/lite.sh install \
    && LITE_S3_ENDPOINT=$E LITE_S3_KEY=$PAILFS_MOTO_KEY LITE_S3_SECRET=$PAILFS_MOTO_SECRET scripts/lite.sh build; then
    lite_args=(--lite target/lite)
else
    log "the JupyterLite site could not be built: serving the explorer alone"
fi

profile=.servers/demo-profile.json
printf '{"endpoint":"%s","region":"us-east-1","bucket":"%s","key":"%s","secret":"%s"}\n' \
    "$E" "$BUCKET" "$PAILFS_MOTO_KEY" "$PAILFS_MOTO_SECRET" >"$profile"

port=${PAILFS_DEMO_PORT:-0}
out=$(mktemp)
node www/serve.mjs --port "$port" --connect "$E" --profile "$profile" "${lite_args[@]}" >"$out" &
server_pid=$!
for _ in $(seq 1 50); do grep -q serving "$out" && break; sleep 0.1; done
url=$(sed -n 's/^serving //p' "$out")
rm -f "$out"
[ -n "$url" ] || { log "the static server did not start"; exit 1; }
echo >&2
log "moto (S3) on $E, bucket '$BUCKET' seeded"
log "open ${url}www/   (connects to the demo bucket by itself; pick memory:// after Disconnect to try it with nothing running)"
if [ ${#lite_args[@]} -gt 0 ]; then
    log "notebook: ${url}lite/lab/index.html?path=pailfs-demo.ipynb   (JupyterLite; pailfs reads and writes s3://$BUCKET from Python in the tab)"
fi
log "Ctrl-C stops the server and moto"
wait "$server_pid"
