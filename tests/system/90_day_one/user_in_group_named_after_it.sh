#!/usr/bin/env bash
# A user whose group of the same name is declared (and made) first: the
# docs promise a primary group named after the user, so the run uses that
# group instead of asking useradd to make it again (which refused: "group
# app exists - if you want to add this user to that group, use -g"). The
# group declared after the user is ordered before it all the same.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"

R=/tmp/r; mkdir -p $R
cat >$R/a.lua <<'LUA'
group{ name = "app" }
user{ name = "app", groups = {"app"}, home = "/srv/app" }
LUA
tapply 2 $R/a.lua
gid=$(getent --service files group app | cut -d: -f3)
pw=$(getent --service files passwd app)
[ "$(echo "$pw" | cut -d: -f4)" = "$gid" ] || fail "app's primary group is not app ($gid): $pw"
tapply 0 $R/a.lua

# declared the other way round: the group still comes first
cat >$R/b.lua <<'LUA'
user{ name = "web", groups = {"web"} }
group{ name = "web", gid = 1777 }
LUA
tapply 2 $R/b.lua
[ "$(getent --service files passwd web | cut -d: -f4)" = 1777 ] ||
	fail "web's primary group: $(getent --service files passwd web)"
tapply 0 $R/b.lua

# a group made by hand before the run is used too
groupadd hand
echo 'user{ name = "hand" }' >$R/c.lua
tapply 2 $R/c.lua
[ "$(getent --service files passwd hand | cut -d: -f4)" = "$(getent --service files group hand | cut -d: -f3)" ] ||
	fail "hand's primary group is not hand"
echo ok
