#!/usr/bin/env bash
# tlaloc init on a fresh node: a commented config, a new cluster keyring
# (0600), the node key (0600, state dir 0700), and the next command, which
# then starts an agent that answers on its control socket. A second init
# keeps everything; a bad flag writes nothing.
. tests/system/lib/common.sh
E=$T/etc S=$T/st
P=$((20000 + $$ % 20000))	# parallel runs must not share a port
out=$("$TLALOC" init --config-dir "$E" --state-dir "$S" --advertise 127.0.0.1:$P \
    --port $P --tag role=first --policy-from 127.0.0.1:$P 2>&1) ||
    { echo "$out"; fail "init"; }
assert_contains "$out" "config:  wrote $E/agent.conf (advertise 127.0.0.1:$P)"
assert_contains "$out" "keyring: made a new cluster key in $E/keyring (0600)"
assert_contains "$out" "next:    tlaloc agent --config $E/agent.conf"
assert_contains "$out" "tlaloc bootstrap --via shell --keyring $E/keyring --join 127.0.0.1:$P"
[ "$(stat -c %a "$E/keyring")" = 600 ] || fail "keyring mode"
[ "$(stat -c %a "$S")" = 700 ] || fail "state dir mode"
[ "$(stat -c %a "$S/node.key")" = 600 ] || fail "node.key mode"
conf=$(cat "$E/agent.conf")
assert_contains "$conf" "bind = 0.0.0.0:$P"
assert_contains "$conf" "policy_from = 127.0.0.1:$P"
assert_contains "$conf" "# join = "
id=$(echo "$out" | sed -n 's/^node:    id \([0-9a-f]*\),.*/\1/p')

# The next command works: the agent starts from that config alone.
"$TLALOC" agent --config "$E/agent.conf" > "$T/agent.log" 2>&1 &
pid=$!
for _ in $(seq 50); do
	info=$("$TLALOC" info --json --state-dir "$S" 2>/dev/null) && break
	sleep 0.1
done
kill "$pid"; wait "$pid"
assert_contains "$info" "\"id\":\"$id\""
assert_contains "$info" "\"addr\":\"127.0.0.1:$P\""

# Again: nothing replaced; a bad tag is refused and nothing written.
sum=$(cat "$E/keyring" "$S/node.key" "$E/agent.conf" | sha256sum)
out=$("$TLALOC" init --config-dir "$E" --state-dir "$S")
assert_contains "$out" "config:  kept $E/agent.conf (--force rewrites it)"
out=$("$TLALOC" init --config-dir "$E" --state-dir "$S" --force --tag nokey 2>&1) &&
    fail "a bad tag was accepted"
assert_contains "$out" "key=value"
[ "$(cat "$E/keyring" "$S/node.key" "$E/agent.conf" | sha256sum)" = "$sum" ] ||
    fail "files changed"
[ -e "$E/agent.conf.new" ] && fail "left agent.conf.new behind"
echo ok
