#!/usr/bin/env bash
# The phases of bench/fileshare.sh, repeated, with what the machine was
# doing during each: for finding out where time goes and why a run is slow.
#
#   bench/fileshare_phases.sh [N] [PLAN_RUNS] [EXEC_RUNS]   (default 200000 3 3)
#
# Env: RD_BIN (a built retentiond; default: build this tree), RD_BASE (a
# second binary, e.g. built from an earlier commit, timed beside RD_BIN in
# the same runs), GCTRACE=1 (count the collections of each execute).
#
# Plan: per run, `find -type f -mtime +30` before and after the plan(s),
# each plan with a fresh database; plan_vs_find divides by the mean of the
# two finds. Execute: per run, two fresh trees and a plan, then
# `find -mtime +30 -delete` against `batches approve` + `execute`, with user
# and system CPU, context switches (voluntary: waits for I/O or locks;
# involuntary: the CPU taken by others) and the CPU and I/O pressure stall
# (/proc/pressure, µs the machine's tasks waited) during each.
#
# The configuration sets a time zone in which it is afternoon: mktree's
# files are 12 h off whole days, so a 30-day rule that counts calendar
# days agrees with find's 24-hour periods only after local noon (before it,
# the files 29.5 days old are already in their 30th calendar day).
set -euo pipefail
N=${1:-200000}
PLAN_RUNS=${2:-3}
EXEC_RUNS=${3:-3}
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib/build.sh
. "$HERE/bench/lib/build.sh"
# shellcheck source=bench/lib/fileshare.sh
. "$HERE/bench/lib/fileshare.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-phases.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export PATH="/usr/local/go/bin:$PATH"

if [ -z "${RD_BIN:-}" ]; then
	echo "building in $WORK" >&2
	RETENTIOND_BIN="" bench_retentiond "$WORK"
	RD_BIN=$WORK/retentiond
fi
bench_tools "$WORK" mktree
BINS=("$RD_BIN")
NAMES=(rd)
if [ -n "${RD_BASE:-}" ]; then
	BINS+=("$RD_BASE")
	NAMES+=(base)
fi

# Etc/GMT-X is X hours east of UTC: pick the zone where it is about 14:00.
h=$(date -u +%-H)
off=$((14 - h))
[ $off -lt -12 ] && off=$((off + 24))
if [ $off -ge 0 ]; then TZNAME="Etc/GMT-$off"; else TZNAME="Etc/GMT+$((-off))"; fi

fileshare_policy >"$WORK/policy.yaml"

# config DIR TREE: a configuration (and later its database) in DIR.
config() {
	mkdir -p "$1"
	cp "$WORK/policy.yaml" "$1/"
	fileshare_config "$2" "$TZNAME" >"$1/retentiond.yaml"
}

psi() { # total stall µs: cpu some, io some
	echo "$(awk '/^some/ {sub("total=", "", $5); print $5}' /proc/pressure/cpu 2>/dev/null || echo 0) $(awk '/^some/ {sub("total=", "", $5); print $5}' /proc/pressure/io 2>/dev/null || echo 0)"
}

# measure NAME CMD...: runs CMD, prints "NAME wall user sys rss_mb vcs ics cpu_stall_ms io_stall_ms"
measure() {
	local name=$1
	shift
	read -r c0 i0 < <(psi)
	/usr/bin/time -f "%e %U %S %M %w %c" -o "$WORK/time" "$@" >/dev/null 2>>"$WORK/stderr"
	read -r c1 i1 < <(psi)
	read -r e u s m w c <"$WORK/time"
	echo "$name $e $u $s $((m / 1024)) $w $c $(((c1 - c0) / 1000)) $(((i1 - i0) / 1000))"
}

echo "N=$N timezone=$TZNAME load: $(cat /proc/loadavg)"
"$WORK/mktree" -n "$N" -dir "$WORK/tree-find"
"$WORK/mktree" -n "$N" -dir "$WORK/tree-rd"
find "$WORK/tree-find" -type f >/dev/null
find "$WORK/tree-rd" -type f >/dev/null
due=$(find "$WORK/tree-find" -type f -mtime +30 | wc -l)

