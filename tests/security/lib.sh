# Helpers for the security tests: the cluster helpers (tests/cluster/lib.sh)
# plus the rogue member's own tool, tlaloc-rogue (tests/tools/rogue.c).
. "$(dirname "$0")/../cluster/lib.sh"
ROGUE=${TLALOC_ROGUE:-$(dirname "$T")/tlaloc-rogue}
[ -x "$ROGUE" ] || fail "no $ROGUE (make builds it)"

# info_num I FIELD: node I's counter FIELD from `tlaloc info --json`.
info_num() {
	$T info --json --state-dir "$(sd "$1")" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d = d[k]
print(d)' "$2"
}

# logged_once I TEXT: node I's log holds exactly one line with TEXT.
logged_once() {
	n=$(grep -cF -- "$2" "$WORK/n$1.log")
	[ "$n" -eq 1 ] || fail "n$1 logged '$2' $n times, not once"
}

# works I N: node I still gets facts from N members over TCP replies.
works() {
	$T query '#all' facts --timeout 5 --state-dir "$(sd "$1")" 2>&1 |
	    grep -q "answered: $2"
}
