# shellcheck shell=bash
# The fake Graph and the configuration of the mailbox benches
# (bench/graph.sh, bench/graph_scale.sh), sourced by them.
#
#   graph_serve GRAPHBENCH DIR N LATENCY
#                 starts the fake Graph (bench/graphbench -serve) in a
#                 process of its own with N messages over GRAPH_MAILBOXES (20) mailboxes and
#                 LATENCY per request, its counters in DIR/server.out, and
#                 waits for the source it writes (DIR/source.yaml); sets
#                 SERVER
#   graph_config DIR
#                 writes DIR/policies/mail.yaml (rule M2: every message
#                 older than 3 years, no approval) and DIR/retentiond.yaml
#                 with that source
#   graph_stop    stops the fake Graph (its counters are then in server.out)

SERVER=""
GRAPH_MAILBOXES=20 # mailboxes the fake serves

graph_serve() {
	local bin=$1 dir=$2 n=$3 latency=$4
	mkdir -p "$dir"
	"$bin" -serve "$dir" -n "$n" -mailboxes "$GRAPH_MAILBOXES" -latency "$latency" >"$dir/server.out" &
	SERVER=$!
	while [ ! -f "$dir/source.yaml" ]; do
		kill -0 "$SERVER" 2>/dev/null || { echo "fake Graph did not start" >&2; return 1; }
		sleep 0.1
	done
}

graph_config() {
	local dir=$1
	mkdir -p "$dir/policies"
	cat >"$dir/policies/mail.yaml" <<'POLICY'
version: 1
id: bench
rules:
  - id: M2
    title: All mail
    type: delete_after
    kinds: [message]
    from: item.received
    keep: P3Y
    approval: none
    # Without this the first batch of a rule that needs no approval waits
    # for `batches confirm`; the benchmark times plan and execute alone.
    guard: {max_growth: 0}
POLICY
	{
		cat <<'CONFIG'
version: 1
timezone: Europe/Copenhagen
database: retentiond.db
keys: {signing: keys/ledger.key, references: keys/references.key}
ledger: {origin: bench.retentiond.invalid/ledger}
policies: [policies/mail.yaml]
cli: {trust_as: true}
people:
  - {id: it, roles: [operator]}
sources:
CONFIG
		cat "$dir/source.yaml"
	} >"$dir/retentiond.yaml"
}

graph_stop() {
	[ -n "$SERVER" ] || return 0
	kill "$SERVER" 2>/dev/null || true
	wait "$SERVER" 2>/dev/null || true
	SERVER=""
}
