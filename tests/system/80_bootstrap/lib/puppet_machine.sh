#!/usr/bin/env bash
# A new machine of 30_puppet_apply.sh: `puppet apply` of the manifest from
# `tlaloc bootstrap --via puppet`, in a throwaway root. Args: MANIFEST
# WANT_MEMBERS KEYRING.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
manifest=$1 want=$2 keyring=$3
rm -f /var/lib/man-db/auto-update
[ -e /usr/bin/tlaloc ] && fail "tlaloc is already installed in the sandbox"
alive() { /usr/bin/tlaloc members --status alive 2>/dev/null | grep -c .; }

out=$(puppet apply --detailed-exitcodes "$manifest" 2>&1)
rc=$?
[ "$rc" = 2 ] || { echo "$out"; fail "puppet apply exited $rc, wanted 2 (changes, no failures)"; }
for _ in $(seq 100); do [ "$(alive)" -ge "$want" ] && break; sleep 0.1; done
[ "$(alive)" -ge "$want" ] || { echo "$out"; cat /var/log/tlaloc.log; fail "not a member after puppet apply"; }
[ "$(stat -c %a /etc/tlaloc/keyring)" = 600 ] || fail "keyring is not 0600"
cmp -s /etc/tlaloc/keyring "$keyring" || fail "keyring differs"
assert_not_contains "$out" "$(grep -v '^#' "$keyring")"
# Idempotent: a second apply changes nothing.
out=$(puppet apply --detailed-exitcodes "$manifest" 2>&1)
rc=$?
[ "$rc" = 0 ] || { echo "$out"; fail "second puppet apply exited $rc, wanted 0"; }
echo "puppet: member after puppet apply, $(alive) alive; second apply: no change"
