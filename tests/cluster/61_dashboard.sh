#!/bin/bash
# The dashboard (docs/http.md) in a real headless Chromium (Debian's
# chromium + chromium-driver, driven over the W3C WebDriver API from
# python3) against five real agents: the page shows the packs and their
# leader, a failing node with its message, and updates within 2 s of a
# kill -9 being seen by the agent and of a publish; screenshots are kept
# in $TLALOC_ARTIFACTS/61_dashboard (default /tmp/tlaloc-artifacts; the
# path is printed).
. "$(dirname "$0")/lib.sh"
command -v chromium >/dev/null && command -v chromedriver >/dev/null || {
	echo "chromium and chromium-driver are not installed"; exit 77; }
OP=$WORK/op
ART=${TLALOC_ARTIFACTS:-/tmp/tlaloc-artifacts}/61_dashboard
rm -rf "$ART"
mkdir -p "$OP" "$WORK/recipe" "$ART"
$T keys operator gen --out "$OP" >/dev/null || fail "operator key"
HTTP=$(port 80)

root() { echo "$WORK/root$1"; }
start_node() {
	i=$1; shift
	mkdir -p "$(root "$i")/etc"
	start_agent "$i" --trust "$OP/operator.pub" --root "$(root "$i")" \
	    --join "127.0.0.1:$(port 1)" --splay 0 "$@"
}
start_node 1 --pack web --pack-expect 3 --http "127.0.0.1:$HTTP"
start_node 2 --pack web --pack-expect 3
start_node 3 --pack web --pack-expect 3
start_node 4 --pack db --pack-expect 2
start_node 5 --pack db --pack-expect 2
wait_for 30 "5 agents see each other" all_see 1 5 alive 5
# Pack voters are admitted by the operator (docs/pack.md).
$T pack admit --all --key "$OP/operator.key" --state-dir "$(sd 1)" \
    >/dev/null || fail "pack admit"
cat > "$WORK/recipe/site.lua" <<'EOF'
file { path = "/etc/motd", content = "v1\n" }
if node.agent.name == "n4" then
  exec { name = "migrate", host = true, command = {"/bin/sh", "-c", "echo schema is locked >&2; exit 3"} }
end
EOF
$T publish "$WORK/recipe" --key "$OP/operator.key" --state-dir "$(sd 2)" \
    >/dev/null || fail "publish"
wait_for 30 "all 5 ran serial 1" all_ran 1 1 5

# The browser part: python3 drives Chromium and asserts from the DOM.
export ROOT VICTIM_PID=$(pid_of 5)
python3 - "$HTTP" "$ART" "$T" "$(sd 1)" "$WORK" <<'PYEOF' || fail "dashboard"
import json, os, subprocess, sys, time
sys.path.insert(0, os.path.join(os.environ["ROOT"], "tests", "cluster"))
from webdriver import Browser
port, shots, T, sd1, work = sys.argv[1:6]
url = "http://127.0.0.1:%s/" % port

def check(cond, what):
    if not cond:
        raise SystemExit("FAIL: " + what)
    print("ok: " + what)

with Browser(work) as b:
    b.get(url)
    b.wait(10, "return window.__tlaloc && window.__tlaloc.renders > 0")
    # Packs and leaders, from the cards' own text.
    cards, _ = b.wait(10, """
      var c = {}; document.querySelectorAll('.card[data-group]').forEach(
        function (e) { c[e.dataset.group] = e.dataset.leader || ''; });
      return (c.web && c.db) ? c : null""")
    check(set(cards) >= {"web", "db"}, "the page shows packs web and db")
    check(cards["web"] in ("n1", "n2", "n3"), "pack web's leader is marked (%s)" % cards["web"])
    star = b.js("return document.querySelectorAll('.tile.leader').length")
    check(star >= 2, "leader tiles carry the star (%d)" % star)
    # The failing node, and its message in the detail pane.
    b.wait(10, "return document.querySelector('.tile.s-failing[data-name=n4]')")
    b.js("document.querySelector('.tile[data-name=n4]').click()")
    b.screenshot(os.path.join(shots, "0-debug.png")) if False else None
    msg, _ = b.wait(10, "var d = document.getElementById('detail').textContent;"
                    " return d.indexOf('exited 3') >= 0 && d")
    check("exec[migrate]" in msg, "n4's detail shows the failed resource and its message")
    b.wait(10, "return document.getElementById('detail').textContent.indexOf('facts: os=linux') >= 0")
    print("ok: n4's detail shows its facts, asked of n4 over the cluster")
    b.screenshot(os.path.join(shots, "1-failing.png"))

    # kill -9 of a node: the page shows it within 2 s of the agent.
    victim = os.environ["VICTIM_PID"]
    os.kill(int(victim), 9)
    t_kill = time.time()
    def agent_sees():
        out = subprocess.run([T, "members", "--state-dir", sd1],
                             capture_output=True, text=True).stdout
        return any(l.split()[0] == "n5" and l.split()[2] != "alive"
                   for l in out.splitlines() if l.strip())
    while not agent_sees():
        if time.time() - t_kill > 20:
            raise SystemExit("FAIL: the agent never saw n5 go")
        time.sleep(0.05)
    t_agent = time.time()
    _, took = b.wait(2.0, "var e = document.querySelector('.tile[data-name=n5]');"
                     " return e && e.dataset.state === 'silent'")
    print("ok: the page shows n5 silent %.2fs after the agent saw it "
          "(%.2fs after kill -9)" % (time.time() - t_agent, time.time() - t_kill))
    b.screenshot(os.path.join(shots, "2-killed.png"))

    # A publish: the rollout line moves to serial 2 within 2 s of the
    # agent's /v1/status saying so.
    with open(os.path.join(work, "recipe", "site.lua"), "w") as f:
        f.write('file { path = "/etc/motd", content = "v2\\n" }\n')
    subprocess.run([T, "publish", os.path.join(work, "recipe"), "--key",
                    os.path.join(work, "op", "operator.key"), "--state-dir",
                    sd1], check=True, capture_output=True)
    t_pub = time.time()
    def status():
        import urllib.request
        return json.load(urllib.request.urlopen(url + "v1/status"))
    while status()["newest"] != 2:
        if time.time() - t_pub > 20:
            raise SystemExit("FAIL: serial 2 never announced")
        time.sleep(0.05)
    t_seen = time.time()
    text, _ = b.wait(2.0, "var t = document.getElementById('rolltext').textContent;"
                     " return t.indexOf('policy 2') === 0 && t")
    print("ok: the rollout shows serial 2 %.2fs after the agent did (%s)"
          % (time.time() - t_seen, text))
    b.wait(20, "var t = document.getElementById('rolltext').textContent;"
           " return t.indexOf('4/4 converged') > 0")
    print("ok: the rollout reaches 4/4 converged")
    b.wait(5, "var e = document.querySelector('.tile[data-name=n4]');"
           " return e && e.dataset.state === 'changed'")
    print("ok: n4 no longer fails once the policy drops its exec")
    # A channel message shows in the channel pane.
    subprocess.run([T, "say", "#all", "deploy v2 done", "--state-dir", sd1],
                   check=True, capture_output=True)
    b.wait(3, "return document.getElementById('msgs').textContent"
           ".indexOf('deploy v2 done') >= 0")
    print("ok: a message said on #all shows in the channel pane")
    b.screenshot(os.path.join(shots, "3-published.png"))
print("screenshots: " + shots)
PYEOF
