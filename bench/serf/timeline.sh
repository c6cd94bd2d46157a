#!/bin/bash
# Where a kill -9's detection time goes, on either system: N agents
# started at once on loopback (n1 first, the rest --join n1), SETTLE
# seconds to converge, kill -9 of n(N/2+1), then every other agent polled
# until it lists the victim failed (as run.sh measures it). Each agent's
# log lines are stamped on arrival (bash $EPOCHREALTIME), so the first
# suspicion and the deaths are timed to the millisecond on both sides,
# relative to the kill.
#
#   SYS=tl|serf N=20 PROFILE=local SETTLE=6 REPS=8 bench/serf/timeline.sh
#
# One line per run:
#   SYS detect=S first-suspect=S first-failed=S last-failed=S
# detect is the poll loop's figure (it includes polling every agent once
# more after the last death: ~12 ms per `tlaloc members`, ~26 ms per
# `serf members` here); the others come from the logs.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=${TLALOC:-$ROOT/build/tlaloc}
SYS=${SYS:-tl}; N=${N:-20}; PROFILE=${PROFILE:-local}
SETTLE=${SETTLE:-6}; REPS=${REPS:-1}
W=$(mktemp -d /tmp/tlaloc-timeline.XXXXXX)
trap 'pkill -9 -P $$ 2>/dev/null; rm -rf "$W"' EXIT

stamp() { while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done; }

start() {	# start I [join]
	if [ "$SYS" = tl ]; then
		"$T" agent --name "n$1" --bind "127.0.0.1:$((BASE + $1))" \
		    --keyring "$W/k" --state-dir "$W/s$1" --profile "$PROFILE" \
		    ${2:+--join "127.0.0.1:$((BASE + 1))"} 2>&1 | stamp > "$W/l$1" &
	else
		serf agent -node="n$1" -bind="127.0.0.1:$((BASE + $1))" \
		    -rpc-addr="127.0.0.1:$((BASE + 1000 + $1))" \
		    -profile="$PROFILE" -encrypt="$SK" -log-level=info \
		    ${2:+-join="127.0.0.1:$((BASE + 1))"} 2>&1 | stamp > "$W/l$1" &
	fi
}

status_of() {	# status_of I VICTIM
	if [ "$SYS" = tl ]; then
		"$T" members --state-dir "$W/s$1" 2>/dev/null |
		    awk -v n="n$2" '$1 == n { print $3 }'
	else
		serf members -rpc-addr="127.0.0.1:$((BASE + 1000 + $1))" \
		    -name="^n$2\$" 2>/dev/null | awk '{ print $3 }'
	fi
}

victim_pid() {
	if [ "$SYS" = tl ]; then
		pgrep -f -- "--name n$1 --bind 127.0.0.1:$((BASE + $1)) "
	else
		pgrep -f -- "-node=n$1 -bind=127.0.0.1:$((BASE + $1)) "
	fi
}

# The log lines each system writes for a suspicion and for a death.
SUSPECT_RE='member suspect name=n%d |Suspect n%d has failed'
FAILED_RE='member failed name=n%d |EventMemberFailed: n%d '

"$T" keys gen --out "$W/k" > /dev/null 2>&1
SK=$(serf keygen 2>/dev/null || echo -)
exec 3>&2 2> "$W/shell.err"	# bash's "Killed" notices for the agents we kill
for rep in $(seq 1 "$REPS"); do
	BASE=$((21000 + $(od -An -N2 -tu2 /dev/urandom) % 50 * 100))
	rm -rf "$W"/s* "$W"/l*
	start 1; sleep 0.2
	for i in $(seq 2 "$N"); do start "$i" join; done
	sleep "$SETTLE"
	V=$((N / 2 + 1))
	t0=$EPOCHREALTIME
	kill -9 "$(victim_pid "$V")"
	for i in $(seq 1 "$N"); do
		[ "$i" = "$V" ] && continue
		k=0
		while [ "$(status_of "$i" "$V")" != failed ] && [ $k -lt 1200 ]; do
			sleep 0.05; k=$((k + 1))
		done
		# not joined within SETTLE (serf's local join can take 20-45 s)
		[ $k -lt 1200 ] || echo "n$i never listed n$V failed: not settled" >&3
	done
	t1=$EPOCHREALTIME
	sre=$(printf "$SUSPECT_RE" "$V" "$V"); fre=$(printf "$FAILED_RE" "$V" "$V")
	fs=$(grep -hE "$sre" "$W"/l* | awk -v t="$t0" '{ print $1 - t }' |
	    sort -n | head -1)
	ff=$(grep -hE "$fre" "$W"/l* | awk -v t="$t0" '{ print $1 - t }' |
	    sort -n | sed -n '1p;$p' | tr '\n' ' ')
	printf '%s detect=%.2f first-suspect=%.2f first-failed=%.2f last-failed=%.2f\n' \
	    "$SYS" "$(echo "$t1 - $t0" | bc)" "${fs:-0}" $ff
	pkill -9 -P $$ 2>/dev/null
	[ "$SYS" = tl ] && pkill -9 -f -- "--state-dir $W/s"
	wait 2>/dev/null
	sleep 1
done
