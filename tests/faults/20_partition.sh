#!/bin/sh
# 10 agents split 5/5 by nftables for PARTITION_S seconds: each half
# declares the other failed; once the rules go, the cluster heals into one
# view by itself (dead peers are retried with capped backoff), no join.
. "$(dirname "$0")/lib.sh"
N=10
PARTITION_S=${PARTITION_S:-120}
A="10.77.0.1, 10.77.0.2, 10.77.0.3, 10.77.0.4, 10.77.0.5"
B="10.77.0.6, 10.77.0.7, 10.77.0.8, 10.77.0.9, 10.77.0.10"

net_up $N
start_agent 1
for i in $(seq 2 $N); do start_agent "$i" --join "$(addr 1)"; done
wait_for 30 "$N agents form a cluster" all_see 1 $N alive $N

for i in 1 2 3 4 5; do nft_rule "$i" ip saddr "{ $B }" drop; done
for i in 6 7 8 9 10; do nft_rule "$i" ip saddr "{ $A }" drop; done
wait_for 90 "each half sees the other failed" all_see 1 $N failed 5
sleep "$PARTITION_S"
all_see 1 $N alive 5 || fail "halves not stable during the partition"
for i in $(seq 1 $N); do nft_flush "$i"; done
wait_for 90 "partition healed into one view" all_see 1 $N alive $N
echo "PASS 20_partition"