echo "phase wall_s user_s sys_s rss_mb vol_cs invol_cs cpu_stall_ms io_stall_ms"
for r in $(seq "$PLAN_RUNS"); do
	echo "# plan run $r load: $(cat /proc/loadavg)"
	line=$(measure find find "$WORK/tree-find" -type f -mtime +30)
	echo "$line"
	f1=$(echo "$line" | cut -d" " -f2)
	plans=()
	for i in "${!BINS[@]}"; do
		d="$WORK/plan-$r-${NAMES[$i]}"
		config "$d" "$WORK/tree-rd"
		line=$(measure "plan_${NAMES[$i]}" "${BINS[$i]}" --config "$d/retentiond.yaml" plan --examples 0)
		echo "$line"
		ps=$(echo "$line" | cut -d" " -f2)
		plans+=("$ps")
		rm -rf "$d"
	done
	line=$(measure find find "$WORK/tree-find" -type f -mtime +30)
	echo "$line"
	f2=$(echo "$line" | cut -d" " -f2)
	for i in "${!BINS[@]}"; do
		awk -v p="${plans[$i]}" -v a="$f1" -v b="$f2" -v n="${NAMES[$i]}" -v r="$r" 'BEGIN { printf "run=%d %s plan_vs_find=%.2f\n", r, n, p / ((a + b) / 2) }'
	done
done 2>&1

for r in $(seq "$EXEC_RUNS"); do
	echo "# execute run $r load: $(cat /proc/loadavg)"
	if [ "$r" -gt 1 ]; then
		rm -rf "$WORK/tree-find" "$WORK/tree-rd"
		"$WORK/mktree" -n "$N" -dir "$WORK/tree-find"
		"$WORK/mktree" -n "$N" -dir "$WORK/tree-rd"
		find "$WORK/tree-find" -type f >/dev/null
		find "$WORK/tree-rd" -type f >/dev/null
	fi
	d="$WORK/exec-$r"
	config "$d" "$WORK/tree-rd"
	RD="$RD_BIN --config $d/retentiond.yaml"
	$RD plan --examples 0 >/dev/null
	batch=$($RD batches list | awk 'NR==2 {print $1}')
	sync
	line=$(measure find_delete find "$WORK/tree-find" -type f -mtime +30 -delete)
	echo "$line"
	del=$(echo "$line" | cut -d" " -f2)
	sync
	line=$(measure approve $RD batches approve "$batch" --as anna)
	echo "$line"
	appr=$(echo "$line" | cut -d" " -f2)
	: >"$WORK/stderr"
	if [ "${GCTRACE:-}" = 1 ]; then
		line=$(GODEBUG=gctrace=1 measure execute $RD execute --as it)
	else
		line=$(measure execute $RD execute --as it)
	fi
	echo "$line"
	ex=$(echo "$line" | cut -d" " -f2)
	if [ "${GCTRACE:-}" = 1 ]; then
		echo "# execute gc_cycles=$(grep -c '^gc ' "$WORK/stderr" || true)"
	fi
	left_find=$(find "$WORK/tree-find" -type f | wc -l)
	left_rd=$(find "$WORK/tree-rd" -type f | wc -l)
	if [ "$left_find" != "$left_rd" ] || [ "$((N - left_find))" != "$due" ]; then
		echo "MISMATCH: find left $left_find files, retentiond $left_rd ($due due)" >&2
		exit 1
	fi
	find "$d" -name '*.db*' -printf '# %s %f\n'
	awk -v a="$appr" -v e="$ex" -v d="$del" -v r="$r" 'BEGIN { printf "run=%d execute_vs_find_delete=%.2f\n", r, (a + e) / d }'
	rm -rf "$d"
done 2>&1
echo "files=$N load: $(cat /proc/loadavg)"
