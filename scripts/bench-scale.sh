#!/usr/bin/env bash
# make bench-scale: the district at scale (issue 14). Generates the
# district-day (SCALE_RIDERS=35000 riders, one day, a ping every
# SCALE_PING_INTERVAL=30s: ~36M pings, the issue's figure) and imports it
# into its own database, then days 2 and 8 of the month (the same riders'
# day moved by 1 and 7 days, so day 8 merges into day 1's hour-of-week rows as
# a month does), and prints every figure beside an in-run reference:
#   import: wall time until the new data is served, pings/s, peak RSS; the
#           reference is the raw H3 rate (geo's LatLngToCell benchmark);
#   database: growth per day, raw bytes a ping, and 30 days extrapolated;
#   tiles (398 at z12–16 around the centre, each fetched once by
#           SCALE_CLIENTS=4 concurrent clients of `hexcover loadtest --paths`;
#           cold = a fresh server after the import) unfiltered, hours=lunch
#           (admin and leader) and an hour list that is no view (admin); the
#           reference is a hand-written PostGIS ST_AsMVT query of the same
#           tiles (psql, one connection, same data);
#   API (cold, admin): /api/summary, /api/coverage/hours, /api/gaps, siting;
#           the reference is a hand-written PostGIS query of the same summary.
# It is bounded: every step has a timeout (SCALE_STEP_TIMEOUT, default 1800 s)
# and the run ends by itself; on an idle 2-core machine it takes ~7 min, on a
# loaded one up to an hour. Needs ~12 GB free in $TMPDIR for the three files.
set -euo pipefail
cd "$(dirname "$0")/.."
RIDERS="${SCALE_RIDERS:-35000}"
# The issue's district-day: a ping every 30 s (the platforms' rate), ~36 M pings.
INTERVAL="${SCALE_PING_INTERVAL:-30s}"
CLIENTS="${SCALE_CLIENTS:-4}"
STEP="${SCALE_STEP_TIMEOUT:-1800}"
ADDR="127.0.0.1:${SCALE_PORT:-18090}"
OUT="$(mktemp -d)"
DB="hexcover_scale_$$"
admin="${HEXCOVER_TEST_DATABASE_URL:-${DATABASE_URL:-postgres:///postgres?host=/var/run/postgresql}}"
url="${admin%%\?*}"; url="${url%/*}/$DB"; [[ "$admin" == *\?* ]] && url="$url?${admin#*\?}"
export DATABASE_URL="$url" HEXCOVER_SECRET="bench-scale-secret-7f3a9c2e1b5d8046" HEXCOVER_ADDR="$ADDR"
BIN="$OUT/hexcover"
pid=""
cleanup() {
	[[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	psql "$admin" -XAtqc "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
	rm -rf "$OUT"
}
trap cleanup EXIT
t() { timeout "$STEP" "$@"; }
now() { date +%s.%N; }
sql() { psql "$url" -XAtqc "$1"; }

go build -o "$BIN" ./cmd/hexcover
echo "== reference: raw H3 (geo BenchmarkLatLngToCellRaw, one core)"
h3ns=$(go test -run '^$' -bench 'BenchmarkLatLngToCellRaw$' -count 3 ./geo | awk '/ns\/op/ { print $3 }' | sort -g | sed -n 2p)
h3rate=$(awk -v ns="$h3ns" 'BEGIN { printf "%.0f", 1e9 / ns }')

echo "== generating the district-day ($RIDERS riders) and days 2 and 8"
t "$BIN" demo --riders "$RIDERS" --days 1 --ping-interval "$INTERVAL" --out "$OUT/d1" >/dev/null 2>&1
day=$(sed -n 2p "$OUT/d1/pings.csv" | grep -o '20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T' | head -1 | tr -d T)
shift_file() { # days → a copy of day 1's pings moved by that many days
	local a b c d
	a="$day"; b=$(date -d "$day + 1 day" +%F); c=$(date -d "$day + $1 days" +%F); d=$(date -d "$day + $(($1 + 1)) days" +%F)
	mkdir -p "$OUT/d$(($1 + 1))"
	sed -e "s/,${b}T/,${d}T/" -e "s/,${a}T/,${c}T/" "$OUT/d1/pings.csv" >"$OUT/d$(($1 + 1))/pings.csv"
}
shift_file 1
shift_file 7
pings=$(($(wc -l <"$OUT/d1/pings.csv") - 1))

psql "$admin" -XAtqc "create database $DB" >/dev/null
"$BIN" migrate >/dev/null
for k in areas grids sites; do "$BIN" ingest "$k" "$OUT/d1/$k.geojson" >/dev/null; done
token=$("$BIN" token create --name bench-scale --role admin 2>/dev/null)
ltoken=$("$BIN" token create --name bench-scale-leader --role leader 2>/dev/null)

SERVED=""
serve() { # start a fresh server; SERVED = seconds from $1 until it answers a tile and its tile indexes are built
	local t0=$1
	"$BIN" serve 2>>"$OUT/serve.log" &
	pid=$!
	for _ in $(seq 1 $((STEP * 5))); do
		code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "http://$ADDR/tiles/activity/12/3430/1672.mvt" || true)
		[[ "$code" == 200 || "$code" == 204 ]] && curl -s "http://$ADDR/readyz" | grep -q '"tiles":"warm"' && break
		sleep 0.2
	done
	SERVED=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
}
stop() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; pid=""; }
import_day() { # n → IS (seconds until served), IRSS (peak KB), IG (database growth, bytes)
	local before t0 after
	before=$(sql "select pg_database_size(current_database())")
	t0=$(now)
	t /usr/bin/time -f '%M' -o "$OUT/rss" "$BIN" ingest pings "$OUT/d$1/pings.csv" >"$OUT/ingest$1.out" 2>"$OUT/ingest$1.log"
	# Where the import's time went: the batch, the hour-set rollups, the release.
	grep -E 'pings batch|where the time went|rolled up|published release' "$OUT/ingest$1.out" | sed "s|^|  day $1: |" >>"$OUT/phases" || true
	serve "$t0"
	stop
	IS=$SERVED IRSS=$(tail -1 "$OUT/rss")
	after=$(sql "select pg_database_size(current_database())")
	IG=$((after - before))
}

