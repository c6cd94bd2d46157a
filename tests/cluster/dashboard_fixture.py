"""A fixture server speaking the agent's /v1 API (docs/http.md) for a
cluster of N members, to time the dashboard at a size no test machine
runs as real agents. It serves the page the agent itself served (saved
to a file by the test), so the bytes under test are the binary's.

    python3 dashboard_fixture.py PAGE.html PORT NODES
"""
import json
import random
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

page_path, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
page = open(page_path, "rb").read()
rng = random.Random(10000)
STATES = ["ok"] * 80 + ["changed"] * 10 + ["failing"] * 3 + \
    ["drift"] * 2 + ["silent"] * 3 + ["behind"] * 2
now = 1796316000
nodes = []
packs = 100
for i in range(n):
    state = rng.choice(STATES)
    pack = "pack-%02d" % (i % packs)
    nodes.append({
        "name": "node-%05d" % i, "addr": "10.%d.%d.%d:7946" % (
            i >> 16, (i >> 8) & 255, i & 255),
        "status": "failed" if state == "silent" else "alive",
        "state": state, "pack": pack, "leader": i < packs,
        "policy": 41 if state == "behind" else 42,
        "run_serial": 41 if state == "behind" else 42,
        "changed": 2 if state == "changed" else 0,
        "failed": 1 if state == "failing" else 0, "drift": 0,
        "when": now - rng.randint(0, 600), "duration_ms": rng.randint(50, 900),
        "error": "recipes/app.lua:12: unknown attribute 'modee'"
        if state == "failing" and i % 2 else None,
        "health": None, "self": i == 0})
counts = {s: sum(1 for x in nodes if x["state"] == s) for s in set(STATES)}
status = json.dumps({
    "api": 1, "self": "node-00000", "now": now, "newest": 42,
    "nodes": nodes, "counts": counts,
    "rollout": {"serial": 42, "nodes": n,
                "converged": sum(1 for x in nodes if x["run_serial"] == 42
                                 and x["status"] == "alive")}}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, body, ctype="application/json"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        if u.path in ("/", "/index.html"):
            return self.send(page, "text/html; charset=utf-8")
        if u.path == "/v1/status":
            return self.send(status)
        if u.path == "/v1/events":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(b"retry: 1000\nevent: hello\ndata: {}\n\n")
            self.wfile.flush()
            threading.Event().wait(600)
            return
        if u.path == "/v1/channels":
            return self.send(b'{"channels":[{"name":"#all","members":%d,'
                             b'"here":true}]}' % n)
        if u.path == "/v1/messages":
            return self.send(b'{"channel":"*","messages":[]}')
        if u.path == "/v1/members":
            return self.send(b'{"members":[]}')
        if u.path == "/v1/history":
            name = q.get("node", ["node-00000"])[0]
            return self.send(json.dumps({"node": name, "runs": []}).encode())
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
