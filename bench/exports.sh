#!/usr/bin/env bash
# Import a school-system export and plan a file share linked to it.
#
#   bench/exports.sh [STUDENTS] [FILES_PER_STUDENT]   (default 200000 and 5: 1M files)
#
# Builds a TEA student export of STUDENTS rows and a share with one folder
# per student ("Udmeldte elever/<id>/", FILES_PER_STUDENT files each), then
# times, in one run:
#   retentiond subjects import                          -> rows/s
#   retentiond plan with rule S3 linked to the students (subject.left, end of school year)
#   retentiond plan with the same rule unlinked (item.modified), as the baseline
# and prints plan_linked_vs_unlinked (target <= 1.5), the seconds and peak
# RSS of each, and link_bytes_per_person (target <= 300), last on one line.
# RETENTIOND_BIN: use this retentiond binary instead of building one.
set -euo pipefail
STUDENTS=${1:-200000}
FILES=${2:-5}
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib/build.sh
. "$HERE/bench/lib/build.sh"
# shellcheck source=bench/lib/exports.sh
. "$HERE/bench/lib/exports.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export PATH="/usr/local/go/bin:$PATH"

echo "building in $WORK" >&2
bench_retentiond "$WORK"
bench_needs "subjects import"
bench_needs plan --source --examples
bench_tools "$WORK" exportbench
mkdir -p "$WORK/exports"
"$WORK/exportbench" -students "$STUDENTS" -files "$FILES" -dir "$WORK/share" -export "$WORK/exports/elever.csv"

exports_policy linked >"$WORK/linked.yaml"
exports_policy unlinked >"$WORK/unlinked.yaml"
exports_config linked linked yes >"$WORK/linked-config.yaml"
exports_config unlinked unlinked no >"$WORK/unlinked-config.yaml"

measure() { # prints "seconds max_rss_kb"
	/usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null
	cat "$WORK/time"
}
find "$WORK/share" -type f >/dev/null # warm the page cache

read -r imp_s imp_kb < <(measure "$WORK/retentiond" --config "$WORK/linked-config.yaml" subjects import)
read -r linked_s linked_kb < <(measure "$WORK/retentiond" --config "$WORK/linked-config.yaml" plan --source share --examples 0)
read -r unlinked_s unlinked_kb < <(measure "$WORK/retentiond" --config "$WORK/unlinked-config.yaml" plan --source share --examples 0)
files=$((STUDENTS * FILES))
echo "import: ${imp_s}s for ${STUDENTS} rows (peak RSS $((imp_kb / 1024)) MB)" >&2
echo "plan of ${files} files: linked ${linked_s}s (peak RSS $((linked_kb / 1024)) MB), unlinked ${unlinked_s}s (peak RSS $((unlinked_kb / 1024)) MB)" >&2
# link_bytes_per_person: what linking costs in memory, the linked plan's
# peak RSS above the unlinked plan's, per student (target <= 300).
awk -v r="$STUDENTS" -v i="$imp_s" -v l="$linked_s" -v u="$unlinked_s" -v ik="$imp_kb" -v lk="$linked_kb" -v uk="$unlinked_kb" -v f="$files" 'BEGIN {
	i = (i > 0.01 ? i : 0.01); u = (u > 0.01 ? u : 0.01)
	printf "import_rows_per_s=%.0f plan_linked_vs_unlinked=%.2f students=%d files=%d import_s=%.2f plan_linked_s=%.2f plan_unlinked_s=%.2f import_peak_rss_mb=%d plan_linked_peak_rss_mb=%d plan_unlinked_peak_rss_mb=%d link_bytes_per_person=%.0f\n", r / i, l / u, r, f, i, l, u, ik / 1024, lk / 1024, uk / 1024, (lk - uk) * 1024 / r }'
