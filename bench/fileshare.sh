#!/usr/bin/env bash
# Compare retentiond with GNU find on the same tree, in one run.
#
#   bench/fileshare.sh [N]       (default N=1000000)
#
# Builds two identical trees of N files (half older than 30 days), then times
#   find ROOT -type f -mtime +30            vs  retentiond plan (a 30-day rule; three of each,
#                                               taking turns, each plan on a fresh database:
#                                               the medians)
#   retentiond plan (no open batch)         vs  the same plan again while its batch of the
#                                               due half waits for approval (the re-plan
#                                               finds every due item in the open batch)
#   find ROOT -type f -mtime +30 -delete    vs  retentiond batches approve + execute (ledger included)
# and prints the ratios and retentiond's peak RSS as the last line, then the
# seconds they come from (find_s, plan_s, find_delete_s, execute_s: approve
# + execute).
# RETENTIOND_BIN: use this retentiond binary instead of building one.
set -euo pipefail
N=${1:-1000000}
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib/build.sh
. "$HERE/bench/lib/build.sh"
# shellcheck source=bench/lib/fileshare.sh
. "$HERE/bench/lib/fileshare.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export PATH="/usr/local/go/bin:$PATH"

echo "building in $WORK" >&2
bench_retentiond "$WORK"
bench_needs plan --examples
bench_needs "batches list"
bench_needs "batches approve" --as
bench_needs execute --as
bench_needs "ledger verify"
bench_tools "$WORK" mktree
"$WORK/mktree" -n "$N" -dir "$WORK/tree-find"
"$WORK/mktree" -n "$N" -dir "$WORK/tree-rd"

fileshare_policy >"$WORK/policy.yaml"
fileshare_config tree-rd >"$WORK/retentiond.yaml"
RD="$WORK/retentiond --config $WORK/retentiond.yaml"

# measure CMD...: prints "seconds max_rss_kb"
measure() {
	/usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null
	cat "$WORK/time"
}

# Warm the page cache for both trees so neither side pays for cold disk.
find "$WORK/tree-find" -type f >/dev/null
find "$WORK/tree-rd" -type f >/dev/null

# find and a first plan (on a fresh database), three times each, taking
# turns: each is well under a second, which one run on a shared machine
# does not measure; their medians do (plan_kb: the largest peak).
finds=() plans=() plan_kb=0
for _ in 1 2 3; do
	rm -rf "$WORK"/retentiond.db* "$WORK/keys" "$WORK/locks"
	read -r s _ < <(measure find "$WORK/tree-find" -type f -mtime +30)
	finds+=("$s")
	read -r s kb < <(measure $RD plan --examples 0)
	plans+=("$s")
	[ "$kb" -le "$plan_kb" ] || plan_kb=$kb
done
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
find_s=$(median "${finds[@]}")
plan_s=$(median "${plans[@]}")
echo "find: ${finds[*]}s  plan: ${plans[*]}s (medians ${find_s}s, ${plan_s}s)" >&2
due=$(find "$WORK/tree-find" -type f -mtime +30 | wc -l)
echo "find: ${find_s}s  plan: ${plan_s}s  (${due} due of ${N})" >&2
read -r replan_s replan_kb < <(measure $RD plan --examples 0)
if [ "$($RD batches list | awk 'NR>1' | wc -l)" != 1 ]; then
	echo "MISMATCH: the re-plan cut another batch" >&2
	$RD batches list >&2
	exit 1
fi
echo "re-plan with the open batch: ${replan_s}s" >&2

# Both trees on disk before either side deletes. ext4 allocates a new
# file's blocks only when writeback writes it (delayed allocation), about
# 30 s after it was written: unlinking a file not yet written frees no
# block, which is several times cheaper on this machine's disk (mounted
# with discard). Without this, find deleted files younger than the
# writeback and retentiond, minutes later, files already on disk: the
# cause of #20's outlier ratios (find -delete of the same tree took
# 0.7–2.5 s in some runs and 6–13 s in others).
sync
read -r del_s _ < <(measure find "$WORK/tree-find" -type f -mtime +30 -delete)
batch=$($RD batches list | awk 'NR==2 {print $1}')
read -r appr_s _ < <(measure $RD batches approve "$batch" --as anna)
read -r exec_s exec_kb < <(measure $RD execute --as it)
left_find=$(find "$WORK/tree-find" -type f | wc -l)
left_rd=$(find "$WORK/tree-rd" -type f | wc -l)
echo "find -delete: ${del_s}s  approve: ${appr_s}s  execute: ${exec_s}s  (left: find ${left_find}, retentiond ${left_rd})" >&2
if [ "$left_find" != "$left_rd" ]; then
	echo "MISMATCH: find left $left_find files, retentiond $left_rd" >&2
	exit 1
fi
$RD ledger verify >&2

awk -v f="$find_s" -v p="$plan_s" -v r="$replan_s" -v rk="$replan_kb" -v d="$del_s" -v a="$appr_s" -v e="$exec_s" -v pk="$plan_kb" -v ek="$exec_kb" -v n="$N" 'BEGIN {
	f = (f > 0.01 ? f : 0.01); d = (d > 0.01 ? d : 0.01)
	printf "files=%d plan_vs_find=%.2f replan_open_batch_vs_plan=%.2f execute_vs_find_delete=%.2f plan_peak_rss_mb=%d replan_peak_rss_mb=%d execute_peak_rss_mb=%d find_s=%.2f plan_s=%.2f find_delete_s=%.2f execute_s=%.2f\n", n, p / f, r / p, (a + e) / d, pk / 1024, rk / 1024, ek / 1024, f, p, d, a + e
}'
