#!/bin/sh
# Bucket replication among 4 agents of one pack on loopback: a policy
# changes /etc/x everywhere (and deletes n2's /etc/secret), so the old
# contents are backed up; each node's backups reach 2 peers, sealed: no
# keeper can read a path or a byte of them. Then n2 loses its disk (state
# dir and file gone, a new node key, the same name): its new key opens
# nothing, `tlaloc backups recover` opens the old key's escrow with the
# operator's key, and `tlaloc backups restore /etc/x --from PEER --origin
# ID` brings the old content back byte for byte; a keeper's planted
# setuid file is refused; another node cannot get n2's backups; a
# corrupted replica frame is counted.
. "$(dirname "$0")/lib.sh"

OP=$WORK/op
mkdir -p "$OP" "$WORK/recipe"
$T keys operator gen --out "$OP" >/dev/null || fail "operator key"

root() { echo "$WORK/root$1"; }
start_node() {
	i=$1; shift
	mkdir -p "$(root "$i")/etc"
	start_agent "$i" --trust "$OP/operator.pub" --root "$(root "$i")" \
	    --join "127.0.0.1:$(port 1)" --splay 0 --pack web --pack-expect 4 \
	    --bucket-replicas 2 "$@"
}
info_field() {
	$T info --json --state-dir "$(sd "$1")" 2>/dev/null |
	    sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"
}
id_of() { info_text "$1" | sed -n 's/^id: //p'; }
info_text() { $T info --state-dir "$(sd "$1")" 2>/dev/null; }
# holders I ID: the live nodes keeping sealed backups of node id ID (the
# 16 hex digits `tlaloc info` shows) for nI, e.g. "1 3".
holders() {
	for j in 1 2 3 4; do
		[ "$j" = "$1" ] && continue
		ls "$(sd "$j")"/replicas/"$2"*/index >/dev/null 2>&1 &&
		    grep -q '	/sealed/[0-9a-f]\{64\}$' \
		    "$(sd "$j")"/replicas/"$2"*/index && printf '%s ' "$j"
	done
}
nholders() { holders "$@" | wc -w; }

for i in 1 2 3 4; do
	mkdir -p "$(root "$i")/etc"
	printf 'old content of n%s\n\001\377binary tail\n' "$i" > "$(root "$i")/etc/x"
done
echo "n2's secret" > "$(root 2)/etc/secret"
cp "$(root 2)/etc/x" "$WORK/x.n2.old"
for i in 1 2 3 4; do start_node "$i"; done
wait_for 20 "4 agents see each other" all_see 1 4 alive 4

cat > "$WORK/recipe/site.lua" <<'EOF'
file { path = "/etc/x", content = "new\n" }
file { path = "/etc/secret", ensure = "absent" }
EOF
$T publish "$WORK/recipe" --key "$OP/operator.key" --state-dir "$(sd 1)" \
    >/dev/null || fail "publish"
converged() {
	for i in 1 2 3 4; do
		[ "$(cat "$(root "$i")/etc/x")" = new ] || return 1
	done
}
wait_for 20 "all 4 converge the policy" converged

# -- each node's backups reach 2 peers, sealed ----------------------------
for i in 1 2 3 4; do eval "ID_$i=$(id_of "$i")"; done
replicated() {
	for i in 1 2 3 4; do
		[ "$(nholders "$i" "$(eval echo "\$ID_$i")")" -eq 2 ] || return 1
	done
}
wait_for 15 "every node's backups held by exactly 2 peers" replicated
for i in 1 2 3 4; do
	[ "$(info_field "$i" replicas_sent)" -ge 2 ] ||
	    fail "n$i replicas_sent below 2"
done
for j in 1 2 3 4; do
	if grep -rqaF -e "old content of n" -e "n2's secret" -e /etc/x \
	    -e /etc/secret "$(sd "$j")/replicas"; then
		fail "n$j keeps a readable path or content of a peer's backup"
	fi
done
echo "ok: no keeper holds a readable path or byte of another's backups"
P=$(holders 2 "$ID_2" | cut -d' ' -f1)	# a peer holding n2's backups
[ "$(info_field "$P" replicas_stored)" -ge 1 ] || fail "n$P stored none"
ls "$(sd "$P")"/replicas/"$ID_2"*/escrow >/dev/null ||
    fail "n$P holds no escrow of n2"

