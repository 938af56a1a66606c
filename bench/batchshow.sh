#!/usr/bin/env bash
# Measure `retentiond batches show --format csv|xlsx|jsonl` of a large batch:
# wall time and peak RSS, for 100,000 and N items (default 1,000,000), so
# that the RSS of the two shows whether memory stays flat.
#
#   bench/batchshow.sh [N]     (SMALL=10000: the smaller size; SMALL= : N alone; XLSX=0: no xlsx)
#
# bench/batchshowbench writes the batch straight into a database as the
# planner stores it (no share is listed). Baselines, measured in the same
# run: reading the batch's chunks only (batchshowbench -read: SQLite and
# decoding, no output) and `cat` of the CSV written (the bytes alone).
# "executed" is the same batch after execution: a deletion entry per item
# in the ledger, 1% changed and 0.1% failed, which show looks up through
# the deletion index of migration 014. One line per batch, then the last
# line: the largest batch's figures, pending and executed_, and
# csv_rss_large_vs_small (memory flat: about 1).
# RETENTIOND_BIN: use this retentiond binary instead of building one.
set -euo pipefail
N=${1:-1000000}
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib/build.sh
. "$HERE/bench/lib/build.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-batchshow-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export PATH="/usr/local/go/bin:$PATH"

echo "building in $WORK" >&2
bench_retentiond "$WORK"
bench_needs "batches show" --format --output
bench_tools "$WORK" batchshowbench

# measure CMD...: runs CMD with its output to $WORK/out, prints "cpu_seconds
# max_rss_kb wall_seconds" (CPU is user+system time: on a shared machine the
# wall time also counts waiting for a core)
measure() {
	/usr/bin/time -f "%U %S %M %e" -o "$WORK/time" "$@" >"$WORK/out"
	awk '{ printf "%.2f %d %s\n", $1 + $2, $3, $4 }' "$WORK/time"
}

setup() { # setup DIR N [-executed]
	local d=$1 n=$2
	shift 2
	mkdir -p "$d/share" "$d/policies"
	cat >"$d/policies/bench.yaml" <<'YAML'
version: 1
id: bench
rules:
  - id: OLD
    title: Old pupils' documents
    type: delete_after
    path: "**"
    from: item.modified
    keep: P30D
    approval:
      - {group: leaders, count: 1}
YAML
	cat >"$d/retentiond.yaml" <<'YAML'
version: 1
database: bench.db
keys: {signing: keys/ledger.key, references: keys/references.key}
ledger: {origin: bench.invalid/ledger}
policies: [policies/bench.yaml]
cli: {trust_as: true}
people:
  - {id: anna, roles: [approver], groups: [leaders]}
  - {id: it, roles: [operator]}
sources:
  - {name: share, kind: fileshare, options: {root: share}}
YAML
	mkdir -p "$d/keys"
	"$WORK/batchshowbench" -db "$d/bench.db" -key "$d/keys/ledger.key" -refs "$d/keys/references.key" -n "$n" "$@" >&2
}

results=()
for n in ${SMALL-100000} "$N"; do
	for kind in pending executed; do
		d="$WORK/$kind-$n"
		flag=()
		[ "$kind" = executed ] && flag=(-executed)
		setup "$d" "$n" "${flag[@]}"
		RD=("$WORK/retentiond" --config "$d/retentiond.yaml")
		read -r base_s base_kb _ < <(measure "$WORK/batchshowbench" -db "$d/bench.db" -read)
		read -r csv_s csv_kb csv_w < <(measure "${RD[@]}" batches show 1 --format csv --output "$d/batch.csv")
		rows=$(($(wc -l <"$d/batch.csv") - 1))
		read -r cat_s cat_kb cat_w < <(measure cat "$d/batch.csv")
		read -r jsonl_s jsonl_kb _ < <(measure "${RD[@]}" batches show 1 --format jsonl)
		read -r text_s text_kb _ < <(measure "${RD[@]}" batches show 1)
		line="items=$n state=$kind rows=$rows csv_bytes=$(stat -c %s "$d/batch.csv") csv_cpu_s=$csv_s csv_wall_s=$csv_w csv_rss_kb=$csv_kb"
		line="$line csv_vs_read_chunks=$(awk -v a="$csv_s" -v b="$base_s" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')"
		line="$line jsonl_cpu_s=$jsonl_s jsonl_rss_kb=$jsonl_kb text_cpu_s=$text_s text_rss_kb=$text_kb"
		line="$line read_chunks_cpu_s=$base_s read_chunks_rss_kb=$base_kb cat_cpu_s=$cat_s cat_wall_s=$cat_w cat_rss_kb=$cat_kb"
		if [ "$kind" = pending ] && [ "${XLSX:-1}" = 1 ]; then
			read -r xlsx_s xlsx_kb xlsx_w < <(measure "${RD[@]}" batches show 1 --format xlsx --output "$d/batch.xlsx")
			line="$line xlsx_cpu_s=$xlsx_s xlsx_wall_s=$xlsx_w xlsx_rss_kb=$xlsx_kb xlsx_bytes=$(stat -c %s "$d/batch.xlsx")"
		fi
		echo "$line" >&2
		results+=("$line")
		rm -rf "$d"
	done
done
printf '%s\n' "${results[@]}"
# The last line: the largest batch's figures (pending and, prefixed
# executed_, after execution) and how show's memory grew from the smaller.
last="${results[-2]}"
for f in ${results[-1]}; do
	case "$f" in items=* | state=*) ;; *) last="$last executed_$f" ;; esac
done
small_rss=$(printf '%s\n' "${results[0]}" | grep -o 'csv_rss_kb=[0-9]*' | cut -d= -f2)
large_rss=$(printf '%s\n' "${results[-2]}" | grep -o 'csv_rss_kb=[0-9]*' | cut -d= -f2)
echo "${last/state=pending /}$(awk -v a="$large_rss" -v b="$small_rss" 'BEGIN { printf " csv_rss_large_vs_small=%.2f", (b > 0 ? a / b : 0) }')"
