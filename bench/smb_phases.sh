#!/usr/bin/env bash
# The SMB figures of bench/smb.sh split into phases, several runs against one
# smbd (needs root, samba and smbclient).
#
#   bench/smb_phases.sh [N] [RUNS]     (default 20000 files, 3 runs)
#
# Starts smbd on a loopback port with the same configuration as bench/smb.sh
# and, in each run, builds fresh trees of N files and times
#   smbclient -c 'recurse; ls'   vs  the connector's List alone (bench/smbphases)
#   smbclient -c 'deltree ...'   vs  the connector's DeleteBatch alone, in slices of 256
# and, with FULL=1, also retentiond plan and approve + execute as bench/smb.sh
# does (RETENTIOND_BIN names a built binary; otherwise it is built, slowly).
# SMBPHASES_BASE names another build of bench/smbphases (e.g. of an earlier
# commit) to time in the same runs, on a tree of its own: base_conn_….
# PAIR=1 also deletes N files as two halves at once, each by its own
# bench/smbphases process (two sessions, so two smbd processes):
# pair_conn_delete_vs_smbclient.
# Each run prints one line with the load average and the ratios; the last
# line is the ranges over the runs:
#   conn_list_vs_smbclient=min-max conn_delete_vs_smbclient=min-max [smb_list_vs_smbclient=… smb_delete_vs_smbclient=…]
set -euo pipefail
N=${1:-20000}
RUNS=${2:-3}
FULL=${FULL:-0}
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib/smbd.sh
. "$HERE/bench/lib/smbd.sh"
# shellcheck source=bench/lib/fileshare.sh
. "$HERE/bench/lib/fileshare.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-smbphases.XXXXXX")
cleanup() {
	stop_smbd
	rm -rf "$WORK"
}
trap cleanup EXIT
export PATH="/usr/local/go/bin:/usr/sbin:$PATH"
[ "$(id -u)" -eq 0 ] || { echo "bench/smb_phases.sh needs root (smbd and its test user)" >&2; exit 1; }
command -v smbd >/dev/null && command -v smbclient >/dev/null || { echo "install samba and smbclient" >&2; exit 1; }

echo "building in $WORK" >&2
(cd "$HERE" && go build -o "$WORK/mktree" ./bench/mktree && go build -o "$WORK/smbphases" ./bench/smbphases)
RD_BIN=${RETENTIOND_BIN:-}
if [ "$FULL" = 1 ] && [ -z "$RD_BIN" ]; then
	(cd "$HERE" && go build -o "$WORK/retentiond" ./cmd/retentiond)
	RD_BIN="$WORK/retentiond"
