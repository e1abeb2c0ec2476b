#!/usr/bin/env bash
# Bring up PostgreSQL + PostGIS for hexcover, with no hand work.
#
#   scripts/db.sh [DBNAME]     (default DBNAME: hexcover)
#
# - If DATABASE_URL is set and reachable with PostGIS available, it only makes
#   sure the postgis extension exists there, and prints the URL.
# - Otherwise, on Debian as root, it installs PostgreSQL 15, PostGIS 3 and
#   pgRouting with apt when missing, starts (or creates) the local cluster,
#   creates a superuser role for the current OS user, the database and the
#   postgis and pgrouting extensions (pgRouting measures network coverage,
#   HEXCOVER_COVERAGE=network; where it is unavailable coverage stays radius-based).
# Idempotent and fast when everything is there. The last line printed on
# stdout is the connection URL to use; everything else goes to stderr.
set -euo pipefail

DBNAME="${1:-hexcover}"
PGVER="${HEXCOVER_PG_VERSION:-15}"
say() { printf 'db.sh: %s\n' "$*" >&2; }
die() { printf 'db.sh: error: %s\n' "$*" >&2; exit 1; }

has_postgis() { # $1 = url
	[ "$(psql "$1" -XAtqc "select count(*) from pg_available_extensions where name = 'postgis'" 2>/dev/null)" = "1" ]
}

if [ -n "${DATABASE_URL:-}" ]; then
	command -v psql >/dev/null || die "psql is not installed; install the PostgreSQL client (apt-get install postgresql-client) or unset DATABASE_URL to let this script install a local server"
	psql "$DATABASE_URL" -XAtqc 'select 1' >/dev/null 2>&1 ||
		die "cannot connect to DATABASE_URL ($DATABASE_URL); start that server, fix the URL, or unset DATABASE_URL to use a local PostgreSQL set up by this script"
	has_postgis "$DATABASE_URL" ||
		die "PostGIS is not available on the server at DATABASE_URL; install it there (Debian: apt-get install postgresql-$PGVER-postgis-3) or unset DATABASE_URL"
	psql "$DATABASE_URL" -XAtqc 'create extension if not exists postgis' >/dev/null ||
		die "cannot create the postgis extension at DATABASE_URL; run 'CREATE EXTENSION postgis' there as a superuser"
	psql "$DATABASE_URL" -XAtqc 'create extension if not exists pgrouting' >/dev/null 2>&1 ||
		say "pgRouting is not available at DATABASE_URL: network coverage (HEXCOVER_COVERAGE=network) stays off; install postgresql-$PGVER-pgrouting there to use it"
	echo "$DATABASE_URL"
	exit 0
fi

SOCKET=/var/run/postgresql
ME="$(id -un)"
URL="postgres:///${DBNAME}?host=${SOCKET}"

need_apt=()
command -v pg_ctlcluster >/dev/null && [ -x "/usr/lib/postgresql/$PGVER/bin/postgres" ] || need_apt+=("postgresql-$PGVER")
[ -f "/usr/share/postgresql/$PGVER/extension/postgis.control" ] || need_apt+=("postgresql-$PGVER-postgis-3")
[ -f "/usr/share/postgresql/$PGVER/extension/pgrouting.control" ] || need_apt+=("postgresql-$PGVER-pgrouting")
if [ "${#need_apt[@]}" -gt 0 ]; then
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		die "missing ${need_apt[*]}; as root on Debian run: apt-get install -y ${need_apt[*]} — or set DATABASE_URL to a PostgreSQL server with PostGIS"
	fi
	say "installing ${need_apt[*]} (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq "${need_apt[@]}" >/dev/null 2>&1 || {
		apt-get update -qq >/dev/null 2>&1 || true
		apt-get install -y -qq "${need_apt[@]}" >/dev/null || die "apt-get install ${need_apt[*]} failed; install them by hand or set DATABASE_URL"
	}
fi

as_pg() { if [ "$ME" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }

if ! pg_lsclusters -h 2>/dev/null | awk -v v="$PGVER" '$1==v && $2=="main"' | grep -q .; then
	[ "$(id -u)" = 0 ] || die "no PostgreSQL $PGVER cluster 'main'; as root run: pg_createcluster $PGVER main --start"
	say "creating cluster $PGVER/main"
	pg_createcluster "$PGVER" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$PGVER" '$1==v && $2=="main" {print $4}' | grep -q online; then
	say "starting PostgreSQL $PGVER/main"
	if [ "$(id -u)" = 0 ]; then
		pg_ctlcluster --skip-systemctl-redirect "$PGVER" main start >&2 || die "PostgreSQL did not start; see /var/log/postgresql/postgresql-$PGVER-main.log"
	else
		die "PostgreSQL $PGVER/main is down; as root run: pg_ctlcluster $PGVER main start"
	fi
fi
for _ in $(seq 1 50); do
	as_pg psql -XAtqc 'select 1' >/dev/null 2>&1 && break
	sleep 0.2
done
as_pg psql -XAtqc 'select 1' >/dev/null 2>&1 || die "PostgreSQL $PGVER/main does not answer on $SOCKET"

if [ "$ME" != postgres ] && [ "$(as_pg psql -XAtqc "select count(*) from pg_roles where rolname = '$ME'")" != 1 ]; then
	say "creating superuser role $ME"
	as_pg createuser -s "$ME"
fi
if [ "$(as_pg psql -XAtqc "select count(*) from pg_database where datname = '$DBNAME'")" != 1 ]; then
	say "creating database $DBNAME"
	as_pg createdb -O "$ME" "$DBNAME"
fi
psql "$URL" -XAtqc 'create extension if not exists postgis' >/dev/null 2>&1 ||
	die "cannot create the postgis extension in $DBNAME; is postgresql-$PGVER-postgis-3 installed?"
psql "$URL" -XAtqc 'create extension if not exists pgrouting' >/dev/null 2>&1 ||
	die "cannot create the pgrouting extension in $DBNAME; is postgresql-$PGVER-pgrouting installed?"
echo "$URL"
