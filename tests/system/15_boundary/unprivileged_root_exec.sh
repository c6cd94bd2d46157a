#!/usr/bin/env bash
# An unprivileged user's --root (the demo's case, issue 16): an exec still
# runs chrooted into the tree, through a user namespace of its own on
# Linux, never on the host; a tree without the program says where it
# looked. Runs as nobody in a scratch directory (not in the sandbox: the
# kernel refuses user namespaces inside a chroot).
. tests/system/lib/common.sh
[ "$(id -u)" = 0 ] || { echo "needs root to become nobody"; exit 77; }
command -v busybox >/dev/null || { echo "needs busybox for a tiny tree"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "needs the user nobody"; exit 77; }
MARK=$T/host-mark
mkdir -p "$ROOT/bin"
cp "$(command -v busybox)" "$ROOT/bin/busybox"
for l in $(ldd "$(command -v busybox)" | grep -o '/lib[^ ]*'); do
	mkdir -p "$ROOT$(dirname "$l")"
	cp -L "$l" "$ROOT$l"
done
for c in sh mkdir touch; do ln -s busybox "$ROOT/bin/$c"; done
cat > "$RECIPES/a.lua" <<LUA
exec { name = "m", command = {"/bin/sh", "-c", "mkdir -p $MARK && touch $MARK/m"} }
exec { name = "missing", command = {"/usr/bin/nothing-here"} }
LUA
chown -R nobody:nogroup "$T"
chmod 755 "$T"
OUT=$(runuser -u nobody -- "$TLALOC" apply "$RECIPES/a.lua" --root "$ROOT" \
    --state-dir "$STATE" 2>&1)
RC=$?
if echo "$OUT" | grep -q "exec\[m\]: cannot run '/bin/sh' chrooted"; then
	echo "$OUT"; echo "no user namespaces for nobody here"; exit 77
fi
[ "$RC" = 6 ] || { echo "$OUT"; fail "apply --root as nobody exited $RC, wanted 6"; }
[ -e "$MARK/m" ] && fail "an unprivileged exec ran on the host"
[ -e "$ROOT$MARK/m" ] || fail "the exec left no marker in its tree"
assert_contains "$OUT" "failed    exec[missing]: cannot run '/usr/bin/nothing-here' (looked up inside '$ROOT', where it runs chrooted)"
echo "ok: nobody's --root exec ran chrooted in a user namespace"
