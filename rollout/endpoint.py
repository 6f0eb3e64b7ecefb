"""A resilient async client for OpenAI-compatible chat/completions endpoints.

Judges, AgentWrite writers, length-range predictors and API baselines all send many chat
requests to some endpoint (a hosted API, or ``longwrite serve`` on a local checkpoint). This
client makes those runs cheap to repeat and hard to break:

* a concurrency limit, and optional requests-per-minute / tokens-per-minute limits;
* retries with exponential backoff and jitter on 429, 5xx, timeouts, dropped connections and
  malformed bodies (honouring ``Retry-After``); other errors (400, 401, ...) fail at once;
* a reply whose message content is null (a refusal, a content filter, a reasoning model out of
  budget) is a failure naming why, never an empty success; it is not cached;
* a per-request timeout (seconds, per attempt);
* an append-only jsonl cache keyed by a hash of (model, messages, params): a re-run - also after
  the process was killed mid-write - never pays twice for a finished request (a torn last line is
  ignored on reload).

:meth:`EndpointClient.chat` never raises on HTTP or protocol errors: the :class:`ChatResult`
carries ``error`` (the cause) and ``attempts``. Identical requests give the cached answer, so to
draw several samples vary ``seed`` (or pass ``n``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rollout.jsonl import append_records, latest_by_key

__all__ = [
    "ChatRequest",
    "ChatResult",
    "PostResult",
    "EndpointClient",
    "ResponseCache",
    "request_key",
    "run_sync",
]

log = logging.getLogger(__name__)

# Statuses worth retrying: rate limits, timeouts/conflicts reported by proxies, server errors.
RETRYABLE_STATUS = frozenset({408, 409, 425, 429})


def _retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUS or status >= 500


@dataclass
class ChatRequest:
    """One chat request: OpenAI-style ``messages``, sampling ``params`` and an optional ``id``."""

    messages: list[dict]
    params: dict = field(default_factory=dict)
    id: str | None = None


@dataclass
class ChatResult:
    """The outcome of one request.

    ``text`` is the first choice's message content (``choices`` has every choice when ``n > 1``);
    ``usage`` the endpoint's token counts (tokens); ``error`` None on success, else the cause
    (e.g. ``"HTTP 429: ..."``, ``"timeout after 30 s"``, ``"malformed response: ..."``);
    ``attempts`` how many HTTP requests were sent (0 for a cache hit); ``latency_s`` wall time in
    seconds including retries; ``key`` the cache key.
    """

    id: str | None
    text: str | None
    finish_reason: str | None
    usage: dict
    error: str | None
    attempts: int
    cached: bool
    latency_s: float
    key: str = ""
    choices: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the request succeeded (``error`` is None)."""
        return self.error is None


@dataclass
class PostResult:
    """The outcome of one JSON POST (:meth:`EndpointClient.post_many`): ``data`` the decoded body
    on success, else ``error`` (the cause); ``attempts`` HTTP requests sent; ``latency_s`` seconds."""

    id: str | None
    data: dict | None
    error: str | None
    attempts: int
    latency_s: float

    @property
    def ok(self) -> bool:
        """True when the request succeeded (``error`` is None)."""
        return self.error is None