echo "== import day 1 (the district-day), then days 2 and 8 (the month sample)"
import_day 1; s1=$IS rss1=$IRSS g1=$IG
raw1=$(sql "select coalesce(sum(pg_total_relation_size(c.oid)), 0) from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'ping_tracks'::regclass")
import_day 2; s2=$IS rss2=$IRSS g2=$IG
import_day 8; s8=$IS rss8=$IRSS g8=$IG
raw=$(sql "select coalesce(sum(pg_total_relation_size(c.oid)), 0) from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'ping_tracks'::regclass")
total=$(sql "select pg_database_size(current_database())")
sizes=$(sql "select string_agg(relname || ' ' || pg_size_pretty(pg_total_relation_size(oid)), ', ' order by pg_total_relation_size(oid) desc) from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') and pg_total_relation_size(oid) > 10e6")

# Tiles: up to 80 per zoom 12–16 nearest the data's centre (398 in all for the demo district).
read -r clng clat < <(sql "select ST_X(ST_Centroid(ST_Extent(geom))) || ' ' || ST_Y(ST_Centroid(ST_Extent(geom))) from admin_areas")
tiles() {
	awk -v lng="${clng:-121.40}" -v lat="${clat:-31.24}" 'BEGIN {
		pi = atan2(0, -1); n = 0
		for (z = 12; z <= 16; z++) {
			s = 2 ^ z; cx = (lng + 180) / 360 * s; r = lat * pi / 180
			cy = (1 - log(sin(r) / cos(r) + 1 / cos(r)) / pi) / 2 * s
			k = 0; want = (z < 14) ? (z == 12 ? 9 : 36) : (z == 14 ? 81 : (z == 15 ? 100 : 172))
			for (d = 0; k < want && d < 64; d++)
				for (dx = -d; dx <= d && k < want; dx++) for (dy = -d; dy <= d && k < want; dy++)
					if ((dx == d || dx == -d || dy == d || dy == -d)) { print z, int(cx) + dx, int(cy) + dy; k++ }
		}
	}'
}
tiles >"$OUT/tiles.txt"
ntiles=$(wc -l <"$OUT/tiles.txt")

