#!/bin/bash
# The HTTP endpoint (docs/http.md) on five real agents, scraped by a real
# Prometheus server (Debian's prometheus) and read back through its HTTP
# API: after a converge the counters say which node changed and which
# failed; after a kill -9 the others count the dead member and Prometheus
# sees the target down. Then: run history of another node over the
# cluster (CLI and /v1/history); a flood of malformed requests at every
# route leaves the agent answering and counted; no response from any
# endpoint carries a secret (grep for the cluster key, the node keys, the
# operator key and the token); and, in a network namespace of its own, a
# non-local client is refused without the bearer token.
. "$(dirname "$0")/lib.sh"
command -v prometheus >/dev/null || {
	echo "prometheus is not installed"; exit 77; }
OP=$WORK/op
mkdir -p "$OP" "$WORK/recipe"
$T keys operator gen --out "$OP" >/dev/null || fail "operator key"
hport() { echo $((BASE + 80 + $1)); }
PROM=$((BASE + 90))

root() { echo "$WORK/root$1"; }
for i in 1 2 3 4 5; do
	mkdir -p "$(root "$i")/etc"
	start_agent "$i" --trust "$OP/operator.pub" --root "$(root "$i")" \
	    --join "127.0.0.1:$(port 1)" --splay 0 --pack web \
	    --pack-expect 5 --http "127.0.0.1:$(hport "$i")"
done
wait_for 30 "5 agents see each other" all_see 1 5 alive 5
# Pack voters are admitted by the operator (docs/pack.md).
$T pack admit --all --key "$OP/operator.key" --state-dir "$(sd 1)" \
    >/dev/null || fail "pack admit"
cat > "$WORK/recipe/site.lua" <<'EOF'
file { path = "/etc/motd", content = "v1\n" }
if node.agent.name == "n3" then
  exec { name = "migrate", host = true, command = {"/bin/sh", "-c", "exit 3"} }
end
EOF
$T publish "$WORK/recipe" --key "$OP/operator.key" --state-dir "$(sd 1)" \
    >/dev/null || fail "publish"
wait_for 30 "all 5 ran serial 1" all_ran 1 1 5

# -- Prometheus scrapes the five -------------------------------------------
targets=""
for i in 1 2 3 4 5; do targets="$targets'127.0.0.1:$(hport "$i")',"; done
cat > "$WORK/prometheus.yml" <<EOF
global: { scrape_interval: 1s, scrape_timeout: 900ms }
scrape_configs:
  - job_name: tlaloc
    static_configs: [ { targets: [${targets%,}] } ]
EOF
prometheus --config.file="$WORK/prometheus.yml" \
    --storage.tsdb.path="$WORK/tsdb" --web.listen-address="127.0.0.1:$PROM" \
    >"$WORK/prometheus.log" 2>&1 &
PIDS="$PIDS $!"
# q EXPR: the query's result vector as "instance value" lines, sorted.
q() {
	python3 - "$PROM" "$1" <<'PYEOF'
import json, sys, urllib.parse, urllib.request
url = "http://127.0.0.1:%s/api/v1/query?query=%s" % (
    sys.argv[1], urllib.parse.quote(sys.argv[2]))
try:
    d = json.load(urllib.request.urlopen(url, timeout=5))
except Exception as e:
    sys.exit(1)
for r in sorted(d["data"]["result"], key=lambda r: r["metric"].get("instance", "")):
    print(r["metric"].get("instance", "-"), r["value"][1])
PYEOF
}
# q_is EXPR WANT: the query gives exactly WANT (lines joined by ';').
q_is() { [ "$(q "$1" | tr '\n' ';')" = "$2" ]; }
# q_who_is EXPR WANT: the instances in the result are exactly WANT.
q_who_is() { [ "$(q "$1" | cut -d' ' -f1 | tr '\n' ';')" = "$2" ]; }
inst() { echo "127.0.0.1:$(hport "$1")"; }
wait_for 30 "Prometheus scrapes all 5 targets" q_is 'count(up == 1)' "- 5;"
wait_for 30 "every node counts 5 alive members" q_is \
    'count(tlaloc_members{status="alive"} == 5)' "- 5;"
wait_for 30 "every node holds policy serial 1" q_is \
    'count(tlaloc_policy_serial == 1)' "- 5;"
wait_for 30 "n3 alone counts failed resources" q_who_is \
    'tlaloc_resources_failed_total > 0' "$(inst 3);"
wait_for 30 "the four others changed /etc/motd, counted" q_is \
    'count(tlaloc_resources_changed_total >= 1 and tlaloc_resources_failed_total == 0)' "- 4;"
wait_for 30 "n3 alone counts failed runs" q_who_is \
    'tlaloc_converges_total{result="failed"} > 0' "$(inst 3);"
wait_for 30 "run durations are a histogram with a count per node" q_is \
    'count(tlaloc_converge_duration_seconds_count >= 1)' "- 5;"
