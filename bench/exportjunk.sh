#!/usr/bin/env bash
# Import an export of well-formed junk rows (issue 17, finding 15: 200 MB
# of them once ran for over 300 s and reached 3.5 GB).
#
#   bench/exportjunk.sh [MEGABYTES]   (default 200)
#
# Times `retentiond subjects import` twice and prints seconds and peak RSS:
#   default limits  -> refused from the file's size before reading it
#   max_megabytes raised above the file -> read until max_rows, then refused
set -euo pipefail
MB=${1:-200}
HERE=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-junk.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export PATH="/usr/local/go/bin:$PATH"
(cd "$HERE" && go build -o "$WORK/retentiond" ./cmd/retentiond)
mkdir -p "$WORK/exports"
{
	printf 'Elevnummer;Fornavn;Efternavn;Klasse;Indmeldt;Udmeldt;Fødselsdato\r\n'
	yes '123456;Fornavn;Efternavn;1.a;01-08-2020;;01-01-2008' | head -c "$((MB << 20))"
} | awk 'NR == 1 { print; next } { sub(/^123456/, 100000 + NR); print }' >"$WORK/exports/elever.csv"
config() { # $1: extra export options
	cat <<YAML
version: 1
database: junk.db
ledger: {origin: bench.invalid/ledger}
people:
  - {id: it, roles: [operator]}
sources:
  - {name: elever, kind: export, options: {dir: exports, preset: tea-students, ignore_other_columns: true$1}}
YAML
}
config "" >"$WORK/default.yaml"
config ", max_megabytes: $((MB + 1))" >"$WORK/raised.yaml"
for c in default raised; do
	/usr/bin/time -f "%e %M" -o "$WORK/time" "$WORK/retentiond" --config "$WORK/$c.yaml" subjects import >"$WORK/out" 2>&1 || true
	read -r s kb <"$WORK/time"
	echo "limits=$c megabytes=$MB seconds=$s max_rss_mb=$((kb / 1024)) result=$(grep -o 'REFUSED.*' "$WORK/out" | head -1 | cut -c1-160)"
done
