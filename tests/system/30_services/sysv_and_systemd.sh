#!/usr/bin/env bash
# Services in a throwaway root (PID 1 here is not systemd):
# - a real sysv init script (start-stop-daemon) is started, restarted when
#   notified, stopped, enabled and disabled with update-rc.d;
# - systemd units are enabled and disabled offline with systemctl --root,
#   in the sandbox's / and in a separate tree given with --root;
# - ensure = running under systemd without a running systemd fails clearly.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
. tests/system/lib/debrepo.sh

repo_init
mkdeb_daemon tl-svc 1.0
repo_index
R=/tmp/r; mkdir -p $R
cat >$R/a.lua <<'LUA'
package.install "tl-svc"
service.start("tl-svc", {enable = true, provider = "sysv"})
file{path = "/etc/tl-svc.conf", content = "a\n", notify = "service[tl-svc]"}
LUA
tapply 2 $R/a.lua
assert_contains "$OUT" "service[tl-svc]: start (was stopped)"
assert_contains "$OUT" "service[tl-svc]: enable at boot"
/etc/init.d/tl-svc status || fail "not running"
pid1=$(cat /run/tl-svc.pid); wait_lines /var/log/tl-svc.starts 1 >/dev/null
ls /etc/rc2.d/S*tl-svc >/dev/null || fail "no S link in rc2.d"
tapply 0 $R/a.lua

# a notification restarts it (a new process)
sed -i 's/content = "a\\n"/content = "b\\n"/' $R/a.lua
tapply 2 $R/a.lua
assert_contains "$OUT" "service[tl-svc]: refreshed (notified)"
pid2=$(cat /run/tl-svc.pid)
[ "$pid1" != "$pid2" ] || fail "not restarted (pid $pid1)"
kill -0 "$pid2" || fail "restarted process is not running"
[ "$(wait_lines /var/log/tl-svc.starts 2)" = 2 ] || fail "starts: $(cat /var/log/tl-svc.starts); ps: $(ps -eo pid,args | grep tl-svc)"

# stopped and disabled; --noop first changes nothing
cat >$R/b.lua <<'LUA'
service{name = "tl-svc", ensure = "stopped", enable = false}
LUA
tapply 2 $R/b.lua --noop
assert_contains "$OUT" "would     service[tl-svc]: stop (was running)"
/etc/init.d/tl-svc status || fail "--noop stopped it"
tapply 2 $R/b.lua
/etc/init.d/tl-svc status && fail "still running"
kill -0 "$pid2" 2>/dev/null && fail "process $pid2 survived the stop"
ls /etc/rc2.d/S*tl-svc >/dev/null 2>&1 && fail "still enabled"
ls /etc/rc2.d/K*tl-svc >/dev/null || fail "no K link after disable"
tapply 0 $R/b.lua

# systemd, offline: enable/disable with systemctl --root
mkdir -p /etc/systemd/system
cat >/etc/systemd/system/tl-web.service <<'UNIT'
[Unit]
Description=tlaloc test unit
[Service]
ExecStart=/bin/sleep infinity
[Install]
WantedBy=multi-user.target
UNIT
cat >$R/c.lua <<'LUA'
service{name = "tl-web", enable = true, provider = "systemd"}
LUA
tapply 2 $R/c.lua
[ -L /etc/systemd/system/multi-user.target.wants/tl-web.service ] || fail "systemd unit not enabled"
tapply 0 $R/c.lua
sed -i 's/enable = true/enable = false/' $R/c.lua
tapply 2 $R/c.lua
[ -e /etc/systemd/system/multi-user.target.wants/tl-web.service ] && fail "still enabled"

# systemd in another tree, given with --root
T=/tmp/tree; mkdir -p $T/etc/systemd/system
cp /etc/systemd/system/tl-web.service $T/etc/systemd/system/
sed -i 's/enable = false/enable = true/' $R/c.lua
tapply 2 $R/c.lua --root $T
[ -L $T/etc/systemd/system/multi-user.target.wants/tl-web.service ] || fail "not enabled under --root"
tapply 0 $R/c.lua --root $T

# running needs a running systemd: a clear failure
cat >$R/d.lua <<'LUA'
service{name = "tl-web", ensure = "running", provider = "systemd"}
LUA
tapply 4 $R/d.lua
assert_contains "$OUT" "cannot start 'tl-web': systemd is not running"
echo "ok: sysv start/restart/stop/enable/disable; systemd enable offline"
