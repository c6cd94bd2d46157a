#!/bin/bash
# bench/apply/run.sh [OUTDIR]
#
# The apply benchmark (issue 2): the gen.sh workload converged by tlaloc,
# cf-agent, puppet apply and ansible-playbook -c local, side by side in one
# run. Per tool: FIRST_REPS times (fresh root + fresh tool state, timed first
# run), then NOOP_REPS timed no-op runs on the converged root. Each timed run
# is started straight from this shell; wall time is bash's $EPOCHREALTIME
# around it, CPU bash's `times`. One more run of each phase goes through
# `/usr/bin/time -f '%e %M'` for peak RSS (the largest single process of
# the run, as wait4 reports it).
# Every run's exit code/log is checked (lib.sh bench_ok); a run that did not
# converge, or a no-op run that changed something, fails the benchmark.
# CPU time (user+sys of the run's processes) is recorded too: on a loaded
# machine it says what a run costs, where wall time says how long it waited.
# Prints a Markdown table of medians; raw samples go to OUTDIR/samples.tsv.
#
# Environment: TOOLS (default "tlaloc cfengine puppet ansible"), FIRST_REPS
# (3), NOOP_REPS (5), SLOW_REPS (3: cap for ansible, ~1 min a run), TLALOC
# (binary; default build-bench/tlaloc, else build/tlaloc).
# OUTDIR defaults to /tmp/tlaloc-bench-apply. Nothing outside OUTDIR changes.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_isolate "$0" "$@"

out=${1:-/tmp/tlaloc-bench-apply}
repo=$(cd "$here/../.." && pwd)
tl=${TLALOC:-$repo/build-bench/tlaloc}
[ -x "$tl" ] || tl=$repo/build/tlaloc
FIRST_REPS=${FIRST_REPS:-3}
NOOP_REPS=${NOOP_REPS:-5}
SLOW_REPS=${SLOW_REPS:-3}
[ -x /usr/bin/time ] || { echo "run.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

"$here/gen.sh" "$out" >/dev/null || exit 1
out=$(cd "$out" && pwd)
bench_env "$out" "$tl"
samples=$out/samples.tsv
printf 'tool\tphase\trep\twall_s\ttime_e_s\tmaxrss_kb\trc\tcpu_s\n' > "$samples"

# cpu_of FILE: user+sys seconds of all reaped children, from the output
# of bash's `times` (millisecond resolution; /usr/bin/time's %U/%S have only
# 10 ms). `times` runs in this shell, between the timed run and nothing else.
cpu_of() {
	awk 'NR == 2 {
		n = split($0, f, " "); s = 0
		for (i = 1; i <= n; i++) { split(f[i], a, "m"); sub("s", "", a[2]); s += a[1] * 60 + a[2] }
		printf "%.4f", s }' "$1"
}

# timed TOOL PHASE REP [rss]: one run of BENCH_ARGV; appends a sample.
# Time and CPU come from runs started straight from this shell, as a user
# starts them: under /usr/bin/time each run paid for one more process
# (~7 ms of CPU here, ~11 ms of wall), a constant that hid most of a
# fast tool's own time. Peak RSS needs /usr/bin/time: with "rss" the run
# goes through it and gives only that ("-" in the time columns).
failed=0 bad=
timed() {
	local t=$1 phase=$2 rep=$3 rss=${4:-} log=$out/run.$1.$2.$3${4:+.rss}.log
	local tf=$out/time.out t0 t1 rc c0 c1 wall=- e=- m=- cpu=-
	if [ -n "$rss" ]; then
		/usr/bin/time -o "$tf" -f '%e %M' "${BENCH_ARGV[@]}" > "$log" 2>&1
		rc=$?
		read -r e m < <(tail -1 "$tf")
	else
		times > "$out/times.0"
		t0=$EPOCHREALTIME
		"${BENCH_ARGV[@]}" > "$log" 2>&1
		rc=$?
		t1=$EPOCHREALTIME
		times > "$out/times.1"
		c0=$(cpu_of "$out/times.0") c1=$(cpu_of "$out/times.1")
		wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
		cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.4f", b - a }')
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$phase" "$rep" \
	    "$wall" "$e" "$m" "$rc" "$cpu" >> "$samples"
	if ! bench_ok "$t" "$phase" "$rc" "$log"; then
		echo "run.sh: $t $phase run $rep did not do what it should (exit $rc, see $log)" >&2
		failed=1
		bad="$bad $t"
	fi
}

