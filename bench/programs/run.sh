#!/bin/bash
# A program converging N real agents on loopback at once (default 50):
# how long the whole program takes against the slowest node's own work.
#
#   bench/programs/run.sh [N] [ROUNDS]          default: 50 3
#   PROFILE=lan bench/programs/run.sh           timing profile (local)
#
# Every node's recipe is one exec that sleeps 0.5 + (i mod 5) * 0.1 s, so
# the slowest node works 0.9 s. The program is
#     cluster.converge(cluster.members{})
# run with `tlaloc program` on n1; we time the whole command (start, ask
# N-1 nodes over signed requests, wait for every node's report: straight
# back from the node, or its gossiped runs tag when that comes first) and
# compare it with the slowest node's duration_ms from its own report.
# Each line also says how the results arrived and the load average.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=${TLALOC:-$ROOT/${TLALOC_BUILD:-build}/tlaloc}
N=${1:-50}
ROUNDS=${2:-3}
PROFILE=${PROFILE:-local}
BASE=$((10000 + $(od -An -N2 -tu2 /dev/urandom) % 200 * 100))
. "$ROOT/bench/lib.sh"

$T keys gen --out "$WORK/keyring"
mkdir -p "$WORK/op" "$WORK/recipe"
$T keys operator gen --out "$WORK/op" >/dev/null
cat > "$WORK/recipe/site.lua" <<'EOF2'
exec { name = "work", command = { "/bin/sh", "-c",
  'sleep "$(cat "$TLALOC_ROOT/work")"' }, host = true }
EOF2
for i in $(seq 1 "$N"); do
	mkdir -p "$WORK/root$i/etc"
	echo "0.$((5 + i % 5))" > "$WORK/root$i/work"
	$T agent --name "n$i" --bind "127.0.0.1:$((BASE + i))" \
	    --keyring "$WORK/keyring" --state-dir "$WORK/s$i" \
	    --profile "$PROFILE" --trust "$WORK/op/operator.pub" \
	    --root "$WORK/root$i" --join "127.0.0.1:$((BASE + 1))" \
	    --interval 0 --log-level notice > "$WORK/n$i.log" 2>&1 &
	PIDS="$PIDS $!"
done
until [ "$($T members --state-dir "$WORK/s1" --status alive 2>/dev/null |
    wc -l)" -ge "$N" ]; do sleep 0.2; done
$T publish "$WORK/recipe" --key "$WORK/op/operator.key" \
    --state-dir "$WORK/s1" >/dev/null
# Wait for the first converge everywhere (and its report).
until $T status --json --state-dir "$WORK/s1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if sum(n["run_serial"] == 1 for n in d["nodes"]) >= '"$N"' else 1)'
do sleep 0.5; done
sleep 2

echo 'return cluster.converge(cluster.members{})' > "$WORK/all.lua"
for r in $(seq 1 "$ROUNDS"); do
	t0=$(date +%s.%N)
	$T program "$WORK/all.lua" --json --key "$WORK/op/operator.key" \
	    --state-dir "$WORK/s1" > "$WORK/out.json" 2>/dev/null
	rc=$?
	t1=$(date +%s.%N)
	python3 - "$WORK/out.json" "$(echo "$t1 - $t0" | bc)" "$rc" \
	    "$(cut -d' ' -f1 /proc/loadavg)" <<'EOF2'
import collections, json, sys
d = json.load(open(sys.argv[1]))
total = float(sys.argv[2])
res = d["result"]
ok = sum(1 for r in res.values() if r.get("ok"))
slow = max(r.get("duration_ms", 0) for r in res.values()) / 1000
via = collections.Counter(r.get("via", "?") for r in res.values())
print("%d/%d nodes converged (exit %s): program %.2f s, slowest node's "
      "work %.2f s, ratio %.2f, overhead %.2f s; via %s; load %s"
      % (ok, len(res), sys.argv[3], total, slow, total / slow, total - slow,
         ", ".join("%s %d" % kv for kv in sorted(via.items())),
         sys.argv[4]))
EOF2
	sleep 1
done
