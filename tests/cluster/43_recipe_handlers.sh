#!/bin/bash
# What a recipe declares about its node reaches the agent: 4 real agents
# converge a published policy that puts n1-n3 in #web (through on()) and
# tags them; a `say` on #web that matches a handler converges exactly
# those nodes with the message (each writes its capture), one that does
# not match converges nobody; two messages in a row are two runs in
# order; a restarted agent still listens; the recipe's tags are gossiped
# once, not restated by every converge; what a later recipe drops (a
# handler, so its channel; a tag) is undone.
set -u
. "$(dirname "$0")/lib.sh"
N=4
OP=$WORK/op
mkdir -p "$OP" "$WORK/recipe"
$T keys operator gen --out "$OP" >/dev/null || fail "operator key"

root() { echo "$WORK/root$1"; }
start_node() {
	i=$1; shift
	mkdir -p "$(root "$i")/etc"
	touch "$(root "$i")/etc/deploys"
	start_agent "$i" --trust "$OP/operator.pub" --root "$(root "$i")" \
	    --join "127.0.0.1:$(port 1)" --splay 0 "$@"
}
cat > "$WORK/recipe/site.lua" <<'EOF'
file { path = "/etc/motd", content = "managed\n" }
if node.agent.name ~= "n4" then
	tags { role = "web" }
	on("#web", "^deploy (\\S+)$", function(m)
		file { path = "/etc/version",
		    content = m.match[1] .. " from " .. m.from .. "\n" }
		line { path = "/etc/deploys", line = m.match[1] }
	end)
end
EOF
for i in $(seq 1 $N); do start_node "$i"; done
wait_for 20 "4 agents see each other" all_see 1 $N alive $N
$T publish "$WORK/recipe" --key "$OP/operator.key" \
    --state-dir "$(sd 1)" >/dev/null || fail "publish"
motd_all() {
	for i in $(seq 1 $N); do
		[ -f "$(root "$i")/etc/motd" ] || return 1
	done
}
wait_for 20 "all converge the policy" motd_all
in_web() {
	who=$($T who "#web" --state-dir "$(sd 4)" 2>/dev/null | cut -d" " -f1 | sort | xargs)
	[ "$who" = "n1 n2 n3" ]
}
wait_for 10 "on('#web') put n1-n3 (not n4) in #web" in_web
tagged() {
	$T members --tag role=web --state-dir "$(sd 4)" 2>/dev/null |
	    grep -c alive | grep -qx 3
}
wait_for 10 "the recipe's tag role=web is gossiped" tagged

$T say '#web' 'deploy v7' --state-dir "$(sd 4)" >/dev/null || fail "say"
versions() {
	for i in 1 2 3; do
		[ "$(cat "$(root "$i")/etc/version" 2>/dev/null)" = \
		    "v7 from n4" ] || return 1
	done
}
wait_for 10 "a matching message converges n1-n3 with it" versions
[ -e "$(root 4)/etc/version" ] && fail "n4 (not in #web) ran the handler"
grep -q "message on #web from n4 (recipe handler)" "$WORK/n2.log" ||
    fail "n2 does not log why it converged"

# A message the pattern does not match runs nothing.
runs_before=$(grep -c "converging policy" "$WORK/n3.log")
$T say '#web' 'hello there' --state-dir "$(sd 4)" >/dev/null || fail "say"
sleep 1.5
[ "$(grep -c "converging policy" "$WORK/n3.log")" = "$runs_before" ] ||
    fail "a message that matches no handler caused a converge"

# Two messages in a row: two runs, in order.
$T say '#web' 'deploy v8' --state-dir "$(sd 4)" >/dev/null || fail "say"
$T say '#web' 'deploy v9' --state-dir "$(sd 4)" >/dev/null || fail "say"
both() { [ "$(xargs < "$(root 2)/etc/deploys")" = "v7 v8 v9" ] &&
    grep -q "^v9 from n4" "$(root 2)/etc/version"; }
wait_for 10 "two messages, two runs, in order" both

# A restarted agent still listens (handlers kept in its state dir).
pid3=$(pid_of 3)
kill -TERM "$pid3"
while kill -0 "$pid3" 2>/dev/null; do sleep 0.1; done
start_node 3
wait_for 20 "n3 back" all_see 1 $N alive $N
$T say '#web' 'deploy v10' --state-dir "$(sd 1)" >/dev/null || fail "say"
v10() { grep -q "^v10 from n1" "$(root 3)/etc/version" 2>/dev/null; }
wait_for 10 "the restarted n3 handles #web messages" v10

# Every converge restates role=web; only the first one changed a tag.
changed=$(grep -c "tags changed as the recipe declares" "$WORK/n2.log")
[ "$changed" = 1 ] || fail "n2 re-gossiped its recipe tags $changed times"
handled=$($T info --json --state-dir "$(sd 2)" |
    sed -n 's/.*"handler_messages":\([0-9]*\).*/\1/p')
[ "$handled" = 4 ] || fail "n2 counted $handled handled messages, not 4"

# What a later recipe no longer declares is undone: n3 drops its handler
# (so it parts #web) and nobody declares role=web any more.
cat > "$WORK/recipe/site.lua" <<'EOF'
file { path = "/etc/motd", content = "managed\n" }
if node.agent.name == "n1" or node.agent.name == "n2" then
	on("#web", "^deploy (\\S+)$", function(m)
		file { path = "/etc/version", content = m.match[1] .. "\n" }
	end)
end
EOF
$T publish "$WORK/recipe" --key "$OP/operator.key" \
    --state-dir "$(sd 1)" >/dev/null || fail "publish 2"
two_in_web() {
	who=$($T who "#web" --state-dir "$(sd 4)" 2>/dev/null | cut -d" " -f1 | sort | xargs)
	[ "$who" = "n1 n2" ]
}
wait_for 20 "n3 parts #web when its recipe drops on('#web')" two_in_web
untagged() {
	[ "$($T members --tag role=web --state-dir "$(sd 4)" 2>/dev/null |
	    grep -c alive)" = 0 ]
}
wait_for 10 "role=web is deleted once no recipe declares it" untagged
echo "PASS 43_recipe_handlers"
