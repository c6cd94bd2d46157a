#!/bin/sh
# Rotation across a live cluster: every change is signed by an operator
# key the agents trust (an unsigned one and one signed by another key are
# refused); install spreads the key; `keys use` is refused while a live
# member lacks it; a node offline during the rotation gets back in (the
# old key is still accepted), is offered the new key, and after `keys
# use` + `keys remove` everyone is on the new key only.
. "$(dirname "$0")/lib.sh"
N=5
mkdir -p "$WORK/op" "$WORK/evil"
$T keys operator gen --out "$WORK/op" > /dev/null || fail "operator gen"
$T keys operator gen --out "$WORK/evil" > /dev/null || fail "evil gen"
OPK="--key $WORK/op/operator.key"
node() { start_agent "$@" --trust "$WORK/op/operator.pub"; }

node 1
for i in $(seq 2 $N); do node "$i" --join "127.0.0.1:$(port 1)"; done
wait_for 15 "$N agents see $N alive" all_see 1 $N alive $N
sleep 1.5	# let n5 write its snapshot
kill -TERM "$(pid_of 5)"; wait "$(pid_of 5)"

NEW=$($T keys gen)
# A key is never taken from argv (ps shows it to every user).
$T keys install "$NEW" --state-dir "$(sd 2)" 2> "$WORK/argv.err" &&
    fail "keys install took a key from the command line"
grep -q "never taken from the command line" "$WORK/argv.err" ||
    fail "no reason given: $(cat "$WORK/argv.err")"
$T keys gen --out "$WORK/new.key" || fail "keys gen --out"
[ "$(stat -c %a "$WORK/new.key")" = 600 ] || fail "keys gen --out is not 0600"
$T keys gen --out "$WORK/new.key" 2>/dev/null && fail "keys gen --out overwrote a key"
printf '%s\n' "$NEW" | $T keys install --state-dir "$(sd 2)" \
    2>"$WORK/err" && fail "an unsigned install worked"
grep -q "key changes need an operator's signature" "$WORK/err" ||
    fail "unsigned: $(cat "$WORK/err")"
printf '%s\n' "$NEW" | $T keys install --key "$WORK/evil/operator.key" \
    --state-dir "$(sd 2)" 2>"$WORK/err" &&
    fail "an install signed by an untrusted key worked"
grep -q "which this node does not trust" "$WORK/err" ||
    fail "untrusted: $(cat "$WORK/err")"
[ "$(wc -l < "$WORK/keyring.2")" -eq 1 ] || fail "n2 took an unsigned key"
printf '%s\n' "$NEW" | $T keys install $OPK --state-dir "$(sd 2)" ||
    fail "keys install (stdin)"
for i in 1 2 3 4; do
	[ "$(wc -l < "$WORK/keyring.$i")" -eq 2 ] || fail "n$i lacks the key"
done

# a key only n1 holds (added to its file, SIGHUP reloads the ring):
# `keys use` must be refused because live members lack it
THIRD=$($T keys gen)
printf '%s\n' "$THIRD" >> "$WORK/keyring.1"
kill -HUP "$(pid_of 1)"
wait_for 5 "n1 reloaded" grep -q "reloaded configuration" "$WORK/n1.log"
if printf '%s\n' "$THIRD" | $T keys use $OPK --state-dir "$(sd 1)" 2> "$WORK/use.err"; then
	fail "keys use accepted a key other members lack"
fi
grep -q "refusing to use key" "$WORK/use.err" || fail "no refusal message"
echo "ok: keys use refused: $(cat "$WORK/use.err")"

echo "$NEW" > "$WORK/new.b64"
$T keys use --file "$WORK/new.b64" $OPK --state-dir "$(sd 3)" || fail "keys use"
for i in 1 2 3 4; do
	head -1 "$WORK/keyring.$i" | grep -qF "$NEW" ||
	    fail "n$i did not switch to the new key"
done

# n5 slept through it: it still has only the old key
node 5
wait_for 20 "offline node n5 back in with the old key" all_say 1 5 n5 alive
wait_for 20 "n5 was offered the new key" \
    grep -qF "$NEW" "$WORK/keyring.5"
printf '%s\n' "$NEW" | $T keys use $OPK --state-dir "$(sd 1)" > /dev/null || fail "second use"
OLD=$(head -1 "$KEYRING")
printf '%s\n' "$OLD" | $T keys remove $OPK --state-dir "$(sd 1)" || fail "keys remove"
for i in $(seq 1 $N); do
	grep -qF "$OLD" "$WORK/keyring.$i" && fail "n$i still holds the old key"
done
sleep 3
wait_for 10 "all 5 alive on the new key" all_see 1 $N alive $N
$T keys list --state-dir "$(sd 2)"
echo "PASS 30_key_rotation"
