#!/bin/sh
# The transport against strangers and a member that floods: idle TCP
# connections from five addresses no longer starve a node's push-pull and
# query replies (they wait for a frame header among the pending and are
# closed within 2 s; one address holds at most 8), and datagrams stamped
# beyond the 10 s clock-skew bound are refused before the replay cache,
# so a flood of them leaves the node hearing its peers. Each refusal is
# counted in `tlaloc info` and logged once per sender.
. "$(dirname "$0")/lib.sh"

start_agent 1
wait_for 10 "n1 is up" sh -c "$T info --state-dir $(sd 1) > /dev/null 2>&1"
for i in 2 3; do start_agent "$i" --join "127.0.0.1:$(port 1)"; done
wait_for 30 "3 alive" all_see 1 3 alive 3
wait_for 10 "queries answered" works 1 3

# 1. A stranger without any key: 40 idle connections from one address,
# then 40 from five (all of 127.0.0.0/8 is loopback).
out=$($ROGUE idle --to "127.0.0.1:$(port 1)" --conns 40 --hold 3000 \
    --bind 127.0.0.66) || fail "rogue idle: $out"
echo "$out"
echo "$out" | grep -q "closed by the peer 40 " ||
    fail "not every idle connection was closed: $out"
[ "$(info_num 1 tcp_refused_source)" -ge 32 ] || fail "per-source bound"
idle=""
for h in 67 68 69 70 71; do
	$ROGUE idle --to "127.0.0.1:$(port 1)" --conns 8 --hold 4000 \
	    --bind "127.0.0.$h" > "$WORK/idle.$h" &
	idle="$idle $!"
done
sleep 0.5
works 1 3 || fail "queries starved by idle connections"
echo "ok: queries answered with 40 idle connections open"
for p in $idle; do wait "$p"; done
for h in 67 68 69 70 71; do
	grep -q "closed by the peer 8 (first after" "$WORK/idle.$h" ||
	    fail "idle from .$h: $(cat "$WORK/idle.$h")"
done
[ "$(info_num 1 tcp_first_timeouts)" -ge 40 ] || fail "first-frame deadline"
logged_once 1 "too many from one address from 127.0.0.66"
logged_once 1 "no frame header within 2 s from 127.0.0.67"

# 2. A member with the cluster key floods packets stamped 59 s ahead.
# Before, they stuck in the replay cache and, once it filled, the
# horizon jumped a minute ahead: every honest packet was refused.
$ROGUE send --keyring "$KEYRING" --to "127.0.0.1:$(port 1)" \
    --bind 127.0.0.66 --stamp +59000 --part swim:00 --count 70000 \
    --quiet || fail "rogue flood"
[ "$(info_num 1 future)" -ge 20000 ] || fail "future stamps not counted"
logged_once 1 "clock-skew bound refused (is its clock ahead?) from 127.0.0.66"
# A burst within the bound (under the cache's maximum) changes nothing.
$ROGUE send --keyring "$KEYRING" --to "127.0.0.1:$(port 1)" \
    --bind 127.0.0.66 --stamp +9000 --part swim:00 --count 2000 --quiet ||
    fail "rogue burst"
stale0=$(info_num 1 stale)
sleep 3
works 1 3 || fail "queries after the flood"
[ "$(count 1 alive)" -eq 3 ] || fail "members after the flood"
[ "$(info_num 1 stale)" -eq "$stale0" ] ||
    fail "honest packets refused as stale after the flood"
echo "ok: a flood stamped in the future changed nothing"
