#!/usr/bin/env bash
# A recipe cannot be turned against its machine by a user who owns part of
# a managed path (issue 16). As root, in a throwaway root, with the user
# `nobody` racing tlaloc for seconds at a time:
#   a. a link swapped in at the target between check and fix;
#   b. a link where a parent directory should be (~/.ssh -> /root/.ssh);
#   c. an absolute link inside a --root tree pointing out of it;
#   d. a hard link to a root-owned file (/etc/shadow).
# Every run changes nothing but what the recipe names, and each failure
# names the path it refused. The old code made /etc/shadow world-readable
# in a, wrote root's authorized_keys in b and the host's files in c.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
set -u
id nobody >/dev/null 2>&1 || { echo "needs the user nobody"; exit 77; }
STATE=/tmp/tlaloc-state R=/tmp/r H=/home/victim
mkdir -p "$R" "$H"
chown nobody:nogroup "$H"
chmod 0755 "$H"
mkdir -p /root/.ssh
echo "root's own key" > /root/.ssh/authorized_keys
chmod 0600 /root/.ssh/authorized_keys
# What must never change: /etc and /root, names, modes, owners, contents.
sum_outside() {
	find /etc /root -xdev \( -path /etc/mtab \) -prune -o \
	    -printf '%p %y %m %U %G %s %T@ %l\n' 2>/dev/null | sort | sha256sum
	sha256sum /etc/shadow /etc/passwd /root/.ssh/authorized_keys
}
before=$(sum_outside)
shadow_stat=$(stat -c '%a %U %G %s' /etc/shadow)
check_outside() {
	[ "$(sum_outside)" = "$before" ] || fail "$1: something outside the recipe changed"
	[ "$(stat -c '%a %U %G %s' /etc/shadow)" = "$shadow_stat" ] || fail "$1: /etc/shadow changed"
}
# race RECIPE SECONDS PATH RACER: runs `tlaloc apply` in a loop while
# nobody runs RACER; every failed run must name PATH. Sets RUNS, FAILED
# and LINKS (failures for a link: 0 means the race proved nothing).
race() {
	local recipe=$1 secs=$2 path=$3 racer=$4 end v out rc links=0
	runuser -u nobody -- bash -c "while :; do $racer; done" >/dev/null 2>&1 &
	local rpid=$!
	RUNS=0 FAILED=0
	end=$(($(date +%s) + secs))
	while [ "$(date +%s)" -lt "$end" ]; do
		v=$((RUNS % 2))
		out=$("$TLALOC" apply "$recipe" --state-dir "$STATE" --fact v=$v 2>&1)
		rc=$?
		RUNS=$((RUNS + 1))
		case $rc in
		0|2) ;;
		4|6) FAILED=$((FAILED + 1))
		     echo "$out" | grep '^failed' | grep -vqF "'$path" &&
		         fail "a failure that does not name $path: $(echo "$out" | grep '^failed')"
		     echo "$out" | grep -q "^failed.*is a symbolic link" &&
		         { [ $links = 0 ] && echo "  e.g. $(echo "$out" | grep -m1 '^failed.*symbolic')"; links=$((links + 1)); };;
		*) echo "$out"; fail "apply exited $rc";;
		esac
	done
	kill "$rpid"; wait "$rpid" 2>/dev/null
	echo "  $RUNS runs, $FAILED refused naming $path ($links for a link)"
	LINKS=$links
}

echo "a. a link swapped in at the target, for 8 s"
cat > /tmp/a.lua <<'LUA'
file { path = "/home/victim/f", content = "tlaloc " .. node.v .. "\n",
       mode = "0644", owner = "nobody" }
line { path = "/home/victim/g", line = "managed " .. node.v, create = true }
LUA
race /tmp/a.lua 8 /home/victim/ '
    cd /home/victim
    echo mine > f.n; chmod 600 f.n; mv -f f.n f
    echo mine > g.n; mv -f g.n g
    sleep 0.0$((RANDOM % 3))
    ln -sfn /etc/shadow f.l; mv -fT f.l f
    ln -sfn /etc/shadow g.l; mv -fT g.l g
    sleep 0.0$((RANDOM % 3))'
