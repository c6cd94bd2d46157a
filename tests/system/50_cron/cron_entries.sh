#!/usr/bin/env bash
# Cron entries between markers: added, changed and removed idempotently;
# lines the user wrote are never touched; crontab -l shows the result.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"

useradd -m cronuser
printf '# mine\n15 2 * * * /usr/bin/own-job\n' | crontab -u cronuser -
R=/tmp/r; mkdir -p $R
cat >$R/a.lua <<'LUA'
user{name = "cronuser"}
cron{name = "backup", user = "cronuser", minute = "0", hour = "3",
     command = "/usr/local/bin/backup --all"}
cron{name = "tick", user = "cronuser", special = "hourly",
     command = "/bin/true", environment = {"PATH=/usr/bin:/bin"}}
cron{name = "rootjob", command = "/bin/date", minute = "*/10"}
LUA
tapply 2 $R/a.lua
assert_contains "$OUT" "cron[backup]: add entry to crontab of cronuser"
l=$(crontab -u cronuser -l)
echo "$l" | grep -qx '0 3 \* \* \* /usr/local/bin/backup --all' || fail "backup missing: $l"
echo "$l" | grep -qx '@hourly /bin/true' || fail "tick missing"
echo "$l" | grep -qx 'PATH=/usr/bin:/bin' || fail "environment missing"
echo "$l" | grep -qx '15 2 \* \* \* /usr/bin/own-job' || fail "the user's own line is gone"
crontab -u root -l | grep -qx '\*/10 \* \* \* \* /bin/date' || fail "root entry missing"
tapply 0 $R/a.lua

sed -i 's/hour = "3"/hour = "4"/' $R/a.lua
tapply 2 $R/a.lua
assert_contains "$OUT" "cron[backup]: change entry in crontab of cronuser"
crontab -u cronuser -l | grep -qx '0 4 \* \* \* /usr/local/bin/backup --all' || fail "not changed"
[ "$(crontab -u cronuser -l | grep -c "backup --all")" = 1 ] || fail "entry duplicated"

cat >$R/b.lua <<'LUA'
cron{name = "backup", user = "cronuser", ensure = "absent"}
LUA
tapply 2 $R/b.lua
l=$(crontab -u cronuser -l)
echo "$l" | grep -q backup && fail "backup not removed: $l"
echo "$l" | grep -qx '@hourly /bin/true' || fail "removed more than its own entry"
echo "$l" | grep -qx '15 2 \* \* \* /usr/bin/own-job' || fail "the user's own line is gone"
tapply 0 $R/b.lua
echo "ok: cron"
