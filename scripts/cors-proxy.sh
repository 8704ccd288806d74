#!/usr/bin/env bash
# A CORS-answering reverse proxy (nginx) in front of s3s-fs, for the browser test: s3s-fs
# answers no preflight. The Host header is passed through unchanged, so the SigV4 signature the
# browser computed for the proxy's address still verifies at s3s-fs.
#   scripts/cors-proxy.sh install   apt-install nginx-light unless present
#   scripts/cors-proxy.sh start     needs PAILFS_S3S_ENDPOINT; writes .servers/cors.env
#   scripts/cors-proxy.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=$PWD/.servers
DIR=$STATE/nginx

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install() {
    if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then echo "[cors] nginx present" >&2; return; fi
    echo "[cors] installing nginx-light" >&2
    sudo_ apt-get update -qq
    DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq nginx-light >/dev/null
}

start() {
    : "${PAILFS_S3S_ENDPOINT:?source .servers/s3s.env first}"
    stop
    mkdir -p "$DIR/tmp"
    local port upstream=${PAILFS_S3S_ENDPOINT#http://}
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
            add_header Access-Control-Expose-Headers "ETag, Content-Range, Content-Length, Last-Modified, x-amz-request-id, x-amz-checksum-crc32c, x-amz-version-id" always;
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
    echo "export PAILFS_CORS_ENDPOINT=http://127.0.0.1:$port" >"$STATE/cors.env"
    echo "[cors] nginx on 127.0.0.1:$port -> $upstream" >&2
}

stop() {
    if [ -f "$DIR/nginx.pid" ]; then
        kill "$(cat "$DIR/nginx.pid")" 2>/dev/null || true
        rm -f "$DIR/nginx.pid" "$STATE/cors.env"
    fi
}

cmd=${1:-}; shift || true
case "$cmd" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
