#!/usr/bin/env bash
# The puppet kind for real: `puppet apply` of the generated manifest in a
# throwaway root (tlaloc never installed) in its own network namespace
# installs tlaloc from a tarball, writes the keyring (0600) and config,
# starts the service, and the node joins a two-agent cluster. A second
# apply changes nothing. Skipped when puppet is not installed.
. tests/system/80_bootstrap/lib/net.sh
command -v puppet > /dev/null || { echo "needs puppet"; exit 77; }
net_up 3
net_tlaloc_cluster 2
make_sources
"$TLALOC" bootstrap --via puppet --join 10.78.0.1:7946,10.78.0.2:7946 \
    --keyring "$W/keyring" --tag role=puppet \
    --package-url "file://$W/tlaloc.tar.gz" --out "$W/tlaloc.pp" ||
    fail "bootstrap --via puppet"
ip netns exec "$TAG-n3" bash tests/system/80_bootstrap/lib/puppet_machine.sh \
    "$W/tlaloc.pp" 3 "$W/keyring" || fail "puppet"
"$TLALOC" members --state-dir "$W/n1" | grep "10.78.0.3:7946" |
    grep -q "role=puppet" || fail "n1 never saw the puppet node"
echo ok
