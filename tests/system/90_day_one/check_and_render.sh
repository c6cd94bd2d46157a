#!/usr/bin/env bash
# `tlaloc check DIR --node NAME` compiles the policy as that node would
# and lints it, as an unprivileged user, changing nothing; `tlaloc render`
# prints a template as a node would render it.
. tests/system/lib/common.sh
mkdir -p "$RECIPES/recipes" "$RECIPES/templates" "$RECIPES/files"
cat >"$RECIPES/site.lua" <<'LUA'
if node.name:match_re("^db-") then include "recipes/db.lua" end
if node.name:match_re("^web-") then include "recipes/web.lua" end
LUA
cat >"$RECIPES/recipes/db.lua" <<'LUA'
file { path = "/etc/db.conf", content = "x", mode = "0x644" }
LUA
cat >"$RECIPES/recipes/web.lua" <<'LUA'
file { path = "/etc/web.conf", source = "files/web.conf", owner = "www-nobody-here" }
exec { name = "reload", command = "nginx -s reload", refreshonly = true }
file { path = "/etc/motd", template = "templates/motd.tpl", vars = { admins = { "ana", "bo" } } }
LUA
printf 'Welcome to {{ node.hostname }}, {{ admins | length }} admins: {{ admins | join(", ") }}\n' \
    >"$RECIPES/templates/motd.tpl"
chmod -R a+rX "$T"
as_user() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; else "$@"; fi; }

OUT=$(as_user "$TLALOC" check "$RECIPES" --node db-1 --node web-1.example.org --node mail-1 2>&1)
RC=$?
[ "$RC" = 1 ] || { echo "$OUT"; fail "check exited $RC, wanted 1 (db-1 does not compile)"; }
assert_contains "$OUT" "db-1: FAILS (0 resources)"
assert_contains "$OUT" "error: recipes/db.lua:1: 'mode' must be an octal mode"
assert_contains "$OUT" "web-1.example.org: FAILS (3 resources)"
assert_contains "$OUT" "error: recipes/web.lua:1: file[/etc/web.conf]: source 'files/web.conf' is not a file in the recipe directory"
assert_contains "$OUT" "warning: recipes/web.lua:1: file[/etc/web.conf]: user 'www-nobody-here' is not declared"
assert_contains "$OUT" "warning: recipes/web.lua:2: exec[reload]: 'nginx' is not an absolute path"
assert_contains "$OUT" "mail-1: ok (0 resources)"
assert_contains "$OUT" "(2 recipe files not read for this node; --notes lists them)"
echo web >"$RECIPES/files/web.conf"
sed -i 's/0x644/0644/' "$RECIPES/recipes/db.lua"
OUT=$(as_user "$TLALOC" check "$RECIPES" --node db-1 --node web-1 --json 2>&1) ||
	{ echo "$OUT"; fail "check of a good policy failed"; }
assert_contains "$OUT" '{"node":"db-1","ok":true,"resources":1'
assert_contains "$OUT" '"failed":0}'
[ -z "$(ls -A "$ROOT")" ] || fail "check changed something"

OUT=$(as_user "$TLALOC" render "$RECIPES/templates/motd.tpl" --node web-7.example.org --vars data.lua 2>&1)
assert_contains "$OUT" "data.lua"	# missing: says so
printf 'return { admins = { "ana", "bo", "cy" } }\n' >"$RECIPES/vars.lua"
chmod a+r "$RECIPES/vars.lua"
OUT=$(as_user "$TLALOC" render "$RECIPES/templates/motd.tpl" --node web-7.example.org --vars vars.lua 2>&1) ||
	{ echo "$OUT"; fail "render failed"; }
[ "$OUT" = "Welcome to web-7, 3 admins: ana, bo, cy" ] || fail "render gave: $OUT"
OUT=$(as_user "$TLALOC" render "$RECIPES/templates/motd.tpl" --var admins=x 2>&1) &&
	fail "render of a bad variable succeeded"
assert_contains "$OUT" "templates/motd.tpl:1:"
echo ok
