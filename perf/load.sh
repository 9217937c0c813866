#!/usr/bin/env bash
# Requests/s and latency (p50, p99) under concurrent load on loopback, for a normal
# route and for the healthcheck path, through each variant of the benchmark app.
#
#   bash perf/load.sh [seconds per run, default 10] [runs, default 3] [variants...]
#
# Each cell is the run with the median requests/s out of `runs`.
# Load generator: wrk 4.1 (Debian: apt-get install wrk), 1 thread, 32 connections;
# the server runs one tokio worker; each is pinned to one of the two cores (taskset).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
runs=${2:-3}
shift $(( $# < 2 ? $# : 2 ))
variants=${*:-bare attribute layer checks handwritten}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release -q -p kamal-healthcheck-perf --bin serve
port=38517

echo "| variant | request | requests/s | p50 | p99 |"
echo "|---|---|---:|---:|---:|"
for variant in $variants; do
  taskset -c 0 "${CARGO_TARGET_DIR:-target}/release/serve" "$variant" "$port" &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  for _ in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
    sleep 0.1
  done
  for request in "normal /users/42 example.com" "healthcheck /up 7c7168a662c1:80"; do
    read -r kind path host <<<"$request"
    rows=()
    for _ in $(seq "$runs"); do
      out=$(taskset -c 1 wrk -t1 -c32 -d"${seconds}s" --latency -H "Host: $host" -H "User-Agent: kamal-proxy" \
        "http://127.0.0.1:$port$path")
      rps=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
      p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
      p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
      non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
      rows+=("$rps | $p50 | $p99 |${non2xx:+ non-2xx: $non2xx}")
    done
    median=$(printf '%s\n' "${rows[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
    echo "| $variant | $kind | $median"
  done
  kill "$server"
  wait "$server" 2>/dev/null || true
done
