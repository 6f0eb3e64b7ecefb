"""GRPO from the tiny writer toward long or short targets: the runs that show training learns.

Two runs, identical but for the prompts' target lengths (:data:`TARGETS`): ``long`` asks for far
more than the tiny writer writes (:data:`sft_baseline.writer.ANSWER_BAND`), ``short`` for far
less. Both use the ``tiny-cpu`` preset (verl V1 trainer, vLLM CPU rollouts, our three rewards,
the ``longwriter_balanced`` trainer mode) with the writer as the policy and
:data:`LEARNING_OVERRIDES` (every step trains on all :data:`N_PROMPTS` prompts), for
:data:`DEFAULT_STEPS` steps. :func:`learning_criterion` states whether the targets pulled the
runs' answer lengths apart beyond what drifting policies do by chance (a t-test on the
step-to-step changes of the difference, valid under a random-walk null: what the test asserts);
:func:`learning_drift_test` (one run), :func:`learning_pooled_drift_test` (runs pooled),
:func:`learning_slope` (least squares, independent steps assumed) and :func:`learning_trend`
(mean(last k) - mean(first k), bootstrap) are printed beside it.

Used by the slow test ``tests/rl/test_learning.py``, ``benchmarks/learning.py`` and the demo.
Lengths are English words / Chinese characters (:func:`rollout.text.count_words`).
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "TARGETS",
    "LEARNING_OVERRIDES",
    "DEFAULT_STEPS",
    "N_PROMPTS",
    "learning_prompts",
    "run_learning",
    "LearningRun",
    "Trend",
    "learning_trend",
    "Slope",
    "learning_slope",
    "Drift",
    "learning_drift_test",
    "learning_pooled_drift_test",
    "Criterion",
    "contrast_criterion",
    "learning_criterion",
]

#: direction -> language -> (lower, upper) target, in words (en) / characters (zh).
TARGETS: dict[str, dict[str, tuple[int, int]]] = {
    # Above the writer's 30-110 words / 40-140 characters, yet inside the response budget
    # (512 tokens hold ~220 words or ~280 characters with the plan): a target the budget cannot
    # hold teaches truncation, which the format reward then fights (measured: collapse by step 4).
    "long": {"en": (160, 220), "zh": (200, 280)},
    # The length reward is 0 beyond 1.5 x upper: "short" keeps the writer's shortest replies on
    # the slope (30-60 words, 40-75 characters), or every group would score 0 and nothing learns.
    "short": {"en": (25, 40), "zh": (30, 50)},
}
N_PROMPTS = 8  # 4 English + 4 Chinese, from the bundled set: one training batch
#: verl overrides on top of the tiny-cpu preset (measured: benchmarks/RESULTS.md, "GRPO learning").
#: Every step trains on all N_PROMPTS prompts (one batch, one update), so a step's means do not
#: swing with which prompts it drew; lr 5e-4, because 1e-3 ran away (measured: the long answers
#: kept growing past their target into the token cap and the well-formed share fell to 0.2).
LEARNING_OVERRIDES: tuple[str, ...] = (
    "actor_rollout_ref.actor.optim.lr=5e-4",
    f"data.train_batch_size={N_PROMPTS}",
    f"actor_rollout_ref.actor.ppo_mini_batch_size={N_PROMPTS}",
    "data.max_response_length=512",
    "data.max_prompt_length=384",
    "actor_rollout_ref.rollout.max_model_len=896",
    "trainer.resume_mode=disable",
)
#: GRPO steps of a learning run (the slow test, the benchmark and ``make demo``).
DEFAULT_STEPS = 8


def learning_prompts(direction: str, out: str | Path, n: int = N_PROMPTS) -> Path:
    """A prompts jsonl of ``n`` bundled requests (half English, half Chinese) with ``direction``'s targets.

    The same requests for both directions; only ``target`` differs. Returns the file path.
    """
    from rl.prepare import BUNDLED_PROMPTS
    from rollout.jsonl import read_jsonl
    from rollout.text import language_of

    if direction not in TARGETS:
        raise ValueError(f"direction must be one of {', '.join(TARGETS)}, got {direction!r}")
    rows = [rec for _, rec in read_jsonl(BUNDLED_PROMPTS).records]
    by_lang: dict[str, list[dict]] = {"en": [], "zh": []}
    for rec in rows:
        by_lang[rec.get("language") or language_of(rec["prompt"])].append(rec)
    picked = []
    for lang in ("en", "zh"):
        pool = list(by_lang[lang])
        random.Random(f"learning:{lang}").shuffle(pool)
        picked += pool[: n // 2]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for rec in picked:
            lang = rec.get("language") or language_of(rec["prompt"])
            lo, hi = TARGETS[direction][lang]
            row = {"id": rec["id"], "prompt": rec["prompt"], "target": {"lower": lo, "upper": hi}}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return out


@dataclass(frozen=True)
class LearningRun:
    """One finished GRPO run: its per-step metrics rows (ours, ``longwriter/*``) and where it lives."""

    direction: str
    output_dir: Path
    rows: list[dict[str, Any]]
    returncode: int
    seconds: float
    log_file: Path | None = None  # verl's full output (rl.local_run.train's log)

    def series(self, key: str) -> list[float]:
        """The per-step values of metric ``key``, in step order."""
        return [float(r[key]) for r in self.rows if key in r]


def run_learning(
    direction: str,
    out: str | Path,
    *,
    steps: int = DEFAULT_STEPS,
    model: str | Path | None = None,
    overrides: Sequence[str] = (),
    timeout_s: float = 1200.0,
    echo: bool = False,
    progress: bool = False,
    prompts: str | Path | None = None,
) -> LearningRun:
    """GRPO from the tiny writer (``model``, default :func:`~sft_baseline.writer.tiny_writer_path`).

    Prepares :func:`learning_prompts` for ``direction`` (or the ``prompts`` jsonl given, e.g. a
    mix of targets; ``direction`` then only names the run) into ``out/data`` (every prompt trains:
    no validation split), trains ``steps`` steps into ``out/run``, and returns the logged rows.
    """
    from rl.local_run import train
    from rl.metrics import read_metrics
    from rl.prepare import prepare_rl_data
    from rl.presets import build_plan
    from sft_baseline.writer import tiny_writer_path

    out = Path(out).resolve()
    prompts = Path(prompts) if prompts is not None else learning_prompts(direction, out / "prompts.jsonl")
    prepare_rl_data(prompts, out / "data", val_fraction=0.0)
    policy = Path(model) if model is not None else tiny_writer_path(0)
    plan = build_plan(
        "tiny-cpu",
        [
            f"actor_rollout_ref.model.path={policy}",
            f"trainer.total_training_steps={steps}",
            f"trainer.save_freq={steps}",
            f"trainer.experiment_name=learning-{direction}",
            f"trainer.total_epochs={steps}",  # the 8 prompts are one step an epoch
            # every prompt trains; verl still wants a validation file (never run: test_freq=-1)
            f"data.val_files={out / 'data' / 'train.parquet'}",
            *LEARNING_OVERRIDES,
            *overrides,
        ],
        output_dir=out / "run",
        data_dir=out / "data",
    )
    result = train(plan, timeout_s=timeout_s, echo=echo, progress=progress)
    rows = [
        r
        for r in read_metrics(plan.output_dir)
        if r.get("_file") == result.metrics_file.name and any(k.startswith("longwriter/") for k in r)
    ]
    rows.sort(key=lambda r: r["step"])
    return LearningRun(direction, plan.output_dir, rows, result.returncode, result.seconds, result.log_file)


@dataclass(frozen=True)
class Trend:
    """mean(last k) - mean(first k) of a per-step series, with its 95% bootstrap interval."""

    first: float
    last: float
    diff: float
    low: float
    high: float
    k: int

    def __str__(self) -> str:
        return (
            f"first {self.k}: {self.first:.3f}, last {self.k}: {self.last:.3f}, "
            f"diff {self.diff:+.3f} (95% bootstrap CI [{self.low:+.3f}, {self.high:+.3f}])"
        )


def learning_trend(values: Sequence[float], k: int = 4, resamples: int = 4000, seed: int = 0) -> Trend:
    """Did a per-step series move? The 95% bootstrap interval of mean(last k) - mean(first k).

    The first and last ``k`` step values are resampled with replacement, independently
    (``resamples`` times, seeded), so the interval's width is the series' own step-to-step
    noise: an interval that excludes 0 means the change beats that noise.
    """
    import numpy as np

    vals = np.asarray(list(values), dtype=float)
    if vals.size < 2 * k:
        raise ValueError(f"need at least {2 * k} steps for k={k}, got {vals.size}")
    first, last = vals[:k], vals[-k:]
    rng = np.random.default_rng(seed)
    a = rng.choice(first, size=(resamples, k)).mean(axis=1)
    b = rng.choice(last, size=(resamples, k)).mean(axis=1)
    lo, hi = np.percentile(b - a, [2.5, 97.5])
    return Trend(
        float(first.mean()), float(last.mean()), float(last.mean() - first.mean()), float(lo), float(hi), k
    )


# Two-sided 95% Student-t quantiles t(0.975, df) for df = 1..30 (standard tables); 1.96 beyond.
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
         2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
         2.052, 2.048, 2.045, 2.042)  # fmt: skip


@dataclass(frozen=True)
class Slope:
    """The least-squares slope of a per-step series (units per step), with its 95% interval."""

    slope: float
    low: float
    high: float
    n: int

    def __str__(self) -> str:
        return (
            f"slope {self.slope:+.4f} per step over {self.n} steps "
            f"(95% t interval [{self.low:+.4f}, {self.high:+.4f}])"
        )


def learning_slope(values: Sequence[float]) -> Slope:
    """Did a per-step series move? The least-squares slope over all steps, with its 95% interval.

    The interval is the classical Student-t one (n - 2 degrees of freedom) from the scatter of the
    steps around the fitted line, i.e. the series' own step-to-step noise: an interval that
    excludes 0 means the trend beats that noise. Every step counts, so one lucky early step (a
    policy that learns within the first steps) cannot hide a trend, as it can in
    :func:`learning_trend`. (A residual bootstrap was tried and rejected: with 8 steps it called
    15% of flat noise series a trend, the t interval 4%.)
    """
    import numpy as np

    y = np.asarray(list(values), dtype=float)
    if y.size < 4:
        raise ValueError(f"need at least 4 steps for a slope, got {y.size}")
    x = np.arange(1, y.size + 1, dtype=float)
    xc = x - x.mean()
    slope = float(xc @ (y - y.mean()) / (xc @ xc))
    resid = y - y.mean() - slope * xc
    df = y.size - 2
    se = float(np.sqrt(resid @ resid / df / (xc @ xc)))
    t = _T975[df - 1] if df <= len(_T975) else 1.96
    return Slope(slope, slope - t * se, slope + t * se, int(y.size))


@dataclass(frozen=True)
class Drift:
    """The mean per-step change of a series (units per step), with its 95% random-walk interval.

    ``n`` is the steps of one run; ``runs`` how many runs' changes were pooled (1: one run)."""

    drift: float
    low: float
    high: float
    t: float
    n: int
    runs: int = 1

    def __str__(self) -> str:
        pooled = f" x {self.runs} runs pooled" if self.runs > 1 else ""
        return (
            f"mean step {self.drift:+.4f} over {self.n} steps{pooled} (t {self.t:+.2f}, "
            f"95% random-walk interval [{self.low:+.4f}, {self.high:+.4f}])"
        )


def learning_drift_test(values: Sequence[float]) -> Drift:
    """Did a per-step series move beyond what a drifting policy does by chance?

    A policy's per-step means are not independent around a line: without learning they wander
    like a random walk (each update moves the policy a little, and the next step starts from
    there), plus the sampling noise of each step. The null hypothesis is therefore a random walk
    with no drift, ``y[t] = y[t-1] + e[t]`` (plus any i.i.d. noise on top), and the alternative
    a drift ``mu != 0`` per step. The statistic is the one-sample Student-t test on the
    increments ``y[t] - y[t-1]``: their mean, ``(y[-1] - y[0]) / (n - 1)``, over its standard
    error from their own scatter, with n - 2 degrees of freedom. Under a pure random walk the
    increments are i.i.d., so the test is exact; i.i.d. noise on top makes consecutive
    increments negatively correlated, which makes the interval wider than needed (conservative),
    never narrower, whatever the mix. The interval is two-sided 95%: excluding 0 on one side is
    a one-sided test at 2.5%.

    Why not :func:`learning_slope`: its t interval assumes independent steps; on simulated
    8-step random walks it called 7%, 14% and 22% of them a rise (drift 0.5x, 1x, 3x the
    noise; nominal 2.5%). The price is power: one 8-step run has only 7 increments
    (``tests/longwrite/test_learning_stats.py`` measures it at the real runs' size), which is why
    the learning test applies it to the two runs' difference (:func:`learning_criterion`), where
    shared drift cancels. Needs at least 4 steps.
    """
    return learning_pooled_drift_test([values])


def learning_pooled_drift_test(runs: Sequence[Sequence[float]]) -> Drift:
    """Did the runs' per-step series move, together, beyond what drifting policies do by chance?

    :func:`learning_drift_test` on the step-to-step increments of every run pooled into one
    sample (within each run only: no increment spans two runs): a one-sample Student-t test of
    their mean, with (total increments - 1) degrees of freedom. The null is that no run drifts
    (each a random walk without drift, plus any i.i.d. noise); the runs are independent, so their
    increments are too. What the learning test asserts, on the length reward of its ``long`` and
    ``short`` runs (a direction check beside :func:`learning_criterion`'s contrast): both directions
    should raise it, and 14 increments instead of 7 add power (``tests/longwrite/
    test_learning_stats.py`` measures it and the false-rise rate on random walks whose step sizes
    differ between the runs). A pooled test can pass on one strong run alone.
    """
    import numpy as np

    series = [np.asarray(list(v), dtype=float) for v in runs]
    if not series:
        raise ValueError("no runs to test")
    for y in series:
        if y.size < 4:
            raise ValueError(f"need at least 4 steps for a drift test, got {y.size}")
        if not np.all(np.isfinite(y)):
            raise ValueError(f"series has non-finite values: {y.tolist()}")
    d = np.concatenate([np.diff(y) for y in series])
    mean = float(d.mean())
    df = d.size - 1
    se = float(d.std(ddof=1) / np.sqrt(d.size))
    tq = _T975[df - 1] if df <= len(_T975) else 1.96
    t = mean / se if se > 0 else (math.inf if mean > 0 else -math.inf if mean < 0 else 0.0)
    steps = max(y.size for y in series)
    return Drift(mean, mean - tq * se, mean + tq * se, float(t), int(steps), len(series))


#: The printout's names for the length test: measured quantity, reward, "up" run, "down" run.
LENGTH_LABELS: tuple[str, str, str, str] = ("answer length", "length reward", "long targets", "short targets")


@dataclass(frozen=True)
class Criterion:
    """A contrast criterion's verdict on two runs pushed opposite ways (:func:`contrast_criterion`;
    the length test's is :func:`learning_criterion`). ``labels`` name, for the printout, the
    measured quantity, the reward and the two runs (default: the length test's)."""

    passed: bool
    contrast: Drift  # the measured quantity, "up" run minus "down" run: must rise beyond random-walk drift
    reward: Drift  # the trained reward, both runs pooled: its mean step must be > 0
    grow: Drift  # the "up" run's measured quantity: its mean step must be > 0
    shrink: Drift  # the "down" run's measured quantity: its mean step must be < 0
    labels: tuple[str, str, str, str] = LENGTH_LABELS

    def __str__(self) -> str:
        what, reward, up, down = self.labels
        return "\n".join(
            [
                f"{what}, {up} run minus {down} run: {self.contrast}  (must exclude 0 upward)",
                f"{reward}, both runs pooled: {self.reward}  (mean step must be > 0)",
                f"{what}, {up}: {self.grow}  (mean step must be > 0)",
                f"{what}, {down}: {self.shrink}  (mean step must be < 0)",
                f"criterion: {'PASS' if self.passed else 'FAIL'}",
            ]
        )


def contrast_criterion(
    up: Sequence[float],
    down: Sequence[float],
    reward_up: Sequence[float],
    reward_down: Sequence[float],
    labels: tuple[str, str, str, str] = LENGTH_LABELS,
) -> Criterion:
    """Did training move a measured quantity the asked way in two runs pushed opposite ways?

    ``up`` and ``down`` are the per-step values of one quantity (answer length, the share of answers
    using a term, ...) in two runs identical but for what their reward asks: more of it in one, less
    in the other. Without learning the two series are draws of the same drifting process, so their
    difference per step is a random walk without drift, and any drift both runs share cancels in it.
    The criterion is :func:`learning_drift_test` on ``up - down``: its 95% interval must exclude 0
    upward. Beside it, direction checks: ``up``'s mean step is > 0 and ``down``'s < 0 (a pull-apart
    that is only one run moving does not pass), and the trained reward, both runs pooled
    (:func:`learning_pooled_drift_test` on ``reward_up`` and ``reward_down``), rose on average.
    """
    if len(up) != len(down):
        raise ValueError(f"the runs logged {len(up)} and {len(down)} steps: not comparable")
    contrast = learning_drift_test([a - b for a, b in zip(up, down, strict=True)])
    reward = learning_pooled_drift_test([reward_up, reward_down])
    grow, shrink = learning_drift_test(up), learning_drift_test(down)
    passed = contrast.low > 0 and reward.drift > 0 and grow.drift > 0 and shrink.drift < 0
    return Criterion(passed, contrast, reward, grow, shrink, labels)


#: The per-step series the criterion reads (``longwriter/*`` step metrics, rl.trainer.step_metrics).
REWARD_KEY, LENGTH_KEY = "longwriter/reward/length/mean", "longwriter/length/answer/mean"


def learning_criterion(long: LearningRun, short: LearningRun) -> Criterion:
    """Did GRPO learn the targets? What the slow test asserts and the benchmark reports.

    :func:`contrast_criterion` on the answer length (words / Chinese characters) of the ``long``
    and ``short`` runs, identical but for their targets: the long-minus-short difference must rise
    beyond random-walk drift (the targets pull the runs apart), the long run's answers grow, the
    short run's shrink, and the length reward, both runs pooled, rises on average. A drift both
    runs share (answers lengthening for the format or quality reward's sake) cancels in the
    difference, which is why it is far stronger than either run's own test (measured t about 9 on
    the 2026-12-05 pair, where each run's length-reward test alone did not exclude 0:
    benchmarks/RESULTS.md).
    """
    return contrast_criterion(
        long.series(LENGTH_KEY), short.series(LENGTH_KEY), long.series(REWARD_KEY), short.series(REWARD_KEY)
    )
