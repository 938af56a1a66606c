#!/usr/bin/env bash
# Measure the Microsoft 365 mailbox connector against the fake Graph
# (connectors/m365/graphtest): 50 ms per request, at most 4 concurrent
# requests per mailbox, 10,000 messages over 20 mailboxes listed and
# deleted with permanentDelete. Prints requests per deleted message and
# wall time against the throttle bound (see bench/graphbench), for all
# targets in one DeleteBatch call and for the executor's chunks of 2048,
# then peak RSS at 10k and 200k messages (5 ms latency; the process
# includes the fake server's own store of the messages).
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-graph-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export PATH="/usr/local/go/bin:$PATH"
(cd "$HERE" && go build -o "$WORK/graphbench" ./bench/graphbench)

echo "== one DeleteBatch call"
"$WORK/graphbench" -n 10000 -mailboxes 20 -latency 50ms
echo "== executor chunks of 2048"
"$WORK/graphbench" -n 10000 -mailboxes 20 -latency 50ms -chunk 2048
rss() {
	/usr/bin/time -f '%M' "$WORK/graphbench" -n "$1" -mailboxes 20 -latency 5ms -chunk 2048 2>"$WORK/rss" >/dev/null
	tail -1 "$WORK/rss"
}
r10=$(rss 10000)
r200=$(rss 200000)
echo "peak_rss_10k_mb=$((r10 / 1024)) peak_rss_200k_mb=$((r200 / 1024))"
