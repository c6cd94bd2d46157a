#!/bin/sh
# Names and argv with newlines cannot forge log lines: a member whose
# name holds a newline and a line of its own making joins, and a signed
# `tlaloc run` whose argv holds one runs; every node's log keeps one
# line per event, with the newline written \n, and no line starts with
# the forged text, nor does `tlaloc members` show one.
. "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/op"
$T keys operator gen --out "$WORK/op" > /dev/null || fail "operator gen"
start_agent 1 --trust "$WORK/op/operator.pub"
wait_for 10 "n1 is up" sh -c "$T info --state-dir $(sd 1) > /dev/null 2>&1"
start_agent 2 --trust "$WORK/op/operator.pub" --join "127.0.0.1:$(port 1)"
EVIL=$(printf 'x\n2026-01-01T00:00:00Z n1 notice forged: ok')
mkdir -p "$(sd 3)"
$T agent --name "$EVIL" --bind "127.0.0.1:$(port 3)" --keyring "$KEYRING" \
    --state-dir "$(sd 3)" --profile local --log-level info \
    --join "127.0.0.1:$(port 1)" >> "$WORK/n3.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 20 "3 alive" all_see 1 2 alive 3
$T run '#all' --key "$WORK/op/operator.key" --state-dir "$(sd 1)" -- \
    "$(printf 'true\n2026-01-01T00:00:00Z n1 notice forged: argv')" \
    > /dev/null 2>&1
sleep 1
for i in 1 2; do
	! grep -q '^2026-01-01T00:00:00Z n1 notice forged' "$WORK/n$i.log" ||
	    fail "n$i's log holds a forged line"
	grep -qF 'name=x\n2026-01-01T00:00:00Z n1 notice forged: ok' \
	    "$WORK/n$i.log" || fail "n$i did not log the name escaped"
done
grep -qF 'true\n2026-01-01T00:00:00Z n1 notice forged: argv' "$WORK/n2.log" ||
    fail "n2 did not log the argv escaped"
echo "ok: a newline in a name or an argv forges no log line"
# Nor a line of `tlaloc members`: control bytes are shown as \xHH.
out=$($T members --state-dir "$(sd 1)") || fail "members"
! echo "$out" | grep -q '^2026-01-01' ||
    fail "tlaloc members shows a forged line: $out"
echo "$out" | grep -qF 'x\x0a2026-01-01T00:00:00Z' ||
    fail "tlaloc members did not show the name escaped: $out"
echo "ok: tlaloc members shows the newline as \\x0a"
# Nor of `tlaloc who` (sorted by name, as members is).
out=$($T who '#all' --state-dir "$(sd 1)") || fail "who"
! echo "$out" | grep -q '^2026-01-01' ||
    fail "tlaloc who shows a forged line: $out"
[ "$(echo "$out" | awk '{ print $1 }' | tr '\n' ' ')" = \
    "n1 n2 x\\x0a2026-01-01T00:00:00Z " ] ||
    fail "tlaloc who: not sorted, or the name not escaped: $out"
echo "ok: tlaloc who shows the newline as \\x0a, sorted by name"
# Nor a line of what `tlaloc pack admit` signs: a member whose pack tag
# holds a newline and an admission line of its making (another node's
# id, a pack of its choosing) gets no admission signed by the operator.
FAKE=$(printf '%064d' 7)
start_agent 4 --join "127.0.0.1:$(port 1)" \
    --tag "$(printf 'pack=web x\n%s web forged' "$FAKE")"
wait_for 20 "4 alive" all_see 1 2 alive 4
out=$($T pack admit --all --key "$WORK/op/operator.key" \
    --state-dir "$(sd 1)" 2>&1)
! echo "$out" | grep -q 'admitting' ||
    fail "pack admit signed admissions a pack tag forged: $out"
echo "ok: a newline in a pack tag forges no admission for pack admit to sign"
