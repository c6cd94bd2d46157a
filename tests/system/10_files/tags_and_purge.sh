# --tags converges only the tagged part; purge removes what nothing manages
# (backing files up first).
. tests/system/lib/common.sh
mkdir -p "$RECIPES/recipes" "$ROOT/srv/conf.d"
echo stray > "$ROOT/srv/conf.d/stray.conf"
cat > "$RECIPES/site.lua" <<'LUA'
include "recipes/web.lua"
file { path = "/db.conf", content = "db\n", tags = "db" }
LUA
cat > "$RECIPES/recipes/web.lua" <<'LUA'
directory { path = "/srv/conf.d", purge = true }
file { path = "/srv/conf.d/site.conf", content = "web\n" }
LUA
apply 2 "$RECIPES" --tags db
assert_file /db.conf "db"
[ -e "$ROOT/srv/conf.d/stray.conf" ] || fail "--tags db touched web's files"
[ ! -e "$ROOT/srv/conf.d/site.conf" ] || fail "--tags db converged web"
apply 2 "$RECIPES" --tags web
assert_contains "$OUT" "purge /srv/conf.d/stray.conf"
[ ! -e "$ROOT/srv/conf.d/stray.conf" ] || fail "purge left stray.conf"
assert_file /srv/conf.d/site.conf "web"
"$TLALOC" backups list /srv/conf.d/stray.conf --state-dir "$STATE" | grep -q stray.conf ||
	fail "purged file was not backed up"
apply 0 "$RECIPES"
