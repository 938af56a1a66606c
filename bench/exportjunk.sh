#!/usr/bin/env bash
# Import an export of well-formed junk rows (issue 17, finding 15: 200 MB
# of them once ran for over 300 s and reached 3.5 GB).
#
#   bench/exportjunk.sh [MEGABYTES]   (default 200)
#
# Times `retentiond subjects import` twice and prints seconds and peak RSS
# (one line each, then both on one name=value line):
#   default limits  -> refused from the file's size before reading it
#   max_megabytes raised above the file -> read until max_rows, then refused
#
# 200 MB on a shared 2-core machine (2026-12-06): default limits refused in
# 0.57 s at 29 MB peak RSS; with max_megabytes raised, refused at row 250,001
# after 8.5 s at 260 MB (before the limits: over 300 s and 3.5 GB).
# RETENTIOND_BIN: use this retentiond binary instead of building one.
set -euo pipefail
MB=${1:-200}
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib/build.sh
. "$HERE/bench/lib/build.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-junk.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export PATH="/usr/local/go/bin:$PATH"
bench_retentiond "$WORK"
bench_needs "subjects import"
mkdir -p "$WORK/exports"
awk -v bytes="$((MB << 20))" 'BEGIN {
	printf "Elevnummer;Fornavn;Efternavn;Klasse;Indmeldt;Udmeldt;Fødselsdato\r\n"
	for (n = 0; n < bytes; n += 54) printf "%d;Fornavn;Efternavn;1.a;01-08-2020;;01-01-2008\r\n", 1000000 + n / 54
}' >"$WORK/exports/elever.csv"
config() { # $1: extra export options, $2: database number
	cat <<YAML
version: 1
database: junk$2.db
ledger: {origin: bench.invalid/ledger}
policies: [exports.yaml]
cli: {trust_as: true}
people:
  - {id: anna, roles: [approver], groups: [leaders]}
  - {id: it, roles: [operator]}
sources:
  - {name: elever, kind: export, options: {dir: exports, preset: tea-students, ignore_other_columns: true$1}}
YAML
}
cp "$HERE/configs/policies/exports.yaml" "$WORK/"
config "" 1 >"$WORK/default.yaml"
config ", max_megabytes: $((MB + 1))" 2 >"$WORK/raised.yaml"
for c in default raised; do
	/usr/bin/time -f "%e %M" -o "$WORK/time" "$WORK/retentiond" --config "$WORK/$c.yaml" subjects import >"$WORK/out" 2>&1 || true
	read -r s kb < <(tail -n 1 "$WORK/time")
	echo "limits=$c megabytes=$MB seconds=$s max_rss_mb=$((kb / 1024)) result=$(grep -o 'REFUSED.*' "$WORK/out" | head -1 | cut -c1-160)"
	if [ "$c" = default ]; then default_s=$s default_kb=$kb; else raised_s=$s raised_kb=$kb; fi
done
echo "junk_megabytes=$MB junk_default_s=$default_s junk_default_peak_rss_mb=$((default_kb / 1024)) junk_raised_s=$raised_s junk_raised_peak_rss_mb=$((raised_kb / 1024))"
