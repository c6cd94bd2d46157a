# A mixed recipe converges; the second run changes nothing; --noop after a
# hand edit shows the diff, exits 2 and changes nothing.
. tests/system/lib/common.sh
mkdir -p "$ROOT/etc" "$ROOT/srv"
printf 'a = 1\nServer old.example\nb = 2\n' > "$ROOT/etc/ntpd.conf"
cat > "$RECIPES/site.lua" <<'LUA'
directory { path = "/srv/app", mode = "0750" }
for i = 1, 5 do
  file { path = ("/srv/app/f%d.conf"):format(i), content = ("n = %d\n"):format(i), mode = "0640" }
end
file.replace_line("/etc/ntpd.conf", "^Server ", "Server ntp.dmz.example")
link { path = "/srv/app/current", target = "/srv/app/f1.conf" }
exec { name = "stamp", command = {"/bin/sh", "-c", "echo ran >> \"$TLALOC_ROOT/srv/app/stamp\""},
       creates = "/srv/app/stamp", host = true, require = "directory[/srv/app]" }
LUA
# (host = true: the scratch root has no /bin/sh to run chrooted)
apply 2 "$RECIPES"
assert_contains "$OUT" "changed   file[/srv/app/f3.conf]: create (6 bytes)"
assert_contains "$OUT" "9 resources"
assert_file /srv/app/f3.conf "n = 3"
[ "$(stat -c %a "$ROOT/srv/app/f3.conf")" = 640 ] || fail "mode of f3.conf"
[ "$(stat -c %a "$ROOT/srv/app")" = 750 ] || fail "mode of /srv/app"
assert_file /etc/ntpd.conf "$(printf 'a = 1\nServer ntp.dmz.example\nb = 2')"
[ "$(readlink "$ROOT/srv/app/current")" = /srv/app/f1.conf ] || fail "link target"
assert_file /srv/app/stamp "ran"

apply 0 "$RECIPES"
assert_contains "$OUT" "0 changed, 0 failed, 0 skipped (nothing to do)"
assert_file /srv/app/stamp "ran"

echo "hand edit" >> "$ROOT/srv/app/f2.conf"
chmod 600 "$ROOT/srv/app/f4.conf"
before=$(tree_sum "$ROOT")
apply 2 "$RECIPES" --noop --diff
assert_contains "$OUT" "would     file[/srv/app/f2.conf]: content"
assert_contains "$OUT" "+++ /srv/app/f2.conf"
assert_contains "$OUT" "-hand edit"
assert_contains "$OUT" "would     file[/srv/app/f4.conf]: mode 0600 -> 0640"
assert_contains "$OUT" "noop: 9 resources"
[ "$(tree_sum "$ROOT")" = "$before" ] || fail "--noop changed the tree"

apply 2 "$RECIPES"
apply 0 "$RECIPES"
assert_file /srv/app/f2.conf "n = 2"
