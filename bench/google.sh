#!/usr/bin/env bash
# Measure Gmail and Drive retention against the fake Google Workspace
# (connectors/google/googletest), served by bench/googlebench in a process
# of its own with LATENCY per request and Gmail's quotas (250 units a
# second per user, 1,200,000 a minute per project), through the retentiond
# binary: plan, approve every batch as an approver, execute.
#
#   bench/google.sh [N] [FILES]   (default 10000 messages and 2000 Drive
#                                  files, each over 20 users, read
#                                  20 at once: parallel_users 20)
#
# 0. First the connector alone (googlebench -connect: one listing, each
#    user's DeleteBatch calls, no binary, no database) on the Gmail data:
#    connector_wall_vs_quota_bound.
# 1. Gmail: N messages, all due under rule M2 of the shipped
#    configs/policies/mail.yaml (used unchanged).
#    requests_per_deleted_message: every HTTP request the fake answered
#    (token, directory, listing, metadata batches, re-checks, deletions,
#    verification) per message deleted; target 0.01.
#    wall_vs_quota_bound: plan + execute (approving sends no request and
#    is timed apart) against the least time the per-user (and project)
#    quotas allow for the quota units those requests cost (see
#    bench/googlebench); target 1.2.
# 2. Drive: FILES files under Kladder/, due under rule S4 of the shipped
#    configs/policies/fileshare.yaml (unchanged); the fake enforces Drive's
#    default quotas, 12,000 requests a minute per user and per project
#    (200 a second each).
#    drive_deletions_per_s: files deleted per second of `execute`;
#    drive_vs_quota_bound: that rate against the most the quotas allow for
#    execute's requests at their sustained rates (1 is the bound; the
#    project's 200 a second binds first).
# The last line has every figure, name=value, and the load before and
# after. LATENCY (default 50ms) sets the fake's latency per request.
# RETENTIOND_BIN: use this retentiond binary instead of building one; one
# without `kind: google` stops the bench with exit 3 (bench_needs).
set -euo pipefail
N=${1:-10000}
FILES=${2:-2000}
LATENCY=${LATENCY:-50ms}
USERS=20
HERE=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-google-bench.XXXXXX")
SERVER=""
stop_server() {
	[ -n "$SERVER" ] || return 0
	kill "$SERVER" 2>/dev/null || true
	wait "$SERVER" 2>/dev/null || true
	SERVER=""
}
trap 'stop_server; rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export PATH="/usr/local/go/bin:$PATH"
load_before=$(cut -d' ' -f1 /proc/loadavg)

# shellcheck source=bench/lib/build.sh
. "$HERE/bench/lib/build.sh"
bench_retentiond "$WORK"
bench_tools "$WORK" googlebench
bench_needs plan
bench_needs "batches approve"
bench_needs execute

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# product NAME POLICY FAKE-FLAGS...: serves the fake with FAKE-FLAGS,
# plans, approves every batch, executes; sets plan_s, approve_s,
# execute_s, wall_s (plan + execute) and server (the fake's figures line).
product() {
	local name=$1 policy=$2 dir="$WORK/$1"
	shift 2
	mkdir -p "$dir/policies"
	"$WORK/googlebench" -serve "$dir" -users "$USERS" -latency "$LATENCY" "$@" >"$dir/server.out" &
	SERVER=$!
	while [ ! -f "$dir/source.yaml" ]; do
		kill -0 "$SERVER" 2>/dev/null || { echo "the fake Google did not start" >&2; exit 1; }
		sleep 0.1
	done
	cp "$HERE/configs/policies/$policy" "$dir/policies/"
	{
		cat <<CONFIG
version: 1
timezone: Europe/Copenhagen
database: retentiond.db
keys: {signing: keys/ledger.key, references: keys/references.key}
ledger: {origin: bench.retentiond.invalid/ledger}
policies: [policies/$policy]
cli: {trust_as: true}
people:
  - {id: anna, roles: [approver], groups: [leaders]}
  - {id: bo, roles: [approver], groups: [dpo]}
  - {id: it, roles: [operator]}
sources:
CONFIG
		cat "$dir/source.yaml"
	} >"$dir/retentiond.yaml"
	local rd="$WORK/retentiond" cfg="$dir/retentiond.yaml" t0 t1 t2 t3 b
	t0=$(now)
	if ! "$rd" plan --config "$cfg" --as it >"$dir/plan.out" 2>"$dir/plan.err"; then
		if grep -q 'is not a connector kind' "$dir/plan.err"; then
			echo "bench/google.sh needs \`kind: google\`, which this retentiond (${RETENTIOND_BIN:-built from this tree}) lacks: build one from a newer commit" >&2
			exit 3
		fi
		cat "$dir/plan.err" >&2
		exit 1
	fi
	t1=$(now)
	for b in $("$rd" batches list --config "$cfg" | awk 'NR > 1 { print $1 }'); do
		"$rd" batches approve "$b" --config "$cfg" --as anna >>"$dir/approve.out"
	done
	rm -f "$dir/mark"
	kill -USR1 "$SERVER"
	while [ ! -f "$dir/mark" ]; do sleep 0.05; done
	t2=$(now)
	"$rd" execute --config "$cfg" --as it >"$dir/exec.out"
	t3=$(now)
	stop_server
	plan_s=$(secs "$t0" "$t1")
	approve_s=$(secs "$t1" "$t2")
	execute_s=$(secs "$t2" "$t3")
	wall_s=$(awk -v p="$plan_s" -v e="$execute_s" 'BEGIN { printf "%.2f", p + e }')
	server=$(tail -1 "$dir/server.out")
	echo "$name: plan ${plan_s}s, approve ${approve_s}s, execute ${execute_s}s; fake: $server" >&2
	grep ' routes: ' "$dir/server.out" >&2 || true
}

