#!/bin/sh
# A member holding the cluster key tries to speak for other members: the
# rogue is a real agent (n6, so it is a member with a node key of its
# own) and tlaloc-rogue signing with that key. It puts words in n2's mouth
# on #all, starts a new epoch for n2 to silence it, makes up 200 senders,
# borrows n3's name, answers a `tlaloc run` for n3 and for itself (not
# targeted), sends a signed command again as its own to get its output,
# claims a policy serial and reports a converge in another's name. Each is
# refused by every node it reaches, counted in `tlaloc info` and logged
# once with the sender it claimed; meanwhile messages and queries work.
. "$(dirname "$0")/lib.sh"
N=6

mkdir -p "$WORK/op"
$T keys operator gen --out "$WORK/op" > /dev/null || fail "operator gen"
TRUST="--trust $WORK/op/operator.pub"
start_agent 1 $TRUST
wait_for 10 "n1 is up" sh -c "$T info --state-dir $(sd 1) > /dev/null 2>&1"
for i in $(seq 2 $N); do start_agent "$i" $TRUST --join "127.0.0.1:$(port 1)"
done
wait_for 30 "$N alive" all_see 1 $N alive $N
for i in 2 3; do
	$T channel join '#web' --state-dir "$(sd "$i")" > /dev/null ||
	    fail "n$i join #web"
done
web2() { [ "$($T who '#web' --state-dir "$(sd 1)" | wc -l)" -eq 2 ]; }
wait_for 10 "n1 sees n2, n3 in #web" web2

RK=$(sd 6)/node.key
id_of() { $ROGUE pub --node-key "$(sd "$1")/node.key"; }
ID2=$(id_of 2)
ID3=$(id_of 3)
for i in 1 2 3 4 5; do
	$T listen --json --state-dir "$(sd "$i")" > "$WORK/heard.$i" \
	    2> /dev/null &
	PIDS="$PIDS $!"
done
sleep 1
# to_honest KIND:HEX: the part, sealed with the cluster key, to n1..n5.
to_honest() {
	for i in 1 2 3 4 5; do
		$ROGUE send --keyring "$KEYRING" --to "127.0.0.1:$(port "$i")" \
		    --part "$1" --quiet || fail "rogue send to n$i"
	done
}
# all_count FIELD [MIN]: n1..n5 each counted at least MIN (1).
all_count() {
	for i in 1 2 3 4 5; do
		[ "$(info_num "$i" "$1")" -ge "${2:-1}" ] || return 1
	done
}
heard_by_none() {
	! cat "$WORK"/heard.* | grep -q "$1" || fail "someone heard: $1"
}

# 1. Words in n2's mouth: n2's id and name, signed with the rogue's key.
to_honest "bcast:$($ROGUE forge-bcast --node-key "$RK" --as-id "$ID2" \
    --name n2 --text 'n2 says: deploy evil')"
wait_for 5 "a message forged as n2 refused by all 5" all_count \
    messages.forged
heard_by_none "deploy evil"
logged_once 1 "refused a message from 'n2' (id ${ID2%${ID2#????????????????}}): forged"

# 2. Silence n2: a new epoch in its name would make its real messages
#    stale everywhere. Refused, and n2 is still heard.
to_honest "bcast:$($ROGUE forge-bcast --node-key "$RK" --as-id "$ID2" \
    --name n2 --epoch 9223372036854775807 --text 'n2 restarted')"
wait_for 5 "a forged epoch for n2 refused by all 5" all_count \
    messages.forged 2
$T say '#all' "n2 still speaks" --state-dir "$(sd 2)" > /dev/null ||
    fail "n2 say"
n2_heard() { for i in 1 3 4 5; do grep -q '"n2 still speaks"' \
    "$WORK/heard.$i" || return 1; done; }
wait_for 10 "n2 heard by the others after the forged epoch" n2_heard
heard_by_none "n2 restarted"

# 3. 200 made-up senders, each signing with a key of its own: none is a
#    member, so no state is kept for any (each used to cost ~17 KB of
#    heap for good) and none gets past the rate limit.
rl0=$(info_num 1 messages.rate_limited)
t0=$(date +%s)
for k in $(seq 200); do
	# Made just before it is sent: a slow loop must not age it past the
	# 30 s window (it would be refused as stale instead).
	$ROGUE send --keyring "$KEYRING" --to "127.0.0.1:$(port 1)" \
	    --part "bcast:$($ROGUE forge-bcast --node-key "$RK" --fresh 1 \
	    --text "made up")" --quiet
done
strangers() { [ "$(info_num 1 messages.strangers)" -ge 200 ]; }
wait_for 5 "200 made-up senders refused by n1" strangers
[ "$(info_num 1 messages.senders)" -le $N ] ||
    fail "n1 keeps state for $(info_num 1 messages.senders) senders"
[ "$(info_num 1 messages.rate_limited)" -eq "$rl0" ] || fail "rate limit"
heard_by_none "made up"
# Logged with a sender, at most once a minute (slow builds take minutes).
lines=$(grep -c "sender is not a member" "$WORK/n1.log")
[ "$lines" -ge 1 ] && [ "$lines" -le $((($(date +%s) - t0) / 60 + 1)) ] ||
    fail "n1 logged 200 made-up senders in $lines lines"

# 4. Its own key, n3's name.
to_honest "bcast:$($ROGUE forge-bcast --node-key "$RK" --name n3 \
    --text 'i am n3')"
