#!/usr/bin/env bash
# Install what the build and the tests need besides PostgreSQL (scripts/db.sh
# does that): Node.js + npm for the map bundle, and Debian's chromium for the
# browser tests (playwright-core drives it; no browser is ever downloaded),
# with a Chinese font so the map's labels render in screenshots.
#   scripts/deps.sh [build|test]
set -euo pipefail
what="${1:-build}"
say() { printf 'deps.sh: %s\n' "$*" >&2; }
die() { printf 'deps.sh: error: %s\n' "$*" >&2; exit 1; }

need=()
command -v node >/dev/null && command -v npm >/dev/null || need+=(nodejs npm)
if [ "$what" = test ]; then
	command -v chromium >/dev/null || need+=(chromium)
	# Chinese glyphs for the map's labels in headless screenshots.
	[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
fi
if [ "${#need[@]}" -gt 0 ]; then
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		die "missing ${need[*]}; as root on Debian run: apt-get install -y ${need[*]}"
	fi
	say "installing ${need[*]} (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 || {
		apt-get update -qq >/dev/null 2>&1 || true
		apt-get install -y -qq "${need[@]}" >/dev/null || die "apt-get install ${need[*]} failed"
	}
fi
