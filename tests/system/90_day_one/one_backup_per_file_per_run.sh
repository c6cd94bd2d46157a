#!/usr/bin/env bash
# Three line edits of one file in one run make one backup of it (what it
# held before the run), not three; the next run that changes it makes the
# next one.
. tests/system/lib/common.sh
mkdir -p "$ROOT/etc"
printf 'a = 1\nb = 1\nc = 1\n' >"$ROOT/etc/app.conf"
cat >"$RECIPES/site.lua" <<'LUA'
file.replace_line("/etc/app.conf", "^a = ", "a = " .. node.v)
file.replace_line("/etc/app.conf", "^b = ", "b = " .. node.v)
file.replace_line("/etc/app.conf", "^c = ", "c = " .. node.v)
LUA
apply 2 "$RECIPES" --fact v=2
list=$("$TLALOC" backups list /etc/app.conf --state-dir "$STATE")
[ "$(echo "$list" | grep -c /etc/app.conf)" = 1 ] || { echo "$list"; fail "wanted 1 backup after one run"; }
id=$(echo "$list" | grep /etc/app.conf | awk '{print $1}')
[ "$("$TLALOC" backups show "$id" --state-dir "$STATE")" = "$(printf 'a = 1\nb = 1\nc = 1')" ] ||
	fail "the backup is not what the file held before the run"
apply 2 "$RECIPES" --fact v=3
list=$("$TLALOC" backups list /etc/app.conf --state-dir "$STATE")
[ "$(echo "$list" | grep -c /etc/app.conf)" = 2 ] || { echo "$list"; fail "wanted 2 backups after two runs"; }
echo ok
