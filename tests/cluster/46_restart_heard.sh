#!/bin/sh
# A restarted agent is heard from its first word. Four agents, n1 and n2
# in pack web. n1 speaks first, so every peer remembers the message
# numbers of its first run; then n1 is killed with -9 and started again,
# and later stopped with SIGTERM and started again. Each time its first
# channel message reaches every other node, its first `tlaloc run` is
# answered by all four, and when it becomes the pack's leader its
# announcement on #pack-web reaches every listener. (Before restarts were
# told apart by the signed epoch alone, peers took the new run's messages
# for duplicates of the old run's until its numbers passed them.)
. "$(dirname "$0")/lib.sh"
N=4

mkdir -p "$WORK/op"
$T keys operator gen --out "$WORK/op" > /dev/null || fail "operator gen"
TRUST="--trust $WORK/op/operator.pub"
start_agent 1 $TRUST --pack web --pack-expect 2
wait_for 10 "n1 is up" sh -c "$T info --state-dir $(sd 1) > /dev/null 2>&1"
start_agent 2 $TRUST --pack web --pack-expect 2 --join "127.0.0.1:$(port 1)"
for i in 3 4; do start_agent "$i" $TRUST --join "127.0.0.1:$(port 1)"; done
wait_for 30 "$N agents see $N alive" all_see 1 $N alive $N
# Voters are admitted by the operator (docs/pack.md).
$T pack admit n1 n2 --key "$WORK/op/operator.key" --state-dir "$(sd 1)" \
    > /dev/null || fail "pack admit"
for i in 3 4; do
	$T channel join '#pack-web' --state-dir "$(sd "$i")" > /dev/null ||
	    fail "n$i join #pack-web"
done

leader() {
	for i in 1 2; do
		if $T packs --am-leader --state-dir "$(sd "$i")"; then
			echo "$i"
			return 0
		fi
	done
	return 1
}
has_leader() { leader > /dev/null; }
wait_for 30 "pack web has a leader" has_leader

for i in 2 3 4; do
	$T listen --json --state-dir "$(sd "$i")" > "$WORK/heard.$i" \
	    2> /dev/null &
	PIDS="$PIDS $!"
done
sleep 1
for k in 1 2 3 4 5 6; do
	$T say '#all' "first life $k" --state-dir "$(sd 1)" > /dev/null ||
	    fail "say from n1"
done
# heard_all PATTERN N: n2..n4 each heard PATTERN at least N times.
heard_all() {
	for i in 2 3 4; do
		[ "$(grep -c "$1" "$WORK/heard.$i")" -ge "$2" ] || return 1
	done
}
wait_for 10 "n2..n4 heard n1's six messages" heard_all '"first life' 6

# once HOW: restart n1 (kill -9, or SIGTERM and wait), then check that
# its first message, query and leader announcement arrive everywhere.
once() {
	how=$1
	if [ "$how" = kill ]; then
		kill -9 "$(pid_of 1)"
	else
		kill -TERM "$(pid_of 1)"
		wait "$(pid_of 1)" 2> /dev/null
	fi
	sleep 1
	start_agent 1 $TRUST --pack web --pack-expect 2
	wait_for 30 "n1 is back after $how and all see it alive" \
	    all_say 1 $N n1 alive
	wait_for 10 "n1 sees $N alive" all_see 1 1 alive $N

	$T say '#all' "back after $how" --state-dir "$(sd 1)" > /dev/null ||
	    fail "say from n1 after $how"
	wait_for 10 "n2..n4 heard n1's first message after $how" \
	    heard_all "\"back after $how\"" 1

	out=$($T run '#all' --key "$WORK/op/operator.key" --timeout 5 \
	    --state-dir "$(sd 1)" -- true 2>&1) ||
	    fail "n1's first run after $how: $out"
	echo "$out" | grep -q "^answered: 4 " ||
	    fail "n1's first run after $how: $out"
	echo "ok: n1's first run after $how answered by all 4"

	before=$(cat "$WORK"/heard.* | grep -c '"leader n1 term')
	wait_for 30 "pack web has a leader after $how" has_leader
	if [ "$(leader)" = 1 ]; then
		$T pack step-down --state-dir "$(sd 1)" > /dev/null ||
		    fail "step-down on n1"
		wait_for 30 "n2 leads" sh -c "$T packs --am-leader \
		    --state-dir $(sd 2)"
	fi
	$T pack step-down --state-dir "$(sd 2)" > /dev/null ||
	    fail "step-down on n2"
	wait_for 30 "n1 leads after $how" sh -c "$T packs --am-leader \
	    --state-dir $(sd 1)"
	more() { [ "$(cat "$WORK"/heard.* | grep -c '"leader n1 term')" -ge \
	    $((before + 3)) ] && heard_all '"leader n1 term' 1; }
	wait_for 10 "n2..n4 heard n1's leader announcement after $how" more
}
once kill
once term
echo "PASS 46_restart_heard"
