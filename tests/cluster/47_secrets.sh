#!/bin/bash
# Secrets sealed to the nodes that may read them, on 4 real agents (then
# 5): a secret set for pack=db is read by the db nodes' recipes and
# refused on the web nodes with the grant they lack; its value is nowhere
# in the scratch tree (state dirs, policy stores, logs, reports, run
# history) but in the files the db nodes manage. A node added to the pack
# reads it after `secret rotate`; a node that died is left out of the next
# rotation and cannot open the new value with its own key; grant and
# revoke move one node in and out (a revoked node removes its copy, and
# keeps no backup of it: the file is declared sensitive).
. "$(dirname "$0")/lib.sh"
op_setup
R=$WORK/recipe
V1="pw-ONE-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
V2="pw-TWO-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
V3="pw-THREE-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
cat > "$R/site.lua" <<'EOF2'
local ok, v = pcall(secret, "db_password")
if ok then
  file { path = "/etc/db.conf", content = "password=" .. v .. "\n",
         mode = "0600" }
  file { path = "/etc/refused", ensure = "absent" }
else
  file { path = "/etc/refused", content = v .. "\n" }
  -- sensitive: the old content held the secret this node lost
  file { path = "/etc/db.conf", ensure = "absent", sensitive = true }
end
EOF2

start_node 1 --pack db --splay 0
start_node 2 --pack db --splay 0 --join "127.0.0.1:$(port 1)"
start_node 3 --pack web --splay 0 --join "127.0.0.1:$(port 1)"
start_node 4 --pack web --splay 0 --join "127.0.0.1:$(port 1)"
wait_for 30 "4 agents see each other" all_see 1 4 alive 4

seal() {	# seal VERB ARGS...: value (if any) on stdin
	$T secret "$@" --key "$OP/operator.key" --policy "$R" \
	    --state-dir "$(sd 1)" > "$WORK/seal.out" 2>&1 ||
	    fail "secret $*: $(cat "$WORK/seal.out")"
}
SERIAL=0
publish() {
	SERIAL=$((SERIAL + 1))
	$T publish "$R" --key "$OP/operator.key" --state-dir "$(sd 1)" |
	    grep -q "published policy serial $SERIAL" || fail "publish $SERIAL"
}
has() { [ "$(cat "$(root "$1")/etc/db.conf" 2>/dev/null)" = "password=$2" ]; }
refused() { grep -q "$2" "$(root "$1")/etc/refused" 2>/dev/null &&
    [ ! -e "$(root "$1")/etc/db.conf" ]; }

# `secret nodes`: the agent's members as --node-key lines, for offline use.
$T secret nodes --state-dir "$(sd 1)" > "$WORK/nodes" || fail "secret nodes"
[ "$(grep -c " pack=db" "$WORK/nodes")" = 2 ] &&
    [ "$(grep -c " pack=web" "$WORK/nodes")" = 2 ] ||
    fail "secret nodes: $(cat "$WORK/nodes")"

# -- set for pack=db: db nodes read it, web nodes are refused ----------
printf '%s\n' "$V1" | seal set db_password --for pack=db
grep -q "to 2 nodes: n1 n2" "$WORK/seal.out" ||
    fail "sealed to: $(cat "$WORK/seal.out")"
publish
wait_for 30 "n1 and n2 read the secret" eval 'has 1 "$V1" && has 2 "$V1"'
wait_for 30 "n3 and n4 are refused, naming the grant" eval \
    'refused 3 "not granted to this node (n3): it is sealed for .pack=db. (n1, n2)" &&
     refused 4 "not granted to this node (n4)"'
[ "$(stat -c %a "$(root 1)/etc/db.conf")" = 600 ] || fail "db.conf mode"

# The value is nowhere else: not in a policy store, a report, a log, the
# run history, the bucket, nor in what `status` and `history` print.
for i in 1 2 3 4; do
	$T status --json --state-dir "$(sd "$i")" >> "$WORK/outputs" 2>&1
	$T history --state-dir "$(sd "$i")" >> "$WORK/outputs" 2>&1
done
clear_only_in_managed() {
	leaks=$(grep -rl -e "$1" "$WORK" | grep -v -e "/root[0-9]*/etc/db.conf$")
	[ -z "$leaks" ] || fail "'$1' in clear in: $leaks"
}
clear_only_in_managed "$V1"
echo "ok: the value is in clear only in the db nodes' managed file"

# -- a node joins the pack: rotate seals to it, with a new value --------
start_node 5 --pack db --splay 0 --join "127.0.0.1:$(port 1)"
wait_for 30 "n5 joins" all_see 1 5 alive 5
printf '%s\n' "$V2" | seal rotate db_password --from -
grep -q "to 3 nodes: n1 n2 n5" "$WORK/seal.out" ||
    fail "rotate sealed to: $(cat "$WORK/seal.out")"
publish
wait_for 30 "n1, n2, n5 read the new value" \
    eval 'has 1 "$V2" && has 2 "$V2" && has 5 "$V2"'

# -- a db node dies: the next rotation leaves it out ----------------------
kill -9 "$(pid_of 2)"
wait_for 40 "n2 seen failed" all_say 1 1 n2 failed
printf '%s\n' "$V3" | seal rotate db_password --from -
grep -q "to 2 nodes: n1 n5" "$WORK/seal.out" ||
    fail "rotate after loss sealed to: $(cat "$WORK/seal.out")"
publish
wait_for 30 "n1 and n5 read the third value" eval 'has 1 "$V3" && has 5 "$V3"'
# n2's own key no longer opens it (its disk, its key, the new policy).
mkdir -p "$WORK/n2root/etc"
$T apply "$R" --root "$WORK/n2root" --state-dir "$(sd 2)" \
    --fact agent.name=n2 >/dev/null 2>&1
grep -q "not granted to this node (n2)" "$WORK/n2root/etc/refused" ||
    fail "the lost node opened the rotated secret"

# -- grant and revoke one web node -----------------------------------------
seal grant db_password --for n3
publish
wait_for 30 "n3 reads it once granted" eval 'has 3 "$V3"'
refused 4 "not granted" || fail "n4 read it without a grant"
seal revoke db_password --for n3
publish
wait_for 30 "n3 refused once revoked" eval 'refused 3 "not granted"'
seal revoke db_password --for n5
publish
wait_for 30 "n5 excluded from pack=db by revoke" eval 'refused 5 "not granted"'
has 1 "$V3" || fail "n1 lost the secret"
$T secret list db_password --policy "$R" > "$WORK/list" ||
    fail "secret list"
grep -q "readable by: n1$" "$WORK/list" || fail "list: $(cat "$WORK/list")"

rm -rf "$WORK/n2root"
for i in 1 3 4 5; do
	$T status --json --state-dir "$(sd "$i")" >> "$WORK/outputs" 2>&1
done
for v in "$V1" "$V2" "$V3"; do clear_only_in_managed "$v"; done
echo "ok: no value of the three in clear outside the managed files"
echo "PASS"
