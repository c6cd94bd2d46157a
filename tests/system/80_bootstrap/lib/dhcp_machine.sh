#!/usr/bin/env bash
# A new machine of 20_join_from_empty.sh that learns its seeds from DHCP:
# runs the `--via dhcp` installer (no seeds yet: the agent starts alone),
# then plays dhclient-script, sourcing the exit hook with a lease's
# variables, as dhclient does. Args: INSTALLER ADDRESS WANT_MEMBERS.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
installer=$1 addr=$2 want=$3
rm -f /var/lib/man-db/auto-update
mkdir -p /etc/dhcp && touch /etc/dhcp/dhclient.conf
alive() { /usr/bin/tlaloc members --status alive 2>/dev/null | grep -c .; }
lease() { # REASON SEEDS
	reason=$1 new_ip_address=$addr new_tlaloc_seeds=$2 \
	    sh -c '. /etc/dhcp/dhclient-exit-hooks.d/tlaloc'
}

out=$(TLALOC_NAME=dhcp TLALOC_WAIT=10 sh "$installer" 2>&1) ||
    { echo "$out"; fail "dhcp installer failed"; }
grep -q '^option tlaloc-seeds code 224 = text;' /etc/dhcp/dhclient.conf ||
    fail "dhclient.conf does not ask for the seeds"
grep -q '^also request tlaloc-seeds;' /etc/dhcp/dhclient.conf ||
    fail "dhclient.conf does not request the option"
[ "$(alive)" = 1 ] || fail "the agent should be alone before a lease"

lease BOUND 10.78.0.1:7946,10.78.0.2:7946
for _ in $(seq 100); do [ "$(alive)" -ge "$want" ] && break; sleep 0.1; done
[ "$(alive)" -ge "$want" ] || { cat /var/log/tlaloc.log; fail "not joined after the lease"; }
conf=$(cat /etc/tlaloc/agent.conf)
assert_contains "$conf" "join = 10.78.0.2:7946"
assert_contains "$conf" "advertise = $addr:7946"

# A renewal, same address: joined through the running agent, no restart.
pid=$(cat /run/tlaloc.pid)
lease RENEW 10.78.0.1:7946,10.78.0.2:7946
[ "$(cat /run/tlaloc.pid)" = "$pid" ] || fail "a renewal restarted the agent"
# Seeds that are not ADDR:PORT lists change nothing.
lease BOUND '10.78.0.1:7946;reboot' || true
cmp -s /etc/tlaloc/agent.conf - <<< "$conf" || fail "bad seeds changed the config"
kill -0 "$pid" || fail "bad seeds stopped the agent"
echo "dhcp: joined after the lease, $(alive) alive"
