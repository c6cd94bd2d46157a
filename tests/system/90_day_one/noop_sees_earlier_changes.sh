#!/usr/bin/env bash
# --noop judged every resource against the node as it was before the run,
# so it failed (exit 6) where the real run succeeds: a line edit of a file
# created earlier in the run, a directory owned by a user the run creates,
# a package an earlier exec makes installable. Now each is judged against
# what the resources before it would have made, and the run exits 2.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
REPO=/var/tmp/repo-noop2
. tests/system/lib/debrepo.sh
R=/tmp/r; mkdir -p $R

# 1. a line edit of a file the run creates
cat >$R/a.lua <<'LUA'
file { path = "/etc/app.conf", content = "a = 1\n", replace = false }
file.ensure_line("/etc/app.conf", "b = 2")
LUA
tapply 2 $R/a.lua --noop
assert_contains "$OUT" "would     line[/etc/app.conf:b = 2]: line set"
[ -e /etc/app.conf ] && fail "--noop created the file"

# 2. a directory and a file owned by a user (and group) the run creates
cat >$R/b.lua <<'LUA'
user { name = "svc" }
directory { path = "/srv/svc", owner = "svc", group = "svc", mode = "0750" }
file { path = "/srv/svc/id", content = "x\n", owner = "svc" }
LUA
tapply 2 $R/b.lua --noop
assert_contains "$OUT" "would     directory[/srv/svc]: create"
assert_contains "$OUT" "would     file[/srv/svc/id]: create (2 bytes)"
getent --service files passwd svc >/dev/null && fail "--noop created the user"
tapply 2 $R/b.lua
[ "$(stat -c %U:%G /srv/svc)" = svc:svc ] || fail "real run: owner"

# 3. a package that an earlier exec makes installable
repo_init
rm -f /etc/apt/sources.list.d/local.list
mkdeb tl-late 1.0
(cd "$REPO" && dpkg-scanpackages . /dev/null >Packages 2>/dev/null) || fail "scan"
apt-get -q update >/dev/null 2>&1
cat >$R/c.lua <<LUA
exec { name = "add-repo", command = { "/bin/sh", "-c",
  "echo 'deb [trusted=yes] file:$REPO ./' >/etc/apt/sources.list.d/local.list && apt-get -q update" },
  creates = "/etc/apt/sources.list.d/local.list" }
package { name = "tl-late", require = "exec[add-repo]" }
LUA
tapply 2 $R/c.lua --noop
assert_contains "$OUT" "would     package[tl-late]: install tl-late"
assert_contains "$OUT" "assumed   package[tl-late]: no package 'tl-late' in the repositories"
[ "$(dpkg_version tl-late)" = absent ] || fail "--noop installed it"
tapply 2 $R/c.lua
[ "$(dpkg_version tl-late)" = 1.0 ] || fail "real run did not install it"
# without a command before it, a missing package still fails --noop
echo 'package { name = "tl-nowhere" }' >$R/d.lua
tapply 4 $R/d.lua --noop
assert_contains "$OUT" "no package 'tl-nowhere' in the repositories"
echo ok
