#!/bin/bash
# The dashboard at 10,000 members in headless Chromium: the page the agent
# serves (fetched from a real agent) against a fixture speaking the same
# /v1 API for 10,000 nodes in 100 packs (tests/cluster/dashboard_fixture.py).
# First render within 1 s of navigation (the JSON fetch included; best of
# three loads), each filter within 100 ms (best of five: the test machine
# is shared, and a slow run is the machine's, not the page's), and never
# more than 600 node elements in the DOM. Screenshots in $TLALOC_ARTIFACTS/62_dashboard_10k.
. "$(dirname "$0")/lib.sh"
command -v chromium >/dev/null && command -v chromedriver >/dev/null || {
	echo "chromium and chromium-driver are not installed"; exit 77; }
ART=${TLALOC_ARTIFACTS:-/tmp/tlaloc-artifacts}/62_dashboard_10k
rm -rf "$ART"
mkdir -p "$ART"
HTTP=$(port 80)
FIX=$(port 81)
start_agent 1 --http "127.0.0.1:$HTTP"
page() { python3 -c 'import sys, urllib.request
open(sys.argv[2], "wb").write(urllib.request.urlopen(sys.argv[1]).read())' \
    "http://127.0.0.1:$HTTP/" "$WORK/page.html" 2>/dev/null; }
wait_for 10 "the agent serves its page" page
grep -q "__tlaloc" "$WORK/page.html" || fail "not the dashboard"
python3 "$ROOT/tests/cluster/dashboard_fixture.py" "$WORK/page.html" "$FIX" \
    10000 > "$WORK/fixture.log" 2>&1 &
PIDS="$PIDS $!"
up() { python3 -c 'import urllib.request, sys
urllib.request.urlopen(sys.argv[1])' "http://127.0.0.1:$FIX/v1/status" \
    2>/dev/null; }
wait_for 60 "the fixture serves 10,000 nodes" up

export ROOT
python3 - "$FIX" "$ART" "$WORK" <<'PYEOF' || fail "dashboard at 10,000"
import os, sys, time
sys.path.insert(0, os.path.join(os.environ["ROOT"], "tests", "cluster"))
from webdriver import Browser
port, art, work = sys.argv[1:4]
url = "http://127.0.0.1:%s/" % port
worst = {}
with Browser(work) as b:
    b.get(url + "v1/self")		# warm the browser up: not the page
    for attempt in range(3):	# the best of three cold loads
        b.get(url)
        b.wait(15, "return window.__tlaloc && window.__tlaloc.firstRenderAt > 0")
        t = b.js("return window.__tlaloc.firstRenderAt")
        worst["first render"] = min(worst.get("first render", 1e9), t)
    nodes = b.js("return window.__tlaloc.data.nodes.length")
    assert nodes == 10000, nodes
    tiles = b.js("return document.querySelectorAll('.tile').length")
    elems = b.js("return document.getElementsByTagName('*').length")
    print("timing: " + str(b.js("return performance.getEntriesByType('resource')"
                          ".map(function (e) { return e.name.replace(/^.*\\//, '') + ' '"
                          " + Math.round(e.startTime) + '+' + Math.round(e.duration); })"
                          ".join(', ') + ', render ' + Math.round(window.__tlaloc.lastRenderMs)"
                          " + ' ms, domContentLoaded ' + Math.round(performance.timing"
                          ".domContentLoadedEventEnd - performance.timing.navigationStart)")))
    print("ok: first render %.0f ms after navigation (best of 3), "
          "%d tiles, %d elements for %d nodes" % (worst["first render"],
                                                  tiles, elems, nodes))
    b.screenshot(os.path.join(art, "1-overview.png"))
    filters = [("name", "node-0421"), ("regex", "^node-00[0-4]"),
               ("pack", "pack-17"), ("none", ""), ("state", "failing")]
    for kind, q in filters:
        times = []
        for _ in range(5):
            b.js("var q = document.getElementById('q'); q.value = arguments[0];"
                 " q.dispatchEvent(new Event('input'));", q)
            times.append(b.js("return window.__tlaloc.lastFilterMs"))
        shown = b.js("return document.getElementById('matches').textContent")
        print("ok: filter by %s %r: %.1f ms (best of 5; median %.1f): %s" % (
            kind, q, min(times), sorted(times)[2], shown))
        worst["filter " + kind] = min(times)
    b.js("var q = document.getElementById('q'); q.value = '';"
         " q.dispatchEvent(new Event('input'));")
    times = []
    for _ in range(5):	# hide, show, hide, show, hide
        b.js("document.querySelector('.pill[data-state=ok]').click();")
        times.append(b.js("return window.__tlaloc.lastFilterMs"))
    t = min(times)
    worst["filter chip"] = t
    print("ok: hiding the ok nodes with a chip: %.1f ms" % t)
    b.screenshot(os.path.join(art, "2-filtered.png"))
    tiles = b.js("return document.querySelectorAll('.tile').length")
    assert tiles <= 600, "%d tiles in the DOM" % tiles
bad = [k for k, v in worst.items() if v > (1000 if k == "first render" else 100)]
if bad:
    sys.exit("FAIL: over budget: " + ", ".join("%s %.0f ms" % (k, worst[k]) for k in bad))
print("screenshots: " + art)
PYEOF
