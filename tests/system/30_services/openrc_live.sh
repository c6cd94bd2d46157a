#!/usr/bin/env bash
# The OpenRC provider against the real OpenRC (Debian's openrc 0.45),
# installed into a throwaway root, never onto the host: an openrc-run
# script is started, restarted when notified, stopped, added to and
# removed from the default runlevel with rc-update; --noop changes
# nothing; a second run changes nothing. States are read back with the
# real rc-service and rc-update.
#
# The .debs come from scripts/install-deps (apt-get download into
# /var/cache/tlaloc-test/openrc), so nothing is fetched while testing.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
debs=/var/cache/tlaloc-test/openrc
ls $debs/openrc_*.deb >/dev/null 2>&1 || { echo "needs the openrc .debs in $debs (scripts/install-deps)"; exit 77; }

dpkg -i $debs/*.deb >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "setup: dpkg -i openrc"; }
[ -x /sbin/openrc-run ] || fail "setup: no /sbin/openrc-run after installing openrc"
# OpenRC did not boot this root (PID 1 is the sandbox's shell): its own
# message says to mark the runlevel as reached, which a booted system has.
mkdir -p /run/openrc && touch /run/openrc/softlevel

cat >/etc/init.d/tl-rc <<'RC'
#!/sbin/openrc-run
description="tlaloc test daemon"
command=/bin/sleep
command_args=infinity
command_background=yes
pidfile=/run/tl-rc.pid
start_post() {
	cat /run/tl-rc.pid >> /var/log/tl-rc.starts
}
RC
chmod 0755 /etc/init.d/tl-rc
running() { rc-service tl-rc status >/dev/null 2>&1; }
in_default() { rc-update show default | grep -qE '^ *tl-rc \|'; }

R=/tmp/r; mkdir -p $R
cat >$R/a.lua <<'LUA'
service.start("tl-rc", {enable = true, provider = "openrc"})
file{path = "/etc/tl-rc.conf", content = "a\n", notify = "service[tl-rc]"}
LUA
tapply 2 $R/a.lua --noop
assert_contains "$OUT" "service[tl-rc]: start (was stopped)"
running && fail "--noop started it"
in_default && fail "--noop enabled it"

tapply 2 $R/a.lua
assert_contains "$OUT" "service[tl-rc]: start (was stopped)"
assert_contains "$OUT" "service[tl-rc]: enable at boot"
running || fail "rc-service says tl-rc is not running"
in_default || fail "tl-rc is not in the default runlevel: $(rc-update show default)"
pid1=$(cat /run/tl-rc.pid)
kill -0 "$pid1" || fail "the pid file's process $pid1 is not running"
tapply 0 $R/a.lua
assert_not_contains "$(settled)" "service[tl-rc]"

# a notification restarts it: a new process
sed -i 's/content = "a\\n"/content = "b\\n"/' $R/a.lua
tapply 2 $R/a.lua
assert_contains "$OUT" "service[tl-rc]: refreshed (notified)"
pid2=$(cat /run/tl-rc.pid)
[ "$pid1" != "$pid2" ] || fail "not restarted (pid $pid1)"
kill -0 "$pid2" || fail "the restarted process is not running"
kill -0 "$pid1" 2>/dev/null && fail "the old process $pid1 survived the restart"
[ "$(wait_lines /var/log/tl-rc.starts 2)" = 2 ] || fail "starts: $(cat /var/log/tl-rc.starts)"

# stopped by hand: the next converge starts it again. (A daemon killed
# behind OpenRC's back still reads "started" in rc-service status unless
# the script uses supervise-daemon; docs/recipes.md says so.)
rc-service tl-rc stop >/dev/null 2>&1
running && fail "setup: rc-service stop did not stop it"
tapply 2 $R/a.lua
assert_contains "$OUT" "service[tl-rc]: start (was stopped)"
running || fail "not running again after the converge"
kill -0 "$(cat /run/tl-rc.pid)" || fail "no process behind the started service"

# stopped and out of the default runlevel; --noop first changes nothing
cat >$R/b.lua <<'LUA'
service{name = "tl-rc", ensure = "stopped", enable = false, provider = "openrc"}
LUA
tapply 2 $R/b.lua --noop
assert_contains "$OUT" "would     service[tl-rc]: stop (was running)"
running || fail "--noop stopped it"
tapply 2 $R/b.lua
assert_contains "$OUT" "service[tl-rc]: stop (was running)"
assert_contains "$OUT" "service[tl-rc]: disable at boot"
running && fail "still running"
in_default && fail "still in the default runlevel"
tapply 0 $R/b.lua

# a service with no script: a failure naming it, nothing else changes
cat >$R/c.lua <<'LUA'
service{name = "tl-nosuch", ensure = "running", provider = "openrc"}
LUA
tapply 4 $R/c.lua
assert_contains "$OUT" "tl-nosuch"
echo "ok: openrc start, enable, restart on notify, stop, disable and idempotence against the real OpenRC"
