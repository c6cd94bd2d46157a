# Every changed or removed file is backed up first; restore brings any
# version back byte for byte, with its mode.
. tests/system/lib/common.sh
mkdir -p "$ROOT/etc"
printf 'original\n\x01binary\n' > "$ROOT/etc/app.conf"
chmod 0600 "$ROOT/etc/app.conf"
orig=$(sha256sum < "$ROOT/etc/app.conf")
echo 'file { path = "/etc/app.conf", content = node.v .. "\n", mode = "0644" }' > "$RECIPES/site.lua"
apply 2 "$RECIPES" --fact v=one
apply 2 "$RECIPES" --fact v=two
list=$("$TLALOC" backups list /etc/app.conf --state-dir "$STATE")
[ "$(echo "$list" | grep -c /etc/app.conf)" = 2 ] || { echo "$list"; fail "wanted 2 backups"; }
first_id=$(echo "$list" | grep /etc/app.conf | head -1 | awk '{print $1}')
[ "$("$TLALOC" backups show "$first_id" --state-dir "$STATE" | sha256sum)" = "$orig" ] ||
	fail "backups show does not give the original bytes"
"$TLALOC" backups restore /etc/app.conf --id "$first_id" --root "$ROOT" --state-dir "$STATE" >/dev/null ||
	fail "restore failed"
[ "$(sha256sum < "$ROOT/etc/app.conf")" = "$orig" ] || fail "restore is not byte for byte"
[ "$(stat -c %a "$ROOT/etc/app.conf")" = 600 ] || fail "restore lost the mode"
# Removal is backed up too.
echo 'file { path = "/etc/app.conf", ensure = "absent" }' > "$RECIPES/site.lua"
apply 2 "$RECIPES"
[ ! -e "$ROOT/etc/app.conf" ] || fail "file not removed"
"$TLALOC" backups restore /etc/app.conf --root "$ROOT" --state-dir "$STATE" >/dev/null ||
	fail "restore after removal failed"
[ "$(sha256sum < "$ROOT/etc/app.conf")" = "$orig" ] || fail "restored content differs"