wait_for 30 "everyone sees n3 failing" q_is \
    'count(tlaloc_nodes{state="failing"} == 1)' "- 5;"
wait_for 30 "one pack leader among the five" q_is \
    'sum(tlaloc_pack_leader)' "- 1;"
q 'tlaloc_pack_term' | grep -q . || fail "no pack term"

# -- kill -9 of n5 ---------------------------------------------------------
kill -9 "$(pid_of 5)"
SKIP=5
wait_for 30 "Prometheus sees n5's target down" q_is \
    "up{instance=\"$(inst 5)\"} == 0" "$(inst 5) 0;"
wait_for 30 "the four count n5 failed" q_is \
    'count(tlaloc_members{status="failed"} == 1)' "- 4;"
# Suspicions are counted by the node that started one, not by those
# that heard of it: the cluster as a whole counted at least one.
wait_for 30 "the survivors counted suspicions of n5" q_is \
    'sum(tlaloc_swim_suspicions_total) > bool 0' "- 1;"
wait_for 30 "n5 is silent in every survivor's view" q_is \
    'count(tlaloc_nodes{state="silent"} == 1)' "- 4;"
echo "ok: prometheus API after the kill:"
q 'tlaloc_members{status="failed"}' | sed 's/^/    failed members: /'

# -- history of another node ------------------------------------------------
$T history n3 --state-dir "$(sd 1)" > "$WORK/hist.txt" ||
    fail "tlaloc history n3: $(cat "$WORK/hist.txt")"
grep -q "failed exec\[migrate\] at site.lua:3: exited 3" "$WORK/hist.txt" ||
    fail "n3's history from n1: $(cat "$WORK/hist.txt")"
$T history n2 --resource 'file[/etc/motd]' --json --state-dir "$(sd 1)" |
    python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["node"] == "n2" and d["runs"], d
for r in d["runs"]:
    assert [x["ref"] for x in r["resources"]] == ["file[/etc/motd]"], r
' || fail "n2's history of file[/etc/motd]"
$T history n5 --state-dir "$(sd 1)" 2>"$WORK/err" && fail "a dead node answered"
grep -q "no live member is called 'n5'" "$WORK/err" || fail "$(cat "$WORK/err")"
echo "ok: tlaloc history of n3 and n2 from n1; a dead node is refused"

# -- malformed requests at every route, then secrets ------------------------
python3 - "$(hport 1)" <<'PYEOF' || fail "malformed requests"
import random, socket, sys, urllib.request
port = int(sys.argv[1])
routes = ["/", "/metrics", "/v1/self", "/v1/members", "/v1/status",
          "/v1/packs", "/v1/channels", "/v1/messages", "/v1/history",
          "/v1/checks", "/v1/services", "/v1/events", "/nope"]
rng = random.Random(21)
def send(raw):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(raw)
        s.shutdown(socket.SHUT_WR)
        return s.recv(64)
    finally:
        s.close()
def mutate(b):
    b = bytearray(b)
    for _ in range(rng.randint(1, 8)):
        op = rng.randint(0, 3)
        i = rng.randrange(len(b))
        if op == 0: b[i] = rng.randrange(256)
        elif op == 1: del b[i]
        elif op == 2: b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
        else: b[i:i] = b[i:i + rng.randint(1, 60)] * rng.randint(1, 50)
    return bytes(b)
answered = 0
for n in range(1500):
    r = rng.choice(routes)
    q = "?" + "&".join("%s=%s" % (rng.choice(["node", "since", "limit",
        "resource", "channel", "status", "name"]), rng.choice(["", "%", "%zz",
        "-1", "99999999999999999999999", "%00", "#all", "n1", "x" * 3000]))
        for _ in range(rng.randint(0, 4)))
    base = ("GET %s%s HTTP/1.1\r\nHost: a\r\n\r\n" % (r, q)).encode()
    raw = mutate(base) if n % 3 else base
    if r == "/v1/events" and raw == base:
        continue
    got = send(raw)
    if got and not got.startswith(b"HTTP/1.1 "):
        sys.exit("answer is not HTTP: %r to %r" % (got, raw[:80]))
    answered += bool(got)
