"""Training curves of RL run folders, for ``longwrite report``.

A GRPO run folder of ``longwrite train`` / ``longwrite submit`` holds ``metrics/metrics-*.jsonl``,
written by verl's file logger: one ``{"step": n, "data": {...}}`` line per step, one file per
launch (a resumed run has several). :func:`load_training_run` reads them all (a torn last line,
left by a kill, is skipped and counted) and keeps, per step, the values of the latest launch that
logged it (a resumed run may redo steps logged after its last checkpoint).

Curves drawn against the step (metric names of ``rl.trainer.step_metrics``):

* reward components: ``longwriter/reward/<name>/mean`` (``score`` is the reward function's raw
  weighted total; ``weighted_mean`` is left out, it repeats the components),
* answer and plan length (words / CJK characters) p50 and p90: ``longwriter/length/{answer,plan}/{p50,p90}``,
* truncation ratio: ``longwriter/truncated_ratio`` (share of responses that hit the token cap),
* well-formed share: ``longwriter/well_formed_ratio`` (share of responses that are exactly one
  plan then one answer; the format reward also scores repetition, so it can fall while this holds),
* zero-variance group share: ``longwriter/groups/zero_var_ratio`` (groups whose every reward
  component is constant, so they carry no advantage).

A metric a step did not log (or logged as NaN) is missing: a gap in the curve and "–" in the
tables, never 0. This module must not import ``rl`` (eval imports only rollout and rewards).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rollout.jsonl import read_jsonl

__all__ = [
    "TrainingRun",
    "is_training_run",
    "load_training_run",
    "curve_columns",
    "curve_rows",
    "plot_training_run",
]

PREFIX = "longwriter"
REWARD_RE = re.compile(rf"^{PREFIX}/reward/([^/]+)/mean$")
NOT_A_COMPONENT = {"weighted_mean"}
LENGTHS = tuple(
    (f"{PREFIX}/length/{part}/{stat}", f"{part} {stat}")
    for part in ("answer", "plan")
    for stat in ("p50", "p90")
)
TRUNCATED = f"{PREFIX}/truncated_ratio"
WELL_FORMED = f"{PREFIX}/well_formed_ratio"
ZERO_VAR = f"{PREFIX}/groups/zero_var_ratio"


@dataclass
class TrainingRun:
    """One RL run folder's per-step metrics, merged over its launches."""

    path: Path
    steps: dict[int, dict[str, Any]]
    files: list[Path] = field(default_factory=list)
    torn_files: list[Path] = field(default_factory=list)
    relogged_steps: list[int] = field(default_factory=list)
    skipped_rows: int = 0

    @property
    def name(self) -> str:
        """Display name: the run folder's name."""
        return self.path.name

    @property
    def components(self) -> list[str]:
        """Reward component names logged at any step (``score`` last)."""
        names = {m.group(1) for row in self.steps.values() for k in row if (m := REWARD_RE.match(k))}
        names -= NOT_A_COMPONENT
        return sorted(names - {"score"}) + (["score"] if "score" in names else [])

    def value(self, step: int, key: str) -> float | None:
        """``key`` at ``step``; None when not logged or not a finite number (shown as missing)."""
        v = self.steps.get(step, {}).get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return None
        return float(v)


def _metrics_files(path: Path) -> list[Path]:
    return sorted((path / "metrics").glob("metrics-*.jsonl"))


def is_training_run(path: str | Path) -> bool:
    """True for an RL run folder: it has ``metrics/metrics-*.jsonl`` and no evaluation ``run.json``."""
    p = Path(path)
    return not (p / "run.json").is_file() and bool(_metrics_files(p))


def load_training_run(path: str | Path) -> TrainingRun:
    """Read every launch's metrics of the RL run folder ``path`` (files in name = time order).

    A step logged by several launches keeps the last launch's values (listed in
    ``relogged_steps``); a line without an integer ``step`` or a ``data`` object is counted in
    ``skipped_rows``; a torn last line is skipped and its file listed in ``torn_files``.
    """
    p = Path(path)
    files = _metrics_files(p)
    if not files:
        raise FileNotFoundError(f"{p} is not an RL run folder (no metrics/metrics-*.jsonl)")
    run = TrainingRun(p, {}, files=files)
    seen_in: dict[int, Path] = {}
    for f in files:
        read = read_jsonl(f)
        if read.torn_tail:
            run.torn_files.append(f)
        for _, row in read.records:
            step, data = (row.get("step"), row.get("data")) if isinstance(row, dict) else (None, None)
            if isinstance(step, bool) or not isinstance(step, int) or not isinstance(data, dict):
                run.skipped_rows += 1
                continue
            if step in seen_in and seen_in[step] != f:
                run.relogged_steps.append(step)
                run.steps[step] = {}
            seen_in[step] = f
            # verl may log one step in several calls: merge them.
            run.steps.setdefault(step, {}).update(data)
    run.relogged_steps = sorted(set(run.relogged_steps))
    return run


