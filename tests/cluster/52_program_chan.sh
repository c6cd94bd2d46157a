#!/bin/bash
# Programs on channels and queries (docs/programs.md, docs/channels.md),
# 6 agents: cluster.run on a channel's members, signed with the program's
# key, per-node results; another node's facts; cluster.wait catches a
# message that arrived before it was called; a rolling run whose action
# is a command stops at the batch where it fails on n4; --dry-run lists
# the commands and runs none.
. "$(dirname "$0")/lib.sh"
N=6
OP=$WORK/op
mkdir -p "$OP"
$T keys operator gen --out "$OP" >/dev/null || fail "operator key"
start_agent 1 --trust "$OP/operator.pub"
wait_for 10 "n1 is up" sh -c "$T info --state-dir $(sd 1) > /dev/null 2>&1"
for i in $(seq 2 $N); do
	start_agent "$i" --trust "$OP/operator.pub" --join "127.0.0.1:$(port 1)"
done
wait_for 30 "$N agents see each other" all_see 1 $N alive $N
for i in 2 3 4 5; do
	$T channel join '#web' --state-dir "$(sd "$i")" >/dev/null ||
	    fail "n$i join"
done
$T channel join '#ops' --state-dir "$(sd 1)" >/dev/null || fail "n1 join #ops"
webcount() { [ "$($T who '#web' --state-dir "$(sd 1)" | wc -l)" -eq 4 ]; }
wait_for 10 "n1 sees 4 in #web" webcount
P() { $T program "$@" --key "$OP/operator.key" --state-dir "$(sd 1)"; }

cat > "$WORK/run.lua" <<'EOF2'
local web = cluster.members{ channel = "#web" }
assert(#web == 4, "#web members: " .. #web)
local res = cluster.run({ channel = "#web" }, { "echo", "hi" }, { timeout = 5 })
local out = {}
for name, r in pairs(res) do
  assert(r.ok and r.stdout == "hi\n", name .. ": " .. tostring(r.stdout))
  out[#out + 1] = name
end
table.sort(out)
local f = web[1]:facts()
assert(type(f) == "table" and next(f) ~= nil, "no facts from " .. web[1].name)
return { ran = out, facts_from = web[1].name }
EOF2
P "$WORK/run.lua" --json > "$WORK/run.json" 2>"$WORK/run.err" ||
    fail "run program: $(cat "$WORK/run.json" "$WORK/run.err")"
grep -q '"ran":\["n2","n3","n4","n5"\]' "$WORK/run.json" ||
    fail "cluster.run did not run on #web: $(cat "$WORK/run.json")"
[ "$(grep -o '"action":"run","result":"done"' "$WORK/run.json" | wc -l)" = 4 ] ||
    fail "the report lacks 4 runs: $(cat "$WORK/run.json")"
echo "ok: cluster.run on #web (4 nodes) and another node's facts"

# A message said while the program sleeps is still there for wait().
cat > "$WORK/wait.lua" <<'EOF2'
cluster.sleep(2)
local m = cluster.wait("#ops", "^ready ([0-9]+)$", 10)
assert(m, "no message")
local late = cluster.wait("#ops", "never", 1)
assert(late == nil)
return { from = m.from, text = m.text }
EOF2
( sleep 1; $T say '#ops' 'ready 42' --state-dir "$(sd 3)" >/dev/null ) &
P "$WORK/wait.lua" --json > "$WORK/wait.json" 2>"$WORK/wait.err" ||
    fail "wait program: $(cat "$WORK/wait.json" "$WORK/wait.err")"
grep -q '"result":{"from":"n3","text":"ready 42"}\|"result":{"text":"ready 42","from":"n3"}' \
    "$WORK/wait.json" || fail "wait: $(cat "$WORK/wait.json")"
echo "ok: cluster.wait gets a message said before it was called"

# A rolling "restart" by command, one node at a time; n4 fails.
touch "$WORK/broken-n4"
cat > "$WORK/roll.lua" <<'EOF2'
local dir = arg[1]
return rolling(cluster.members{ channel = "#web" }, { batch = 1 },
  function(n)
    local r = cluster.run(n, { "test", "!", "-e", dir .. "/broken-" .. n.name })[n.name]
    return r.ok, r.outcome .. " " .. tostring(r.exit)
  end)
EOF2
# ran SUFFIX: every node's count of commands run, into $WORK/ran.SUFFIX
ran() {
	for i in $(seq 1 $N); do
		$T info --json --state-dir "$(sd "$i")" |
		    grep -o '"queries":{"ran":[0-9]*'
	done > "$WORK/ran.$1"
}
ran before
P "$WORK/roll.lua" "$WORK" --dry-run > "$WORK/dry.out" 2>&1 ||
    fail "dry run: $(cat "$WORK/dry.out")"
[ "$(grep -c " run  *would  *test ! -e" "$WORK/dry.out")" = 4 ] ||
    fail "dry run does not list 4 commands: $(cat "$WORK/dry.out")"
sleep 1
ran after
cmp -s "$WORK/ran.before" "$WORK/ran.after" ||
    fail "the dry run ran commands: $(diff "$WORK/ran.before" "$WORK/ran.after")"
P "$WORK/roll.lua" "$WORK" --json > "$WORK/roll.json" 2>/dev/null &&
    fail "a stopped rolling run exited 0"
python3 - "$WORK/roll.json" <<'EOF2' || fail "rolling report: $(cat "$WORK/roll.json")"
import json, sys
d = json.load(open(sys.argv[1]))
r = d["rolling"][0]
assert r["stopped_at"] == 3, r
assert r["finished"] == ["n2", "n3"] and r["untouched"] == ["n5"], r
assert r["failed"][0]["node"] == "n4", r
runs = [a["node"] for a in d["actions"] if a["action"] == "run"]
assert runs == ["n2", "n3", "n4"], runs
EOF2
echo "ok: --dry-run lists 4 commands; the rolling run stops at n4, n5 untouched"

# The disk usage example gathers one number per node.
P "$ROOT/examples/programs/disk_usage.lua" --json > "$WORK/du.json" \
    2>/dev/null || fail "disk_usage.lua: $(cat "$WORK/du.json")"
python3 - "$WORK/du.json" <<'EOF2' || fail "disk usage: $(cat "$WORK/du.json")"
import json, sys
u = json.load(open(sys.argv[1]))["result"]
assert sorted(u) == ["n%d" % i for i in range(1, 7)], u
assert all(isinstance(v, int) and 0 <= v <= 100 for v in u.values()), u
EOF2
echo "ok: examples/programs/disk_usage.lua: one number per node"
