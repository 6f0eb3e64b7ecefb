"""A fast loopback OpenAI-compatible server for client benchmarks (aiohttp.web, its own process).

The benchmark question is "how close to the ideal rate does the *client* get?", so the server
must not be the limit. tests/helpers/fake_openai.py (the scripted test server) is a stdlib
thread-per-connection server: at 128 connections on two cores its threads and their GIL cost more
than the client under test (a bare aiohttp loop reached only 50-62% of the ideal against it). This
one is a single-threaded asyncio server (aiohttp.web: C HTTP parser, keep-alive, one coroutine per
request, uvloop when installed) in a separate process: each request waits ``latency`` seconds in
``asyncio.sleep`` (costing no CPU while it waits) and gets a valid chat-completion body.

Replies: the fixed ``text``, or, per request, the reply of the first ``(marker, reply)`` rule whose
marker occurs in the request's last message (one substring search per rule, no parsing): so one
server answers a pairwise judge prompt (marker ``[Answer A]``) with a verdict like ``[[A>B]]`` and
every other prompt with a six-dimension JSON verdict.

Protocol: ``POST /v1/chat/completions`` (OpenAI's chat completion object: ``choices[i].message
.content`` = the fixed reply text, ``n`` choices, ``usage`` in whitespace-separated words as a
stand-in for tokens), ``GET /v1/models``, ``GET /stats`` (``{"requests": N}``, requests answered so
far). A body that is not a JSON object with a ``messages`` list gets an OpenAI-style 400.

Run alone: ``python -m benchmarks._loopback --latency 0.2 [--text TEXT] [--when MARKER REPLY ...]``: prints the base URL
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


def pick_reply(body: dict, text: str, when: tuple[tuple[str, str], ...] = ()) -> str:
    """The reply to ``body``: that of the first ``(marker, reply)`` rule whose marker occurs in the
    last message's content, else ``text``."""
    if when:
        last = body["messages"][-1] if body["messages"] else None
        content = last.get("content") if isinstance(last, dict) else None
        if isinstance(content, str):
            for marker, reply in when:
                if marker in content:
                    return reply
    return text


def make_app(latency: float, text: str, when: tuple[tuple[str, str], ...] = ()):
    """The aiohttp.web application: every chat completion answered after ``latency`` s with
    :func:`pick_reply`'s choice (``text`` unless a ``when`` rule's marker is in the prompt)."""
    from aiohttp import web

    stats = {"requests": 0}
    when = tuple(when)

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
        reply = pick_reply(body, text, when)
        return web.Response(
            body=json.dumps(completion(body, reply)).encode(), content_type="application/json"
        )

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": MODEL, "object": "model"}]})

    async def stats_view(request: web.Request) -> web.Response:
        return web.json_response(stats)

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/v1/models", models)
    app.router.add_get("/stats", stats_view)
    return app


async def _serve(latency: float, text: str, port: int, when: tuple[tuple[str, str], ...] = ()) -> None:
    from aiohttp import web

    runner = web.AppRunner(make_app(latency, text, when), access_log=None)
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


def start_server(
    latency: float, text: str = "ok", when: tuple[tuple[str, str], ...] = ()
) -> tuple[subprocess.Popen, str]:
    """Start the server in its own Python process (so it shares no GIL or CPU accounting with the
    client under test); returns the process and its base URL. The caller terminates it. ``when``:
    ``(marker, reply)`` rules, see :func:`pick_reply`."""
    root = Path(__file__).resolve().parents[1]
    rules = [arg for marker, reply in when for arg in ("--when", marker, reply)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks._loopback", "--latency", str(latency), "--text", text, *rules],
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


def timed(requests: int, t0: float, c0: float) -> dict:
    """Requests/s and client CPU ms per request since ``t0`` (monotonic) and ``c0`` (process time)."""
    seconds, cpu = time.monotonic() - t0, time.process_time() - c0
    return {"requests": requests, "rps": requests / seconds, "cpu_ms": 1000 * cpu / requests}


async def measure_bare(url: str, concurrency: int, waves: int, content, model: str) -> tuple[dict, list[str]]:
    """The baseline every client is compared with: a bare aiohttp loop with no client logic (one
    session, a semaphore, POST, read, ``json.loads``, take the content), sending ``waves x
    concurrency`` chat requests whose user message is ``content(tag)``, after one warm-up wave that
    opens the connections. Returns the :func:`timed` row and the replies' texts."""
    import aiohttp

    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency),
        headers={"Authorization": "Bearer EMPTY", "Content-Type": "application/json"},
        timeout=aiohttp.ClientTimeout(total=30),
    )
    gate = asyncio.Semaphore(concurrency)

    async def one(tag: str) -> str:
        body = {"model": model, "messages": [{"role": "user", "content": content(tag)}]}
        async with gate, session.post(f"{url}/chat/completions", data=json.dumps(body).encode()) as resp:
            return json.loads(await resp.read())["choices"][0]["message"]["content"]

    try:
        await asyncio.gather(*(one(f"w{i}") for i in range(concurrency)))
        n = waves * concurrency
        t0, c0 = time.monotonic(), time.process_time()
        texts = await asyncio.gather(*(one(f"b{concurrency}-{i}") for i in range(n)))
        row = timed(n, t0, c0)
    finally:
        await session.close()
    return row, texts


