#!/usr/bin/env bash
# Recipe errors name the line the user wrote: an error inside a helper
# function is placed at the call (the helper's own line follows as
# context), a missing template at the declaration that names it, and
# --json says the same where and message. A resource declared by a helper
# that fails when converged says both lines too.
. tests/system/lib/common.sh
mkdir -p "$RECIPES/lib" "$RECIPES/templates"
cat >"$RECIPES/lib/web.lua" <<'LUA'
function vhost(name, port)
  file { path = "/" .. name, content = "listen " .. port .. "\n", mode = "0644" }
end
function broken(name)
  file { path = "/" .. name, source = "files/missing" }
end
LUA
cat >"$RECIPES/site.lua" <<'LUA'
include "lib/web.lua"
vhost("a", 80)
vhost("b", nil)
LUA
apply 1 "$RECIPES"
assert_contains "$OUT" "site.lua:3: attempt to concatenate a nil value (local 'port') (in vhost, lib/web.lua:2)"
OUT=$("$TLALOC" apply --root "$ROOT" --state-dir "$STATE" --json "$RECIPES" 2>/dev/null)
assert_contains "$OUT" '"error":{"where":"site.lua:3","message":"attempt to concatenate a nil value (local '"'"'port'"'"') (in vhost, lib/web.lua:2)"}'
assert_contains "$OUT" '"exit_code":1'

printf 'file { path = "/x", content = "x" }\nfile { path = "/t", template = "templates/nope.tpl" }\n' >"$RECIPES/site.lua"
apply 1 "$RECIPES"
assert_contains "$OUT" "site.lua:2: template 'templates/nope.tpl': cannot open"
[ -e "$ROOT/x" ] && fail "a failed compile changed the tree"

# declared in a helper, failing when converged: both lines are named
printf 'include "lib/web.lua"\nbroken("c")\n' >"$RECIPES/site.lua"
apply 4 "$RECIPES"
assert_contains "$OUT" "(declared at site.lua:2 (in broken, lib/web.lua:5))"
echo ok