wait_for 5 "n3's name borrowed: refused by all 5" all_count \
    messages.wrong_name
heard_by_none "i am n3"

# 5. Answers to a `tlaloc run` on #web (n2, n3): one for n3, signed by
#    the rogue, and the rogue's own, though the filter did not pick it.
$T run '#web' --key "$WORK/op/operator.key" --timeout 8 --save \
    "$WORK/req" --state-dir "$(sd 1)" -- sh -c "sleep 3; echo real; \
    echo ran >> $WORK/ran" > "$WORK/run.out" 2>&1 &
RUN=$!
wait_for 5 "the signed request saved" test -s "$WORK/req"
sleep 0.5
for who in "--as-id $ID3 --name n3" "--name n6"; do
	hex=$($ROGUE forge-qreply --node-key "$RK" $who --request "$WORK/req" \
	    --text "forged") || fail "forge-qreply"
	$ROGUE send --keyring "$KEYRING" --to "127.0.0.1:$(port 1)" \
	    --type qreply --body "$hex" > /dev/null || fail "rogue qreply"
done
wait "$RUN" || fail "the run failed: $(cat "$WORK/run.out")"
grep -q "^answered: 2 (n[23], n[23])" "$WORK/run.out" ||
    fail "run: $(cat "$WORK/run.out")"
[ "$(grep -c '| real' "$WORK/run.out")" -eq 2 ] ||
    fail "run output: $(cat "$WORK/run.out")"
! grep -q forged "$WORK/run.out" || fail "a forged reply was shown"
[ "$(info_num 1 queries.replies_forged)" -ge 1 ] || fail "replies_forged"
[ "$(info_num 1 queries.replies_untargeted)" -ge 1 ] ||
    fail "replies_untargeted"
logged_once 1 "refused a query reply as n3"
echo "ok: forged and untargeted replies refused, the two real ones shown"

# 6. The signed command again, broadcast as the rogue's own query: the
#    asker inside the operator's signature is n1, so n2 and n3 refuse.
to_honest "bcast:$($ROGUE forge-bcast --node-key "$RK" --name n6 \
    --request "$WORK/req")"
not_asker() { for i in 2 3; do [ "$(info_num "$i" \
    queries.refused_not_asker)" -ge 1 ] || return 1; done; }
wait_for 5 "the command sent again as the rogue's refused by n2, n3" \
    not_asker
sleep 4
[ "$(wc -l < "$WORK/ran")" -eq 2 ] || fail "the command ran again"
logged_once 2 "that names another asker"

# 7. A policy serial claimed in n2's name.
to_honest "policy-part:$($ROGUE forge-claim --node-key "$RK" --as-id \
    "$ID2" --serial 77)"
wait_for 5 "a claim signed for n2 refused by all 5" all_count \
    policy_bad_claims
logged_once 1 "refused a policy claim of serial 77"

# 8. A converge report in n3's name.
$ROGUE send --keyring "$KEYRING" --to "127.0.0.1:$(port 1)" --type creport \
    --body "$($ROGUE forge-creport --node-key "$RK" --as-id "$ID3" \
    --name n3)" > /dev/null || fail "rogue creport"
wait_for 5 "a converge report forged as n3 refused" sh -c \
    "$T info --state-dir $(sd 1) | grep -q 'forged [1-9]'"
[ "$(info_num 1 converge_reports.forged)" -ge 1 ] || fail "creport"

# 9. A converge request an operator's program signed for n4, which the
#    rogue saw on the wire: n4 acts on it once, and not again after a
#    restart (the nonces it acted on are kept on disk).
REQ=$($ROGUE forge-convreq --key "$WORK/op/operator.key" --name n4) ||
    fail "forge-convreq"
$ROGUE send --keyring "$KEYRING" --to "127.0.0.1:$(port 4)" \
    --part "policy-part:$REQ" --quiet || fail "rogue convreq"
acted() { [ "$(info_num 4 converge_requests)" -eq 1 ]; }
wait_for 5 "n4 acts on the program's request" acted
kill -9 "$(pid_of 4)"
start_agent 4 $TRUST --join "127.0.0.1:$(port 1)"
wait_for 20 "n4 restarted" sh -c "$T info --state-dir $(sd 4) > /dev/null \
    2>&1"
$ROGUE send --keyring "$KEYRING" --to "127.0.0.1:$(port 4)" \
    --part "policy-part:$REQ" --quiet || fail "rogue convreq replay"
sleep 2
[ "$(info_num 4 converge_requests)" -eq 0 ] ||
    fail "n4 acted on the request again after its restart"
[ "$(info_num 4 converge_requests_refused)" -eq 0 ] ||
    fail "n4 refused what it should take for a repeat"
wait_for 20 "n4 back" all_say 1 $N n4 alive
echo "ok: a program's converge request is not acted on again after a restart"

# The cluster kept working.
$T say '#all' "after it all" --state-dir "$(sd 4)" > /dev/null ||
    fail "n4 say"
after() { for i in 1 2 3 5; do grep -q '"after it all"' \
    "$WORK/heard.$i" || return 1; done; }
wait_for 10 "a message after the attacks reaches everyone" after
out=$($T run '#all' --key "$WORK/op/operator.key" --state-dir "$(sd 5)" \
    -- true 2>&1) || fail "run after the attacks: $out"
echo "$out" | grep -q "^answered: $N " || fail "run after: $out"
[ "$(count 1 alive)" -eq $N ] || fail "members after the attacks"
echo "PASS 20_statements"
