#!/usr/bin/env bash
# bench/graph_scale.sh [LATENCY] [N...] (default 50ms, 10000 100000):
# how mailbox retention grows with the number of messages. For each N, the
# fake Graph (bench/graphbench -serve) runs in a process of its own with N
# messages over 20 mailboxes, 4 concurrent requests per mailbox and
# LATENCY per request, and the retentiond binary plans and executes them
# (as bench/graph.sh does). Per N it prints wall time, CPU time (user +
# system) and peak RSS of plan and of execute, the requests the fake
# answered, and wall time against the throttle bound:
#
#	bound = latency × (listing pages + delete batches of one mailbox)
#
# Then, per step from one N to the next, how each figure grew against
# the growth of N (1.00: linear). The last line holds every figure as
# name=value. RETENTIOND_BIN: use this retentiond binary instead of
# building one.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib/build.sh
. "$HERE/bench/lib/build.sh"
# shellcheck source=bench/lib/graph.sh
. "$HERE/bench/lib/graph.sh"
LATENCY=${1:-50ms}
shift || true
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10000 100000)
MAILBOXES=$GRAPH_MAILBOXES
WORK=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-graph-scale.XXXXXX")
trap 'graph_stop; rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export PATH="/usr/local/go/bin:$PATH"
bench_retentiond "$WORK"
bench_needs plan --as
bench_needs execute --as
bench_tools "$WORK" graphbench
lat_s=$(awk -v l="$LATENCY" 'BEGIN { v = l + 0; if (l ~ /ms$/) v /= 1000; else if (l ~ /us$|µs$/) v /= 1e6; printf "%.6f", v }')

# run N: plan and execute N messages; sets the figures of N.
run() {
	local n=$1 dir="$WORK/n-$1"
	graph_serve "$WORK/graphbench" "$dir" "$n" "$LATENCY"
	graph_config "$dir"
	local load
	load=$(cut -d' ' -f1 /proc/loadavg)
	/usr/bin/time -f '%e %U %S %M' -o "$dir/plan.time" "$WORK/retentiond" plan --config "$dir/retentiond.yaml" --as it >"$dir/plan.out"
	/usr/bin/time -f '%e %U %S %M' -o "$dir/exec.time" "$WORK/retentiond" execute --config "$dir/retentiond.yaml" --as it >"$dir/exec.out"
	graph_stop
	grep -q "$n deleted" "$dir/exec.out" || { echo "execute did not delete $n messages:" >&2; cat "$dir/exec.out" >&2; exit 1; }
	local pw pu ps pm ew eu es em req per pages batches
	read -r pw pu ps pm < <(tail -1 "$dir/plan.time")
	read -r ew eu es em < <(tail -1 "$dir/exec.time")
	req=$(sed -n 's/^requests=\([0-9]*\).*/\1/p' "$dir/server.out")
	per=$(((n + MAILBOXES - 1) / MAILBOXES))
	pages=$(((per + 999) / 1000))
	batches=$(((per + 19) / 20))
	awk -v n="$n" -v pw="$pw" -v pu="$pu" -v ps="$ps" -v pm="$pm" -v ew="$ew" -v eu="$eu" -v es="$es" -v em="$em" \
		-v req="$req" -v lat="$lat_s" -v pages="$pages" -v batches="$batches" -v load="$load" 'BEGIN {
		k = int(n / 1000) "k"; bound = lat * (pages + batches)
		printf "messages=%d load=%s plan_s=%.2f plan_cpu_s=%.2f plan_rss_mb=%d execute_s=%.2f execute_cpu_s=%.2f execute_rss_mb=%d requests=%d bound_s=%.2f wall_vs_throttle_bound=%.2f\n",
			n, load, pw, pu + ps, pm / 1024, ew, eu + es, em / 1024, req, bound, (pw + ew) / bound
	}' | tee "$dir/figures"
}

for n in "${SIZES[@]}"; do
	run "$n"
done

# Growth from each size to the next, against the growth of N.
summary=
prev=
for n in "${SIZES[@]}"; do
	cur=$(cat "$WORK/n-$n/figures")
	k=$((n / 1000))k
	summary="$summary $(echo "$cur" | awk -v k="$k" '{ for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] != "load" && a[1] != "requests" && a[1] != "bound_s") printf "%s_%s=%s ", a[1], k, a[2] } }')"
	if [ -n "$prev" ]; then
		paste -d' ' <(echo "$prev") <(echo "$cur") | awk -v from="$pn" -v to="$n" '{
			half = NF / 2
			for (i = 1; i <= half; i++) { split($i, a, "="); split($(i + half), b, "="); v[a[1]] = a[2]; w[a[1]] = b[2] }
			g = to / from
			printf "growth %d→%d (×%.0f messages): plan_time ×%.2f (%.2f of linear) plan_cpu ×%.2f (%.2f) plan_rss ×%.2f execute_time ×%.2f (%.2f) execute_cpu ×%.2f (%.2f) execute_rss ×%.2f\n",
				from, to, g, w["plan_s"] / v["plan_s"], w["plan_s"] / v["plan_s"] / g, w["plan_cpu_s"] / v["plan_cpu_s"], w["plan_cpu_s"] / v["plan_cpu_s"] / g,
				w["plan_rss_mb"] / v["plan_rss_mb"], w["execute_s"] / v["execute_s"], w["execute_s"] / v["execute_s"] / g,
				w["execute_cpu_s"] / v["execute_cpu_s"], w["execute_cpu_s"] / v["execute_cpu_s"] / g, w["execute_rss_mb"] / v["execute_rss_mb"]
		}'
	fi
	prev=$cur
	pn=$n
done
echo "latency=$LATENCY${summary% }" | tr -s ' '
