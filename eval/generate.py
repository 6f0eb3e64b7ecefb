"""Predictions for an evaluation: one model answers every request, resumably.

Two backends, one record format, so a local checkpoint and an API model are scored alike:

* :class:`CheckpointBackend` - a local checkpoint through the rollout engine (vLLM, GPU or CPU
  build): one in-process :class:`rollout.engine.Engine`, or a Ray :class:`rollout.actors.EnginePool`
  for several engines;
* :class:`EndpointBackend` - any OpenAI-compatible endpoint through
  :class:`rollout.endpoint.EndpointClient` (its response cache makes interrupted runs free to redo).

:func:`predict` appends one JSON line per finished item to ``predictions.jsonl`` as results come
in and skips items already there, so an interrupted run resumes without repeating finished work.
With the plan-then-write template only the answer is scored; the plan is stored beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eval.data import EvalItem
from rollout.format import TEMPLATES, chat_messages, parse_response
from rollout.jsonl import append_records, latest_by_key
from rollout.text import count_words

__all__ = [
    "GenerationSettings",
    "CheckpointBackend",
    "EndpointBackend",
    "prediction_record",
    "generation_cuts",
    "JsonlAppender",
    "predict",
]

OnResult = Callable[[dict], None]
# What a prediction's length and judgement are taken from (see GenerationSettings.measure).
MEASURES = ("answer", "response")


@dataclass(frozen=True)
class GenerationSettings:
    """How answers are drawn; stored with every prediction and in the run's metadata.

    Defaults follow LongBench-Write's own generation (temperature 0.5, top-p 0.8, up to 32768
    new tokens); ``max_tokens`` counts tokens. ``measure`` says what is measured and judged:
    ``answer`` (the ``<answer>`` part, or the whole text when it has no tags) or ``response``
    (the whole response, plan included, as the official LongBench-Write scripts do).
    """

    template: str = "plan_write"
    style: str = "chat"
    max_tokens: int = 32768
    temperature: float = 0.5
    top_p: float = 0.8
    seed: int = 0
    measure: str = "answer"

    def __post_init__(self) -> None:
        if self.template not in TEMPLATES:
            raise ValueError(f"unknown template {self.template!r}; choose one of {', '.join(TEMPLATES)}")
        if self.measure not in MEASURES:
            raise ValueError(f"unknown measure {self.measure!r}; choose one of {', '.join(MEASURES)}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable fields."""
        return asdict(self)


def prediction_record(
    item: EvalItem,
    response: str | None,
    settings: GenerationSettings,
    *,
    finish_reason: str | None = None,
    completion_tokens: int | None = None,
    seconds: float | None = None,
    error: str | None = None,
    max_tokens: int | None = None,
) -> dict[str, Any]:
    """The stored prediction of one item: full response, plan, answer and their lengths.

    ``answer_len`` / ``plan_len`` are in words (English) / CJK characters. With
    ``settings.measure == "response"`` the scored ``answer`` is the whole response (plan
    included). ``max_tokens`` is the completion budget the item really had (tokens; below
    ``settings.max_tokens`` when the engine's context cut it). ``error`` is set (and the text
    fields empty) when no response could be obtained; such items are retried on resume.
    """
    rec: dict[str, Any] = {**item.to_dict(), "settings": settings.to_dict()}
    if error is not None or response is None:
        rec.update(error=error or "no response", response=None, plan="", answer="", answer_len=None)
        return rec
    parsed = parse_response(response)
    plan = parsed.think if settings.template == "plan_write" else ""
    answer = response if settings.measure == "response" else parsed.answer
    rec.update(
        error=None,
        response=response,
        plan=plan,
        answer=answer,
        answer_len=count_words(answer),
        plan_len=count_words(plan),
        well_formed=parsed.well_formed,
        problems=list(parsed.problems),
        finish_reason=finish_reason,
        completion_tokens=completion_tokens,
        seconds=seconds,
        max_tokens=settings.max_tokens if max_tokens is None else max_tokens,
    )
    return rec


