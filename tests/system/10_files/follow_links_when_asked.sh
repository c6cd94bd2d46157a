# A link at a managed path is refused unless the recipe says follow = true;
# then the file it leads to is managed, inside --root even when the link
# is absolute or climbs with "..", and the link itself stays.
. tests/system/lib/common.sh
mkdir -p "$ROOT/etc" "$ROOT/run/systemd" "$T/host-run"
echo "nameserver 192.0.2.1" > "$ROOT/run/systemd/resolv.conf"
ln -s ../run/systemd/resolv.conf "$ROOT/etc/resolv.conf"
echo "passwd: files" > "$ROOT/run/ns.conf"
ln -s ../run/ns.conf "$ROOT/etc/nsswitch.conf"
ln -s /run/systemd/hosts "$ROOT/etc/hosts"		# absolute, missing yet
ln -s "$T/host-run/x" "$ROOT/etc/outside"		# a host path
cat > "$RECIPES/plain.lua" <<'LUA'
file { path = "/etc/resolv.conf", content = "nameserver 10.0.0.1\n" }
LUA
apply 4 "$RECIPES/plain.lua"
assert_contains "$OUT" "failed    file[/etc/resolv.conf]: '/etc/resolv.conf' is a symbolic link; tlaloc does not write through it (follow = true manages the file it leads to)"
[ "$(cat "$ROOT/run/systemd/resolv.conf")" = "nameserver 192.0.2.1" ] || fail "written through the link"
cat > "$RECIPES/follow.lua" <<'LUA'
file { path = "/etc/resolv.conf", content = "nameserver 10.0.0.1\n", follow = true }
file { path = "/etc/hosts", content = "127.0.0.1 localhost\n", follow = true }
file { path = "/etc/outside", content = "tree\n", follow = true }
line { path = "/etc/nsswitch.conf", line = "hosts: files dns", follow = true }
LUA
apply 6 "$RECIPES/follow.lua"
[ "$(cat "$ROOT/run/systemd/resolv.conf")" = "nameserver 10.0.0.1" ] ||
    fail "the followed file holds: $(cat "$ROOT/run/systemd/resolv.conf")"
[ "$(cat "$ROOT/run/ns.conf")" = "passwd: files
hosts: files dns" ] || fail "the followed line file holds: $(cat "$ROOT/run/ns.conf")"
[ -L "$ROOT/etc/resolv.conf" ] && [ -L "$ROOT/etc/nsswitch.conf" ] || fail "a link was replaced"
[ "$(cat "$ROOT/run/systemd/hosts")" = "127.0.0.1 localhost" ] || fail "the absolute link did not resolve in the tree"
# The host path the third link names resolves in the tree too: its
# directory is not there, and nothing lands on the host.
assert_contains "$OUT" "failed    file[/etc/outside]: cannot create '$T/host-run/x': directory"
[ -e "$T/host-run/x" ] && fail "follow wrote outside the root"
apply 4 "$RECIPES/follow.lua"
assert_contains "$OUT" "0 changed"
echo "ok: follow = true manages what the link leads to, inside the root"
