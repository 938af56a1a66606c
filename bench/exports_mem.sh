#!/usr/bin/env bash
# What linking a file share to the people of an export costs in memory, for
# one or more retentiond binaries on the same data, in one run.
#
#   bench/exports_mem.sh [STUDENTS] [FILES_PER_STUDENT]   (default 200000 and 5)
#   RETENTIOND_BINS="old new" bench/exports_mem.sh …       (default: built from this tree)
#
# Builds the data of bench/exports.sh once (exportbench), then for each
# binary, on a database of its own: `subjects import`, `plan` with rule S3
# linked to the students and `plan` with the rule unlinked (item.modified).
# link_bytes_per_person is the linked plan's peak RSS above the unlinked
# plan's, per student (target <= 300). Run it at two sizes for the growth.
# The last line is machine-readable: one name=value group per binary.
set -euo pipefail
STUDENTS=${1:-200000}
FILES=${2:-5}
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib/build.sh
. "$HERE/bench/lib/build.sh"
# shellcheck source=bench/lib/exports.sh
. "$HERE/bench/lib/exports.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-exports-mem.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export PATH="/usr/local/go/bin:$PATH"

echo "building in $WORK" >&2
BINS=()
if [ -n "${RETENTIOND_BINS:-}" ]; then
	for b in $RETENTIOND_BINS; do BINS+=("$b"); done
else
	RETENTIOND_BIN="" bench_retentiond "$WORK"
	BINS=("$WORK/retentiond")
fi
bench_tools "$WORK" exportbench
mkdir -p "$WORK/exports"
"$WORK/exportbench" -students "$STUDENTS" -files "$FILES" -dir "$WORK/share" -export "$WORK/exports/elever.csv"

exports_policy linked >"$WORK/linked.yaml"
exports_policy unlinked >"$WORK/unlinked.yaml"

measure() { # prints "seconds max_rss_kb"
	/usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null
	cat "$WORK/time"
}
find "$WORK/share" -type f >/dev/null # warm the page cache

summary=()
run=0
for bin in "${BINS[@]}"; do
	run=$((run + 1))
	exports_config "linked-$run" linked yes >"$WORK/linked-config-$run.yaml"
	exports_config "unlinked-$run" unlinked no >"$WORK/unlinked-config-$run.yaml"
	read -r imp_s imp_kb < <(measure "$bin" --config "$WORK/linked-config-$run.yaml" subjects import)
	read -r linked_s linked_kb < <(measure "$bin" --config "$WORK/linked-config-$run.yaml" plan --source share --examples 0)
	read -r unlinked_s unlinked_kb < <(measure "$bin" --config "$WORK/unlinked-config-$run.yaml" plan --source share --examples 0)
	echo "$bin: import ${imp_s}s (peak RSS $((imp_kb / 1024)) MB); plan linked ${linked_s}s (peak RSS $((linked_kb / 1024)) MB), unlinked ${unlinked_s}s (peak RSS $((unlinked_kb / 1024)) MB); load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	summary+=("$(awk -v n=$run -v r="$STUDENTS" -v l="$linked_s" -v u="$unlinked_s" -v lk="$linked_kb" -v uk="$unlinked_kb" 'BEGIN {
		u = (u > 0.01 ? u : 0.01)
		printf "bin%d_plan_linked_peak_rss_mb=%d bin%d_plan_unlinked_peak_rss_mb=%d bin%d_plan_linked_vs_unlinked=%.2f bin%d_link_bytes_per_person=%.0f", n, lk / 1024, n, uk / 1024, n, l / u, n, (lk - uk) * 1024 / r }')")
done
echo "students=$STUDENTS files=$((STUDENTS * FILES)) ${summary[*]}"
