#!/bin/sh
# Side by side: N tlaloc agents and N Debian `serf` agents on loopback,
# both with the same timing profile and both encrypting (tlaloc:
# XChaCha20-Poly1305, serf: AES-GCM keyring). Profiles: "lan" (serf's
# default, memberlist's DefaultLANConfig: probe 1 s, probe timeout 500 ms,
# suspicion mult 4, gossip 200 ms, push-pull 30 s) and "local"
# (DefaultLocalConfig: probe 1 s, probe timeout 200 ms, suspicion mult 3,
# gossip 100 ms, push-pull 15 s). Two ways to start: "all" launches every
# agent at once (n1 first, the rest --join n1); "serial" launches one after
# another, each once the one before lists itself and n1 alive (joined), and
# times the converge from the last launch. One system at a time, so the
# two do not share the CPU.
#
#   bench/serf/run.sh [N...]        default: 5 20 50
#   SYSTEMS=tl bench/serf/run.sh    only tlaloc (or only serf)
#   PROFILES="lan local" (default)  timing profiles, both systems alike
#   STARTS="all serial" (default)   start orders
#   REPS=3 (default)                runs per system and N, interleaved;
#                                   a row per run, then the medians
#
# For each system and N it measures:
#   converge  s from launching all agents (n1 first, the rest --join n1)
#             until every agent lists N alive members
#   kill-9    s from kill -9 of one agent until every other lists it failed
#   rss       mean agent RSS (KiB) once converged
#   heap      tlaloc only: mean malloc bytes in use (tlaloc info)
# and prints one table row each. Per-member memory is the RSS slope
# between the smallest and the largest N.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=${TLALOC:-$ROOT/${TLALOC_BUILD:-build-agent}/tlaloc}
SERF=${SERF:-serf}
SIZES=${*:-5 20 50}
SYSTEMS=${SYSTEMS:-tl serf}	# which to run (both by default)
PROFILES=${PROFILES:-lan local}
STARTS=${STARTS:-all serial}
. "$ROOT/bench/lib.sh"

now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc | awk '{ printf "%.2f", $1 }'; }

# ---- per-system adapters: start I, alive I, status_of I NAME ----

tl_start() {
	$T agent --name "n$1" --bind "127.0.0.1:$((BASE + $1))" \
	    --keyring "$WORK/tl.keyring" --state-dir "$WORK/tl$1" \
	    --profile "$PROFILE" ${2:+--join "127.0.0.1:$((BASE + 1))"} \
	    > "$WORK/tl$1.log" 2>&1 &
	PIDS="$PIDS $!"; eval "P_$1=$!"
}
tl_alive() {
	$T members --state-dir "$WORK/tl$1" --status alive 2>/dev/null | wc -l
}
tl_status() {
	$T members --state-dir "$WORK/tl$1" 2>/dev/null |
	    awk -v n="$2" '$1 == n { print $3 }'
}

serf_start() {
	$SERF agent -node="n$1" -bind="127.0.0.1:$((BASE + $1))" \
	    -rpc-addr="127.0.0.1:$((BASE + 1000 + $1))" -profile="$PROFILE" \
	    -encrypt="$SERF_KEY" -log-level=warn \
	    ${2:+-join="127.0.0.1:$((BASE + 1))"} > "$WORK/serf$1.log" 2>&1 &
	PIDS="$PIDS $!"; eval "P_$1=$!"
}
serf_alive() {
	$SERF members -rpc-addr="127.0.0.1:$((BASE + 1000 + $1))" \
	    -status=alive 2>/dev/null | wc -l
}
serf_status() {
	$SERF members -rpc-addr="127.0.0.1:$((BASE + 1000 + $1))" \
	    -name="^$2\$" 2>/dev/null | awk '{ print $3 }'
}

# wait_all SYS N WHAT: polls agents one by one (a converged agent stays
# converged), gives up after 120 s; prints seconds since $T0.
wait_all() {
	sys=$1; n=$2; what=$3
	for i in $(seq 1 "$n"); do
		[ "$i" = "${SKIP:-0}" ] && continue
		while :; do
			if [ "$what" = converge ]; then
				[ "$(${sys}_alive "$i")" -ge "$n" ] && break
			else
				[ "$(${sys}_status "$i" "n$VICTIM")" = failed ] &&
				    break
			fi
			if [ "$(since "$T0" | cut -d. -f1)" -ge 120 ]; then
				echo "$sys n$i stuck ($what); its log:" >&2
				tail -n 5 "$WORK/$sys$i.log" >&2
				echo timeout
				return
			fi
			sleep 0.05
		done
	done
	since "$T0"
}

# Mean malloc bytes in use (tlaloc info heap_in_use); "-" for serf.
heap_mean() {
	[ "$1" = tl ] || { echo -; return; }
	total=0
	for i in $(seq 1 "$2"); do
		h=$($T info --json --state-dir "$WORK/tl$i" |
		    sed 's/.*"heap_in_use":\([0-9]*\).*/\1/')
		total=$((total + h))
	done
	echo $((total / $2))
}

