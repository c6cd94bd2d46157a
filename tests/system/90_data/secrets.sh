#!/usr/bin/env bash
# Secrets in a real apply, no agent: a value sealed (from stdin) to one
# node key opens there and writes its file; on another node key the
# compile stops naming the grant, and nothing changes; the value never
# shows in --diff, --json, last_run.json, the bucket or an error message;
# the sensitive file's old content is not backed up; a changed byte in the
# sealed file is refused; `tlaloc check` compiles with a placeholder; and
# the value is refused on the command line. Needs no root.
set -u
T=${TLALOC:-$PWD/${TLALOC_BUILD:-build}/tlaloc}
W=$(mktemp -d /tmp/tlaloc-secrets.XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
P=$W/policy
V="s3cr3t-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
mkdir -p "$P" "$W/db/root/etc" "$W/web/root/etc"
$T keys operator gen --out "$W/op" >/dev/null || fail "operator key"
for n in db web; do
	$T init --config-dir "$W/$n/etc" --state-dir "$W/$n/state" --name "$n" \
	    >/dev/null || fail "init $n"
done
# The node keys as `tlaloc secret nodes` would print them.
for n in db web; do
	python3 - "$W/$n/state/node.key" "$n" >> "$W/nodes" <<'PY'
import base64, sys
sk = base64.b64decode(open(sys.argv[1]).read().split()[-1])
print(sys.argv[2], base64.b64encode(sk[32:]).decode(), "pack=" + sys.argv[2])
PY
done
seal() { $T secret "$@" --key "$W/op/operator.key" --policy "$P" \
    --node-key "$W/nodes"; }

# The value never comes from argv.
seal set db_password extra-arg --for pack=db </dev/null 2>"$W/err" &&
    fail "took a value from the command line"
grep -q "never taken from the command line" "$W/err" || fail "$(cat "$W/err")"
printf '%s\n' "$V" | seal set db_password --for pack=db > "$W/out" ||
    fail "secret set: $(cat "$W/out")"
grep -q "to 1 node: db$" "$W/out" || fail "sealed to: $(cat "$W/out")"
grep -q -- "$V" "$P/secrets/db_password.sealed" && fail "value in clear"

cat > "$P/site.lua" <<'LUA'
local pw = secret("db_password")
file { path = "/etc/db.conf", content = "password=" .. pw .. "\n" }
file { path = "/etc/plain.conf", content = "url=pg://app:" .. pw .. "@db\n" }
LUA
apply() { n=$1; shift; $T apply "$P" --root "$W/$n/root" \
    --state-dir "$W/$n/state" --fact "agent.name=$n" "$@"; }
echo "password=old-value" > "$W/db/root/etc/db.conf"
apply db --diff > "$W/out.diff" 2>&1; [ $? = 2 ] || fail "apply on db: $(cat "$W/out.diff")"
[ "$(cat "$W/db/root/etc/db.conf")" = "password=$V" ] || fail "db.conf"
grep -q "content changed (sensitive: not shown; 19 -> " "$W/out.diff" ||
    fail "no sensitive change line: $(cat "$W/out.diff")"
grep -q "no backup: sensitive content is not kept in clear" "$W/out.diff" ||
    fail "backup not refused: $(cat "$W/out.diff")"
grep -rq "old-value" "$W/db/state" && fail "the old content was backed up"
echo "ok: the db node opens it; the file is sensitive, no backup kept"

# --json, the saved report, the state dir: masked or absent.
echo "password=changed" > "$W/db/root/etc/db.conf"
rm "$W/db/root/etc/plain.conf"
apply db --diff --json > "$W/out.json" 2>&1
grep -q "sensitive: not shown" "$W/out.json" || fail "no sensitive line in --json"
leak=$(grep -rl -- "$V" "$W" | grep -v -e "/db/root/etc/db.conf$" \
    -e "/db/root/etc/plain.conf$")
[ -z "$leak" ] || fail "value in clear in: $leak"
echo "ok: the value is in no output, report or state file"

# An error that carries the value is masked too.
printf 'error("oops " .. secret("db_password"))\n' > "$W/err.lua"
cp "$P/site.lua" "$W/site.keep"; cp "$W/err.lua" "$P/site.lua"
apply db > /dev/null 2> "$W/err"
grep -q "oops \[sensitive\]" "$W/err" || fail "error: $(cat "$W/err")"
grep -q -- "$V" "$W/err" && fail "the value in an error"
cp "$W/site.keep" "$P/site.lua"

# The web node: refused, naming what it lacks, nothing changed.
apply web > /dev/null 2> "$W/err"; [ $? = 1 ] || fail "web applied"
grep -q "secret 'db_password' is not granted to this node (web): it is sealed for 'pack=db' (db)" \
    "$W/err" || fail "web error: $(cat "$W/err")"
[ -z "$(ls "$W/web/root/etc")" ] || fail "web changed something"
echo "ok: the web node is refused with the grant it lacks"

# check compiles with a placeholder, without any node key.
$T check "$P" > "$W/out" 2>&1 || fail "check: $(cat "$W/out")"

# One changed byte anywhere in the value's ciphertext: refused.
python3 - "$P/secrets/db_password.sealed" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[-70] ^= 1
open(sys.argv[1], 'wb').write(b)
PY
apply db > /dev/null 2> "$W/err" && fail "a tampered secret opened"
grep -q "was changed or damaged" "$W/err" || fail "tamper: $(cat "$W/err")"
$T secret list --policy "$P" | grep -q "SIGNATURE DOES NOT MATCH" ||
    fail "list did not see the tampering"
echo "ok: a tampered file is refused"
