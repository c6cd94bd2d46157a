#!/bin/sh
# Health propagation, tlaloc against serf tags (Debian's serf; Consul is
# not packaged in Debian 12, and Consul's node health rides on the same
# serf gossip): N agents of each on loopback, the "local" timing profile
# on both, encrypted on both, one system at a time.
#
#   bench/services/run.sh [N...]     default: 10 30
#   REPS=5 (default)                 changes per system and N
#
# For each change it measures the ms from the command on n1 until every
# other agent has it:
#   tl-check   `tlaloc check-in app --status critical|passing` on n1 (a
#              ttl check, rise 1 fall 1): the verdict machine, the
#              health= tag, a new signed statement, gossip
#   tl-tag     `tlaloc tags set h=N` on n1 (the same path, no check)
#   serf-tag   `serf tags -set h=N` on n1
# The time is the slowest agent's, from the agents' own records: tlaloc's
# JSON log (ms timestamps) of "member updated name=n1", serf's
# member-update event handler writing the time it ran. Nothing polls, so
# the measurement does not load the machine it measures. Serf's agent
# coalesces member events (a handler runs once they have been quiet for
# about a second), which is what anything reacting to a serf tag sees, so
# serf-tag is the time to react, not the gossip alone; tlaloc's records
# are taken when the statement arrives.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=${TLALOC:-$ROOT/${TLALOC_BUILD:-build}/tlaloc}
SERF=${SERF:-serf}
SIZES=${*:-10 30}
REPS=${REPS:-5}
WORK=$(mktemp -d /tmp/tlaloc-bench-svc.XXXXXX)
BASE=$((30000 + $$ % 200 * 10))
PIDS=""

cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
now() { date +%s%N; }

tl_start() {
	$T agent --name "n$1" --bind "127.0.0.1:$((BASE + $1))" \
	    --keyring "$WORK/tl.keyring" --state-dir "$WORK/tl$1" \
	    --profile local ${2:+--join "127.0.0.1:$((BASE + 1))"} \
	    --log-format json > "$WORK/tl$1.log" 2>&1 &
	PIDS="$PIDS $!"
}
tl_alive() { $T members --state-dir "$WORK/tl$1" --status alive 2>/dev/null |
    wc -l; }
# tl_seen I T0: ms (epoch) agent I first logged an update of n1 after T0.
tl_seen() { python3 -c 'import json, sys, datetime
t0 = int(sys.argv[2]) // 1000000
for line in open(sys.argv[1]):
    try: e = json.loads(line)
    except ValueError: continue
    if "member updated name=n1 " not in e.get("msg", ""): continue
    t = datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
    ms = int(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
    if ms >= t0: print(ms); break' "$WORK/tl$1.log" "$2"; }

serf_start() {
	$SERF agent -node="n$1" -bind="127.0.0.1:$((BASE + $1))" \
	    -rpc-addr="127.0.0.1:$((BASE + 500 + $1))" -profile=local \
	    -encrypt="$SERF_KEY" -log-level=warn \
	    -event-handler="member-update=$WORK/serf-ev.sh" \
	    ${2:+-join="127.0.0.1:$((BASE + 1))"} > "$WORK/serf$1.log" 2>&1 &
	PIDS="$PIDS $!"
}
serf_alive() { $SERF members -rpc-addr="127.0.0.1:$((BASE + 500 + $1))" \
    -status=alive 2>/dev/null | wc -l; }
serf_seen() { awk -v t="$(($2 / 1000000))" '$1 >= t { print $1; exit }' \
    "$WORK/serfev.n$1" 2>/dev/null; }

# measure SYS N CMD...: runs CMD, waits, prints ms until the slowest of
# agents 2..N recorded n1's update (-1: one never did).
measure() {
	sys=$1; n=$2; shift 2
	t0=$(now)
	"$@" > /dev/null 2>&1
	sleep 4
	last=0
	for i in $(seq 2 "$n"); do
		s=$("${sys}_seen" "$i" "$t0")
		[ -z "$s" ] && { echo "-1"; return; }
		[ "$s" -gt "$last" ] && last=$s
	done
	echo $((last - t0 / 1000000))
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

run_sys() {
	sys=$1; n=$2
	"${sys}_start" 1
	sleep 0.5
	for i in $(seq 2 "$n"); do "${sys}_start" "$i" join; done
	k=0
	while [ "$("${sys}_alive" "$n")" -lt "$n" ] && [ $k -lt 600 ]; do
		sleep 0.1; k=$((k + 1)); done
	sleep 2
	if [ "$sys" = tl ]; then
		echo 'check { name = "app", ttl = "1h" }' > "$WORK/r.lua"
		mkdir -p "$WORK/root"
		$T apply "$WORK/r.lua" --state-dir "$WORK/tl1" \
		    --root "$WORK/root" > /dev/null
		$T check-in app --state-dir "$WORK/tl1" > /dev/null
		sleep 1
		for r in $(seq 1 "$REPS"); do
			st=critical; [ $((r % 2)) = 0 ] && st=passing
			measure tl "$n" $T check-in app --status "$st" \
			    --state-dir "$WORK/tl1" >> "$WORK/tl-check.$n"
			measure tl "$n" $T tags set "h=$r" \
			    --state-dir "$WORK/tl1" >> "$WORK/tl-tag.$n"
		done
	else
		for r in $(seq 1 "$REPS"); do
			measure serf "$n" $SERF tags \
			    -rpc-addr="127.0.0.1:$((BASE + 501))" -set "h=$r" \
			    >> "$WORK/serf-tag.$n"
		done
	fi
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	PIDS=""
	sleep 1
}

$T keys gen --out "$WORK/tl.keyring"
printf '#!/bin/sh\ndate +%%s%%3N >> "%s/serfev.$SERF_SELF_NAME"\ncat > /dev/null\n' \
    "$WORK" > "$WORK/serf-ev.sh"
chmod +x "$WORK/serf-ev.sh"
SERF_KEY=$(head -c 32 /dev/urandom | base64)
echo "| what | N | median ms | max ms | samples (ms) |"
echo "|---|---:|---:|---:|---|"
for n in $SIZES; do
	run_sys tl "$n"
	command -v "$SERF" > /dev/null && run_sys serf "$n"
	for f in tl-check tl-tag serf-tag; do
		[ -s "$WORK/$f.$n" ] || continue
		printf '| %s | %s | %s | %s | %s |\n' "$f" "$n" \
		    "$(median < "$WORK/$f.$n")" \
		    "$(sort -n "$WORK/$f.$n" | tail -1)" \
		    "$(tr '\n' ' ' < "$WORK/$f.$n")"
	done
done
