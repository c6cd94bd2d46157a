#!/usr/bin/env bash
# A resource that runs for more than a second is announced while it runs
# ("running   exec[slow]: 1 s so far", again every 10 s), before its
# result; the summary names the slowest resource of a long run. --json
# and --quiet output stay clean.
. tests/system/lib/common.sh
cat >"$RECIPES/site.lua" <<'LUA'
exec { name = "slow", command = { "/bin/sleep", "2.5" }, host = true }
exec { name = "fast", command = { "/bin/true" }, host = true }
LUA
apply 2 "$RECIPES"
first=$(echo "$OUT" | head -1)
[ "$first" = "running   exec[slow]: 1 s so far" ] || { echo "$OUT"; fail "no progress line first"; }
echo "$OUT" | sed -n 2p | grep -q "^changed   exec\[slow\]: run /bin/sleep" || { echo "$OUT"; fail "result not after it"; }
assert_contains "$OUT" "; slowest exec[slow], 2."
assert_not_contains "$OUT" "running   exec[fast]"
OUT=$("$TLALOC" apply --root "$ROOT" --state-dir "$STATE" "$RECIPES" --json 2>&1)
echo "$OUT" | python3 -c 'import json, sys; json.load(sys.stdin)' || fail "--json output is not JSON alone"
OUT=$("$TLALOC" apply --root "$ROOT" --state-dir "$STATE" "$RECIPES" --quiet 2>&1)
assert_not_contains "$OUT" "running"
echo ok
