#!/bin/sh
# The agent's log as an operator's pipeline wants it (issues 16 and 21):
# --log-format json writes one object per line with stable keys,
# --log-target FILE writes there (not stderr), rotated by --log-max-size,
# reopened on SIGHUP (an outside logrotate), and a peer's name holding a
# newline cannot forge a line.
. "$(dirname "$0")/lib.sh"

LOG=$WORK/n1.json
start_agent 1 --log-format json --log-target "$LOG" --log-max-size 2K \
    --log-keep 2
start_agent 2 --join "127.0.0.1:$(port 1)" --name "evil
2026-01-01T00:00:00Z n1 err forged: line"
# (the name holds a newline: counted from the JSON, not by lines)
alive_is() {
	$T members --json --state-dir "$(sd 1)" --status alive | python3 -c '
import json, sys
sys.exit(len(json.load(sys.stdin)["members"]) != int(sys.argv[1]))' "$1"
}
wait_for 20 "n1 sees 2 alive" alive_is 2
# Enough lines to rotate twice (tag changes alone no longer log at notice).
for i in $(seq 10); do
	$T channel join "#c$i" --state-dir "$(sd 1)" >/dev/null
	$T channel part "#c$i" --state-dir "$(sd 1)" >/dev/null
done
sleep 1

python3 - "$LOG" <<'PY' || fail "json log lines"
import json, sys, os
path = sys.argv[1]
lines = []
for p in (path + ".2", path + ".1", path):
    if os.path.exists(p):
        assert os.path.getsize(p) <= 2048, (p, os.path.getsize(p))
        lines += open(p, encoding="utf-8").read().splitlines()
assert len(lines) >= 5, lines
for l in lines:
    o = json.loads(l)
    keys = list(o)
    assert keys[:5] == ["time", "level", "node", "source", "msg"], keys
    assert o["node"] == "n1" and o["time"].endswith("Z"), o
    assert o["level"] in ("err", "warn", "notice", "info", "debug"), o
    assert not o["msg"].startswith("forged"), o
assert any("agent started" in json.loads(l)["msg"] for l in lines), lines
assert os.path.exists(path + ".1"), "no rotation at 2K"
assert not os.path.exists(path + ".3"), "kept more than 2 old files"
PY
echo "ok: JSON lines with stable keys, rotated at 2K, two old files kept"
grep -q "agent started" "$WORK/n1.log" && fail "n1 logged to stderr too"
grep -q '^[^{]' "$LOG" && fail "a line of $LOG is not a JSON object"
# The peer's name is in the log, escaped, never as a line of its own.
cat "$LOG"* | grep -q 'evil\\\\n2026-01-01T00:00:00Z n1 err forged' ||
    fail "the escaped name is not in the log"
echo "ok: a name with a newline is one escaped field"

mv "$LOG" "$LOG.moved"
kill -HUP "$(pid_of 1)"
wait_for 10 "SIGHUP reopens the log file" test -s "$LOG"
grep -q '"msg":"reloaded configuration"' "$LOG" || fail "no reload line"
echo "ok: SIGHUP reopened $LOG"
