#!/usr/bin/env bash
# A cron field out of its range, or not a cron field at all, stops the
# compile with the recipe's file:line, under --noop too (it used to pass
# --noop and fail only in the real run, at crontab's word). A user or
# group name that no tool would take fails the same way.
. tests/system/lib/common.sh
for bad in 'minute = "75"' 'hour = "24"' 'monthday = "0"' 'month = "13"' \
    'weekday = "8"' 'minute = "*/0"' 'minute = "5-2"' 'hour = "x"' \
    'minute = "1,"' 'user = "a:b"'; do
	printf 'file { path = "/x", content = "x" }\ncron { name = "c", command = "/bin/true", %s }\n' \
	    "$bad" >"$RECIPES/site.lua"
	apply 1 "$RECIPES" --noop
	assert_contains "$OUT" "site.lua:2:"
	assert_contains "$OUT" "nothing was changed"
done
apply 1 "$RECIPES" --noop
assert_contains "$OUT" "'user' must be a user or group name"
printf 'file { path = "/x", content = "x", owner = "bad name" }\n' >"$RECIPES/site.lua"
apply 1 "$RECIPES" --noop
assert_contains "$OUT" "site.lua:1: 'owner' must be a user or group name or number, not 'bad name'"
# good fields pass
printf 'cron { name = "c", command = "/bin/true", minute = "*/15", hour = "1-5/2,7", weekday = "mon-fri", month = "jan,jul" }\n' \
    >"$RECIPES/site.lua"
OUT=$("$TLALOC" apply --root "$ROOT" --state-dir "$STATE" --noop "$RECIPES" 2>&1)
assert_not_contains "$OUT" "site.lua:1:"
[ -e "$ROOT/x" ] && fail "a failed compile changed the tree"
echo ok
