#!/bin/bash
# Direct converge reports (docs/programs.md), 6 agents: a program
# converging every node gets each other node's result from that node's
# own report, sent straight back to n1's agent (not from the gossiped runs
# tag): the JSON result says so (at least 4 of 5: the tag is the fallback
# and may win a race on a loaded machine), n1 counts 5 reports in and
# each other node 1 out. Then a report that answers no request n1
# carried (n1 restarted while n6 was converging for it) is counted as
# unsolicited and dropped. A request that lands while a run is under way
# finishes on the next run's report, not on the earlier run's tag.
. "$(dirname "$0")/lib.sh"
N=6
OP=$WORK/op
mkdir -p "$OP" "$WORK/recipe"
$T keys operator gen --out "$OP" >/dev/null || fail "operator key"
cat > "$WORK/recipe/site.lua" <<'EOF2'
exec { name = "work", command = { "/bin/sh", "-c",
  'sleep "$(cat "$TLALOC_ROOT/work")"' }, host = true }
EOF2
agent_flags() {
	echo --trust "$OP/operator.pub" --root "$WORK/root$1" --interval 0 \
	    --splay 0
}
for i in $(seq 1 $N); do
	mkdir -p "$WORK/root$i/etc"
	echo 0.2 > "$WORK/root$i/work"
	join=""
	[ "$i" = 1 ] || join="--join 127.0.0.1:$(port 1)"
	# shellcheck disable=SC2046
	start_agent "$i" $join $(agent_flags "$i")
done
wait_for 30 "$N agents see each other" all_see 1 $N alive $N
$T publish "$WORK/recipe" --key "$OP/operator.key" --state-dir "$(sd 1)" \
    >/dev/null || fail "publish"
wait_for 30 "every node ran serial 1" all_ran 1 1 $N
# info_field I KEY: converge_reports.KEY in node I's `tlaloc info --json`.
info_field() {
	$T info --json --state-dir "$(sd "$1")" | python3 -c '
import json, sys
print(json.load(sys.stdin)["converge_reports"][sys.argv[1]])' "$2"
}

echo 'return cluster.converge(cluster.members{})' > "$WORK/all.lua"
$T program "$WORK/all.lua" --json --key "$OP/operator.key" \
    --state-dir "$(sd 1)" > "$WORK/all.json" 2>"$WORK/all.err" ||
    fail "program: $(cat "$WORK/all.err")"
python3 - "$WORK/all.json" <<'EOF2' || fail "results: $(cat "$WORK/all.json")"
import json, sys
res = json.load(open(sys.argv[1]))["result"]
assert sorted(res) == ["n%d" % i for i in range(1, 7)], sorted(res)
assert all(r["ok"] for r in res.values()), res
assert res["n1"]["via"] == "local", res["n1"]
others = [res["n%d" % i] for i in range(2, 7)]
assert all(r["duration_ms"] >= 200 for r in others), others
# The gossiped tag is the fallback and may, rarely, win the race on a
# loaded machine; the direct report is what finishes (nearly) everyone.
assert all(r["via"] in ("report", "gossip") for r in others), others
assert sum(r["via"] == "report" for r in others) >= 4, others
EOF2
five_in() { [ "$(info_field 1 in)" = 5 ]; }
wait_for 10 "n1 received 5 direct reports" five_in
$T info --state-dir "$(sd 1)" |
    grep -q "^converge reports (programs): in 5, unsolicited 0," ||
    fail "tlaloc info: $($T info --state-dir "$(sd 1)" | grep "reports")"
for i in $(seq 2 $N); do
	[ "$(info_field "$i" out)" = 1 ] ||
	    fail "n$i reports out: $(info_field "$i" out)"
done
echo "ok: 5 direct reports, n1 by its own tag"

# A request that reaches n5 while a run of its own is under way is served
# by the next run: the end of the earlier one (its runs tag moves) must
# not finish the program, the direct report of the next one does.
echo 1 > "$WORK/root5/work"
runs5=$(grep -c "converging policy" "$WORK/n5.log")
ends5=$(grep -c "converged policy" "$WORK/n5.log")
$T converge --state-dir "$(sd 5)" >/dev/null || fail "converge n5"
started() { [ "$(grep -c "converging policy" "$WORK/n5.log")" -gt "$runs5" ]; }
wait_for 5 "n5 runs a converge of its own" started
echo 'return cluster.converge(cluster.members{ name = "^n5$" })' \
    > "$WORK/n5.lua"
$T program "$WORK/n5.lua" --json --key "$OP/operator.key" \
    --state-dir "$(sd 1)" > "$WORK/n5.json" 2>&1 ||
    fail "n5 program: $(cat "$WORK/n5.json")"
python3 - "$WORK/n5.json" <<'EOF2' || fail "n5: $(cat "$WORK/n5.json")"
import json, sys
r = json.load(open(sys.argv[1]))["result"]["n5"]
# The next run's report usually wins; its runs tag (two runs on) may too.
assert r["ok"] and r["via"] in ("report", "gossip"), r
EOF2
[ "$(grep -c "converged policy" "$WORK/n5.log")" -ge $((ends5 + 2)) ] ||
    fail "the program finished on the run under way, not on its own"
echo 0.2 > "$WORK/root5/work"
echo "ok: a run under way when the request came does not answer it"

# The same on the program's own node, which finishes by its runs tag.
echo 1 > "$WORK/root1/work"
runs1=$(grep -c "converging policy" "$WORK/n1.log")
ends1=$(grep -c "converged policy" "$WORK/n1.log")
$T converge --state-dir "$(sd 1)" >/dev/null || fail "converge n1"
started1() { [ "$(grep -c "converging policy" "$WORK/n1.log")" -gt "$runs1" ]; }
wait_for 5 "n1 runs a converge of its own" started1
echo 'return cluster.converge(cluster.members{ name = "^n1$" })' \
    > "$WORK/n1.lua"
$T program "$WORK/n1.lua" --json --key "$OP/operator.key" \
    --state-dir "$(sd 1)" > "$WORK/n1.json" 2>&1 ||
    fail "n1 program: $(cat "$WORK/n1.json")"
[ "$(grep -c "converged policy" "$WORK/n1.log")" -ge $((ends1 + 2)) ] ||
    fail "the program finished on the run under way, not on its own"
echo 0.2 > "$WORK/root1/work"
echo "ok: on its own node too, the run under way does not answer"

# n6 works 3 s for a program on n1; n1 restarts meanwhile and forgets.
echo 3 > "$WORK/root6/work"
echo 'return cluster.converge(cluster.members{ name = "^n6$" })' \
    > "$WORK/n6.lua"
$T program "$WORK/n6.lua" --key "$OP/operator.key" \
    --state-dir "$(sd 1)" > /dev/null 2>&1 &
prog=$!
asked() { [ "$(grep -c "converging policy.*(program request" \
    "$WORK/n6.log")" -ge 2 ]; }
wait_for 10 "n6 converging for the program" asked
kill "$prog" 2>/dev/null
kill -9 "$(pid_of 1)"
wait "$prog" 2>/dev/null
# shellcheck disable=SC2046
start_agent 1 $(agent_flags 1)
unsolicited() { [ "$(info_field 1 unsolicited 2>/dev/null)" = 1 ]; }
wait_for 20 "n1 counts n6's report as unsolicited" unsolicited
[ "$(info_field 1 in)" = 0 ] || fail "n1 kept the unsolicited report"
grep -q "answers no request we carried" "$WORK/n1.log" ||
    fail "n1 did not log the dropped report"
echo "ok: unsolicited report counted and dropped"
