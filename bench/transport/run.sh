#!/bin/bash
# The cost and the effect of the TCP listener's guard (docs/protocol.md):
# one real agent on loopback, and tlaloc-rogue as its peers.
#
#   bench/transport/run.sh [EXCHANGES]          default 2000
#   TLALOC=path/to/an/older/tlaloc bench/transport/run.sh   the same
#                                               against a build without it
#
# 1. Honest exchanges per second: EXCHANGES sealed frames (a query reply
#    the agent opens and answers with an empty frame), one connection
#    each, back to back from one address.
# 2. The same while 40 connections from 5 other addresses say nothing
#    (held 12 s, renewed when closed): how many honest exchanges are
#    answered and how fast.
# 3. 80,000 datagrams stamped 59 s ahead (the replay cache's old
#    poisoning: more than its 65,536 nonces), then honest-stamped ones:
#    how many of the honest ones the agent counts as stale.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=${TLALOC:-$ROOT/${TLALOC_BUILD:-build}/tlaloc}
ROGUE=${TLALOC_ROGUE:-$ROOT/${TLALOC_BUILD:-build}/tlaloc-rogue}
N=${1:-2000}
PORT=$((10000 + $(od -An -N2 -tu2 /dev/urandom) % 200 * 100 + 7))
. "$ROOT/bench/lib.sh"

$T keys gen --out "$WORK/keyring"
$T agent --name b1 --bind "127.0.0.1:$PORT" --keyring "$WORK/keyring" \
    --state-dir "$WORK/s1" --profile local --log-level err \
    > "$WORK/agent.log" 2>&1 &
PIDS="$PIDS $!"
until $T info --state-dir "$WORK/s1" >/dev/null 2>&1; do sleep 0.1; done

# exchanges COUNT: prints "answered N of COUNT in S s (R/s)"
exchanges() {
	local s e ok
	s=$(date +%s.%N)
	ok=$($ROGUE send --keyring "$WORK/keyring" --to "127.0.0.1:$PORT" \
	    --type qreply --body 00 --count "$1" --timeout 3000 |
	    grep -c '^reply')
	e=$(date +%s.%N)
	echo "answered $ok of $1 in $(echo "$e - $s" | bc | cut -c1-5) s" \
	    "($(echo "$ok / ($e - $s)" | bc) exchanges/s)"
}

echo "== 1. honest exchanges, nobody else connected"
exchanges "$N"

echo "== 2. the same with 40 silent connections from 5 addresses"
for h in 21 22 23 24 25; do
	( end=$(( $(date +%s) + 12 ))
	  while [ "$(date +%s)" -lt "$end" ]; do
		$ROGUE idle --to "127.0.0.1:$PORT" --conns 8 --hold 3000 \
		    --bind "127.0.0.$h" >/dev/null 2>&1
	  done ) &
	PIDS="$PIDS $!"
done
sleep 1
exchanges "$N"
sleep 3
$T info --state-dir "$WORK/s1" | grep -i "tcp connections" || true

echo "== 3. 80,000 datagrams stamped 59 s ahead, then 2,000 honest ones"
stale0=$($T info --json --state-dir "$WORK/s1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["stale"])')
$ROGUE send --keyring "$WORK/keyring" --to "127.0.0.1:$PORT" --stamp +59000 \
    --part swim:00 --count 80000 --rate 10000 --bind 127.0.0.31 --quiet
$ROGUE send --keyring "$WORK/keyring" --to "127.0.0.1:$PORT" \
    --part swim:00 --count 2000 --rate 2000 --bind 127.0.0.32 --quiet
sleep 1
$T info --json --state-dir "$WORK/s1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("honest datagrams refused as stale: %d of 2000; stamped ahead and "
      "refused before the cache: %s" % (d["stale"] - int(sys.argv[1]),
      d.get("future", "(not counted by this build)")))' "$stale0"
