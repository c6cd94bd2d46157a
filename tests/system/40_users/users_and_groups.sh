#!/usr/bin/env bash
# Users and groups in a throwaway root, checked with getent --service files
# and the files themselves: create, change (uid, shell, groups, password),
# remove without touching the home, remove with purge_home; the hash never
# shows in output; a tree given with --root gets its own accounts.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"

R=/tmp/r; mkdir -p $R
HASH='$6$abc$SECRETxyzSECRETxyzSECRETxyz'
cat >$R/a.lua <<LUA
group{name = "www", gid = 1600}
group{name = "ops", gid = 1601}
user{name = "deploy", uid = 1500, gid = "www", groups = {"ops"},
     shell = "/bin/bash", home = "/home/deploy", managehome = true,
     comment = "Deploy user", password = "$HASH"}
LUA
tapply 2 $R/a.lua
assert_not_contains "$OUT" "SECRET"
pw=$(getent --service files passwd deploy)
[ "$pw" = "deploy:x:1500:1600:Deploy user:/home/deploy:/bin/bash" ] || fail "passwd: $pw"
getent --service files group ops | grep -q ':1601:deploy$' || fail "ops: $(getent --service files group ops)"
grep -q "^deploy:$HASH:" /etc/shadow || fail "hash not in shadow"
[ "$(stat -c %U /home/deploy)" = deploy ] || fail "home not owned by deploy"
tapply 0 $R/a.lua

# changes: uid, shell, more groups, a new hash (reported, not shown)
sed -i 's/uid = 1500/uid = 1550/; s#/bin/bash#/bin/sh#; s/groups = {"ops"}/groups = {"ops", "www"}/; s/SECRETxyzSECRETxyz/SECRETabcSECRETabc/' $R/a.lua
tapply 2 $R/a.lua
assert_contains "$OUT" "user[deploy]: uid 1500 -> 1550"
assert_contains "$OUT" "user[deploy]: shell '/bin/bash' -> '/bin/sh'"
assert_contains "$OUT" "user[deploy]: password changed"
assert_not_contains "$OUT" "SECRET"
getent --service files passwd deploy | grep -q '^deploy:x:1550:1600:.*:/bin/sh$' || fail "not changed"
tapply 0 $R/a.lua

# membership = minimum keeps groups someone else added
groupadd -g 1700 extra && usermod -aG extra deploy
tapply 0 $R/a.lua
getent --service files group extra | grep -q deploy || fail "minimum removed a group"

# absent keeps the home unless purge_home says so
cat >$R/b.lua <<'LUA'
user{name = "deploy", ensure = "absent"}
LUA
tapply 2 $R/b.lua
assert_contains "$OUT" "remove user (home kept)"
getent --service files passwd deploy && fail "deploy still there"
[ -d /home/deploy ] || fail "home deleted without purge_home"
useradd -m -d /home/tmpu tmpu
cat >$R/c.lua <<'LUA'
user{name = "tmpu", ensure = "absent", purge_home = true}
group{name = "ops", ensure = "absent"}
LUA
tapply 2 $R/c.lua
[ -d /home/tmpu ] && fail "purge_home kept the home"
getent --service files group ops && fail "ops still there"
tapply 0 $R/c.lua

# a separate tree with --root: its files change, the sandbox's do not
T=/tmp/tree; mkdir -p $T/etc
cp /etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/login.defs $T/etc/
cat >$R/d.lua <<'LUA'
group{name = "treegrp", gid = 1800}
user{name = "treeuser", uid = 1801, gid = "treegrp"}
LUA
tapply 2 $R/d.lua --root $T
grep -q '^treeuser:x:1801:1800:' $T/etc/passwd || fail "treeuser not in the tree"
getent --service files passwd treeuser && fail "treeuser leaked out of the tree"
tapply 0 $R/d.lua --root $T
echo "ok: users and groups"