pct() { sort -g | awk '{ v[NR] = $1; s += $1 } END { if (NR == 0) { print "NaN NaN NaN"; exit } i = int(NR * 0.99); if (i < 1) i = 1; printf "%.0f %.1f %.1f\n", NR / s, v[i] * 1000, v[NR] * 1000 }'; }
fetch_tiles() { # query token [clients] → "tiles/s p99_ms max_ms failed" ($CLIENTS concurrent clients, each tile once)
	local q=$1 tok=$2 clients=${3:-$CLIENTS}
	awk -v q="$q" '{ printf "/tiles/activity/%s/%s/%s.mvt%s\n", $1, $2, $3, q }' "$OUT/tiles.txt" >"$OUT/paths.txt"
	t "$BIN" loadtest --url "http://$ADDR" --token "$tok" --paths "$OUT/paths.txt" --clients "$clients" --duration 10m >"$OUT/lt.txt" 2>&1 || true
	awk 'NR == 1 { r = $5; gsub(/[^0-9.]/, "", r) } $1 == "paths" { printf "%s %s %s %d\n", r, $6, $7, $3 + $4; found = 1 }
		END { if (!found) print "NaN NaN NaN NaN" }' "$OUT/lt.txt"
}
ref_tiles() { # hours_sql → "tiles/s p99_ms max_ms" of hand-written ST_AsMVT queries
	local hows=$1
	{
		echo '\timing on'
		while read -r z x y; do
			res=10; ((z <= 13)) && res=9
			if [[ -z "$hows" ]]; then
				echo "SELECT length(ST_AsMVT(t, 'activity', 4096, 'geom')) FROM (SELECT h.cell, h.pings, h.riders, h.rider_seconds, ST_AsMVTGeom(ST_Transform(c.boundary, 3857), ST_TileEnvelope($z, $x, $y), 4096, 64, true) AS geom FROM hex_activity h JOIN hex_cells c USING (cell) WHERE h.res = $res AND h.how = -1 AND c.boundary && ST_Transform(ST_TileEnvelope($z, $x, $y), 4326)) t;"
			else
				echo "SELECT length(ST_AsMVT(t, 'activity', 4096, 'geom')) FROM (SELECT a.cell, a.pings, a.riders, ST_AsMVTGeom(ST_Transform(c.boundary, 3857), ST_TileEnvelope($z, $x, $y), 4096, 64, true) AS geom FROM (SELECT h.cell, sum(h.pings) AS pings, (SELECT count(DISTINCT k) FROM hex_activity h2, unnest(h2.rider_keys) k WHERE h2.res = $res AND h2.cell = h.cell AND h2.how = ANY('{$hows}')) AS riders FROM hex_activity h JOIN hex_cells c0 USING (cell) WHERE h.res = $res AND h.how = ANY('{$hows}') AND c0.boundary && ST_Transform(ST_TileEnvelope($z, $x, $y), 4326) GROUP BY h.cell) a JOIN hex_cells c USING (cell)) t;"
			fi
		done <"$OUT/tiles.txt"
	} | psql "$url" -Xq 2>/dev/null | awk '/^Time:/ { print $2 / 1000 }' | pct
}
arbitrary="11-12,35-36,59-60,83-84,107-108"
lunch=$(for d in 0 1 2 3 4 5 6; do for h in 11 12 13; do printf '%d,' $((d * 24 + h)); done; done | sed 's/,$//')
api() { # method path [body] → seconds (cold: the first call of this path)
	curl -s -o "$OUT/api.json" -w '%{time_total} %{http_code}' -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' ${3:+-d "$3"} "http://$ADDR$2"
}
ref() { # sql → seconds
	{ echo '\timing on'; echo "$1"; } | psql "$url" -Xq 2>/dev/null | awk '/^Time:/ { s += $2 } END { printf "%.3f", s / 1000 }'
}

echo "== cold: a fresh server after the imports"
serve "$(now)"
tu=$(fetch_tiles "" "$token"); stop; serve "$(now)"
tl=$(fetch_tiles "?hours=lunch" "$token"); stop; serve "$(now)"
tll=$(fetch_tiles "?hours=lunch" "$ltoken")
stop; serve "$(now)"
# An hour list that is none of the rolled-up sets (weekdays 11–12): the
# admin's arbitrary filter, summed from the tiles' hour rows in memory.
ta=$(fetch_tiles "?hours=$arbitrary" "$token")
stop; serve "$(now)"
ta1=$(fetch_tiles "?hours=$arbitrary" "$token" 1)
stop; serve "$(now)"
a1=$(api GET '/api/summary?level=street')
a2=$(api GET '/api/summary?level=community&hours=dinner')
a3=$(api GET '/api/coverage/hours')
a4=$(api GET '/api/gaps')
a5=$(api GET '/api/gaps?hours=lunch')
a6=$(api POST '/api/siting' '{"k": 10, "hours": "lunch"}')
stop
ru=$(ref_tiles ""); rl=$(ref_tiles "$lunch")
# Reference: demand and distinct riders per street, by hand in PostGIS.
r1=$(ref "SELECT a.code, sum(h.rider_seconds), count(DISTINCT k) FROM admin_areas a JOIN hex_cells c ON c.res = 9 AND ST_Intersects(a.geom, c.center) JOIN hex_activity h ON h.res = 9 AND h.cell = c.cell AND h.how = -1, unnest(h.rider_keys) k WHERE a.level = 'street' GROUP BY a.code;")
dinner=$(for d in 0 1 2 3 4 5 6; do for h in 17 18 19; do printf '%d,' $((d * 24 + h)); done; done | sed 's/,$//')
r2=$(ref "SELECT a.code, sum(h.rider_seconds), count(DISTINCT k) FROM admin_areas a JOIN hex_cells c ON c.res = 9 AND ST_Intersects(a.geom, c.center) JOIN hex_activity h ON h.res = 9 AND h.cell = c.cell AND h.how = ANY('{$dinner}'), unnest(h.rider_keys) k WHERE a.level = 'community' GROUP BY a.code;")

