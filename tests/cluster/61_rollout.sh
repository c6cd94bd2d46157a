#!/bin/bash
# Rollouts gated by health (issue 20): 4 agents, each with a script check
# on a file its recipe writes. A bad publish (the file says "no") with
# --canary 1 reaches the canary only: its check fails within the wait,
# the rollout stops, the canary goes back to the last good serial by
# itself, and no other node converges the bad serial. A good publish then
# goes out in waves: canary, then the next wave only after the canary
# stayed healthy for --wait-healthy.
. "$(dirname "$0")/lib.sh"

OP=$WORK/op
R=$WORK/recipe
mkdir -p "$OP" "$R"
$T keys operator gen --out "$OP" > /dev/null || fail "operator key"
root() { echo "$WORK/root$1"; }
recipe() {
	cat > "$R/site.lua" <<EOF
local me = node.agent.name:sub(2)
file { path = "/srv/app/ok", content = "$1\n" }
check { name = "app", interval = "300ms", timeout = "1s", rise = 1,
        fall = 2, script = { "/bin/sh", "-c", "grep -qx yes " ..
        "$WORK/root" .. me .. "/srv/app/ok || exit 2" } }
EOF
}
for i in 1 2 3 4; do
	mkdir -p "$(root "$i")/srv/app"
	start_agent "$i" --trust "$OP/operator.pub" --root "$(root "$i")" \
	    --join "127.0.0.1:$(port 1)" --splay 0 --interval 0
done
wait_for 20 "4 members alive" all_see 1 4 alive 4
health_of() { $T members --json --state-dir "$(sd 1)" | python3 -c '
import json, sys
for m in json.load(sys.stdin)["members"]:
    if m["name"] == sys.argv[1]:
        print(m["tags"].get("health", ""))' "$1"; }
all_passing() {
	for i in 1 2 3 4; do [ "$(health_of "n$i")" = passing ] || return 1; done
}

recipe yes
$T publish "$R" --key "$OP/operator.key" --state-dir "$(sd 1)" > /dev/null ||
    fail "publish 1"
wait_for 20 "all ran serial 1" all_ran 1 1 4
wait_for 10 "all healthy on serial 1" all_passing

# -- a bad publish, caught by its canary -------------------------------
recipe no
$T publish "$R" --key "$OP/operator.key" --state-dir "$(sd 1)" --canary 1 \
    --wave 50% --wait-healthy 3s > /dev/null || fail "publish 2"
stopped() { $T policy status --json --state-dir "$(sd 1)" | python3 -c '
import json, sys
r = json.load(sys.stdin)["rollout"]
sys.exit(0 if r and r["serial"] == 2 and r["stopped"] else 1)'; }
wait_for 20 "rollout of serial 2 stopped" stopped
$T policy status --state-dir "$(sd 1)" | sed -n '/^rollout/,$p'
canary=$($T policy status --json --state-dir "$(sd 1)" | python3 -c '
import json, sys
r = json.load(sys.stdin)["rollout"]
print(" ".join(n["node"] for n in r["nodes"] if n["wave"] == 0))')
[ -n "$canary" ] && [ "${canary#* }" = "$canary" ] ||
    fail "expected one canary, got '$canary'"
ci=${canary#n}
back() { [ "$(cat "$(root "$ci")/srv/app/ok")" = yes ]; }
wait_for 10 "canary $canary back on the last good serial" back
grep -q "converging policy serial 2" "$WORK/$canary.log" ||
    fail "the canary never tried serial 2"
for i in 1 2 3 4; do
	[ "n$i" = "$canary" ] && continue
	grep -q "converging policy serial 2" "$WORK/n$i.log" &&
	    fail "n$i converged the bad serial"
	[ "$(cat "$(root "$i")/srv/app/ok")" = yes ] || fail "n$i changed"
done
echo "ok: no other node converged serial 2; their files are untouched"
# The canary's recovery is held 30 s before it is told (health.c
# recover_hold_ms), so a flapping check is told once.
wait_for 45 "all healthy again" all_passing
sleep 2
for i in 1 2 3 4; do
	[ "n$i" = "$canary" ] && continue
	grep -q "converging policy serial 2" "$WORK/n$i.log" &&
	    fail "n$i converged the bad serial after the stop"
done
echo "ok: the stopped rollout stays stopped"

# -- a good publish goes out in waves ----------------------------------
recipe yes
echo "-- v3" >> "$R/site.lua"
$T publish "$R" --key "$OP/operator.key" --state-dir "$(sd 1)" --canary 1 \
    --wave 50% --wait-healthy 2s > /dev/null || fail "publish 3"
wait_for 40 "all ran serial 3 in waves" all_ran 1 3 4
$T policy status --state-dir "$(sd 1)" | sed -n '/^rollout/,$p'
# Each node's start of serial 3, in ms; the canary's must lead the rest
# by the wait.
starts=$(for i in 1 2 3 4; do
	python3 - "$WORK/n$i.log" "n$i" <<'EOF'
import re, sys, datetime
for line in open(sys.argv[1]):
    if "converging policy serial 3" in line:
        t = datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%SZ")
        print(int(t.timestamp()), sys.argv[2])
        break
EOF
done | sort -n)
echo "$starts"
first=$(echo "$starts" | head -1 | awk '{print $2}')
[ "$first" = "$(echo "$canary" | cut -d' ' -f1)" ] ||
    [ "$(echo "$starts" | awk 'NR==1{a=$1} NR==2{b=$1} END{print b-a}')" -ge 2 ] ||
    fail "serial 3 did not start on one node 2 s before the others"
gap=$(echo "$starts" | awk 'NR==1{a=$1} NR==2{print $1-a}')
[ "$gap" -ge 2 ] || fail "the second wave started ${gap}s after the canary"
echo "ok: the second wave started ${gap} s after the canary"

# -- rolling() in a program gets the same gate --------------------------
# n2's check now looks for a file that is not there: critical.
sed -i 's#"/srv/app/ok || exit 2"#(me == "2" and "/srv/app/missing" or "/srv/app/ok") .. " || exit 2"#' \
    "$R/site.lua"
grep -q missing "$R/site.lua" || fail "recipe edit"
$T publish "$R" --key "$OP/operator.key" --state-dir "$(sd 1)" > /dev/null ||
    fail "publish 4"
wait_for 30 "all ran serial 4" all_ran 1 4 4
echo 'return rolling(cluster.members{}, { batch = 1, wait_healthy = 1.5 })' \
    > "$WORK/roll.lua"
$T program "$WORK/roll.lua" --key "$OP/operator.key" --state-dir "$(sd 1)" \
    --json > "$WORK/roll.json" 2> "$WORK/roll.err"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["rolling"][0]
print("rolling:", r["reason"])
assert r["stopped_at"] == 2, r
assert "n2 (critical:app)" in r["reason"], r
assert r["untouched"] == ["n3", "n4"], r' "$WORK/roll.json" ||
    fail "rolling() did not stop at n2"
echo "ok: rolling() with wait_healthy stops at the unhealthy n2; n3, n4 untouched"
echo "PASS 61_rollout"
