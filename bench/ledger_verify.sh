#!/usr/bin/env bash
# Measure `retentiond ledger verify` of one database, old and new binary
# side by side, several times over: for a change to verification alone.
#
#   bench/ledger_verify.sh [N] [RUNS]      (default N=1000000, RUNS=3)
#
# Makes one ledger of N deletion entries (as bench/ledger.sh does:
# ledgerbench, 1000 per transaction, then 2000 one per transaction) and
# verifies it RUNS times with each binary, alternating (before, after,
# before, after, …) so that both see about the same load. The binary under
# test is RETENTIOND_BIN or one built from this tree; BEFORE_BIN, if set,
# is the binary to compare it with. LEDGER_DB, if set, is a database made
# by an earlier run to verify instead (its keys/ beside it); it is kept.
# Each run prints its seconds, CPU seconds (user+sys), peak RSS and the
# 1-minute load before it; the last line is the figures' ranges over the
# runs (min-max), per side, and the medians' ratio after/before.
set -euo pipefail
N=${1:-1000000}
RUNS=${2:-3}
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib/build.sh
. "$HERE/bench/lib/build.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-ledger-verify.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export PATH="/usr/local/go/bin:$PATH"

echo "building in $WORK" >&2
bench_retentiond "$WORK"
bench_needs "ledger verify" --key
if [ -n "${BEFORE_BIN:-}" ]; then
	[ -x "$BEFORE_BIN" ] || { echo "BEFORE_BIN=$BEFORE_BIN is not an executable file" >&2; exit 1; }
	cp "$BEFORE_BIN" "$WORK/retentiond.before"
fi
if [ -n "${LEDGER_DB:-}" ]; then
	DB=$LEDGER_DB
	KEY=$(dirname "$LEDGER_DB")/keys/ledger.key.pub
else
	bench_tools "$WORK" ledgerbench
	DB=$WORK/ledger.db
	KEY=$WORK/keys/ledger.key.pub
	LB=("$WORK/ledgerbench" -db "$DB" -key "$WORK/keys/ledger.key" -refs "$WORK/keys/references.key")
	"${LB[@]}" -n "$N" -per-tx 1000 >&2
	"${LB[@]}" -n 2000 -per-tx 1 >&2
fi

# verify SIDE BIN: one verification; appends "seconds cpu_seconds rss_kb load" to WORK/runs.SIDE
verify() {
	local load
	load=$(cut -d' ' -f1 /proc/loadavg)
	/usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$2" ledger verify --key "$KEY" "$DB" >"$WORK/out"
	grep -q ': OK$' "$WORK/out" || { cat "$WORK/out" >&2; return 1; }
	entries=$(grep -o '^  [0-9]* entries' "$WORK/out" | tr -dc 0-9)
	read -r s u sy kb <"$WORK/time"
	awk -v s="$s" -v u="$u" -v sy="$sy" -v kb="$kb" -v l="$load" 'BEGIN { printf "%s %.2f %s %s\n", s, u + sy, kb, l }' >>"$WORK/runs.$1"
	echo "$1: ${entries} entries in ${s}s (cpu $(tail -1 "$WORK/runs.$1" | cut -d' ' -f2)s), peak RSS ${kb} kB, load ${load}" >&2
}

: >"$WORK/runs.after"
for _ in $(seq "$RUNS"); do
	if [ -n "${BEFORE_BIN:-}" ]; then
		verify before "$WORK/retentiond.before"
	fi
	verify after "$WORK/retentiond"
done

# figures SIDE: "<side>_verify_per_s=min-max <side>_cpu_s=… <side>_peak_rss_mb=… <side>_load=…" and the medians
figures() {
	awk -v side="$1" -v n="$entries" '
		function range(a, k,   lo, hi, i) { lo = a[1]; hi = a[1]; for (i = 2; i <= k; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }; return lo "-" hi }
		function median(a, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }; return (k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2) }
		{ k++; rate[k] = int(n / $1); cpu[k] = $2; rss[k] = int($3 / 1024); load[k] = $4; secs[k] = $1 }
		END {
			printf "%s_verify_per_s=%s %s_cpu_s=%s %s_peak_rss_mb=%s %s_load=%s ", side, range(rate, k), side, range(cpu, k), side, range(rss, k), side, range(load, k)
			printf "%s %s %s\n", median(secs, k), median(cpu, k), median(rss, k) >"/dev/stderr"
		}' "$WORK/runs.$1"
}
line="entries=${entries} runs=${RUNS} "
line+=$(figures after 2>"$WORK/med.after")
if [ -n "${BEFORE_BIN:-}" ]; then
	line+=$(figures before 2>"$WORK/med.before")
	read -r bs bc br <"$WORK/med.before"
	read -r as ac ar <"$WORK/med.after"
	line+=$(awk -v bs="$bs" -v as="$as" -v bc="$bc" -v ac="$ac" -v br="$br" -v ar="$ar" 'BEGIN { printf "verify_s_after_vs_before=%.2f cpu_after_vs_before=%.2f rss_after_vs_before=%.2f", as / bs, ac / bc, ar / br }')
fi
echo "${line% }"
