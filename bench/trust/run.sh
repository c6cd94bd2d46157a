#!/bin/sh
# The cost of signing every statement (issue 15), side by side with the
# code before it: N agents of each build on loopback, one build at a time,
# "local" timing profile (gossip every 100 ms), encryption on.
#
#   BEFORE=/path/to/old/tlaloc AFTER=build/tlaloc bench/trust/run.sh [N]
#   ROUNDS=10 IDLE_S=60                      (defaults)
#
# Per build:
#   idle     after the cluster formed and went quiet, IDLE_S seconds of
#            nothing: CPU per agent (utime + stime from /proc, % of one
#            core), bytes sent per agent per second (tlaloc info
#            bytes_out), RSS per agent (VmRSS: median and largest)
#   message  ms from `tlaloc say '#all'` on n1 until the last of the N
#            nodes' `tlaloc listen` clients has it; median and slowest of
#            ROUNDS
#   query    ms for `tlaloc run '#all' --key K -- true` to exit with all
#            N answered (signed command, signed replies in AFTER); median
#            and slowest of ROUNDS
# Then the crypto micro-benchmark (bench/trust/crypto.c).
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/bench/lib.sh"
AFTER=${AFTER:-$ROOT/build/tlaloc}
BEFORE=${BEFORE:-}
N=${1:-50}
ROUNDS=${ROUNDS:-10}
IDLE_S=${IDLE_S:-60}
bench_handler

start() {
	$T agent --name "n$1" --bind "127.0.0.1:$((BASE + $1))" \
	    --keyring "$WORK/keyring" --state-dir "$WORK/s$1" \
	    --profile local --trust "$WORK/op/operator.pub" \
	    ${2:+--join "127.0.0.1:$((BASE + 1))"} > "$WORK/s$1.log" 2>&1 &
	eval "PID_$1=$!"
	PIDS="$PIDS $!"
}
alive() { $T members --state-dir "$WORK/s$1" --status alive 2>/dev/null |
    wc -l; }

# cpu_ticks: utime + stime of every agent, in clock ticks.
cpu_ticks() {
	t=0
	for i in $(seq 1 "$N"); do
		p=$(eval echo "\$PID_$i")
		set -- $(sed 's/^.*) //' "/proc/$p/stat")
		t=$((t + ${12} + ${13}))
	done
	echo "$t"
}
bytes_out() {
	b=0
	for i in $(seq 1 "$N"); do
		v=$($T info --json --state-dir "$WORK/s$i" | python3 -c \
		    'import json,sys; print(json.load(sys.stdin)["bytes_out"])')
		b=$((b + v))
	done
	echo "$b"
}
rss_kb() {
	for i in $(seq 1 "$N"); do
		awk '/^VmRSS/ { print $2 }' "/proc/$(eval echo "\$PID_$i")/status"
	done
}

run_build() {
	name=$1; T=$2
	BASE=$((31000 + $(od -An -N2 -tu2 /dev/urandom) % 200 * 100))
	PIDS=""
	rm -rf "$WORK"/s[0-9]* "$WORK"/got*
	start 1
	until [ "$(alive 1)" -ge 1 ]; do sleep 0.1; done
	for i in $(seq 2 "$N"); do start "$i" join; done
	for i in $(seq 1 "$N"); do
		k=0
		while [ "$(alive "$i")" -lt "$N" ]; do
			k=$((k + 1))
			[ $k -gt 1200 ] && { echo "no convergence: n$i" >&2
			    exit 1; }
			sleep 0.1
		done
	done
	sleep 10		# joins gossiped out: idle from here
	hz=$(getconf CLK_TCK)
	c0=$(cpu_ticks); b0=$(bytes_out); t0=$(ms_now)
	sleep "$IDLE_S"
	c1=$(cpu_ticks); b1=$(bytes_out); t1=$(ms_now)
	el=$((t1 - t0))
	cpu=$(echo "scale=3; ($c1 - $c0) * 100000 / $hz / $el / $N" | bc)
	bps=$(echo "($b1 - $b0) * 1000 / $el / $N" | bc)
	rss_kb > "$WORK/rss"
	for i in $(seq 1 "$N"); do
		: > "$WORK/got$i"
		$T listen --state-dir "$WORK/s$i" 2>/dev/null |
		    "$WORK/handler.sh" "$WORK/got$i" &
		PIDS="$PIDS $!"
	done
	sleep 1
	: > "$WORK/msg.ms"; : > "$WORK/q.ms"
	for r in $(seq 1 "$ROUNDS"); do
		t0=$(ms_now)
		$T say '#all' "m$r" --state-dir "$WORK/s1" > /dev/null
		wait_all_have "m$r" "$t0" "$N" >> "$WORK/msg.ms"
		sleep 0.5
		t0=$(ms_now)
		if $T run '#all' --key "$WORK/op/operator.key" --timeout 10 \
		    --state-dir "$WORK/s1" -- true > "$WORK/q.out" 2>&1 &&
		    grep -q "^answered: $N " "$WORK/q.out"; then
			echo $(($(ms_now) - t0)) >> "$WORK/q.ms"
		else
			echo "$name round $r: $(grep answered "$WORK/q.out")" >&2
		fi
		sleep 0.5
	done
	printf '| %-6s | %3d | %9s %% | %7s | %5s / %5s | %5s / %5s | %5s / %5s |\n' \
	    "$name" "$N" "$cpu" "$bps" \
	    "$(median < "$WORK/rss")" "$(largest < "$WORK/rss")" \
	    "$(median < "$WORK/msg.ms")" "$(largest < "$WORK/msg.ms")" \
	    "$(median < "$WORK/q.ms")" "$(largest < "$WORK/q.ms")"
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	sleep 1
}

mkdir -p "$WORK/op"
$AFTER keys gen --out "$WORK/keyring"
$AFTER keys operator gen --out "$WORK/op" > /dev/null
echo "| build  |   N | idle CPU/agent | B/s out | RSS KB med / max | message ms med / max | query ms med / max |"
echo "|--------|-----|-------------|---------|------------------|----------------------|--------------------|"
[ -n "$BEFORE" ] && run_build before "$BEFORE"
run_build after "$AFTER"
echo
cc -O2 -o "$WORK/crypto" "$ROOT/bench/trust/crypto.c" -lsodium &&
    "$WORK/crypto" 300 20000
