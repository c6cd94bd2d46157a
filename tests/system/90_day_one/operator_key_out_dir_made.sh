#!/usr/bin/env bash
# `tlaloc keys operator gen --out DIR` makes DIR (0700) when it is missing,
# instead of failing to write the key into it.
. tests/system/lib/common.sh
out=$("$TLALOC" keys operator gen --out "$T/keys/new" 2>&1) || { echo "$out"; fail "keys operator gen failed"; }
[ -f "$T/keys/new/operator.key" ] && [ -f "$T/keys/new/operator.pub" ] || fail "no key written"
[ "$(stat -c %a "$T/keys/new")" = 700 ] || fail "DIR is $(stat -c %a "$T/keys/new"), wanted 700"
[ "$(stat -c %a "$T/keys/new/operator.key")" = 600 ] || fail "secret is not 0600"
echo ok
