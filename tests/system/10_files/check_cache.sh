#!/usr/bin/env bash
# The check cache (engine/statcache.h, docs/resources/file.md): a file a
# run found in sync, unchanged since (same inode, size, mtime, ctime), is
# not opened by the next run. A file rewritten in place with the same size
# and its mtime set back (touch -d) is still seen (its ctime moved); a file
# changed just before a run is read (racily clean, not recorded); a
# corrupt cache is ignored with a warning and written anew; a cache dir
# that is a symbolic link is refused and nothing is written through it;
# --no-cache reads every file; a file others may write is never trusted.
. tests/system/lib/common.sh
command -v strace >/dev/null || fail "needs strace (scripts/install-deps)"
mkdir -p "$ROOT/etc"
cat >"$RECIPES/site.lua" <<'LUA'
file { path = "/etc/a.conf", content = "alpha = 1\n" }
file { path = "/etc/b.conf", content = "bravo = 1\n" }
LUA
# opens of the two managed files in a run: apply_opens EXIT [ARGS]
apply_opens() {
	local want=$1; shift
	strace -f -qq -o "$T/trace" -e trace=openat,open "$TLALOC" apply --root "$ROOT" \
	    --state-dir "$STATE" "$RECIPES" -q "$@" >"$T/out" 2>&1
	RC=$?
	[ "$RC" = "$want" ] || { cat "$T/out" >&2; fail "apply $* exited $RC, wanted $want"; }
	OPENS=$(grep -v O_TMPFILE "$T/trace" | grep -c '"[ab]\.conf"')
}
apply 2 "$RECIPES"
# Just written: racily clean, so read (and not recorded) until 2 s old.
apply_opens 0
[ "$OPENS" = 2 ] || fail "files written just now were opened $OPENS times, wanted 2 (racily clean)"
sleep 2.2
apply_opens 0		# read once more, now old enough: recorded
[ "$OPENS" = 2 ] || fail "first cached run opened $OPENS files, wanted 2"
[ "$(stat -c %a "$STATE/cache")" = 700 ] || fail "cache dir is $(stat -c %a "$STATE/cache"), wanted 700"
[ "$(stat -c %a "$STATE/cache/files")" = 600 ] || fail "cache is $(stat -c %a "$STATE/cache/files"), wanted 600"
apply_opens 0
[ "$OPENS" = 0 ] || fail "unchanged files opened $OPENS times, wanted 0"
apply_opens 0 --no-cache
[ "$OPENS" = 2 ] || fail "--no-cache opened $OPENS files, wanted 2"

# Same size, same mtime (set back with touch -d), same inode: the ctime
# moved, so the change is seen and undone.
old=$(stat -c %y "$ROOT/etc/a.conf")
printf 'alpha = 2\n' >"$ROOT/etc/a.conf"
touch -d "$old" "$ROOT/etc/a.conf"
[ "$(stat -c %y "$ROOT/etc/a.conf")" = "$old" ] || fail "touch -d did not restore the mtime"
apply 2 "$RECIPES"
assert_contains "$OUT" "file[/etc/a.conf]"
assert_file /etc/a.conf "alpha = 1"

# Racily clean: changed within the racy window of the run that reads it.
sleep 2.2
apply 0 "$RECIPES"	# a.conf recorded again
printf 'alpha = 3\n' >"$ROOT/etc/a.conf"
apply 2 "$RECIPES"
assert_file /etc/a.conf "alpha = 1"

# A corrupt cache: ignored with a warning, every file read, written anew.
sleep 2.2
apply 0 "$RECIPES"
printf 'X' | dd of="$STATE/cache/files" bs=1 seek=100 conv=notrunc 2>/dev/null
printf 'bravo = 9\n' >"$ROOT/etc/b.conf"
apply_opens 2
assert_contains "$(cat "$T/out")" "ignored the check cache"
# both checked by reading them, and b.conf read once more for its backup
[ "$OPENS" = 3 ] || fail "with a corrupt cache $OPENS files were opened, wanted 3"
assert_file /etc/b.conf "bravo = 1"
sleep 2.2
apply_opens 0
assert_not_contains "$(cat "$T/out")" "ignored the check cache"
apply_opens 0
[ "$OPENS" = 0 ] || fail "the rebuilt cache was not used ($OPENS opens)"

# The cache dir as a link (to a dir someone else set up): refused, and
# nothing is written where it leads.
rm -rf "$STATE/cache"
mkdir -m 700 "$T/elsewhere"
ln -s "$T/elsewhere" "$STATE/cache"
sleep 2.2
apply_opens 0
assert_contains "$(cat "$T/out")" "ignored the check cache"
[ "$OPENS" = 2 ] || fail "with a linked cache dir $OPENS files were opened, wanted 2"
[ -z "$(ls -A "$T/elsewhere")" ] || fail "wrote through the linked cache dir: $(ls -A "$T/elsewhere")"

# A cache file open to others: refused.
rm -f "$STATE/cache"
apply_opens 0
apply_opens 0
chmod 644 "$STATE/cache/files"
apply_opens 0
assert_contains "$(cat "$T/out")" "ignored the check cache"
[ "$OPENS" = 2 ] || fail "a 0644 cache was used ($OPENS opens)"

# A file others may write (0664) is read every run: a writer through a
# shared mapping can change it without moving its ctime.
chmod 664 "$ROOT/etc/a.conf"
sleep 2.2
apply_opens 0
apply_opens 0
[ "$OPENS" = 1 ] || fail "with a.conf group-writable $OPENS files were opened, wanted 1 (a.conf)"
grep -q '"a\.conf"' "$T/trace" || fail "a group-writable a.conf was trusted unread"
echo ok
