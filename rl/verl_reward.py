"""verl's custom reward function: our rewards (length, quality, format) behind verl 0.9.1's contract.

How verl calls it (``verl/experimental/reward_loop``): every reward-loop worker (a Ray actor, one
event loop per process) builds a reward manager, by default ``naive``, whose ``run_single``
decodes one response and calls, per sample::

    await compute_score(data_source=..., solution_str=<decoded response>,
                        ground_truth=<row's reward_model.ground_truth>,
                        extra_info=<row's extra_info (+ num_turns, rollout_reward_scores)>,
                        **custom_reward_function.reward_kwargs)

It awaits an async function directly and runs a sync one in a thread. A dict result must carry
``"score"`` (the scalar reward verl trains on); every key of it (``score`` included) becomes
``reward_extra_info``, which verl stacks per key across the batch using the FIRST sample's keys -
so every sample must return the same key set, whatever happened to it.

Config for the trainer (verl overrides; ``reward_kwargs`` is new to verl's tree, hence ``+``)::

    reward.custom_reward_function.path=pkg://rl.verl_reward
    reward.custom_reward_function.name=compute_score
    +reward.custom_reward_function.reward_kwargs.reward_config_json='{"rewards":{"length":1.0},"options":{}}'

``rl.presets.build_plan`` writes that one JSON string (Hydra cannot split a dotted reward name
inside it). ``reward_config`` (inline mapping), ``reward_config_path`` (YAML) and the
``LONGWRITE_REWARD_CONFIG`` environment variable are accepted too; given several, they must agree
(``rl.reward_source``: the trainer mode reads the same sources for the advantage's weights). With
none, the default :class:`rewards.RewardConfig` (length, quality, format; weight 1) applies.

Batching: verl hands over one sample per call but starts all calls of a batch at once in the
worker's event loop. :func:`compute_score` parks each sample for a few milliseconds
(``batch_window_ms``) and scores whatever has gathered with ONE :func:`rewards.score_batch` call
(one batched MiniLM encode) in a single background thread, so the event loop never blocks and
the encoder is never used by two threads at once. The MiniLM model is loaded once per process
(``rewards.embedding`` caches it).

Group-level rewards (registered with ``group=True``: ``pairwise``, ``group_pairwise``) are left
out here: verl hands each finished sample to one of its reward workers (``reward.num_workers``),
so a worker sees fragments of groups. The trainer mode (``rl.trainer``) scores them once per step
over whole groups and adds their keys (value, ``_missing``, ``_judge_calls``) to each sample's
reward info; ``score`` is the weighted total of the per-sample rewards only.

Result keys (fixed for a given reward config; :func:`result_keys` lists them):

* ``score``: the weighted total in [0, 1] (``RewardBreakdown.total``);
* one key per configured per-sample reward (``length``, ``quality``, ``format``, a dotted path
  such as ``my_pkg.my_mod:my_fn`` exactly as configured, ...): its value in [0, 1],
  or **NaN when missing** (e.g. a judge endpoint that failed), since verl needs numbers there;
  ``rl.advantage.compute_advantage`` treats NaN as missing;
* ``<name>_missing``: 1.0 when that component is missing, else 0.0 (for counting and logging);
* ``<name>_judge_calls`` (judge-backed rewards in :data:`JUDGE_COUNTED`): the judge calls made
  for the sample (the trainer mode logs their sum per step);
* ``<name>_cut_chars``: the characters of the sample's text that reward did not read (a judge
  shown an answer's head and tail only, MiniLM reading 256 word pieces of a paragraph; 0 when it
  read everything), NaN when the reward records no cuts (length and format read everything). The
  trainer mode logs the share of cut samples as ``longwriter/reward/<name>/cut_ratio``;
* ``checklist_criteria`` / ``_hard_violated`` / ``_vetoed`` / ``_prompt_tokens`` /
  ``_completion_tokens`` (numbers) and ``checklist_scores`` (criterion name -> 1-10 score as a
  JSON string) with the ``checklist`` reward (:data:`DETAIL_KEYS`);
* ``answer_len`` / ``think_len``: lengths of the answer and the plan in
  :func:`rollout.text.count_words` units (English words + CJK characters), as floats;
* ``target_lower`` / ``target_upper``: the target range used (NaN without a target);
* ``well_formed``: 1.0 when the response is ``<think>..</think><answer>..</answer>`` exactly;
* ``reasons``: the breakdown's reasons joined with ``"; "`` - the one string-valued key (verl's
  validation metrics skip strings; generation dumps keep it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = [
    "ENV_CONFIG",
    "compute_score",
    "compute_score_sync",
    "compute_score_batch",
    "resolve_config",
    "result_keys",
    "build_sample",
    "to_result",
    "process_stats",
]

log = logging.getLogger(__name__)

ENV_CONFIG = "LONGWRITE_REWARD_CONFIG"  # rl.reward_source.ENV_CONFIG
MISSING = float("nan")
#: Judge-backed rewards whose per-sample judge calls are returned as ``<name>_judge_calls``.
JUDGE_COUNTED = ("pairwise", "group_pairwise", "checklist")
#: Per-sample details a reward returns as ``<name>_<key>`` (fixed keys; ``scores`` is a JSON string).
DETAIL_KEYS: dict[str, tuple[str, ...]] = {
    "checklist": ("criteria", "hard_violated", "vetoed", "prompt_tokens", "completion_tokens", "scores")
}

# One scoring thread per process: batches queue behind each other instead of fighting for the
# CPU cores and the encoder.
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_batchers: dict[int, _Batcher] = {}


# ---------------------------------------------------------------------------------------------
# Config
# ---------------------------------------------------------------------------------------------


def resolve_config(
    reward_config: Any = None,
    reward_config_path: str | os.PathLike | None = None,
    reward_config_json: str | None = None,
):
    """The :class:`rewards.RewardConfig` to score with: :func:`rl.reward_source.resolve`.

    ``reward_config_json`` (what ``rl.presets`` writes), ``reward_config`` (a RewardConfig, a
    mapping or a YAML path), ``reward_config_path`` and the ``LONGWRITE_REWARD_CONFIG``
    environment variable are all sources of ONE config: several may be given only when they
    agree (the trainer mode reads the same sources, so reward and advantage cannot differ).
    """
    from rl.reward_source import resolve

    return resolve(reward_config, reward_config_path, reward_config_json)


def per_sample_config(config: Any):
    """``config``'s per-sample rewards (a :class:`rewards.RewardConfig`), or None when every
    configured reward is group-level (:func:`rewards.base.split_by_scope`): what verl's reward
    workers score. Group-level rewards are scored by the trainer mode (``rl.trainer``)."""
    from rewards.base import split_by_scope

    return split_by_scope(config)[0]


def result_keys(config: Any = None) -> list[str]:
    """The keys every result of :func:`compute_score` has under ``config`` (see the module doc):
    those of its per-sample rewards; group-level rewards are left out (the trainer adds them)."""
    config = resolve_config(config)
    keys = ["score"]
    config = per_sample_config(config)
    if config is None:
        return keys + ["answer_len", "think_len", "target_lower", "target_upper", "well_formed", "reasons"]
    keys += list(config.rewards)
    keys += [f"{name}_missing" for name in config.rewards]
    keys += [f"{name}_judge_calls" for name in config.rewards if name in JUDGE_COUNTED]
    keys += [f"{name}_cut_chars" for name in config.rewards]
    keys += [f"{name}_{key}" for name in config.rewards for key in DETAIL_KEYS.get(name, ())]
    keys += ["answer_len", "think_len", "target_lower", "target_upper", "well_formed", "reasons"]
    return keys


# ---------------------------------------------------------------------------------------------
# Sample in, result out
# ---------------------------------------------------------------------------------------------


def _present(target: Mapping[str, Any]) -> bool:
    """True when a target mapping carries any value (parquet writes an absent struct as all-None)."""
    return any(v is not None for v in target.values())


def _where(info: Mapping[str, Any]) -> str:
    """``id=..., request '...'``: enough of a row to find it in the data."""
    request = info.get("request")
    head = request[:80] + ("..." if len(request) > 80 else "") if isinstance(request, str) else request
    return f"id={info.get('id')!r}, request {head!r}"


def _target_from(ground_truth: Any, extra_info: Mapping[str, Any]) -> dict | None:
    """The row's target range: ``extra_info["target"]``, else the JSON in ``ground_truth``.

    Absent (None, ``""``, JSON ``null``, an all-null struct) gives None. A target that is present
    is returned as it is, for the length reward to validate (an invalid one is a
    :class:`rewards.RewardError` there). A ``ground_truth`` that is present but not a JSON object
    (or null) is a data bug: :class:`rewards.RewardError` naming the row, never "no target".
    """
    from rewards.base import RewardError

    target = extra_info.get("target")
    if isinstance(target, Mapping) and _present(target):
        return dict(target)
    if target is not None and not isinstance(target, Mapping):
        raise RewardError(f"row {_where(extra_info)}: extra_info.target is not an object: {target!r}")
    if isinstance(ground_truth, Mapping):
        return dict(ground_truth) if _present(ground_truth) else None
    if isinstance(ground_truth, bytes):
        try:
            ground_truth = ground_truth.decode("utf-8")
        except UnicodeDecodeError as exc:  # our data, not model output: never repaired
            raise RewardError(f"row {_where(extra_info)}: ground_truth is not UTF-8 ({exc})") from None
    if ground_truth is None or (isinstance(ground_truth, str) and not ground_truth.strip()):
        return None
    try:
        parsed = json.loads(ground_truth) if isinstance(ground_truth, str) else ground_truth
    except json.JSONDecodeError as exc:
        raise RewardError(
            f"row {_where(extra_info)}: reward_model.ground_truth is not JSON ({exc.msg}): "
            f"{str(ground_truth)[:120]!r}"
        ) from None
    if parsed is None:
        return None
    if not isinstance(parsed, Mapping):
        raise RewardError(
            f"row {_where(extra_info)}: reward_model.ground_truth must be a JSON object "
            f"{{lower, upper, unit, source}} or null, got {str(ground_truth)[:120]!r}"
        )
    return dict(parsed) if _present(parsed) else None


def build_sample(solution_str: Any, ground_truth: Any = None, extra_info: Mapping[str, Any] | None = None):
    """A :class:`rewards.RewardSample` from what verl passes.

    The request text comes from ``extra_info["request"]`` (verl does not pass the prompt; rows
    from :func:`rl.prepare.prepare_rl_data` carry it), the target from ``extra_info["target"]`` or
    the JSON ``ground_truth``, plus the row's id, language and reference answers (``references``,
    weaker -> stronger, for the ``pairwise`` reward). A row without a non-empty
    ``extra_info["request"]`` or with a malformed ``ground_truth`` is a data bug: a
    :class:`rewards.RewardError` naming the row (never a sample scored against an empty request).
    An absent target stays absent; the length reward then refuses the sample, naming it.
    """
    from rewards import RewardSample
    from rewards.base import RewardError

    info = extra_info if isinstance(extra_info, Mapping) else {}
    request = info.get("request")
    if not isinstance(request, str) or not request.strip():
        raise RewardError(
            f"row {_where(info)}: extra_info has no request text (extra_info['request']); every "
            "reward reads the request, and `longwrite prepare-rl` writes it into each row"
        )
    metadata: dict[str, Any] = {}
    target = _target_from(ground_truth, info)
    if target is not None:
        metadata["target"] = target
    for key in ("id", "language"):
        if info.get(key) is not None:
            metadata[key] = info[key]
    checklist = info.get("checklist")
    if isinstance(checklist, str) and checklist.strip():
        metadata["checklist"] = checklist  # the checklist reward reads (and validates) it
    references = info.get("references")
    if hasattr(references, "__iter__") and not isinstance(references, (str, bytes, Mapping)):
        # parquet hands a numpy array; the pairwise reward reads a plain list of strings (a row
        # without usable references is scored missing by it, with the reason)
        metadata["references"] = [str(r) for r in list(references)]
    response = (
        solution_str if isinstance(solution_str, str) else ("" if solution_str is None else solution_str)
    )
    return RewardSample(prompt=request, response=response, metadata=metadata)


def _number(value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return MISSING
    return v if math.isfinite(v) else MISSING


def to_result(breakdown: Any, config: Any, sample: Any) -> dict[str, Any]:
    """The dict verl receives for one scored sample (keys: :func:`result_keys`)."""
    from rollout.format import parse_response

    result: dict[str, Any] = {"score": float(breakdown.total)}
    for name in config.rewards:
        value = breakdown.components.get(name)
        result[name] = MISSING if value is None else _number(value)
    for name in config.rewards:
        result[f"{name}_missing"] = 1.0 if math.isnan(result[name]) else 0.0
    for name in config.rewards:
        if name in JUDGE_COUNTED:
            result[f"{name}_judge_calls"] = float(breakdown.details.get(f"{name}.judge_calls", 0))
    for name in config.rewards:  # NaN: the reward records no cuts (see the module doc)
        result[f"{name}_cut_chars"] = _number(breakdown.details.get(f"{name}.cut_chars"))
    for name in config.rewards:
        for key in DETAIL_KEYS.get(name, ()):
            value = breakdown.details.get(f"{name}.{key}")
            if key == "scores":  # criterion name -> 1-10, a JSON string ("{}" when not judged)
                result[f"{name}_{key}"] = value if isinstance(value, str) else "{}"
            else:
                result[f"{name}_{key}"] = _number(value)
    result["answer_len"] = float(breakdown.answer_len)
    result["think_len"] = float(breakdown.think_len)
    target = sample.metadata.get("target") or {}
    result["target_lower"] = _number(target.get("lower")) if target else MISSING
    result["target_upper"] = _number(target.get("upper")) if target else MISSING
    result["well_formed"] = 1.0 if parse_response(sample.response).well_formed else 0.0
    result["reasons"] = "; ".join(breakdown.reasons)
    return result


def _score(samples: Sequence[Any], config: Any) -> list[dict[str, Any]]:
    """The results of ``samples`` under ``config``'s per-sample rewards (group-level ones are left
    out: see :func:`per_sample_config`)."""
    from rewards import score_batch
    from rewards.base import Batch, RewardBreakdown

    per_sample = per_sample_config(config)
    if per_sample is not None:
        breakdowns = score_batch(samples, per_sample)
    else:  # every reward is group-level: lengths only, the trainer mode scores the rest
        batch = Batch(samples)
        reason = "total: no per-sample reward configured (group-level rewards are scored by the trainer)"
        breakdowns = [
            RewardBreakdown(0.0, {}, [reason], batch.answer_lens[i], batch.think_lens[i])
            for i in range(len(batch))
        ]
        per_sample = _EmptyConfig()
    return [to_result(b, per_sample, s) for b, s in zip(breakdowns, samples, strict=True)]


class _EmptyConfig:
    """Stands in for a config with no per-sample reward in :func:`to_result`."""

    rewards: dict[str, float] = {}


# ---------------------------------------------------------------------------------------------
# Batching across concurrent calls
# ---------------------------------------------------------------------------------------------


def _get_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="longwrite-reward")
        return _executor


class _Batcher:
    """Collects the samples of concurrent calls in one event loop and scores them together.

    One consumer task per loop takes batches in turn: it waits up to ``window_s`` for more
    samples (less once ``max_size`` are waiting), scores the batch, and repeats while samples
    are waiting. Samples that arrive while a batch is being scored (verl's streaming reward path
    sends them as rollouts finish) therefore join the next batch instead of queueing one by one.
    ``batches`` records each batch's size (tests and logging).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, window_s: float, max_size: int):
        self.loop = loop
        self.window_s = window_s
        self.max_size = max(1, int(max_size))
        self.pending: list[tuple[Any, Any, asyncio.Future]] = []
        self.full = asyncio.Event()
        self.consumer: asyncio.Task | None = None
        self.batches: list[int] = []

    def submit(self, sample: Any, config: Any) -> asyncio.Future:
        fut = self.loop.create_future()
        self.pending.append((sample, config, fut))
        if len(self.pending) >= self.max_size:
            self.full.set()
        if self.consumer is None or self.consumer.done():
            self.consumer = self.loop.create_task(self._consume())
        return fut

    async def _consume(self) -> None:
        while self.pending:
            if len(self.pending) < self.max_size:
                self.full.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.full.wait(), self.window_s)
            batch, self.pending = self.pending[: self.max_size], self.pending[self.max_size :]
            self.batches.append(len(batch))
            await self._run(batch)

    async def _run(self, batch: list[tuple[Any, Any, asyncio.Future]]) -> None:
        groups: dict[int, list[tuple[Any, Any, asyncio.Future]]] = {}
        for item in batch:  # samples under different configs are scored separately
            groups.setdefault(id(item[1]), []).append(item)
        for items in groups.values():
            samples = [s for s, _, _ in items]
            try:
                results = await self.loop.run_in_executor(_get_executor(), _score, samples, items[0][1])
            except Exception as exc:  # an environment failure (e.g. the encoder): every caller sees it
                for _, _, fut in items:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            for (_, _, fut), result in zip(items, results, strict=True):
                if not fut.done():
                    fut.set_result(result)


