#!/bin/sh
# `tlaloc members` and `tlaloc status` list nodes sorted by name (issue 18:
# they came in the order the node met them, itself first), in text and
# JSON; on a terminal `members` starts with a header, piped it prints one
# line per member (scripts count them). A member's own tags cannot forge
# what others print: a policy= tag that is not a number, or a run= tag
# whose error holds a newline, neither injects JSON nor starts a line,
# in `tlaloc status` or the HTTP endpoint's /v1/status.
. "$(dirname "$0")/lib.sh"

start_agent 3 --http "127.0.0.1:$(port 50)"
wait_for 10 "n3 is up" sh -c "$T info --state-dir $(sd 3) > /dev/null 2>&1"
start_agent 1 --join "127.0.0.1:$(port 3)"
start_agent 2 --join "127.0.0.1:$(port 3)" \
    --tag 'policy=7,"state":"ok","x":0' \
    --tag "$(printf 'run=1,0,0,0,1,1,boom\nn9 ok 1 1 0 0 0 1s')"
wait_for 20 "n3 sees 3 alive" all_see 3 3 alive 3

names=$($T members --state-dir "$(sd 3)" | awk '{ print $1 }' | tr '\n' ' ')
[ "$names" = "n1 n2 n3 " ] || fail "members not sorted by name: $names"
n=$($T members --state-dir "$(sd 3)" | wc -l)
[ "$n" = 3 ] || fail "piped members printed $n lines for 3 members"
echo "ok: members sorted (n1 n2 n3 from n3), one line each when piped"

names=$($T members --json --state-dir "$(sd 3)" | python3 -c '
import json, sys
print(" ".join(m["name"] for m in json.load(sys.stdin)["members"]))')
[ "$names" = "n1 n2 n3" ] || fail "members --json not sorted: $names"
tty=$(script -qec "$T members --state-dir $(sd 3)" /dev/null | tr -d '\r')
echo "$tty" | head -n 1 | grep -q '^NAME  *ADDRESS  *STATUS  *ID  *TAGS' ||
    fail "members on a terminal has no header: $tty"
[ "$(echo "$tty" | sed -n 2p | awk '{ print $1 }')" = n1 ] ||
    fail "the header is not followed by the members: $tty"
echo "ok: members --json sorted; a header on a terminal"

out=$($T status --state-dir "$(sd 3)")
names=$(echo "$out" | sed -n '2,4p' | awk '{ print $1 }' | tr '\n' ' ')
[ "$names" = "n1 n2 n3 " ] || fail "status not sorted by name: $out"
echo "$out" | head -n 1 | grep -q '^NAME  *STATE' || fail "status header: $out"
! echo "$out" | grep -q '^n9' || fail "status shows a forged line: $out"
echo "$out" | grep -qF 'boom\x0an9 ok' ||
    fail "status did not show the error escaped: $out"
$T status --json --state-dir "$(sd 3)" | python3 -c '
import json, sys
d = json.load(sys.stdin)
names = [n["name"] for n in d["nodes"]]
assert names == ["n1", "n2", "n3"], names
n2 = d["nodes"][1]
assert n2["state"] == "failing", n2
assert "x" not in n2 and isinstance(n2["policy"], int), n2
' || fail "status --json unsorted, or n2's tags injected JSON"
curl -sf "http://127.0.0.1:$(port 50)/v1/status" | python3 -c '
import json, sys
d = json.load(sys.stdin)
n2 = [n for n in d["nodes"] if n["name"] == "n2"][0]
assert "x" not in n2 and n2["policy"] == 0 and n2["state"] == "failing", n2
' || fail "/v1/status: n2's policy tag injected JSON"
echo "ok: status sorted; a member's tags forge no line and no JSON"
