# Helpers for cluster tests: source it, then start_agent/wait_for/fail.
# Every agent started here is killed on exit, and the scratch dir removed.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${TLALOC_BUILD:-build-agent}
T=${TLALOC:-$ROOT/$BUILD/tlaloc}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tlaloc-cluster.XXXXXX")
# below the ephemeral range (32768+), where outgoing connections live
BASE=${BASE_PORT:-$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 120 * 100))}
PIDS=""
KEYRING=$WORK/keyring

cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
# A signal (a closed pipe, ^C) must clean up too, not only a normal exit.
trap "exit 1" INT TERM HUP PIPE

fail() {
	echo "FAIL: $*" >&2
	[ -n "${SHOW:-}" ] && tail -n 20 "$WORK"/*.log >&2
	exit 1
}

$T keys gen --out "$KEYRING" || fail "keys gen"

port() { echo $((BASE + $1)); }
sd() { echo "$WORK/n$1"; }

# start_agent I [extra flags...]: node nI on BASE+I, its own keyring copy.
start_agent() {
	i=$1; shift
	[ -f "$WORK/keyring.$i" ] || cp "$KEYRING" "$WORK/keyring.$i"
	$T agent --name "n$i" --bind "127.0.0.1:$(port "$i")" \
	    --keyring "$WORK/keyring.$i" --state-dir "$(sd "$i")" \
	    --profile local --log-level info "$@" >> "$WORK/n$i.log" 2>&1 &
	eval "PID_$i=$!"
	PIDS="$PIDS $!"
}

pid_of() { eval echo "\$PID_$1"; }

# count I STATUS: how many members node I sees in STATUS.
count() {
	$T members --state-dir "$(sd "$1")" --status "$2" 2>/dev/null | wc -l
}

# status_of I NAME: NAME's status as node I sees it.
status_of() {
	$T members --state-dir "$(sd "$1")" 2>/dev/null |
	    awk -v n="$2" '$1 == n { print $3 }'
}

# all_ran I SERIAL N: node I's `tlaloc status` shows N nodes that ran
# policy SERIAL (their last converge).
all_ran() {
	$T status --json --state-dir "$(sd "$1")" | python3 -c '
import json, sys
d = json.load(sys.stdin)
ran = sum(n["run_serial"] == int(sys.argv[1]) for n in d["nodes"])
sys.exit(0 if ran >= int(sys.argv[2]) else 1)' "$2" "$3"
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls every 0.5 s.
wait_for() {
	limit=$1; what=$2; shift 2
	start=$(date +%s.%N)
	while ! "$@"; do
		now=$(date +%s.%N)
		if [ "$(echo "$now - $start > $limit" | bc)" = 1 ]; then
			fail "$what (not within ${limit}s)"
		fi
		sleep 0.5
	done
	echo "ok: $what ($(echo "$(date +%s.%N) - $start" | bc | cut -c1-5)s)"
}

# all_see FIRST LAST STATUS N: every node in FIRST..LAST (skipping
# $SKIP) sees N members in STATUS.
all_see() {
	for i in $(seq "$1" "$2"); do
		case " ${SKIP:-} " in *" $i "*) continue;; esac
		[ "$(count "$i" "$3")" -eq "$4" ] || return 1
	done
}

# all_say FIRST LAST NAME STATUS: every node (skipping $SKIP) sees NAME so.
all_say() {
	for i in $(seq "$1" "$2"); do
		case " ${SKIP:-} " in *" $i "*) continue;; esac
		[ "$(status_of "$i" "$3")" = "$4" ] || return 1
	done
}

# Policy clusters: op_setup makes an operator key in $OP and a recipe dir
# $WORK/recipe; start_node I [flags...] starts agent I trusting the key
# and converging its own root $WORK/rootI.
op_setup() {
	OP=$WORK/op
	mkdir -p "$OP" "$WORK/recipe"
	$T keys operator gen --out "$OP" >/dev/null || fail "operator key"
}
root() { echo "$WORK/root$1"; }
start_node() {
	i=$1; shift
	mkdir -p "$(root "$i")/etc"
	start_agent "$i" --trust "$OP/operator.pub" --root "$(root "$i")" "$@"
}
