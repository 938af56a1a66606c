#!/usr/bin/env bash
# List and delete N files on an SMB share through retentiond, against
# smbclient on the same server in the same run (needs root and samba).
#
#   bench/smb.sh [N]       (default 100000)
#
# Starts smbd on a loopback port with a throwaway configuration and user,
# builds two identical trees of N files in its share, then times
#   smbclient -c 'recurse; ls'            vs  retentiond plan (smb:// root)
#   smbclient -c 'deltree ...'            vs  retentiond batches approve + execute (ledger included)
# and prints, as its last line,
#   files=… smb_list_vs_smbclient=… smb_delete_vs_smbclient=… (target <= 1.0)
#   smbclient_list_s=… plan_s=… smbclient_delete_s=… execute_s=… plan_peak_rss_mb=…
#
# smbd runs in a session and process group of its own (setsid) with its
# standard streams away from ours, and the whole group is killed on exit,
# failure or Ctrl-C: its children (smbd-notifyd, cleanupd, one per client)
# never keep this script's output open, and smbd's own shutdown, which
# signals its process group, never reaches this script.
# RETENTIOND_BIN: use this retentiond binary instead of building one.
set -euo pipefail
N=${1:-100000}
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib/build.sh
. "$HERE/bench/lib/build.sh"
# shellcheck source=bench/lib/smbd.sh
. "$HERE/bench/lib/smbd.sh"
# shellcheck source=bench/lib/fileshare.sh
. "$HERE/bench/lib/fileshare.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-bench.XXXXXX")
cleanup() { stop_smbd; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export PATH="/usr/local/go/bin:/usr/sbin:$PATH"
[ "$(id -u)" -eq 0 ] || { echo "bench/smb.sh needs root (smbd and its test user)" >&2; exit 1; }
command -v smbd >/dev/null && command -v smbclient >/dev/null || { echo "install samba and smbclient" >&2; exit 1; }

echo "building in $WORK" >&2
bench_retentiond "$WORK"
bench_needs plan --examples
bench_needs "batches list"
bench_needs "batches approve" --as
bench_needs execute --as
bench_tools "$WORK" mktree
USER_=rdsmbbench
start_smbd "$WORK" "$USER_"

"$WORK/mktree" -n "$N" -dir "$WORK/share/tree-client"
"$WORK/mktree" -n "$N" -dir "$WORK/share/tree-rd"
printf '%s\n' "$PASS" >"$WORK/smb.secret"
fileshare_policy P0D ALL >"$WORK/policy.yaml"
cat >"$WORK/retentiond.yaml" <<YAML
version: 1
ledger: {origin: bench.invalid/ledger}
policies: [policy.yaml]
cli: {trust_as: true}
people:
  - {id: anna, roles: [approver], groups: [leaders]}
  - {id: it, roles: [operator]}
sources:
  - {name: share, kind: fileshare, options: {root: "smb://$USER_@127.0.0.1:$PORT/share/tree-rd", password_file: smb.secret}}
YAML
RD="$WORK/retentiond --config $WORK/retentiond.yaml"
SMBC=(smbclient -p "$PORT" //127.0.0.1/share -U "$USER_%$PASS")
measure() { # prints "seconds"
	/usr/bin/time -f "%e" -o "$WORK/time" "$@" >/dev/null 2>&1
	cat "$WORK/time"
}
list_c=$(measure "${SMBC[@]}" -D tree-client -c 'recurse; ls')
/usr/bin/time -f "%e %M" -o "$WORK/time.plan" $RD plan --examples 0 >/dev/null 2>&1
read -r list_r plan_kb <"$WORK/time.plan"
listed=$("${SMBC[@]}" -D tree-client -c 'recurse; ls' 2>/dev/null | grep -c 'file[0-9]*\.dat' || true)
batch=$($RD batches list | awk 'NR==2 {print $1}')
# Both trees on disk before either side deletes (see bench/fileshare.sh:
# a file not yet written back is removed without freeing a block).
sync
start=$(date +%s.%N)
$RD batches approve "$batch" --as anna >/dev/null
$RD execute --as it >/dev/null
del_r=$(echo "$(date +%s.%N) - $start" | bc)
del_c=$(measure "${SMBC[@]}" -c 'deltree tree-client')
left_r=$(find "$WORK/share/tree-rd" -type f | wc -l)
left_c=$( (find "$WORK/share/tree-client" -type f 2>/dev/null || true) | wc -l)
echo "smbclient: listed $listed in ${list_c}s, deleted in ${del_c}s ($left_c left); retentiond: planned in ${list_r}s, approved+executed in ${del_r}s ($left_r left)" >&2
stop_smbd
if [ "$left_r" != 0 ] || [ "$left_c" != 0 ]; then
	echo "MISMATCH: files left after deleting: retentiond $left_r, smbclient $left_c" >&2
	exit 1
fi
awk -v lc="$list_c" -v lr="$list_r" -v dc="$del_c" -v dr="$del_r" -v n="$N" -v pk="$plan_kb" 'BEGIN {
	lc = (lc > 0.01 ? lc : 0.01); dc = (dc > 0.01 ? dc : 0.01)
	printf "files=%d smb_list_vs_smbclient=%.2f smb_delete_vs_smbclient=%.2f smbclient_list_s=%.2f plan_s=%.2f smbclient_delete_s=%.2f execute_s=%.2f plan_peak_rss_mb=%d\n", n, lr / lc, dr / dc, lc, lr, dc, dr, pk / 1024 }'
