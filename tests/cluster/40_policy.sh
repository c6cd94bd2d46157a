#!/bin/bash
# Policy with no master, 20 real agents on loopback, each converging its
# own scratch root: publish on one node and every node converges it; a
# forged and a replayed bundle from rogue members are refused everywhere
# (counted in `tlaloc info`, logged with the peer), and so is a claim of a
# serial near 2^64; none of it moves the next serial; a node started after
# the publish gets the policy from a peer; a hand edit of a managed file
# is undone within a second; a --no-enforce node reports drift and changes
# nothing; a policy that does not compile leaves every node on its last
# good policy, shown failing with file:line; a dead node is shown silent.
# Ports below the ephemeral range: 20 agents make many outgoing TCP
# connections, and lib.sh's default range overlaps it.
BASE_PORT=${BASE_PORT:-$((10000 + $(od -An -N2 -tu2 /dev/urandom) % 100 * 100))}
. "$(dirname "$0")/lib.sh"
N=20
OP=$WORK/op
ROGUE=$WORK/rogue
mkdir -p "$OP" "$ROGUE" "$WORK/recipe"
$T keys operator gen --out "$OP" >/dev/null || fail "operator key"
$T keys operator gen --out "$ROGUE" >/dev/null || fail "rogue key"

root() { echo "$WORK/root$1"; }
start_node() {
	i=$1; shift
	mkdir -p "$(root "$i")/etc"
	start_agent "$i" --trust "$OP/operator.pub" --root "$(root "$i")" \
	    --join "127.0.0.1:$(port 1)" --splay 0 "$@"
}
recipe() {
	cat > "$WORK/recipe/site.lua" <<EOF
file { path = "/etc/motd", content = "$1\n" }
EOF
}
serial_of() {
	$T policy status --json --state-dir "$(sd "$1")" 2>/dev/null |
	    sed -n 's/.*"serial":\([0-9]*\).*/\1/p'
}
info_field() {
	$T info --json --state-dir "$(sd "$1")" 2>/dev/null |
	    sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"
}
# all_have SERIAL TEXT FIRST LAST: each node holds SERIAL and its root's
# motd reads TEXT.
all_have() {
	for i in $(seq "$3" "$4"); do
		case " ${SKIP:-} " in *" $i "*) continue;; esac
		[ "$(serial_of "$i")" = "$1" ] || return 1
		[ "$(cat "$(root "$i")/etc/motd" 2>/dev/null)" = "$2" ] ||
		    return 1
	done
}
# everyone_counted FIELD [LAST]: every node up to LAST (16: all but the
# rogues 17..19) counted one.
everyone_counted() {
	for i in $(seq 1 "${2:-16}"); do
		[ "$(info_field "$i" "$1")" -ge 1 ] 2>/dev/null || return 1
	done
}

for i in $(seq 1 19); do start_node "$i"; done
wait_for 40 "19 agents see each other" all_see 1 19 alive 19

# -- publish on one node, all converge ---------------------------------
recipe "v1"
$T publish "$WORK/recipe" --key "$OP/operator.key" --message one \
    --state-dir "$(sd 7)" | grep -q "published policy serial 1" ||
    fail "publish on n7"
wait_for 20 "all 19 converge serial 1" all_have 1 v1 1 19
# A status query reports each node's last converge, straight from it.
ran_serial1() { $T query 'name=^n3$' status --state-dir "$(sd 1)" \
    2>/dev/null | grep -q '"last_run":{"serial":1,'; }
wait_for 10 "a status query gives n3's last run" ran_serial1

# -- a key the nodes do not trust is refused at once -------------------
recipe "rogue"
if $T publish "$WORK/recipe" --key "$ROGUE/operator.key" \
    --state-dir "$(sd 2)" 2>"$WORK/err"; then
	fail "an untrusted key published"
fi
grep -q "untrusted key" "$WORK/err" || fail "no reason: $(cat "$WORK/err")"

# -- a rogue member (n19 holds the cluster key) announces serial 9 and
#    serves a tampered copy of serial 1: a forged bundle -----------------
S19=$(sd 19)/policy/bundles
python3 - "$S19/1" "$S19/9" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[12] = 9			# serial 1 -> 9, under the old signature
open(sys.argv[2], 'wb').write(b)
EOF
$T tags set policy=9 --state-dir "$(sd 19)" >/dev/null || fail "tags set"
wait_for 20 "forged serial 9 refused by all 18" everyone_counted \
    policy_refused_forged 18
grep -q "refused policy bundle from 127.0.0.1:$(port 19): .*bad signature" \
    "$WORK/n3.log" || fail "n3 did not log the forged bundle with its peer"

# It lied: nobody asks it again for five minutes, whatever it claims.
$T tags set policy=11 --state-dir "$(sd 19)" >/dev/null || fail "tags set"

