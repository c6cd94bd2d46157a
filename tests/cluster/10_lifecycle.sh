#!/bin/sh
# 20 agents on loopback: form one cluster; kill -9 of one is seen as failed
# by all others; a graceful leave is seen as left; a restarted agent
# rejoins by itself from its snapshot (no --join).
. "$(dirname "$0")/lib.sh"
N=20

start_agent 1
for i in $(seq 2 $N); do start_agent "$i" --join "127.0.0.1:$(port 1)"; done
wait_for 30 "$N agents see $N alive" all_see 1 $N alive $N

sleep 1.5	# snapshots are written once a second
kill -9 "$(pid_of 7)"
SKIP=7 wait_for 40 "kill -9 of n7 seen as failed by all 19" \
    all_say 1 $N n7 failed

$T leave --state-dir "$(sd 9)" > /dev/null || fail "tlaloc leave"
SKIP="7 9" wait_for 20 "leave of n9 seen as left by all 18" \
    all_say 1 $N n9 left
wait "$(pid_of 9)" || fail "leaving agent exited non-zero"

[ -s "$(sd 7)/members.snap" ] || fail "n7 has no snapshot"
start_agent 7
SKIP=9 wait_for 30 "n7 restarted without --join is alive for all" \
    all_say 1 $N n7 alive
wait_for 20 "n7 sees 19 alive" sh -c "[ \$($T members --state-dir $(sd 7) \
    --status alive | wc -l) -eq 19 ]"

# SIGTERM leaves gracefully and exits 0
kill -TERM "$(pid_of 3)"
wait "$(pid_of 3)" || fail "SIGTERM: agent exited non-zero"
SKIP="3 9" wait_for 20 "SIGTERM of n3 seen as left" all_say 1 $N n3 left
echo "PASS 10_lifecycle"