fi
USER_=rdsmbphases
start_smbd "$WORK" "$USER_"
printf '%s\n' "$PASS" >"$WORK/smb.secret"
SMBC=(smbclient -p "$PORT" //127.0.0.1/share -U "$USER_%$PASS")
ROOT="smb://$USER_@127.0.0.1:$PORT/share"
secs() { # runs "$@", prints its wall seconds
	/usr/bin/time -f "%e" -o "$WORK/time" "$@" >"$WORK/out" 2>&1 || { cat "$WORK/out" >&2; return 1; }
	grep -i "error" "$WORK/out" | head -3 >&2 || true
	cat "$WORK/time"
}
smbd_cpu() { # CPU seconds smbd and its children (reaped or not) have used so far
	sleep 0.3
	local t=0 pid
	for pid in $(pgrep -g "$SMBD_PID"); do
		t=$((t + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
	done
	echo "scale=2; $t / $(getconf CLK_TCK)" | bc
}
field() { tr ' ' '\n' <"$WORK/out" | awk -F= -v k="$1" '$1 == k {print $2}'; }

fileshare_policy P0D ALL >"$WORK/policy.yaml"

: >"$WORK/ratios"
for run in $(seq "$RUNS"); do
	rm -rf "$WORK/share"/*
	"$WORK/mktree" -n "$N" -dir "$WORK/share/tree-client"
	"$WORK/mktree" -n "$N" -dir "$WORK/share/tree-conn"
	[ -z "${SMBPHASES_BASE:-}" ] || "$WORK/mktree" -n "$N" -dir "$WORK/share/tree-base"
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	c0=$(smbd_cpu)
	list_c=$(secs "${SMBC[@]}" -D tree-client -c 'recurse; ls')
	c1=$(smbd_cpu)
	secs "$WORK/smbphases" -root "$ROOT/tree-conn" -password-file "$WORK/smb.secret" -op list >/dev/null
	list_k=$(field list_s)
	c2=$(smbd_cpu)
	secs "$WORK/smbphases" -root "$ROOT/tree-conn" -password-file "$WORK/smb.secret" -op delete >/dev/null
	del_k=$(field delete_s)
	deleted_k=$(field deleted)
	c3=$(smbd_cpu)
	del_c=$(secs "${SMBC[@]}" -c 'deltree tree-client')
	c4=$(smbd_cpu)
	echo "smbd cpu s: smbclient list $(echo "$c1 - $c0" | bc) deltree $(echo "$c4 - $c3" | bc); connector list (with its listing before delete) $(echo "$c2 - $c1" | bc) list+delete $(echo "$c3 - $c2" | bc)" >&2
	left_c=$( (find "$WORK/share/tree-client" -type f 2>/dev/null || true) | wc -l)
	line="run=$run load=${load// /,} conn_list_vs_smbclient=$(echo "scale=3; $list_k / $list_c" | bc) conn_delete_vs_smbclient=$(echo "scale=3; $del_k / $del_c" | bc)"
	detail="smbclient list ${list_c}s deltree ${del_c}s ($left_c left); connector list ${list_k}s delete ${del_k}s ($deleted_k deleted)"
	if [ "${PAIR:-0}" = 1 ]; then
		"$WORK/mktree" -n $((N / 2)) -dir "$WORK/share/tree-p1"
		"$WORK/mktree" -n $((N - N / 2)) -dir "$WORK/share/tree-p2"
		p0=$(smbd_cpu)
		start=$(date +%s.%N)
		"$WORK/smbphases" -root "$ROOT/tree-p1" -password-file "$WORK/smb.secret" -op delete >"$WORK/p1" 2>&1 &
		p1=$!
		"$WORK/smbphases" -root "$ROOT/tree-p2" -password-file "$WORK/smb.secret" -op delete >"$WORK/p2" 2>&1
		wait "$p1"
		del_p=$(echo "$(date +%s.%N) - $start" | bc)
		p2=$(smbd_cpu)
		line="$line pair_conn_delete_vs_smbclient=$(echo "scale=3; $del_p / $del_c" | bc)"
		detail="$detail; two sessions (each listing its half first) ${del_p}s, smbd cpu $(echo "$p2 - $p0" | bc) ($(cat "$WORK/p1" "$WORK/p2" | tr ' ' '\n' | awk -F= '$1 == "deleted" {s += $2} END {print s}') deleted)"
	fi
	if [ -n "${SMBPHASES_BASE:-}" ]; then
		b0=$(smbd_cpu)
		secs "$SMBPHASES_BASE" -root "$ROOT/tree-base" -password-file "$WORK/smb.secret" -op list >/dev/null
		list_b=$(field list_s)
		b1=$(smbd_cpu)
		secs "$SMBPHASES_BASE" -root "$ROOT/tree-base" -password-file "$WORK/smb.secret" -op delete >/dev/null
		del_b=$(field delete_s)
		b2=$(smbd_cpu)
		line="$line base_conn_list_vs_smbclient=$(echo "scale=3; $list_b / $list_c" | bc) base_conn_delete_vs_smbclient=$(echo "scale=3; $del_b / $del_c" | bc)"
		detail="$detail; base connector list ${list_b}s delete ${del_b}s ($(field deleted) deleted; smbd cpu list $(echo "$b1 - $b0" | bc) list+delete $(echo "$b2 - $b1" | bc))"
	fi
	if [ "$FULL" = 1 ]; then
		"$WORK/mktree" -n "$N" -dir "$WORK/share/tree-rd"
		"$WORK/mktree" -n "$N" -dir "$WORK/share/tree-client"
		RDW="$WORK/rd$run"
		mkdir -p "$RDW"
		cp "$WORK/policy.yaml" "$WORK/smb.secret" "$RDW/"
		cat >"$RDW/retentiond.yaml" <<YAML
version: 1
ledger: {origin: bench.invalid/ledger}
policies: [policy.yaml]
cli: {trust_as: true}
people:
  - {id: anna, roles: [approver], groups: [leaders]}
  - {id: it, roles: [operator]}
sources:
  - {name: share, kind: fileshare, options: {root: "$ROOT/tree-rd", password_file: smb.secret}}
YAML
		RD="$RD_BIN --config $RDW/retentiond.yaml"
		list_c2=$(secs "${SMBC[@]}" -D tree-client -c 'recurse; ls')
		list_r=$(secs $RD plan --examples 0)
		batch=$($RD batches list | awk 'NR==2 {print $1}')
		start=$(date +%s.%N)
		$RD batches approve "$batch" --as anna >/dev/null
		$RD execute --as it >/dev/null
		del_r=$(echo "$(date +%s.%N) - $start" | bc)
		del_c2=$(secs "${SMBC[@]}" -c 'deltree tree-client')
		left_r=$(find "$WORK/share/tree-rd" -type f | wc -l)
		line="$line smb_list_vs_smbclient=$(echo "scale=3; $list_r / $list_c2" | bc) smb_delete_vs_smbclient=$(echo "scale=3; $del_r / $del_c2" | bc)"
		detail="$detail; smbclient list ${list_c2}s deltree ${del_c2}s; retentiond plan ${list_r}s approve+execute ${del_r}s ($left_r left)"
	fi
	echo "$detail" >&2
	echo "$line load_after=$(cut -d' ' -f1 /proc/loadavg)"
	echo "$line" >>"$WORK/ratios"
done
awk -v n="$N" -v runs="$RUNS" '{
	for (i = 1; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] ~ /_vs_/) {
			k = kv[1]; v = kv[2] + 0
			if (!(k in lo) || v < lo[k]) lo[k] = v
			if (!(k in hi) || v > hi[k]) hi[k] = v
			if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
		}
	}
} END {
	printf "files=%d runs=%d", n, runs
	for (i = 1; i <= nk; i++) printf " %s=%.2f-%.2f", order[i], lo[order[i]], hi[order[i]]
	printf "\n"
}' "$WORK/ratios"
