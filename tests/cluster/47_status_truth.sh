#!/bin/bash
# What `tlaloc status` says is true, and its exit code says it too (issue
# 17). Three agents, each converging its own root. A managed file whose
# path holds quotes, a backslash and non-ASCII bytes is watched for drift
# like any other (the agent used to read the child's JSON report by
# string search and skipped any path with an escaped character). A
# resource that fails on one node makes `status` exit 2 and show that
# resource with its message; a node killed with -9 makes it exit 4 once
# it is suspected, 6 while another fails; every node ok exits 0.
BASE_PORT=${BASE_PORT:-$((10000 + $(od -An -N2 -tu2 /dev/urandom) % 100 * 100))}
. "$(dirname "$0")/lib.sh"
op_setup
ODD=$(printf '/etc/a "q" \\b caf\303\251 \342\202\254')
# recipe FAIL_ON: every node manages ODD; node FAIL_ON also a file whose
# directory does not exist, which fails at run time.
recipe() {
	cat > "$WORK/recipe/site.lua" <<EOF2
file { path = "/etc/a \"q\" \\\\b caf\\xc3\\xa9 \\xe2\\x82\\xac", content = "managed\n" }
if node.agent.name == "$1" then
	file { path = "/missing/dir/x", content = "x\n" }
end
EOF2
}
publish() {
	$T publish "$WORK/recipe" --key "$OP/operator.key" --state-dir \
	    "$(sd 1)" --force >/dev/null 2>&1 || fail "publish"
}
for i in 1 2 3; do
	start_node "$i" --splay 0 $([ "$i" = 1 ] || echo --join \
	    "127.0.0.1:$(port 1)")
done
wait_for 20 "three members" all_see 1 3 alive 3

# status_is I CODE: `tlaloc status` on node I exits CODE.
status_is() {
	$T status --state-dir "$(sd "$1")" >/dev/null 2>&1
	[ $? = "$2" ]
}

recipe none
publish
wait_for 30 "every node ok: status exits 0" status_is 2 0
[ "$(cat "$(root 2)$ODD")" = managed ] || fail "n2 did not write the file"

# Drift on the odd path: a hand edit is undone, and logged.
echo "by hand" > "$(root 2)$ODD"
undone() { [ "$(cat "$(root 2)$ODD")" = managed ]; }
wait_for 5 "a hand edit of '$ODD' on n2 is undone" undone
grep -qF "drift: '$ODD' content changed by hand" "$WORK/n2.log" ||
    fail "drift on the odd path not logged"

# A failed resource: exit 2, the resource and its message shown.
recipe n3
publish
wait_for 30 "n3 failing: status exits 2" status_is 1 2
out=$($T status --state-dir "$(sd 1)")
case "$out" in *"n3 "*"failing"*"file[/missing/dir/x]: cannot create"*) ;;
*) echo "$out"; fail "status does not show n3's failed resource";; esac
$T status --json --state-dir "$(sd 2)" | python3 -c '
import json, sys
d = json.load(sys.stdin)
n3 = [n for n in d["nodes"] if n["name"] == "n3"][0]
assert n3["state"] == "failing", n3
assert n3["failed"] == 1, n3
assert n3["error"].startswith("file[/missing/dir/x]: cannot create"), n3
assert d["failing"] == 1 and d["ok"] == 2, d
' || fail "status --json does not show n3's failure"
echo "ok: the failed resource and its message are shown"

# A node killed: silent as soon as it is suspected; with n3 failing, 6.
kill -9 "$(pid_of 2)"; wait "$(pid_of 2)" 2>/dev/null
wait_for 30 "n2 silent, n3 failing: status exits 6" status_is 1 6
recipe none
publish
wait_for 30 "n3 ok again, n2 silent: status exits 4" status_is 1 4
$T status --state-dir "$(sd 1)" | grep -q "^n2 *silent" ||
    fail "status does not show n2 silent"

# No agent to ask: 1.
$T status --state-dir "$WORK/nowhere" >/dev/null 2>&1
[ $? = 1 ] || fail "status without an agent does not exit 1"
echo "ok: status exit codes 0, 2, 4, 6 and 1"
