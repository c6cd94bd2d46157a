#!/bin/sh
# Simulator figures for bench/pack/README.md: failover at pack sizes 3..101
# (LAN timings, 1-5 ms latency, 1% loss, clocks within 2%), then 1,000
# chaos schedules of 60 s with safety checked at every step.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SIM=$ROOT/${TLALOC_BUILD:-build}/tlaloc-sim
OUT=$ROOT/bench/pack/out
mkdir -p "$OUT"
for n in 3 5 9 21 51 101; do
	"$SIM" --mode=pack-failover --name=failover$n --pack_size=$n \
	    --failovers=100 --loss=0.01 > "$OUT/sim-failover-$n.out" || exit 1
	sed -n 2,5p "$OUT/sim-failover-$n.out" | sed "s/^/$n: /"
done
"$SIM" --mode=pack-chaos --name=chaos --pack_min=1 --pack_size=9 \
    --schedules=1000 --duration_s=60 --loss=0.02 --lat_max_us=20000 \
    --spike_prob=0.01 --spike_ms=2000 --reap_s=5 > "$OUT/sim-chaos.out" || exit 1
cat "$OUT/sim-chaos.out"
"$SIM" --mode=pack-chaos --name=chaos101 --pack_min=51 --pack_size=101 \
    --schedules=20 --duration_s=60 --loss=0.02 --lat_max_us=20000 \
    --spike_prob=0.01 --spike_ms=2000 --reap_s=5 > "$OUT/sim-chaos101.out" || exit 1
cat "$OUT/sim-chaos101.out"
