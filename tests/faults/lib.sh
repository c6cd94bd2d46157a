# Fault-test helpers: N agents, each in its own network namespace, all
# joined by veth pairs to a bridge in one more namespace. Addresses are
# 10.77.0.I inside namespaces this script creates and deletes. nftables
# rules in a node's namespace drop what it receives (loss, partitions).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${TLALOC_BUILD:-build-agent}
T=${TLALOC:-$ROOT/$BUILD/tlaloc}
WORK=$(mktemp -d /tmp/tlaloc-faults.XXXXXX)
TAG=tl$$
PIDS=""
NODES=0

cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	for i in $(seq 1 "$NODES"); do ip netns del "$TAG-n$i" 2>/dev/null; done
	ip netns del "$TAG-br" 2>/dev/null
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
# A signal (a closed pipe, ^C) must clean up too, not only a normal exit.
trap "exit 1" INT TERM HUP PIPE

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for ip netns"; exit 0; }
command -v nft > /dev/null || { echo "SKIP: needs nft"; exit 0; }

# net_up N: namespaces, bridge, veths, addresses, an nft table per node.
net_up() {
	NODES=$1
	ip netns add "$TAG-br" || fail "ip netns add"
	ip -n "$TAG-br" link add br0 type bridge
	ip -n "$TAG-br" link set br0 up
	for i in $(seq 1 "$NODES"); do
		ns=$TAG-n$i
		ip netns add "$ns"
		ip link add "v$TAG$i" type veth peer name eth0 netns "$ns"
		ip link set "v$TAG$i" netns "$TAG-br"
		ip -n "$TAG-br" link set "v$TAG$i" master br0 up
		ip -n "$ns" addr add "10.77.0.$i/24" dev eth0
		ip -n "$ns" link set eth0 up
		ip -n "$ns" link set lo up
		ip netns exec "$ns" nft add table inet tl
		ip netns exec "$ns" nft add chain inet tl in \
		    '{ type filter hook input priority 0; }'
	done
}

addr() { echo "10.77.0.$1:7946"; }
sd() { echo "$WORK/n$1"; }

start_agent() {
	i=$1; shift
	cp "$WORK/keyring" "$WORK/keyring.$i" 2>/dev/null
	ip netns exec "$TAG-n$i" $T agent --name "n$i" --bind "$(addr "$i")" \
	    --keyring "$WORK/keyring.$i" --state-dir "$(sd "$i")" \
	    --profile local --log-level info "$@" >> "$WORK/n$i.log" 2>&1 &
	PIDS="$PIDS $!"
}

# nft_rule I RULE...: adds a rule to node I's input chain.
nft_rule() {
	i=$1; shift
	ip netns exec "$TAG-n$i" nft add rule inet tl in "$@"
}
nft_flush() { ip netns exec "$TAG-n$1" nft flush chain inet tl in; }

count() {
	$T members --state-dir "$(sd "$1")" --status "$2" 2>/dev/null | wc -l
}

all_see() {
	for i in $(seq "$1" "$2"); do
		[ "$(count "$i" "$3")" -eq "$4" ] || return 1
	done
}

wait_for() {
	limit=$1; what=$2; shift 2
	start=$(date +%s)
	while ! "$@"; do
		[ $(($(date +%s) - start)) -ge "$limit" ] &&
		    fail "$what (not within ${limit}s)"
		sleep 0.5
	done
	echo "ok: $what ($(($(date +%s) - start))s)"
}

$T keys gen --out "$WORK/keyring" || fail "keys gen"
