#!/bin/bash
# Program details (docs/programs.md), one agent leading pack "db" alone:
# SIGHUP reloads the scheduled program's settings from the config file
# (the next run is the new script); cluster.wait keeps the messages it
# skips, so waiting for "two" then for "one" gets both; program.log is
# rotated past 4 MiB.
. "$(dirname "$0")/lib.sh"
for s in a b; do
	echo "print('script $s ' .. cluster.clock_ms())" > "$WORK/$s.lua"
done
printf 'program = %s\nprogram_interval = 1\n' "$WORK/a.lua" > "$WORK/n1.conf"
start_agent 1 --config "$WORK/n1.conf" --pack db --pack-expect 1
ran() { grep -q "script $1" "$(sd 1)/program.log" 2>/dev/null; }
wait_for 20 "the leader runs a.lua" ran a
# A log past 4 MiB moves to program.log.1 before the next run.
head -c 4200000 /dev/zero | tr '\0' x >> "$(sd 1)/program.log"
rotated() { grep -q "script a" "$(sd 1)/program.log" 2>/dev/null &&
    [ "$(stat -c %s "$(sd 1)/program.log")" -lt 100000 ] &&
    [ "$(stat -c %s "$(sd 1)/program.log.1")" -gt 4200000 ]; }
wait_for 10 "program.log rotated past 4 MiB" rotated
printf 'program = %s\nprogram_interval = 1\n' "$WORK/b.lua" > "$WORK/n1.conf"
kill -HUP "$(pid_of 1)"
wait_for 10 "after SIGHUP, b.lua runs" ran b
grep -q "reload: scheduled program $WORK/b.lua every 1 s" "$WORK/n1.log" ||
    fail "the reload was not logged"
a_runs=$(grep -c "script a" "$(sd 1)/program.log")
sleep 2
[ "$(grep -c "script a" "$(sd 1)/program.log")" = "$a_runs" ] ||
    fail "a.lua still runs after the reload"
echo "ok: SIGHUP switched the scheduled program to b.lua"
printf 'program_interval = 1\n' > "$WORK/n1.conf"
kill -HUP "$(pid_of 1)"
stopped() { grep -q "reload: no scheduled program any more" "$WORK/n1.log"; }
wait_for 10 "SIGHUP unsets the program" stopped
b_runs=$(grep -c "script b" "$(sd 1)/program.log")
sleep 2
[ "$(grep -c "script b" "$(sd 1)/program.log")" = "$b_runs" ] ||
    fail "b.lua still runs after it was unset"
echo "ok: SIGHUP without a program stops the schedule"

$T channel join '#ops' --state-dir "$(sd 1)" >/dev/null || fail "join #ops"
cat > "$WORK/wait.lua" <<'EOF2'
cluster.say("#ops", "one")
cluster.say("#ops", "two")
local two = cluster.wait("#ops", "^two$", 5)
local one = cluster.wait("#ops", "^one$", 5)
local again = cluster.wait("#ops", "^one$", 0.5)
return { two = two and two.text, one = one and one.text,
  again = again ~= nil }
EOF2
$T program "$WORK/wait.lua" --json --state-dir "$(sd 1)" \
    > "$WORK/wait.json" 2>&1 || fail "wait program: $(cat "$WORK/wait.json")"
python3 - "$WORK/wait.json" <<'EOF2' || fail "waits: $(cat "$WORK/wait.json")"
import json, sys
r = json.load(open(sys.argv[1]))["result"]
assert r == {"two": "two", "one": "one", "again": False}, r
EOF2
echo "ok: a skipped message stays for a later wait, and is returned once"
