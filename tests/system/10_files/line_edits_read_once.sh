#!/usr/bin/env bash
# The line edits of one file read it once per run (run_load_kept): 20
# edits of a converged file open it once, not 20 times, and each edit is
# still reported on its own. A command between two edits of the file
# (it may change it) makes the next edit read it again, and so does an
# edit that changes it; --diff shows each edit's own change.
. tests/system/lib/common.sh
command -v strace >/dev/null || fail "needs strace (scripts/install-deps)"
mkdir -p "$ROOT/etc"
for i in $(seq -w 0 29); do echo "option_$i = old_$i"; done >"$ROOT/etc/app.conf"
for i in $(seq -w 0 19); do
	echo "line { path = \"/etc/app.conf\", match = \"^option_$i = \", line = \"option_$i = new_$i\" }"
done >"$RECIPES/site.lua"
apply 2 "$RECIPES" --diff
[ "$(grep -c '^option_.. = new_' "$ROOT/etc/app.conf")" = 20 ] || fail "not all 20 lines edited"
[ "$(grep -c 'line set' <<<"$OUT")" = 20 ] || { echo "$OUT" >&2; fail "wanted 20 edits reported"; }
assert_contains "$OUT" "+option_07 = new_07"
# the no-op: one open of the file for the 20 edits (LeakSanitizer cannot
# run under ptrace: off for this one run of a sanitizer build)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -o "$T/trace" -e trace=openat,open "$TLALOC" apply --root "$ROOT" \
    --state-dir "$STATE" "$RECIPES" -q >/dev/null || fail "no-op run failed"
n=$(grep -c 'app\.conf"' "$T/trace")
[ "$n" = 1 ] || { grep 'app\.conf' "$T/trace" >&2; fail "app.conf opened $n times in a no-op, wanted 1"; }
# an edit out of date, and a command between two edits that adds a line
# the edit after it removes
sed -i 's/^option_03 = new_03/option_03 = old_03/' "$ROOT/etc/app.conf"
cat >>"$RECIPES/site.lua" <<LUA
exec { name = "add", command = { "/bin/sh", "-c", "echo gone = 1 >>$ROOT/etc/app.conf" },
       host = true, require = "line[/etc/app.conf:^option_19 = ]" }
line { name = "gone", path = "/etc/app.conf", match = "^gone = ", ensure = "absent", require = "exec[add]" }
LUA
apply 2 "$RECIPES"
assert_contains "$OUT" "line[/etc/app.conf:^option_03 = ]"
assert_contains "$OUT" "line[gone]"
grep -qx 'option_03 = new_03' "$ROOT/etc/app.conf" || fail "option_03 not set again"
! grep -q '^gone' "$ROOT/etc/app.conf" || fail "the edit after the command did not see its line"
echo ok
