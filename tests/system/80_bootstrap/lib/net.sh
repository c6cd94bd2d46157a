# Network namespaces for the bootstrap test and bench: NET_NODES nodes on
# one bridge, node I at 10.78.0.I (tests/faults uses 10.77). Work files in
# W under /var/tmp: the sandbox (tests/system/lib/sandbox.sh) gets a fresh
# /tmp but sees the host's /var/tmp. Everything goes on exit.
set -u
TLALOC=${TLALOC:-$PWD/${TLALOC_BUILD:-build}/tlaloc}
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root (ip netns, unshare)"; exit 77; }
grep -qw overlay /proc/filesystems || { echo "needs overlayfs"; exit 77; }
W=$(mktemp -d /var/tmp/tlaloc-boot.XXXXXX)
TAG=tb$$
PIDS=""
NET_NODES=0
net_cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for i in $(seq 1 "$NET_NODES"); do ip netns del "$TAG-n$i" 2>/dev/null; done
	ip netns del "$TAG-br" 2>/dev/null
	rm -rf "$W"
}
trap net_cleanup EXIT

net_up() { # N
	NET_NODES=$1
	ip netns add "$TAG-br" || fail "ip netns add"
	ip -n "$TAG-br" link add br0 type bridge
	ip -n "$TAG-br" link set br0 up
	for i in $(seq 1 "$NET_NODES"); do
		ns=$TAG-n$i
		ip netns add "$ns"
		ip link add "v$TAG$i" type veth peer name eth0 netns "$ns"
		ip link set "v$TAG$i" netns "$TAG-br"
		ip -n "$TAG-br" link set "v$TAG$i" master br0 up
		ip -n "$ns" addr add "10.78.0.$i/24" dev eth0
		ip -n "$ns" link set eth0 up
		ip -n "$ns" link set lo up
	done
}

# tlaloc agents n1..nN (10.78.0.I), seeded with n1 and n2, trusting the
# operator key in W/op and converging policy into W/rootI; waits until
# each sees N alive.
net_tlaloc_cluster() { # N
	local n=$1 i c
	"$TLALOC" keys gen --out "$W/keyring" || fail "keys gen"
	mkdir -p "$W/op"
	"$TLALOC" keys operator gen --out "$W/op" > /dev/null || fail "operator key"
	for i in $(seq 1 "$n"); do
		mkdir -p "$W/root$i"
		ip netns exec "$TAG-n$i" "$TLALOC" agent --name "n$i" \
		    --bind "10.78.0.$i:7946" --keyring "$W/keyring" \
		    --state-dir "$W/n$i" --profile local \
		    --join 10.78.0.1:7946 --join 10.78.0.2:7946 \
		    --trust "$W/op/operator.pub" --root "$W/root$i" --splay 0 \
		    >> "$W/n$i.log" 2>&1 &
		PIDS="$PIDS $!"
	done
	for i in $(seq 1 "$n"); do
		for _ in $(seq 100); do
			c=$("$TLALOC" members --state-dir "$W/n$i" --status alive \
			    2>/dev/null | grep -c .)
			[ "$c" = "$n" ] && break
			sleep 0.1
		done
		[ "$c" = "$n" ] || fail "the $n-node cluster did not form"
	done
}

# Install sources in W: tlaloc.tar.gz, a `make install PREFIX=/usr` tree
# tarred, and the .deb scripts/mkdeb makes of the same tree (what `make
# deb` does), its path in DEB. -o: never rebuild the binary under test.
make_sources() {
	local b=${TLALOC_BUILD:-build}
	make --no-print-directory -s -o "$b/tlaloc" BUILD="$b" \
	    DESTDIR="$W/root" PREFIX=/usr SYSTEMDUNITDIR=/lib/systemd/system \
	    install > /dev/null || fail "make install"
	tar -C "$W/root" -czf "$W/tlaloc.tar.gz" . || fail "tar"
	DEB=$(scripts/mkdeb "$W/root" "$W") || fail "mkdeb"
}