def _batcher(window_s: float, max_size: int) -> _Batcher:
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(id(loop))
    if batcher is None or batcher.loop is not loop:
        batcher = _batchers[id(loop)] = _Batcher(loop, window_s, max_size)
    batcher.window_s, batcher.max_size = window_s, max(1, int(max_size))
    return batcher


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


async def compute_score(
    data_source: str | None = None,
    solution_str: str | None = None,
    ground_truth: Any = None,
    extra_info: Mapping[str, Any] | None = None,
    *,
    reward_config: Any = None,
    reward_config_path: str | None = None,
    reward_config_json: str | None = None,
    batch_window_ms: float = 20.0,
    max_batch_size: int = 64,
    **_verl_extras: Any,
) -> dict[str, Any]:
    """Score one decoded response for verl (async); returns ``{"score": total, ...}``.

    ``data_source`` is accepted and unused (every row of ours is a writing request).
    ``solution_str`` is the decoded response (plan + answer); ``ground_truth`` / ``extra_info``
    are the row's (see :func:`build_sample`). ``reward_config`` / ``reward_config_path`` come
    / ``reward_config_json`` come from ``custom_reward_function.reward_kwargs`` (see
    :func:`resolve_config`).
    Concurrent calls in one event loop are scored together (``batch_window_ms``,
    ``max_batch_size``). Bad model output never raises; it scores low with reasons. Other
    keyword arguments verl may add (``reward_router_address``, ...) are ignored.
    """
    config = resolve_config(reward_config, reward_config_path, reward_config_json)
    sample = build_sample(solution_str, ground_truth, extra_info)
    return await _batcher(batch_window_ms / 1000.0, max_batch_size).submit(sample, config)


