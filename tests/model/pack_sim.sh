#!/bin/sh
# The pack machine in tlaloc-sim (docs/simulator.md, "Packs"):
#  1. 1,000 seeded chaos schedules (crashes, restarts, partitions, loss
#     bursts, delay spikes, step-downs, clock drift at the bound) with no
#     two leases at once and no two leaders in one term at any step, and a
#     leader every time once everyone is back and connected; over 10^6
#     checked steps in all;
#  2. the checker is not blind: clocks drifting far beyond the configured
#     bound do produce a lease overlap, and its seed replays exactly.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SIM=$ROOT/${TLALOC_BUILD:-build}/tlaloc-sim
[ -x "$SIM" ] || { echo "no $SIM: build first"; exit 1; }
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
fail() { echo "FAIL: $*"; cat "$OUT"; exit 1; }

CHAOS="--mode=pack-chaos --pack_min=1 --pack_size=9 --duration_s=60 \
    --loss=0.02 --lat_max_us=20000 --spike_prob=0.01 --spike_ms=2000 \
    --reap_s=5"
"$SIM" $CHAOS --schedules=1000 > "$OUT" || fail "chaos schedules failed"
grep -q '^schedules: 1000 run, 0 failed' "$OUT" || fail "not 1000 clean runs"
steps=$(sed -n 's/^steps: \([0-9]*\) checked.*/\1/p' "$OUT")
[ "${steps:-0}" -ge 1000000 ] || fail "only $steps steps"
echo "1000 schedules, $steps steps: no overlap, one leader per term"

# 40% clock drift against a 2% bound: leases must overlap somewhere.
BAD="--mode=pack-chaos --pack_min=3 --pack_size=5 --duration_s=30 \
    --drift_ppm=400000 --loss=0.02 --lat_max_us=20000 --spike_prob=0.01 \
    --spike_ms=2000"
"$SIM" $BAD --schedules=40 > "$OUT" && fail "drift beyond the bound went unnoticed"
line=$(grep -m1 '^VIOLATION seed' "$OUT") || fail "no violation line"
seed=$(echo "$line" | sed 's/^VIOLATION seed \([0-9]*\).*/\1/')
"$SIM" $BAD --schedules=1 --seed="$seed" > "$OUT" && fail "seed $seed passed on replay"
again=$(grep -m1 '^VIOLATION seed' "$OUT")
[ "$again" = "$line" ] || fail "replay differs: '$line' vs '$again'"
echo "drift beyond the bound caught and replayed: $line"
echo "PASS pack_sim"
