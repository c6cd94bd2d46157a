"""A minimal W3C WebDriver client over chromedriver's HTTP API (Debian's
chromium + chromium-driver; nothing from pip). Used by the dashboard
tests: open a page in headless Chromium, run JavaScript in it, wait for
the DOM to say something, take screenshots.

    with Browser(workdir) as b:
        b.get("http://127.0.0.1:8080/")
        b.wait(5, "return document.title")
        b.screenshot("/tmp/x.png")
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-quic", "--no-first-run",
                 "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,1000"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def find(*names):
    for n in names:
        p = shutil.which(n) or (os.path.exists(n) and n)
        if p:
            return p
    return None


class Browser:
    def __init__(self, workdir):
        self.workdir = workdir
        self.driver = find("chromedriver", "/usr/bin/chromedriver")
        self.chromium = find("chromium", "/usr/bin/chromium")
        if not self.driver or not self.chromium:
            raise RuntimeError("chromium and chromium-driver are needed")
        self.port = free_port()
        self.profile = tempfile.mkdtemp(dir=workdir, prefix="chrome-")
        self.log = open(os.path.join(workdir, "chromedriver.log"), "w")
        self.proc = subprocess.Popen(
            [self.driver, "--port=%d" % self.port],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.base = "http://127.0.0.1:%d" % self.port
        deadline = time.time() + 15
        while True:
            try:
                self._call("GET", "/status")
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": self.chromium,
                "args": CHROMIUM_ARGS + ["--user-data-dir=" + self.profile],
            }}}}
        self.sid = self._call("POST", "/session", caps)["sessionId"]

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data,
                                     method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            raise RuntimeError("webdriver %s %s: %s" % (
                method, path, e.read()[:500].decode(errors="replace")))

    def _s(self, method, path, body=None):
        return self._call(method, "/session/%s%s" % (self.sid, path), body)

    def get(self, url):
        self._s("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self._s("POST", "/execute/sync",
                       {"script": script, "args": list(args)})

    def wait(self, seconds, script, *args, poll=0.05):
        """Runs script until it returns something true; returns that and
        the seconds it took. Raises TimeoutError with the last value."""
        start = time.time()
        last = None
        while time.time() - start < seconds:
            last = self.js(script, *args)
            if last:
                return last, time.time() - start
            time.sleep(poll)
        if os.environ.get("WD_SHOT_ON_FAIL"):
            self.screenshot(os.environ["WD_SHOT_ON_FAIL"])
        raise TimeoutError("not within %.1fs: %s (last: %r)" % (
            seconds, script, last))

    def screenshot(self, path):
        png = base64.b64decode(self._s("GET", "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)
        return path

    def close(self):
        try:
            self._s("DELETE", "")
        except Exception:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