rss_mean() {
	total=0; k=0
	for p in $1; do
		r=$(awk '/VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		[ -n "$r" ] && { total=$((total + r)); k=$((k + 1)); }
	done
	[ "$k" -gt 0 ] && echo $((total / k)) || echo 0
}

run_one() {
	sys=$1; n=$2
	# below the ephemeral range (32768+); serf RPC ports are BASE+1000+i
	# and clear of any port in use (other agents may share the host)
	while :; do
		BASE=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 110 * 100))
		ss -Htuln | awk -v lo="$BASE" -v hi="$((BASE + 1099))" '
		    { n = split($5, a, ":"); p = a[n] + 0 }
		    p >= lo && p <= hi { busy = 1 } END { exit !busy }' ||
		    break
	done
	PIDS=""
	T0=$(now)
	${sys}_start 1
	sleep 0.2	# the seed must listen before the others join
	for i in $(seq 2 "$n"); do
		${sys}_start "$i" join
		[ "$START" = serial ] || continue
		# joined: it lists n1 and itself alive (gives up after 30 s)
		k=0
		while [ "$(${sys}_alive "$i")" -lt 2 ] && [ $k -lt 600 ]; do
			sleep 0.05; k=$((k + 1))
		done
	done
	launch=$(since "$T0")
	[ "$START" = serial ] && T0=$(now)
	conv=$(wait_all "$sys" "$n" converge)
	sleep 2
	pids=""
	for i in $(seq 1 "$n"); do pids="$pids $(eval echo "\$P_$i")"; done
	rss=$(rss_mean "$pids")
	heap=$(heap_mean "$sys" "$n")
	VICTIM=$((n / 2 + 1))
	T0=$(now)
	kill -9 "$(eval echo "\$P_$VICTIM")"
	kill9=$(SKIP=$VICTIM wait_all "$sys" "$n" failed)
	printf '| %-5s | %-6s | %-6s | %3d | %6s | %8s | %8s | %8d | %9s |\n' \
	    "$PROFILE" "$START" "$sys" "$n" "$launch" "$conv" "$kill9" "$rss" \
	    "$heap"
	echo "$PROFILE-$START-$sys $n $rss $heap" >> "$WORK/rss"
	echo "$PROFILE-$START-$sys $n $conv $kill9" >> "$WORK/rows"
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$WORK"/tl[0-9]*
	sleep 1
}

$T keys gen --out "$WORK/tl.keyring"
SERF_KEY=$($SERF keygen)
echo "| prof  | start  | system |   N | launch | converge | kill -9  | rss KiB  | heap B    |"
echo "|-------|--------|--------|-----|--------|----------|----------|----------|-----------|"
for PROFILE in $PROFILES; do for START in $STARTS; do
for n in $SIZES; do
	for rep in $(seq 1 "${REPS:-3}"); do
		for sys in $SYSTEMS; do run_one "$sys" "$n"; done
	done
done
done; done
# median COLUMN SYS N: the median of one column over the runs
median() {
	awk -v s="$2" -v n="$3" -v c="$1" \
	    '$1 == s && $2 == n && $c ~ /^[0-9.]+$/ { print $c }' \
	    "$WORK/rows" | sort -n | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]
		else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
echo
echo "medians of ${REPS:-3} runs:"
echo "| prof  | start  | system |   N | converge | kill -9  |"
echo "|-------|--------|--------|-----|----------|----------|"
for PROFILE in $PROFILES; do for START in $STARTS; do
for n in $SIZES; do
	for sys in $SYSTEMS; do
		k=$PROFILE-$START-$sys
		printf '| %-5s | %-6s | %-6s | %3d | %8s | %8s |\n' "$PROFILE" \
		    "$START" "$sys" "$n" "$(median 3 "$k" "$n")" \
		    "$(median 4 "$k" "$n")"
	done
done
done; done
# mean_rss SYS N COLUMN: mean of the runs' RSS (3) or heap (4), rounded
mean_rss() {
	awk -v s="$1" -v n="$2" -v c="$3" '$1 == s && $2 == n && $c > 0 {
		t += $c; k++ } END { if (k) printf "%d", t / k }' "$WORK/rss"
}
lo=$(echo "$SIZES" | awk '{ print $1 }'); hi=$(echo "$SIZES" | awk '{ print $NF }')
if [ "$lo" != "$hi" ]; then
	set -- $PROFILES $STARTS; pk="$1-"; shift $(echo $PROFILES | wc -w); pk="$pk$1"
	for sys in $SYSTEMS; do
		a=$(mean_rss "$pk-$sys" "$lo" 3); b=$(mean_rss "$pk-$sys" "$hi" 3)
		echo "$sys: $(( (b - a) * 1024 / (hi - lo) )) bytes of RSS per extra member ($lo -> $hi, $pk)"
	done
	a=$(mean_rss "$pk-tl" "$lo" 4); b=$(mean_rss "$pk-tl" "$hi" 4)
	[ -n "$a" ] && [ -n "$b" ] &&
	    echo "tl: $(( (b - a) / (hi - lo) )) bytes of heap per extra member ($lo -> $hi)"
fi
