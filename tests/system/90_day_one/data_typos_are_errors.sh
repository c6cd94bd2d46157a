#!/usr/bin/env bash
# Data tables are strict: `data.admin.keys` for `data.admin.key` stops the
# compile with file:line and the key (it wrote a 0-byte authorized_keys);
# maybe() is the lookup that may miss; strict() makes a recipe's own table
# strict; list positions past the end stay nil, so ipairs works.
. tests/system/lib/common.sh
mkdir -p "$RECIPES/data" "$ROOT/home/ana/.ssh"
cat >"$RECIPES/data/admin.lua" <<'LUA'
return { name = "ana", key = "ssh-ed25519 AAAAC3Nza ana@laptop", groups = { "adm", "sudo" } }
LUA
cat >"$RECIPES/site.lua" <<'LUA'
file { path = "/home/ana/.ssh/authorized_keys", content = data.admin.keys }
LUA
apply 1 "$RECIPES"
assert_contains "$OUT" "site.lua:1: no key 'keys' in data.admin (it has: groups, key, name)"
[ -e "$ROOT/home/ana/.ssh/authorized_keys" ] && fail "a typo wrote the file"
cat >"$RECIPES/site.lua" <<'LUA'
local k = maybe(data.admin).keys or data.admin.key
file { path = "/home/ana/.ssh/authorized_keys", content = k .. "\n" }
for i, g in ipairs(data.admin.groups) do file { path = "/g" .. i, content = g .. "\n" } end
local mine = strict({ port = 80 }, "mine")
file { path = "/port", content = mine.port .. (maybe(nil).x or "") .. "\n" }
LUA
apply 2 "$RECIPES"
assert_file /home/ana/.ssh/authorized_keys "ssh-ed25519 AAAAC3Nza ana@laptop"
assert_file /g2 "sudo"
echo 'file { path = "/p", content = strict({ port = 80 }, "mine").prot }' >"$RECIPES/site.lua"
apply 1 "$RECIPES"
assert_contains "$OUT" "site.lua:1: no key 'prot' in mine (it has: port)"
echo 'return "not a table"' >"$RECIPES/data/bad.lua"
apply 1 "$RECIPES"
assert_contains "$OUT" "data/bad.lua must return a table"
echo ok
