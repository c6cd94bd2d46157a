#!/bin/sh
# Packs on loopback (docs/pack.md): three agents of pack "web" elect one
# leader; a lone agent of pack "db" leads itself; an agent in no pack
# cannot tell. `tlaloc packs --am-leader` exit codes, pack.is_leader() in a
# recipe, `tlaloc pack step-down`, a member whose SWIM tag stops claiming
# the pack has its messages dropped and counted, and a leader that leaves
# hands over.
. "$(dirname "$0")/lib.sh"

# leader_of I: the leader of node I's own pack (the first listed), or "-".
leader_of() {
	$T packs --json --state-dir "$(sd "$1")" 2>/dev/null | python3 -c '
import json, sys
try:
    print(json.load(sys.stdin)["packs"][0]["leader"]["name"])
except Exception:
    print("-")'
}
agree() {
	first=$(leader_of "$1")
	[ "$first" != - ] || return 1
	for i in "$@"; do [ "$(leader_of "$i")" = "$first" ] || return 1; done
	AGREED=${first#n}
}
am() { $T packs --am-leader --state-dir "$(sd "$1")"; echo $?; }

start_agent 1 --pack web --pack-expect 3
for i in 2 3; do
	start_agent "$i" --join "127.0.0.1:$(port 1)" --pack web --pack-expect 3
done
start_agent 4 --join "127.0.0.1:$(port 1)" --pack db --pack-expect 1
start_agent 5 --join "127.0.0.1:$(port 1)" --pack-expect 1
wait_for 30 "pack web elects one leader" agree 1 2 3
L=$AGREED
wait_for 10 "pack db (one node) leads itself" agree 4
[ "$(am "$L")" = 0 ] || fail "leader n$L: --am-leader not 0"
for i in 1 2 3; do
	[ "$i" = "$L" ] && continue
	[ "$(am "$i")" = 1 ] || fail "follower n$i: --am-leader not 1"
	F=$i
done
[ "$(am 5)" = 2 ] || fail "node in no pack: --am-leader not 2"
$T packs --state-dir "$(sd 5)" 2>&1 | grep -q "in no pack" ||
    fail "tlaloc packs on a node in no pack"
# Other packs' leaders, from gossip (tag pack_leader=TERM).
gossip_shows_leaders() {
	$T packs --state-dir "$(sd 5)" | grep -q "^pack web (gossip).*leader n$L," &&
	    $T packs --json --state-dir "$(sd 5)" |
	    grep -q '"name":"db".*"leader":{"name":"n4"}'
}
wait_for 10 "n5 (in no pack) sees both packs' leaders" gossip_shows_leaders
$T packs --state-dir "$(sd "$L")" | grep -q "^pack web: leader n$L" ||
    fail "tlaloc packs text"
$T packs --json --state-dir "$(sd "$F")" | grep -q '"voters":\[{' ||
    fail "tlaloc packs --json has no voters"
# The leader says so on #pack-web, where every member listens.
announced() { timeout 1 $T listen '#pack-web' --recent --state-dir "$(sd "$F")" \
    2>/dev/null | grep -q " n$L .*leader n$L term [0-9]"; }
wait_for 10 "n$L's election is announced on #pack-web to n$F" announced

# pack.is_leader() in a recipe: singleton work runs on the leader only.
mkdir -p "$WORK/r"
cat > "$WORK/r/site.lua" <<LUA
pack "web"
if pack.is_leader() then
	file { path = "$WORK/backup-" .. node.name_arg, content = "ran\n" }
end
LUA
for i in "$L" "$F"; do
	# exit 0: nothing changed, 2: changed (docs: apply exit codes)
	$T apply "$WORK/r" --state-dir "$(sd "$i")" --fact name_arg="n$i" \
	    --no-backup -q > "$WORK/apply.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || [ $rc -eq 2 ] || { cat "$WORK/apply.out"; fail "apply on n$i: exit $rc"; }
done
[ -f "$WORK/backup-n$L" ] || fail "leader n$L did not run the singleton"
[ ! -e "$WORK/backup-n$F" ] || fail "follower n$F ran the singleton"
echo "ok: pack.is_leader() true on n$L only"

# A recipe's `pack "ops"` puts n5 (in no pack) in pack ops, and it
# stays there across a restart; n4 (pack db) refuses a second pack.
mkdir -p "$WORK/ops" "$WORK/web"
echo 'pack "ops"' > "$WORK/ops/site.lua"
echo 'pack "web"' > "$WORK/web/site.lua"
$T apply "$WORK/ops" --state-dir "$(sd 5)" -q > /dev/null 2>&1
wait_for 10 "n5 leads pack ops, declared by its recipe" agree 5
$T apply "$WORK/web" --state-dir "$(sd 4)" -q 2> "$WORK/apply4.err" > /dev/null
grep -q "is in pack 'db'; a node belongs to one pack" "$WORK/apply4.err" ||
    fail "n4 did not refuse a second pack"
kill -9 "$(pid_of 5)"
start_agent 5 --pack-expect 1
wait_for 10 "n5 is back in pack ops after a restart" agree 5

# Step down: someone else leads, the old leader follows.
$T pack step-down --state-dir "$(sd "$F")" 2>/dev/null &&
    fail "a follower stepped down"
$T pack step-down --state-dir "$(sd "$L")" > /dev/null || fail "step-down"
wait_for 10 "a new leader after step-down" sh -c \
    "[ \$($T packs --json --state-dir $(sd "$L") | grep -c '\"leader\":{\"name\":\"n$L\"') = 0 ]"
wait_for 10 "all three agree again" agree 1 2 3
[ "$AGREED" != "$L" ] || fail "n$L still leads after step-down"
[ "$(am "$L")" = 1 ] || fail "old leader n$L still holds the lease"
grep -q "stepped down in term .*: asked to step down" "$WORK/n$L.log" ||
    fail "step-down not logged"
echo "ok: n$L handed over to n$AGREED"

# A member that stops claiming the pack in SWIM: its messages are dropped.
NL=$AGREED
for i in 1 2 3; do [ "$i" != "$NL" ] && X=$i; done
$T tags set pack=db --state-dir "$(sd "$X")" > /dev/null || fail "tags set"
wait_for 15 "n$NL counts messages from n$X as a false pack claim" sh -c \
    "$T info --json --state-dir $(sd "$NL") | grep -q '\"pack_wrong_claim\":[1-9]'"
$T tags set pack=web --state-dir "$(sd "$X")" > /dev/null || fail "tags set"

# A leader that leaves gracefully (SIGTERM) hands over first.
kill -TERM "$(pid_of "$NL")"
REST=$(for i in 1 2 3; do [ "$i" != "$NL" ] && echo "$i"; done)
wait_for 10 "the two others agree on a new leader after n$NL left" agree $REST
grep -q "handing leadership over before leaving" "$WORK/n$NL.log" ||
    fail "n$NL did not hand over"
echo "PASS 40_pack"