# field NAME: the value of NAME= in $server.
field() { tr ' ' '\n' <<<"$server" | sed -n "s/^$1=//p"; }

echo "== the connector alone: $N messages over $USERS users, $LATENCY a request" >&2
mkdir -p "$WORK/connector"
"$WORK/googlebench" -serve "$WORK/connector" -users "$USERS" -latency "$LATENCY" -messages "$N" >"$WORK/connector/server.out" &
SERVER=$!
while [ ! -f "$WORK/connector/source.yaml" ]; do
	kill -0 "$SERVER" 2>/dev/null || { echo "the fake Google did not start" >&2; exit 1; }
	sleep 0.1
done
connector=$("$WORK/googlebench" -connect "$WORK/connector")
stop_server
server=$(tail -1 "$WORK/connector/server.out")
echo "$connector; fake: $server" >&2
connector_ratio=$(tr ' ' '\n' <<<"$connector" | sed -n 's/^connector_wall_s=//p' |
	awk -v b="$(field quota_bound_s)" -v r="$(field requests)" -v n="$N" '{ printf "connector_wall_vs_quota_bound=%.2f connector_requests_per_deleted_message=%.4f connector_wall_s=%s", (b > 0 ? $1 / b : 0), r / n, $1 }')
echo "$connector_ratio"

echo "== Gmail: $N messages over $USERS users, $LATENCY a request" >&2
product gmail mail.yaml -messages "$N"
if [ "$(field messages_left)" != 0 ]; then
	echo "execute left $(field messages_left) of $N messages:" >&2
	cat "$WORK/gmail/plan.out" "$WORK/gmail/exec.out" >&2
	exit 1
fi
gmail="messages=$N gmail_plan_s=$plan_s gmail_approve_s=$approve_s gmail_execute_s=$execute_s gmail_wall_s=$wall_s gmail_requests=$(field requests) gmail_api_requests=$(field gmail_requests) gmail_execute_requests=$(field phase_requests) gmail_token_requests=$(field token_requests) gmail_throttled=$(field throttled) gmail_units=$(field gmail_units) gmail_quota_bound_s=$(field quota_bound_s) gmail_sustained_bound_s=$(field sustained_bound_s)"
gmail_ratios=$(awk -v r="$(field requests)" -v n="$N" -v w="$wall_s" -v b="$(field quota_bound_s)" \
	'BEGIN { printf "requests_per_deleted_message=%.4f wall_vs_quota_bound=%.2f", r / n, (b > 0 ? w / b : 0) }')
echo "$gmail_ratios $gmail"

echo "== Drive: $FILES files over $USERS users, $LATENCY a request" >&2
product drive fileshare.yaml -messages 0 -files "$FILES" -user-units 200 -project-units 200
if [ "$(field files_left)" != 0 ]; then
	echo "execute left $(field files_left) of $FILES files:" >&2
	cat "$WORK/drive/plan.out" "$WORK/drive/exec.out" >&2
	exit 1
fi
drive="files=$FILES drive_plan_s=$plan_s drive_approve_s=$approve_s drive_execute_s=$execute_s drive_requests=$(field requests) drive_execute_requests=$(field phase_requests) drive_execute_drive_requests=$(field phase_drive_requests) drive_throttled=$(field throttled) drive_execute_user_bound_s=$(field phase_sustained_bound_s)"
drive_ratios=$(awk -v n="$FILES" -v e="$execute_s" -v b="$(field phase_sustained_bound_s)" -v r="$(field requests)" \
	'BEGIN { printf "drive_deletions_per_s=%.1f drive_vs_quota_bound=%.2f requests_per_deleted_file=%.2f", n / e, b / e, r / n }')
echo "$drive_ratios $drive"

echo "$gmail_ratios $drive_ratios $connector_ratio $gmail $drive latency=$LATENCY load_before=$load_before load_after=$(cut -d' ' -f1 /proc/loadavg)"
