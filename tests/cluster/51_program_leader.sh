#!/bin/bash
# The pack leader's scheduled program (docs/programs.md): N (10) agents of
# pack "db" with `--program`; only the leader runs it, never two nodes at
# once; when the leader is killed in the middle of a run, its run dies
# with it and the new leader runs the program at once.
. "$(dirname "$0")/lib.sh"
N=${N:-10}
P=$WORK/nightly.lua
cat > "$P" <<'EOF2'
on_leader("db", function(me)
  print("start " .. me.name .. " " .. cluster.clock_ms())
  cluster.sleep(1.5)
  print("end " .. me.name .. " " .. cluster.clock_ms())
end)
EOF2
for i in $(seq 1 "$N"); do
	join=""
	[ "$i" = 1 ] || join="--join 127.0.0.1:$(port 1)"
	start_agent "$i" $join --pack db --pack-expect "$N" --program "$P" \
	    --program-interval 2
done
# The programs print CLOCK_MONOTONIC; the kill is timed without a fork
# (a python3 start took 5.8 s at load 18 and made a false overlap) from
# /proc/uptime (CLOCK_BOOTTIME, 10 ms steps), offset once.
BOOT_TO_MONO=$(python3 -c 'import time; print(int((time.monotonic() -
    time.clock_gettime(time.CLOCK_BOOTTIME)) * 1000))')
mono_ms() {
	local up
	read -r up _ < /proc/uptime
	echo $(( ${up%.*} * 1000 + 10#${up#*.} * 10 + 10 + BOOT_TO_MONO ))
}
starts() { cat "$(sd "$1")/program.log" 2>/dev/null | grep -c " start "; }
leader_runs() {
	for i in $(seq 1 "$N"); do
		[ "$(starts "$i")" -ge 2 ] && { L=$i; return 0; }
	done
	return 1
}
wait_for 40 "the leader runs the program twice" leader_runs
for i in $(seq 1 "$N"); do
	[ "$i" = "$L" ] || [ "$(starts "$i")" = 0 ] ||
	    fail "n$i ran the program while n$L led"
done
echo "ok: only the leader n$L runs it"

# By hand on a follower: pack.leader() names the leader, on_leader skips.
F=$((L % N + 1))
cat > "$WORK/who.lua" <<'EOF2'
local ran = on_leader("db", function() error("ran on a follower") end)
return { leader = pack.leader("db").name, ran = ran,
  me = cluster.self().name, is_leader = pack.is_leader("db") }
EOF2
$T program "$WORK/who.lua" --json --state-dir "$(sd "$F")" > "$WORK/who.json" \
    2>/dev/null || fail "on_leader on a follower: $(cat "$WORK/who.json")"
grep -q "\"leader\":\"n$L\"" "$WORK/who.json" &&
    grep -q '"ran":false' "$WORK/who.json" &&
    grep -q '"is_leader":false' "$WORK/who.json" ||
    fail "follower n$F: $(cat "$WORK/who.json")"
echo "ok: on follower n$F, pack.leader is n$L and on_leader skips"

# Kill the leader in the middle of a run (a start with no end yet).
mid_run() { [ "$(grep -c " start " "$(sd "$L")/program.log")" -gt \
    "$(grep -c " end " "$(sd "$L")/program.log")" ]; }
wait_for 10 "n$L in the middle of a run" mid_run
kill -9 "$(pid_of "$L")"
KILLED_AT=$(mono_ms)
other_runs() {
	for i in $(seq 1 "$N"); do
		[ "$i" != "$L" ] && [ "$(starts "$i")" -ge 1 ] && return 0
	done
	return 1
}
wait_for 20 "a new leader runs it" other_runs
sleep 4
# No two runs overlap: every run's [start, end] (a killed run's ends at
# the kill) is apart from every other's.
for i in $(seq 1 "$N"); do
	sed -n "s/.*\(start\|end\) \(n[0-9]*\) \([0-9]*\)$/\1 \2 \3/p" \
	    "$(sd "$i")/program.log" 2>/dev/null
done > "$WORK/runs"
python3 - "$WORK/runs" "$KILLED_AT" "n$L" <<'EOF2' || fail "runs overlap: $(cat "$WORK/runs")"
import sys
lines = [l.split() for l in open(sys.argv[1])]
killed_at, killed = int(sys.argv[2]), sys.argv[3]
runs, open_ = [], {}
for kind, node, t in lines:
    t = int(t)
    if kind == "start":
        assert node not in open_, "two starts on " + node
        open_[node] = t
    else:
        assert node != killed or t < killed_at, "the killed leader's run went on"
        runs.append((open_.pop(node), t, node))
for node, t in open_.items():
    if node == killed:
        assert t < killed_at
        runs.append((t, killed_at, node))
    else:
        runs.append((t, t + 10**9, node))   # still running
after = [r for r in runs if r[0] > killed_at]
assert after and all(r[2] != killed for r in after), runs
runs.sort()
for a, b in zip(runs, runs[1:]):
    assert a[1] <= b[0], (a, b)
print("ok: %d runs, none overlapping" % len(runs))
EOF2
echo "ok: the new leader took over the schedule"
