#!/usr/bin/env bash
# Measure mailbox retention against the fake Graph (connectors/m365/graphtest):
# 50 ms per request, at most 4 concurrent requests per mailbox, N messages
# (default 10,000) over 20 mailboxes, listed and purged with permanentDelete.
#
#   bench/graph.sh [N] [RSS_SIZES]   (default 10000 and "10000 100000 200000";
#                                     "" for none)
#
# 1. The connector alone (bench/graphbench): one listing, one DeleteBatch.
# 2. The product: the fake Graph in a process of its own, the retentiond
#    binary planning and executing (a rule with approval: none, so the
#    plan's batch is approved at once). Wall time is plan + execute.
# Both print requests per deleted message and wall time against the
# throttle bound (see bench/graphbench). Then peak RSS of retentiond at
# each of RSS_SIZES messages (5 ms per request), plan and execute
# separately. The last line has every figure, name=value.
# RETENTIOND_BIN: use this retentiond binary instead of building one.
set -euo pipefail
N=${1:-10000}
RSS_SIZES=${2-10000 100000 200000}
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib/build.sh
. "$HERE/bench/lib/build.sh"
# shellcheck source=bench/lib/graph.sh
. "$HERE/bench/lib/graph.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-graph-bench.XXXXXX")
trap 'graph_stop; rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export PATH="/usr/local/go/bin:$PATH"
bench_retentiond "$WORK"
bench_needs plan --as
bench_needs execute --as
bench_tools "$WORK" graphbench

echo "== connector: one listing, one DeleteBatch call"
"$WORK/graphbench" -n "$N" -mailboxes 20 -latency 50ms

# product N LATENCY: plan and execute N messages through retentiond; sets
# plan_rss, exec_rss (KiB), wall (s), requests.
product() {
	local n=$1 latency=$2 dir="$WORK/product-$1-$2"
	graph_serve "$WORK/graphbench" "$dir" "$n" "$latency"
	graph_config "$dir"
	local t0 t1 t2
	t0=$(date +%s.%N)
	/usr/bin/time -f '%M' -o "$dir/plan.rss" "$WORK/retentiond" plan --config "$dir/retentiond.yaml" --as it >"$dir/plan.out"
	t1=$(date +%s.%N)
	/usr/bin/time -f '%M' -o "$dir/exec.rss" "$WORK/retentiond" execute --config "$dir/retentiond.yaml" --as it >"$dir/exec.out"
	t2=$(date +%s.%N)
	graph_stop
	grep -q "$n deleted" "$dir/exec.out" || { echo "execute did not delete $n messages:" >&2; cat "$dir/exec.out" >&2; exit 1; }
	plan_rss=$(tail -1 "$dir/plan.rss")
	exec_rss=$(tail -1 "$dir/exec.rss")
	requests=$(sed -n 's/^requests=\([0-9]*\).*/\1/p' "$dir/server.out")
	wall=$(awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "%.2f", c - a }')
	plan_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	exec_s=$(awk -v b="$t1" -v c="$t2" 'BEGIN { printf "%.2f", c - b }')
}

echo "== retentiond plan + execute (fake Graph in its own process)"
product "$N" 50ms
# One mailbox's share: its listing pages (1000 messages each) and delete
# batches (20 each) one after the other; 10,000 messages: 1 + 25.
bound=$(awk -v n="$N" 'BEGIN { m = n / 20; p = int((m + 999) / 1000); b = int((m + 19) / 20); printf "%.2f", 0.050 * (p + b) }')
figures="messages=$N requests=$requests plan_s=$plan_s execute_s=$exec_s wall_s=$wall bound_s=$bound plan_peak_rss_mb=$((plan_rss / 1024)) execute_peak_rss_mb=$((exec_rss / 1024))"
echo "$figures"
ratios=$(awk -v r="$requests" -v w="$wall" -v b="$bound" -v n="$N" 'BEGIN { printf "http_requests_per_deleted=%.4f wall_vs_throttle_bound=%.2f", r / n, w / b }')
echo "$ratios"

# Memory is bounded by what is in flight, not by the number of messages:
# in a plan, the pages read ahead of the mailbox being planned (four per
# parallel mailbox, here 80 pages of 1000 messages) and one page in each
# lister's hands; in an execution, parallel_mailboxes (here 20) chunks of
# 2000. 10k fills only half a page per mailbox.
echo "== peak RSS of retentiond (5 ms per request)"
line=
for n in $RSS_SIZES; do
	product "$n" 5ms
	line="$line plan_rss_$((n / 1000))k_mb=$((plan_rss / 1024)) execute_rss_$((n / 1000))k_mb=$((exec_rss / 1024))"
done
echo "$ratios $figures${line}"
