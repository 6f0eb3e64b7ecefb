"""A deterministic AgentWrite writer behind a real OpenAI-compatible HTTP server on 127.0.0.1.

It stands in for a hosted writer model in tests and in the AgentWrite benchmark: it speaks the
OpenAI ``/v1/chat/completions`` protocol (JSON bodies, 429 errors with ``retry-after-ms``), waits a
fixed latency per call, and answers AgentWrite's two kinds of prompt (see
:mod:`sft_baseline.prompts`): a plan request gets a numbered plan, a write request ("Current step:
paragraph k of n ... about N words") gets N words of deterministic filler seeded by the request.

Directives embedded in an instruction's text steer the writer, to exercise every filter:
``[[steps:N]]`` plans N paragraphs (default 3), ``[[words:N]]`` budgets N words each (default
200), ``[[plan:malformed]]`` returns prose with no numbered steps, ``[[empty:K]]`` returns an empty
paragraph K, ``[[short]]`` writes 10 words per paragraph, ``[[429:N]]`` answers the first N tries of
every call with HTTP 429, ``[[label]]`` prefixes each paragraph with "Paragraph k:" (an artifact
AgentWrite must strip). Every request is logged in :attr:`FakeWriterServer.requests`.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["FakeWriterServer", "request_sha"]

_STEP_EN = re.compile(r"Current step: paragraph (\d+) of (\d+)\. .*?Write about (\d+) words")
_STEP_ZH = re.compile(r"当前步骤：第(\d+)段，共(\d+)段。.*?约(\d+)字")
_EN = "river city light story water people history time plan journey music letter ocean idea".split()
_ZH = "河流城市光故事水人们历史时间计划旅程音乐信海洋想法秋天图书馆"


def request_sha(messages: list[dict]) -> str:
    """The hash AgentWrite's journal stores for a request (same JSON canonicalisation)."""
    return hashlib.sha1(json.dumps(messages, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def _directive(text: str, name: str) -> str | None:
    m = re.search(r"\[\[" + name + r"(?::([^\]]*))?\]\]", text)
    if not m:
        return None
    return m.group(1) if m.group(1) is not None else ""


def _filler(seed: str, n: int, zh: bool) -> str:
    rng = random.Random(seed)
    if zh:
        return "".join(rng.choice(_ZH) for _ in range(n)) + "。"
    words = [rng.choice(_EN) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def play_writer(content: str) -> str:
    """The writer's deterministic reply to one AgentWrite prompt (plan or paragraph)."""
    zh = "写作要求" in content
    m = (_STEP_ZH if zh else _STEP_EN).search(content.replace("\n", " "))
    if m is None:  # a plan request
        if _directive(content, "plan") == "malformed":
            return "I will write a wonderful piece about this, covering many interesting ideas."
        steps = int(_directive(content, "steps") or 3)
        words = int(_directive(content, "words") or 200)
        if zh:
            return "\n".join(f"段落{k} - 要点：第{k}部分内容 - 字数：{words}字" for k in range(1, steps + 1))
        head = "Here is the plan:\n"
        return head + "\n".join(
            f"Paragraph {k} - Main point: part {k} of the piece - Word count: {words} words"
            for k in range(1, steps + 1)
        )
    step, words = int(m.group(1)), int(m.group(3))
    if _directive(content, "empty") == str(step):
        return "   "
    if _directive(content, "short") is not None:
        words = 10
    text = _filler(content, words, zh)
    if _directive(content, "label") is not None:
        text = (f"第{step}段：" if zh else f"Paragraph {step}: ") + text
    return text


class FakeWriterServer:
    """OpenAI-compatible chat server on 127.0.0.1 playing :func:`play_writer`, in a thread.

    ``latency_s``: seconds each call waits before answering (calls overlap, as with a real API).
    Use as a context manager; :attr:`url` is the ``base_url`` for an OpenAI client.
    """

    def __init__(self, latency_s: float = 0.0, port: int = 0, model: str = "fake-writer"):
        self.latency_s = latency_s
        self.model = model
        self.requests: list[dict] = []
        self._tries: Counter = Counter()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _send(self, code: int, body: dict, headers: dict | None = None) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path.rstrip("/").endswith("/models"):
                    self._send(200, {"object": "list", "data": [{"id": server.model, "object": "model"}]})
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": "not found"}})
                    return
                server._answer(self, body)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        self._httpd.request_queue_size = 256
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL for OpenAI clients, e.g. ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def _answer(self, handler, body: dict) -> None:
        messages = body.get("messages") or []
        sha = request_sha(messages)
        content = "\n".join(str(m.get("content", "")) for m in messages)
        with self._lock:
            self._tries[sha] += 1
            tries = self._tries[sha]
        if self.latency_s:
            time.sleep(self.latency_s)
        limit = _directive(content, "429")
        if limit and tries <= int(limit):
            self._log(sha, 429)
            handler._send(
                429,
                {"error": {"message": "rate limited", "type": "rate_limit_error", "code": "429"}},
                {"retry-after-ms": "5"},
            )
            return
        text = play_writer(content)
        self._log(sha, 200)
        n_prompt, n_out = len(content.split()), len(text.split())
        handler._send(
            200,
            {
                "id": f"chatcmpl-{sha[:12]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", self.model),
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                ],
                "usage": {
                    "prompt_tokens": n_prompt,
                    "completion_tokens": n_out,
                    "total_tokens": n_prompt + n_out,
                },
            },
        )

    def _log(self, sha: str, status: int) -> None:
        with self._lock:
            self.requests.append({"sha": sha, "status": status, "time": time.time()})

    def start(self) -> FakeWriterServer:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeWriterServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
