#!/usr/bin/env bash
# Usage: bash benches/serve/run.sh            (from anywhere in a clone; needs cargo, Python 3.11+)
# The serve figures of docs/BENCHMARKS.md: wrk replays pre-signed AWS KMS requests (Encrypt of
# 32 bytes, Decrypt of such a blob, GenerateDataKey AES_256) against a release `coffer serve`
# (soft backend, directory store, test KDF parameters) and against moto's server, in the same
# run, at 1 and 16 connections each, and prints requests/s and p50/p99 latency per cell.
#
# Settings (environment):
#   DURATION=5                seconds of load per cell (at most 120: requests are signed once
#                             per operation and server, and must stay within the 5-minute skew)
#   CONNECTIONS="1 16"        connection counts
#   OPERATIONS="encrypt decrypt generate-data-key"
#   SIGNED=1000               pre-signed requests per operation (replayed in turn)
#   PEER=moto                 PEER=none runs Coffer alone
#   SERVE_ARGS=               more arguments for `coffer serve`
#
# Installs wrk (Debian's package) if it is missing, and moto's server in a venv under
# target/moto-venv (pins in moto-requirements.txt). The store and the servers' logs live in a
# temporary directory under target/ (on the repository's disk, so fsyncs cost what they cost
# there; not /tmp, which may be memory). The table is also written to target/serve-bench.md.
# Not part of CI: it takes about DURATION x 12 seconds plus the build.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

duration=${DURATION:-5}
connections=${CONNECTIONS:-1 16}
operations=${OPERATIONS:-encrypt decrypt generate-data-key}
signed=${SIGNED:-1000}
peer=${PEER:-moto}
if [ "$duration" -gt 120 ]; then
  echo "DURATION=$duration: at most 120 (signed requests expire after 5 minutes)" >&2
  exit 2
fi

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (Debian package)" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q wrk >&2
fi

echo "building coffer (release)" >&2
cargo build --release -q -p coffer-cli
coffer=$root/target/release/coffer

moto_server=""
if [ "$peer" = moto ]; then
  echo "preparing moto's server in target/moto-venv" >&2
  moto_py=$(bash "$root/interop/venv.sh" "$root/target/moto-venv" "$here/moto-requirements.txt")
  moto_server=$(dirname "$moto_py")/moto_server
fi

work=$(mktemp -d "$root/target/serve-bench.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for_port() {
  python3 - "$1" <<'EOF'
import socket, sys, time
for _ in range(300):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("nothing listens on port " + sys.argv[1])
EOF
}

# --- Coffer: a fresh store, an access key, the server on a free port.
export COFFER_PASSPHRASE=bench COFFER_KDF_MEMORY_KIB=1024 COFFER_KDF_ITERATIONS=1
store=$work/store
"$coffer" --store "$store" init >/dev/null
access_key=$("$coffer" --store "$store" access-key create)
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['AccessKey']['$1'])" <<<"$access_key"; }
coffer_id=$(field AccessKeyId)
coffer_secret=$(field SecretAccessKey)
# shellcheck disable=SC2086
"$coffer" --store "$store" serve --bind 127.0.0.1:0 ${SERVE_ARGS:-} >"$work/coffer.out" 2>"$work/coffer.err" &
coffer_pid=$!
pids+=("$coffer_pid")
for _ in $(seq 100); do [ -s "$work/coffer.out" ] && break; sleep 0.1; done
coffer_endpoint=$(head -1 "$work/coffer.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Endpoint"])')

servers=(coffer)
declare -A endpoint id secret
endpoint[coffer]=$coffer_endpoint
id[coffer]=$coffer_id
secret[coffer]=$coffer_secret

# --- moto: its server on a free port; it reads the region and service from the signature's
# scope and checks no signature, but gets the same requests, signed the same way.
if [ -n "$moto_server" ]; then
  moto_port=$(free_port)
  "$moto_server" -H 127.0.0.1 -p "$moto_port" >"$work/moto.out" 2>"$work/moto.err" &
  pids+=($!)
  wait_for_port "$moto_port"
  servers+=(moto)
  endpoint[moto]=http://127.0.0.1:$moto_port
  id[moto]=AKIAIOSFODNN7EXAMPLE
  secret[moto]=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