def compute_score_sync(
    data_source: str | None = None,
    solution_str: str | None = None,
    ground_truth: Any = None,
    extra_info: Mapping[str, Any] | None = None,
    *,
    reward_config: Any = None,
    reward_config_path: str | None = None,
    reward_config_json: str | None = None,
    **_verl_extras: Any,
) -> dict[str, Any]:
    """The same result as :func:`compute_score`, computed synchronously for one sample.

    For reward managers that call a plain function (verl runs it in a thread pool).
    """
    config = resolve_config(reward_config, reward_config_path, reward_config_json)
    return _score([build_sample(solution_str, ground_truth, extra_info)], config)[0]


def compute_score_batch(
    data_sources: Sequence[str] | None = None,
    solution_strs: Sequence[str] = (),
    ground_truths: Sequence[Any] | None = None,
    extra_infos: Sequence[Mapping[str, Any] | None] | None = None,
    *,
    reward_config: Any = None,
    reward_config_path: str | None = None,
    reward_config_json: str | None = None,
    **_verl_extras: Any,
) -> list[dict[str, Any]]:
    """One result per response, scored as one batch: the contract of verl's ``batch`` reward
    manager (``compute_score(data_sources, solution_strs, ground_truths, extra_infos, **kw)``).
    Like :func:`compute_score`, it scores the per-sample rewards only: group-level ones are the
    trainer mode's (``rl.trainer.score_group_rewards``), so no reward is scored twice.
    """
    config = resolve_config(reward_config, reward_config_path, reward_config_json)
    n = len(solution_strs)
    ground_truths = list(ground_truths) if ground_truths is not None else [None] * n
    extra_infos = list(extra_infos) if extra_infos is not None else [None] * n
    if not len(ground_truths) == len(extra_infos) == n:
        raise ValueError(
            f"compute_score_batch got {n} responses, {len(ground_truths)} ground truths and "
            f"{len(extra_infos)} extra_infos; they must match"
        )
    samples = [
        build_sample(s, g, e) for s, g, e in zip(solution_strs, ground_truths, extra_infos, strict=True)
    ]
    return _score(samples, config) if samples else []


def process_stats(_actor: Any = None) -> dict[str, Any]:
    """This process's reward state: pid, the sizes of the batches scored so far (per event loop)
    and the ids of the loaded MiniLM encoders. For logging and for checking, inside a Ray reward
    worker (``actor.__ray_call__.remote(process_stats)``), that the encoder loaded once and that
    concurrent calls were batched.
    """
    from rewards import embedding

    models = getattr(embedding, "_models", {})
    return {
        "pid": os.getpid(),
        "batch_sizes": [size for b in _batchers.values() for size in b.batches],
        "encoders": [id(m) for m in models.values()],
    }