check_outside a
[ "$LINKS" -gt 0 ] || fail "the race never put a link in tlaloc's way"

echo "b. a link where a directory should be (~/.ssh -> /root/.ssh), for 10 s"
cat > /tmp/b.lua <<'LUA'
file { path = "/home/victim/.ssh/authorized_keys", content = "key " .. node.v .. "\n" }
LUA
race /tmp/b.lua 10 /home/victim/.ssh '
    cd /home/victim
    mkdir d.n; mv -fT d.n .ssh 2>/dev/null || { rm -rf .ssh; mv d.n .ssh; }
    sleep 0.0$((RANDOM % 5))
    ln -sfn /root/.ssh s.l; rm -rf .ssh; mv -fT s.l .ssh
    sleep 0.0$((RANDOM % 5))'
check_outside b
[ "$LINKS" -gt 0 ] || fail "the race never put a link in tlaloc's way"
[ "$(cat /root/.ssh/authorized_keys)" = "root's own key" ] || fail "root's authorized_keys changed"

echo "c. absolute links inside a --root tree pointing out of it"
mkdir -p "$R/etc" "$R/srv" "$R/home/victim"
echo "tree's own" > "$R/etc/passwd"
chown nobody:nogroup "$R/home/victim"
runuser -u nobody -- ln -s /etc "$R/home/victim/data"	# a user's link
ln -s /etc "$R/srv/conf"				# root's, absolute
ln -s ../../../../../../etc "$R/srv/up"			# root's, climbing
cat > /tmp/c.lua <<'LUA'
file { path = "/home/victim/data/passwd", content = "pwned\n" }
file { path = "/srv/conf/tlaloc.conf", content = "in the tree\n" }
file { path = "/srv/up/tlaloc-up.conf", content = "in the tree too\n" }
LUA
OUT=$("$TLALOC" apply /tmp/c.lua --root "$R" --state-dir "$STATE" 2>&1)
RC=$?
[ "$RC" = 6 ] || { echo "$OUT"; fail "apply --root exited $RC, wanted 6"; }
assert_contains "$OUT" "failed    file[/home/victim/data/passwd]: '/home/victim/data' is a symbolic link"
[ "$(cat "$R/etc/passwd")" = "tree's own" ] || fail "the tree's /etc/passwd changed"
[ "$(cat "$R/etc/tlaloc.conf")" = "in the tree" ] || fail "root's absolute link did not resolve in the tree"
[ "$(cat "$R/etc/tlaloc-up.conf")" = "in the tree too" ] || fail "../ did not stop at the tree's root"
[ -e /etc/tlaloc.conf ] || [ -e /etc/tlaloc-up.conf ] && fail "a file landed in the host's /etc"
check_outside c
echo "  the user's link refused; root's links resolved inside $R"

echo "d. a hard link to a root-owned file"
ln /etc/shadow "$H/h"		# protected_hardlinks stops nobody; say it got one
before=$(sum_outside)		# (overlayfs copies /etc/shadow up on the link)
shadow_stat=$(stat -c '%a %U %G %s' /etc/shadow)
echo 'file { path = "/home/victim/h", content = "x\n", mode = "0644" }' > /tmp/d1.lua
echo 'line { path = "/home/victim/h", line = "pwned::0:0::/:/bin/sh" }' > /tmp/d2.lua
echo 'file { path = "/home/victim/h", mode = "0666" }' > /tmp/d3.lua
for d in d1 d2 d3; do
	OUT=$("$TLALOC" apply /tmp/$d.lua --state-dir "$STATE" 2>&1)
	RC=$?
	[ "$RC" = 4 ] || { echo "$OUT"; fail "$d: apply exited $RC, wanted 4"; }
	assert_contains "$OUT" "'/home/victim/h' has 2 hard links"
done
check_outside d
rm -f "$H/h"
echo "ok: nothing outside what the recipes name changed"
