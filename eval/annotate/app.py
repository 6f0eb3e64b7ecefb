"""The reading app: an aiohttp web server over the annotation database, with its own static page.

Routes (every one checks who is asking, see :func:`_who`):

* ``GET /`` the page (``static/index.html``, ``app.css``, ``app.js``: no CDN, plain JS);
* ``GET /login?token=T`` sets the token cookie and goes to ``/`` (token mode);
* ``POST /api/login`` ``{"name": N}`` sets the name cookie (local mode: no tokens exist);
* ``GET /api/me`` the annotator's name and own progress;
* ``GET /api/next`` the next pair: request, answer ``A`` (left) and ``B`` (right) with their
  plans and word counts, the assignment id; never a run's name or id;
* ``POST /api/judge`` ``{"assignment", "verdict", "reason", "visible_seconds"}``, committed before
  the answer.

Access: when the database holds tokens (``longwrite annotate token create``) every request must
carry one (cookie ``lw_token`` or ``Authorization: Bearer``), compared in constant time; an
unknown or tampered token is refused with 401 and one clear line. Without tokens the app trusts
the name an annotator types (local use, bound to 127.0.0.1); :func:`check_host` refuses another
host without tokens. No route returns another annotator's judgements.
"""

from __future__ import annotations

import html
import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

from aiohttp import web

from eval.annotate.assign import JudgementError, next_assignment, progress, submit
from eval.annotate.store import check_name, has_tokens, token_annotator

__all__ = ["LOOPBACK", "check_host", "make_app", "serve"]

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
_CONN = web.AppKey("conn", sqlite3.Connection)
_OPTS = web.AppKey("opts", dict)
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def check_host(host: str, conn: sqlite3.Connection) -> None:
    """``ValueError`` when ``host`` is not loopback and the database holds no token."""
    if host not in LOOPBACK and not has_tokens(conn):
        raise ValueError(
            f"--host {host} lets other machines in: create a token per annotator first "
            "(longwrite annotate token create NAME --db FILE)"
        )


def _refuse(request: web.Request, status: int, message: str) -> web.Response:
    """A JSON error for the API, a one-line HTML page for everything else."""
    if request.path.startswith("/api/"):
        return web.json_response({"error": message}, status=status)
    body = (
        f"<!DOCTYPE html><meta charset='utf-8'><title>refused</title><p id='error'>{html.escape(message)}</p>"
    )
    return web.Response(text=body, status=status, content_type="text/html")


def _who(request: web.Request) -> tuple[str | None, str | None]:
    """(annotator, None) or (None, why not)."""
    conn = request.app[_CONN]
    if has_tokens(conn):
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.startswith("Bearer ") else request.cookies.get("lw_token")
        if not token:
            return None, "this server needs your token: open the link with ?token= you were given"
        name = token_annotator(conn, token)
        return (name, None) if name else (None, "unknown or tampered token: ask for your link again")
    name = request.cookies.get("lw_name")
    if not name:
        return None, "no annotator name yet: enter your name"
    try:
        return check_name(name), None
    except ValueError as exc:
        return None, str(exc)


@web.middleware
async def _guard(request: web.Request, handler: Any) -> web.StreamResponse:
    """Checks the token (or name) on every request but the two ways in, and adds the security headers."""
    open_paths = {"/login", "/api/login"}
    if request.path not in open_paths:
        who, why = _who(request)
        page_without_name = (
            why and not has_tokens(request.app[_CONN]) and not request.path.startswith("/api/")
        )
        if who is None and not page_without_name:
            log.info("refused %s %s: %s", request.method, request.path, why)
            resp: web.StreamResponse = _refuse(request, 401, str(why))
        else:
            request["annotator"] = who
            resp = await handler(request)
    else:
        resp = await handler(request)
    resp.headers.update(_SECURITY_HEADERS)
    return resp


async def _index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "index.html")


async def _static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in ("app.js", "app.css"):
        raise web.HTTPNotFound()
    return web.FileResponse(STATIC / name)


async def _login(request: web.Request) -> web.StreamResponse:
    conn = request.app[_CONN]
    token = request.query.get("token", "")
    if not has_tokens(conn):
        return _refuse(request, 400, "this server has no tokens: open / and enter your name")
    if token_annotator(conn, token) is None:
        log.info("refused login with an unknown token")
        return _refuse(request, 401, "unknown or tampered token: ask for your link again")
    resp = web.HTTPFound("/")
    resp.set_cookie("lw_token", token, httponly=True, samesite="Strict")
    return resp


