#!/usr/bin/env bash
# Packages through the real apt/dpkg in a throwaway root: install, latest
# (upgrade), pin to an older version (downgrade), remove, purge; --noop
# changes nothing; a held dpkg lock is waited for, then reported clearly.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
. tests/system/lib/debrepo.sh

repo_init
mkdeb tl-up 1.0; mkdeb tl-pin 1.0; mkdeb tl-pin 2.0; mkdeb tl-gone 1.0
repo_index
apt-get -qy install tl-gone >/dev/null || fail "setup: cannot install tl-gone"
R=/tmp/r; mkdir -p $R
cat >$R/a.lua <<'LUA'
package{name = "tl-up", ensure = "latest"}
package{name = "tl-pin", ensure = "1.0"}
package.remove "tl-gone"
LUA
tapply 2 $R/a.lua --noop
assert_contains "$OUT" "package[tl-up]: install tl-up 1.0"
assert_contains "$OUT" "package[tl-pin]: install tl-pin 1.0"
assert_contains "$OUT" "package[tl-gone]: remove tl-gone 1.0"
[ "$(dpkg_version tl-up)" = absent ] || fail "--noop installed tl-up"
[ "$(dpkg_version tl-gone)" = 1.0 ] || fail "--noop removed tl-gone"

tapply 2 $R/a.lua
[ "$(dpkg_version tl-up)" = 1.0 ] || fail "tl-up: $(dpkg_version tl-up)"
[ "$(dpkg_version tl-pin)" = 1.0 ] || fail "tl-pin: $(dpkg_version tl-pin)"
[ "$(dpkg_version tl-gone)" = absent ] || fail "tl-gone still installed"
tapply 0 $R/a.lua

# a new version in the repository: latest upgrades, the pin holds
mkdeb tl-up 1.1; repo_index
tapply 2 $R/a.lua
assert_contains "$OUT" "package[tl-up]: upgrade tl-up 1.0 -> 1.1"
assert_not_contains "$OUT" "tl-pin"
[ "$(dpkg_version tl-up)" = 1.1 ] || fail "tl-up not upgraded"
# moving the pin down is a downgrade
sed -i 's/ensure = "1.0"/ensure = "2.0"/' $R/a.lua
tapply 2 $R/a.lua
assert_contains "$OUT" "package[tl-pin]: tl-pin 1.0 -> 2.0"
sed -i 's/ensure = "2.0"/ensure = "1.0"/' $R/a.lua
tapply 2 $R/a.lua
assert_contains "$OUT" "package[tl-pin]: tl-pin 2.0 -> 1.0"
[ "$(dpkg_version tl-pin)" = 1.0 ] || fail "tl-pin not downgraded"

# the dpkg lock, held by someone else: waited for up to lock_timeout
cat >$R/b.lua <<'LUA'
package{name = "tl-gone", lock_timeout = 2}
LUA
rm -f /tmp/lock-held
python3 -c 'import fcntl, time
f = open("/var/lib/dpkg/lock-frontend", "a")
fcntl.lockf(f, fcntl.LOCK_EX)
open("/tmp/lock-held", "w").close()
time.sleep(6)' &
# wait until the lock is really held: on a loaded machine python takes
# longer to start than any fixed sleep
for i in $(seq 100); do [ -e /tmp/lock-held ] && break; sleep 0.1; done
[ -e /tmp/lock-held ] || fail "setup: the lock holder did not start"
start=$(date +%s)
tapply 4 $R/b.lua
assert_contains "$OUT" "apt lock '/var/lib/dpkg/lock-frontend' still held by another process after 2 s"
[ $(( $(date +%s) - start )) -ge 2 ] || fail "did not wait for the lock"
wait
tapply 2 $R/b.lua
[ "$(dpkg_version tl-gone)" = 1.0 ] || fail "tl-gone not installed after the lock went"
echo "ok: install, latest, pin, downgrade, remove, lock wait"
