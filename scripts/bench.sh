#!/usr/bin/env bash
# make bench: every speed of hexcover, each as a ratio to a reference measured
# in the same run (the machines are shared and noisy; medians of COUNT runs).
#
#   COUNT=5 scripts/bench.sh            (BENCH_RIDERS / BENCH_DAYS size the import run)
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT="${COUNT:-5}"
RIDERS="${BENCH_RIDERS:-2000}"
DAYS="${BENCH_DAYS:-2}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

# median of column "metric" (e.g. ns/op, pings/s) of benchmark NAME in FILE
median() { # file name metric
	awk -v n="$2" -v m="$3" '$1 ~ "^"n"(-[0-9]+)?$" { for (i = 2; i < NF; i++) if ($(i+1) == m) print $i }' "$1" |
		sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "NaN"; exit } if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2] + v[NR/2+1]) / 2 }'
}
bench() { # pkg regexp file [benchtime]
	go test -run '^$' -bench "$2" -benchtime "${4:-1s}" -count "$COUNT" "$1" | tee -a "$OUT/all.txt" >"$3"
}

echo "== H3 floor and in-memory aggregation (median of $COUNT)"
bench ./geo 'BenchmarkLatLngToCellRaw$' "$OUT/h3.txt"
bench ./internal/activity 'Benchmark(Aggregate|AggregateParallel)$' "$OUT/agg.txt"
bench ./internal/ingest 'BenchmarkReadPingsCSV$' "$OUT/read.txt"
bench ./internal/store 'BenchmarkCopyRowArrays' "$OUT/copy.txt"
h3ns=$(median "$OUT/h3.txt" BenchmarkLatLngToCellRaw ns/op)
h3rate=$(awk -v ns="$h3ns" 'BEGIN { printf "%.0f", 1e9 / ns }')
agg1=$(median "$OUT/agg.txt" BenchmarkAggregate pings/s)
agg2=$(median "$OUT/agg.txt" BenchmarkAggregateParallel pings/s)
readr=$(median "$OUT/read.txt" BenchmarkReadPingsCSV rows/s)

echo "== end-to-end import: demo pings CSV ($RIDERS riders, $DAYS days) → aggregates committed in PostGIS"
go build -o "$OUT/hexcover" ./cmd/hexcover
"$OUT/hexcover" demo --out "$OUT/small" --riders "$RIDERS" --days 1 >/dev/null 2>&1
"$OUT/hexcover" demo --out "$OUT/big" --riders "$RIDERS" --days "$DAYS" >/dev/null 2>&1
admin="${HEXCOVER_TEST_DATABASE_URL:-${DATABASE_URL:-postgres:///postgres?host=/var/run/postgresql}}"
import_run() { # dir → "rows seconds maxrss_kb"
	local db="hexcover_bench_$$_$RANDOM"
	psql "$admin" -XAtqc "create database $db" >/dev/null
	local url="${admin%%\?*}"; url="${url%/*}/$db"; [[ "$admin" == *\?* ]] && url="$url?${admin#*\?}"
	DATABASE_URL="$url" "$OUT/hexcover" migrate >/dev/null
	local t0 t1
	t0=$(date +%s.%N)
	DATABASE_URL="$url" HEXCOVER_SECRET=bench-secret-5e1b9c0d7a3f28e46c9a /usr/bin/time -f '%M' -o "$OUT/rss" \
		"$OUT/hexcover" ingest pings "$1/pings.csv" --json >"$OUT/sum.json" 2>/dev/null
	t1=$(date +%s.%N)
	psql "$admin" -XAtqc "drop database $db with (force)" >/dev/null
	local rows
	rows=$(grep -o '"rows_ok": [0-9]*' "$OUT/sum.json" | awk '{ print $2 }')
	echo "$rows $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') $(cat "$OUT/rss")"
}
read -r srows ssec srss < <(import_run "$OUT/small")
read -r brows bsec brss < <(import_run "$OUT/big")
e2e=$(awk -v r="$brows" -v s="$bsec" 'BEGIN { printf "%.0f", r / s }')

echo "== import in-process (go test, fresh database, 500k pings)"
bench ./internal/ingest 'BenchmarkImportPings$' "$OUT/imp.txt" 1x

echo "== analyses"
bench ./internal/siting 'Benchmark(SolveCity|ServiceDemo)' "$OUT/siting.txt" 3x
bench ./internal/gridassign 'Benchmark(SolveCity|SolveDistrict|AssignDemoCity)$' "$OUT/assign.txt" 1x

echo "== tiles (demo city, 616 activity tiles z11-16; reference = one ST_AsMVT query per tile)"
bench ./internal/tiles 'BenchmarkActivityTiles/(summary|z13-2clients)' "$OUT/tiles.txt" 1x

echo "== basemap tiles beside activity tiles; network catchments of every demo site (pgRouting)"
bench ./internal/tiles 'BenchmarkBasemapTiles$' "$OUT/basemap.txt" 1x
bench ./internal/coverage 'BenchmarkCatchmentsDemo$' "$OUT/catch.txt" 1x

echo "== published release (issue 12): the default demo city (1000 riders, 7 days) imported, then released under 3 noise keys"
go test -v -run '^$' -bench 'BenchmarkReleaseDemo$' -benchtime 1x -count 1 -timeout 30m ./internal/release | tee -a "$OUT/all.txt" >"$OUT/release.txt"

