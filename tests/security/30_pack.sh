#!/bin/sh
# Pack voters are admitted by an operator, not by a tag. Three agents of
# pack web are admitted (`tlaloc pack admit n1 n2 n3 --key OPERATOR.key`)
# and elect a leader; n4, a member holding the cluster key, tags itself
# pack=web (what used to make it a voter): it is never added to the
# voters (nor does it stand), and when the leader is killed the new one
# comes from the admitted two. n4 then asks for votes as itself and as
# n1 (tlaloc-rogue forge-pack with n4's key): both refused by every node,
# counted (pack_wrong_claim, pack_forged) and logged once with the sender.
. "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/op"
$T keys operator gen --out "$WORK/op" > /dev/null || fail "operator gen"
node() { start_agent "$@" --trust "$WORK/op/operator.pub" --pack web \
    --pack-expect 3; }
node 1
wait_for 10 "n1 is up" sh -c "$T info --state-dir $(sd 1) > /dev/null 2>&1"
for i in 2 3 4; do node "$i" --join "127.0.0.1:$(port 1)"; done
wait_for 30 "4 alive" all_see 1 4 alive 4

leader() {
	for i in 1 2 3 4; do
		case " ${SKIP:-} " in *" $i "*) continue;; esac
		$T packs --am-leader --state-dir "$(sd "$i")" && echo "$i" &&
		    return 0
	done
	return 1
}
sleep 3
leader >/dev/null && fail "a leader before any voter was admitted"
$T pack admit n1 n2 n3 --key "$WORK/op/operator.key" --state-dir "$(sd 1)" \
    > "$WORK/admit.out" || fail "admit: $(cat "$WORK/admit.out")"
grep -c "admitted" "$WORK/admit.out" | grep -q 3 ||
    fail "admit said: $(cat "$WORK/admit.out")"
wait_for 30 "pack web elects a leader" sh -c "$(command -v "$T") packs \
    --json --state-dir $(sd 1) | grep -q '\"leader\":{'"
L=$(leader) || fail "no leader"
[ "$L" != 4 ] || fail "n4 leads"
voters() {
	$T packs --json --state-dir "$(sd "$1")" | python3 -c '
import json, sys
d = json.load(sys.stdin)["packs"][0]
print(" ".join(sorted(v["name"] for v in d["voters"])))'
}
sleep 5		# the leader adds live pack members as voters meanwhile
[ "$(voters "$L")" = "n1 n2 n3" ] || fail "voters: $(voters "$L")"
[ "$(info_num 4 pack_admissions)" -eq 3 ] || fail "n4 does not know"

# The leader dies: the next one is among the admitted.
kill -9 "$(pid_of "$L")"
SKIP=$L wait_for 30 "a new leader" leader
L2=$(SKIP=$L leader)
[ "$L2" != 4 ] || fail "n4 became leader"
sleep 3
for i in 1 2 3; do
	[ "$i" = "$L" ] && continue
	v=$(voters "$i")
	case " $v " in *" n4 "*) fail "n$i counts n4 a voter: $v";; esac
done
$T packs --am-leader --state-dir "$(sd 4)" && fail "n4 holds the lease"
echo "ok: n4's tag made no voter of it"

# n4 asks for votes all the same (tlaloc-rogue signing with its key), and
# in n1's name: refused by every node, counted and logged with the sender.
ID1=$($ROGUE pub --node-key "$(sd 1)/node.key")
ID4=$($ROGUE pub --node-key "$(sd 4)/node.key")
for as in "" "--as-id $ID1"; do
	hex=$($ROGUE forge-pack --node-key "$(sd 4)/node.key" $as --name web) ||
	    fail "forge-pack"
	for i in 1 2 3; do
		[ "$i" = "$L" ] && continue
		$ROGUE send --keyring "$KEYRING" --bind 127.0.0.66 --to \
		    "127.0.0.1:$(port "$i")" --part "pack:$hex" --quiet ||
		    fail "rogue send"
	done
done
for i in 1 2 3; do
	[ "$i" = "$L" ] && continue
	wait_for 5 "n$i refused both" sh -c "[ \$(\$0 info --json \
	    --state-dir $(sd "$i") | python3 -c 'import json, sys
d = json.load(sys.stdin); print(d[\"pack_wrong_claim\"] * d[\"pack_forged\"])') \
	    -ge 1 ]" "$T"
	logged_once "$i" "(as 'n4', id $(echo "$ID4" | cut -c1-16)): not a \
member of this pack that an operator admitted"
	logged_once "$i" "(as 'n1', id $(echo "$ID1" | cut -c1-16)): its \
signature does not verify"
	[ "$(grep -c "refused a message for pack web from 127.0.0.66:" \
	    "$WORK/n$i.log")" -eq 2 ] || fail "n$i: not 2 lines from the rogue"
done
$T packs --am-leader --state-dir "$(sd 4)" && fail "n4 holds the lease"
[ "$(SKIP=$L leader)" = "$L2" ] || fail "the leader changed"
echo "ok: n4's election messages refused, counted and logged"
