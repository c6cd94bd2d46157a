#!/bin/bash
# Programs against 10 real agents (docs/programs.md): --dry-run touches no
# node; a rolling converge in batches of 3 stops at the first batch with a
# failure (n4, whose root has no /srv), finishes that batch, leaves every
# later node untouched and says so; a program with a Lua error stops with
# file:line and what it had done; an untrusted key is refused and counted.
. "$(dirname "$0")/lib.sh"
N=10
OP=$WORK/op
mkdir -p "$OP" "$WORK/recipe" "$WORK/bad"
$T keys operator gen --out "$OP" >/dev/null || fail "operator key"
$T keys operator gen --out "$WORK/bad" >/dev/null || fail "second key"
cat > "$WORK/recipe/site.lua" <<'EOF2'
directory { path = "/srv/data" }
EOF2
for i in $(seq 1 $N); do
	mkdir -p "$WORK/root$i/etc"
	[ "$i" = 4 ] || mkdir -p "$WORK/root$i/srv"
	join=""
	[ "$i" = 1 ] || join="--join 127.0.0.1:$(port 1)"
	start_agent "$i" $join --trust "$OP/operator.pub" \
	    --root "$WORK/root$i" --interval 0 --splay 0
done
wait_for 30 "10 agents see each other" all_see 1 $N alive $N
$T publish "$WORK/recipe" --key "$OP/operator.key" --state-dir "$(sd 1)" \
    >/dev/null || fail "publish"
ran_once() { $T status --json --state-dir "$(sd 1)" | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if all(n["run_serial"] == 1 for n in d["nodes"]) and
    len(d["nodes"]) == 10 else 1)'; }
wait_for 30 "every node ran serial 1" ran_once
# n4 keeps retrying its failed run on its own; only program requests count.
touched() { grep -l "program request" "$WORK"/n*.log 2>/dev/null |
    sed 's,.*/,,; s,\.log,,' | sort | tr '\n' ' '; }

cat > "$WORK/roll.lua" <<'EOF2'
local nodes = cluster.members{}
assert(#nodes == 10, "members: " .. #nodes)
return rolling(nodes, { batch = 3, max_failures = 0,
  check = function(batch) return #cluster.members{} == 10, "lost a node" end })
EOF2
P() { $T program "$@" --key "$OP/operator.key" --state-dir "$(sd 1)"; }

# --dry-run: every node listed, none touched.
P "$WORK/roll.lua" --dry-run > "$WORK/dry.out" 2> "$WORK/dry.err" ||
    fail "dry run failed: $(cat "$WORK/dry.err")"
[ "$(grep -c " converge  *would" "$WORK/dry.out")" = 10 ] ||
    fail "dry run does not list 10 converges: $(cat "$WORK/dry.out")"
grep -q "nothing was touched" "$WORK/dry.out" || fail "dry run summary"
sleep 1
[ -z "$(touched)" ] || fail "dry run touched $(touched)"
echo "ok: --dry-run lists 10 nodes and touches none"

# The rolling run: batches [n1 n10 n2] [n3 n4 n5] ...; n4 fails.
P "$WORK/roll.lua" --json > "$WORK/roll.json" 2> "$WORK/roll.err" &&
    fail "a stopped rolling run exited 0"
python3 - "$WORK/roll.json" <<'EOF2' || fail "rolling report: $(cat "$WORK/roll.json")"
import json, sys
d = json.load(open(sys.argv[1]))
r = d["rolling"][0]
assert d["ok"] is False, d
assert r["stopped_at"] == 2 and r["batches"] == 4, r
assert r["finished"] == ["n1", "n10", "n2", "n3", "n5"], r["finished"]
assert [f["node"] for f in r["failed"]] == ["n4"], r["failed"]
assert r["untouched"] == ["n6", "n7", "n8", "n9"], r["untouched"]
assert "in progress" not in r["nodes"].values()
conv = [a for a in d["actions"] if a["action"] == "converge"]
assert len(conv) == 6, conv
EOF2
grep -q "stopped at batch 2" "$WORK/roll.err" || fail "no progress line"
sleep 1
[ "$(touched)" = "n1 n10 n2 n3 n4 n5 " ] ||
    fail "touched: '$(touched)', not the first two batches"
echo "ok: rolling run stopped at batch 2 (n4), n6..n9 untouched"

# A Lua error: file:line, and the report of what was done before it.
cat > "$WORK/err.lua" <<'EOF2'
local n = cluster.members{ name = "^n2$" }[1]
assert(n:converge())
local x = nil
x.field = 1
EOF2
P "$WORK/err.lua" > "$WORK/err.out" 2>&1 && fail "a Lua error exited 0"
grep -q "err.lua:4: attempt to index a nil value" "$WORK/err.out" ||
    fail "no file:line: $(cat "$WORK/err.out")"
grep -q "^n2  *converge  *done" "$WORK/err.out" ||
    fail "the report lacks n2's converge: $(cat "$WORK/err.out")"
echo "ok: a Lua error stops with file:line and the report"

# A request signed by a key no agent trusts: refused, counted, untouched.
cat > "$WORK/one.lua" <<'EOF2'
local n = cluster.members{ name = "^n7$" }[1]
local ok, r = n:converge{ timeout = 3 }
return r
EOF2
$T program "$WORK/one.lua" --key "$WORK/bad/operator.key" \
    --state-dir "$(sd 1)" > /dev/null 2>&1 && fail "untrusted key: exit 0"
grep -q "program request" "$WORK/n7.log" && fail "untrusted key converged n7"
$T info --json --state-dir "$(sd 7)" | grep -q '"converge_requests_refused":[1-9]' ||
    fail "n7 does not count the refused request"
echo "ok: an untrusted key is refused and counted"
