#!/usr/bin/env bash
# Bad input fails only its own resource, quoting the tool: a package no
# repository has, a service with no init script, a uid already taken.
# Their dependents are skipped, everything else converges, exit code 6.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
. tests/system/lib/debrepo.sh

repo_init
mkdeb tl-ok 1.0; mkdeb tl-ok2 1.0
repo_index
R=/tmp/r; mkdir -p $R
cat >$R/a.lua <<'LUA'
package.install "tl-ok"
package.install "tl-nosuch"
package.install "tl-ok2"
file{path = "/etc/needs-nosuch", content = "x\n", require = "package[tl-nosuch]"}
service.start "tl-noscript"
user{name = "dupuid", uid = 0}
cron{name = "job", user = "dupuid", command = "/bin/true"}
group{name = "fine", gid = 1900}
LUA
tapply 6 $R/a.lua
echo "$OUT"
assert_contains "$OUT" "failed    package[tl-nosuch]: 'apt-get install tl-nosuch' exited 100: E: Unable to locate package tl-nosuch"
assert_contains "$OUT" "skipped   file[/etc/needs-nosuch]: package[tl-nosuch] failed"
assert_contains "$OUT" "failed    service[tl-noscript]: no service 'tl-noscript'"
assert_contains "$OUT" "failed    user[dupuid]: 'useradd dupuid' exited 4: useradd: UID 0 is not unique"
assert_contains "$OUT" "skipped   cron[job]: user[dupuid] failed"
[ "$(dpkg_version tl-ok)" = 1.0 ] || fail "tl-ok not installed"
[ "$(dpkg_version tl-ok2)" = 1.0 ] || fail "tl-ok2 not installed"
getent --service files group fine >/dev/null || fail "group fine not created"
[ -e /etc/needs-nosuch ] && fail "a dependent of a failed package ran"
getent --service files passwd dupuid && fail "dupuid was created"
# the second run: the failures again, nothing else
tapply 4 $R/a.lua
assert_not_contains "$OUT" "changed   "
# --noop names the missing package without running apt
tapply 4 $R/a.lua --noop
assert_contains "$OUT" "no package 'tl-nosuch' in the repositories"
echo "ok: bad input fails alone"
