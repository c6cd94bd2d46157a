#!/bin/sh
# A node with the wrong key cannot join: nobody lists it, it lists nobody,
# and the seed counts its packets as decrypt failures.
. "$(dirname "$0")/lib.sh"

start_agent 1
start_agent 2 --join "127.0.0.1:$(port 1)"
start_agent 3 --join "127.0.0.1:$(port 1)"
wait_for 15 "3 agents see 3 alive" all_see 1 3 alive 3

$T keys gen --out "$WORK/keyring.4"
start_agent 4 --join "127.0.0.1:$(port 1)"
df() {
	$T info --json --state-dir "$(sd 1)" |
	    sed 's/.*"decrypt_failures":\([0-9]*\).*/\1/'
}
wait_for 15 "seed counts decrypt failures from the wrong-key node" \
    sh -c "[ \$($T info --json --state-dir $(sd 1) | \
    sed 's/.*\"decrypt_failures\":\([0-9]*\).*/\1/') -ge 2 ]"
sleep 3
for i in 1 2 3; do
	[ -z "$(status_of "$i" n4)" ] || fail "n$i lists the wrong-key node"
done
[ "$(count 4 alive)" -eq 1 ] || fail "the wrong-key node sees others"
echo "n1 decrypt failures: $(df)"
echo "PASS 20_wrong_key"
