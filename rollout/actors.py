"""A pool of vLLM engines as Ray actors that answers every request exactly once.

:class:`EnginePool` starts ``num_engines`` actors, each holding one :class:`rollout.engine.Engine`
(``num_gpus`` = its tensor-parallel size on GPU clusters; one CPU and no GPU on CPU hosts). It
cuts the requests into chunks, keeps two chunks queued per actor (so an engine never waits for the
driver), reports progress with tqdm and hands each result to ``on_result`` as soon as its chunk
finishes. When an actor dies (node lost, OOM, ``ray.kill``), the pool starts a replacement and
re-queues only the chunks that actor had not returned; results are accepted once per chunk, so
each request is answered exactly once. Sampling seeds are derived per request
(:func:`rollout.engine.request_seed`), so a re-run chunk draws the same way it would have.

Ray: an existing cluster when ``ray_address`` is given (or Ray is already initialised in this
process), otherwise a private local cluster started on demand (random ports, no dashboard,
small object store) that stops with :meth:`EnginePool.shutdown` or the process.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rollout.engine import GenerationRequest, GenerationResult, SamplingSettings
from rollout.model_ref import check_model

__all__ = ["EnginePool"]

log = logging.getLogger(__name__)


class _EngineWorker:
    """The body of one actor: one Engine, built in the actor's process."""

    def __init__(self, model: str, engine_kwargs: dict) -> None:
        # The engine core stays in the actor's process: Ray actors should not spawn engine
        # processes of their own on CPU hosts (setdefault: a user's choice wins).
        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
        from rollout.engine import Engine

        self.engine = Engine(model, **engine_kwargs)

    def ready(self) -> int:
        return os.getpid()

    def generate(
        self, requests: list[GenerationRequest], sampling: SamplingSettings
    ) -> list[GenerationResult]:
        return self.engine.generate(requests, sampling)


@dataclass
class _Chunk:
    index: tuple[int, ...]  # (n,) for a chunk of the split, (n, i) for request i of a rejected one
    requests: list[GenerationRequest]
    runs: int = 0  # how many times it was submitted


@dataclass
class _Slot:
    """One actor position in the pool; the handle is replaced when the actor dies."""

    index: int
    actor: Any
    inflight: list = field(default_factory=list)  # object refs of chunks queued on this actor


