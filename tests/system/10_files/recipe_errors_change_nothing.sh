# Every kind of recipe error: exit 1, file:line, a plain sentence, and not a
# byte changed on disk.
. tests/system/lib/common.sh
mkdir -p "$ROOT/etc"
echo keep > "$ROOT/etc/keep"
before=$(tree_sum "$ROOT")

check() { # name expected-where expected-message recipe
	mkdir -p "$RECIPES/$1"
	printf '%s\n' "$4" > "$RECIPES/$1/site.lua"
	apply 1 "$RECIPES/$1"
	assert_contains "$OUT" "$2"
	assert_contains "$OUT" "$3"
	assert_contains "$OUT" "nothing was changed"
	[ "$(tree_sum "$ROOT")" = "$before" ] || fail "$1 changed the tree"
}
first='file { path = "/etc/keep", content = "changed\n" }'
check syntax "site.lua:3:" "'}' expected" "$first
file { path = \"/x\" "
check runtime "site.lua:2:" "attempt to call a nil value" "$first
local x = nil; x()"
check unknown_attr "site.lua:2:" "file has no attribute 'contnet' (did you mean 'content'?)" "$first
file { path = \"/etc/y\", contnet = \"x\" }"
check duplicate "site.lua:3:" "file[/etc/y] is declared twice (first at site.lua:2)" "$first
file { path = \"/etc/y\", content = \"a\" }
file { path = \"/etc/y\", content = \"b\" }"
check bad_mode "site.lua:2:" "'mode' must be an octal mode" "$first
file { path = \"/etc/y\", mode = \"rwx\" }"
check missing_include "site.lua:2:" "cannot include 'nope.lua': no such file" "$first
include \"nope.lua\""
check cycle "site.lua:2" "dependency cycle" "$first
exec { name = \"a\", command = \"/bin/true\", require = \"exec[b]\" }
exec { name = \"b\", command = \"/bin/true\", require = \"exec[a]\" }"
echo 'file { path = "/etc/keep", content = "pwned\n" }' > "$T/outside.lua"
check escape_include "site.lua:2:" "outside the recipe directory" "$first
include \"../../outside.lua\""
check bad_regex "site.lua:2:" "bad regex '(oops'" "$first
file.replace_line(\"/etc/keep\", \"(oops\", \"x\")"
check endless "site.lua:2:" "recipe ran too long" "$first
while true do end"
check sandbox_exec "site.lua:2:" "attempt to call a nil value (field 'execute')" "$first
os.execute(\"touch /tmp/pwned\")"
check sandbox_io "site.lua:2:" "attempt to index a nil value (global 'io')" "$first
io.open(\"/etc/keep\", \"w\")"
check sandbox_loadfile "site.lua:2:" "attempt to call a nil value (global 'dofile')" "$first
dofile(\"/etc/passwd\")"
