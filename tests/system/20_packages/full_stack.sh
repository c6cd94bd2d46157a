#!/usr/bin/env bash
# The issue's acceptance run, in a throwaway root: 5 local packages, a
# service, 3 users, 2 groups and 3 cron entries converge; the second run
# changes nothing; --noop after a manual change reports exactly that change;
# a notified service restarts.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
. tests/system/lib/debrepo.sh

repo_init
for p in alpha beta gamma delta; do mkdeb tl-$p 1.0; done
mkdeb_daemon tl-demo 1.0
repo_index
R=/tmp/recipe; mkdir -p $R
cat >$R/site.lua <<'LUA'
package{names = {"tl-alpha", "tl-beta", "tl-gamma", "tl-delta"}}
package.install "tl-demo"
service{name = "tl-demo", ensure = "running", enable = true}
file{path = "/etc/tl-demo.conf", content = "level = 1\n",
     notify = "service[tl-demo]"}
group{name = "www", gid = 1600}
group{name = "ops", gid = 1601}
user{name = "deploy", uid = 1500, groups = {"www"}, shell = "/bin/bash",
     home = "/home/deploy", managehome = true,
     password = "$6$salt$Qx7nSECRETHASHonlyForTests0123456789abcdefghij"}
user{name = "alice", uid = 1501, groups = {"www", "ops"}, home = "/home/alice"}
user{name = "svc-batch", system = true, shell = "/usr/sbin/nologin"}
cron{name = "backup", user = "root", minute = "0", hour = "3",
     command = "/usr/local/bin/backup"}
cron{name = "poll", user = "deploy", minute = "*/5", command = "/bin/true"}
cron{name = "report", user = "alice", special = "daily", command = "/bin/date",
     environment = {"MAILTO=ops@example.invalid"}}
LUA

# --- first run: everything converges -------------------------------------
log_before=$(wc -l </var/log/dpkg.log)
tapply 2 $R/site.lua
echo "$OUT"
for p in tl-alpha tl-beta tl-gamma tl-delta tl-demo; do
	[ "$(dpkg_version $p)" = 1.0 ] || fail "$p not installed: $(dpkg_version $p)"
done
# one transaction for all five packages (the service's package too)
run_log=$(tail -n +$((log_before + 1)) /var/log/dpkg.log)
[ "$(echo "$run_log" | grep -c ' install tl-')" = 5 ] || fail "packages missing from dpkg.log"
[ "$(echo "$run_log" | grep -c 'startup archives unpack')" = 1 ] || fail "more than one dpkg transaction: $run_log"
/etc/init.d/tl-demo status || fail "tl-demo is not running"
ls /etc/rc2.d/S*tl-demo >/dev/null 2>&1 || fail "tl-demo not enabled at boot"
getent --service files group www | grep -q '^www:x:1600:deploy' || fail "www: $(getent --service files group www)"
getent --service files group ops | grep -q '^ops:x:1601:alice' || fail "ops: $(getent --service files group ops)"
getent --service files passwd deploy | grep -q '^deploy:x:1500:.*:/home/deploy:/bin/bash$' || fail "deploy: $(getent --service files passwd deploy)"
[ -d /home/deploy ] || fail "home of deploy not created"
[ ! -d /home/alice ] || fail "home of alice created without managehome"
getent --service files passwd svc-batch | awk -F: '$3 >= 1000 { exit 1 }' || fail "svc-batch is not a system account"
grep -q '^deploy:\$6\$salt\$Qx7n' /etc/shadow || fail "password hash not set"
assert_not_contains "$OUT" "SECRETHASH"
crontab -u root -l | grep -qx '0 3 \* \* \* /usr/local/bin/backup' || fail "root crontab: $(crontab -u root -l)"
crontab -u deploy -l | grep -qx '\*/5 \* \* \* \* /bin/true' || fail "deploy crontab"
crontab -u alice -l | grep -qx '@daily /bin/date' || fail "alice crontab"
crontab -u alice -l | grep -qx 'MAILTO=ops@example.invalid' || fail "alice crontab env"
starts=$(wait_lines /var/log/tl-demo.starts 1)
[ "$starts" = 1 ] || fail "tl-demo started $starts times, wanted 1 (a fresh start is not restarted)"

# --- second run: nothing to do ---------------------------------------------
tapply 0 $R/site.lua
assert_not_contains "$OUT" "changed   "

# --- a manual change: --noop reports exactly it ------------------------------
usermod -s /bin/sh deploy
tapply 2 $R/site.lua --noop
echo "$OUT"
assert_contains "$OUT" "user[deploy]: shell '/bin/sh' -> '/bin/bash'"
[ "$(echo "$OUT" | grep -c '^would')" = 1 ] || fail "noop reported more than the one change"
getent --service files passwd deploy | grep -q ':/bin/sh$' || fail "--noop changed the shell"

# --- a user's own cron entry survives; notify restarts the service --------------
(crontab -u root -l; echo '30 1 * * * /usr/bin/mine') | crontab -u root -
sed -i 's/level = 1/level = 2/' $R/site.lua
tapply 2 $R/site.lua
assert_contains "$OUT" "user[deploy]: shell '/bin/sh' -> '/bin/bash'"
[ "$(wait_lines /var/log/tl-demo.starts 2)" = 2 ] || fail "tl-demo was not restarted when notified"
crontab -u root -l | grep -qx '30 1 \* \* \* /usr/bin/mine' || fail "a user's own cron line was lost"
tapply 0 $R/site.lua
echo "ok: full stack converges, is idempotent, noop is exact"