echo
echo "== summary (medians of $COUNT runs; ratios against references measured in this run)"
awk -v h="$h3rate" -v a1="$agg1" -v a2="$agg2" -v rd="$readr" -v e="$e2e" -v sr="$srows" -v br="$brows" -v sm="$srss" -v bm="$brss" 'BEGIN {
	printf "raw h3.LatLngToCell (1 core)            %12.0f calls/s   (reference)\n", h
	printf "CSV read + validate + pseudonymize       %12.0f rows/s    %.2fx h3\n", rd, rd / h
	printf "in-memory aggregation, 1 aggregator      %12.0f pings/s   %.2fx h3\n", a1, a1 / h
	printf "in-memory aggregation, 2 workers + H3    %12.0f pings/s   %.2fx h3\n", a2, a2 / h
	printf "end-to-end import (file → PostGIS)       %12.0f pings/s   %.2fx h3\n", e, e / h
	printf "peak memory of the import: %d pings → %.0f MiB, %d pings → %.0f MiB\n", sr, sm / 1024, br, bm / 1024
}'
copyb=$(median "$OUT/copy.txt" BenchmarkCopyRowArrays/copyRow MB/s)
copyp=$(median "$OUT/copy.txt" BenchmarkCopyRowArrays/pgx MB/s)
printf "COPY array encoding (store.copyBinary)   %12.0f MB/s      %.1fx pgx's encoding of the same arrays (%.0f MB/s)\n" "$copyb" \
	"$(awk -v a="$copyb" -v b="$copyp" 'BEGIN { print a / b }')" "$copyp"
printf "end-to-end import in-process (500k)      %12.0f pings/s   %.2fx h3\n" "$(median "$OUT/imp.txt" BenchmarkImportPings pings/s)" \
	"$(awk -v v="$(median "$OUT/imp.txt" BenchmarkImportPings pings/s)" -v h="$h3rate" 'BEGIN { print v / h }')"
for n in 'BenchmarkSolveCity/K=10' 'BenchmarkSolveCity/K=50'; do
	printf "siting city-scale %-22s %10.1f ms   coverage/upper bound %s\n" "$n" "$(awk -v v="$(median "$OUT/siting.txt" "$n" ns/op)" 'BEGIN { print v / 1e6 }')" "$(median "$OUT/siting.txt" "$n" cover/bound)"
done
grep -E '^BenchmarkServiceDemo' "$OUT/siting.txt" | awk '{ printf "siting demo city %-38s %10.1f ms\n", $1, $3 / 1e6 }' || true
for n in BenchmarkSolveCity BenchmarkSolveDistrict; do
	printf "gridassign %-24s %10.1f ms\n" "$n" "$(awk -v v="$(median "$OUT/assign.txt" "$n" ns/op)" 'BEGIN { print v / 1e6 }')"
done
grep -E '^BenchmarkAssignDemoCity' "$OUT/assign.txt" | awk '{ printf "gridassign demo city %-34s %10.1f ms\n", $1, $3 / 1e6 }' || true
grep -E 'bench_test.go:[0-9]+: (cold|z13)' "$OUT/tiles.txt" | sed 's/^ *bench_test.go:[0-9]*: /tiles: /' || true
printf "basemap tiles z11-16 (PostGIS ST_AsMVT)  %12.0f tiles/s   %.2fx activity tiles (same run, no cache)\n" \
	"$(median "$OUT/basemap.txt" BenchmarkBasemapTiles basemap-tiles/s)" "$(median "$OUT/basemap.txt" BenchmarkBasemapTiles basemap/activity-ratio)"
cold=$(median "$OUT/catch.txt" BenchmarkCatchmentsDemo network-cold-ms)
radius=$(median "$OUT/catch.txt" BenchmarkCatchmentsDemo radius-ms)
printf "network catchments, %.0f demo sites       %12.0f ms        %.1fx the radius analysis (cached: %.0f ms)\n" \
	"$(median "$OUT/catch.txt" BenchmarkCatchmentsDemo sites)" "$cold" "$(awk -v c="$cold" -v r="$radius" 'BEGIN { print c / r }')" \
	"$(median "$OUT/catch.txt" BenchmarkCatchmentsDemo network-cached-ms)"
rel() { median "$OUT/release.txt" BenchmarkReleaseDemo "$1"; }
printf "release of the demo city (7 days)        %12.1f s         %.2fx its import (%.1f s), %.1fx reading its pings back (medians of 3 builds)\n" \
	"$(rel release-s)" "$(rel release/import)" "$(rel import-s)" "$(rel release/read-pings)"
printf "release utility (means over 3 noise keys): riders of res-9 cells >= 100 riders %.1f%% median error (target <= 10%%); top-10 gap zones overlap %.2f (centre served %.2f); k=5 siting overlap %.2f (targets >= 0.8), its picks cover %.2f points less of the exact demand\n" \
	"$(rel err100-%)" "$(rel gap-overlap)" "$(rel gap-centre)" "$(rel site-overlap)" "$(rel site-loss-pts)"
grep -E 'view all +riders per res-9 cell' "$OUT/release.txt" | head -1 | sed 's/^ *utility_test.go:[0-9]*: view all  */release error curve (whole week): /' || true
