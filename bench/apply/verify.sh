#!/bin/bash
# bench/apply/verify.sh [OUTDIR]
#
# Checks that every installed tool converges the workload correctly:
#   1. fresh root, first run: exits as "changed" with no failure;
#   2. second run: exits as "nothing changed", and no entry of the root
#      changed (inode, mode, size, mtime, ctime all identical);
#   3. the resulting tree (types, modes, link targets, file contents) is
#      identical to a reference tree built here with plain shell commands
#      from the spec, hence identical across all tools.
# Regenerates the workload with gen.sh first. OUTDIR defaults to
# /tmp/tlaloc-bench-apply; TOOLS (default: all four) picks tools; TLALOC
# names the binary (default: build-bench/tlaloc, else build/tlaloc).
# Exit 0 when every tool checked passes.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_isolate "$0" "$@"

out=${1:-/tmp/tlaloc-bench-apply}
repo=$(cd "$here/../.." && pwd)
tl=${TLALOC:-$repo/build-bench/tlaloc}
[ -x "$tl" ] || tl=$repo/build/tlaloc
"$here/gen.sh" "$out" >/dev/null || exit 1
out=$(cd "$out" && pwd)
bench_env "$out" "$tl"

# --- the reference tree, from the spec --------------------------------------
ref=$out/roots/reference
rm -rf "$ref"; mkdir -p "$ref"; cp -a "$out/seed/." "$ref/"
for d in $(seq 0 9); do
	dd=$(printf %02d "$d")
	mkdir -m 0755 "$ref/srv/app/d$dd"
	for f in $(seq $((d * 20)) $((d * 20 + 19))); do
		ff=$(printf %03d "$f")
		printf 'bench file %s\nid = %s\n' "$ff" "$ff" > "$ref/srv/app/d$dd/f$ff.conf"
	done
	ln -s "d$dd/f$(printf %03d $((d * 20))).conf" "$ref/srv/app/l$dd"
done
sed -i -E 's/^option_([0-9]{2}) = .*/option_\1 = new_\1/' "$ref/etc/app.conf"
echo done > "$ref/srv/app/exec.stamp"
bench_tree "$ref" > "$out/tree.reference"
[ "$(grep -c '= new_' "$ref/etc/app.conf")" = 20 ] || { echo "reference broken" >&2; exit 1; }

# --- each tool ----------------------------------------------------------------
fail=0
for t in ${TOOLS:-$BENCH_ALL_TOOLS}; do
	if ! bench_have "$t"; then
		echo "SKIP  $t: not installed"
		continue
	fi
	bench_fresh "$t"
	bench_argv "$t"
	root=$out/roots/$t
	log=$out/verify.$t
	"${BENCH_ARGV[@]}" > "$log.first.log" 2>&1
	rc1=$?
	bench_snapshot "$root" > "$log.snap1"
	sleep 0.05	# so a rewrite in the same clock tick would still show
	"${BENCH_ARGV[@]}" > "$log.noop.log" 2>&1
	rc2=$?
	bench_snapshot "$root" > "$log.snap2"
	bench_tree "$root" > "$out/tree.$t"
	why=
	bench_ok "$t" first "$rc1" "$log.first.log" ||
	    why="$why first run exit $rc1 (see $log.first.log);"
	bench_ok "$t" noop "$rc2" "$log.noop.log" ||
	    why="$why no-op run exit $rc2 or reported changes (see $log.noop.log);"
	cmp -s "$log.snap1" "$log.snap2" ||
	    why="$why no-op run touched the tree ($(diff "$log.snap1" "$log.snap2" | grep -c '^>') entries);"
	diff -u "$out/tree.reference" "$out/tree.$t" > "$log.treediff" ||
	    why="$why tree differs from the reference (see $log.treediff);"
	if [ -z "$why" ]; then
		echo "OK    $t: first run exit $rc1, no-op exit $rc2 and untouched tree, tree = reference"
	else
		echo "FAIL  $t:$why"
		fail=1
	fi
done
exit $fail