ms() { # "seconds [status]"
	awk -v s="$1" 'BEGIN { split(s, a, " "); printf "%.0f ms", a[1] * 1000; if (a[2] != "" && a[2] != 200) printf " (HTTP %s)", a[2] }'
}
tfmt() { # "tiles/s p99 max failed" → text
	awk '{ printf "%s tiles/s, p99 %s ms, max %s ms", $1, $2, $3; if ($4 != 0) printf ", %s failed or shed", $4 }' <<<"$1"
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.0f MB", b / 1e6 }'; }
echo
echo "hexcover at district scale ($RIDERS riders; $pings pings a day, one every $INTERVAL; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '| figure | measured | reference (same run) |\n| --- | --- | --- |\n'
printf '| import of the district-day, until served | %s s (%s pings/s), peak RSS %s MB | raw H3 %s cells/s on one core |\n' "$s1" "$(rate "$pings" "$s1")" "$((rss1 / 1024))" "$h3rate"
printf '| import of day 2 / day 8 (merging into day 1) | %s s / %s s, peak RSS %s / %s MB | |\n' "$s2" "$s8" "$((rss2 / 1024))" "$((rss8 / 1024))"
printf '| database growth: day 1 / day 2 / day 8 | %s / %s / %s | target ≤ 1.2 GB a day |\n' "$(mb "$g1")" "$(mb "$g2")" "$(mb "$g8")"
printf '| raw pings | %s B/ping (%s for the day) | target ≤ 20 B/ping |\n' "$(awk -v b="$raw1" -v n="$pings" 'BEGIN { printf "%.1f", b / n }')" "$(mb "$raw1")"
printf '| unfiltered activity tiles, cold (%s tiles z12–16, %s clients) | %s | PostGIS ST_AsMVT: %s |\n' "$ntiles" "$CLIENTS" "$(tfmt "$tu")" "$(awk '{ printf "%s tiles/s, p99 %s ms", $1, $2 }' <<<"$ru")"
printf '| hours=lunch tiles, cold, admin | %s | PostGIS (hand-written union): %s |\n' "$(tfmt "$tl")" "$(awk '{ printf "%s tiles/s, p99 %s ms", $1, $2 }' <<<"$rl")"
printf '| hours=lunch tiles, leader (released views) | %s | |\n' "$(tfmt "$tll")"
printf '| hours=%s tiles (weekdays 11–12, not a view), cold, admin | %s; one client: %s | target p99 < 200 ms |\n' "$arbitrary" "$(tfmt "$ta")" "$(tfmt "$ta1")"
printf '| /api/summary?level=street | %s | PostGIS: %s |\n' "$(ms "$a1")" "$(ms "$r1")"
printf '| /api/summary?level=community&hours=dinner | %s | PostGIS: %s |\n' "$(ms "$a2")" "$(ms "$r2")"
printf '| /api/coverage/hours | %s | |\n' "$(ms "$a3")"
printf '| /api/gaps / hours=lunch | %s / %s | |\n' "$(ms "$a4")" "$(ms "$a5")"
printf '| POST /api/siting k=10 hours=lunch | %s | |\n' "$(ms "$a6")"
echo
echo "import phases (each import's own report):"
cat "$OUT/phases" 2>/dev/null || true
echo "database after 3 days: $(mb "$total"); raw pings $(mb "$raw"); largest: $sizes"
# A month: day 1, days 2–7 add the week's other weekdays (new hour-of-week
# rows, like day 2), days 8–30 merge into existing rows (like day 8).
awk -v g2="$g2" -v g8="$g8" -v total="$total" 'BEGIN {
	printf "month extrapolated (30 days, 30-day raw retention): these 3 days, 5 more growing like day 2 (%.0f MB) and 22 like day 8 (%.0f MB): %.1f GB\n", g2 / 1e6, g8 / 1e6, (total + 5 * g2 + 22 * g8) / 1e9
}'
echo "month import time extrapolated: day 1 + 6 × day 2 + 23 × day 8 = $(awk -v a="$s1" -v b="$s2" -v c="$s8" 'BEGIN { printf "%.0f min", (a + 6 * b + 23 * c) / 60 }')"
