#!/bin/bash
# Policy spread and idle cost with N real agents on loopback (default 50).
#
#   bench/policy/run.sh [N] [BUNDLE_BYTES]      default: 50 1000000
#   PROFILE=lan bench/policy/run.sh             timing profile (local)
#   IDLE_S=20 bench/policy/run.sh               idle sample length
#
# 1. N agents, each with its own --root, join n1 and see N alive members.
# 2. A recipe dir with a random BUNDLE_BYTES file and a site.lua managing
#    /etc/motd is published on n1, three times in a row (serials 1-3):
#    each time we measure from the start of `tlaloc publish` until every
#    root's /etc/motd holds that serial's text (a Python poller reads the
#    N files every 5 ms), i.e. fetched, verified, stored and converged.
# 3. Idle: after 10 s of quiet, CPU (utime+stime from /proc) over IDLE_S
#    seconds and RSS of every agent; mean and max.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=${TLALOC:-$ROOT/${TLALOC_BUILD:-build}/tlaloc}
N=${1:-50}
BYTES=${2:-1000000}
PROFILE=${PROFILE:-local}
IDLE_S=${IDLE_S:-20}
BASE=$((10000 + $(od -An -N2 -tu2 /dev/urandom) % 200 * 100))	# below the ephemeral range
. "$ROOT/bench/lib.sh"

$T keys gen --out "$WORK/keyring"
mkdir -p "$WORK/op" "$WORK/recipe/files"
$T keys operator gen --out "$WORK/op" >/dev/null
head -c "$BYTES" /dev/urandom > "$WORK/recipe/files/blob"

for i in $(seq 1 "$N"); do
	mkdir -p "$WORK/root$i/etc"
	$T agent --name "n$i" --bind "127.0.0.1:$((BASE + i))" \
	    --keyring "$WORK/keyring" --state-dir "$WORK/s$i" \
	    --profile "$PROFILE" --trust "$WORK/op/operator.pub" \
	    --root "$WORK/root$i" --join "127.0.0.1:$((BASE + 1))" \
	    --log-level notice > "$WORK/n$i.log" 2>&1 &
	PIDS="$PIDS $!"
done

t0=$(date +%s.%N)
for i in $(seq 1 "$N"); do
	until [ "$($T members --state-dir "$WORK/s$i" --status alive \
	    2>/dev/null | wc -l)" -ge "$N" ]; do sleep 0.2; done
done
printf "membership: %d agents see %d alive in %.1f s\n" "$N" "$N" \
    "$(echo "$(date +%s.%N) - $t0" | bc)"

# publish SERIAL: prints seconds until every root has converged it.
publish() {
	printf 'file { path = "/etc/motd", content = "serial %s\\n" }\n' \
	    "$1" > "$WORK/recipe/site.lua"
	python3 - "$WORK" "$N" "$1" "$T" <<'EOF'
import os, subprocess, sys, time
work, n, serial, t = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
want = ("serial %s\n" % serial).encode()
paths = ["%s/root%d/etc/motd" % (work, i) for i in range(1, n + 1)]
start = time.monotonic()
subprocess.run([t, "publish", work + "/recipe", "--key",
                work + "/op/operator.key", "--state-dir", work + "/s1"],
               check=True, stdout=subprocess.DEVNULL)
published = time.monotonic() - start
left = set(paths)
last = {}
while left and time.monotonic() - start < 60:
    for p in list(left):
        try:
            if open(p, "rb").read() == want:
                left.discard(p)
                last[p] = time.monotonic() - start
        except OSError:
            pass
    time.sleep(0.005)
if left:
    print("serial %s: %d of %d never converged" % (serial, len(left), n))
    sys.exit(1)
times = sorted(last.values())
print("serial %s: publish %.2f s; half converged %.2f s; all %d converged "
      "%.2f s" % (serial, published, times[len(times) // 2], n, times[-1]))
EOF
}

for s in 1 2 3; do publish "$s" || exit 1; sleep 2; done

sleep 10
python3 - "$IDLE_S" $PIDS <<'EOF'
import os, sys, time
span = float(sys.argv[1]); pids = sys.argv[2:]
hz = os.sysconf("SC_CLK_TCK")
def cpu(p):
    f = open("/proc/%s/stat" % p).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
def rss(p):
    for l in open("/proc/%s/status" % p):
        if l.startswith("VmRSS:"):
            return int(l.split()[1])
a = {p: cpu(p) for p in pids}
time.sleep(span)
use = [(cpu(p) - a[p]) / hz / span * 100 for p in pids]
mem = [rss(p) for p in pids]
print("idle over %.0f s: CPU per agent mean %.2f%% max %.2f%% of a core; "
      "RSS mean %.1f MB max %.1f MB" % (span, sum(use) / len(use), max(use),
      sum(mem) / len(mem) / 1024, max(mem) / 1024))
EOF
