"""A fast loopback OpenAI-compatible server for client benchmarks (aiohttp.web, its own process).

The benchmark question is "how close to the ideal rate does the *client* get?", so the server
must not be the limit. tests/helpers/fake_openai.py (the scripted test server) is a stdlib
thread-per-connection server: at 128 connections on two cores its threads and their GIL cost more
than the client under test (a bare aiohttp loop reached only 50-62% of the ideal against it). This
one is a single-threaded asyncio server (aiohttp.web: C HTTP parser, keep-alive, one coroutine per
request, uvloop when installed) in a separate process: each request waits ``latency`` seconds in
``asyncio.sleep`` (costing no CPU while it waits) and gets a valid chat-completion body.

Protocol: ``POST /v1/chat/completions`` (OpenAI's chat completion object: ``choices[i].message
.content`` = the fixed reply text, ``n`` choices, ``usage`` in whitespace-separated words as a
stand-in for tokens), ``GET /v1/models``, ``GET /stats`` (``{"requests": N}``, requests answered so
far). A body that is not a JSON object with a ``messages`` list gets an OpenAI-style 400.

Run alone: ``python -m benchmarks._loopback --latency 0.2 [--text TEXT]``: prints the base URL
(``http://127.0.0.1:PORT/v1``) on the first line of stdout, then serves until terminated.
In code: :func:`start_server` (a subprocess and its URL). The leading underscore keeps
``python -m benchmarks`` (every benchmark module in turn) from running it as a benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

MODEL = "loopback-model"


def completion(body: dict, text: str, model: str = MODEL) -> dict:
    """The chat-completion object answering ``body`` with ``text`` (``n`` choices; usage counted
    in whitespace-separated words, standing in for tokens)."""
    n = int(body.get("n") or 1)
    prompt = sum(
        len(m["content"].split())
        for m in body["messages"]
        if isinstance(m, dict) and isinstance(m.get("content"), str)
    )
    reply = len(text.split())
    return {
        "id": f"chatcmpl-loopback-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model") or model,
        "choices": [
            {"index": i, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            for i in range(n)
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": n * reply,
            "total_tokens": prompt + n * reply,
        },
    }


def make_app(latency: float, text: str):
    """The aiohttp.web application: every chat completion answered with ``text`` after ``latency`` s."""
    from aiohttp import web

    stats = {"requests": 0}

    def error(status: int, message: str) -> web.Response:
        body = {"error": {"message": message, "type": "invalid_request_error", "code": status}}
        return web.json_response(body, status=status)

    async def chat(request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError as exc:
            return error(400, f"body is not JSON: {exc}")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return error(400, "body must be a JSON object with a 'messages' list")
        await asyncio.sleep(latency)
        stats["requests"] += 1
        return web.Response(body=json.dumps(completion(body, text)).encode(), content_type="application/json")

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": MODEL, "object": "model"}]})

    async def stats_view(request: web.Request) -> web.Response:
        return web.json_response(stats)

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/v1/models", models)
    app.router.add_get("/stats", stats_view)
    return app


async def _serve(latency: float, text: str, port: int) -> None:
    from aiohttp import web

    runner = web.AppRunner(make_app(latency, text), access_log=None)
    await runner.setup()
    # backlog: 128 clients connecting at once must not overflow the listen queue (resets, SYN retries).
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    sock = site._server.sockets[0]  # the OS-chosen port when port == 0
    print(f"http://127.0.0.1:{sock.getsockname()[1]}/v1", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def start_server(latency: float, text: str = "ok") -> tuple[subprocess.Popen, str]:
    """Start the server in its own Python process (so it shares no GIL or CPU accounting with the
    client under test); returns the process and its base URL. The caller terminates it."""
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks._loopback", "--latency", str(latency), "--text", text],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
    )
    url = proc.stdout.readline().strip()
    if not url.startswith("http://"):
        proc.kill()
        proc.wait(timeout=10)
        raise RuntimeError(f"loopback server did not start (exit code {proc.returncode}, first line {url!r})")
    return proc, url


def main(argv: list[str] | None = None) -> None:
    """Serve until terminated (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2, help="seconds before each reply")
    parser.add_argument("--text", default="ok", help="the message content of every reply")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    args = parser.parse_args(argv)
    try:  # the server's own speed is not what is measured: take the fastest loop available
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_serve(args.latency, args.text, args.port))


if __name__ == "__main__":
    main()
