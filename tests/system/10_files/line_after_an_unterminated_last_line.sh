#!/usr/bin/env bash
# A line added `after` a line that is the file's last and has no newline
# goes on a line of its own: the file once became "a\nbc\n\n" (the
# after-line corrupted and an empty line added). Checked byte for byte,
# with the plain append and a middle line alongside, then idempotence.
. tests/system/lib/common.sh
mkdir -p "$ROOT/etc"
printf 'a\nb' >"$ROOT/etc/last"
printf 'a\nb' >"$ROOT/etc/append"
printf 'a\nb\nc' >"$ROOT/etc/middle"
cat >"$RECIPES/site.lua" <<'LUA'
line { path = "/etc/last", line = "c", after = "^b$" }
line { path = "/etc/append", line = "c" }
line { path = "/etc/middle", line = "x", after = "^a$" }
LUA
apply 2 "$RECIPES"
same() { # path printf-format
	printf "$2" | cmp -s - "$ROOT$1" ||
		fail "$1 holds $(od -An -c "$ROOT$1" | tr -s ' '), wanted $(printf "$2" | od -An -c | tr -s ' ')"
}
same /etc/last 'a\nb\nc\n'
same /etc/append 'a\nb\nc\n'
# an edited file ends in a newline, as the plain append makes it
same /etc/middle 'a\nx\nb\nc\n'
apply 0 "$RECIPES"
same /etc/last 'a\nb\nc\n'
echo ok
