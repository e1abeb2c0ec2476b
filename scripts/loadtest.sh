#!/usr/bin/env bash
# make loadtest: load the demo city into its own database (hexcover_load),
# start the server on a loopback port, drive it for LOADTEST_DURATION
# (default 60s) with a bounded mix of tiles, gaps, siting and candidates, and
# report per route plus the server's memory (RSS) sampled every 5 s.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR="${LOADTEST_DURATION:-60s}"
CLIENTS="${LOADTEST_CLIENTS:-4}"
ADDR="127.0.0.1:${LOADTEST_PORT:-18080}"
BIN=bin/hexcover
url="$(scripts/db.sh hexcover_load)"
export DATABASE_URL="$url" HEXCOVER_ADDR="$ADDR"
$BIN migrate >/dev/null
$BIN demo --if-empty | grep -v '^  ' || true
token="$($BIN token create --name "loadtest-$(date +%s)" --role admin 2>/dev/null)"
$BIN serve 2>"${TMPDIR:-/tmp}/hexcover-loadtest-server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; $BIN token revoke "$(basename "$token")" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 100); do curl -fsS "http://$ADDR/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
rss() { awk '/VmRSS/ { print $2 }' "/proc/$pid/status"; }
peak() { awk '/VmHWM/ { print $2 }' "/proc/$pid/status"; }
( while kill -0 $pid 2>/dev/null; do echo "$(date +%s) $(rss)"; sleep 5; done ) >"${TMPDIR:-/tmp}/hexcover-loadtest-rss.txt" &
sampler=$!
set +e
$BIN loadtest --url "http://$ADDR" --token "$token" --duration "$DUR" --clients "$CLIENTS"
rc=$?
set -e
kill $sampler 2>/dev/null || true
echo "server memory (RSS, MiB) every 5 s: $(awk '{ printf "%.0f ", $2 / 1024 }' "${TMPDIR:-/tmp}/hexcover-loadtest-rss.txt")"
echo "server peak RSS: $(( $(peak) / 1024 )) MiB"
exit $rc
