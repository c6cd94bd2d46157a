# A power cut keeps what was made durable and loses the rest. No
# device-mapper here to cut power for real (dm-flakey), so this test
# records every write, fsync, syncfs and rename a converge makes (strace)
# and replays them against that rule: at each rename of a temporary file
# over a managed path, the file's content must already be durable (an
# fsync of it, or a syncfs after its last write), the backups of the run
# (bucket objects and their directory entries, the index lines) too. A cut
# at any point then leaves every path wholly old or wholly new, with the
# old one in the bucket. Run twice: 40 files (one syncfs per filesystem)
# and 5 (an fsync per file). The 40-file run must also batch: far fewer
# flushes than the two per file it used to pay. docs/backups.md states
# the guarantee; kill9_never_tears_files.sh kills real runs.
. tests/system/lib/common.sh
command -v strace >/dev/null || fail "needs strace (scripts/install-deps)"
[ "$(stat -c %d "$ROOT")" = "$(stat -c %d "$STATE")" ] ||
	fail "the root and the state directory must share a filesystem here"

check_trace() { # N TRACE
	awk -v root="$ROOT" -v state="$STATE" -v n="$1" '
	function fdpath(s) {	# "5</a/b>" -> "/a/b"
		sub(/^[0-9]+</, "", s); sub(/>$/, "", s); return s
	}
	function bad(msg) { print "FAIL: " msg > "/dev/stderr"; failed = 1 }
	{ sub(/^[0-9]+ +/, "") }
	/^(write|pwrite64)\(/ {
		p = fdpath(substr($0, index($0, "(") + 1, index($0, ",") - index($0, "(") - 1))
		dirty[p] = 1
		if (p == state "/bucket/index") index_dirty = 1
	}
	/^(fsync|fdatasync)\(/ {
		p = fdpath(substr($0, index($0, "(") + 1, index($0, ")") - index($0, "(") - 1))
		delete dirty[p]; flushes++
		if (p == state "/bucket/index") index_dirty = 0
		if (p ~ "/bucket/objects/..$") objects_pending = 0
	}
	/^syncfs\(/ { for (p in dirty) delete dirty[p]; index_dirty = 0; objects_pending = 0; flushes++ }
	/^renameat2?\(/ && / = 0$/ {
		split($0, a, "\"")
		dir = $0; sub(/^renameat2?\(/, "", dir); sub(/,.*/, "", dir)
		from = fdpath(dir) "/" a[2]
		dir2 = $0; sub(/^[^"]*"[^"]*", */, "", dir2); sub(/,.*/, "", dir2)
		to = fdpath(dir2) "/" a[4]
		if (from in dirty) bad("renamed " to " before its content was durable")
		if (index(to, state "/bucket/objects/") == 1) { objects_pending++; objects++ }
		if (index(to, root "/") == 1) {
			managed++
			if (index_dirty) bad("replaced " to " before the index of its backup was durable")
			if (objects_pending) bad("replaced " to " before the directory entry of its backup was durable")
		}
	}
	END {
		if (managed != n) bad("saw " managed " managed renames, wanted " n)
		if (objects < 1) bad("no backup was written")
		if (n >= 16 && flushes >= n / 2) bad(flushes " flushes for " n " files: not batched")
		printf "%d files: %d renames over managed paths, %d backups, %d fsync/syncfs, every rename after its content\n", managed, managed, objects, flushes
		exit failed
	}' "$2"
}

for n in 40 5; do
	cat > "$RECIPES/site.lua" <<LUA
local v = node.version_tag
for i = 1, $n do
  file { path = ("/data/f%02d"):format(i), content = string.rep(v .. i .. "\n", 1000) }
end
LUA
	rm -rf "${ROOT:?}/data"
	mkdir -p "$ROOT/data"
	apply 2 "$RECIPES" --fact version_tag=A$n
	# LeakSanitizer cannot run under ptrace (it aborts at exit): leaks
	# are checked by every other test of the sanitizer build.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	strace -f -yy -qq -o "$T/trace" -e trace=write,pwrite64,fsync,fdatasync,syncfs,rename,renameat,renameat2 \
	    "$TLALOC" apply "$RECIPES" --root "$ROOT" --state-dir "$STATE" --fact version_tag=B$n -q >/dev/null 2>&1
	[ $? = 2 ] || fail "the traced run did not converge"
	check_trace "$n" "$T/trace" || exit 1
	for i in $(seq 1 "$n"); do
		f=$(printf 'f%02d' "$i")
		[ "$(head -1 "$ROOT/data/$f")" = "B$n$i" ] || fail "$f was not rewritten"
	done
done
