#!/bin/bash
# bench/apply/ab.sh BASE_BIN BASE_OUT NEW_BIN NEW_OUT [ROUNDS]
#
# Two builds of tlaloc on the apply workload, interleaved so that the load
# of a shared machine falls on both alike: each round converges a fresh
# root with BASE, then its no-op run three times, then the same with NEW.
# BASE_OUT and NEW_OUT are gen.sh outputs (each build's own gen.sh: the
# recipe may use attributes the other lacks). Prints one line per run,
# "LABEL first|noop EXIT CPU_S" (user+sys of the run, ms resolution, from
# bash's `times`), then medians. CPU rather than wall time: on a loaded
# machine wall time says how long a run waited. Nothing outside the two
# OUT dirs changes.
set -u
[ $# -ge 4 ] || { sed -n 2,12p "$0"; exit 2; }
base_bin=$1 base_out=$2 new_bin=$3 new_out=$4 rounds=${5:-30}
samples=$(mktemp)
trap 'rm -f "$samples" "$samples.t0" "$samples.t1"' EXIT

cpu() { awk 'NR == 2 { n = split($0, f, " "); s = 0
	for (i = 1; i <= n; i++) { split(f[i], a, "m"); sub("s", "", a[2]); s += a[1] * 60 + a[2] }
	printf "%.4f", s }' "$1"; }
# timed LABEL PHASE BIN OUT: one run, one sample line
timed() {
	local rc
	times > "$samples.t0"
	TLALOC_STATE_DIR=$4/state/tlaloc "$3" apply "$4/tlaloc" \
	    --root "$4/roots/tlaloc" -q >/dev/null 2>&1
	rc=$?
	times > "$samples.t1"
	echo "$1 $2 $rc $(awk -v a="$(cpu "$samples.t0")" \
	    -v b="$(cpu "$samples.t1")" 'BEGIN { printf "%.4f", b - a }')" |
	    tee -a "$samples"
}
one() { # LABEL BIN OUT
	rm -rf "$3/roots/tlaloc" "$3/state/tlaloc"
	mkdir -p "$3/roots/tlaloc" "$3/state/tlaloc"
	cp -a "$3/seed/." "$3/roots/tlaloc/"
	timed "$1" first "$2" "$3"
	for k in 1 2 3; do timed "$1" noop "$2" "$3"; done
}
for i in $(seq "$rounds"); do
	one base "$base_bin" "$base_out"
	one new "$new_bin" "$new_out"
done
echo "medians (CPU s):"
for l in base new; do
	for p in first noop; do
		awk -v l=$l -v p=$p '$1 == l && $2 == p { print $4 }' "$samples" |
		    sort -g | awk -v l=$l -v p=$p '{ v[NR] = $1 } END {
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "  %-4s %-5s %.4f (n=%d)\n", l, p, m, NR }'
	done
done
