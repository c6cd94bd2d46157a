#!/bin/sh
# 10 agents with 10% random loss on every node's input (nftables numgen):
# the cluster forms and, over LOSS_S seconds, nobody is declared failed.
. "$(dirname "$0")/lib.sh"
N=10
LOSS_S=${LOSS_S:-45}

net_up $N
for i in $(seq 1 $N); do nft_rule "$i" numgen random mod 10 '<' 1 drop; done
start_agent 1
for i in $(seq 2 $N); do start_agent "$i" --join "$(addr 1)"; done
wait_for 30 "$N agents form a cluster under 10% loss" all_see 1 $N alive $N
sleep "$LOSS_S"
if grep -h "member failed" "$WORK"/n*.log; then
	fail "false death under 10% loss"
fi
all_see 1 $N alive $N || fail "not everyone alive after ${LOSS_S}s"
susp=$(grep -h "member suspect" "$WORK"/n*.log | wc -l)
echo "ok: ${LOSS_S}s under 10% loss: no failure, $susp suspicions (refuted)"
echo "PASS 10_loss"