# -- n2 loses its disk and comes back with a new key, the same name ------
kill -9 "$(pid_of 2)"
wait "$(pid_of 2)" 2>/dev/null
rm -rf "$(sd 2)" "$(root 2)/etc/x"
SKIP=2 wait_for 20 "n2 declared failed" all_say 1 4 n2 failed
# --no-enforce: the policy would otherwise rewrite /etc/x at once.
start_node 2 --no-enforce
member() { $T members --state-dir "$(sd "$P")" | grep -q "^n2 .* alive"; }
# Its name stays with the dead key for gossip_to_dead_ms (30 s under the
# local profile, docs/membership.md: a forged death cannot hand a live
# node's name to an impostor), then the next push-pull brings it in.
wait_for 75 "the rebuilt n2 is a live member" member
# Its new key opens nothing of the old one's.
if $T backups restore /etc/x --from "n$P" --root "$(root 2)" \
    --state-dir "$(sd 2)" 2>"$WORK/err"; then fail "a new key restored"; fi
grep -q "holds no backup of '/etc/x' for n2" "$WORK/err" ||
    fail "new key: $(cat "$WORK/err")"
# An operator key it was not sealed to opens no escrow.
mkdir -p "$WORK/evil"
$T keys operator gen --out "$WORK/evil" >/dev/null || fail "evil key"
if $T backups recover --from "n$P" --origin "$ID_2" \
    --key "$WORK/evil/operator.key" --state-dir "$(sd 2)" 2>"$WORK/err"; then
	fail "an untrusted operator key opened the escrow"
fi
grep -q "did not seal its backup key to operator key" "$WORK/err" ||
    fail "evil recover: $(cat "$WORK/err")"
recovered() {
	$T backups recover --from "n$P" --origin "$ID_2" \
	    --key "$OP/operator.key" --state-dir "$(sd 2)" >"$WORK/rec.out" 2>&1
}
wait_for 15 "the operator recovers n2's old backup key from n$P" recovered
OLD2=$(sed -n 's/^recovered the backup key of node \([0-9a-f]\{64\}\) .*/\1/p' \
    "$WORK/rec.out")
[ -n "$OLD2" ] && [ "${OLD2#"$ID_2"}" != "$OLD2" ] ||
    fail "recover said: $(cat "$WORK/rec.out")"
[ "$(stat -c %a "$(sd 2)/backup-keys/$OLD2")" = 600 ] ||
    fail "the recovered key is not 0600"
restored() {
	$T backups restore /etc/x --from "n$P" --origin "$OLD2" \
	    --root "$(root 2)" --state-dir "$(sd 2)" > "$WORK/restore.out" 2>&1
}
wait_for 15 "n2 restores /etc/x from n$P" restored
cmp -s "$(root 2)/etc/x" "$WORK/x.n2.old" ||
    fail "restored /etc/x differs: $(od -c "$(root 2)/etc/x" | head -3)"
grep -q "^restored /etc/x under $(root 2) from backup " "$WORK/restore.out" ||
    fail "restore said: $(cat "$WORK/restore.out")"
# The fetched backup is in n2's own bucket again.
$T backups list /etc/x --state-dir "$(sd 2)" | grep -q ' /etc/x$' ||
    fail "the fetched backup is not in n2's bucket"
$T backups restore /etc/secret --from "n$P" --origin "$OLD2" --list \
    --state-dir "$(sd 2)" > "$WORK/list.out" ||
    fail "--list: $(cat "$WORK/list.out")"
grep -q ' 12  [0-9a-f]\{64\}  /etc/secret$' "$WORK/list.out" ||
    fail "--list printed: $(cat "$WORK/list.out")"
echo "ok: --list shows what n$P holds for n2"
# --time picks a backup by the time --list prints.
T_X=$($T backups restore /etc/x --from "n$P" --origin "$OLD2" --list \
    --state-dir "$(sd 2)" | awk '$NF == "/etc/x" { print $2 }')
$T backups restore /etc/x --from "n$P" --origin "$OLD2" --time "$T_X" \
    --root "$(root 2)" --state-dir "$(sd 2)" | grep -q "already matches" ||
    fail "--time $T_X did not pick the restored backup"
if $T backups restore /etc/x --from "n$P" --origin "$OLD2" --time 12345 \
    --root "$(root 2)" --state-dir "$(sd 2)" 2>"$WORK/err"; then
	fail "--time 12345 worked"
fi
grep -q "holds no backup of '/etc/x' saved at 12345 for n2" "$WORK/err" ||
    fail "--time 12345: $(cat "$WORK/err")"

