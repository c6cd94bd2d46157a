#!/bin/bash
# Services and health on loopback (docs/services.md): registrations and
# checks declared by a recipe reach every node's catalog; a ttl check fed
# by tlaloc check-in; maintenance leaves the healthy answers and survives
# a restart; a recipe reading the catalog is converged again when it
# changes; DNS SRV answers carry each healthy instance's port; bad
# declarations stop the compile with file:line; a dead node ages out.
. "$(dirname "$0")/lib.sh"
command -v dig > /dev/null || { echo "SKIP: needs dig"; exit 0; }

R=$WORK/r
mkdir -p "$R"
DNS=$(port 50)
start_agent 1 --dns "127.0.0.1:$DNS" --catalog-reap 3
for i in 2 3; do start_agent "$i" --join "127.0.0.1:$(port 1)"; done
wait_for 20 "3 members alive" all_see 1 3 alive 3

# n2 and n3 register "web" on their own ports, with a ttl check.
for i in 2 3; do
	cat > "$R/web$i.lua" <<EOF
service { name = "web", port = $((18000 + i)), catalog_tags = { "v$i" },
          checks = { { name = "alive", ttl = "30s" } } }
EOF
	mkdir -p "$WORK/root$i"
	$T apply "$R/web$i.lua" --state-dir "$(sd "$i")" \
	    --root "$WORK/root$i" > /dev/null || fail "apply web on n$i"
done
healthy() { $T catalog web --healthy --json --state-dir "$(sd 1)" |
    python3 -c 'import json, sys
print(" ".join(i["node"] for i in json.load(sys.stdin)["instances"]))'; }
# healthy_is LIST: asked again at each poll (an argument "$(healthy)" to
# wait_for is expanded once, before the first poll).
healthy_is() { [ "$(healthy)" = "$1" ]; }
[ "$(healthy)" = "" ] || fail "a ttl check must start critical"
for i in 2 3; do $T check-in alive --state-dir "$(sd "$i")" > /dev/null ||
    fail "check-in on n$i"; done
wait_for 10 "n1's catalog has n2 and n3 healthy" healthy_is "n2 n3"
$T services --state-dir "$(sd 1)" | grep -q "^web  *2  *2$" ||
    fail "tlaloc services: $($T services --state-dir "$(sd 1)")"
srv() { dig @127.0.0.1 -p "$DNS" _web._tcp.service.tlaloc SRV +short |
    awk '{ print $3 }' | sort | tr '\n' ' '; }
[ "$(srv)" = "18002 18003 " ] || fail "dig SRV: '$(srv)'"
[ "$(dig @127.0.0.1 -p "$DNS" v3.web.service.tlaloc SRV +short |
    awk '{ print $3 }')" = 18003 ] || fail "dig by catalog tag"
dig @127.0.0.1 -p "$DNS" nope.service.tlaloc +noall +comments |
    grep -q NXDOMAIN || fail "an unknown service must be NXDOMAIN"
dig @127.0.0.1 -p "$DNS" example.com +noall +comments | grep -q REFUSED ||
    fail "a name outside the domain must be REFUSED"
echo "ok: dig SRV gives each healthy instance's port; tags, NXDOMAIN, REFUSED"

# n1 renders the backends; it converges again when they change.
cat > "$R/lb.lua" <<'EOF'
local t = {}
for _, b in ipairs(cluster.service("web", { healthy = true })) do
  t[#t + 1] = b.node .. ":" .. b.port
end
directory { path = "/etc" }
file { path = "/etc/backends", content = table.concat(t, " ") .. "\n" }
EOF
mkdir -p "$WORK/root1"
# The agent converges the policy; with none published, apply by hand once
# and let the catalog's change ask the agent for a converge of the same.
$T apply "$R/lb.lua" --state-dir "$(sd 1)" --root "$WORK/root1" > /dev/null
[ "$(cat "$WORK/root1/etc/backends")" = "n2:18002 n3:18003" ] ||
    fail "backends: $(cat "$WORK/root1/etc/backends")"
grep -q "s:web:h" "$(sd 1)/catalog.reads" || fail "the read was not recorded"

# check-in critical on n3: it leaves the healthy answer, and n1 asks for
# a converge (logged) because what its last run read has changed.
$T check-in alive --status critical --state-dir "$(sd 3)" > /dev/null
wait_for 10 "n3 leaves the healthy answer" healthy_is "n2"
# ... told as a health flip, not a new statement (docs/services.md).
$T info --json --state-dir "$(sd 3)" | python3 -c 'import json, sys
sys.exit(json.load(sys.stdin)["checks"]["flips"] < 1)' ||
    fail "n3's failure was not told as a health flip"
wait_for 10 "n1 asks for a converge" grep -q "catalog: 's:web:h' changed" \
    "$WORK/n1.log"

# Maintenance on n2: out of the healthy answer, survives a restart.
$T check-in alive --state-dir "$(sd 3)" > /dev/null
$T maint on --reason "disk swap" --drain 0 --state-dir "$(sd 2)" \
    > /dev/null || fail "maint on"
wait_for 10 "n2 in maintenance leaves the answer" healthy_is "n3"
kill "$(pid_of 2)"; wait "$(pid_of 2)" 2> /dev/null
start_agent 2 --join "127.0.0.1:$(port 1)"
wait_for 20 "n2 back" all_say 1 1 n2 alive
sleep 1
$T catalog web --state-dir "$(sd 1)" | grep -q "^n2 .*maintenance" ||
    fail "maintenance did not survive the restart"
$T maint off --state-dir "$(sd 2)" > /dev/null
$T check-in alive --state-dir "$(sd 2)" > /dev/null
wait_for 10 "n2 healthy again after maint off" healthy_is "n2 n3"
echo "ok: maintenance leaves the answer and survives a restart"

# A dead node is shown failed, then ages out (catalog_reap 3 s on n1).
kill -9 "$(pid_of 3)"; wait "$(pid_of 3)" 2> /dev/null
gone() { ! $T catalog web --state-dir "$(sd 1)" | grep -q "^n3 "; }
wait_for 30 "dead n3 ages out of n1's catalog" gone

# Bad declarations stop the compile with file:line.
bad() {
	echo "$1" > "$R/bad.lua"
	out=$($T apply "$R/bad.lua" --state-dir "$(sd 1)" \
	    --root "$WORK/root1" 2>&1) && fail "'$1' compiled"
	echo "$out" | grep -q "bad.lua:1:.*$2" || fail "'$1': $out"
}
bad 'service { name = "Web!", port = 80 }' "catalog names"
bad 'service { name = "web", port = 0 }' "port must be"
bad 'check { name = "x", http = "http://h/", interval = "fast" }' "duration"
bad 'check { name = "x" }' "give one of"
bad 'check { name = "x", ttl = "1s" } check { name = "x", ttl = "2s" }' \
    "declared twice"
echo "ok: bad declarations stop the compile with file:line"
echo "PASS 60_services"