# -- another rogue replays the genuine serial 1 as serial 10 ------------
S18=$(sd 18)/policy/bundles
cp "$S18/1" "$S18/10"
$T tags set policy=10 --state-dir "$(sd 18)" >/dev/null || fail "tags set"
wait_for 20 "replayed serial 1 refused by all 16" everyone_counted \
    policy_refused_stale
SKIP="17 18 19" all_have 1 v1 1 16 || fail "a node left its policy"
for i in $(seq 1 16); do
	[ "$(info_field "$i" policy_refused_forged)" -eq 1 ] ||
	    fail "n$i fetched from n19 again after it lied"
done

# -- a third claims serial 2^64 - 1: once, that froze every publish -----
$T tags set policy=18446744073709551615 --state-dir "$(sd 17)" \
    >/dev/null || fail "tags set"
wait_for 20 "the claim of 2^64 - 1 refused by all 16" everyone_counted \
    policy_bad_claims
grep -q "refused a policy claim of serial 18446744073709551615 from n17" \
    "$WORK/n3.log" || fail "n3 did not log the impossible claim"

# -- a new serial still wins, and a late node gets it from a peer ------
for i in 17 18 19; do
	$T tags delete policy --state-dir "$(sd "$i")" >/dev/null
done
recipe "v2"
S=$($T publish "$WORK/recipe" --key "$OP/operator.key" \
    --state-dir "$(sd 4)" | sed -n 's/^published policy serial \([0-9]*\).*/\1/p')
# Above the newest serial shown with a good signature, not above what
# rogues claimed (9, 10, 11, 2^64 - 1).
[ "${S:-0}" -eq 2 ] || fail "publish after the rogues gave serial '$S'"
wait_for 20 "all 19 converge serial $S" all_have "$S" v2 1 19
start_node 20
wait_for 20 "n20, started after the publish, converges serial $S" \
    all_have "$S" v2 20 20

# -- a hand edit is undone within a second ------------------------------
undone() { [ "$(cat "$(root 5)/etc/motd")" = v2 ]; }
echo "edited by hand" > "$(root 5)/etc/motd"
t0=$(date +%s.%N)
for k in $(seq 1 20); do undone && break; sleep 0.05; done
undone || fail "hand edit on n5 not undone within a second"
echo "ok: hand edit undone in $(echo "$(date +%s.%N) - $t0" | bc |
    cut -c1-5)s"
grep -q "drift: '/etc/motd' content changed by hand" "$WORK/n5.log" ||
    fail "drift not logged"

# -- --no-enforce: a node reports drift and changes nothing -------------
start_node 21 --no-enforce
echo "local" > "$(root 21)/etc/motd"
drifting() {
	$T status --json --state-dir "$(sd 2)" |
	    grep -q '"name":"n21","addr":"[^"]*","state":"drift"'
}
wait_for 20 "n21 (--no-enforce) shown drifting in tlaloc status" drifting
[ "$(serial_of 21)" = "$S" ] || fail "n21 did not get serial $S"
[ "$(cat "$(root 21)/etc/motd")" = local ] || fail "n21 enforced"

# -- a policy that does not compile: refused by publish (issue 18); with
# --force, every node keeps its last good policy and is shown failing ----
echo 'file { path = "/etc/x" content = 1 }' > "$WORK/recipe/site.lua"
out=$($T publish "$WORK/recipe" --key "$OP/operator.key" --state-dir "$(sd 1)" 2>&1) &&
    fail "publish signed a policy that does not compile"
case "$out" in *"error: site.lua:1: "*) ;; *) echo "$out"; fail "publish did not say why it refused";; esac
case "$out" in *"not published: the policy does not compile for 21 of 21 nodes"*) ;;
*) echo "$out"; fail "publish did not say it refused";; esac
[ "$(serial_of 1)" = "$S" ] || fail "a refused publish moved the serial"
$T publish "$WORK/recipe" --key "$OP/operator.key" --state-dir "$(sd 1)" \
    --force >/dev/null 2>&1 || fail "publish --force the broken policy"
failing() {
	$T status --json --state-dir "$(sd 9)" | grep -o '"state":"failing"' |
	    wc -l | grep -qx 21
}
wait_for 20 "all 21 shown failing in tlaloc status" failing
$T status --state-dir "$(sd 9)" | grep -q "site.lua:1: " ||
    fail "status lacks file:line"
all_have $((S + 1)) v2 1 20 || fail "a node lost its last good policy"
echo "edited again" > "$(root 6)/etc/motd"
wait_for 5 "n6 still enforces its last good policy" all_have $((S + 1)) v2 6 6

# -- a dead node is shown silent -------------------------------------------
kill -9 "$(pid_of 20)"
silent() {
	$T status --json --state-dir "$(sd 9)" |
	    grep -q '"name":"n20","addr":"[^"]*","state":"silent"'
}
wait_for 20 "n20, killed, shown silent" silent
echo "ok: policy test done"
