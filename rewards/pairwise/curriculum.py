"""The adaptive reference curriculum of the ``pairwise`` reward: one level per prompt, shared.

Each prompt starts at level 0 (its weakest reference answer). After the pairwise judge has
compared a whole group of rollouts of a prompt with the reference at the prompt's current level
(the trainer mode scores the ``pairwise`` reward once per step over whole groups), the reward
:meth:`report` s ``(prompt_id, wins, total, level, n_refs)``: ``wins`` is the policy's summed
outcome (win 1, tie 0.5, loss 0) over ``total`` judged rollouts (missing judgements are not
counted). The store adds the report to the prompt's tally at that level; once the tally holds at
least ``min_samples`` judgements it decides: the prompt **advances** to the next reference when
``wins / total >= threshold`` (never past the last reference, ``n_refs - 1``), and the tally
starts afresh either way. A report made at a level the prompt has already left is ignored (and
counted as ``stale_reports``), so two processes that judged the same group cannot advance it twice.

Where the levels live: every reward process of a Ray job must see the same levels, so with Ray
running they live in ONE named Ray actor (:data:`ACTOR_NAME`, created on first use with
``get_if_exists``; Ray runs its methods one at a time, so reports never race). Named actors are
scoped to the job's Ray namespace, so two jobs on one cluster do not share levels. Without Ray
(unit use, ``longwrite rm score``) an in-process :class:`CurriculumStore` with the same interface
stands in. :func:`get_curriculum` returns whichever applies.

:meth:`CurriculumStore.state` / :meth:`CurriculumStore.load` are plain JSON data: the trainer mode
writes them to ``<checkpoint>/global_step_N/`` :data:`STATE_FILE` at each save and loads them
on resume. :meth:`CurriculumStore.step_metrics` gives the per-step log values (mean level over
the prompts seen, advances since the previous call).
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

__all__ = [
    "ACTOR_NAME",
    "STATE_FILE",
    "STATE_VERSION",
    "CurriculumStore",
    "get_curriculum",
    "save_state",
    "load_state",
]

log = logging.getLogger(__name__)

ACTOR_NAME = "longwriter_curriculum"
STATE_FILE = "longwriter_curriculum.json"
STATE_VERSION = 1


class CurriculumStore:
    """Per-prompt reference levels with the advance rule of the module doc (thread-safe).

    ``threshold`` is the policy's win share (in [0, 1]) at which a prompt advances;
    ``min_samples`` the number of judged rollouts a decision needs (e.g. the GRPO group size, so
    a group split across reward batches is decided once, on all of it).
    """

    def __init__(self, threshold: float = 0.5, min_samples: int = 1):
        if not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"curriculum threshold must be in [0, 1], got {threshold!r}")
        if int(min_samples) < 1:
            raise ValueError(f"curriculum min_samples must be >= 1, got {min_samples!r}")
        self.threshold = float(threshold)
        self.min_samples = int(min_samples)
        self._levels: dict[str, int] = {}
        self._tally: dict[str, list[float]] = {}  # prompt -> [wins, total] at the current level
        self._advances_total = 0
        self._advances_step = 0
        self._stale = 0
        self._report_sizes: list[int] = []  # ``total`` of each report since the last step_metrics
        self._skipped_step = 0
        self._lock = threading.Lock()

    def configure(self, threshold: float, min_samples: int) -> None:
        """Set the advance rule (the reward's options; the latest caller's values apply)."""
        if not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"curriculum threshold must be in [0, 1], got {threshold!r}")
        with self._lock:
            self.threshold, self.min_samples = float(threshold), max(1, int(min_samples))

    def get_levels(self, prompt_ids: list[str]) -> dict[str, int]:
        """The current level (0-based reference index) of each prompt; unseen prompts are at 0."""
        with self._lock:
            return {str(p): self._levels.get(str(p), 0) for p in prompt_ids}

    def report(self, prompt_id: str, wins: float, total: int, level: int, n_refs: int) -> bool:
        """Add ``wins`` out of ``total`` judged at ``level`` for ``prompt_id``; True if it advanced."""
        pid = str(prompt_id)
        if total <= 0:
            return False
        if not 0 <= wins <= total:
            raise ValueError(f"curriculum report for {pid!r}: wins {wins} not in [0, total={total}]")
        with self._lock:
            self._report_sizes.append(int(total))
            current = self._levels.get(pid, 0)
            if int(level) != current:
                self._stale += 1
                return False
            tally = self._tally.setdefault(pid, [0.0, 0.0])
            tally[0] += float(wins)
            tally[1] += float(total)
            if tally[1] < self.min_samples:
                return False
            share = tally[0] / tally[1]
            del self._tally[pid]
            advanced = share >= self.threshold and current < int(n_refs) - 1
            if advanced:
                self._levels[pid] = current + 1
                self._advances_total += 1
                self._advances_step += 1
            else:
                self._levels.setdefault(pid, current)
            return advanced

    def skip(self, prompt_id: str, missing: int) -> None:
        """Count a group that was not reported because ``missing`` of its answers have no
        judgement (its level and tally stay as they are)."""
        log.info("curriculum: prompt %r skipped (%d answers without a judgement)", str(prompt_id), missing)
        with self._lock:
            self._skipped_step += 1

    def step_metrics(self) -> dict[str, float]:
        """Mean level over the prompts seen, advances since the last call (then reset), totals,
        and this step's reports: how many (``reports``), the fewest and most rollouts one covered
        (``report_size_min`` / ``report_size_max``, whole groups: both equal the group size) and
        the groups skipped for missing judgements (``groups_skipped``)."""
        with self._lock:
            levels = list(self._levels.values())
            sizes = self._report_sizes
            out = {
                "mean_level": sum(levels) / len(levels) if levels else 0.0,
                "max_level": float(max(levels)) if levels else 0.0,
                "prompts": float(len(levels)),
                "advances": float(self._advances_step),
                "advances_total": float(self._advances_total),
                "stale_reports": float(self._stale),
                "reports": float(len(sizes)),
                "groups_skipped": float(self._skipped_step),
            }
            if sizes:
                out["report_size_min"] = float(min(sizes))
                out["report_size_max"] = float(max(sizes))
            self._advances_step = 0
            self._report_sizes = []
            self._skipped_step = 0
            return out

    def state(self) -> dict[str, Any]:
        """Everything needed to resume, as JSON-serialisable data."""
        with self._lock:
            return {
                "version": STATE_VERSION,
                "threshold": self.threshold,
                "min_samples": self.min_samples,
                "levels": dict(self._levels),
                "tally": {k: list(v) for k, v in self._tally.items()},
                "advances_total": self._advances_total,
            }

    def load(self, state: dict[str, Any]) -> None:
        """Replace the levels, tallies and advance rule with ``state`` (from :meth:`state`)."""
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            raise ValueError(
                f"curriculum state has version {state.get('version') if isinstance(state, dict) else None!r}; "
                f"this code reads version {STATE_VERSION}"
            )
        with self._lock:
            self.threshold = float(state.get("threshold", self.threshold))
            self.min_samples = int(state.get("min_samples", self.min_samples))
            self._levels = {str(k): int(v) for k, v in state.get("levels", {}).items()}
            self._tally = {str(k): [float(v[0]), float(v[1])] for k, v in state.get("tally", {}).items()}
            self._advances_total = int(state.get("advances_total", 0))
            self._advances_step = 0


class _ActorProxy:
    """The named Ray actor behind :class:`CurriculumStore`'s interface (blocking calls)."""

    def __init__(self, handle: Any):
        self.handle = handle

    def __getattr__(self, name: str):
        import ray

        method = getattr(self.handle, name)
        return lambda *a, **k: ray.get(method.remote(*a, **k))