def request_key(model: str, messages: list[dict], params: dict | None = None) -> str:
    """The cache key of a request: sha256 of canonical JSON of (model, messages, params)."""
    payload = json.dumps(
        {"model": model, "messages": messages, "params": params or {}},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ResponseCache:
    """An append-only jsonl file of finished requests, one JSON object per line with a ``key``.

    Each record is written with a single ``write`` under an exclusive ``flock``
    (:func:`rollout.jsonl.append_records`), so a process killed mid-run leaves at worst one torn
    last line, which :meth:`load` skips and the next write cuts off. Several processes may append
    to one file.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._records: dict[str, dict] = {}
        self._loaded = False
        self._lock = threading.Lock()

    def load(self) -> None:
        """Read the file (once). A torn last line (a kill mid-write) is skipped with a warning and
        cut before the next append; any other bad line raises ``ValueError`` naming file and line."""
        with self._lock:
            if self._loaded:
                return
            self._records = latest_by_key(self.path, "key")
            self._loaded = True

    def get(self, key: str) -> dict | None:
        """The cached record for ``key``, or None."""
        self.load()
        return self._records.get(key)

    def put(self, record: dict) -> None:
        """Append ``record`` (must have a ``key``) as one line and remember it."""
        self.load()
        with self._lock:
            append_records(self.path, [record])  # cuts a torn tail first; flock'd single write
            self._records[record["key"]] = record

    def __len__(self) -> int:
        self.load()
        return len(self._records)

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None


class _Pacer:
    """A lock-free token bucket in 'debt' form: ``reserve(amount)`` books the amount now and
    returns how long the caller must wait (seconds) before using it. Rates are per minute."""

    def __init__(self, per_minute: float, burst: float) -> None:
        if per_minute <= 0:
            raise ValueError(f"rate limit must be positive, got {per_minute}")
        self.rate = per_minute / 60.0  # units per second
        self.burst = max(1.0, burst)
        self.level = self.burst
        self.stamp = time.monotonic()
        self._lock = threading.Lock()  # sync() may run loops in several threads

    def reserve(self, amount: float) -> float:
        with self._lock:
            now = time.monotonic()
            self.level = min(self.burst, self.level + (now - self.stamp) * self.rate)
            self.stamp = now
            self.level -= min(amount, self.burst)  # a request larger than the bucket still passes
            return 0.0 if self.level >= 0 else -self.level / self.rate

    def refund(self, amount: float) -> None:
        """Give back (positive) or charge more (negative) after the real cost is known."""
        with self._lock:
            self.level = min(self.burst, self.level + amount)


class _Retryable(Exception):
    """An attempt failed in a way worth retrying; ``retry_after`` in seconds if the server said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _Fatal(Exception):
    """An attempt failed in a way that retrying will not fix (400, 401, 404, ...)."""


@dataclass
class _LoopState:
    """Objects bound to one event loop (asyncio primitives and the HTTP connection pool)."""

    loop: asyncio.AbstractEventLoop
    session: Any  # aiohttp.ClientSession
    semaphore: asyncio.Semaphore
    inflight: dict[str, asyncio.Future] = field(default_factory=dict)


class EndpointClient:
    """Async client for one model on an OpenAI-compatible endpoint (see the module docstring).

    ``base_url`` like ``http://127.0.0.1:8000/v1``; ``api_key`` defaults to ``$OPENAI_API_KEY``
    (or a placeholder for local servers); ``concurrency`` caps requests in flight;
    ``requests_per_minute`` / ``tokens_per_minute`` pace starts (tokens estimated as characters / 4
    plus ``max_tokens``, corrected by the reported usage); ``timeout`` in seconds per attempt;
    ``max_retries`` retries after the first attempt; ``cache_path`` a jsonl cache file.
    ``backoff_base`` / ``backoff_max`` (seconds) shape the exponential backoff.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        concurrency: int = 8,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        timeout: float = 600.0,
        max_retries: int = 6,
        cache_path: str | Path | None = None,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        self.base_url = base_url
        self.model = model
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"
        self.concurrency = concurrency
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.cache = ResponseCache(cache_path) if cache_path is not None else None
        self._rpm = _Pacer(requests_per_minute, 1.0) if requests_per_minute else None
        self._tpm = _Pacer(tokens_per_minute, tokens_per_minute) if tokens_per_minute else None
        self._state: _LoopState | None = None
        self._url = base_url.rstrip("/") + "/chat/completions"

    # -- event-loop bound state --------------------------------------------------------------------
    def _loop_state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        if self._state is None or self._state.loop is not loop:
            # aiohttp, not the openai SDK over httpx: at concurrency 32+ against a fast server the
            # SDK's per-request work and httpx's pool bookkeeping held the client to 36-79% of the
            # ideal rate (benchmarks/RESULTS.md); the wire protocol is plain JSON over HTTP.
            import aiohttp

            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.concurrency, limit_per_host=self.concurrency),
                headers={"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"},
                timeout=aiohttp.ClientTimeout(total=self.timeout, sock_connect=min(self.timeout, 30.0)),
            )
            self._state = _LoopState(
                loop=loop, session=session, semaphore=asyncio.Semaphore(self.concurrency)
            )
        return self._state

    async def aclose(self) -> None:
        """Close the HTTP connections of the current event loop's client."""
        state = self._state
        if state is not None and state.loop is asyncio.get_running_loop():
            self._state = None
            await state.session.close()

    async def __aenter__(self) -> EndpointClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    # -- public API ------------------------------------------------------------------------------
    async def chat(self, messages: list[dict], **params: Any) -> ChatResult:
        """Send one chat request (``params``: temperature, max_tokens, seed, n, stop, or any
        extra field the server understands); never raises on HTTP or protocol errors."""
        return await self._chat(messages, params, None)

    async def chat_many(
        self,
        requests: Sequence[ChatRequest],
        progress: bool | str = False,
        on_result: Callable[[int, ChatResult], None] | None = None,
    ) -> list[ChatResult]:
        """Run ``requests`` concurrently (within the limits); results in the same order.
        ``progress``: True or a description string shows a tqdm bar. ``on_result(index, result)``
        is called as each request finishes (in finishing order), so a caller can keep finished work
        before the whole batch is done: a job killed mid-way then loses none of it."""
        from tqdm.auto import tqdm

        bar = tqdm(
            total=len(requests),
            desc=progress if isinstance(progress, str) else "chat",
            disable=not progress,
            unit="req",
        )

        async def one(index: int, req: ChatRequest) -> ChatResult:
            result = await self._chat(req.messages, req.params, req.id)
            bar.update(1)
            if on_result is not None:
                on_result(index, result)
            return result

        try:
            return list(await asyncio.gather(*(one(i, r) for i, r in enumerate(requests))))
        finally:
            bar.close()

    def run(self, requests: Sequence[ChatRequest], progress: bool | str = False) -> list[ChatResult]:
        """Synchronous :meth:`chat_many`. Works inside a running event loop too (it then runs
        in a helper thread with its own loop)."""

        async def main() -> list[ChatResult]:
            try:
                return await self.chat_many(requests, progress)
            finally:
                await self.aclose()

        return run_sync(main())

    async def post(self, path: str, body: dict, id: str | None = None) -> PostResult:
        """POST ``body`` (JSON) to ``path`` within the same limits and retries as :meth:`chat`
        (no cache). A ``path`` starting with ``/`` is taken from the server root (vLLM's
        ``/classify``, ``/pooling``), anything else is relative to ``base_url``. Never raises on
        HTTP or protocol errors."""
        start = time.monotonic()
        data, error, attempts = await self._retrying(lambda: self._post_attempt(path, body), id or path)
        return PostResult(id, data, error, attempts, time.monotonic() - start)

    async def _retrying(self, attempt, label: str) -> tuple[dict | None, str | None, int]:
        """``await attempt()`` until it returns, a fatal error, or ``max_retries`` retries of
        retryable ones (backoff between, honouring Retry-After): ``(data, None, attempts)`` or
        ``(None, error, attempts)``, the error naming the attempt count when there were several."""
        attempts = 0
        error = "not sent"
        retry_after: float | None = None
        while attempts <= self.max_retries:
            if attempts:
                await asyncio.sleep(self._backoff(attempts, retry_after))
            attempts += 1
            retry_after = None
            try:
                return await attempt(), None, attempts
            except _Retryable as exc:
                error, retry_after = str(exc), exc.retry_after
                log.debug("%s attempt %d: %s", label, attempts, error)
            except _Fatal as exc:
                error = str(exc)
                break
        return None, _after(error, attempts), attempts

    def _chat_result(self, data: dict, id: str | None, key: str, attempts: int, start: float) -> ChatResult:
        """The successful :class:`ChatResult` of a validated reply, written to the cache if there is one."""
        choices = [
            {"text": c["message"].get("content") or "", "finish_reason": c.get("finish_reason")}
            for c in data["choices"]
        ]
        result = ChatResult(
            id=id,
            text=choices[0]["text"],
            finish_reason=choices[0]["finish_reason"],
            usage=dict(data.get("usage") or {}),
            error=None,
            attempts=attempts,
            cached=False,
            latency_s=time.monotonic() - start,
            key=key,
            choices=choices,
        )
        if self.cache is not None:
            self.cache.put(
                {
                    "key": key,
                    "id": id,
                    "model": self.model,
                    "text": result.text,
                    "finish_reason": result.finish_reason,
                    "usage": result.usage,
                    "choices": choices,
                    "time": time.time(),
                }
            )
        return result

    def post_many(
        self, path: str, bodies: Sequence[dict], ids: Sequence[str | None] | None = None
    ) -> list[PostResult]:
        """Synchronous concurrent :meth:`post` of every body to ``path``; results in order."""
        ids = list(ids) if ids is not None else [None] * len(bodies)

        async def main() -> list[PostResult]:
            try:
                return list(
                    await asyncio.gather(*(self.post(path, b, i) for b, i in zip(bodies, ids, strict=True)))
                )
            finally:
                await self.aclose()

        return run_sync(main())

    def _post_url(self, path: str) -> str:
        """The absolute URL of ``path`` (root-relative when it starts with ``/``)."""
        if path.startswith(("http://", "https://")):
            return path
        if path.startswith("/"):
            from urllib.parse import urlsplit

            parts = urlsplit(self.base_url)
            return f"{parts.scheme}://{parts.netloc}{path}"
        return self.base_url.rstrip("/") + "/" + path

    async def _post_attempt(self, path: str, body: dict) -> dict:
        """One JSON POST within the concurrency and request-rate limits; the decoded object."""

        try:
            payload = json.dumps(body, ensure_ascii=False)
        except (TypeError, ValueError) as exc:  # unserialisable body: our caller's mistake
            raise _Fatal(f"bad request: {exc}") from None
        state = self._loop_state()
        async with state.semaphore:
            wait = self._rpm.reserve(1) if self._rpm else 0.0
            if wait > 0:
                await asyncio.sleep(wait)
            status, headers, raw = await _send(state.session, self._post_url(path), payload, self.timeout)
        text = _reply_text(status, headers, raw)
        try:
            data = json.loads(text)
        except ValueError:
            raise _Retryable(f"malformed response: not JSON ({text[:80]!r})") from None
        if not isinstance(data, dict):
            raise _Retryable(f"malformed response: expected a JSON object, got {type(data).__name__}")
        return data

    # -- internals -------------------------------------------------------------------------------
    async def _chat(self, messages: list[dict], params: dict, id: str | None) -> ChatResult:
        _check_messages(messages)
        key = request_key(self.model, messages, params)
        start = time.monotonic()
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                return _from_record(hit, id, key, time.monotonic() - start)
            # The same request already in flight (duplicates in one batch): wait for it.
            state = self._loop_state()
            pending = state.inflight.get(key)
            if pending is not None:
                result = await asyncio.shield(pending)
                return _from_record_result(result, id, time.monotonic() - start)
            fut: asyncio.Future = state.loop.create_future()
            state.inflight[key] = fut
            try:
                result = await self._send_with_retries(messages, params, id, key, start)
                fut.set_result(result)
            except BaseException as exc:
                fut.set_exception(exc)
                fut.exception()  # mark retrieved: waiters re-raise it themselves
                raise
            finally:
                state.inflight.pop(key, None)
            return result
        return await self._send_with_retries(messages, params, id, key, start)

    async def _send_with_retries(
        self, messages: list[dict], params: dict, id: str | None, key: str, start: float
    ) -> ChatResult:
        data, error, attempts = await self._retrying(lambda: self._attempt(messages, params), id or key[:12])
        if data is not None:
            # A reply with no text at all (a refusal, a content filter, a reasoning model out of
            # budget, a tool call) is not an empty success. Not cached, so a re-run asks again.
            error = _null_content_reason(data)
            if error is None:
                return self._chat_result(data, id, key, attempts, start)
            error = _after(error, attempts)
        return ChatResult(
            id=id,
            text=None,
            finish_reason=None,
            usage={},
            error=error,
            attempts=attempts,
            cached=False,
            latency_s=time.monotonic() - start,
            key=key,
        )

    def _backoff(self, attempts: int, retry_after: float | None) -> float:
        """Seconds to wait before attempt ``attempts + 1``: exponential, with 'equal jitter'
        (half fixed, half random) so that many clients retrying at once spread out."""
        cap = min(self.backoff_max, self.backoff_base * 2 ** (attempts - 1))
        delay = cap / 2 + random.uniform(0, cap / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_max))
        return delay

    async def _attempt(self, messages: list[dict], params: dict) -> dict:
        """One HTTP request within the limits; returns the decoded, validated body.

        ``params`` go into the JSON body beside ``model`` and ``messages`` (OpenAI's sampling
        fields and any server-specific one, e.g. vLLM's ``top_k``)."""

        try:
            payload = json.dumps({**params, "model": self.model, "messages": messages}, ensure_ascii=False)
        except (TypeError, ValueError) as exc:  # unserialisable parameters: our caller's mistake
            raise _Fatal(f"bad request: {exc}") from None
        state = self._loop_state()
        estimate = 0.0
        if self._tpm is not None:
            estimate = _estimate_tokens(messages, params)
        async with state.semaphore:
            wait = max(
                self._rpm.reserve(1) if self._rpm else 0.0,
                self._tpm.reserve(estimate) if self._tpm else 0.0,
            )
            if wait > 0:
                await asyncio.sleep(wait)
            status, headers, body = await _send(state.session, self._url, payload, self.timeout)
        data = _validate(_reply_text(status, headers, body))
        if self._tpm is not None:
            used = (data.get("usage") or {}).get("total_tokens")
            if isinstance(used, (int, float)):
                self._tpm.refund(estimate - used)
        return data


