#!/bin/bash
# Bucket replication (docs/backups.md), 4 real agents of pack "web" on
# loopback, each converging its own scratch root: a published policy
# changes /etc/x everywhere (and deletes n2's /etc/secret), so the old
# contents are backed up; each node's backups reach exactly the 2 peers
# rendezvous hashing picks. Then n2 loses its disk (state dir and file
# gone, a new node key, the same name) and `tlaloc backups restore /etc/x
# --from PEER` brings the old content back byte for byte; another node
# cannot get n2's backups; a corrupted replica frame is counted.
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
# holders I: the nodes keeping a replica of nI's /etc/x, e.g. "1 3".
holders() {
	for j in 1 2 3 4; do
		[ "$j" = "$1" ] && continue
		grep -q '/etc/x$' "$(sd "$j")/replicas/n$1/index" 2>/dev/null &&
		    printf '%s ' "$j"
	done
}
# expected I: the 2 peers rendezvous hashing picks for nI (replica.h).
expected() {
	python3 - "$1" <<'EOF'
import hashlib, sys
me = "n" + sys.argv[1]
peers = ["n%d" % j for j in range(1, 5) if "n%d" % j != me]
score = lambda p: hashlib.sha256(me.encode() + b"\0" + p.encode()).digest()[:8]
print(" ".join(sorted(p[1:] for p in sorted(peers, key=score, reverse=True)[:2])))
EOF
}

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

# -- each node's backup reaches exactly its 2 chosen peers ----------------
replicated() {
	for i in 1 2 3 4; do
		[ "$(holders "$i")" = "$(expected "$i") " ] || return 1
	done
}
wait_for 15 "every node's backup held by exactly its 2 chosen peers" replicated
for i in 1 2 3 4; do
	[ "$(info_field "$i" replicas_sent)" -ge 2 ] ||
	    fail "n$i replicas_sent below 2"
done
P=$(expected 2 | cut -d' ' -f1)		# a peer holding n2's backups
[ "$(info_field "$P" replicas_stored)" -ge 1 ] || fail "n$P stored none"

# -- n2 loses its disk and comes back with a new key, the same name ------
kill -9 "$(pid_of 2)"
wait "$(pid_of 2)" 2>/dev/null
rm -rf "$(sd 2)" "$(root 2)/etc/x"
SKIP=2 wait_for 20 "n2 declared failed" all_say 1 4 n2 failed
# --no-enforce: the policy would otherwise rewrite /etc/x at once.
start_node 2 --no-enforce
restored() {
	$T backups restore /etc/x --from "n$P" --root "$(root 2)" \
	    --state-dir "$(sd 2)" > "$WORK/restore.out" 2>&1
}
wait_for 15 "n2 restores /etc/x from n$P" restored
cmp -s "$(root 2)/etc/x" "$WORK/x.n2.old" ||
    fail "restored /etc/x differs: $(od -c "$(root 2)/etc/x" | head -3)"
grep -q "^restored /etc/x under $(root 2) from backup " "$WORK/restore.out" ||
    fail "restore said: $(cat "$WORK/restore.out")"
# The fetched backup is in n2's own bucket again.
$T backups list /etc/x --state-dir "$(sd 2)" | grep -q ' /etc/x$' ||
    fail "the fetched backup is not in n2's bucket"
$T backups restore /etc/secret --from "n$P" --list --state-dir "$(sd 2)" \
    > "$WORK/list.out" || fail "--list: $(cat "$WORK/list.out")"
grep -q ' 12  [0-9a-f]\{64\}  /etc/secret$' "$WORK/list.out" ||
    fail "--list printed: $(cat "$WORK/list.out")"
echo "ok: --list shows what n$P holds for n2"
# --time picks a backup by the time --list prints.
T_X=$($T backups restore /etc/x --from "n$P" --list --state-dir "$(sd 2)" |
    awk '$NF == "/etc/x" { print $2 }')
$T backups restore /etc/x --from "n$P" --time "$T_X" --root "$(root 2)" \
    --state-dir "$(sd 2)" | grep -q "already matches" ||
    fail "--time $T_X did not pick the restored backup"
if $T backups restore /etc/x --from "n$P" --time 12345 --root "$(root 2)" \
    --state-dir "$(sd 2)" 2>"$WORK/err"; then fail "--time 12345 worked"; fi
grep -q "holds no backup of '/etc/x' saved at 12345 for n2" "$WORK/err" ||
    fail "--time 12345: $(cat "$WORK/err")"

# -- the rebuilt n2 (a new key) gets again the copies it is chosen for ---
refilled() {
	for i in 1 3 4; do
		case " $(expected "$i") " in *" 2 "*) ;; *) continue;; esac
		grep -q '/etc/x$' "$(sd 2)/replicas/n$i/index" 2>/dev/null ||
		    return 1
	done
}
wait_for 15 "peers that chose n2 send their backups to the rebuilt n2" refilled

# -- another node cannot read n2's backups --------------------------------
Q=$(expected 2 | cut -d' ' -f1)
ASKER=$(for j in 1 3 4; do [ "$j" != "$Q" ] && echo "$j"; done | head -1)
if $T backups restore /etc/secret --from "n$Q" --root "$(root "$ASKER")" \
    --state-dir "$(sd "$ASKER")" 2>"$WORK/err"; then
	fail "n$ASKER got n2's /etc/secret from n$Q"
fi
grep -q "holds no backup of '/etc/secret' for n$ASKER" "$WORK/err" ||
    fail "no plain refusal: $(cat "$WORK/err")"
[ ! -e "$(root "$ASKER")/etc/secret" ] || fail "n$ASKER wrote a secret"
echo "ok: n$ASKER is refused n2's backups"

# -- plain errors ---------------------------------------------------------
if $T backups restore /etc/x --from nobody --state-dir "$(sd 2)" \
    2>"$WORK/err"; then fail "an unknown peer worked"; fi
grep -q "no live member is called 'nobody'" "$WORK/err" ||
    fail "unknown peer: $(cat "$WORK/err")"
if $T backups restore /etc/nothing --from "n$P" --state-dir "$(sd 2)" \
    2>"$WORK/err"; then fail "a path never backed up worked"; fi
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
