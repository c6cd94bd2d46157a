#!/bin/bash
# What the HTTP endpoint costs an agent (docs/http.md): N agents with
# --http and N without, in one cluster on loopback, idle for SECS seconds
# with nobody reading; per group the mean CPU (utime+stime from
# /proc/PID/stat over the window) and RSS (VmRSS at the end). Then the
# cost of being read: latency of /metrics, /v1/status and /v1/members on
# one agent (200 sequential requests each, median and p99). The peer, in
# the same window: Debian's prometheus-node-exporter, the exporter a
# Prometheus user runs on every host anyway, idle and then scraped.
#   bench/http/run.sh [N] [SECS]        (default 5 agents a group, 60 s)
set -u
N=${1:-5}
SECS=${2:-60}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=${TLALOC:-$ROOT/build/tlaloc}
W=$(mktemp -d "${TMPDIR:-/tmp}/tlaloc-bench-http.XXXXXX")
BASE=${BASE_PORT:-$((30000 + $(od -An -N2 -tu2 /dev/urandom) % 50 * 100))}
PIDS=""
trap 'for p in $PIDS; do kill -9 $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$W"' EXIT
$T keys gen --out "$W/keyring"
start() {	# start I [flags]
	i=$1; shift
	$T agent --name "n$i" --bind "127.0.0.1:$((BASE + i))" \
	    --keyring "$W/keyring" --state-dir "$W/n$i" --profile lan \
	    --join "127.0.0.1:$((BASE + 1))" --log-level warn "$@" \
	    >> "$W/n$i.log" 2>&1 &
	PIDS="$PIDS $!"
	eval "PID_$i=$!"
}
for i in $(seq 1 "$N"); do start "$i" --http "127.0.0.1:$((BASE + 50 + i))"; done
for i in $(seq $((N + 1)) $((2 * N))); do start "$i"; done
NE=""
if command -v prometheus-node-exporter >/dev/null; then
	prometheus-node-exporter --web.listen-address="127.0.0.1:$((BASE + 99))" \
	    > "$W/ne.log" 2>&1 &
	NE=$!
	PIDS="$PIDS $NE"
fi
sleep 10	# joined, first push-pulls done
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
declare -A t0
for i in $(seq 1 $((2 * N))); do eval "p=\$PID_$i"; t0[$i]=$(ticks "$p"); done
[ -n "$NE" ] && { PID_0=$NE; t0[0]=$(ticks "$NE"); }
sleep "$SECS"
hz=$(getconf CLK_TCK)
report() {	# report NAME FIRST LAST
	cpu=0 mem=0
	for i in $(seq "$2" "$3"); do
		eval "p=\$PID_$i"
		cpu=$((cpu + $(ticks "$p") - t0[$i]))
		mem=$((mem + $(rss "$p")))
	done
	n=$(($3 - $2 + 1))
	echo "$1 $(echo "scale=3; 100 * $cpu / $hz / $SECS / $n" | bc) $((mem / n))"
}
echo "# idle for ${SECS}s, $N agents a group, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
echo "# group cpu_percent_mean rss_kib_mean"
report http-on 1 "$N"
report http-off $((N + 1)) $((2 * N))
[ -n "$NE" ] && report node-exporter 0 0
python3 - "$((BASE + 51))" "$((BASE + 99))" <<'PYEOF'
import sys, time, urllib.request
port = int(sys.argv[1])
for path in ("/metrics", "/v1/status", "/v1/members", "node-exporter"):
    if path == "node-exporter":
        port, path = int(sys.argv[2]), "/metrics"
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port)
        except Exception:
            break
    ts = []
    size = 0
    for _ in range(200):
        t = time.perf_counter()
        size = len(urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path)).read())
        ts.append((time.perf_counter() - t) * 1000)
    ts.sort()
    print("# %-5d %-12s %6d bytes  median %.2f ms  p99 %.2f ms" % (
        port, path, size, ts[100], ts[197]))
PYEOF
