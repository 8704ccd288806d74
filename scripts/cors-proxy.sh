#!/usr/bin/env bash
# A CORS-answering reverse proxy (nginx) in front of a server that answers no preflight, for
# the browser tests: s3s-fs, and Google's storage-testbench. The Host header is passed through
# unchanged, so the SigV4 signature the browser computed for the proxy's address still verifies
# at s3s-fs, and the testbench writes the proxy's address into resumable session URLs.
#   scripts/cors-proxy.sh install             apt-install nginx-light unless present
#   scripts/cors-proxy.sh start               in front of $PAILFS_S3S_ENDPOINT; writes .servers/cors.env
#                                             (PAILFS_CORS_ENDPOINT)
#   scripts/cors-proxy.sh start NAME URL      in front of URL; writes .servers/cors-NAME.env
#                                             (PAILFS_CORS_<NAME>_ENDPOINT)
#   scripts/cors-proxy.sh stop [NAME]
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=$PWD/.servers
NAME=
DIR=$STATE/nginx
ENVF=$STATE/cors.env

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install() {
    if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then echo "[cors] nginx present" >&2; return; fi
    echo "[cors] installing nginx-light" >&2
    sudo_ apt-get update -qq
    DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq nginx-light >/dev/null
}

start() {
    local url=${1:-${PAILFS_S3S_ENDPOINT:-}}
    [ -n "$url" ] || { echo "[cors] source .servers/s3s.env first, or name an upstream URL" >&2; exit 2; }
    stop
    mkdir -p "$DIR/tmp"
    local port upstream=${url#http://}
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cat >"$DIR/nginx.conf" <<EOC
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/error.log;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $DIR/tmp/body;
    proxy_temp_path $DIR/tmp/proxy;
    fastcgi_temp_path $DIR/tmp/fastcgi;
    uwsgi_temp_path $DIR/tmp/uwsgi;
    scgi_temp_path $DIR/tmp/scgi;
    client_max_body_size 0;
    server {
        listen 127.0.0.1:$port;
        location / {
            if (\$request_method = OPTIONS) {
                add_header Access-Control-Allow-Origin "*";
                add_header Access-Control-Allow-Methods "GET, HEAD, PUT, POST, DELETE";
                # A wildcard would not cover Authorization: echo what the browser asks for.
                add_header Access-Control-Allow-Headers \$http_access_control_request_headers;
                add_header Access-Control-Max-Age 600;
                return 204;
            }
            add_header Access-Control-Allow-Origin "*" always;
            # Without ETag exposed, multipart completion cannot work in a browser.
            # GCS: the session URI of a resumable upload (Location), its committed Range, the
            # object's hashes and generation.
            add_header Access-Control-Expose-Headers "ETag, Content-Range, Content-Length, Last-Modified, x-amz-request-id, x-amz-checksum-crc32c, x-amz-version-id, Location, Range, x-goog-hash, x-goog-generation, x-goog-metageneration, x-goog-stored-content-length, x-guploader-uploadid" always;
            proxy_pass http://$upstream;
            proxy_set_header Host \$http_host;
            proxy_http_version 1.1;
            proxy_request_buffering off;
            proxy_buffering off;
        }
    }
}
EOC
    /usr/sbin/nginx -c "$DIR/nginx.conf" -e "$DIR/error.log"
    if [ -n "$NAME" ]; then
        echo "export PAILFS_CORS_$(echo "$NAME" | tr '[:lower:]-' '[:upper:]_')_ENDPOINT=http://127.0.0.1:$port" >"$ENVF"
    else
        echo "export PAILFS_CORS_ENDPOINT=http://127.0.0.1:$port" >"$ENVF"
    fi
    echo "[cors] nginx on 127.0.0.1:$port -> $upstream" >&2
}

stop() {
    if [ -f "$DIR/nginx.pid" ]; then
        kill "$(cat "$DIR/nginx.pid")" 2>/dev/null || true
        rm -f "$DIR/nginx.pid" "$ENVF"
    fi
}

cmd=${1:-}; shift || true
case "$cmd" in
    install) install ;;
    start) if [ $# -ge 2 ]; then NAME=$1; DIR=$STATE/nginx-$NAME; ENVF=$STATE/cors-$NAME.env; start "$2"; else start; fi ;;
    stop) if [ $# -ge 1 ]; then NAME=$1; DIR=$STATE/nginx-$NAME; ENVF=$STATE/cors-$NAME.env; fi; stop ;;
    *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
