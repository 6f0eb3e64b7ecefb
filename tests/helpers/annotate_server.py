"""`longwrite annotate` as a real server process on 127.0.0.1 for the annotation tests, and a
small JSON client for its API (cookie or bearer token)."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request


class Server:
    """``longwrite annotate ARGS --port 0`` in its own process; ``url`` once it listens."""

    def __init__(self, *args):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "longwrite.cli", "annotate", *map(str, args), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            if line.startswith("serving on "):
                self.url = line.split()[2].rstrip("/")
                return
        self.proc.kill()
        raise AssertionError("the server did not start:\n" + "".join(self.lines) + self.proc.stdout.read())

    def kill9(self):
        """SIGKILL, as a crash would: no cleanup runs."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def call(url, path, body=None, *, name=None, token=None, cookie_token=None):
    """(status, parsed JSON or text, raw body) of one request."""
    headers = {}
    if name:
        headers["Cookie"] = f"lw_name={name}"
    if cookie_token:
        headers["Cookie"] = f"lw_token={cookie_token}"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, raw = resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read().decode()
    try:
        return status, json.loads(raw), raw
    except json.JSONDecodeError:
        return status, raw, raw
