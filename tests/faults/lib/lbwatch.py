#!/usr/bin/env python3
"""Client loop through a load balancer, and a watch on its config file.

lbwatch.py URL CFG OUT: every 20 ms one GET to URL (timeout 2 s), logged
to OUT/requests as "unix_ms status ms body" (status 0: failed); every 20 ms
the backends in CFG ("server NAME ...") are read and each change logged to
OUT/config as "unix_ms name,name". Stops when OUT/stop exists, or after
300 s whatever happens (bounded: only the namespace's own addresses).
"""
import os
import sys
import threading
import time
import urllib.request

url, cfg, out = sys.argv[1:4]
deadline = time.time() + 300


def now_ms():
    return int(time.time() * 1000)


def stopped():
    return os.path.exists(os.path.join(out, "stop")) or time.time() > deadline


def client():
    with open(os.path.join(out, "requests"), "w") as f:
        while not stopped():
            t0 = now_ms()
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    body = r.read().decode(errors="replace").strip()
                    status = r.status
            except Exception as e:  # refused, reset, 5xx, timeout
                status, body = 0, type(e).__name__
                if hasattr(e, "code"):
                    status, body = 0, "http-%d" % e.code
            f.write("%d %d %d %s\n" % (t0, status, now_ms() - t0,
                                        body.replace(" ", "_")[:40]))
            f.flush()
            time.sleep(0.02)


def watch():
    last = None
    with open(os.path.join(out, "config"), "w") as f:
        while not stopped():
            try:
                with open(cfg) as c:
                    names = [l.split()[1] for l in c
                             if l.strip().startswith("server ")]
                cur = ",".join(sorted(names))
            except OSError:
                cur = None
            if cur is not None and cur != last:
                f.write("%d %s\n" % (now_ms(), cur or "-"))
                f.flush()
                last = cur
            time.sleep(0.02)


threads = [threading.Thread(target=client), threading.Thread(target=watch)]
for t in threads:
    t.start()
for t in threads:
    t.join()
