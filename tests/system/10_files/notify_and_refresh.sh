# subscribe/notify: a refreshonly exec runs when (and only when) what it
# watches changes; under --noop it would run but does not.
. tests/system/lib/common.sh
cat > "$RECIPES/site.lua" <<'LUA'
local conf = file { path = "/app.conf", content = node.port .. "\n" }
exec { name = "reload", command = {"/bin/sh", "-c", "echo x >> \"$TLALOC_ROOT/reloads\""},
       refreshonly = true, subscribe = conf, host = true }
LUA
apply 2 "$RECIPES" --fact port=80
assert_file /reloads "x"
apply 0 "$RECIPES" --fact port=80
assert_file /reloads "x"
apply 2 "$RECIPES" --fact port=81 --noop
assert_contains "$OUT" "would refresh"
assert_file /reloads "x"
apply 2 "$RECIPES" --fact port=81
assert_file /reloads "$(printf 'x\nx')"
assert_file /app.conf "81"
