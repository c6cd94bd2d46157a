# The issue's workload (bench/apply/gen.sh): 200 files, a 300-line config
# with 20 lines replaced, 10 directories, 10 links, one guarded exec. It
# converges exactly like the reference tree; a second run exits 0 and
# changes nothing; --noop on a changed tree prints diffs, exits 2 and
# changes nothing.
. tests/system/lib/common.sh
sh bench/apply/gen.sh "$T/w" >/dev/null || fail "gen.sh"
root=$T/w/roots/tlaloc
mkdir -p "$root"
cp -a "$T/w/seed/." "$root/"
run() { # expected-exit args...
	local want=$1; shift
	OUT=$("$TLALOC" apply "$T/w/tlaloc" --root "$root" --state-dir "$STATE" "$@" 2>&1)
	RC=$?
	[ "$RC" = "$want" ] || { echo "$OUT" | tail -20 >&2; fail "apply $* exited $RC, wanted $want"; }
}
run 2
assert_contains "$OUT" "241 resources"
[ "$(find "$root/srv/app" -name 'f*.conf' | wc -l)" = 200 ] || fail "not 200 files"
[ "$(grep -c '^option_[01][0-9] = new_' "$root/etc/app.conf")" = 20 ] || fail "not 20 lines replaced"
[ "$(grep -c '' "$root/etc/app.conf")" = 300 ] || fail "app.conf is not 300 lines"
[ "$(find "$root/srv/app" -maxdepth 1 -type l | wc -l)" = 10 ] || fail "not 10 links"
[ -f "$root/srv/app/exec.stamp" ] || fail "exec did not run"
run 0
assert_contains "$OUT" "0 changed, 0 failed, 0 skipped (nothing to do)"
sed -i 's/^option_07 = new_07$/option_07 = hand_edit/' "$root/etc/app.conf"
echo "drift" >> "$root/srv/app/d03/f061.conf"
before=$(tree_sum "$root")
run 2 --noop --diff
assert_contains "$OUT" "-option_07 = hand_edit"
assert_contains "$OUT" "+option_07 = new_07"
assert_contains "$OUT" "-drift"
assert_contains "$OUT" "2 would change"
[ "$(tree_sum "$root")" = "$before" ] || fail "--noop changed the tree"
run 2
run 0