urllib.request.urlopen("http://127.0.0.1:%d/v1/self" % port, timeout=5)
print("ok: %d malformed or odd requests answered, the agent still serves" % answered)
PYEOF
# Every route of the four survivors, in one python3 (startup is slow).
curl_all() {
	python3 - "$(hport 1)" "$(hport 2)" "$(hport 3)" "$(hport 4)" <<'PYEOF'
import sys, urllib.request
for port in sys.argv[1:]:
    for r in ("/", "/metrics", "/v1/self", "/v1/members", "/v1/status",
              "/v1/packs", "/v1/channels", "/v1/messages", "/v1/history",
              "/v1/history?node=n3", "/v1/checks", "/v1/services"):
        try:
            sys.stdout.write(urllib.request.urlopen(
                "http://127.0.0.1:%s%s" % (port, r), timeout=5).read().decode())
        except Exception as e:
            sys.stdout.write(str(e))
PYEOF
}
curl_all > "$WORK/all.txt"
[ "$(wc -c < "$WORK/all.txt")" -gt 20000 ] || fail "responses too short"
grep -q "malformed" "$WORK/all.txt" || fail "no malformed counter in /metrics"
python3 - "$WORK" <<'PYEOF' || fail "a secret in a response"
import base64, glob, os, sys
work = sys.argv[1]
text = open(os.path.join(work, "all.txt"), "rb").read()
secrets = []
for path in glob.glob(os.path.join(work, "keyring*")) + \
        glob.glob(os.path.join(work, "n*", "node.key")) + \
        [os.path.join(work, "op", "operator.key")]:
    for line in open(path, "rb").read().split(b"\n"):
        for tok in line.split():
            if len(tok) >= 16:
                secrets.append(tok)
                try:
                    raw = base64.b64decode(tok)
                    if len(raw) >= 16:
                        secrets.append(raw)
                        secrets.append(raw.hex().encode())
                except Exception:
                    pass
assert secrets, "found no secrets to look for"
for s in secrets:
    if s in text:
        sys.exit("secret from a key file in a response: %r" % s[:12])
print("ok: none of %d secret strings in %d bytes of responses" % (len(secrets), len(text)))
PYEOF

# -- a non-local client needs the token -------------------------------------
if [ "$(id -u)" = 0 ] && ip netns add "tlhttp$$" 2>/dev/null; then
	NS=tlhttp$$
	trap 'ip netns del $NS 2>/dev/null; cleanup' EXIT
	ip -n "$NS" link set lo up
	ip -n "$NS" addr add 10.251.0.1/32 dev lo
	nsd=$WORK/ns
	if ip netns exec "$NS" $T agent --name ns1 --bind 10.251.0.1:7946 \
	    --keyring "$KEYRING" --state-dir "$nsd" --profile local \
	    --http 0.0.0.0:8080 > "$WORK/ns.log" 2>&1; then
		fail "an agent served a non-loopback address without a token"
	fi
	grep -q "give --http-token FILE" "$WORK/ns.log" || fail "$(cat "$WORK/ns.log")"
	printf 'not-a-secret-but-long-enough-0123\n' > "$WORK/token"
	chmod 644 "$WORK/token"
	if ip netns exec "$NS" $T agent --name ns1 --bind 10.251.0.1:7946 \
	    --keyring "$KEYRING" --state-dir "$nsd" --profile local \
	    --http 0.0.0.0:8080 --http-token "$WORK/token" > "$WORK/ns.log" 2>&1; then
		fail "a token readable by others was taken"
	fi
	grep -q "readable by others" "$WORK/ns.log" || fail "$(cat "$WORK/ns.log")"
	chmod 600 "$WORK/token"
	ip netns exec "$NS" $T agent --name ns1 --bind 10.251.0.1:7946 \
	    --keyring "$KEYRING" --state-dir "$nsd" --profile local \
	    --http 0.0.0.0:8080 --http-token "$WORK/token" >> "$WORK/ns.log" 2>&1 &
	PIDS="$PIDS $!"
	ns_get() {	# ns_get URL [TOKEN]: the status code
		ip netns exec "$NS" python3 - "$@" <<'PYEOF'
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1])
if len(sys.argv) > 2:
    req.add_header("Authorization", "Bearer " + sys.argv[2])
try:
    print(urllib.request.urlopen(req, timeout=5).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print(0)
PYEOF
	}
	up() { [ "$(ns_get http://127.0.0.1:8080/v1/self)" = 200 ]; }
	wait_for 10 "the namespaced agent serves local clients" up
	[ "$(ns_get http://10.251.0.1:8080/metrics)" = 401 ] ||
	    fail "a non-local client without a token was not refused"
	[ "$(ns_get http://10.251.0.1:8080/metrics wrong-token-wrong-token)" = 401 ] ||
	    fail "a wrong token was taken"
	[ "$(ns_get http://10.251.0.1:8080/metrics not-a-secret-but-long-enough-0123)" = 200 ] ||
	    fail "the right token was refused"
	echo "ok: non-local clients: 401 without or with a wrong token, 200 with it"
	for r in / /metrics /v1/self /v1/members /v1/status /v1/history; do
		ip netns exec "$NS" python3 -c 'import sys, urllib.request
r = urllib.request.Request(sys.argv[1])
r.add_header("Authorization", "Bearer " + sys.argv[2])
sys.stdout.write(urllib.request.urlopen(r, timeout=5).read().decode())' \
		    "http://10.251.0.1:8080$r" not-a-secret-but-long-enough-0123
	done > "$WORK/ns.txt"
	[ -s "$WORK/ns.txt" ] || fail "no answers with the token"
	! grep -q "not-a-secret-but-long-enough" "$WORK/ns.txt" ||
	    fail "the token shows in a response"
else
	echo "skipped the non-local check (needs root and ip netns)"
fi
echo "ok: 60_http"
