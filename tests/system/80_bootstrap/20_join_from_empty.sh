#!/usr/bin/env bash
# End to end: a cluster of two agents in their own network namespaces; a
# new machine (a throwaway root in a third namespace, tlaloc never
# installed) runs the `tlaloc bootstrap --via shell` installer, which
# installs tlaloc from a tarball, writes keys and config, starts the agent
# as a sysv service, and joins. Then the same with the .deb as the install
# source, in a fourth namespace; both must also converge the policy the
# cluster published (a file in their root); and the dhcp kind in a fifth, joining when
# a lease brings the seeds, simulated in a fifth and from dnsmasq and
# dhclient in a seventh; cloud-init user data run by the real cloud-init
# in a sixth; and the systemd kind in an image build. Each must be a member within 10 s of the
# installer starting, policy converged (lib/new_machine.sh measures it). The throwaway root
# is the host's, man pages and all, so new_machine.sh turns off man-db's
# index update (dpkg's trigger would re-index them all: 5-25 s here);
# bench/bootstrap/ measures with it too.
. tests/system/80_bootstrap/lib/net.sh
net_up 7
net_tlaloc_cluster 2

make_sources
# No lintian error or warning (make deb's hardened build is also clean of
# the info tags, -I --pedantic; that needs its own compile, so not here).
# The binary here is the test build, which links lua, pcre2, sodium, libuv
# and libyaml statically when their archives exist (STATIC_DEPS, Makefile);
# `make deb` links them shared, so only that tag is not asked of it.
if command -v lintian > /dev/null; then
	lintian --fail-on error,warning --suppress-tags embedded-library \
	    "$DEB" > "$W/lintian" 2>&1 ||
	    { cat "$W/lintian"; fail "lintian"; }
fi

# The cluster's published policy: a new node must converge it too.
mkdir -p "$W/recipe"
echo 'file { path = "/etc/tlaloc-bootstrap-test", content = "converged\n" }' \
    > "$W/recipe/site.lua"
"$TLALOC" publish "$W/recipe" --key "$W/op/operator.key" --state-dir "$W/n1" \
    > /dev/null || fail "publish"

boot() { # NODE SOURCE_URL LABEL
	local i=$1 url=$2 label=$3
	"$TLALOC" bootstrap --via shell --join 10.78.0.1:7946 \
	    --package-url "$url" > "$W/keyless-$i.sh" || fail "bootstrap"
	"$TLALOC" bootstrap --via shell --join 10.78.0.1:7946,10.78.0.2:7946 \
	    --keyring "$W/keyring" --tag role=new --policy-from 10.78.0.1:7946 \
	    --trust "$W/op/operator.pub" \
	    --package-url "$url" --out "$W/install-$i.sh" || fail "bootstrap"
	[ "$(stat -c %a "$W/install-$i.sh")" = 600 ] || fail "--out is not 0600"
	TLALOC_POLICY_FILE=/etc/tlaloc-bootstrap-test \
	    ip netns exec "$TAG-n$i" bash tests/system/80_bootstrap/lib/new_machine.sh \
	    "$W/install-$i.sh" 3 "$W/keyring" "$label" "$label" "$W/keyless-$i.sh" \
	    > "$W/out-$i" 2>&1 || { cat "$W/out-$i"; fail "$label"; }
	grep -v '^RESULT' "$W/out-$i"
	sed -n 's/^RESULT [a-z]* //p' "$W/out-$i" > "$W/secs-$i"
	"$TLALOC" members --state-dir "$W/n1" | grep "10.78.0.$i:7946" |
	    grep -q "role=new" || fail "n1 never saw the node from $label"
}
boot 3 "file://$W/tlaloc.tar.gz" tarball
boot 4 "$DEB" deb
# DHCP: the seeds come with a lease (lib/dhcp_machine.sh plays the client).
"$TLALOC" bootstrap --via dhcp --keyring "$W/keyring" \
    --package-url "file://$W/tlaloc.tar.gz" --out "$W/install-5.sh" ||
    fail "bootstrap --via dhcp"
ip netns exec "$TAG-n5" bash tests/system/80_bootstrap/lib/dhcp_machine.sh \
    "$W/install-5.sh" 10.78.0.5 3 || fail "dhcp"
# A real DHCP server: dnsmasq in n1's namespace sends the seeds in option
# 224 (the line docs/bootstrap.md gives); the real dhclient in n7 gets them.
if command -v dnsmasq > /dev/null && command -v dhclient > /dev/null; then
	ip netns exec "$TAG-n1" dnsmasq --keep-in-foreground --conf-file=/dev/null \
	    --port=0 --user=root --interface=eth0 --bind-interfaces \
	    --dhcp-range=10.78.0.100,10.78.0.150,255.255.255.0,1h \
	    --dhcp-leasefile="$W/dnsmasq.leases" --pid-file="$W/dnsmasq.pid" \
	    --dhcp-option-force=224,"10.78.0.1:7946,10.78.0.2:7946" \
	    > "$W/dnsmasq.log" 2>&1 &
	PIDS="$PIDS $!"
	ip netns exec "$TAG-n7" ip addr flush dev eth0
	ip netns exec "$TAG-n7" bash tests/system/80_bootstrap/lib/dhclient_machine.sh \
	    "$W/install-5.sh" 3 || { cat "$W/dnsmasq.log"; fail "dhclient"; }
else
	echo "no dnsmasq or dhclient: no real DHCP run (scripts/install-deps)"
fi

# A cloud instance: the real cloud-init runs the user data.
if command -v cloud-init > /dev/null; then
	"$TLALOC" bootstrap --via cloud-init --keyring "$W/keyring" \
	    --join 10.78.0.1:7946,10.78.0.2:7946 \
	    --package-url "file://$W/tlaloc.tar.gz" --out "$W/user-data" ||
	    fail "bootstrap --via cloud-init"
	ip netns exec "$TAG-n6" bash tests/system/80_bootstrap/lib/cloud_machine.sh \
	    "$W/user-data" 3 "$W/keyring" || fail "cloud-init"
else
	echo "no cloud-init: its user data is not run (scripts/install-deps)"
fi

# An image build: systemd installed but not running.
"$TLALOC" bootstrap --via systemd --keyring "$W/keyring" \
    --join 10.78.0.1:7946 --package-url "file://$W/tlaloc.tar.gz" \
    --out "$W/install-systemd.sh" || fail "bootstrap --via systemd"
bash tests/system/80_bootstrap/lib/systemd_machine.sh "$W/install-systemd.sh" ||
    fail "systemd"
# The bound is the release build's; a sanitizer build runs its every
# converge and handshake about three times slower.
limit=10
case ${TLALOC_BUILD:-build} in *san*) limit=30 ;; esac
for i in 3 4; do
	ok=$(echo "$(cat "$W/secs-$i") < $limit" | bc)
	[ "$ok" = 1 ] ||
	    fail "node $i took $(cat "$W/secs-$i") s (over $limit s)"
done
echo "ok: tarball $(cat "$W/secs-3") s, deb $(cat "$W/secs-4") s"
