# A kill -9 loop during converges of large files: a run killed mid-write
# leaves temporary files (.NAME.tlaloc-XXXXXX) beside its targets and in
# the bucket, noted in its ledger (STATE/tmp/PID.ledger). The next run
# removes every one of them before it starts, and so does an agent started
# on that state dir; nothing else under the root is touched.
. tests/system/lib/common.sh
cat > "$RECIPES/site.lua" <<'LUA'
for i = 1, 6 do
  file { path = ("/data/big%d"):format(i),
         content = string.rep(node.v .. i .. "\n", (4 << 20) // (#node.v + 2)) }
end
LUA
mkdir -p "$ROOT/data"
echo "not ours" > "$ROOT/data/.keep.tlaloc-abcdef"	# not in a ledger
temps() { find "$ROOT" "$STATE" -name '.*.tlaloc-*' ! -name '.keep.tlaloc-abcdef' | wc -l; }
# kill_until_left: kill -9 runs at random points until one leaves
# temporary files behind; says how many rounds it took.
kill_until_left() {
	local round=0 v
	while [ "$round" -lt 150 ]; do
		round=$((round + 1))
		v=$([ $((round % 2)) = 0 ] && echo AAAA || echo BBBB)
		"$TLALOC" apply "$RECIPES" --root "$ROOT" --state-dir "$STATE" \
		    --fact v=$v -q >/dev/null 2>&1 &
		pid=$!
		# Late in a run: the writes are batched and made durable
		# together at its end (the last ~20% under strace), and a
		# run's length varies, so aim at 50-130% of the measured one.
		sleep "$(awk -v t="$RUN_MS" -v r=$RANDOM 'BEGIN { printf "%.3f", t * (0.5 + 0.8 * r / 32768) / 1000 }')"
		kill -9 $pid 2>/dev/null
		wait $pid 2>/dev/null
		[ "$(temps)" -gt 0 ] && { echo "$round"; return 0; }
	done
	fail "150 kills left no temporary file: the test proves nothing"
}
# How long a run that rewrites everything takes here (an ASan build or a
# loaded machine is slower): the kills aim inside it.
t0=$(date +%s%N)
apply 2 "$RECIPES" --fact v=AAAA
apply 2 "$RECIPES" --fact v=BBBB
RUN_MS=$(( ($(date +%s%N) - t0) / 2000000 ))
echo "a run takes about $RUN_MS ms"
rounds=$(kill_until_left)
echo "round $rounds: a killed run left $(temps) temporary files:"
find "$ROOT" "$STATE" -name '.*.tlaloc-*' ! -name '.keep.tlaloc-abcdef' | sed 's/^/    /'
[ -n "$(find "$STATE" -name '*.ledger')" ] || fail "no ledger left by the killed run"
apply 2 "$RECIPES" --fact v=CCCC
assert_contains "$OUT" "removed"
[ "$(temps)" = 0 ] || fail "temporary files after the next run: $(find "$ROOT" "$STATE" -name '.*.tlaloc-*')"
[ -z "$(find "$STATE" -name '*.ledger')" ] || fail "a ledger is left"
[ -f "$ROOT/data/.keep.tlaloc-abcdef" ] || fail "a file no ledger names was removed"
echo "ok: the next run removed them"

# The agent, when it starts on that state dir, does the same.
rounds=$(kill_until_left)
n=$(temps)
"$TLALOC" keys gen --out "$T/keyring"
chmod 600 "$T/keyring"
"$TLALOC" agent --name sweep --bind "127.0.0.1:$((21000 + $$ % 2000))" \
    --keyring "$T/keyring" --state-dir "$STATE" --root "$ROOT" --interval 0 \
    --profile local > "$T/agent.log" 2>&1 &
apid=$!
# A loaded machine (CI's sanitizer pass) can take seconds to start it.
for i in $(seq 300); do grep -q "agent started" "$T/agent.log" && break; sleep 0.1; done
kill $apid; wait $apid 2>/dev/null
grep -q "agent started" "$T/agent.log" || { cat "$T/agent.log"; fail "the agent did not start in 30 s"; }
grep -q "removed [0-9]* temporary file" "$T/agent.log" || { cat "$T/agent.log"; fail "the agent did not sweep"; }
[ "$(temps)" = 0 ] || fail "temporary files after the agent started: $(find "$ROOT" "$STATE" -name '.*.tlaloc-*')"
echo "ok: the agent removed the $n a killed run left"
