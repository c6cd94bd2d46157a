#!/bin/bash
# What a node reports about itself stays true (issue 17): joining or
# parting a channel, and a change of pack leader, rebuild the node's tags
# from every part that contributes to them, so `tlaloc status` on any node
# still shows every node ok with the serial it ran (a node's own policy=,
# run=, runs= tags used to be wiped until its next converge).
BASE_PORT=${BASE_PORT:-$((10000 + $(od -An -N2 -tu2 /dev/urandom) % 100 * 100))}
. "$(dirname "$0")/lib.sh"
op_setup
pack_node() { start_node "$@" --pack web --pack-expect 3 --splay 0; }
cat > "$WORK/recipe/site.lua" <<'EOF2'
file { path = "/etc/motd", content = "hello\n" }
EOF2
pack_node 1
pack_node 2 --join "127.0.0.1:$(port 1)"
pack_node 3 --join "127.0.0.1:$(port 1)"
wait_for 20 "three members" all_see 1 3 alive 3
# With a trust list, voters are admitted by the operator (docs/pack.md).
$T pack admit n1 n2 n3 --key "$OP/operator.key" --state-dir "$(sd 1)" \
    >/dev/null || fail "pack admit"
$T publish "$WORK/recipe" --key "$OP/operator.key" --state-dir "$(sd 1)" \
    >/dev/null || fail "publish"

# all_ok I SERIAL: node I's status shows every node ok, with SERIAL as
# both its policy and its last run.
all_ok() {
	$T status --json --state-dir "$(sd "$1")" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
s = int(sys.argv[1])
good = [n for n in d["nodes"] if n["state"] == "ok" and
    n["policy"] == s and n["run_serial"] == s]
sys.exit(0 if len(d["nodes"]) == 3 and len(good) == 3 else 1)' "$2"
}
# sees_tag I NAME KEY VALUE: node I sees NAME's tag KEY=VALUE (or, with
# VALUE "-", no such tag).
sees_tag() {
	$T members --json --state-dir "$(sd "$1")" 2>/dev/null | python3 -c '
import json, sys
name, key, want = sys.argv[1:4]
for m in json.load(sys.stdin)["members"]:
    if m["name"] == name:
        got = m["tags"].get(key)
        sys.exit(0 if (got is None if want == "-" else got == want) else 1)
sys.exit(1)' "$2" "$3" "$4"
}
# in_chan I NAME CH YES: node I sees NAME in channel CH (YES=1) or not (0).
in_chan() {
	$T members --json --state-dir "$(sd "$1")" 2>/dev/null | python3 -c '
import json, sys
name, ch, yes = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
for m in json.load(sys.stdin)["members"]:
    if m["name"] == name:
        chans = m["tags"].get("channels", "").split(",")
        sys.exit(0 if (ch in chans) == yes else 1)
sys.exit(1)' "$2" "$3" "$4"
}
every_node_ok() { for i in 1 2 3; do all_ok "$i" 1 || return 1; done; }
wait_for 30 "every node converged serial 1 and every status says ok" \
    every_node_ok
$T status --state-dir "$(sd 2)" >/dev/null ||
    fail "status exits $? with every node ok"

# Channel join, then part: n1's own tags keep policy= and run=.
$T channel join '#web' --state-dir "$(sd 1)" >/dev/null || fail "join"
wait_for 10 "n2 sees n1 in #web" in_chan 2 n1 '#web' 1
every_node_ok || { $T status --state-dir "$(sd 2)"; $T members \
    --state-dir "$(sd 2)"; fail "after a channel join, a node is not ok"; }
sees_tag 2 n1 runs 1 || fail "after a channel join, n1 lost its runs= tag"
$T channel part '#web' --state-dir "$(sd 1)" >/dev/null || fail "part"
wait_for 10 "n2 sees n1 part #web" in_chan 2 n1 '#web' 0
every_node_ok || { $T status --state-dir "$(sd 2)"; fail "after a \
channel part, a node is not ok"; }
echo "ok: channel join and part keep every node ok with its serial"

# A leader change: the old leader steps down, another is elected.
leader() {
	for i in 1 2 3; do
		[ "$($T packs --am-leader --state-dir "$(sd "$i")"; echo $?)" \
		    = 0 ] && { echo "$i"; return 0; }
	done
	return 1
}
has_leader() { L=$(leader); }
wait_for 30 "pack web has a leader" has_leader
L=$(leader)
$T pack step-down --state-dir "$(sd "$L")" >/dev/null || fail "step-down"
new_leader() { N=$(leader) && [ "$N" != "$L" ]; }
wait_for 20 "another node leads" new_leader
N=$(leader)
wait_for 10 "n2 sees n$N's pack_leader tag" sees_tag 2 "n$N" pack_leader \
    "$($T packs --json --state-dir "$(sd "$N")" | python3 -c '
import json, sys; print(json.load(sys.stdin)["packs"][0]["term"])')"
sleep 1
every_node_ok || { $T status --state-dir "$(sd 2)"; fail "after a leader \
change, a node is not ok"; }
echo "ok: a leader change keeps every node ok with its serial"

