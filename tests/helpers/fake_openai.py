"""A real HTTP server on 127.0.0.1 that speaks OpenAI's chat/completions protocol.

It stands in for a hosted API (judges, AgentWrite writers, length predictors) in tests and
benchmarks: the client under test talks real HTTP to it, while the test scripts what each request
gets back - a text, an HTTP error (429 with ``Retry-After``, 500, ...), a delay longer than the
client's timeout, a malformed body, or a dropped connection.

Import it from any test (tests/conftest.py puts this folder on ``sys.path``)::

    from fake_openai import FakeOpenAIServer, Reply, scripted

    with FakeOpenAIServer(scripted({"hello": [Reply.error(429), "hi there"]})) as server:
        client = EndpointClient(server.url, server.model)
        ...
        assert server.hits("hello") == 2

A responder is ``f(body: dict, attempt: int) -> Reply | str``: ``body`` is the decoded request JSON
and ``attempt`` counts earlier requests with the same body (0 for the first), so retries can be
scripted deterministically even when requests arrive concurrently.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "FakeOpenAIServer",
    "Reply",
    "Responder",
    "echo",
    "scripted",
    "last_user_content",
    "body_key",
    "classify_by_length",
]


@dataclass
class Reply:
    """What the server does with one request.

    ``status`` 200 returns a chat completion whose message content is ``text``; any other status
    returns an OpenAI-style error body. ``body`` (bytes) replaces the whole response body (for
    malformed responses); ``drop`` closes the connection without answering; ``delay`` (seconds)
    waits before answering, on top of the server's fixed ``latency``.
    """

    text: str | None = "ok"  # None: a 200 whose message content is null
    status: int = 200
    delay: float = 0.0
    finish_reason: str = "stop"
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    @classmethod
    def error(cls, status: int, message: str = "injected error", retry_after: float | None = None) -> Reply:
        """An HTTP error reply (e.g. 429, 500, 400), optionally with a ``Retry-After`` header (s)."""
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        return cls(status=status, text=message, headers=headers)

    @classmethod
    def malformed(cls, kind: str = "json") -> Reply:
        """A 200 reply whose body is broken: ``json`` (truncated JSON), ``schema`` (valid JSON
        without ``choices``) or ``html`` (a proxy's error page)."""
        bodies = {
            "json": (b'{"id": "chatcmpl-x", "choices": [{"message": {"content": "trunc', "application/json"),
            "schema": (b'{"id": "chatcmpl-x", "object": "chat.completion"}', "application/json"),
            "html": (b"<html><body>502 Bad Gateway</body></html>", "text/html"),
        }
        body, ctype = bodies[kind]
        return cls(body=body, content_type=ctype)

    @classmethod
    def slow(cls, delay: float, text: str = "slow ok") -> Reply:
        """A normal reply sent after ``delay`` seconds (longer than a client timeout, say)."""
        return cls(text=text, delay=delay)


Responder = Callable[[dict, int], "Reply | str"]


def last_user_content(body: dict) -> str:
    """The content of the last user message of a request body ('' if none)."""
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""


def body_key(body: dict) -> str:
    """A stable hash of a request body (what counts as 'the same request' for ``attempt``)."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def echo(body: dict, attempt: int) -> Reply:
    """Default responder: deterministic text derived from the last user message."""
    return Reply(text=f"echo: {last_user_content(body)}")


def scripted(script: dict[str, list[Reply | str]], default: Responder = echo) -> Responder:
    """A responder that answers by the last user message: the ``attempt``-th entry of
    ``script[content]`` (a Reply, or a str meaning a 200 with that text); ``default`` once the
    list is used up or for content not in ``script``."""

    def respond(body: dict, attempt: int) -> Reply | str:
        plan = script.get(last_user_content(body))
        if plan is not None and attempt < len(plan):
            return plan[attempt]
        return default(body, attempt)

    return respond


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # listen backlog: the default 5 drops SYNs when 32 clients connect
    daemon_threads = True


def _count(text: str) -> int:
    return len(text.split())


def classify_by_length(body: dict, attempt: int) -> list[list[float]]:
    """Default ``/classify`` responder: one raw score per input, its length / 100 (token ids or text)."""
    inputs = body.get("input")
    inputs = (
        inputs if isinstance(inputs, list) and inputs and isinstance(inputs[0], (list, str)) else [inputs]
    )
    return [[len(x) / 100.0] for x in inputs]


class FakeOpenAIServer:
    """A threaded OpenAI-compatible HTTP server on 127.0.0.1 (``POST /v1/chat/completions``,
    ``GET /v1/models``, and vLLM's pooling ``POST /classify``: ``classify_responder(body,
    attempt)`` returns one ``probs`` list per input, or a :class:`Reply` for faults). ``latency`` (seconds) delays every reply; every request body is recorded
    on arrival in ``requests`` (thread-safe), so tests can count what a client really sent."""

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        latency: float = 0.0,
        model: str = "fake-model",
        host: str = "127.0.0.1",
        port: int = 0,
        classify_responder: Callable[[dict, int], Any] | None = None,
    ) -> None:
        self.responder = responder or echo
        self.classify_responder = classify_responder or classify_by_length
        self.latency = latency
        self.model = model
        self.requests: list[dict] = []
        self._seen: dict[str, int] = {}
        self.inflight = 0  # requests being handled now
        self.max_inflight = 0  # the most ever handled at once (checks a client's concurrency cap)
        self.connections = 0  # connections open now (each handled by its own thread)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._httpd = _Server((host, port), self._handler_class())
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """Base URL for an OpenAI client (``http://127.0.0.1:PORT/v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAIServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes handlers sleeping in a delay
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- inspection ------------------------------------------------------------------------------
    def hits(self, content: str) -> int:
        """How many requests arrived whose last user message is ``content``."""
        with self._lock:
            return sum(1 for b in self.requests if last_user_content(b) == content)

    def snapshot(self) -> list[dict]:
        """A copy of the recorded request bodies."""
        with self._lock:
            return list(self.requests)

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Block until no connection is open (every request a client wrote before closing or
        dying has been read and recorded); AssertionError after ``timeout`` seconds."""
        with self._idle:
            if not self._idle.wait_for(lambda: self.connections == 0, timeout):
                raise AssertionError(f"{self.connections} connection(s) still open after {timeout} s")

    # -- protocol --------------------------------------------------------------------------------
    def _record(self, body: dict) -> int:
        key = body_key(body)
        with self._lock:
            self.requests.append(body)
            attempt = self._seen.get(key, 0)
            self._seen[key] = attempt + 1
        return attempt

    def _completion(self, body: dict, reply: Reply) -> dict:
        n = int(body.get("n") or 1)
        prompt_tokens = sum(
            _count(m.get("content") or "") for m in body.get("messages", []) if isinstance(m, dict)
        )
        return {
            "id": f"chatcmpl-{body_key(body)[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", self.model),
            "choices": [
                {
                    "index": i,
                    "message": {"role": "assistant", "content": reply.text},
                    "finish_reason": reply.finish_reason,
                }
                for i in range(n)
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": n * _count(reply.text or ""),
                "total_tokens": prompt_tokens + n * _count(reply.text or ""),
            },
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real endpoints do
            # Headers and body go out as separate writes; with Nagle's algorithm on, each reply
            # would wait for the client's delayed ACK (~40 ms on Linux).
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def setup(self) -> None:
                super().setup()
                with server._idle:
                    server.connections += 1

            def finish(self) -> None:
                try:
                    super().finish()
                finally:
                    with server._idle:
                        server.connections -= 1
                        server._idle.notify_all()

            def _send(self, status: int, payload: bytes, ctype: str, headers: dict[str, str]) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(payload)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (timeout): fine

            def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
                self._send(status, json.dumps(obj).encode(), "application/json", headers or {})

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": server.model, "object": "model"}]})
                else:
                    self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                is_classify = self.path.rstrip("/").endswith("/classify")
                if not (is_classify or self.path.rstrip("/").endswith("/chat/completions")):
                    self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                    return
                try:
                    body = json.loads(raw)
                except ValueError:
                    self._json(400, {"error": {"message": "request body is not JSON", "type": "invalid"}})
                    return
                attempt = server._record(body)
                with server._lock:
                    server.inflight += 1
                    server.max_inflight = max(server.max_inflight, server.inflight)
                try:
                    if is_classify:
                        self._classify(body, attempt)
                    else:
                        self._answer(body, attempt)
                finally:
                    with server._lock:
                        server.inflight -= 1

            def _classify(self, body: dict, attempt: int) -> None:
                result = server.classify_responder(body, attempt)
                if isinstance(result, Reply):
                    self._reply(body, result)
                    return
                if server.latency > 0 and server._stop.wait(server.latency):
                    self.close_connection = True
                    return
                data = [
                    {"index": i, "label": None, "probs": probs, "num_classes": len(probs)}
                    for i, probs in enumerate(result)
                ]
                obj = {
                    "id": "classify-fake",
                    "object": "list",
                    "created": int(time.time()),
                    "model": body.get("model", server.model),
                    "data": data,
                    "usage": {"prompt_tokens": 0, "total_tokens": 0},
                }
                self._json(200, obj)

            def _answer(self, body: dict, attempt: int) -> None:
                self._reply(body, server.responder(body, attempt))

            def _reply(self, body: dict, reply: Reply | str) -> None:
                if isinstance(reply, str):
                    reply = Reply(text=reply)
                wait = server.latency + reply.delay
                if wait > 0 and server._stop.wait(wait):
                    self.close_connection = True
                    return
                if reply.drop:
                    self.close_connection = True  # no response at all
                    return
                if reply.body is not None:
                    self._send(reply.status, reply.body, reply.content_type, reply.headers)
                elif reply.status != 200:
                    err = {"error": {"message": reply.text, "type": "injected", "code": reply.status}}
                    self._json(reply.status, err, reply.headers)
                else:
                    self._json(200, server._completion(body, reply), reply.headers)

        return Handler


def main(argv: list[str] | None = None) -> None:
    """``python tests/helpers/fake_openai.py [--latency S] [--port P] [--responder MOD:FACTORY]``:
    serve the echo responder (or ``FACTORY()`` from a module in tests/helpers, e.g.
    ``fake_judge:policy_wins_responder``, a loopback pairwise judge) in its own process (prints the
    base URL on the first line of stdout) until killed."""
    import argparse
    import importlib
    import sys
    from pathlib import Path

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before every reply")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument(
        "--responder", default=None, help="MODULE:FACTORY in tests/helpers, called with no arguments"
    )
    args = parser.parse_args(argv)
    responder = None
    if args.responder:
        module, _, factory = args.responder.partition(":")
        if not factory:
            parser.error(f"--responder {args.responder!r}: give MODULE:FACTORY")
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        responder = getattr(importlib.import_module(module), factory)()
    server = FakeOpenAIServer(responder, latency=args.latency, port=args.port)
    print(server.url, flush=True)
    server._httpd.serve_forever()


if __name__ == "__main__":
    main()
