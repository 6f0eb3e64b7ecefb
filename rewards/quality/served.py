"""The ``served`` quality backend: a reward model behind vLLM's pooling (classification) API.

``longwrite serve --reward-model PATH`` starts vLLM's OpenAI-compatible server with the pooling
runner on a one-output ``...ForSequenceClassification`` checkpoint (a ``longwrite rm train``
``final`` folder); it answers ``POST /classify``. This backend sends it the same token ids the
``classifier`` backend would build in-process (:func:`rewards.quality.classifier.build_inputs`:
chat template, head+tail truncation), ``batch_size`` inputs per request, with
``use_activation: false`` so the server returns the **raw logit** (what Bradley-Terry training
optimises; with the activation on, vLLM returns sigmoid(logit)). The raw value is kept in the
details (``raw``) and mapped to [0, 1] by the same ``squash`` / ``center`` / ``scale`` options
as the classifier backend, so both backends give identical rewards for one model.

Requests go through :class:`rollout.endpoint.EndpointClient` (``concurrency`` requests in flight,
per-attempt ``timeout``, ``max_retries`` retries with backoff on 429 / 5xx / timeouts / dropped
connections / malformed bodies). A request that still fails, or a reply that lacks a sample's
score, makes those samples **missing (None)** with the cause as reason - left out of the total
like a failed judge, never scored 0. Options: ``base_url`` (``http://HOST:PORT`` or ``.../v1``),
``model`` (the served model name, which ``longwrite serve --reward-model`` sets to the path),
``tokenizer`` (a local path; default ``model``), ``max_length`` (tokens; default 8192).
"""

from __future__ import annotations

import logging
import math
import threading
from typing import Any

from rewards.base import Batch, ComponentScore

__all__ = ["REQUIRED", "served_scores", "raw_from_probs", "check_served_options"]

log = logging.getLogger(__name__)

#: Placeholder a preset puts in a required setting; any value starting with it fails loudly.
REQUIRED = "REQUIRED"
_lock = threading.Lock()
_tokenizers: dict[str, Any] = {}
_clients: dict[tuple, Any] = {}
_DEFAULT_MAX_LENGTH = 8192


def check_served_options(options: dict) -> None:
    """Fail with a clear message when ``base_url`` or ``model`` is unset or still a placeholder."""
    for key in ("model", "base_url"):
        value = options.get(key)
        if not value or str(value).startswith(REQUIRED):
            raise ValueError(
                f"quality backend 'served' needs option {key!r} ("
                + (
                    "the reward server's URL, e.g. http://HOST:8001 from `longwrite serve --reward-model PATH`"
                    if key == "base_url"
                    else "the served reward model: the PATH given to `longwrite serve --reward-model`"
                )
                + f"); got {value!r}. In an RL preset or on the command line set "
                f"reward_options.quality.{key}=..."
            )


def raw_from_probs(probs: Any) -> float:
    """The raw reward from one ``/classify`` result's ``probs`` (asked without activation): the
    logit of a one-label head; for several labels, the last label's logit minus the log-sum-exp
    of the others (as :func:`rewards.quality.classifier.raw_scores`). ValueError if unusable."""
    if not isinstance(probs, list) or not probs or not all(isinstance(x, (int, float)) for x in probs):
        raise ValueError(f"expected a non-empty list of numbers, got {probs!r:.80}")
    if len(probs) == 1:
        return float(probs[0])
    rest = [float(x) for x in probs[:-1]]
    top = max(rest)
    return float(probs[-1]) - (top + math.log(sum(math.exp(x - top) for x in rest)))


def _tokenizer(path: str):
    with _lock:
        if path not in _tokenizers:
            from transformers import AutoTokenizer

            _tokenizers[path] = AutoTokenizer.from_pretrained(path)
        return _tokenizers[path]


def _client(options: dict):
    from rollout.endpoint import EndpointClient

    key = (
        options["base_url"],
        options["model"],
        int(options["concurrency"]),
        float(options["timeout"]),
        int(options["max_retries"]),
        float(options["backoff_base"]),
    )
    with _lock:
        if key not in _clients:
            _clients[key] = EndpointClient(
                options["base_url"],
                options["model"],
                concurrency=int(options["concurrency"]),
                timeout=float(options["timeout"]),
                max_retries=int(options["max_retries"]),
                backoff_base=float(options["backoff_base"]),
            )
        return _clients[key]


def served_scores(batch: Batch, options: dict) -> list[ComponentScore]:
    """Quality in [0, 1] from the served RM for every sample; missing (None) where it fails."""
    from rewards.quality.classifier import build_inputs_info, squash

    check_served_options(options)
    tok = _tokenizer(str(options.get("tokenizer") or options["model"]))
    max_length = int(options["max_length"] or _DEFAULT_MAX_LENGTH)
    out: list[ComponentScore | None] = [None] * len(batch)
    todo: list[int] = []
    inputs: list[list[int]] = []
    cut: dict[int, bool] = {}
    for i, parsed in enumerate(batch.parsed):
        if not parsed.answer.strip():
            out[i] = ComponentScore(0.0, ["quality: empty answer"], {"raw": None})
            continue
        ids, truncated = build_inputs_info(tok, batch.samples[i].prompt, parsed.answer, max_length)
        todo.append(i)
        inputs.append(ids)
        cut[i] = truncated
    size = max(1, int(options["batch_size"]))
    chunks = [list(range(s, min(s + size, len(todo)))) for s in range(0, len(todo), size)]
    bodies = [
        {"model": options["model"], "input": [inputs[k] for k in chunk], "use_activation": False}
        for chunk in chunks
    ]
    results = _client(options).post_many("/classify", bodies) if bodies else []
    for chunk, res in zip(chunks, results, strict=True):
        by_index: dict[int, Any] = {}
        if res.ok:
            data = res.data.get("data") if isinstance(res.data, dict) else None
            if isinstance(data, list):
                by_index = {d.get("index"): d.get("probs") for d in data if isinstance(d, dict)}
        for pos, k in enumerate(chunk):
            i = todo[k]
            if not res.ok:
                why = f"quality: reward server failed ({res.error})"
            elif pos not in by_index:
                why = "quality: reward server reply has no score for this sample"
            else:
                try:
                    raw = raw_from_probs(by_index[pos])
                    if not math.isfinite(raw):
                        raise ValueError(f"non-finite score {raw!r}")
                except ValueError as exc:
                    why = f"quality: reward server score unusable ({exc})"
                else:
                    value = squash(raw, options["squash"], float(options["center"]), float(options["scale"]))
                    out[i] = ComponentScore(value, [], {"raw": raw, "truncated": cut[i]})
                    continue
            log.warning("sample %d: %s", i, why)
            out[i] = ComponentScore(None, [why], {"raw": None})
    return [
        c if c is not None else ComponentScore(None, ["quality: reward server gave no answer"]) for c in out
    ]