async def _send(session: Any, url: str, payload: str, timeout: float) -> tuple[int, Any, bytes]:
    """One POST of ``payload`` (JSON text): status, headers and raw body; transport failures retryable.

    The session's ClientTimeout (``timeout`` seconds) bounds the whole attempt, body included.
    """
    import aiohttp

    try:
        async with session.post(url, data=payload.encode("utf-8")) as resp:
            return resp.status, resp.headers, await resp.read()
    except asyncio.TimeoutError:
        raise _Retryable(f"timeout after {timeout:g} s") from None
    except aiohttp.ClientError as exc:
        raise _Retryable(f"connection error: {type(exc).__name__}: {exc}") from None


_shared_lock = threading.Lock()
_shared_clients: dict[tuple, EndpointClient] = {}


def shared_client(options: dict) -> EndpointClient:
    """One :class:`EndpointClient` per distinct endpoint setting, kept for the process.

    For rewards called batch after batch (judges): reusing the client keeps its connection pool,
    pacing and response cache across calls. ``options`` holds ``base_url``, ``model``,
    ``api_key_env`` (the name of the variable holding the key, or empty), ``concurrency``,
    ``timeout`` (seconds), ``max_retries``, ``cache_path`` and ``backoff_base`` (seconds); the key
    itself is read from the environment when the client is made, never stored in the key tuple.
    """
    key = (
        options["base_url"],
        options["model"],
        options["api_key_env"],
        int(options["concurrency"]),
        float(options["timeout"]),
        int(options["max_retries"]),
        options["cache_path"],
        float(options["backoff_base"]),
    )
    with _shared_lock:
        if key not in _shared_clients:
            api_key = os.environ.get(options["api_key_env"]) if options["api_key_env"] else None
            _shared_clients[key] = EndpointClient(
                options["base_url"],
                options["model"],
                api_key=api_key,
                concurrency=int(options["concurrency"]),
                timeout=float(options["timeout"]),
                max_retries=int(options["max_retries"]),
                cache_path=options["cache_path"],
                backoff_base=float(options["backoff_base"]),
            )
        return _shared_clients[key]


