#!/usr/bin/env bash
# The reliability suite at length: N iterations of every attack of
# bench/chaos against the real binary (see bench/chaos/doc.go).
#
#   bench/chaos.sh [N] [SEED]        (default N=20, SEED=17)
#
# Environment: CHAOS_ATTACKS=kill-execute,reject (a subset), CHAOS_FILES
# (files of the first source, default 2000), CHAOS_KEEP=1 (keep the
# directories of iterations that broke an invariant), CHAOS_BIN (attack a
# prebuilt binary), CHAOS_HANG (when a command counts as hung, default 2m).
#
# Prints one line per attack (chaos: attack=... iterations=... hits=...
# violations=...), then exactly one summary line
#   iterations=... violations=... seed=... elapsed=...
# and exits non-zero if any invariant broke. The full log, with every
# violation (invariant, attack, iteration, seed, files, batches), is kept in
# the file named on stderr.
set -uo pipefail
N=${1:-20}
SEED=${2:-${CHAOS_SEED:-17}}
HERE=$(cd "$(dirname "$0")/.." && pwd)
export PATH="/usr/local/go/bin:$PATH"
LOG=$(mktemp "${TMPDIR:-/tmp}/retentiond-chaos.XXXXXX.log")

(cd "$HERE" && go test ./bench/chaos/ -run '^TestChaos$' -count=1 -v -timeout 0 \
	-args -chaos.n="$N" -chaos.seed="$SEED") >"$LOG" 2>&1
rc=$?

grep -E '^\s*chaos_test.go:[0-9]+: VIOLATION' "$LOG" | sed 's/^\s*//' | cut -c1-400 >&2
grep -E '^chaos: attack=' "$LOG"
summary=$(grep -E '^iterations=[0-9]+ violations=[0-9]+' "$LOG" | tail -1)
echo "log: $LOG" >&2
if [ -z "$summary" ]; then
	tail -40 "$LOG" >&2
	echo "iterations=0 violations=unknown (the suite did not finish: exit $rc)"
	exit 2
fi
echo "$summary"
case "$summary" in
*" violations=0 "*) [ "$rc" = 0 ] || exit "$rc" ;;
*) exit 1 ;;
esac
