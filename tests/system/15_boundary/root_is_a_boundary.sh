#!/usr/bin/env bash
# --root is a real boundary (issue 16). Under `tlaloc apply --root R` and
# `tlaloc agent --root R`, exec commands and their guards, cron's crontab
# and `tlaloc run` commands run chrooted into R, in a mount namespace of
# their own, and never touch the host: each leaves a marker at "/", and the
# marker shows up in R, never on the host. host = true runs on the host,
# as it says. R is a whole system tree (an overlay of the sandbox's /), as
# a container image would be. The old code ran every one of these on the
# host.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
set -u
B=/tmp/tree R=/tmp/tree/r STATE=/tmp/st
mkdir -p $B/up $B/wk $R
mount -t overlay overlay -o lowerdir=/,upperdir=$B/up,workdir=$B/wk $R ||
    { echo "cannot mount an overlay of / at $R"; exit 77; }
# in_tree_only MARKER...: each is in the tree and not on the host
in_tree_only() {
	for m; do
		[ -e "/$m" ] && fail "/$m is on the host"
		[ -e "$R/$m" ] || fail "/$m is not in the tree"
	done
}

cat > /tmp/e.lua <<'LUA'
exec { name = "marker", command = {"/bin/sh", "-c", "touch /marker-exec"},
       unless = {"/bin/sh", "-c", "touch /marker-guard; exit 1"},
       creates = "/marker-exec" }
exec { name = "mounts",
       command = {"/bin/sh", "-c", "mount -t tmpfs tlaloc-test /mnt && touch /mnt/x"} }
exec { name = "env", command = {"/bin/sh", "-c", "echo \"$TLALOC_ROOT\" > /marker-env"} }
exec { name = "on-host", host = true,
       command = {"/bin/sh", "-c", "echo \"$TLALOC_ROOT\" > /marker-host"} }
cron { name = "marker", command = "touch /marker-cron", minute = "5" }
LUA
host_cron=$(crontab -u root -l 2>/dev/null)
OUT=$("$TLALOC" apply /tmp/e.lua --root "$R" --state-dir "$STATE" 2>&1)
RC=$?
[ "$RC" = 2 ] || { echo "$OUT"; fail "apply --root exited $RC, wanted 2"; }
in_tree_only marker-exec marker-guard marker-env
[ "$(cat "$R/marker-env")" = / ] || fail "TLALOC_ROOT in the chroot is not /"
echo "ok: exec and its guard ran in the tree"
grep -q tlaloc-test /proc/self/mounts && fail "the command's mount reached the host"
[ -e "$R/mnt/x" ] && fail "the command's tmpfs is visible outside its namespace"
echo "ok: a mount made by the command stayed in its own namespace"
[ "$(cat /marker-host 2>/dev/null)" = "$R" ] || fail "host = true did not run on the host with TLALOC_ROOT"
rm -f /marker-host
echo "ok: host = true ran on the host, TLALOC_ROOT=$R"
grep -q "touch /marker-cron" "$R/var/spool/cron/crontabs/root" ||
    fail "the tree's crontab lacks the entry"
[ "$(crontab -u root -l 2>/dev/null)" = "$host_cron" ] || fail "the host's crontab changed"
echo "ok: cron wrote the tree's crontab, not the host's"
# Converged: the guarded exec and the cron entry stay put.
OUT=$("$TLALOC" apply /tmp/e.lua --root "$R" --state-dir "$STATE" 2>&1)
assert_not_contains "$(settled)" "exec[marker]"
assert_not_contains "$OUT" "cron[marker]"

# tlaloc run, answered by an agent converging R.
"$TLALOC" keys gen --out /tmp/keyring
"$TLALOC" keys operator gen --out /tmp/op >/dev/null
port=$((22000 + $$ % 2000))
"$TLALOC" agent --name n1 --bind "127.0.0.1:$port" --keyring /tmp/keyring \
    --state-dir /tmp/ag --root "$R" --trust /tmp/op/operator.pub \
    --interval 0 --profile local > /tmp/ag.log 2>&1 &
apid=$!
for i in $(seq 100); do "$TLALOC" info --state-dir /tmp/ag >/dev/null 2>&1 && break; sleep 0.1; done
OUT=$("$TLALOC" run 'name=^n1$' --key /tmp/op/operator.key --state-dir /tmp/ag \
    -- /bin/sh -c 'touch /marker-run; echo "ran in $(pwd)"' 2>&1)
kill "$apid"; wait "$apid" 2>/dev/null
assert_contains "$OUT" "ran in /"
in_tree_only marker-run
echo "ok: tlaloc run under agent --root ran in the tree"

