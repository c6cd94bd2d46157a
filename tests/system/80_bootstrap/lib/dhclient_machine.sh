#!/usr/bin/env bash
# A new machine of 20_join_from_empty.sh on a network with a real DHCP
# server (dnsmasq, sending the seeds in option 224): runs the `--via dhcp`
# installer with no address yet, then the real dhclient, whose
# dhclient-script configures eth0 and sources the exit hook. Args:
# INSTALLER WANT_MEMBERS.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
installer=$1 want=$2
rm -f /var/lib/man-db/auto-update
alive() { /usr/bin/tlaloc members --status alive 2>/dev/null | grep -c .; }
out=$(TLALOC_NAME=dhclient TLALOC_WAIT=10 sh "$installer" 2>&1) ||
    { echo "$out"; fail "dhcp installer failed"; }
dhclient -1 -v -lf /tmp/dhclient.leases -pf /run/dhclient.pid eth0 \
    > /tmp/dhclient.log 2>&1 || { cat /tmp/dhclient.log; fail "dhclient got no lease"; }
grep -q 'option tlaloc-seeds "10.78.0.1:7946,10.78.0.2:7946"' /tmp/dhclient.leases ||
    { cat /tmp/dhclient.leases; fail "the lease has no seeds"; }
for _ in $(seq 100); do [ "$(alive)" -ge "$want" ] && break; sleep 0.1; done
[ "$(alive)" -ge "$want" ] ||
    { cat /tmp/dhclient.log /var/log/tlaloc.log; fail "not joined after a real lease"; }
addr=$(sed -n 's/^ *fixed-address \(.*\);/\1/p' /tmp/dhclient.leases | tail -1)
grep -q "^advertise = $addr:7946" /etc/tlaloc/agent.conf ||
    fail "config does not advertise the leased $addr"
echo "dhclient: leased $addr with the seeds, joined; $(alive) alive"
