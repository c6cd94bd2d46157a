#!/usr/bin/env bash
# End to end: a cluster of two agents in their own network namespaces; a
# new machine (a throwaway root in a third namespace, tlaloc never
# installed) runs the `tlaloc bootstrap --via shell` installer, which
# installs tlaloc from a tarball, writes keys and config, starts the agent
# as a sysv service, and joins. Then the same with the .deb as the install
# source, in a fourth namespace. Both must be members within 10 s of the
# installer starting (lib/new_machine.sh measures it).
set -u
TLALOC=${TLALOC:-$PWD/${TLALOC_BUILD:-build}/tlaloc}
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root (ip netns, unshare)"; exit 77; }
grep -qw overlay /proc/filesystems || { echo "needs overlayfs"; exit 77; }
# /var/tmp: the sandbox gets a fresh /tmp, but sees the host's /var/tmp.
W=$(mktemp -d /var/tmp/tlaloc-boot.XXXXXX)
TAG=tb$$
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for i in 1 2 3 4; do ip netns del "$TAG-n$i" 2>/dev/null; done
	ip netns del "$TAG-br" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

# Four namespaces on one bridge: 10.78.0.1..4 (tests/faults uses 10.77).
ip netns add "$TAG-br" || fail "ip netns add"
ip -n "$TAG-br" link add br0 type bridge
ip -n "$TAG-br" link set br0 up
for i in 1 2 3 4; do
	ns=$TAG-n$i
	ip netns add "$ns"
	ip link add "v$TAG$i" type veth peer name eth0 netns "$ns"
	ip link set "v$TAG$i" netns "$TAG-br"
	ip -n "$TAG-br" link set "v$TAG$i" master br0 up
	ip -n "$ns" addr add "10.78.0.$i/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set lo up
done

"$TLALOC" keys gen > "$W/keyring" || fail "keys gen"
for i in 1 2; do
	ip netns exec "$TAG-n$i" "$TLALOC" agent --name "n$i" \
	    --bind "10.78.0.$i:7946" --keyring "$W/keyring" \
	    --state-dir "$W/n$i" --profile local \
	    --join 10.78.0.1:7946 --join 10.78.0.2:7946 >> "$W/n$i.log" 2>&1 &
	PIDS="$PIDS $!"
done

# Install sources: a tarball of `make install PREFIX=/usr`, and the .deb
# scripts/mkdeb makes from the same tree (what `make deb` does).
make --no-print-directory -s BUILD="${TLALOC_BUILD:-build}" \
    DESTDIR="$W/root" PREFIX=/usr SYSTEMDUNITDIR=/lib/systemd/system \
    install > /dev/null || fail "make install"
tar -C "$W/root" -czf "$W/tlaloc.tar.gz" . || fail "tar"
deb=$(scripts/mkdeb "$W/root" "$W") || fail "mkdeb"

for n in 1 2; do
	for _ in $(seq 100); do
		c=$("$TLALOC" members --state-dir "$W/n$n" --status alive 2>/dev/null | grep -c .)
		[ "$c" = 2 ] && break
		sleep 0.1
	done
	[ "$c" = 2 ] || fail "the two-node cluster did not form"
done

boot() { # NODE SOURCE_URL LABEL
	local i=$1 url=$2 label=$3
	"$TLALOC" bootstrap --via shell --join 10.78.0.1:7946,10.78.0.2:7946 \
	    --keyring "$W/keyring" --tag role=new --policy-from 10.78.0.1:7946 \
	    --package-url "$url" --out "$W/install-$i.sh" || fail "bootstrap"
	[ "$(stat -c %a "$W/install-$i.sh")" = 600 ] || fail "--out is not 0600"
	ip netns exec "$TAG-n$i" bash tests/system/80_bootstrap/lib/new_machine.sh \
	    "$W/install-$i.sh" 3 "$W/keyring" "$label" "$label" \
	    > "$W/out-$i" 2>&1 || { cat "$W/out-$i"; fail "$label"; }
	grep -v '^RESULT' "$W/out-$i"
	sed -n 's/^RESULT [a-z]* //p' "$W/out-$i" > "$W/secs-$i"
	"$TLALOC" members --state-dir "$W/n1" | grep "10.78.0.$i:7946" |
	    grep -q "role=new" || fail "n1 never saw the node from $label"
}
boot 3 "file://$W/tlaloc.tar.gz" tarball
boot 4 "$deb" deb
for i in 3 4; do
	ok=$(echo "$(cat "$W/secs-$i") < 10" | bc)
	[ "$ok" = 1 ] || fail "node $i took $(cat "$W/secs-$i") s (over 10 s)"
done
echo "ok: tarball $(cat "$W/secs-3") s, deb $(cat "$W/secs-4") s"