# -- a keeper plants a setuid file of its own making as the newest --------
ROGUE=$(dirname "$T")/tlaloc-rogue
refused0=$(info_field 2 replicas_refused)
$ROGUE plant --bucket "$(sd "$P")/replicas/$OLD2" --mode 4755 >/dev/null ||
    fail "plant"
rm -f "$(root 2)/etc/x"
if $T backups restore /etc/x --from "n$P" --origin "$OLD2" \
    --root "$(root 2)" --state-dir "$(sd 2)" 2>"$WORK/err"; then
	fail "a planted backup was restored"
fi
grep -q "refused what peer n$P sent: a sealed backup does not open" \
    "$WORK/err" || fail "plant: $(cat "$WORK/err")"
[ ! -e "$(root 2)/etc/x" ] || fail "a planted file was written"
[ "$(info_field 2 replicas_refused)" -gt "$refused0" ] ||
    fail "the forgery was not counted"
grep -q "refused what n$P sent back" "$WORK/n2.log" || fail "not logged"
echo "ok: a keeper's planted setuid file is refused"

# -- every live node's backups are held by 2 live peers again ------------
refilled() {
	for i in 1 3 4; do
		[ "$(nholders "$i" "$(eval echo "\$ID_$i")")" -ge 2 ] || return 1
	done
}
wait_for 20 "every live node's backups held by 2 live peers again" refilled

# -- another node cannot get n2's backups ---------------------------------
ASKER=$(for j in 1 3 4; do [ "$j" != "$P" ] && echo "$j"; done | head -1)
if $T backups restore /etc/secret --from "n$P" --origin "$OLD2" \
    --root "$(root "$ASKER")" --state-dir "$(sd "$ASKER")" 2>"$WORK/err"; then
	fail "n$ASKER got n2's /etc/secret from n$P"
fi
grep -q "holds no backup key of that origin" "$WORK/err" ||
    fail "no plain refusal: $(cat "$WORK/err")"
[ ! -e "$(root "$ASKER")/etc/secret" ] || fail "n$ASKER wrote a secret"
echo "ok: n$ASKER is refused n2's backups"

# -- plain errors ---------------------------------------------------------
if $T backups restore /etc/x --from nobody --state-dir "$(sd 2)" \
    2>"$WORK/err"; then fail "an unknown peer worked"; fi
grep -q "no live member is called 'nobody'" "$WORK/err" ||
    fail "unknown peer: $(cat "$WORK/err")"
if $T backups restore /etc/nothing --from "n$P" --origin "$OLD2" \
    --state-dir "$(sd 2)" 2>"$WORK/err"; then
	fail "a path never backed up worked"
fi
grep -q "holds no backup of '/etc/nothing' for n2" "$WORK/err" ||
    fail "nothing held: $(cat "$WORK/err")"

# -- a corrupted replica frame is dropped and counted ---------------------
# With a key id of our ring it reaches the replica code (its tag fails);
# with any other, the listener's guard closes it at the header.
before=$(info_field "$P" replicas_refused)
hbefore=$(info_field "$P" tcp_bad_header)
python3 - "$(port "$P")" "$KEYRING" <<'EOF'
import base64, hashlib, os, socket, struct, sys
key = base64.b64decode(open(sys.argv[2]).read().split()[0])
kid = hashlib.blake2b(key, digest_size=32).digest()[:4]
for k in (kid, os.urandom(4)):
    # version 1, PKT_REPLICA, key id, garbage
    frame = bytes([1, 5]) + k + os.urandom(120)
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall(struct.pack(">I", len(frame)) + frame)
    s.recv(64)
    s.close()
EOF
counted() { [ "$(info_field "$P" replicas_refused)" -gt "$before" ] &&
    [ "$(info_field "$P" tcp_bad_header)" -gt "$hbefore" ]; }
wait_for 5 "n$P counts the corrupted frames (replicas_refused, tcp_bad_header)" counted
# -- a clean stop: a replica keeper exits 0 (no leak under sanitizers) --
kill -TERM "$(pid_of "$P")"
wait "$(pid_of "$P")" || fail "n$P exited $? on SIGTERM: $(tail -5 "$WORK/n$P.log")"
! grep -q "runtime error\|Sanitizer" "$WORK"/n*.log ||
    fail "sanitizer reports: $(grep -h "runtime error\|Sanitizer" "$WORK"/n*.log | head -3)"
echo "ok: bucket replicas test done"
