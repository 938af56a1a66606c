#!/usr/bin/env bash
# Idle footprint of the daemon: `retentiond run` on the demo's
# configuration with nothing scheduled to run during the measurement,
# against a bare `sleep` started at the same moment.
#
#   bench/idle.sh [SECONDS]      (default 600: ten minutes)
#
# Prints the time from start to READY=1 (sd_notify, as systemd sees it,
# with metrics served), then after SECONDS the resident memory (RSS and
# its peak) and the CPU time each process used, and their ratios.
set -euo pipefail
SECONDS_IDLE=${1:-600}
HERE=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-idle.XXXXXX")
trap 'kill $PID $SLEEP 2>/dev/null || true; rm -rf "$WORK"' EXIT
export PATH="/usr/local/go/bin:$PATH"

(cd "$HERE" && go build -o "$WORK/retentiond" ./cmd/retentiond)
(cd "$WORK" && ./retentiond demo --dir demo >/dev/null)
CFG="$WORK/demo/retentiond.yaml"
# Nothing due while measuring: every schedule on the 1st of January.
sed -i -E 's/^(\s*schedule:).*/\1 "0 3 1 1 *"/' "$CFG"
printf 'metrics:\n  listen: "127.0.0.1:0"\n' >>"$CFG"
grep -q 'schedule: "0 3 1 1 \*"' "$CFG"

# A notify socket, read as systemd would.
SOCK="$WORK/notify"
python3 - "$SOCK" >"$WORK/ready" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    msg = s.recv(4096).decode()
    if msg.startswith("READY=1"):
        print(time.monotonic_ns(), flush=True)
        break
PY
LISTENER=$!
while [ ! -S "$SOCK" ]; do sleep 0.01; done

start=$(python3 -c 'import time; print(time.monotonic_ns())')
NOTIFY_SOCKET="$SOCK" "$WORK/retentiond" run --config "$CFG" 2>"$WORK/log" &
PID=$!
sleep $((SECONDS_IDLE * 2 + 60)) &
SLEEP=$!
wait $LISTENER
ready=$(cat "$WORK/ready")
echo "start_to_ready_ms $(( (ready - start) / 1000000 ))"

# utime+stime in clock ticks, fields 14 and 15 of /proc/PID/stat.
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
kb() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
cpu0=$(cpu $PID)
sleep "$SECONDS_IDLE"
tick=$(getconf CLK_TCK)
d_cpu=$(( $(cpu $PID) - cpu0 ))
s_cpu=$(cpu $SLEEP)
rss=$(kb $PID VmRSS); hwm=$(kb $PID VmHWM); srss=$(kb $SLEEP VmRSS)
echo "idle_seconds $SECONDS_IDLE"
echo "daemon_rss_kb $rss (peak $hwm)"
echo "sleep_rss_kb $srss"
awk -v a="$rss" -v b="$srss" 'BEGIN { printf "rss_vs_sleep %.1f\n", a / b }'
awk -v c="$d_cpu" -v t="$tick" -v s="$SECONDS_IDLE" 'BEGIN { printf "daemon_cpu_seconds %.2f (%.4f%% of one core)\n", c / t, 100 * c / t / s }'
awk -v c="$s_cpu" -v t="$tick" 'BEGIN { printf "sleep_cpu_seconds %.2f\n", c / t }'
if grep -q '"level":"error"' "$WORK/log"; then
	echo "the daemon logged errors:" >&2
	cat "$WORK/log" >&2
	exit 1
fi
