#!/usr/bin/env bash
# The serf counterpart of tests/system/80_bootstrap/lib/new_machine.sh, in
# the same kind of throwaway root and namespace: what a serf user's
# installer does (binary in place, config with the key and the seeds,
# agent started in the background), timed until `serf members` shows
# WANT alive. Args: ENCRYPT_KEY SEEDS(a,b) ADDR WANT LABEL.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
key=$1 seeds=$2 addr=$3 want=$4 label=$5
start=$(date +%s.%N)
install -m 0755 /usr/bin/serf /usr/local/bin/serf
mkdir -p /etc/serf
join=$(printf '"%s",' $(echo "$seeds" | tr , ' '))
(umask 077 && cat > /etc/serf/agent.json) <<JSON
{"node_name": "$label", "bind": "$addr", "encrypt_key": "$key",
 "start_join": [${join%,}]}
JSON
nohup /usr/local/bin/serf agent -config-file /etc/serf/agent.json \
    > /var/log/serf.log 2>&1 &
n=0
for _ in $(seq 400); do
	n=$(/usr/local/bin/serf members -status alive 2>/dev/null | grep -c .)
	[ "$n" -ge "$want" ] && break
	sleep 0.05
done
end=$(date +%s.%N)
[ "$n" -ge "$want" ] || { cat /var/log/serf.log; fail "serf: $n alive"; }
echo "RESULT $label $(echo "$end - $start" | bc)"
