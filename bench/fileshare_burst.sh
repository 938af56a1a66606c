#!/usr/bin/env bash
# execute against find -delete while another process creates files on the
# same filesystem: the cause of issue #20's execute_vs_find_delete outlier
# (a metadata burst makes every synchronous commit wait for the shared
# filesystem journal).
#
#   bench/fileshare_burst.sh [N] [BURST_FILES]     (default 20000 and 50000)
#
# Builds identical trees of N files (half older than 30 days): one for find
# and one for each binary, planned and approved beforehand. Then, in one run,
# times each of
#   find ROOT -type f -mtime +30 -delete
#   retentiond execute                  (RETENTIOND_BIN, else a build of this tree)
#   retentiond execute                  (RD_BASE, a second binary, if set: e.g.
#                                        built from an earlier commit)
# once without and once with a burst: bench/mktree writing BURST_FILES-file
# trees into another folder of the same filesystem, one after the other,
# from a second before the command starts until it ends. Between commands
# the burst's folder is removed and the disk synced.
#
# Its last line: execute_vs_find_delete_burst=… (execute / find -delete,
# both under a burst) execute_vs_find_delete_quiet=… (both without)
# files=… and the seconds, then base_… for RD_BASE.
set -euo pipefail
N=${1:-20000}
BURST_FILES=${2:-50000}
HERE=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-burst.XXXXXX")
BURST_PID=
stop_burst() {
	if [ -n "$BURST_PID" ]; then
		kill -TERM -- "-$BURST_PID" 2>/dev/null || true
		wait "$BURST_PID" 2>/dev/null || true
		BURST_PID=
	fi
}
trap 'stop_burst; rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export PATH="/usr/local/go/bin:$PATH"

echo "building in $WORK" >&2
if [ -n "${RETENTIOND_BIN:-}" ]; then
	cp "$RETENTIOND_BIN" "$WORK/rd"
else
	(cd "$HERE" && go build -o "$WORK/rd" ./cmd/retentiond)
fi
BINS=(rd)
if [ -n "${RD_BASE:-}" ]; then
	cp "$RD_BASE" "$WORK/base"
	BINS+=(base)
fi
(cd "$HERE" && go build -o "$WORK/mktree" ./bench/mktree)

cat >"$WORK/policy.yaml" <<'YAML'
version: 1
id: bench
rules:
  - id: OLD
    type: delete_after
    path: "**"
    from: item.modified
    keep: P30D
    approval:
      - {group: leaders, count: 1}
    guard: {max_items: 0, max_growth: 0}
YAML

# setup NAME: a tree and a database for one side of one phase.
setup() {
	"$WORK/mktree" -n "$N" -dir "$WORK/tree-$1"
}

# prepare BIN PHASE: a configuration, plan and approval for BIN's tree.
prepare() {
	local dir="$WORK/$1-$2"
	mkdir "$dir"
	cp "$WORK/policy.yaml" "$dir/"
	cat >"$dir/retentiond.yaml" <<YAML
version: 1
ledger: {origin: bench.invalid/ledger}
policies: [policy.yaml]
cli: {trust_as: true}
people:
  - {id: anna, roles: [approver], groups: [leaders]}
  - {id: it, roles: [operator]}
sources:
  - {name: tree, kind: fileshare, options: {root: $WORK/tree-$1-$2}}
YAML
	local rd=("$WORK/$1" --config "$dir/retentiond.yaml")
	"${rd[@]}" plan --examples 0 >/dev/null
	"${rd[@]}" batches approve "$("${rd[@]}" batches list | awk 'NR==2 {print $1}')" --as anna >/dev/null
}

# start_burst: mktree trees into $WORK/burst, one after the other, in a
# process group of its own (stop_burst stops all of it).
start_burst() {
	mkdir -p "$WORK/burst"
	setsid bash -c 'i=0; while :; do "$1" -n "$2" -dir "$3/$i" >/dev/null 2>&1 || exit 0; i=$((i + 1)); done' \
		burst "$WORK/mktree" "$BURST_FILES" "$WORK/burst" </dev/null >/dev/null 2>&1 &
	BURST_PID=$!
	sleep 1
}

# timed PHASE CMD...: sets T to the seconds CMD took, with a burst if
# PHASE is burst (not in a subshell, so that the traps can stop the burst).
T=
timed() {
	local phase=$1
	shift
	sync
	if [ "$phase" = burst ]; then start_burst; fi
	/usr/bin/time -f "%e" -o "$WORK/time" "$@" >/dev/null
	stop_burst
	rm -rf "$WORK/burst"
	sync
	T=$(cat "$WORK/time")
}

declare -A secs
for phase in quiet burst; do
	setup "find-$phase"
	for b in "${BINS[@]}"; do
		setup "$b-$phase"
		prepare "$b" "$phase"
	done
	find "$WORK" -path "$WORK/tree-*" -type f >/dev/null # warm the page cache
	echo "phase $phase: load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	timed "$phase" find "$WORK/tree-find-$phase" -type f -mtime +30 -delete
	secs[find_$phase]=$T
	left_find=$(find "$WORK/tree-find-$phase" -type f | wc -l)
	for b in "${BINS[@]}"; do
		timed "$phase" "$WORK/$b" --config "$WORK/$b-$phase/retentiond.yaml" execute --as it
		secs[${b}_$phase]=$T
		left=$(find "$WORK/tree-$b-$phase" -type f | wc -l)
		if [ "$left" != "$left_find" ]; then
			echo "MISMATCH ($b, $phase): find left $left_find files, retentiond $left" >&2
			exit 1
		fi
		"$WORK/$b" --config "$WORK/$b-$phase/retentiond.yaml" ledger verify >/dev/null
	done
	echo "phase $phase: find -delete ${secs[find_$phase]}s$(for b in "${BINS[@]}"; do printf ', %s execute %ss' "$b" "${secs[${b}_$phase]}"; done); load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	rm -rf "$WORK"/tree-*-"$phase" "$WORK"/*-"$phase"
done

line="files=$N burst_files=$BURST_FILES"
for b in "${BINS[@]}"; do
	p=
	[ "$b" = base ] && p=base_
	line+=$(awk -v p="$p" -v fb="${secs[find_burst]}" -v fq="${secs[find_quiet]}" -v eb="${secs[${b}_burst]}" -v eq="${secs[${b}_quiet]}" 'BEGIN {
		fb = (fb > 0.01 ? fb : 0.01); fq = (fq > 0.01 ? fq : 0.01)
		printf " %sexecute_vs_find_delete_burst=%.2f %sexecute_vs_find_delete_quiet=%.2f %sexecute_burst_s=%.2f %sexecute_quiet_s=%.2f", p, eb / fb, p, eq / fq, p, eb, p, eq
	}')
done
echo "$line find_delete_burst_s=${secs[find_burst]} find_delete_quiet_s=${secs[find_quiet]}"