def generation_cuts(predictions: Sequence[dict], settings: GenerationSettings) -> dict[str, Any] | None:
    """Run metadata for items whose completion budget was cut below ``settings.max_tokens``
    (the engine's context could not hold prompt + max_tokens), or None when none was:
    ``{"max_tokens", "items", "min_effective", "ids"}`` (tokens; the first 20 ids)."""
    cut = [
        p
        for p in predictions
        if p.get("error") is None
        and isinstance(p.get("max_tokens"), int)
        and p["max_tokens"] < settings.max_tokens
    ]
    if not cut:
        return None
    return {
        "max_tokens": settings.max_tokens,
        "items": len(cut),
        "min_effective": min(p["max_tokens"] for p in cut),
        "ids": [p["id"] for p in cut],
    }


class EndpointBackend:
    """Answers from an OpenAI-compatible endpoint (:class:`rollout.endpoint.EndpointClient`)."""

    def __init__(self, client: Any, chunk_size: int | None = None) -> None:
        self.client = client
        # Results are persisted per chunk; the client's cache covers a chunk cut short.
        self.chunk_size = chunk_size or max(8, 4 * int(getattr(client, "concurrency", 8)))

    def describe(self) -> dict[str, Any]:
        """Run metadata: backend kind, endpoint and model name."""
        return {"backend": "endpoint", "endpoint": self.client.base_url, "model": self.client.model}

    def generate(
        self,
        items: Sequence[EvalItem],
        settings: GenerationSettings,
        on_result: OnResult,
        progress: bool = True,
    ) -> None:
        """Answer ``items``, calling ``on_result(record)`` for each as its chunk finishes."""
        from tqdm.auto import tqdm

        from rollout.endpoint import ChatRequest

        params = {
            "max_tokens": settings.max_tokens,
            "temperature": settings.temperature,
            "top_p": settings.top_p,
            "seed": settings.seed,
        }
        with tqdm(total=len(items), desc="generate", unit="item", disable=not progress) as bar:
            for start in range(0, len(items), self.chunk_size):
                chunk = items[start : start + self.chunk_size]
                requests = [
                    ChatRequest(
                        messages=chat_messages(it.prompt, settings.template, it.language),
                        params=dict(params),
                        id=it.id,
                    )
                    for it in chunk
                ]
                for it, res in zip(chunk, self.client.run(requests), strict=True):
                    on_result(
                        prediction_record(
                            it,
                            res.text,
                            settings,
                            finish_reason=res.finish_reason,
                            completion_tokens=(res.usage or {}).get("completion_tokens"),
                            seconds=res.latency_s,
                            error=None if res.error is None else f"endpoint error: {res.error}",
                        )
                    )
                    bar.update(1)


