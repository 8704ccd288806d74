#!/usr/bin/env bash
# `make demo`: start a seeded local S3 server (s3s-fs, which checks every SigV4 signature) on
# 127.0.0.1 and drive it through the pailfs CLI: list, cat, put, glob, presign. Installs what
# it needs (s3s-fs via cargo) and stops the server on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

say() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; }
run() { say "$*"; "$@"; }

scripts/servers.sh install s3s
echo "[demo] building the pailfs CLI" >&2
cargo build --quiet --bin pailfs
PAILFS=target/debug/pailfs

trap 'scripts/servers.sh stop s3s' EXIT
scripts/servers.sh start s3s
# shellcheck disable=SC1091
source .servers/s3s.env
export AWS_ACCESS_KEY_ID=$PAILFS_S3S_KEY AWS_SECRET_ACCESS_KEY=$PAILFS_S3S_SECRET AWS_REGION=us-east-1
export AWS_ENDPOINT_URL=$PAILFS_S3S_ENDPOINT
echo "[demo] s3s-fs is at $AWS_ENDPOINT_URL; pailfs reads the endpoint and keys from AWS_* variables" >&2

# Seed: a small tree, including keys that trip naive clients.
seed=$(mktemp -d)
trap 'scripts/servers.sh stop s3s; rm -rf "$seed"' EXIT
mkdir -p "$seed/reports/2026" "$seed/images"
printf 'id,value\n1,42\n2,17\n' >"$seed/reports/2026/q1.csv"
printf 'id,value\n1,7\n' >"$seed/reports/2026/q2 final.csv"
printf 'hello from pailfs\n' >"$seed/README.txt"
head -c 9000000 /dev/urandom >"$seed/images/big.bin"   # > 8 MiB part size: uploaded as multipart

run $PAILFS mkdir s3://demo-bucket
run $PAILFS put -r "$seed" s3://demo-bucket/data
run $PAILFS ls s3://
run $PAILFS ls -l s3://demo-bucket/data
run $PAILFS ls -R s3://demo-bucket
run $PAILFS cat s3://demo-bucket/data/README.txt
run $PAILFS cat "s3://demo-bucket/data/reports/2026/q2 final.csv"
run $PAILFS cat --start -4 s3://demo-bucket/data/reports/2026/q1.csv
say "echo 'piped in' | $PAILFS pipe 's3://demo-bucket/🇦🇺/\$shenanigans@@~.txt'"
echo 'piped in' | $PAILFS pipe 's3://demo-bucket/🇦🇺/$shenanigans@@~.txt'
run $PAILFS cat 's3://demo-bucket/🇦🇺/$shenanigans@@~.txt'
run $PAILFS glob 's3://demo-bucket/**/*.csv'
run $PAILFS du s3://demo-bucket
run $PAILFS info s3://demo-bucket/data/images/big.bin
run $PAILFS cp -r s3://demo-bucket/data/reports s3://demo-bucket/backup
run $PAILFS rm -r s3://demo-bucket/data/reports
run $PAILFS ls s3://demo-bucket
say "$PAILFS sign s3://demo-bucket/data/README.txt --expires 60 | xargs curl -s   # no credentials needed"
url=$($PAILFS sign s3://demo-bucket/data/README.txt --expires 60)
curl -sf "$url"
say "AWS_SECRET_ACCESS_KEY=wrong $PAILFS ls s3://   # s3s-fs checks signatures"
AWS_SECRET_ACCESS_KEY=wrong $PAILFS ls s3:// || echo "(refused, as it should be: exit $?)" >&2
echo "[demo] done" >&2
