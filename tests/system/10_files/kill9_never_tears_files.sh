# kill -9 at many points during converges that rewrite 40 files of 64 KiB:
# every managed file is always wholly the old or wholly the new version,
# never truncated or mixed; and the next run removes every temporary file
# the killed ones left (their ledger in STATE/tmp), the bucket's too.
. tests/system/lib/common.sh
cat > "$RECIPES/site.lua" <<'LUA'
local v = node.version_tag
for i = 1, 40 do
  file { path = ("/data/f%02d"):format(i), content = string.rep(v .. i .. "\n", 16384 // (#v + 3)) }
end
LUA
mkdir -p "$ROOT/data"
"$TLALOC" apply "$RECIPES" --root "$ROOT" --state-dir "$STATE" --fact version_tag=AAAA -q >/dev/null
ok_file() { # file index
	local a b got
	got=$(sha256sum < "$1")
	for v in AAAA BBBB; do
		[ "$got" = "$(lua5.4 -e "io.write(string.rep('$v' .. $2 .. '\n', 16384 // 7))" | sha256sum)" ] && return 0
	done
	return 1
}
kills=0
for round in $(seq 1 40); do
	v=$([ $((round % 2)) = 0 ] && echo AAAA || echo BBBB)
	"$TLALOC" apply "$RECIPES" --root "$ROOT" --state-dir "$STATE" --fact version_tag=$v -q >/dev/null 2>&1 &
	pid=$!
	sleep "0.00$((RANDOM % 9))$((RANDOM % 9))"
	kill -9 $pid 2>/dev/null && kills=$((kills + 1))
	wait $pid 2>/dev/null
	for i in $(seq -w 1 40); do
		ok_file "$ROOT/data/f$i" "$((10#$i))" || fail "round $round: f$i is torn: $(head -c 40 "$ROOT/data/f$i" | tr '\n' ' ')"
	done
done
echo "killed $kills runs mid-way; no torn file"
[ $kills -gt 10 ] || fail "only $kills kills landed mid-run; the test proves nothing"
# Temporary files: the converge's beside their targets, the report's
# (last_run.json) as STATE/tmp/last_run.json.PID.
temps() { find "$ROOT" "$STATE" -name '.*.tlaloc-*' -o -path "$STATE/tmp/last_run.json.*"; }
left=$(temps | wc -l)
echo "the kills left $left temporary files"
# One more as a run killed while saving its report leaves it: a PID no
# process has (above pid_max).
: > "$STATE/tmp/last_run.json.99999999"
# A clean run afterwards converges whatever state the kills left, and
# removes what they left behind.
"$TLALOC" apply "$RECIPES" --root "$ROOT" --state-dir "$STATE" --fact version_tag=AAAA -q >/dev/null
apply 0 "$RECIPES" --fact version_tag=AAAA
stale=$(temps)
[ -z "$stale" ] || fail "temporary files left after a clean run: $stale"
[ -z "$(find "$STATE/tmp" -name '*.ledger' 2>/dev/null)" ] || fail "a ledger was left"
echo "no temporary file after the next run (the kills had left $left)"