class CheckpointBackend:
    """Answers from a local checkpoint through the rollout engine (vLLM).

    ``num_engines == 1`` without ``ray_address`` runs one in-process
    :class:`rollout.engine.Engine`; otherwise a Ray :class:`rollout.actors.EnginePool`.
    ``engine_kwargs`` go to the engine (max_model_len, dtype, tensor_parallel_size, ...).
    ``engine`` reuses an already started :class:`rollout.engine.Engine` on ``model`` (e.g. one a
    training process or a test session holds) instead of starting another.
    """

    def __init__(
        self,
        model: str,
        *,
        num_engines: int = 1,
        ray_address: str | None = None,
        engine_kwargs: dict | None = None,
        chunk_size: int = 32,
        engine: Any = None,
    ) -> None:
        self.model = str(model)
        self.num_engines = num_engines
        self.ray_address = ray_address
        self.engine_kwargs = dict(engine_kwargs or {})
        self.chunk_size = chunk_size
        self._engine: Any = engine

    def describe(self) -> dict[str, Any]:
        """Run metadata: backend kind, checkpoint path and engine settings (``max_model_len``
        absent: the model's own limit)."""
        return {
            "backend": "checkpoint",
            "model": self.model,
            "num_engines": self.num_engines,
            "engine": self.engine_kwargs,
        }

    def _sampling(self, settings: GenerationSettings) -> Any:
        from rollout.engine import SamplingSettings

        return SamplingSettings(
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
            top_p=settings.top_p,
            n=1,
            seed=settings.seed,
        )

    def _record(self, item: EvalItem, res: Any, settings: GenerationSettings) -> dict:
        return prediction_record(
            item,
            res.text,
            settings,
            finish_reason=res.finish_reason,
            completion_tokens=res.completion_tokens,
            seconds=res.seconds,
            max_tokens=res.max_tokens,
        )

    def generate(
        self,
        items: Sequence[EvalItem],
        settings: GenerationSettings,
        on_result: OnResult,
        progress: bool = True,
    ) -> None:
        """Answer ``items``, calling ``on_result(record)`` as results arrive (per chunk in-process)."""
        from rollout.engine import GenerationRequest

        by_id = {it.id: it for it in items}
        requests = [
            GenerationRequest(id=it.id, prompt=it.prompt, template=settings.template, style=settings.style)
            for it in items
        ]
        sampling = self._sampling(settings)
        if self.num_engines == 1 and not self.ray_address:
            from tqdm.auto import tqdm

            from rollout.engine import Engine

            if self._engine is None:
                self._engine = Engine(self.model, seed=settings.seed, **self.engine_kwargs)
            with tqdm(total=len(items), desc="generate", unit="item", disable=not progress) as bar:
                for start in range(0, len(requests), self.chunk_size):
                    for rec in self._generate_chunk(
                        requests[start : start + self.chunk_size], sampling, by_id, settings
                    ):
                        on_result(rec)
                        bar.update(1)
            return
        from rollout.actors import EnginePool

        pool = EnginePool(
            self.model, self.num_engines, ray_address=self.ray_address, engine_kwargs=self.engine_kwargs
        )
        try:
            pool.generate(
                requests,
                sampling,
                progress=progress,
                on_result=lambda res: on_result(self._record(by_id[res.id], res, settings)),
                # As in-process: a request the engine rejects fails alone, with its reason.
                on_error=lambda req, exc: on_result(
                    prediction_record(by_id[req.id], None, settings, error=f"engine error: {exc}")
                ),
            )
        finally:
            pool.shutdown()

    def _generate_chunk(
        self, chunk: list, sampling: Any, by_id: dict, settings: GenerationSettings
    ) -> list[dict]:
        """Generate one chunk; if the engine rejects it (a prompt too long for the context, say),
        retry item by item so only the bad items fail, each with the engine's reason."""
        try:
            return [self._record(by_id[r.id], r, settings) for r in self._engine.generate(chunk, sampling)]
        except ValueError:
            pass
        out = []
        for req in chunk:
            try:
                out += [
                    self._record(by_id[r.id], r, settings) for r in self._engine.generate([req], sampling)
                ]
            except ValueError as exc:
                out.append(prediction_record(by_id[req.id], None, settings, error=f"engine error: {exc}"))
        return out

    def close(self) -> None:
        """Free the in-process engine (if any)."""
        self._engine = None


class JsonlAppender:
    """Appends JSON lines to ``path``, one locked single ``write`` per record
    (:func:`rollout.jsonl.append_records`), so a kill loses at most the record being written, and
    a torn last line left by an earlier kill is cut before the first new record."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, rec: dict) -> None:
        append_records(self.path, [rec])

    def close(self) -> None:
        """Nothing stays open between records; kept so callers can close symmetrically."""


def predict(
    items: Sequence[EvalItem],
    backend: Any,
    settings: GenerationSettings,
    path: str | Path,
    *,
    progress: bool = True,
) -> list[dict]:
    """Predictions for ``items`` in ``path`` (jsonl), generating only what is missing.

    Items already stored without error are skipped; failed ones are tried again. Returns one
    record per item, in ``items`` order (failed ones carry ``error``).
    """
    path = Path(path)
    done = {k: v for k, v in latest_by_key(path).items() if v.get("error") is None}
    todo = [it for it in items if it.id not in done]
    if todo:
        out = JsonlAppender(path)
        try:

            def keep(rec: dict) -> None:
                out(rec)
                done_or_failed[rec["id"]] = rec

            done_or_failed: dict[str, dict] = {}
            backend.generate(todo, settings, keep, progress=progress)
        finally:
            out.close()
        done.update(done_or_failed)
    missing = [it.id for it in items if it.id not in done]
    if missing:
        raise RuntimeError(f"the backend returned no result for {len(missing)} item(s), e.g. {missing[:3]}")
    return [done[it.id] for it in items]
