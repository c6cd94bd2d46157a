#!/usr/bin/env bash
# The new machine of 20_join_from_empty.sh: runs in that test's network
# namespace, inside a throwaway root (sandbox.sh) where tlaloc was never
# installed. Args: INSTALLER EXPECTED_MEMBERS KEYRING RESULT_NAME LABEL.
# Runs the installer, waits until this node's agent sees every member
# alive, checks what the installer left, and writes the seconds it took.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
installer=$1 want=$2 keyring=$3 result=$4 label=$5 keyless=${6:-}

[ -e /usr/bin/tlaloc ] && fail "tlaloc is already installed in the sandbox"
[ -e /etc/tlaloc ] && fail "/etc/tlaloc already exists in the sandbox"
# See 20_join_from_empty.sh; TLALOC_MANDB=1 keeps it (the bench).
[ "${TLALOC_MANDB:-0}" = 1 ] || rm -f /var/lib/man-db/auto-update
alive() { /usr/bin/tlaloc members --status alive 2>/dev/null | grep -c .; }

# Made without --keyring: stops at the placeholder, says where the key
# goes, starts nothing. (Then the real installer runs in this same root.)
if [ -n "$keyless" ]; then
	grep -q TLALOC-CLUSTER-KEY-PLACEHOLDER "$keyless" || fail "no placeholder"
	kout=$(TLALOC_WAIT=5 sh "$keyless" 2>&1) && fail "ran without a key"
	assert_contains "$kout" "no cluster key: put the cluster keyring in /etc/tlaloc/keyring"
	[ -e /etc/tlaloc/keyring ] && fail "a keyring appeared"
	[ -e /run/tlaloc.pid ] && fail "an agent was started without a key"
	rm -rf /etc/tlaloc /var/lib/tlaloc /usr/bin/tlaloc
fi

start=$(date +%s.%N)
out=$(TLALOC_NAME=$label TLALOC_WAIT=20 sh "$installer" 2>&1) || { echo "$out"; fail "installer failed"; }
n=0
for _ in $(seq 200); do
	n=$(alive)
	[ "$n" -ge "$want" ] && break
	sleep 0.05
done
# TLALOC_POLICY_FILE: the published policy writes it; wait for that too.
if [ -n "${TLALOC_POLICY_FILE:-}" ]; then
	for _ in $(seq 200); do
		[ "$(cat "$TLALOC_POLICY_FILE" 2>/dev/null)" = converged ] && break
		sleep 0.05
	done
	[ "$(cat "$TLALOC_POLICY_FILE" 2>/dev/null)" = converged ] ||
	    { /usr/bin/tlaloc policy status; tail /var/log/tlaloc.log; fail "policy not converged"; }
fi
end=$(date +%s.%N)
[ "$n" -ge "$want" ] || { echo "$out"; /usr/bin/tlaloc members; cat /var/log/tlaloc.log; fail "$n alive members, wanted $want"; }
secs=$(echo "$end - $start" | bc)
# The sandbox keeps no file: the time goes out on stdout.
echo "$label: member of a $n-node cluster${TLALOC_POLICY_FILE:+, policy converged,} $secs s after the installer started"
echo "RESULT $result $secs"

# What the installer left: the agent under sysv, keys 0600/0700, config.
/etc/init.d/tlaloc status > /dev/null || fail "the sysv service is not running"
ls /etc/rc2.d/S*tlaloc > /dev/null 2>&1 || fail "not enabled at boot (no rc2.d link)"
[ "$(stat -c %a /etc/tlaloc/keyring)" = 600 ] || fail "keyring is not 0600"
[ "$(stat -c %a /var/lib/tlaloc)" = 700 ] || fail "state dir is not 0700"
[ "$(stat -c %a /var/lib/tlaloc/node.key)" = 600 ] || fail "node.key is not 0600"
cmp -s /etc/tlaloc/keyring "$keyring" || fail "keyring differs from the cluster's"
conf=$(cat /etc/tlaloc/agent.conf)
assert_contains "$conf" "policy_from = 10.78.0.1:7946"
assert_contains "$conf" "advertise = 10.78.0."
assert_contains "$conf" "tag = role=new"
assert_contains "$conf" "name = $label"
/usr/bin/tlaloc members | grep -q "role=new" || fail "own tag not in members"
# The key shows up in no output and no log.
key=$(grep -v '^#' "$keyring")
assert_not_contains "$out" "$key"
assert_not_contains "$(cat /var/log/tlaloc.log)" "$key"
# Running it again keeps the keys and the node id, restarts the agent.
id1=$(/usr/bin/tlaloc info --json | sed 's/.*"id":"\([0-9a-f]*\)".*/\1/')
TLALOC_NAME=$label TLALOC_WAIT=20 sh "$installer" > /dev/null 2>&1 ||
    fail "second run failed"
id2=$(/usr/bin/tlaloc info --json | sed 's/.*"id":"\([0-9a-f]*\)".*/\1/')
[ -n "$id1" ] && [ "$id1" = "$id2" ] || fail "node id changed: $id1 -> $id2"
echo "$label: ok"
