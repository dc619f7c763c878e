#!/usr/bin/env bash
# HTTP load with wrk (Debian's package) against `parley serve` as its own process, on a fresh SQLite file:
# single-message POSTs over 64 connections (bench/wrk/post-message.lua) and batch POSTs of 1,000 messages over 4
# connections (bench/wrk/post-batch.lua), after warm-ups (20 s: the JIT is still busy that long); then the library's own batch rate in the same
# run for comparison. Results go in docs/benchmarks.md.
#
#   bench/http-wrk.sh [seconds]      # default 30
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-30}"
command -v wrk >/dev/null || { echo "http-wrk: install wrk (apt-get install wrk)" >&2; exit 1; }
dotnet build src/Parley.Cli -c Release --nologo -v q -clp:ErrorsOnly >/dev/null
dotnet build bench/Parley.Bench -c Release --nologo -v q -clp:ErrorsOnly >/dev/null
dir="$(mktemp -d)"
port=5097
dotnet src/Parley.Cli/bin/Release/net10.0/Parley.Cli.dll serve --db "sqlite:$dir/parley.db" --urls "http://127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.5; done
for s in s{0..15} b{0..3}; do
  curl -sf -o /dev/null -X POST "http://127.0.0.1:$port/api/v1/sessions" -H 'Content-Type: application/json' -d "{\"id\": \"$s\"}"
done

echo "# Parley HTTP load with wrk, $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')"
wrk -t2 -c64 -d20s -s bench/wrk/post-message.lua "http://127.0.0.1:$port" >/dev/null
echo "## single-message POST /api/v1/sessions/{id}/messages, 64 connections, ${seconds} s"
wrk -t2 -c64 -d"${seconds}s" --latency -s bench/wrk/post-message.lua "http://127.0.0.1:$port" | grep -E "Requests/sec|50%|90%|99%|Non-2xx|Socket errors"
wrk -t1 -c4 -d5s -s bench/wrk/post-batch.lua "http://127.0.0.1:$port" >/dev/null
echo "## batch POST of 1,000 messages, 4 connections, ${seconds} s (messages/s = requests/s × 1,000)"
wrk -t1 -c4 -d"${seconds}s" --latency -s bench/wrk/post-batch.lua "http://127.0.0.1:$port" | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors"
kill $server; wait $server 2>/dev/null || true
echo "## the library's batch rate in the same run"
dotnet bench/Parley.Bench/bin/Release/net10.0/Parley.Bench.dll ingest 1 "Parley (a)" | grep "Parley (a)"
