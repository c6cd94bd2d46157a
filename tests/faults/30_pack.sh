#!/bin/sh
# A pack of 5 agents, each in its own network namespace (docs/pack.md):
#  1. they elect one leader, and all five name it;
#  2. kill -9 the leader: the four others agree on one new leader;
#     the killed node restarts from its saved state and rejoins without
#     moving the term;
#  3. cut the leader off with one follower (nftables): the minority has
#     no leader and nobody there holds the lease, the majority of three
#     elects one;
#  4. heal: exactly one leader, all five name it, and the old leader knows
#     it lost (follower, newer term).
. "$(dirname "$0")/lib.sh"
N=5
PACK="--pack web --pack-expect $N"

# leader_of I: the leader node I names ("n3"), or "-" (no agent, none).
leader_of() {
	$T packs --json --state-dir "$(sd "$1")" 2>/dev/null |
	    sed -n 's/.*"leader":{"name":"\([^"]*\)".*/\1/p' | grep . || echo -
}
term_of() {
	$T packs --json --state-dir "$(sd "$1")" 2>/dev/null |
	    sed -n 's/.*"term":\([0-9]*\).*/\1/p'
}
role_of() {
	$T packs --json --state-dir "$(sd "$1")" 2>/dev/null |
	    sed -n 's/.*"role":"\([a-z-]*\)".*/\1/p'
}
# agree NODES...: every listed node names the same leader, which is one
# of them and holds the lease; prints it as AGREED.
agree() {
	first=$(leader_of "$1")
	[ "$first" != - ] || return 1
	for i in "$@"; do [ "$(leader_of "$i")" = "$first" ] || return 1; done
	case " $* " in *" ${first#n} "*) ;; *) return 1;; esac
	$T packs --am-leader --state-dir "$(sd "${first#n}")" || return 1
	AGREED=${first#n}
}
# holders NODES...: how many of them hold the lease now.
holders() {
	c=0
	for i in "$@"; do
		$T packs --am-leader --state-dir "$(sd "$i")" && c=$((c + 1))
	done
	echo $c
}
others() { for i in $(seq 1 $N); do case " $* " in *" $i "*) ;; *) echo "$i";; esac; done; }

net_up $N
start_agent 1 $PACK
for i in $(seq 2 $N); do start_agent "$i" --join "$(addr 1)" $PACK; done
wait_for 30 "$N agents elect one leader" agree $(seq 1 $N)
L=$AGREED
[ "$(holders $(seq 1 $N))" -eq 1 ] || fail "not exactly one lease holder"

# 2. kill -9 the leader.
pid=$(echo $PIDS | awk -v k="$L" '{print $k}')
kill -9 "$pid"
REST=$(others "$L")
wait_for 10 "the 4 others agree on a new leader after kill -9 n$L" agree $REST
NEW=$AGREED
[ "$NEW" != "$L" ] || fail "the dead node is still leader"
T0=$(term_of "$NEW")
start_agent "$L" $PACK
wait_for 15 "n$L rejoins and follows n$NEW" agree $(seq 1 $N)
sleep 2
[ "$(term_of "$NEW")" = "$T0" ] || fail "rejoin moved the term $T0 -> $(term_of "$NEW")"
echo "ok: the rejoin left the term at $T0"

# 3. Cut the leader and one follower off from the other three.
L=$AGREED
F=$(others "$L" | head -1)
MAJ=$(others "$L" "$F")
MINSET="10.77.0.$L, 10.77.0.$F"
MAJSET=$(for i in $MAJ; do printf '10.77.0.%s, ' "$i"; done | sed 's/, $//')
for i in $L $F; do nft_rule "$i" ip saddr "{ $MAJSET }" drop; done
for i in $MAJ; do nft_rule "$i" ip saddr "{ $MINSET }" drop; done
wait_for 10 "the majority ($(echo $MAJ)) elects a leader" agree $MAJ
MAJL=$AGREED
sleep 1.5	# beyond the old leader's lease and check-quorum
[ "$(holders $L $F)" -eq 0 ] || fail "a lease is held in the minority"
[ "$(role_of "$L")" != leader ] || fail "n$L still leads the minority"
echo "ok: the minority (n$L n$F) has no leader and no lease"

# 4. Heal.
for i in $(seq 1 $N); do nft_flush "$i"; done
wait_for 15 "healed: one leader for all five" agree $(seq 1 $N)
[ "$(holders $(seq 1 $N))" -eq 1 ] || fail "not exactly one lease holder after healing"
[ "$AGREED" = "$MAJL" ] || fail "healing moved the leader from n$MAJL to n$AGREED"
[ "$(role_of "$L")" = follower ] || fail "old leader n$L is $(role_of "$L")"
[ "$(term_of "$L")" -gt "$T0" ] || fail "old leader n$L did not learn the newer term"
grep -q "pack web: stepped down" "$WORK/n$L.log" || fail "n$L did not log its step-down"
grep "pack web" "$WORK/n$L.log" | tail -3
echo "PASS 30_pack"