_local: dict[str, CurriculumStore] = {}
_local_lock = threading.Lock()


def get_curriculum(
    name: str = ACTOR_NAME, threshold: float = 0.5, min_samples: int = 1, use_ray: bool | None = None
) -> Any:
    """The shared curriculum: the named Ray actor ``name`` when Ray is initialised in this
    process (created on first use), else this process's in-process :class:`CurriculumStore`.

    ``use_ray`` forces the choice (True: connect with ``ray.init(address="auto")`` if needed).
    The advance rule (``threshold``, ``min_samples``) is (re)applied on every call.
    """
    ray = None
    if use_ray is not False:
        try:
            import ray
        except ImportError:
            if use_ray:
                raise
        if ray is not None and not ray.is_initialized():
            if use_ray:
                ray.init(address="auto")
            else:
                ray = None
    if ray is None:
        with _local_lock:
            store = _local.setdefault(name, CurriculumStore(threshold, min_samples))
        store.configure(threshold, min_samples)
        return store
    actor_cls = ray.remote(num_cpus=0, max_concurrency=1)(CurriculumStore)
    handle = actor_cls.options(name=name, get_if_exists=True).remote(threshold, min_samples)
    proxy = _ActorProxy(handle)
    proxy.configure(threshold, min_samples)
    return proxy


def save_state(store: Any, folder: str | Path) -> Path:
    """Write ``store.state()`` as JSON to ``folder/`` :data:`STATE_FILE` (atomically)."""
    path = Path(folder) / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(store.state(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def load_state(store: Any, folder: str | Path) -> bool:
    """Load ``folder/`` :data:`STATE_FILE` into ``store``; False (logged) when the folder has none."""
    path = Path(folder) / STATE_FILE
    if not path.exists():
        log.warning("no curriculum state at %s; prompts keep their current levels", path)
        return False
    store.load(json.loads(path.read_text(encoding="utf-8")))
    return True