def curve_columns(run: TrainingRun) -> list[tuple[str, str]]:
    """(metric key, column label) of the curves' table for ``run``."""
    cols = [(f"{PREFIX}/reward/{c}/mean", f"reward {c}") for c in run.components]
    cols += list(LENGTHS)
    cols += [(TRUNCATED, "truncated"), (WELL_FORMED, "well formed"), (ZERO_VAR, "zero-var groups")]
    return cols


def _fmt(v: float | None, key: str) -> str:
    if v is None:
        return "–"
    return f"{v:.0f}" if key.startswith(f"{PREFIX}/length/") else f"{v:.3f}"


def curve_rows(run: TrainingRun) -> list[list[str]]:
    """One row per logged step: the step, then :func:`curve_columns`' values ("–" = missing)."""
    cols = curve_columns(run)
    return [[str(s), *(_fmt(run.value(s, k), k) for k, _ in cols)] for s in sorted(run.steps)]


def notes(run: TrainingRun) -> str:
    """What the table and plot of ``run`` rest on: launches, torn lines, re-logged steps."""
    parts = [f"{len(run.steps)} step(s) from {len(run.files)} launch file(s) in {run.path / 'metrics'}"]
    if run.torn_files:
        parts.append(f"a torn last line skipped in {', '.join(f.name for f in run.torn_files)}")
    if run.relogged_steps:
        parts.append(f"steps {run.relogged_steps} were logged again by a later launch: its values are shown")
    if run.skipped_rows:
        parts.append(f"{run.skipped_rows} line(s) without a step or data skipped")
    missing = [
        label for key, label in curve_columns(run) if all(run.value(s, key) is None for s in run.steps)
    ]
    if missing:
        parts.append(f"never logged: {', '.join(missing)}")
    parts.append("lengths in words / CJK characters; – = not logged at that step (never 0)")
    return "; ".join(parts) + "."


def plot_training_run(run: TrainingRun) -> bytes:
    """A 2x2 PNG of ``run`` against the step: reward components, answer/plan length p50 and p90,
    truncated and well-formed shares, zero-variance group share. Missing values are gaps; a metric never logged
    is named in its panel as missing."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = sorted(run.steps)
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)

    def draw(
        ax, keys: Sequence[tuple[str, str]], title: str, ylabel: str, styles: Sequence[str] = ()
    ) -> None:
        absent = []
        for i, (key, label) in enumerate(keys):
            ys = [run.value(s, key) for s in steps]
            if all(y is None for y in ys):
                absent.append(label)
                continue
            style = styles[i] if i < len(styles) else "o-"
            ax.plot(steps, [math.nan if y is None else y for y in ys], style, ms=3, label=label)
        if absent:
            ax.text(
                0.02,
                0.02,
                "missing: " + ", ".join(absent),
                transform=ax.transAxes,
                fontsize=8,
                color="firebrick",
            )
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(ylabel, fontsize=9)
        if len(keys) - len(absent) > 0 and len(keys) > 1:
            ax.legend(fontsize=7)
        ax.grid(alpha=0.3)

    draw(
        axes[0][0],
        [(f"{PREFIX}/reward/{c}/mean", c) for c in run.components]
        or [(f"{PREFIX}/reward/?/mean", "rewards")],
        "Reward components (mean)",
        "reward",
        styles=["o-"] * max(0, len(run.components) - 1) + ["k--" if "score" in run.components else "o-"],
    )
    draw(axes[0][1], LENGTHS, "Answer / plan length", "words / CJK chars", styles=["o-", "o:", "s-", "s:"])
    draw(
        axes[1][0],
        [(TRUNCATED, "truncated"), (WELL_FORMED, "well formed")],
        "Truncated (hit the token cap) / well-formed responses",
        "share",
    )
    draw(axes[1][1], [(ZERO_VAR, "zero-var groups")], "Zero-variance groups (no advantage)", "share")
    for ax in axes[1]:
        ax.set_xlabel("step")
        ax.set_ylim(-0.05, 1.05)
    fig.suptitle(f"Training curves: {run.name}", fontsize=11)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()
