#!/usr/bin/env bash
# Usage: interop/aws-clients/bench.sh [SECS] [THREADS...]   (from the repository root)
# The load figures of docs/BENCHMARKS.md: a release `coffer serve` on a fresh store (test KDF
# parameters; the passphrase matters only at start), then load.py for SECS seconds (default 15)
# at each client count (default 1 4 8). Needs the venv of setup.sh in target/aws-venv.
set -euo pipefail
secs=${1:-15}
shift || true
threads=${*:-1 4 8}
cargo build --release -q -p coffer-cli
bin=$PWD/target/release/coffer
py=$PWD/target/aws-venv/bin/python
load=$PWD/interop/aws-clients/load.py
dir=$(mktemp -d)
store=$dir/store
trap 'rm -rf "$dir"' EXIT
export COFFER_PASSPHRASE=bench COFFER_KDF_MEMORY_KIB=1024 COFFER_KDF_ITERATIONS=1
"$bin" --store "$store" init >/dev/null 2>&1
key=$("$bin" --store "$store" access-key create)
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['AccessKey']['$1'])" <<<"$key"; }
AWS_ACCESS_KEY_ID=$(field AccessKeyId)
AWS_SECRET_ACCESS_KEY=$(field SecretAccessKey)
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
"$bin" --store "$store" serve --bind 127.0.0.1:0 >"$dir/out" 2>"$dir/err" &
server=$!
for _ in $(seq 50); do [ -s "$dir/out" ] && break; sleep 0.1; done
COFFER_ENDPOINT=$(head -1 "$dir/out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Endpoint"])')
export COFFER_ENDPOINT
status=0
for t in $threads; do "$py" "$load" "$secs" "$t" || status=1; done
kill -TERM "$server"
wait "$server" || status=1
exit $status
