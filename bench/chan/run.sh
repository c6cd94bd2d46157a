#!/bin/sh
# Side by side: N tlaloc agents and N Debian `serf` agents on loopback, both
# with the "local" timing profile and encryption (as bench/serf/run.sh).
# One system at a time, so the two do not share the CPU.
#
#   bench/chan/run.sh [N...]        default: 5 20 50
#   SYSTEMS=tl bench/chan/run.sh    only tlaloc (or only serf)
#   ROUNDS=5                        messages and queries per N
#
# For each system and N it measures, median over ROUNDS:
#   message  ms from `tlaloc say '#all' X` / `serf event deploy X` until
#            every node's handler has it: tlaloc: a `tlaloc listen`
#            client per node appending the arrival time to a file;
#            serf: an event handler per node doing the same (serf forks
#            the handler; tlaloc's listener is already running)
#   query    ms for a round trip to every node: `tlaloc run '#all'
#            --key K -- echo pong` exiting once all N answered (signed,
#            verified, command run on each node) vs `serf query ping`
#            until the N-th response line is printed (rounds where not
#            all N answered within 3 s are counted apart, not in the median) (handler: the same
#            `echo pong`)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/bench/lib.sh"
T=${TLALOC:-$ROOT/${TLALOC_BUILD:-build-agent}/tlaloc}
SERF=${SERF:-serf}
SIZES=${*:-5 20 50}
SYSTEMS=${SYSTEMS:-tl serf}
ROUNDS=${ROUNDS:-5}

# A serf handler: appends "TEXT ARRIVAL_MS" for each event it is given
# (tlaloc's, for each line `tlaloc listen` prints: bench_handler).
printf '%s\n' '#!/bin/sh' 'read -r payload' \
    'echo "$payload $(date +%s%3N)" >> "$HANDLER_OUT"' \
    > "$WORK/serf-handler.sh"
chmod +x "$WORK/serf-handler.sh"
bench_handler

# ---- per-system adapters ----

tl_start() {
	$T agent --name "n$1" --bind "127.0.0.1:$((BASE + $1))" \
	    --keyring "$WORK/tl.keyring" --state-dir "$WORK/tl$1" \
	    --profile local --trust "$WORK/op/operator.pub" \
	    ${2:+--join "127.0.0.1:$((BASE + 1))"} > "$WORK/tl$1.log" 2>&1 &
	PIDS="$PIDS $!"
}
tl_alive() {
	$T members --state-dir "$WORK/tl$1" --status alive 2>/dev/null | wc -l
}
tl_handlers() {
	for i in $(seq 1 "$1"); do
		: > "$WORK/got$i"
		$T listen --state-dir "$WORK/tl$i" 2>/dev/null |
		    "$WORK/handler.sh" "$WORK/got$i" &
		PIDS="$PIDS $!"
	done
	sleep 1
}
tl_say() { $T say '#all' "$1" --state-dir "$WORK/tl1" > /dev/null; }
tl_query() {
	if $T run '#all' --key "$WORK/op/operator.key" --timeout 10 \
	    --state-dir "$WORK/tl1" -- echo pong > /dev/null 2>&1; then
		ms_now > "$WORK/q.last"
	fi
}

serf_start() {
	HANDLER_OUT="$WORK/got$1" $SERF agent -node="n$1" \
	    -bind="127.0.0.1:$((BASE + $1))" \
	    -rpc-addr="127.0.0.1:$((BASE + 1000 + $1))" -profile=local \
	    -encrypt="$SERF_KEY" -log-level=warn \
	    -event-handler="user:deploy=$WORK/serf-handler.sh" \
	    -event-handler="query:ping=echo pong" \
	    ${2:+-join="127.0.0.1:$((BASE + 1))"} > "$WORK/serf$1.log" 2>&1 &
	PIDS="$PIDS $!"
}
serf_alive() {
	$SERF members -rpc-addr="127.0.0.1:$((BASE + 1000 + $1))" \
	    -status=alive 2>/dev/null | wc -l
}
serf_handlers() {
	for i in $(seq 1 "$1"); do : > "$WORK/got$i"; done
}
serf_say() {
	$SERF event -rpc-addr="127.0.0.1:$((BASE + 1001))" -coalesce=false \
	    deploy "$1" > /dev/null
}
# Until the N-th "Response from" line (serf query itself waits out its
# timeout; the round trip is when the last answer is in).
serf_query() {
	$SERF query -rpc-addr="127.0.0.1:$((BASE + 1001))" -timeout=3s \
	    ping 2>/dev/null | { k=0; while read -r line; do
		case $line in *"Response from"*) k=$((k + 1))
		    [ $k -eq "$N" ] && ms_now > "$WORK/q.last";; esac
	    done; echo "$k" > "$WORK/q.count"; }
}

wait_converged() {
	for i in $(seq 1 "$N"); do
		k=0
		while [ "$(${SYS}_alive "$i")" -lt "$N" ]; do
			k=$((k + 1))
			[ $k -gt 1200 ] && { echo "no convergence: n$i" >&2
			    grep -il "bind\|error\|fatal" "$WORK"/*.log >&2
			    exit 1; }
			sleep 0.1
		done
	done
}

run_one() {
	SYS=$1; N=$2
	BASE=$((31000 + $(od -An -N2 -tu2 /dev/urandom) % 200 * 100))
	PIDS=""
	${SYS}_start 1
	# The seed must listen before the others join (serf does not retry).
	k=0
	until [ "$(${SYS}_alive 1)" -ge 1 ]; do
		k=$((k + 1)); [ $k -gt 100 ] && { echo "n1 did not start" >&2
		    exit 1; }
		sleep 0.1
	done
	for i in $(seq 2 "$N"); do ${SYS}_start "$i" join; done
	wait_converged
	${SYS}_handlers "$N"
	sleep 1
	: > "$WORK/msg.ms"; : > "$WORK/q.ms"
	for r in $(seq 1 "$ROUNDS"); do
		t0=$(ms_now)
		${SYS}_say "m$r$N"
		wait_all_have "m$r$N" "$t0" "$N" >> "$WORK/msg.ms"
		sleep 0.5
		t0=$(ms_now)
		rm -f "$WORK/q.last" "$WORK/q.count"
		${SYS}_query
		if [ -s "$WORK/q.last" ]; then
			echo $(($(cat "$WORK/q.last") - t0)) >> "$WORK/q.ms"
		else
			echo "$SYS N=$N round $r: only $(cat "$WORK/q.count" \
			    2>/dev/null || echo "not all") of $N answered" >&2
		fi
		sleep 0.5
	done
	done_q=$(wc -l < "$WORK/q.ms")
	printf '| %-6s | %3d | %10s | %10s | %5s |\n' "$SYS" "$N" \
	    "$(median < "$WORK/msg.ms")" "$(median < "$WORK/q.ms")" \
	    "$done_q/$ROUNDS"
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$WORK"/tl[0-9]* "$WORK"/got*
	sleep 1
}

mkdir -p "$WORK/op"
$T keys gen --out "$WORK/tl.keyring"
$T keys operator gen --out "$WORK/op" > /dev/null
SERF_KEY=$($SERF keygen)
echo "| system |   N | message ms | query ms   | done  |"
echo "|--------|-----|------------|------------|-------|"
for n in $SIZES; do
	for sys in $SYSTEMS; do run_one "$sys" "$n"; done
done