# median TOOL PHASE COLUMN
median() {
	awk -F'\t' -v t="$1" -v p="$2" -v c="$3" '$1 == t && $2 == p && $c != "-" { print $c }' "$samples" |
	    sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The floor: a process that does nothing, started the same way.
BENCH_ARGV=(/bin/true)
for i in 1 2 3 4 5; do timed harness noop "$i"; done 2>/dev/null
failed=0 bad=
load0=$(cut -d' ' -f1-3 /proc/loadavg)

tools=()
for t in ${TOOLS:-$BENCH_ALL_TOOLS}; do
	if ! bench_have "$t"; then
		echo "run.sh: $t is not installed, skipped" >&2
		continue
	fi
	tools+=("$t")
	nf=$FIRST_REPS nn=$NOOP_REPS
	if [ "$t" = ansible ]; then
		[ "$nf" -gt "$SLOW_REPS" ] && nf=$SLOW_REPS
		[ "$nn" -gt "$SLOW_REPS" ] && nn=$SLOW_REPS
	fi
	bench_argv "$t"
	echo "run.sh: $t: $nf first runs, $nn no-op runs" >&2
	for i in $(seq 1 "$nf"); do
		bench_fresh "$t"
		timed "$t" first "$i"
	done
	bench_fresh "$t"
	timed "$t" first 0 rss
	for i in $(seq 1 "$nn"); do
		timed "$t" noop "$i"
	done
	timed "$t" noop 0 rss
done

# --- the table ----------------------------------------------------------------
fmt_s()  { awk -v v="$1" 'BEGIN { if (v == "nan") print "n/a"; else if (v < 1) printf "%.3f", v; else printf "%.2f", v }'; }
fmt_mb() { awk -v v="$1" 'BEGIN { if (v == "nan") print "n/a"; else printf "%.1f", v / 1024 }'; }
ratio()  { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b == 0) print "n/a"; else if (a / b < 10) printf "%.1f×", a / b; else printf "%.0f×", a / b }'; }

tl_first=nan tl_noop=nan tl_noopc=nan
if [[ " ${tools[*]} " == *" tlaloc "* ]]; then
	tl_first=$(median tlaloc first 4)
	tl_noop=$(median tlaloc noop 4)
	tl_noopc=$(median tlaloc noop 8)
fi
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
echo "Machine: $(nproc) cores ($cpu), $mem RAM, $(. /etc/os-release; echo "$PRETTY_NAME"), Linux $(uname -r)."
echo "Shared machine: load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end; all figures are medians."
echo "Runs: $FIRST_REPS first runs (fresh root and tool state each), $NOOP_REPS no-op runs (ansible: at most $SLOW_REPS each); /bin/true started the same way: $(fmt_s "$(median harness noop 4)") s wall, $(fmt_s "$(median harness noop 8)") s CPU; peak RSS from one more run of each phase under /usr/bin/time."
echo
echo "| tool | version | first run s | first run CPU s | no-op s | no-op CPU s | peak RSS MB first | peak RSS MB no-op | no-op vs tlaloc | no-op CPU vs tlaloc |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for t in "${tools[@]}"; do
	f=$(median "$t" first 4) n=$(median "$t" noop 4)
	fc=$(median "$t" first 8) nc=$(median "$t" noop 8)
	mark=
	[[ " $bad " == *" $t "* ]] && mark=" (**runs failed**)"
	echo "| $(bench_label "$t")$mark | $(bench_version "$t") | $(fmt_s "$f") | $(fmt_s "$fc") | $(fmt_s "$n") | $(fmt_s "$nc") |" \
	    "$(fmt_mb "$(median "$t" first 6)") | $(fmt_mb "$(median "$t" noop 6)") |" \
	    "$(ratio "$n" "$tl_noop") | $(ratio "$nc" "$tl_noopc") |"
done
[ $failed = 0 ] || echo "run.sh: some runs did not converge as they should: see above" >&2
exit $failed
