#!/bin/bash
# A transfer cut by the serving peer's death resumes from another peer.
# n1 and n2 hold a 2 MB policy (32 chunks). n1 is frozen (SIGSTOP), so the
# fetches a newcomer (n3) sends it hang; then n1 is killed mid-transfer.
# n3 must still end up with every byte (from n2), converge it, and log the
# failed fetch from n1.
# Ports below the ephemeral range: 20 agents make many outgoing TCP
# connections, and lib.sh's default range overlaps it.
BASE_PORT=${BASE_PORT:-$((10000 + $(od -An -N2 -tu2 /dev/urandom) % 100 * 100))}
. "$(dirname "$0")/lib.sh"
OP=$WORK/op
mkdir -p "$OP" "$WORK/recipe/files"
$T keys operator gen --out "$OP" >/dev/null || fail "operator key"
head -c 2000000 /dev/urandom > "$WORK/recipe/files/blob"
cat > "$WORK/recipe/site.lua" <<'EOF'
file { path = "/etc/motd", content = "big policy\n" }
EOF

node() {
	mkdir -p "$WORK/root$1/etc"
	start_agent "$1" --trust "$OP/operator.pub" --root "$WORK/root$1" \
	    --join "127.0.0.1:$(port "$2")"
}
serial_of() {
	$T policy status --json --state-dir "$(sd "$1")" 2>/dev/null |
	    sed -n 's/.*"serial":\([0-9]*\).*/\1/p'
}
has() { [ "$(serial_of "$1")" = 1 ] && [ -s "$WORK/root$1/etc/motd" ]; }

node 1 2
node 2 1
wait_for 10 "n1 and n2 see each other" all_see 1 2 alive 2
$T publish "$WORK/recipe" --key "$OP/operator.key" --state-dir "$(sd 1)" \
    >/dev/null || fail "publish"
wait_for 10 "n2 has the 2 MB policy" has 2

kill -STOP "$(pid_of 1)"
node 3 2
# n3 learns n1 (still alive to everyone) from n2 and asks it for chunks.
sleep 1.5
kill -9 "$(pid_of 1)"
wait_for 8 "n3 completes the transfer from n2" has 3
cmp "$WORK/recipe/files/blob" \
    "$(sd 3)/policy/trees/1/files/blob" || fail "n3's copy differs"
grep -q "policy fetch from 127.0.0.1:$(port 1) failed" "$WORK/n3.log" ||
    fail "n3 never asked n1, so nothing was cut"
echo "ok: transfer resumed from another peer" \
    "(fetch failures on n3: $($T info --json --state-dir "$(sd 3)" |
    sed -n 's/.*"policy_fetch_failures":\([0-9]*\).*/\1/p'))"

# A node with --policy-from fetches from that member alone while it can
# serve: n4 joins through n2 but prefers n3, and n2 serves it nothing.
out_of() { $T info --json --state-dir "$(sd "$1")" |
    sed -n "s/.*\"policy_$2\":\([0-9]*\).*/\1/p"; }
chunks2=$(out_of 2 chunks_out); bundles2=$(out_of 2 bundles_out)
mkdir -p "$WORK/root4/etc"
start_agent 4 --trust "$OP/operator.pub" --root "$WORK/root4" \
    --join "127.0.0.1:$(port 2)" --policy-from "127.0.0.1:$(port 3)"
wait_for 10 "n4 has the policy" has 4
grep -q "policy serial 1 accepted from 127.0.0.1:$(port 3)" "$WORK/n4.log" ||
    fail "n4 did not take the policy from n3 (--policy-from)"
[ "$(out_of 2 chunks_out)" = "$chunks2" ] &&
    [ "$(out_of 2 bundles_out)" = "$bundles2" ] ||
    fail "n2 served n4 although n4 prefers n3"
echo "ok: --policy-from: n4 fetched all from n3, nothing from n2"
