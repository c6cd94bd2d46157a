#!/usr/bin/env bash
# From an empty throwaway root to "member of the cluster, published policy
# converged" (serf: member; it has no policy): RUNS times each
# for the tlaloc shell installer from a tarball, from the .deb (man-db's
# index update off and on) and for serf set up the same way.
#   bench/bootstrap/run.sh [RUNS]      (root; TLALOC_BUILD picks the build)
# Prints one line per run and the median per variant.
cd "$(dirname "$0")/../.." || exit 1
RUNS=${1:-3}
. tests/system/80_bootstrap/lib/net.sh
net_up $((2 + 4 * RUNS))
net_tlaloc_cluster 2
skey=$(serf keygen)
for i in 1 2; do
	ip netns exec "$TAG-n$i" serf agent -node "s$i" -bind "10.78.0.$i:7947" \
	    -rpc-addr "127.0.0.1:7373" -encrypt "$skey" \
	    -join 10.78.0.1:7947 -join 10.78.0.2:7947 >> "$W/serf$i.log" 2>&1 &
	PIDS="$PIDS $!"
done
make_sources
# A published policy: the tlaloc nodes count as done once converged.
mkdir -p "$W/recipe"
echo 'file { path = "/etc/tlaloc-bootstrap-test", content = "converged\n" }' \
    > "$W/recipe/site.lua"
"$TLALOC" publish "$W/recipe" --key "$W/op/operator.key" --state-dir "$W/n1" \
    > /dev/null || fail "publish"
sleep 2	# the serf pair settles

node=2
one() { # LABEL SOURCE MANDB
	node=$((node + 1))
	"$TLALOC" bootstrap --via shell --join 10.78.0.1:7946,10.78.0.2:7946 \
	    --keyring "$W/keyring" --trust "$W/op/operator.pub" \
	    --package-url "$2" --out "$W/i$node.sh" ||
	    fail bootstrap
	TLALOC_MANDB=$3 TLALOC_POLICY_FILE=/etc/tlaloc-bootstrap-test ip netns exec "$TAG-n$node" bash \
	    tests/system/80_bootstrap/lib/new_machine.sh "$W/i$node.sh" 3 \
	    "$W/keyring" "$1" "$1-$node" 2>&1 | sed -n 's/^RESULT //p'
}
serf_one() {
	node=$((node + 1))
	ip netns exec "$TAG-n$node" bash bench/bootstrap/serf_node.sh "$skey" \
	    10.78.0.1:7947,10.78.0.2:7947 "10.78.0.$node:7947" 3 serf 2>&1 |
	    sed -n 's/^RESULT //p'
}
for _ in $(seq "$RUNS"); do
	one tarball "file://$W/tlaloc.tar.gz" 0
	one deb "$DEB" 0
	one deb+man-db "$DEB" 1
	serf_one
done | tee "$W/results"
echo "median seconds over $RUNS runs:"
for v in tarball deb deb+man-db serf; do
	awk -v v="$v" '$1 == v { print $2 }' "$W/results" | sort -n |
	    awk -v v="$v" '{ a[NR] = $1 } END { if (NR) printf "  %-11s %.2f\n", v, a[int((NR + 1) / 2)] }'
done