def _reply_text(status: int, headers: Any, raw: bytes) -> str:
    """The reply's UTF-8 text, or the HTTP error raised as retryable (429, 5xx) or fatal (other 4xx)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:  # never a silently repaired body: a malformed reply
        raise _Retryable(f"malformed response: not UTF-8 ({exc})") from None
    if status >= 400:
        message = _error_message(text, status)
        if _retryable_status(status):
            raise _Retryable(f"HTTP {status}: {message}", _retry_after(headers)) from None
        raise _Fatal(f"HTTP {status}: {message}") from None
    return text


def run_sync(coro: Any) -> Any:
    """Run ``coro`` to completion from synchronous code and return its result. Inside a running
    event loop (a notebook, an async caller) it runs in a helper thread with a loop of its own,
    since the caller's loop cannot be re-entered."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _after(error: str, attempts: int) -> str:
    """``error``, naming the attempt count when there were several."""
    return f"{error} (after {attempts} attempts)" if attempts > 1 else error


def _check_messages(messages: Any) -> None:
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages must be a non-empty list of {'role': ..., 'content': ...} dicts")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or "role" not in m:
            raise ValueError(f"messages[{i}] must be a dict with a 'role', got {m!r:.80}")


def _validate(text: str) -> dict:
    """Decode a chat completion body, or raise _Retryable naming what is wrong with it."""
    try:
        data = json.loads(text)
    except ValueError:
        raise _Retryable(f"malformed response: not JSON: {text[:80]!r}") from None
    if not isinstance(data, dict):
        raise _Retryable(f"malformed response: expected an object, got {type(data).__name__}")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        raise _Retryable(f"malformed response: no choices in {text[:80]!r}")
    for c in choices:
        if not isinstance(c, dict) or not isinstance(c.get("message"), dict):
            raise _Retryable(f"malformed response: a choice without a message in {text[:80]!r}")
        content = c["message"].get("content")
        if content is not None and not isinstance(content, str):
            raise _Retryable("malformed response: message content is not a string")
    return data