fi

with_credentials() {
  local server=$1
  shift
  AWS_ACCESS_KEY_ID=${id[$server]} AWS_SECRET_ACCESS_KEY=${secret[$server]} AWS_DEFAULT_REGION=us-east-1 "$@"
}

for server in "${servers[@]}"; do
  with_credentials "$server" python3 "$here/presign.py" prepare "${endpoint[$server]}" "$work/$server.state"
done

echo "machine: $(nproc) cores; load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# What one audit event's fsync costs on this disk now (the store's directory, 200 appends).
python3 - "$work/fsync-probe" <<'EOF_PROBE' >&2
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
times = []
for _ in range(200):
    start = time.perf_counter()
    os.write(fd, b"x" * 200 + b"\n")
    os.fsync(fd)
    times.append(time.perf_counter() - start)
os.close(fd)
times.sort()
print(f"disk: append + fsync p50 {times[100] * 1e3:.2f} ms, p99 {times[198] * 1e3:.2f} ms")
EOF_PROBE
declare -A result
failed=0
for op in $operations; do
  for server in "${servers[@]}"; do
    requests=$work/$server-$op.req
    with_credentials "$server" python3 "$here/presign.py" sign "${endpoint[$server]}" "$work/$server.state" "$op" \
      "$signed" "$requests"
    for c in $connections; do
      threads=$((c < 2 ? c : 2))
      log=$work/wrk-$server-$op-$c.log
      wrk -t "$threads" -c "$c" -d "${duration}s" --timeout 5s -s "$here/replay.lua" "${endpoint[$server]}" \
        -- "$requests" >"$log"
      # RESULT requests duration_us p50_us p99_us max_us connect read write status timeout
      read -r _ n us p50 p99 max e1 e2 e3 e4 e5 < <(grep '^RESULT' "$log")
      errors=$((e1 + e2 + e3 + e4 + e5))
      if [ "$errors" -ne 0 ]; then
        echo "$server $op at $c connections: $errors errors (connect $e1, read $e2, write $e3, status >= 400 $e4, timeout $e5)" >&2
        failed=1
      fi
      result[$server,$op,$c]=$(awk -v n="$n" -v us="$us" -v p50="$p50" -v p99="$p99" -v max="$max" -v e="$errors" \
        'BEGIN { printf "%.0f %.2f %.2f %.2f %d", n / (us / 1e6), p50 / 1000, p99 / 1000, max / 1000, e }')
      read -r rps l50 l99 _ _ <<<"${result[$server,$op,$c]}"
      echo "$server $op c=$c: $rps req/s, p50 $l50 ms, p99 $l99 ms, errors $errors" >&2
    done
  done
done
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

kill -TERM "$coffer_pid"
wait "$coffer_pid" || failed=1
# The server's own counts: every request it answered, and how many of them were errors.
counts=$(tail -n +2 "$work/coffer.out" | python3 -c 'import json,sys; c = json.load(sys.stdin); print(c["Requests"], c["Errors"])') ||
  counts="? ?"
echo "coffer serve at shutdown: ${counts% *} requests, ${counts#* } errors" >&2
if [ "${counts#* }" != 0 ]; then failed=1; fi

table=$root/target/serve-bench.md
{
  if [ -n "$moto_server" ]; then
    echo "| operation | connections | Coffer req/s | p50 | p99 | max | moto req/s | p50 | p99 | Coffer / moto |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  else
    echo "| operation | connections | Coffer req/s | p50 | p99 | max |"
    echo "|---|---:|---:|---:|---:|---:|"
  fi
  for op in $operations; do
    for c in $connections; do
      read -r rps l50 l99 lmax _ <<<"${result[coffer,$op,$c]}"
      line="| $op | $c | $rps | $l50 ms | $l99 ms | $lmax ms |"
      if [ -n "$moto_server" ]; then
        read -r mrps m50 m99 _ _ <<<"${result[moto,$op,$c]}"
        ratio=$(awk -v a="$rps" -v b="$mrps" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else printf "-" }')
        line="$line $mrps | $m50 ms | $m99 ms | $ratio |"
      fi
      echo "$line"
    done
  done
} | tee "$table"
exit $failed