async def _api_login(request: web.Request) -> web.StreamResponse:
    if has_tokens(request.app[_CONN]):
        return _refuse(request, 400, "this server uses tokens: open the link with ?token= you were given")
    body = await _json(request)
    try:
        name = check_name(body.get("name"))
    except ValueError as exc:
        return _refuse(request, 400, str(exc))
    resp = web.json_response({"annotator": name})
    resp.set_cookie("lw_name", name, samesite="Strict")
    return resp


async def _json(request: web.Request) -> dict:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"body is not JSON: {exc}"}), content_type="application/json"
        ) from exc
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "body must be a JSON object"}), content_type="application/json"
        )
    return body


def _progress(request: web.Request) -> dict[str, int]:
    return progress(request.app[_CONN], request["annotator"], both_orders=request.app[_OPTS]["both_orders"])


async def _me(request: web.Request) -> web.StreamResponse:
    if request["annotator"] is None:
        return _refuse(request, 401, "no annotator name yet: enter your name")
    return web.json_response({"annotator": request["annotator"], "progress": _progress(request)})


async def _next(request: web.Request) -> web.StreamResponse:
    conn, opts = request.app[_CONN], request.app[_OPTS]
    a = next_assignment(conn, request["annotator"], both_orders=opts["both_orders"], seed=opts["seed"])
    if a is None:
        return web.json_response({"done": True, "progress": _progress(request)})
    pair = conn.execute("SELECT item_id FROM pairs WHERE id = ?", (a["pair_id"],)).fetchone()
    item = conn.execute("SELECT * FROM items WHERE id = ?", (pair["item_id"],)).fetchone()

    def side(run_id: int) -> dict[str, Any]:
        ans = conn.execute(
            "SELECT text, plan, words FROM answers WHERE item_id = ? AND run_id = ?", (item["id"], run_id)
        ).fetchone()
        return {"text": ans["text"], "plan": ans["plan"], "words": ans["words"]}

    return web.json_response(
        {
            "done": False,
            "assignment": a["id"],
            "request": {
                "prompt": item["prompt"],
                "type": item["type"],
                "language": item["language"],
                "required": item["required"],
            },
            "A": side(a["left_run"]),
            "B": side(a["right_run"]),
            "progress": _progress(request),
        }
    )


async def _judge(request: web.Request) -> web.StreamResponse:
    body = await _json(request)
    assignment = body.get("assignment")
    if not isinstance(assignment, int) or isinstance(assignment, bool):
        return _refuse(request, 400, "'assignment' must be the integer the page was given")
    try:
        done = submit(
            request.app[_CONN],
            request["annotator"],
            assignment,
            body.get("verdict"),
            body.get("reason") or "",
            body.get("visible_seconds"),
        )
    except JudgementError as exc:
        return _refuse(request, exc.status, str(exc))
    log.info("%s judged assignment %d: %s", request["annotator"], assignment, done["verdict"])
    return web.json_response({"ok": True, "progress": _progress(request)})


def make_app(conn: sqlite3.Connection, *, both_orders: bool = False, seed: int = 0) -> web.Application:
    """The web app over an open annotation database (runs already stored)."""
    app = web.Application(middlewares=[_guard], client_max_size=1 << 20)
    app[_CONN] = conn
    app[_OPTS] = {"both_orders": both_orders, "seed": seed}
    app.router.add_get("/", _index)
    app.router.add_get("/static/{name}", _static)
    app.router.add_get("/login", _login)
    app.router.add_post("/api/login", _api_login)
    app.router.add_get("/api/me", _me)
    app.router.add_get("/api/next", _next)
    app.router.add_post("/api/judge", _judge)
    return app


def serve(
    conn: sqlite3.Connection, host: str, port: int, *, both_orders: bool = False, seed: int = 0
) -> None:
    """Run the app until interrupted; prints ``serving on http://HOST:PORT/`` once listening
    (``port`` 0 picks a free one, which the line names)."""
    import asyncio

    check_host(host, conn)

    async def main() -> None:
        runner = web.AppRunner(make_app(conn, both_orders=both_orders, seed=seed), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1] if runner.addresses else port
        shown = f"[{host}]" if ":" in host else host
        print(
            f"serving on http://{shown}:{bound}/ (Ctrl-C stops; judgements are saved as they come)",
            flush=True,
        )
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    asyncio.run(main())
