#!/usr/bin/env bash
# Idle footprint of the daemon: `retentiond run` on the demo's
# configuration with nothing scheduled to run during the measurement,
# against a bare `sleep` started at the same moment.
#
#   bench/idle.sh [SECONDS]      (default 600: ten minutes)
#
# Prints the time from start to READY=1 (sd_notify, as systemd sees it,
# with metrics served), then after SECONDS the resident memory (RSS and
# its peak) and the CPU time each process used, and their ratios; the last
# line has them all, name=value.
# RETENTIOND_BIN: use this retentiond binary instead of building one.
set -euo pipefail
SECONDS_IDLE=${1:-600}
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib/build.sh
. "$HERE/bench/lib/build.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-idle.XXXXXX")
PID='' SLEEP='' LISTENER=''
trap 'kill $PID $SLEEP $LISTENER 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export PATH="/usr/local/go/bin:$PATH"

bench_retentiond "$WORK"
bench_needs demo --dir
bench_needs run
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
# Wait for READY=1, but not for ever: a daemon that exits or never gets
# ready ends the run.
for _ in $(seq 600); do
	kill -0 $LISTENER 2>/dev/null || break
	kill -0 $PID 2>/dev/null || { echo "retentiond run exited before READY=1:" >&2; cat "$WORK/log" >&2; exit 1; }
	sleep 0.1
done
kill -0 $LISTENER 2>/dev/null && { echo "no READY=1 within 60 s:" >&2; cat "$WORK/log" >&2; exit 1; }
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
awk -v ms="$(( (ready - start) / 1000000 ))" -v s="$SECONDS_IDLE" -v r="$rss" -v h="$hwm" -v sr="$srss" -v c="$d_cpu" -v sc="$s_cpu" -v t="$tick" 'BEGIN {
	printf "start_to_ready_ms=%d idle_seconds=%d daemon_rss_kb=%d daemon_peak_rss_kb=%d sleep_rss_kb=%d rss_vs_sleep=%.1f daemon_cpu_seconds=%.2f daemon_cpu_pct=%.4f sleep_cpu_seconds=%.2f\n", ms, s, r, h, sr, r / sr, c / t, 100 * c / t / s, sc / t }'