def _null_content_reason(data: dict) -> str | None:
    """Why the first choice carries ``content: null`` (None when it carries a string): its
    finish reason and any refusal, tool call or reasoning text the server sent instead."""
    choice = data["choices"][0]
    message = choice["message"]
    if message.get("content") is not None:
        return None
    parts = [f"finish_reason={choice.get('finish_reason')!r}"]
    if message.get("refusal"):
        parts.append(f"refusal: {str(message['refusal'])[:200]!r}")
    if message.get("tool_calls"):
        parts.append(f"{len(message['tool_calls'])} tool call(s)")
    for key in ("reasoning_content", "reasoning"):
        if isinstance(message.get(key), str) and message[key]:
            parts.append(f"{len(message[key])} characters of {key} only")
    return "no content in the reply (content: null; " + "; ".join(parts) + ")"


def _error_message(text: str, status: int) -> str:
    """The message of an error body (OpenAI's ``{"error": {"message": ...}}``), else its text."""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
    return text.strip()[:300] or f"empty body (status {status})"


def _retry_after(headers: Any) -> float | None:
    """Seconds from a ``Retry-After`` header (None when absent or not a number)."""
    value = headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _estimate_tokens(messages: list[dict], params: dict) -> float:
    """A rough token count for rate limiting: ~4 characters per token, plus the completion cap."""
    chars = sum(len(m.get("content") or "") if isinstance(m.get("content"), str) else 0 for m in messages)
    completion = params.get("max_tokens") or params.get("max_completion_tokens") or 0
    return chars / 4 + float(completion) * int(params.get("n") or 1)


def _from_record(record: dict, id: str | None, key: str, latency: float) -> ChatResult:
    choices = record.get("choices") or [
        {"text": record.get("text"), "finish_reason": record.get("finish_reason")}
    ]
    return ChatResult(
        id=id,
        text=record.get("text"),
        finish_reason=record.get("finish_reason"),
        usage=dict(record.get("usage") or {}),
        error=None,
        attempts=0,
        cached=True,
        latency_s=latency,
        key=key,
        choices=choices,
    )


def _from_record_result(result: ChatResult, id: str | None, latency: float) -> ChatResult:
    """A duplicate of an in-flight request shares its outcome (sent once, so 0 attempts here)."""
    return ChatResult(
        id=id,
        text=result.text,
        finish_reason=result.finish_reason,
        usage=dict(result.usage),
        error=result.error,
        attempts=0,
        cached=result.ok,
        latency_s=latency,
        key=result.key,
        choices=list(result.choices),
    )
