#!/bin/sh
# SPIN checks of tests/model/election.pml (the pack election, docs/pack.md):
#  safety    exhaustive search, 3 nodes, message loss and reordering, a
#            crash and restart, a step-down, clock drift within the bound,
#            one voter removal: never two leaders in one term, never two
#            leases at once (assertions);
#  blind     the same with a lease longer than the drift bound allows
#            must find a lease overlap (the assertions can fire);
#  liveness  two of three nodes connected, no loss: a leader is
#            eventually elected (LTL under weak fairness).
# The default bounds: clock ticks 0..4, one message in flight at a time
# (more is lost), promise P=3 ticks (P-1 on a slow clock), lease L=1 (L+1
# on a fast one): 12 million states, about 25 s and 650 MB, with hash
# compaction (HC4: a state is kept as a 4-byte hash, so a collision could
# in principle hide a state; SPIN's usual trade). Env-tunable:
#   MODEL_SAFETY="-DMAXT=4 -DNETCAP=1 -DP=3 -DL=1"  MODEL_TIME=600 (s)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
command -v spin > /dev/null || { echo "spin not installed (scripts/install-deps)"; exit 77; }
CC=${CC:-cc}
SAFETY=${MODEL_SAFETY:--DMAXT=4 -DNETCAP=1 -DP=3 -DL=1}
LIMIT=${MODEL_TIME:-600}
WORK=$(mktemp -d /tmp/tlaloc-model.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# pan NAME "SPIN DEFINES" "CC DEFINES" "PAN FLAGS": builds and runs one
# verifier; its report is in $WORK/NAME/out.
pan() {
	d=$WORK/$1
	mkdir -p "$d" && cp "$HERE/election.pml" "$d/" || return 1
	(cd "$d" && spin $2 -a election.pml > spin.log 2>&1 &&
	    $CC -O2 -w $3 -DMEMLIM=2048 -o pan pan.c &&
	    timeout "$LIMIT" ./pan $4 > out 2>&1)
	rc=$?
	grep -E "errors:|states, stored|elapsed" "$d/out" | sed "s/^/  $1: /"
	return $rc
}
complete() {	# the search covered everything it was asked to
	! grep -q -e "MEMLIM" -e "Search not completed" -e "max search depth too small" "$WORK/$1/out"
}

pan safety "$SAFETY" "-DSAFETY -DHC4" "-E -w24 -m300000" ||
    fail "safety check did not finish (exit $?)"
grep -q "errors: 0" "$WORK/safety/out" || { cat "$WORK/safety/out"; fail "safety violated"; }
complete safety || fail "safety search incomplete"
echo "ok: safety ($SAFETY): one leader per term, one lease at a time"

pan blind "$(echo "$SAFETY" | sed 's/-DL=[0-9]*//') -DL=2" "-DSAFETY -DHC4" \
    "-E -w24 -m300000"
grep -q "assertion violated" "$WORK/blind/out" ||
    fail "a lease longer than the bound went unnoticed"
echo "ok: blind check: a lease of L=2 against promises of P-1=2 overlaps, as it must"

pan live "-DLIVE -DNETCAP=4" "-DNFAIR=3 -DCOLLAPSE" "-a -f -E -m300000" ||
    fail "liveness check did not finish (exit $?)"
grep -q "errors: 0" "$WORK/live/out" || { cat "$WORK/live/out"; fail "liveness violated"; }
complete live || fail "liveness search incomplete"
echo "ok: liveness: a connected majority elects a leader"
echo "PASS election"
