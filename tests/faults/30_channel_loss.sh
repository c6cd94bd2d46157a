#!/bin/sh
# 20 agents in network namespaces with 10% random loss on every node's
# input (nftables numgen): every member of #web still gets each of 20
# messages exactly once, and non-members get none.
. "$(dirname "$0")/lib.sh"
N=20
WEB="2 4 6 8 10 12 14 16 18 20"

net_up $N
start_agent 1
wait_for 10 "n1 is up" sh -c "$T info --state-dir $(sd 1) > /dev/null 2>&1"
for i in $(seq 2 $N); do start_agent "$i" --join "$(addr 1)"; done
wait_for 60 "$N agents form a cluster" all_see 1 $N alive $N
for i in $WEB; do
	$T channel join '#web' --state-dir "$(sd "$i")" > /dev/null ||
	    fail "n$i join"
done
for i in $(seq 1 $N); do nft_rule "$i" numgen random mod 10 '<' 1 drop; done
web_known() { for i in $(seq 1 $N); do [ "$($T who '#web' \
    --state-dir "$(sd "$i")" | wc -l)" -eq 10 ] || return 1; done; }
wait_for 30 "all see 10 members in #web under 10% loss" web_known

for i in $(seq 1 $N); do
	$T listen --recent --json --state-dir "$(sd "$i")" > "$WORK/heard.$i" \
	    2> /dev/null &
	PIDS="$PIDS $!"
done
sleep 1
for k in $(seq 1 10); do
	$T say '#web' "a$k" --state-dir "$(sd 1)" > /dev/null || fail "say"
	$T say '#web' "b$k" --state-dir "$(sd 7)" > /dev/null || fail "say"
done
web_lines() { grep -c '"channel":"#web"' "$WORK/heard.$1"; }
members_have() { for i in $WEB; do [ "$(web_lines "$i")" -ge 20 ] ||
    return 1; done; }
t=0
until members_have; do
	t=$((t + 1))
	if [ $t -gt 40 ]; then
		for i in $WEB; do echo "n$i: $(web_lines "$i")"; done
		$T info --state-dir "$(sd 2)" | grep messages
		fail "not every #web member has 20 messages within 20 s"
	fi
	sleep 0.5
done
echo "ok: every #web member has 20 messages under 10% loss"
sleep 2
for i in $(seq 1 $N); do
	case " $WEB " in
	*" $i "*)
		[ "$(web_lines "$i")" -eq 20 ] ||
		    fail "n$i: $(web_lines "$i") messages, not 20"
		dup=$(grep -o '"text":"[ab][0-9]*"' "$WORK/heard.$i" |
		    sort | uniq -d)
		[ -z "$dup" ] || fail "n$i got duplicates: $dup"
		;;
	*)	[ "$(web_lines "$i")" -eq 0 ] || fail "n$i is no member" ;;
	esac
done
echo "ok: 10 members got 20 messages once each under 10% loss"
echo "PASS 30_channel_loss"
