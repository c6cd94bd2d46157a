#!/usr/bin/env bash
# Applying the recipes `tlaloc adopt` wrote, on the machine it adopted,
# leaves each crontab entry once: the hand-written entry (with its
# NAME=value line) is taken over between markers instead of a marked copy
# being added beside it. A second run changes nothing.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"

useradd -m ops
printf '# nightly\nMAILTO=ops\n15 2 * * * /usr/local/bin/backup --all\n@hourly  /bin/true\n' |
	crontab -u ops -
printf '*/5 * * * * /usr/bin/date\n' | crontab -u root -
before_ops=$(crontab -u ops -l)
out=$("$TLALOC" adopt --only cron --out /tmp/adopted 2>&1) || { echo "$out"; fail "adopt"; }
tapply 2 /tmp/adopted
ops=$(crontab -u ops -l)
[ "$(echo "$ops" | grep -c 'backup --all')" = 1 ] || fail "backup entry doubled: $ops"
[ "$(echo "$ops" | grep -c '/bin/true')" = 1 ] || fail "hourly entry doubled: $ops"
[ "$(echo "$ops" | grep -c '^MAILTO=ops')" = 1 ] || fail "MAILTO doubled: $ops"
[ "$(crontab -u root -l | grep -c /usr/bin/date)" = 1 ] || fail "root entry doubled: $(crontab -u root -l)"
# the entries stay where they were, in the same order, now marked
[ "$(echo "$ops" | grep -v '^# \(BEGIN\|END\) tlaloc cron' | grep -v '^#' | tr -s ' ')" = \
  "$(echo "$before_ops" | grep -v '^#' | tr -s ' ')" ] || fail "entries changed: $ops"
assert_contains "$OUT" "mark the entry already in crontab of ops as managed"
tapply 0 /tmp/adopted
echo ok