class EnginePool:
    """``num_engines`` Ray actors serving ``model`` (see the module docstring).

    ``engine_kwargs`` go to :class:`rollout.engine.Engine` (``max_model_len``,
    ``tensor_parallel_size``, ...). ``max_restarts`` bounds replacements over the pool's life;
    ``chunk_size`` (requests per actor call) defaults to an even split into about four chunks per
    engine, at most 64 requests. The constructor waits until every engine is loaded, so a bad
    model path fails here with the engine's own error.
    """

    def __init__(
        self,
        model: str,
        num_engines: int = 1,
        *,
        ray_address: str | None = None,
        engine_kwargs: dict | None = None,
        max_restarts: int = 4,
        chunk_size: int | None = None,
    ) -> None:
        if num_engines < 1:
            raise ValueError(f"num_engines must be >= 1, got {num_engines}")
        model = str(model)
        check_model(model)  # an existing path or a resolvable hub id (rollout.model_ref)
        import ray

        self.model = model
        self.num_engines = num_engines
        self.engine_kwargs = dict(engine_kwargs or {})
        self.max_restarts = max_restarts
        self.chunk_size = chunk_size
        self.restarts = 0
        self.reruns = 0  # chunk submissions beyond the first (after an actor died)
        self._own_ray = False
        if not ray.is_initialized():
            if ray_address:
                ray.init(address=ray_address, log_to_driver=False)
            else:
                ray.init(
                    num_cpus=max(num_engines, os.cpu_count() or 1),
                    include_dashboard=False,
                    object_store_memory=int(3e8),
                    log_to_driver=False,
                )
                self._own_ray = True
        tp = int(self.engine_kwargs.get("tensor_parallel_size", 1))
        self._gpu = ray.cluster_resources().get("GPU", 0) > 0
        if self._gpu:
            self._options = {"num_gpus": tp, "num_cpus": 1}
            if tp > 1:
                # Inside an actor that owns its GPUs, vLLM's multiprocessing executor uses them
                # directly instead of asking Ray for more.
                kw = dict(self.engine_kwargs.get("llm_kwargs") or {})
                kw.setdefault("distributed_executor_backend", "mp")
                self.engine_kwargs["llm_kwargs"] = kw
        else:
            self._options = {"num_cpus": 1, "num_gpus": 0}
        self._actor_cls = ray.remote(_EngineWorker)
        self.slots = [_Slot(i, self._new_actor()) for i in range(num_engines)]
        try:
            ray.get([s.actor.ready.remote() for s in self.slots])
        except Exception:
            self.shutdown()
            raise

    @property
    def actors(self) -> list:
        """The current actor handles, one per engine (replacements included)."""
        return [s.actor for s in self.slots]

    def _new_actor(self) -> Any:
        return self._actor_cls.options(**self._options).remote(self.model, self.engine_kwargs)

    def _chunks(self, requests: Sequence[GenerationRequest]) -> list[_Chunk]:
        size = self.chunk_size or max(1, min(64, math.ceil(len(requests) / (4 * self.num_engines))))
        return [
            _Chunk((i,), list(requests[s : s + size])) for i, s in enumerate(range(0, len(requests), size))
        ]

    def generate(
        self,
        requests: Sequence[GenerationRequest],
        sampling: SamplingSettings,
        progress: bool | str = True,
        on_result: Callable[[GenerationResult], Any] | None = None,
        on_error: Callable[[GenerationRequest, Exception], Any] | None = None,
    ) -> list[GenerationResult]:
        """Generate ``sampling.n`` samples for every request across the pool; results ordered like
        :meth:`Engine.generate` (by request, then sample). ``on_result`` is called with each result
        as its chunk finishes (e.g. to append it to a file). Raises RuntimeError when actors keep
        dying beyond ``max_restarts``. An engine's own rejection of a request (a ValueError, e.g.
        a prompt too long for the context): with ``on_error`` the rejected chunk is re-run request
        by request, so only the bad requests fail, each reported as ``on_error(request, error)``
        while the rest go on; without it the error is re-raised after the results already
        received were handed to ``on_result``."""
        import ray
        from tqdm.auto import tqdm

        ids = [r.id for r in requests]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate request ids: {sorted({i for i in ids if ids.count(i) > 1})[:5]}")
        if not requests:
            return []
        pending = deque(self._chunks(requests))
        done: dict[tuple[int, ...], list[GenerationResult]] = {}
        owner: dict[Any, tuple[_Slot, _Chunk]] = {}
        bar = tqdm(
            total=len(requests),
            desc=progress if isinstance(progress, str) else "generate",
            disable=not progress,
            unit="req",
        )

        def fill() -> None:
            for slot in self.slots:
                while pending and len(slot.inflight) < 2:
                    chunk = pending.popleft()
                    if chunk.runs:
                        self.reruns += 1
                    chunk.runs += 1
                    ref = slot.actor.generate.remote(chunk.requests, sampling)
                    slot.inflight.append(ref)
                    owner[ref] = (slot, chunk)

        try:
            fill()
            while owner:
                [ref], _ = ray.wait(list(owner), num_returns=1)
                slot, chunk = owner.pop(ref)
                slot.inflight.remove(ref)
                try:
                    results = ray.get(ref)
                except ray.exceptions.RayActorError as exc:
                    pending.appendleft(chunk)
                    self._replace(slot, exc, owner, pending)
                    fill()
                    continue
                except ray.exceptions.RayTaskError as exc:
                    cause = exc.as_instanceof_cause()
                    if on_error is None or not isinstance(cause, ValueError):
                        raise cause from None
                    if len(chunk.requests) > 1:  # find the bad request(s): one by one
                        for i, req in enumerate(chunk.requests):
                            pending.append(_Chunk((*chunk.index, i), [req]))
                    else:
                        on_error(chunk.requests[0], cause)
                        done[chunk.index] = []
                        bar.update(1)
                    fill()
                    continue
                if chunk.index in done:  # cannot happen: a chunk is accepted once
                    continue
                done[chunk.index] = results
                if on_result is not None:
                    for r in results:
                        on_result(r)
                bar.update(len(chunk.requests))
                fill()
        finally:
            bar.close()
        return [r for i in sorted(done) for r in done[i]]

    def _replace(self, slot: _Slot, exc: Exception, owner: dict, pending: deque) -> None:
        """Start a new actor in ``slot``; re-queue every chunk the dead one still held."""
        import ray

        if self.restarts >= self.max_restarts:
            raise RuntimeError(
                f"engine actor {slot.index} died and the pool already restarted {self.restarts} "
                f"time(s) (max_restarts={self.max_restarts}): {exc}"
            ) from exc
        self.restarts += 1
        log.warning("engine actor %d died (%s); starting a replacement", slot.index, type(exc).__name__)
        for ref in list(slot.inflight):
            _, chunk = owner.pop(ref)
            pending.appendleft(chunk)
        slot.inflight.clear()
        with contextlib.suppress(Exception):  # already gone
            ray.kill(slot.actor, no_restart=True)
        slot.actor = self._new_actor()

    def shutdown(self) -> None:
        """Stop the actors, and the local Ray cluster if this pool started it."""
        import ray

        for slot in getattr(self, "slots", []):
            with contextlib.suppress(Exception):
                ray.kill(slot.actor, no_restart=True)
        self.slots = []
        if self._own_ray and ray.is_initialized():
            ray.shutdown()
            self._own_ray = False

    def __enter__(self) -> EnginePool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()
