#!/bin/sh
# Runs tests/cluster/NN_*.sh and tests/faults/NN_*.sh (or the dirs given),
# one at a time, and ends with "N passed, N failed". Each script cleans up
# after itself. TLALOC_BUILD picks the build dir (default build-agent).
cd "$(dirname "$0")/../.." || exit 1
pass=0; failed=""
for dir in ${*:-tests/cluster tests/faults}; do
	for t in "$dir"/[0-9][0-9]_*.sh; do
		[ -f "$t" ] || continue
		start=$(date +%s)
		if sh "$t" > "/tmp/tlaloc-test.$$.log" 2>&1; then
			pass=$((pass + 1)); r=ok
		else
			failed="$failed $t"; r=FAIL
			sed 's/^/    /' "/tmp/tlaloc-test.$$.log"
		fi
		echo "$r   $t ($(($(date +%s) - start))s)"
	done
done
rm -f "/tmp/tlaloc-test.$$.log"
echo "cluster: $pass passed, $(echo $failed | wc -w) failed${failed:+:$failed}"
[ -z "$failed" ]
