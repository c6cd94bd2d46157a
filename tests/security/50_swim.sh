#!/bin/sh
# A member holding the cluster key attacks membership: the rogue is a real
# agent (n5, a member with a node key of its own) and tlaloc-rogue
# forge-swim accusing with that key. It declares n2 dead at incarnation
# 2^32 - 1 (n2's refutation used to wrap to 0: evicted for good), sends
# n2 sixteen suspicions at once to push its incarnation towards the wrap,
# and acks every probe number it can fit in a datagram to keep a killed
# node alive. The claims are refused by every node, counted
# (claims_refused) and logged once with the sender; n2 stays alive, its
# incarnation rises by the one refutation it owes, the killed node is
# declared dead; messages and queries go on.
. "$(dirname "$0")/lib.sh"
N=5

start_agent 1
wait_for 10 "n1 is up" sh -c "$T info --state-dir $(sd 1) > /dev/null 2>&1"
for i in $(seq 2 $N); do start_agent "$i" --join "127.0.0.1:$(port 1)"; done
wait_for 30 "$N alive" all_see 1 $N alive $N

RK=$(sd 5)/node.key
ID2=$($ROGUE pub --node-key "$(sd 2)/node.key")
# to_nodes KIND:HEX I...: the part, sealed with the cluster key, from
# 127.0.0.66 (so each refusal can be told from the rogue's agent).
to_nodes() {
	part=$1; shift
	for i in "$@"; do
		$ROGUE send --keyring "$KEYRING" --bind 127.0.0.66 \
		    --to "127.0.0.1:$(port "$i")" --part "$part" --quiet ||
		    fail "rogue send to n$i"
	done
}
refused_by() {
	for i in "$@"; do
		[ "$(info_num "$i" claims_refused)" -ge 1 ] || return 1
	done
}
# 1. n2 dead at 2^32 - 1, told to everyone but the rogue.
to_nodes "swim:$($ROGUE forge-swim --node-key "$RK" --as-id "$ID2" \
    --kind dead --inc 4294967295)" 1 2 3 4
wait_for 10 "n2's death at 2^32 - 1 refused by n1..n4" refused_by 1 2 3 4
sleep 4
for i in 1 3 4 5; do
	[ "$(status_of "$i" n2)" = alive ] ||
	    fail "n$i holds n2 $(status_of "$i" n2)"
done
[ "$(info_num 2 incarnation)" -lt 1000 ] ||
    fail "n2 went up to incarnation $(info_num 2 incarnation)"
for i in 1 3 4; do
	n=$(grep -c "refused a suspect or dead claim about 'n2' (id [0-9a-f]*) \
at incarnation 4294967295 from 127.0.0.66:" "$WORK/n$i.log")
	[ "$n" -eq 1 ] || fail "n$i logged the claim $n times, not once"
done
echo "ok: a death at 2^32 - 1 refused, counted and logged by all; n2 alive"

# 2. Sixteen suspicions of n2 at once, at its incarnation and above:
#    the one at its level is refuted, the fifteen above it are refused.
inc=$(info_num 2 incarnation)
r0=$(info_num 2 claims_refused)
to_nodes "swim:$($ROGUE forge-swim --node-key "$RK" --as-id "$ID2" \
    --kind suspect --inc "$inc" --count 16)" 2
sleep 3
now=$(info_num 2 incarnation)
[ "$now" -le $((inc + 2)) ] ||
    fail "16 suspicions raised n2 from incarnation $inc to $now"
[ "$(info_num 2 claims_refused)" -ge $((r0 + 14)) ] ||
    fail "n2 refused $(($(info_num 2 claims_refused) - r0)) of 16"
echo "ok: 16 suspicions at once raised n2's incarnation $inc -> $now"

# 3. n4 killed; the rogue acks probe numbers 0..319 to n1..n3 five
#    times a second (sequential probe numbers used to keep it alive).
kill -9 "$(pid_of 4)"
A1=$($ROGUE forge-swim --node-key "$RK" --kind ack --seq 0 --count 160)
A2=$($ROGUE forge-swim --node-key "$RK" --kind ack --seq 160 --count 160)
(
	end=$(($(date +%s) + 40))
	while [ "$(date +%s)" -lt "$end" ]; do
		to_nodes "swim:$A1" 1 2 3
		to_nodes "swim:$A2" 1 2 3
		sleep 0.2
	done
) &
ACKS=$!
PIDS="$PIDS $ACKS"
n4_gone() {
	for i in 1 2 3; do
		case $(status_of "$i" n4) in failed|left) ;; *) return 1;; esac
	done
}
wait_for 40 "n4 declared dead by n1..n3 despite the acks" n4_gone
kill "$ACKS" 2>/dev/null

# The cluster kept working.
$T listen --json --state-dir "$(sd 3)" > "$WORK/heard.3" 2>/dev/null &
PIDS="$PIDS $!"
sleep 1
$T say '#all' "after the claims" --state-dir "$(sd 1)" > /dev/null ||
    fail "n1 say"
heard() { grep -q '"after the claims"' "$WORK/heard.3"; }
wait_for 10 "a message after the attacks reaches n3" heard
wait_for 10 "a query answered by the 4 live members" works 2 4
start_agent 4 --join "127.0.0.1:$(port 1)"
wait_for 30 "n4 back, seen alive by n1" sh -c \
    "[ \"\$($T members --state-dir $(sd 1) | awk '\$1 == \"n4\" { print \$3 }')\" = alive ]"
[ "$(status_of 1 n2)" = alive ] || fail "n2 $(status_of 1 n2) at the end"
echo "PASS 50_swim"
