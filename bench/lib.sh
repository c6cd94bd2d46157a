# Helpers for the benches that run real agents (source it): a scratch
# directory removed on exit with every process in $PIDS, millisecond
# clocks, medians, and waiting for a tagged line in every node's file.
set -u
WORK=$(mktemp -d /tmp/tlaloc-bench.XXXXXX)
PIDS=""

bench_cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap bench_cleanup EXIT

ms_now() { date +%s%3N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
largest() { sort -n | tail -1; }

# bench_handler: $WORK/handler.sh FILE appends "TEXT ARRIVAL_MS" for each
# line `tlaloc listen` prints (TIME CHANNEL SENDER [LAMPORT] TEXT).
bench_handler() {
	cat > "$WORK/handler.sh" <<'H'
#!/bin/sh
while read -r time chan from lamport text; do
	echo "$text $(date +%s%3N)" >> "$1"
done
H
	chmod +x "$WORK/handler.sh"
}

# wait_all_have TAG T0 N: ms from T0 until each of $WORK/got1..N has a
# line starting with TAG (the last arrival), or "timeout" after 20 s.
wait_all_have() {
	for i in $(seq 1 "$3"); do
		k=0
		while ! grep -q "^$1 " "$WORK/got$i"; do
			k=$((k + 1))
			[ $k -gt 4000 ] && { echo timeout; return; }
			sleep 0.005
		done
	done
	last=$(for i in $(seq 1 "$3"); do grep "^$1 " "$WORK/got$i" |
	    awk '{ print $2 }'; done | sort -n | tail -1)
	echo $((last - $2))
}
