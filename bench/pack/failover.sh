#!/usr/bin/env bash
# Failover time of a pack of N real agents on loopback (LAN pack timings):
# kill -9 the leader, then poll every live member (`tlaloc packs --json`)
# until all name the same new leader, which holds the lease. Per trial:
# seconds, rounds (terms the election used), and the term changes caused
# when the killed node restarts from its saved state and rejoins.
#   bench/pack/failover.sh [SIZES] [TRIALS]     default "3 5 9" 20
# Writes bench/pack/out/failover-N.txt (one line per trial) and prints a
# summary. Polling one node costs ~5 ms, so times carry up to ~N x 5 ms of
# measurement lag (reported times are upper bounds).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=${TLALOC:-$ROOT/${TLALOC_BUILD:-build}/tlaloc}
SIZES=${1:-3 5 9}
TRIALS=${2:-20}
OUT=$ROOT/bench/pack/out
WORK=$(mktemp -d /tmp/tlaloc-packbench.XXXXXX)
BASE=$((30000 + RANDOM % 200 * 100))
declare -A PID
mkdir -p "$OUT"
cleanup() {
	for p in "${PID[@]}"; do kill -9 "$p" 2>/dev/null; done
	sleep 0.2
	rm -rf "$WORK"
}
trap cleanup EXIT
$T keys gen --out "$WORK/keyring"

start() {	# start N I
	$T agent --name "n$2" --bind "127.0.0.1:$((BASE + $2))" \
	    --keyring "$WORK/keyring" --state-dir "$WORK/s$1/n$2" \
	    --profile local --pack bench --pack-expect "$1" \
	    $([ "$2" -gt 1 ] && echo --join "127.0.0.1:$((BASE + 1))") \
	    >> "$WORK/s$1/n$2.log" 2>&1 &
	PID[$2]=$!
	disown "$!"	# no "Killed" lines from the shell
}
# view N SKIP: "LEADER TERM" as every node but SKIP sees it, or "" when
# they disagree or no one holds the lease.
view() {
	local first="" term=0 i j l t
	for i in $(seq 1 "$1"); do
		[ "$i" = "$2" ] && continue
		j=$($T packs --json --state-dir "$WORK/s$1/n$i" 2>/dev/null)
		l=$(sed -n 's/.*"leader":{"name":"n\([0-9]*\)".*/\1/p' <<<"$j")
		t=$(sed -n 's/.*"term":\([0-9]*\).*/\1/p' <<<"$j")
		[ -n "$l" ] && [ "$l" != "$2" ] || return 1
		[ -z "$first" ] && first=$l
		[ "$l" = "$first" ] || return 1
		[ "$t" -gt "$term" ] && term=$t
	done
	$T packs --am-leader --state-dir "$WORK/s$1/n$first" || return 1
	echo "$first $term"
}
wait_view() {	# wait_view N SKIP SECONDS
	local end=$(( $(date +%s) + $3 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		view "$1" "$2" && return 0
		sleep 0.02
	done
	return 1
}

for n in $SIZES; do
	mkdir -p "$WORK/s$n"
	for i in $(seq 1 "$n"); do start "$n" "$i"; done
	read -r L TERM < <(wait_view "$n" 0 60) || { echo "n=$n: no leader"; exit 1; }
	: > "$OUT/failover-$n.txt"
	for k in $(seq 1 "$TRIALS"); do
		sleep 1
		read -r L TERM < <(wait_view "$n" 0 30)
		t0=$(date +%s.%N)
		kill -9 "${PID[$L]}"
		if read -r NL NTERM < <(wait_view "$n" "$L" 30); then
			dt=$(echo "$(date +%s.%N) - $t0" | bc)
		else
			dt=timeout; NTERM=$TERM
		fi
		start "$n" "$L"
		sleep 3
		read -r L2 TERM2 < <(wait_view "$n" 0 30)
		printf '%s %.3f rounds %d rejoin_term_changes %d\n' "$k" "$dt" \
		    $((NTERM - TERM)) $((TERM2 - NTERM)) | tee -a "$OUT/failover-$n.txt"
	done
	for i in $(seq 1 "$n"); do kill -9 "${PID[$i]}" 2>/dev/null; done
	PID=()
	sort -n -k2 "$OUT/failover-$n.txt" | awk -v n="$n" '
	    { t[NR] = $2; if ($4 <= 2) le2++; rj += $6; if ($4 > mr) mr = $4 }
	    END { m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
		  p99 = t[int(0.99 * NR + 0.999999)]
		  printf "pack of %d: failover median %.3f s, p99 %.3f s, max %.3f s over %d trials; <=2 rounds %d%%, max %d; rejoin term changes %d\n",
		      n, m, p99, t[NR], NR, 100 * le2 / NR, mr, rj }' |
	    tee "$OUT/summary-$n.txt"
done
