#!/bin/sh
# Key changes and eviction need the operator. A member holding the
# cluster key (n4, and tlaloc-rogue with its keyring) tries to rewrite
# n1's keyring with three datagrams, unsigned and then signed by an
# operator key nobody trusts: refused, counted, logged once with the
# sender, n1's keyring untouched. Then `tlaloc keys evict n4 --key
# OPERATOR.key`: every node refuses n4's key from then on (it is declared
# failed and stays so, across restarts of n4 and of the others), a node
# that joins later learns the eviction, and the next rotation is not
# offered to n4, which is then out for good; the cluster keeps working.
. "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/op" "$WORK/evil"
$T keys operator gen --out "$WORK/op" > /dev/null || fail "operator gen"
$T keys operator gen --out "$WORK/evil" > /dev/null || fail "evil gen"
OPK=$WORK/op/operator.key
node() { start_agent "$@" --trust "$WORK/op/operator.pub"; }
node 1
wait_for 10 "n1 is up" sh -c "$T info --state-dir $(sd 1) > /dev/null 2>&1"
for i in 2 3 4; do node "$i" --join "127.0.0.1:$(port 1)"; done
wait_for 30 "4 alive" all_see 1 4 alive 4
N1="127.0.0.1:$(port 1)"
keys1() { cat "$WORK/keyring.1"; }
before=$(keys1)

# -- 1. three datagrams that used to rewrite n1's keyring ------------------
NEW=$($T keys gen)
NEWRAW=$(echo "$NEW" | base64 -d | od -An -tx1 | tr -d ' \n')
NEWID=$($ROGUE keystmt --op use --hex "$NEW" | cut -c19-26)
OLDID=$($ROGUE keystmt --op use --hex "$(head -1 "$KEYRING")" | cut -c19-26)
rogue() { $ROGUE send --keyring "$KEYRING" --to "$N1" --bind 127.0.0.66 \
    --part "keys:$1" > /dev/null || fail "rogue send"; }
malformed0=$(info_num 1 malformed)
rogue "0100000000$NEWRAW"		# OFFER, the old way
rogue "0400000000$NEWID"		# USE
rogue "0500000000$OLDID"		# REMOVE
sleep 1
[ "$(info_num 1 malformed)" -ge $((malformed0 + 3)) ] ||
    fail "unsigned keyring parts not counted"
# The same, signed by an operator key n1 does not trust.
BOX=$(head -c 80 /dev/urandom | od -An -tx1 | tr -d ' \n')
S=$($ROGUE keystmt --op install --hex "$NEW" --key "$WORK/evil/operator.key")
rogue "0100000000$S$BOX"
S=$($ROGUE keystmt --op use --hex "$NEW" --key "$WORK/evil/operator.key")
rogue "0400000000$S"
S=$($ROGUE keystmt --op remove --hex "$(head -1 "$KEYRING")" \
    --key "$WORK/evil/operator.key")
rogue "0500000000$S"
sleep 1
[ "$(info_num 1 key_statements_refused)" -ge 3 ] ||
    fail "forged statements not counted"
[ "$(keys1)" = "$before" ] || fail "n1's keyring changed"
logged_once 1 "a keyring change refused from 127.0.0.66"
grep -q "keyring change refused from 127.0.0.66: signed by operator key .*, which this node does not trust" \
    "$WORK/n1.log" || fail "the refusal does not say why"
echo "ok: n1's keyring is untouched by unsigned and forged changes"

# -- 2. the operator evicts n4 --------------------------------------------
$T keys evict n4 --key "$OPK" --state-dir "$(sd 1)" > "$WORK/evict.out" ||
    fail "evict: $(cat "$WORK/evict.out")"
grep -q "node n4 evicted here and on 2 of 2 members" "$WORK/evict.out" ||
    fail "evict said: $(cat "$WORK/evict.out")"
SKIP=4 wait_for 20 "every node holds n4 failed" all_say 1 3 n4 failed
for i in 1 2 3; do
	[ "$(grep -vc '^#' "$(sd "$i")/revoked")" -eq 1 ] ||
	    fail "n$i keeps no eviction"
done
# n4 restarts (a new incarnation, the same key): still refused.
kill -9 "$(pid_of 4)"
node 4 --join "127.0.0.1:$(port 1)"
sleep 4
for i in 1 2 3; do
	[ "$(status_of "$i" n4)" != alive ] || fail "n$i took n4 back"
done
# n2 restarts: the eviction survives.
kill -TERM "$(pid_of 2)"; wait "$(pid_of 2)"
node 2
wait_for 15 "n2 back" all_say 1 3 n2 alive
sleep 3
[ "$(status_of 2 n4)" != alive ] || fail "a restarted n2 took n4 back"
# A node that joins later learns the eviction.
node 5 --join "127.0.0.1:$(port 1)"
wait_for 20 "n5 learns the eviction" sh -c \
    "[ \"\$(grep -vc '^#' $(sd 5)/revoked 2>/dev/null)\" = 1 ]"
wait_for 20 "n5 holds n4 failed too" sh -c \
    "[ \"\$($T members --state-dir $(sd 5) | awk '\$1 == \"n4\" { print \$3 }')\" != alive ]"
echo "ok: n4 is refused everywhere, across restarts and by a newcomer"

# -- 3. the next rotation leaves n4 out ------------------------------------
NEW2=$($T keys gen)
echo "$NEW2" | $T keys install --key "$OPK" --state-dir "$(sd 1)" \
    > "$WORK/inst" || fail "install: $(cat "$WORK/inst")"
echo "$NEW2" | $T keys use --key "$OPK" --state-dir "$(sd 1)" >/dev/null ||
    fail "use"
head -1 "$KEYRING" | $T keys remove --key "$OPK" --state-dir "$(sd 1)" \
    >/dev/null || fail "remove"
! grep -qF "$NEW2" "$WORK/keyring.4" || fail "n4 was given the new key"
for i in 1 2 3 5; do
	grep -qF "$NEW2" "$WORK/keyring.$i" || fail "n$i lacks the new key"
done
[ "$(info_num 1 evicted_dropped)" -gt 0 ] ||
    fail "n1 dropped nothing from n4's address"
# From any address, n4's keyring no longer opens anything.
unknown0=$(info_num 1 unknown_key)
$ROGUE send --keyring "$WORK/keyring.4" --to "$N1" --bind 127.0.0.67 \
    --part swim:00 > /dev/null || fail "rogue send"
sleep 1
[ "$(info_num 1 unknown_key)" -gt "$unknown0" ] ||
    fail "n4's old key still opens at n1"
wait_for 15 "the cluster answers queries (4 members)" works 1 4
echo "ok: after the rotation n4 holds no key the cluster accepts"
