#!/usr/bin/env bash
# Plan CCTV recordings: hourly recordings of CAMERAS cameras over DAYS days,
# plus one backup copy of each (RULES.md C1).
#
#   bench/cctv.sh [CAMERAS] [DAYS]      (default 24 and 90: 103,680 files)
#
# Times `retentiond plan` of the cctv source (every file dated by the time
# in its name, C1: 30 days) against `find` listing the same files, in one
# run, and prints plan_vs_find and the plan's peak RSS.
# RETENTIOND_BIN: use this retentiond binary instead of building one.
set -euo pipefail
CAMERAS=${1:-24}
DAYS=${2:-90}
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib/build.sh
. "$HERE/bench/lib/build.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export PATH="/usr/local/go/bin:$PATH"

echo "building in $WORK" >&2
bench_retentiond "$WORK"
bench_needs plan --source --examples
bench_tools "$WORK" cctvbench
"$WORK/cctvbench" -cameras "$CAMERAS" -days "$DAYS" -root "$WORK/nvr" -backup "$WORK/backup"
cp "$HERE/configs/policies/fileshare.yaml" "$WORK/policy.yaml"
cat >"$WORK/retentiond.yaml" <<YAML
version: 1
ledger: {origin: bench.invalid/ledger}
policies: [policy.yaml]
cli: {trust_as: true}
people:
  - {id: it, roles: [operator]}
  - {id: anna, roles: [approver], groups: [leaders]}
  - {id: bo, roles: [approver], groups: [dpo]}
sources:
  - {name: nvr, kind: cctv, options: {root: nvr, backups: [backup]}}
YAML

measure() { # prints "seconds max_rss_kb"
	/usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null
	cat "$WORK/time"
}
find "$WORK/nvr" "$WORK/backup" -type f >/dev/null # warm the page cache
read -r find_s _ < <(measure find "$WORK/nvr" "$WORK/backup" -type f -name '*.mp4')
read -r plan_s plan_kb < <(measure "$WORK/retentiond" --config "$WORK/retentiond.yaml" plan --source nvr --examples 0)
files=$(find "$WORK/nvr" "$WORK/backup" -type f | wc -l)
echo "find: ${find_s}s  plan: ${plan_s}s for ${files} recordings" >&2
awk -v f="$find_s" -v p="$plan_s" -v kb="$plan_kb" -v n="$files" 'BEGIN {
	printf "recordings=%d plan_s=%.2f plan_vs_find=%.1f plan_peak_rss_mb=%.0f\n", n, p, p / (f > 0.01 ? f : 0.01), kb / 1024 }'