def interleaved_rows(
    measures: dict, concurrency: tuple[int, ...], latency: float, waves: int, repeats: int
) -> list[dict]:
    """One row per concurrency: every client of ``measures`` (name -> ``f(concurrency) -> {"rps",
    "cpu_ms"}``) runs ``repeats`` times, interleaved with the others (a, b, c, a, ...: the machine is
    shared, so one slow run says little); a row keeps each client's best run (``{name}_rps``,
    ``{name}_cpu_ms``) and every run's requests/s (``{name}_runs``)."""
    rows = []
    for c in concurrency:
        runs: dict[str, list[dict]] = {name: [] for name in measures}
        for _ in range(repeats):
            for name, measure in measures.items():
                runs[name].append(measure(c))
        row = {"concurrency": c, "latency_s": latency, "ideal": c / latency, "requests": waves * c}
        for name in measures:
            best = max(runs[name], key=lambda r: r["rps"])
            row[f"{name}_rps"], row[f"{name}_cpu_ms"] = best["rps"], best["cpu_ms"]
            row[f"{name}_runs"] = [r["rps"] for r in runs[name]]
        rows.append(row)
    return rows


def format_client_rows(rows: list[dict], labels: dict[str, str], ratios: dict[str, str], width: int) -> str:
    """The table of :func:`interleaved_rows` as text: per client (``labels``: name -> column title)
    its best requests/s, that run's fraction of the ideal (``concurrency / latency``) and CPU ms per
    request, every run's fraction; last, per ``ratios`` entry (column title -> client) that client's
    best rate against the bare baseline's best of the same run."""
    head = f"{'concurrency':>11} {'requests':>8} {'ideal/s':>7}"
    for label in labels.values():
        head += f" | {label + ' /s':>{width}} {'of ideal':>8} {'CPU':>5} {'all runs':>14}"
    lines = [head + " | " + " ".join(ratios)]
    for r in rows:
        ideal = r["ideal"]
        line = f"{r['concurrency']:>11} {r['requests']:>8} {ideal:>7.0f}"
        for name in labels:
            spread = " ".join(f"{x / ideal:.0%}" for x in r[f"{name}_runs"])
            line += (
                f" | {r[f'{name}_rps']:>{width}.1f} {r[f'{name}_rps'] / ideal:>8.1%} "
                f"{r[f'{name}_cpu_ms']:>5.2f} {spread:>14}"
            )
        cells = (
            f"{r[f'{name}_rps'] / r['bare_rps']:>{len(title) - 1}.2f}x" for title, name in ratios.items()
        )
        lines.append(line + " | " + " ".join(cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Serve until terminated (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2, help="seconds before each reply")
    parser.add_argument("--text", default="ok", help="the message content of every reply")
    parser.add_argument(
        "--when",
        nargs=2,
        action="append",
        default=[],
        metavar=("MARKER", "REPLY"),
        help="reply REPLY when MARKER occurs in the last message (first matching rule wins; repeatable)",
    )
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    args = parser.parse_args(argv)
    try:  # the server's own speed is not what is measured: take the fastest loop available
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_serve(args.latency, args.text, args.port, tuple(tuple(w) for w in args.when)))


if __name__ == "__main__":
    main()
