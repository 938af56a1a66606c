#!/usr/bin/env bash
# Measure the ledger: append, verify and export, in one run.
#
#   bench/ledger.sh [N]       (default N=1000000)
#
# Appends N realistic deletion entries (1000 per transaction, synchronous=FULL),
# then 2000 entries one per transaction, verifies the database with
# `retentiond ledger verify`, exports it with `retentiond ledger export` and
# verifies the bundle offline. The baseline, measured in the same run, is
# sha256sum over the exported entries.jsonl: hashing the same bytes once.
# Peak RSS is per phase (/usr/bin/time). The last line is machine-readable:
# the rates, then entries, the phases' seconds and peak RSS (MB).
# RETENTIOND_BIN: use this retentiond binary instead of building one.
set -euo pipefail
N=${1:-1000000}
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib/build.sh
. "$HERE/bench/lib/build.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-ledger-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export PATH="/usr/local/go/bin:$PATH"

echo "building in $WORK" >&2
bench_retentiond "$WORK"
bench_needs "ledger verify" --key
bench_needs "ledger export" --out
bench_tools "$WORK" ledgerbench
mkdir -p "$WORK/share" "$WORK/policies"
cat >"$WORK/policies/bench.yaml" <<'YAML'
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
YAML
cat >"$WORK/retentiond.yaml" <<'YAML'
version: 1
database: ledger.db
keys: {signing: keys/ledger.key, references: keys/references.key}
ledger: {origin: bench.invalid/ledger}
policies: [policies/bench.yaml]
cli: {trust_as: true}
people:
  - {id: anna, roles: [approver], groups: [leaders]}
  - {id: it, roles: [operator]}
sources:
  - {name: share, kind: fileshare, options: {root: share}}
YAML
LB=("$WORK/ledgerbench" -db "$WORK/ledger.db" -key "$WORK/keys/ledger.key" -refs "$WORK/keys/references.key")
RD="$WORK/retentiond --config $WORK/retentiond.yaml"

# measure CMD...: runs CMD, keeps its output in $WORK/out, prints "seconds max_rss_kb"
measure() {
	/usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$WORK/out"
	cat "$WORK/time"
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%d", (s > 0 ? n / s : 0) }'; }

phase_append_batched() {
	read -r s kb < <(measure "${LB[@]}" -n "$N" -per-tx 1000)
	cat "$WORK/out" >&2
	append_batched_per_s=$(grep -o '[0-9]* entries/s' "$WORK/out" | cut -d' ' -f1)
	append_kb=$kb
	append_s=$s
}

phase_append_single() {
	read -r s kb < <(measure "${LB[@]}" -n 2000 -per-tx 1)
	cat "$WORK/out" >&2
	append_single_per_s=$(grep -o '[0-9]* entries/s' "$WORK/out" | cut -d' ' -f1)
}

phase_verify_db() {
	read -r s kb < <(measure $RD ledger verify --key "$WORK/keys/ledger.key.pub" "$WORK/ledger.db")
	entries=$(grep -o '^  [0-9]* entries' "$WORK/out" | tr -dc 0-9)
	echo "verify database: ${entries} entries in ${s}s, peak RSS ${kb} kB" >&2
	verify_per_s=$(rate "$entries" "$s")
	verify_kb=$kb
	verify_s=$s
}

phase_export() {
	read -r s kb < <(measure $RD ledger export --out "$WORK/bundle")
	echo "export: ${s}s, peak RSS ${kb} kB" >&2
	export_s=$s
	export_kb=$kb
}

phase_verify_bundle() {
	read -r s kb < <(measure $RD ledger verify --key "$WORK/keys/ledger.key.pub" "$WORK/bundle")
	read -r base _ < <(measure sha256sum "$WORK/bundle/entries.jsonl")
	echo "verify bundle: ${s}s (sha256sum of entries.jsonl: ${base}s), peak RSS ${kb} kB" >&2
	verify_bundle_per_s=$(rate "$entries" "$s")
	verify_bundle_vs_sha256sum=$(awk -v a="$s" -v b="$base" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
	verify_bundle_kb=$kb
}

phase_append_batched
phase_append_single
phase_verify_db
phase_export
phase_verify_bundle

echo "peak_rss_kb: append=${append_kb} verify=${verify_kb} export=${export_kb} verify_bundle=${verify_bundle_kb}"
echo "append_batched_per_s=${append_batched_per_s} append_single_per_s=${append_single_per_s} verify_per_s=${verify_per_s} verify_bundle_per_s=${verify_bundle_per_s} verify_bundle_vs_sha256sum=${verify_bundle_vs_sha256sum} export_$((N / 1000))k_s=${export_s} entries=${entries} append_s=${append_s} verify_s=${verify_s} export_s=${export_s} append_peak_rss_mb=$((append_kb / 1024)) verify_peak_rss_mb=$((verify_kb / 1024)) export_peak_rss_mb=$((export_kb / 1024)) verify_bundle_peak_rss_mb=$((verify_bundle_kb / 1024))"
